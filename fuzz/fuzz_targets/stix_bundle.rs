//! Fuzz the STIX/IOC loader: JSON bundles (model, validation, indicator
//! loading), plain IOC lists, then matching and sightings export.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reefwatch_stix::intel::{IntelSet, Observation};
use reefwatch_stix::model::StixObject;
use reefwatch_stix::serde_json::{self, Value};
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::sync::Arc;

fuzz_target!(|data: &[u8]| {
    let mut set = IntelSet::new();
    let mut warns = Vec::new();
    let src: Arc<str> = Arc::from("fuzz");
    if let Ok(v) = serde_json::from_slice::<Value>(data) {
        let _ = reefwatch_stix::validate_object(&v);
        let _ = StixObject::from_value(v.clone());
        set.load_stix_value(&v, &src, Path::new("fuzz.json"), &mut warns);
    } else {
        set.load_list(data, &src, Path::new("fuzz.txt"), &mut warns);
    }
    set.finish_loading();
    let protos = ["ipv4", "tcp", "http"];
    let text = std::str::from_utf8(data).unwrap_or("x.example");
    let word = text.split_whitespace().next().unwrap_or("x.example");
    let mut hits = Vec::new();
    for k in 0..3i64 {
        let o = Observation {
            ts_ns: 1_600_000_000_000_000_000 + k * 1_000_000_000,
            src_ip: Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))),
            dst_ip: word.parse().ok(),
            dst_port: Some(80),
            protocols: &protos,
            domain: Some(word.as_bytes()),
            url: Some(word.as_bytes()),
            user_agent: Some(word.as_bytes()),
            sha256: Some(word),
            md5: Some(word),
            ja3: Some(word),
            ..Default::default()
        };
        set.observe(&o, &mut hits);
    }
    for h in &hits {
        let mut js = reefwatch_applayer::JsonBuilder::new_object();
        h.write_alert_metadata(&mut js);
    }
    let _ = set.sightings_bundle("fuzz");
});
