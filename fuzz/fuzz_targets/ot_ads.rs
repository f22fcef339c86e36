#![no_main]
//! reefwatch-ot ads (AMS/TCP and UDP discovery): hostile bytes, split anywhere, in both directions,
//! through the probe and the stream parser as the engine drives it
//! (remainders kept on Incomplete, bounded; gaps; close), with every event
//! built. Must never panic, hang or grow without bound.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    reefwatch_applayer::fuzzing::drive(&reefwatch_ot::ads::PROTOCOL, data);
});
