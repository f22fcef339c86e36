use super::*;
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

use serde_json::json;

use crate::pattern::{eval, ObsExpr, Strictness};
use crate::time::parse_timestamp;
use crate::tlp;

const BUNDLE: &str = r#"{"type": "bundle", "id": "bundle--0b3a0f43-4a6a-4b7a-9b0a-000000000001", "objects": [
 {"type": "marking-definition", "spec_version": "2.1", "id": "marking-definition--0b3a0f43-4a6a-4b7a-9b0a-0000000000aa",
  "created": "2024-01-01T00:00:00Z", "definition_type": "statement", "definition": {"statement": "CERT-X internal"}},
 {"type": "indicator", "spec_version": "2.1", "id": "indicator--0b3a0f43-4a6a-4b7a-9b0a-000000000010",
  "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z", "name": "C2 server",
  "indicator_types": ["malicious-activity"], "labels": ["apt-x"],
  "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "command-and-control"}],
  "pattern": "[ipv4-addr:value = '198.51.100.7']", "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z",
  "object_marking_refs": ["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", "marking-definition--0b3a0f43-4a6a-4b7a-9b0a-0000000000aa"]},
 {"type": "indicator", "spec_version": "2.1", "id": "indicator--0b3a0f43-4a6a-4b7a-9b0a-000000000011",
  "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z", "name": "Bad domains",
  "pattern": "[domain-name:value = 'evil.example' OR domain-name:value = 'worse.example']", "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"},
 {"type": "indicator", "spec_version": "2.1", "id": "indicator--0b3a0f43-4a6a-4b7a-9b0a-000000000012",
  "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z",
  "pattern": "[network-traffic:dst_ref.value ISSUBSET '203.0.113.0/24']", "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"},
 {"type": "indicator", "spec_version": "2.1", "id": "indicator--0b3a0f43-4a6a-4b7a-9b0a-000000000013",
  "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z",
  "pattern": "[file:hashes.'SHA-256' = 'AEC070645FE53EE3B3763059376134F058CC337247C978ADD178B6CCDFB0019F']", "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"},
 {"type": "indicator", "spec_version": "2.1", "id": "indicator--0b3a0f43-4a6a-4b7a-9b0a-000000000014",
  "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z", "name": "Modbus write to PLC",
  "pattern": "[network-traffic:dst_port = 502 AND network-traffic:dst_ref.value = '10.1.1.5']", "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"},
 {"type": "indicator", "spec_version": "2.1", "id": "indicator--0b3a0f43-4a6a-4b7a-9b0a-000000000015",
  "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z", "name": "stage then fetch",
  "pattern": "[domain-name:value = 'stage.example'] FOLLOWEDBY [url:value = 'http://fetch.example/p'] WITHIN 60 SECONDS", "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"},
 {"type": "indicator", "spec_version": "2.1", "id": "indicator--0b3a0f43-4a6a-4b7a-9b0a-000000000016",
  "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z", "name": "beacon",
  "pattern": "[x-ja3:value = 'e7d705a3286e19ea42f587b344ee6865'] REPEATS 3 TIMES WITHIN 10 SECONDS", "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"},
 {"type": "indicator", "spec_version": "2.1", "id": "indicator--0b3a0f43-4a6a-4b7a-9b0a-000000000017",
  "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z",
  "pattern": "[ipv4-addr:value = ", "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"},
 {"type": "indicator", "spec_version": "2.1", "id": "indicator--0b3a0f43-4a6a-4b7a-9b0a-000000000018",
  "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z", "revoked": true,
  "pattern": "[ipv4-addr:value = '192.0.2.1']", "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"},
 {"type": "indicator", "spec_version": "2.1", "id": "indicator--0b3a0f43-4a6a-4b7a-9b0a-000000000019",
  "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z",
  "pattern": "alert tcp any any -> any any", "pattern_type": "snort", "valid_from": "2024-01-01T00:00:00Z"},
 {"type": "indicator", "spec_version": "2.1", "id": "indicator--0b3a0f43-4a6a-4b7a-9b0a-00000000001a",
  "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z", "valid_until": "2024-06-01T00:00:00Z",
  "pattern": "[ipv4-addr:value = '192.0.2.99']", "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"}
]}"#;

