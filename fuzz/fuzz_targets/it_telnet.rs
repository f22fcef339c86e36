//! Fuzz the telnet parser (Tcp) through the engine-like driver: probe,
//! parse in pieces in both directions, gaps, close.
#![no_main]
use libfuzzer_sys::fuzz_target;
use reefwatch_applayer::Transport;

fuzz_target!(|data: &[u8]| {
    reefwatch_it::fuzzing::drive_named("telnet", Transport::Tcp, data);
});
