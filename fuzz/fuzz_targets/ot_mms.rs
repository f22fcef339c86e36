#![no_main]
//! reefwatch-ot mms: hostile bytes, split anywhere, in both directions,
//! through the probe and the parser (TPKT, COTP, session, presentation,
//! ACSE, BER) with every event built. Must never panic, hang or grow
//! without bound.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    reefwatch_applayer::fuzzing::drive(&reefwatch_ot::mms::PROTOCOL, data);
});