const LIST: &str = "#@ name=OT blocklist\n#@ tlp=green\n#@ labels=ot,scanner\n\
# hosts\n\
192.0.2.50\n\
10.66.0.0/16   # lab range\n\
2001:db8:bad::/48\n\
*.tracker.example\n\
plain.example\n\
http://dl.example/payload.bin\n\
d41d8cd98f00b204e9800998ecf8427e\n\
not an ioc\n";

fn ts(s: &str) -> i64 {
    parse_timestamp(s).unwrap() as i64
}

fn load() -> (IntelSet, Vec<LoadWarning>) {
    // one folder per call: tests run in parallel and each removes its own
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("reefwatch-intel-test-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a.json"), BUNDLE).unwrap();
    std::fs::write(dir.join("b.txt"), LIST).unwrap();
    let r = IntelSet::load(std::slice::from_ref(&dir));
    let _ = std::fs::remove_dir_all(&dir);
    r
}

fn v4(a: [u8; 4]) -> Option<IpAddr> {
    Some(IpAddr::V4(Ipv4Addr::from(a)))
}

#[test]
fn load_reports_malformed_and_loads_the_rest() {
    let (set, warns) = load();
    let text: Vec<String> = warns.iter().map(|w| w.to_string()).collect();
    assert_eq!(warns.len(), 4, "{text:#?}");
    assert!(
        text[0].contains("indicator--0b3a0f43-4a6a-4b7a-9b0a-000000000017: pattern at position 19"),
        "{text:?}"
    );
    assert!(text[1].contains("000000000018: revoked"));
    assert!(text[2].contains("000000000019: pattern_type 'snort' is not supported"));
    assert!(
        text[3].contains("b.txt:12: not an IP, CIDR, domain, URL or hash: 'not an ioc'"),
        "{text:?}"
    );
    let st = set.stats();
    assert_eq!(st.indicators, 8 + 7);
    assert_eq!(st.complex, 3);
}

