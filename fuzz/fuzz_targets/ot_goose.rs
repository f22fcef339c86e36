#![no_main]
//! reefwatch-ot goose: hostile layer-2 frames from four source MACs, at
//! varied times, through stream_id and one parser per stream as the
//! engine's layer-2 table drives them, with every event built. Must never
//! panic, hang or grow without bound.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    reefwatch_applayer::fuzzing::drive_l2(&reefwatch_ot::goose::PROTOCOL, data);
});
