//! Prints a sightings bundle built from a small indicator set (used to check
//! our output with external validators by hand: `cargo run -p reefwatch-stix
//! --example emit_sample > out.json && stix2_validator out.json`).
use reefwatch_stix::intel::{IntelSet, Observation};
use std::net::{IpAddr, Ipv4Addr};

fn main() {
    let mut set = IntelSet::new();
    let mut warns = Vec::new();
    let src: std::sync::Arc<str> = std::sync::Arc::from("sample.txt");
    set.load_list(
        b"#@ tlp=amber\n198.51.100.7\nevil.example\n",
        &src,
        std::path::Path::new("sample.txt"),
        &mut warns,
    );
    let protos = ["ipv4", "tcp", "http"];
    let mut hits = Vec::new();
    set.observe(
        &Observation {
            ts_ns: 1_709_287_200_000_000_000,
            src_ip: Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))),
            dst_ip: Some(IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7))),
            src_port: Some(40000),
            dst_port: Some(80),
            protocols: &protos,
            domain: Some(b"evil.example"),
            url: Some(b"http://evil.example/x"),
            http_method: Some(b"GET"),
            http_uri: Some(b"/x"),
            user_agent: Some(b"curl/8"),
            ..Default::default()
        },
        &mut hits,
    );
    println!(
        "{}",
        serde_json::to_string_pretty(&set.sightings_bundle("sensor-1")).unwrap()
    );
}