#[test]
fn fast_path_hits_with_metadata() {
    let (mut set, _) = load();
    let mut hits = Vec::new();
    let protos = ["ipv4", "tcp"];
    let o = Observation {
        ts_ns: ts("2024-03-01T10:00:00Z"),
        src_ip: v4([10, 0, 0, 1]),
        dst_ip: v4([198, 51, 100, 7]),
        dst_port: Some(443),
        protocols: &protos,
        ..Default::default()
    };
    set.observe(&o, &mut hits);
    assert_eq!(hits.len(), 1);
    let h = &hits[0];
    assert_eq!(
        h.indicator_id(),
        "indicator--0b3a0f43-4a6a-4b7a-9b0a-000000000010"
    );
    assert_eq!(h.tlp(), Some(Tlp::Amber));
    let mut js = JsonBuilder::new_object();
    js.open_object("metadata");
    h.write_alert_metadata(&mut js);
    js.close_all();
    let v: Value = serde_json::from_str(js.as_str()).unwrap();
    assert_eq!(v["metadata"]["stix_indicator_name"], json!(["C2 server"]));
    assert_eq!(
        v["metadata"]["stix_labels"],
        json!(["apt-x", "malicious-activity"])
    );
    assert_eq!(
        v["metadata"]["stix_kill_chain"],
        json!(["mitre-attack:command-and-control"])
    );
    assert_eq!(v["metadata"]["tlp"], json!(["TLP:AMBER"]));

    // Domain (case-insensitive, trailing dot), CIDR on dst only, hash (case-insensitive).
    hits.clear();
    let o2 = Observation {
        ts_ns: ts("2024-03-01T10:00:01Z"),
        src_ip: v4([203, 0, 113, 9]),
        dst_ip: v4([10, 0, 0, 1]),
        domain: Some(b"Worse.Example."),
        sha256: Some("aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f"),
        ..Default::default()
    };
    set.observe(&o2, &mut hits);
    let ids: Vec<String> = hits.iter().map(Hit::indicator_id).collect();
    assert!(
        ids.contains(&"indicator--0b3a0f43-4a6a-4b7a-9b0a-000000000011".to_string()),
        "{ids:?}"
    );
    assert!(
        ids.contains(&"indicator--0b3a0f43-4a6a-4b7a-9b0a-000000000013".to_string()),
        "{ids:?}"
    );
    assert!(
        !ids.contains(&"indicator--0b3a0f43-4a6a-4b7a-9b0a-000000000012".to_string()),
        "203.0.113.9 is the source, the pattern needs dst"
    );
    hits.clear();
    let o3 = Observation {
        ts_ns: o2.ts_ns,
        dst_ip: v4([203, 0, 113, 200]),
        ..Default::default()
    };
    set.observe(&o3, &mut hits);
    assert_eq!(hits.len(), 1);
    assert_eq!(
        hits[0].indicator_id(),
        "indicator--0b3a0f43-4a6a-4b7a-9b0a-000000000012"
    );

    // valid_until is enforced against the event time.
    hits.clear();
    set.observe(
        &Observation {
            ts_ns: ts("2024-05-01T00:00:00Z"),
            dst_ip: v4([192, 0, 2, 99]),
            ..Default::default()
        },
        &mut hits,
    );
    assert_eq!(hits.len(), 1);
    hits.clear();
    set.observe(
        &Observation {
            ts_ns: ts("2024-07-01T00:00:00Z"),
            dst_ip: v4([192, 0, 2, 99]),
            ..Default::default()
        },
        &mut hits,
    );
    assert!(hits.is_empty());
    // Revoked indicator never loaded.
    set.observe(
        &Observation {
            ts_ns: ts("2024-03-01T00:00:00Z"),
            dst_ip: v4([192, 0, 2, 1]),
            ..Default::default()
        },
        &mut hits,
    );
    assert!(hits.is_empty());
}

#[test]
fn plain_list_entries() {
    let (mut set, _) = load();
    let mut hits = Vec::new();
    let cases: Vec<(Observation<'static>, &str)> = vec![
        (
            Observation {
                src_ip: v4([192, 0, 2, 50]),
                ..Default::default()
            },
            "[ipv4-addr:value = '192.0.2.50']",
        ),
        (
            Observation {
                dst_ip: v4([10, 66, 3, 4]),
                ..Default::default()
            },
            "[ipv4-addr:value ISSUBSET '10.66.0.0/16']",
        ),
        (
            Observation {
                dst_ip: Some("2001:db8:bad:1::5".parse().unwrap()),
                ..Default::default()
            },
            "[ipv6-addr:value ISSUBSET '2001:db8:bad::/48']",
        ),
        (
            Observation {
                domain: Some(b"a.b.tracker.example"),
                ..Default::default()
            },
            "[domain-name:value = 'tracker.example' OR domain-name:value LIKE '%.tracker.example']",
        ),
        (
            Observation {
                domain: Some(b"tracker.example"),
                ..Default::default()
            },
            "[domain-name:value = 'tracker.example' OR domain-name:value LIKE '%.tracker.example']",
        ),
        (
            Observation {
                domain: Some(b"plain.example"),
                ..Default::default()
            },
            "[domain-name:value = 'plain.example']",
        ),
        (
            Observation {
                url: Some(b"http://dl.example/payload.bin"),
                ..Default::default()
            },
            "[url:value = 'http://dl.example/payload.bin']",
        ),
        (
            Observation {
                md5: Some("D41D8CD98F00B204E9800998ECF8427E"),
                ..Default::default()
            },
            "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']",
        ),
    ];
    for (o, want) in cases {
        hits.clear();
        set.observe(&o, &mut hits);
        assert_eq!(hits.len(), 1, "{want}");
        assert_eq!(hits[0].matched, want);
        assert_eq!(hits[0].name(), Some("OT blocklist"));
        assert_eq!(hits[0].tlp(), Some(Tlp::Green));
        assert_eq!(hits[0].labels(), ["ot", "scanner"]);
        assert!(hits[0].indicator_id().starts_with("indicator--"));
    }
    hits.clear();
    set.observe(
        &Observation {
            domain: Some(b"sub.plain.example"),
            ..Default::default()
        },
        &mut hits,
    );
    assert!(hits.is_empty(), "plain domains match exactly");
}

