//! Fuzz the STIX pattern parser (both strictness levels) and, when a pattern
//! parses, the evaluator over a small fixed set of observations.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reefwatch_stix::pattern::{eval, parse_with, Strictness};
use reefwatch_stix::serde_json::{json, Value};
use std::sync::OnceLock;

fn observations() -> &'static Vec<Value> {
    static OBS: OnceLock<Vec<Value>> = OnceLock::new();
    OBS.get_or_init(|| {
        vec![json!({"type": "bundle", "id": "bundle--1", "objects": [
            {"type": "observed-data", "id": "observed-data--1", "first_observed": "2020-01-01T00:00:00Z",
             "last_observed": "2020-01-01T00:00:01Z", "number_observed": 3, "object_refs": ["x--1", "ipv4-addr--1", "network-traffic--1"]},
            {"type": "observed-data", "id": "observed-data--2", "first_observed": "2020-01-01T00:00:05Z",
             "last_observed": "2020-01-01T00:00:05Z", "number_observed": 2, "object_refs": ["x--1", "ipv4-addr--1"]},
            {"type": "x", "id": "x--1", "a": 1, "b": "str", "c": [1, 2, {"d": true}], "e_hex": "00ff", "f_ref": "ipv4-addr--1",
             "g_refs": ["ipv4-addr--1"], "t": "2020-01-01T00:00:00Z"},
            {"type": "ipv4-addr", "id": "ipv4-addr--1", "value": "10.0.0.1"},
            {"type": "network-traffic", "id": "network-traffic--1", "dst_ref": "ipv4-addr--1", "dst_port": 502, "protocols": ["tcp"]}
        ]})]
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let _ = parse_with(s, Strictness::Validator);
    if let Ok(p) = parse_with(s, Strictness::Grammar) {
        if let Ok(obs) = eval::Observations::from_json(observations()) {
            let _ = eval::matches(&p, &obs);
        }
    }
});
