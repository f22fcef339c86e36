//! reefwatch hub: everything a TAXII client controls before storage —
//! query strings (match[...], limit, added_after, next), STIX/TAXII
//! timestamps, and posted objects (validation, TLP level, references).
#![no_main]
use libfuzzer_sys::fuzz_target;
use reefwatch_hub::{server, stixv, time};

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    match sel % 3 {
        0 => {
            if let Ok(s) = std::str::from_utf8(rest) {
                if let Some(t) = time::parse(s) {
                    // formatting then re-parsing is exact at µs precision
                    assert_eq!(time::parse(&time::format_micros(t)), Some(t));
                }
            }
        }
        1 => {
            if let Ok(s) = std::str::from_utf8(rest) {
                let _ = server::fuzz_query(s);
            }
        }
        _ => {
            if let Ok(v) = serde_json::from_slice::<serde_json::Value>(rest) {
                let ok = stixv::validate_object(&v).is_ok();
                if let Some(o) = v.as_object() {
                    let _ = stixv::tlp_of_object(o);
                    let _ = stixv::references(o);
                }
                let _ = ok;
            }
        }
    }
});