#[test]
fn full_evaluator_single_and_sequences() {
    let (mut set, _) = load();
    let mut hits = Vec::new();
    let protos = ["ipv4", "tcp", "modbus"];
    let t0 = ts("2024-03-01T10:00:00Z");
    set.observe(
        &Observation {
            ts_ns: t0,
            dst_ip: v4([10, 1, 1, 5]),
            dst_port: Some(502),
            protocols: &protos,
            ..Default::default()
        },
        &mut hits,
    );
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].name(), Some("Modbus write to PLC"));
    hits.clear();
    set.observe(
        &Observation {
            ts_ns: t0,
            dst_ip: v4([10, 1, 1, 5]),
            dst_port: Some(503),
            protocols: &protos,
            ..Default::default()
        },
        &mut hits,
    );
    assert!(hits.is_empty());

    // FOLLOWEDBY ... WITHIN 60 SECONDS: url first does not count.
    let s = 1_000_000_000i64;
    set.observe(
        &Observation {
            ts_ns: t0,
            url: Some(b"http://fetch.example/p"),
            ..Default::default()
        },
        &mut hits,
    );
    set.observe(
        &Observation {
            ts_ns: t0 + s,
            domain: Some(b"stage.example"),
            ..Default::default()
        },
        &mut hits,
    );
    assert!(hits.is_empty());
    set.observe(
        &Observation {
            ts_ns: t0 + 100 * s,
            url: Some(b"http://fetch.example/p"),
            ..Default::default()
        },
        &mut hits,
    );
    assert!(hits.is_empty(), "outside WITHIN 60 SECONDS");
    set.observe(
        &Observation {
            ts_ns: t0 + 110 * s,
            domain: Some(b"stage.example"),
            ..Default::default()
        },
        &mut hits,
    );
    set.observe(
        &Observation {
            ts_ns: t0 + 130 * s,
            url: Some(b"http://fetch.example/p"),
            ..Default::default()
        },
        &mut hits,
    );
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].name(), Some("stage then fetch"));

    // REPEATS 3 TIMES WITHIN 10 SECONDS.
    hits.clear();
    for k in [0, 20, 21] {
        set.observe(
            &Observation {
                ts_ns: t0 + k * s,
                ja3: Some("E7D705A3286E19EA42F587B344EE6865"),
                ..Default::default()
            },
            &mut hits,
        );
    }
    assert!(hits.is_empty());
    set.observe(
        &Observation {
            ts_ns: t0 + 22 * s,
            ja3: Some("e7d705a3286e19ea42f587b344ee6865"),
            ..Default::default()
        },
        &mut hits,
    );
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].name(), Some("beacon"));
}

