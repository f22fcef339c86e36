#![no_main]
//! reefwatch-ot opcua: hostile bytes in both directions through the
//! probe and the parser as the engine drives TCP (pieces, remainders, gaps),
//! with every event built. Must never panic, hang or grow without bound.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    reefwatch_applayer::fuzzing::drive(&reefwatch_ot::opcua::PROTOCOL, data);
});
