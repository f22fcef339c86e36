//! Fuzz the X.509 DER walker used for TLS certificates.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = reefwatch_it::tls::x509::parse_cert(data);
});