#[test]
fn sightings_bundle_is_valid_and_carries_markings() {
    let (mut set, _) = load();
    let mut hits = Vec::new();
    let t0 = ts("2024-03-01T10:00:00Z");
    for k in 0..5 {
        set.observe(
            &Observation {
                ts_ns: t0 + k * 1_000_000_000,
                src_ip: v4([10, 0, 0, 9]),
                dst_ip: v4([198, 51, 100, 7]),
                dst_port: Some(443),
                flow_id: Some(77),
                ..Default::default()
            },
            &mut hits,
        );
    }
    set.observe(
        &Observation {
            ts_ns: t0,
            src_ip: v4([192, 0, 2, 50]),
            ..Default::default()
        },
        &mut hits,
    );
    assert_eq!(set.sighting_count(), 2);
    let b = set.sightings_bundle("sensor-lab-1");
    if let Err(e) = crate::validate_object(&b) {
        panic!(
            "{}",
            e.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    let objs = b["objects"].as_array().unwrap();
    let sightings: Vec<&Value> = objs.iter().filter(|o| o["type"] == "sighting").collect();
    assert_eq!(sightings.len(), 2);
    let s = sightings
        .iter()
        .find(|s| s["sighting_of_ref"] == "indicator--0b3a0f43-4a6a-4b7a-9b0a-000000000010")
        .unwrap();
    assert_eq!(s["count"], 5);
    assert_eq!(s["first_seen"], "2024-03-01T10:00:00.000Z");
    assert_eq!(s["last_seen"], "2024-03-01T10:00:04.000Z");
    assert_eq!(
        s["observed_data_refs"].as_array().unwrap().len(),
        EXAMPLES_PER_SIGHTING
    );
    assert_eq!(
        s["object_marking_refs"],
        json!([
            tlp::TLP2_AMBER,
            "marking-definition--0b3a0f43-4a6a-4b7a-9b0a-0000000000aa"
        ])
    );
    let identity = objs.iter().find(|o| o["type"] == "identity").unwrap();
    assert_eq!(s["where_sighted_refs"], json!([identity["id"]]));
    assert!(objs.iter().any(|o| o["id"] == tlp::TLP2_AMBER));
    assert!(objs
        .iter()
        .any(|o| o["id"] == "marking-definition--0b3a0f43-4a6a-4b7a-9b0a-0000000000aa"));
    // The list entry gets a synthesised indicator with TLP:GREEN.
    let ls = sightings
        .iter()
        .find(|s| s["sighting_of_ref"] != "indicator--0b3a0f43-4a6a-4b7a-9b0a-000000000010")
        .unwrap();
    let ind = objs
        .iter()
        .find(|o| o["id"] == ls["sighting_of_ref"])
        .unwrap();
    assert_eq!(ind["pattern"], "[ipv4-addr:value = '192.0.2.50']");
    assert_eq!(ls["object_marking_refs"], json!([tlp::TLP2_GREEN]));
    // Observed-data reference existing SCOs.
    for r in s["observed_data_refs"].as_array().unwrap() {
        let od = objs.iter().find(|o| &o["id"] == r).unwrap();
        assert_eq!(od["x_flow_id"], 77);
    }
    for od in objs.iter().filter(|o| o["type"] == "observed-data") {
        for r in od["object_refs"].as_array().unwrap() {
            assert!(objs.iter().any(|o| &o["id"] == r), "dangling {r}");
        }
    }
}

#[test]
fn observation_scos_are_valid() {
    let protos = ["ipv4", "tcp", "http"];
    let o = Observation {
        ts_ns: ts("2024-03-01T10:00:00Z"),
        src_ip: v4([10, 0, 0, 1]),
        dst_ip: v4([10, 0, 0, 2]),
        src_port: Some(50000),
        dst_port: Some(80),
        protocols: &protos,
        domain: Some(b"Host.Example"),
        url: Some(b"http://host.example/a?b"),
        http_method: Some(b"GET"),
        http_uri: Some(b"/a?b"),
        user_agent: Some(b"curl/8.0"),
        sha1: Some("da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        file_name: Some(b"a.bin"),
        x509_sha1: Some("da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        x509_subject: Some(b"CN=host.example"),
        ja3: Some("e7d705a3286e19ea42f587b344ee6865"),
        ..Default::default()
    };
    let scos = o.to_scos();
    for s in &scos {
        if let Err(e) = crate::validate_object(s) {
            panic!("{s}: {e:?}");
        }
    }
    let nt = &scos[0];
    assert_eq!(
        nt["extensions"]["http-request-ext"]["request_method"],
        "get"
    );
    assert_eq!(
        nt["extensions"]["http-request-ext"]["request_header"]["User-Agent"],
        json!(["curl/8.0"])
    );
    assert!(scos
        .iter()
        .any(|s| s["type"] == "domain-name" && s["value"] == "host.example"));
}

#[test]
fn direct_evaluation_agrees_with_full_evaluator() {
    let pats = [
        "[url:value MATCHES '^http://c2-[0-9]+\\\\.example/']",
        "[url:value NOT MATCHES 'x$']",
        "[domain-name:value LIKE '%.example']",
        "[domain-name:value = 'a.example' OR network-traffic:dst_port = 443]",
        "[domain-name:value = 'a.example' AND network-traffic:dst_port = 443]",
        "[network-traffic:dst_port IN (80, 443) AND network-traffic:src_port > 1024]",
        "[network-traffic:dst_port NOT = 80]",
        "[network-traffic:src_port <= 1024]",
        "[x-ja3:value = 'e7d705a3286e19ea42f587b344ee6865' OR x-user-agent:value LIKE 'curl%']",
        "[file:name != 'a.bin']",
        "[x509-certificate:subject MATCHES 'CN=.*evil']",
        "[EXISTS url:value]",
        "[domain-name:value IN ('a.example', 'b.example')]",
    ];
    let protos = ["ipv4", "tcp"];
    let obs = [
        Observation {
            src_ip: v4([10, 0, 0, 1]),
            dst_ip: v4([10, 0, 0, 2]),
            src_port: Some(5000),
            dst_port: Some(443),
            protocols: &protos,
            domain: Some(b"A.example"),
            url: Some(b"http://c2-12.example/x"),
            ..Default::default()
        },
        Observation {
            src_ip: v4([10, 0, 0, 1]),
            dst_ip: v4([10, 0, 0, 2]),
            src_port: Some(80),
            dst_port: Some(80),
            protocols: &protos,
            user_agent: Some(b"curl/8"),
            file_name: Some(b"a.bin"),
            ..Default::default()
        },
        Observation {
            domain: Some(b"b.example"),
            ja3: Some("E7D705A3286E19EA42F587B344EE6865"),
            x509_subject: Some(b"CN=very evil"),
            url: Some(b"ftp://x"),
            ..Default::default()
        },
        Observation::default(),
    ];
    let mut compared = 0;
    for p in pats {
        let pat = crate::pattern::parse_with(p, Strictness::Grammar).unwrap();
        let ObsExpr::Simple(c) = &pat.root else {
            panic!()
        };
        for o in &obs {
            let scos = o.to_scos();
            let one = eval::Observation {
                id: "",
                first: 0,
                last: 0,
                count: 1,
                objects: scos.iter().collect(),
            };
            let full = eval::comp_matches(c, &one).unwrap();
            let d = super::direct::eval(o, c).unwrap_or_else(|| panic!("{p} not direct")) != 0;
            assert_eq!(d, full, "{p} on {o:?}");
            compared += 1;
        }
    }
    assert_eq!(compared, pats.len() * obs.len());
}

#[test]
fn intel_set_can_move_to_a_worker_thread() {
    fn assert_send<T: Send>() {}
    assert_send::<IntelSet>();
    assert_send::<Hit>();
}

#[test]
fn overlong_and_binary_list_lines_are_bounded() {
    let mut set = IntelSet::new();
    let mut warns = Vec::new();
    let src: Arc<str> = Arc::from("x");
    let mut data = vec![b'a'; MAX_LINE + 10];
    data.extend_from_slice(b"\n\xff\xfe\n198.51.100.1\n#@ tlp=red\n");
    set.load_list(&data, &src, Path::new("x"), &mut warns);
    assert_eq!(set.stats().indicators, 1);
    assert!(warns[0].reason.contains("longer than"), "{warns:?}");
    assert!(warns[1].reason.starts_with("not an IP"), "{warns:?}");
    // Directives after the first IOC are comments.
    let mut hits = Vec::new();
    set.observe(
        &Observation {
            dst_ip: v4([198, 51, 100, 1]),
            ..Default::default()
        },
        &mut hits,
    );
    assert_eq!(hits[0].tlp(), None);
}

#[test]
fn request_value_patterns_with_qualifiers_are_prefiltered_and_match() {
    let bundle = r#"{"type": "bundle", "id": "bundle--0b3a0f43-4a6a-4b7a-9b0a-0000000000f1", "objects": [
 {"type": "indicator", "spec_version": "2.1", "id": "indicator--0b3a0f43-4a6a-4b7a-9b0a-0000000000f2",
  "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z", "name": "admin path",
  "pattern": "[network-traffic:extensions.'http-request-ext'.request_value LIKE '/c1/%'] WITHIN 60 SECONDS",
  "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"},
 {"type": "indicator", "spec_version": "2.1", "id": "indicator--0b3a0f43-4a6a-4b7a-9b0a-0000000000f3",
  "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z", "name": "root fetch",
  "pattern": "[network-traffic:extensions.'http-request-ext'.request_value = '/'] REPEATS 2 TIMES",
  "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"}
]}"#;
    let mut set = IntelSet::new();
    let mut warns = Vec::new();
    let v: serde_json::Value = serde_json::from_str(bundle).unwrap();
    let src: Arc<str> = Arc::from("t.json");
    set.load_stix_value(&v, &src, std::path::Path::new("t.json"), &mut warns);
    set.finish_loading();
    assert!(warns.is_empty(), "{warns:?}");
    // both went to the regex prefilter, none is evaluated on every event
    assert!(set.untriggered.is_empty());
    assert_eq!(set.prefilter.len(), 1);
    let protos = ["ipv4", "tcp", "http"];
    let obs = |uri: Option<&'static [u8]>, t: &str| Observation {
        ts_ns: ts(t),
        src_ip: v4([10, 0, 0, 1]),
        dst_ip: v4([10, 0, 0, 2]),
        dst_port: Some(80),
        protocols: &protos,
        http_method: Some(b"GET"),
        http_uri: uri,
        ..Default::default()
    };
    let mut hits = Vec::new();
    set.observe(&obs(Some(b"/d/x"), "2024-02-01T00:00:00Z"), &mut hits);
    assert!(hits.is_empty());
    set.observe(&obs(Some(b"/c1/admin"), "2024-02-01T00:00:01Z"), &mut hits);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].name(), Some("admin path"));
    // no URI but a method: the evaluator sees request_value "/" (twice)
    hits.clear();
    set.observe(&obs(None, "2024-02-01T00:00:02Z"), &mut hits);
    set.observe(&obs(None, "2024-02-01T00:00:03Z"), &mut hits);
    assert!(
        hits.iter().any(|h| h.name() == Some("root fetch")),
        "{hits:?}"
    );
}

#[test]
fn file_hash_algorithms_in_use() {
    let src: Arc<str> = Arc::from("t");
    let mut w = Vec::new();
    let mut set = IntelSet::new();
    assert_eq!(set.file_hashes_used(), (false, false, false));
    // a plain list: an MD5 line
    set.load_list(
        b"198.51.100.1\nd41d8cd98f00b204e9800998ecf8427e\n",
        &src,
        Path::new("l.txt"),
        &mut w,
    );
    assert_eq!(set.file_hashes_used(), (true, false, false));
    let indicator = |n: u8, pattern: &str| {
        serde_json::json!({"type": "indicator", "spec_version": "2.1",
            "id": format!("indicator--0b3a0f43-4a6a-4b7a-9b0a-0000000000{n:02x}"),
            "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z",
            "pattern": pattern, "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"})
    };
    // the words in a string literal are not a file hash comparison
    let v = indicator(0xf0, "[url:value LIKE '%file:hashes.SHA256%']");
    set.load_stix_value(&v, &src, Path::new("b.json"), &mut w);
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(set.file_hashes_used(), (true, false, false));
    // a complex pattern (needs the evaluator) naming SHA-1
    let v = indicator(
        0xf1,
        "[file:hashes.'SHA-1' LIKE 'da39%' AND file:name = 'x.exe']",
    );
    set.load_stix_value(&v, &src, Path::new("b.json"), &mut w);
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(set.file_hashes_used(), (true, true, false));
    // the bundle above has a SHA-256 equality indicator
    let v: serde_json::Value = serde_json::from_str(BUNDLE).unwrap();
    set.load_stix_value(&v, &src, Path::new("b.json"), &mut w);
    assert_eq!(set.file_hashes_used(), (true, true, true));
}

/// Loads `text` as the plain list `name`.
fn list_set(name: &str, text: &str) -> IntelSet {
    let mut set = IntelSet::new();
    let mut warns = Vec::new();
    let source: Arc<str> = Arc::from(name);
    set.load_list(text.as_bytes(), &source, Path::new(name), &mut warns);
    set.finish_loading();
    assert!(warns.is_empty(), "{warns:?}");
    set
}

/// (signature id, matched pattern) of each hit of a C2 flow to 75.98.70.31.
fn c2_hits(set: &mut IntelSet) -> Vec<(u32, String)> {
    let mut hits = Vec::new();
    set.observe(
        &Observation {
            src_ip: v4([10, 0, 0, 5]),
            dst_ip: v4([75, 98, 70, 31]),
            dst_port: Some(443),
            ..Default::default()
        },
        &mut hits,
    );
    let mut out: Vec<(u32, String)> = hits
        .iter()
        .map(|h| (h.signature_id, h.matched.clone()))
        .collect();
    out.sort();
    out
}

#[test]
fn each_list_line_has_its_own_stable_signature_id() {
    let mut set = list_set("feed.txt", "10.0.0.0/8\n75.98.70.31\n");
    let got = c2_hits(&mut set);
    // Both lines hit (the CIDR on the source, the address on the
    // destination), each under its own id ...
    assert_eq!(got.len(), 2, "{got:?}");
    assert_ne!(got[0].0, got[1].0);
    for (sid, matched) in &got {
        assert!((SID_BASE..SID_BASE + SID_SPAN).contains(sid));
        // ... derived from the list name and the line's pattern, as documented.
        assert_eq!(*sid, signature_id_of(&format!("feed.txt\n{matched}")));
    }
    let patterns: Vec<&str> = got.iter().map(|g| g.1.as_str()).collect();
    assert!(patterns.contains(&"[ipv4-addr:value ISSUBSET '10.0.0.0/8']"));
    assert!(patterns.contains(&"[ipv4-addr:value = '75.98.70.31']"));
    // Independent of the order of the lines and of the other lines.
    let mut reversed = list_set("feed.txt", "# c2\n75.98.70.31\n10.0.0.0/8\n192.0.2.1\n");
    assert_eq!(c2_hits(&mut reversed), got);
    // The same value in another list is another indicator.
    let mut other = list_set("other.txt", "75.98.70.31\n");
    let o = c2_hits(&mut other);
    assert_eq!(o.len(), 1);
    assert!(!got.iter().any(|g| g.0 == o[0].0));
}

#[test]
fn stix_indicators_have_signature_ids_from_their_ids() {
    let (mut set, _) = load();
    let mut hits = Vec::new();
    set.observe(
        &Observation {
            dst_ip: v4([198, 51, 100, 7]),
            ..Default::default()
        },
        &mut hits,
    );
    let h = hits
        .iter()
        .find(|h| h.meta.id.is_some())
        .expect("the C2 indicator hits");
    assert_eq!(h.signature_id, signature_id_of(&h.indicator_id()));
    // Every hit of the set has a distinct id per indicator.
    let mut ids: Vec<(u32, String)> = hits
        .iter()
        .map(|h| (h.signature_id, h.indicator_id()))
        .collect();
    ids.sort();
    ids.dedup();
    let sids: std::collections::BTreeSet<u32> = ids.iter().map(|x| x.0).collect();
    assert_eq!(sids.len(), ids.len(), "{ids:?}");
}
