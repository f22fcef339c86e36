//! End to end: `reefwatch analyze --intel` over real captures
//! (testdata/intel, credited in its NOTICE) with STIX indicators and a plain
//! IOC list naming hosts and domains that occur in them. Checks the EVE
//! alerts (packet numbers, metadata, TLP) and the sightings bundle.

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

fn td(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/intel")
        .join(p)
}

fn run(threads: &str) -> (Vec<Value>, Value, String) {
    let dir = std::env::temp_dir().join(format!("rw-intel-e2e-{}-{threads}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let eve = dir.join("eve.json");
    let sightings = dir.join("sightings.json");
    let out = Command::new(env!("CARGO_BIN_EXE_reefwatch"))
        .arg("analyze")
        .arg(td("http-get-bro-org.pcap"))
        .arg(td("tls1_1-google.pcap"))
        .arg(td("dns-test-example.pcap"))
        .args(["--intel"])
        .arg(td("indicators.json"))
        .args(["--intel"])
        .arg(td("iocs.txt"))
        .args(["--threads", threads, "--sensor-name", "sensor-a", "--eve"])
        .arg(&eve)
        .arg("--sightings")
        .arg(&sightings)
        .output()
        .expect("run reefwatch");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events: Vec<Value> = std::fs::read_to_string(&eve)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let bundle: Value =
        serde_json::from_str(&std::fs::read_to_string(&sightings).unwrap()).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    (
        events,
        bundle,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn alert<'a>(events: &'a [Value], name: &str) -> Vec<&'a Value> {
    events
        .iter()
        .filter(|e| e["event_type"] == "alert")
        .filter(|e| e["alert"]["signature"].as_str().unwrap().ends_with(name))
        .collect()
}

#[test]
fn indicators_raise_alerts_and_sightings() {
    for threads in ["1", "2"] {
        let (events, bundle, stderr) = run(threads);
        // the malformed indicator is skipped with its id and reason, the rest load
        assert!(
            stderr.contains("indicator--a1c2e3f4-0007-4a5b-8c6d-7e8f9a0b1c2d"),
            "{stderr}"
        );
        assert!(stderr.contains("position 21"), "{stderr}");

        // domain seen as HTTP Host (packet 9 of the first file is the request)
        let a = alert(&events, "Staging domain bro.org");
        assert_eq!(a.len(), 1);
        assert_eq!(a[0]["pcap_cnt"], 9);
        assert_eq!(a[0]["app_proto"], "http");
        assert_eq!(a[0]["src_ip"], "141.142.228.5");
        let md = &a[0]["alert"]["metadata"];
        assert_eq!(
            md["stix_indicator_id"][0],
            "indicator--a1c2e3f4-0001-4a5b-8c6d-7e8f9a0b1c2d"
        );
        assert_eq!(md["tlp"][0], "TLP:AMBER");
        assert_eq!(md["stix_kill_chain"][0], "mitre-attack:command-and-control");

        // server address: alerted once for the flow, at its first packet (15)
        let a = alert(&events, "C2 host 216.58.192.14");
        assert_eq!(a.len(), 1);
        assert_eq!(a[0]["pcap_cnt"], 15);
        assert_eq!(a[0]["dest_ip"], "216.58.192.14");

        // certificate SHA-1 from the TLS 1.1 handshake
        assert_eq!(alert(&events, "Certificate seen on C2").len(), 1);
        // DNS query name and the resolver from the plain list
        let a = alert(&events, "Phishing domain test.example.com");
        assert_eq!(a.len(), 1);
        assert_eq!(a[0]["app_proto"], "dns");
        assert_eq!(alert(&events, "iocs.txt").len(), 1);
        // a full pattern with an AND over the HTTP request
        assert_eq!(alert(&events, "Download over plain HTTP").len(), 1);
        // nothing for the indicator that never occurs
        assert!(alert(&events, "Never seen").is_empty());
        assert_eq!(
            events.iter().filter(|e| e["event_type"] == "alert").count(),
            6
        );

        // sightings: one per matched indicator, carrying the indicator's TLP
        assert_eq!(bundle["type"], "bundle");
        let sightings: Vec<&Value> = bundle["objects"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["type"] == "sighting")
            .collect();
        assert_eq!(sightings.len(), 6, "{bundle:#}");
        let s1 = sightings
            .iter()
            .find(|s| s["sighting_of_ref"] == "indicator--a1c2e3f4-0001-4a5b-8c6d-7e8f9a0b1c2d")
            .unwrap();
        assert!(s1["count"].as_u64().unwrap() >= 1);
        assert_eq!(
            s1["object_marking_refs"][0],
            "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
        );
        assert!(s1["first_seen"]
            .as_str()
            .unwrap()
            .starts_with("2013-03-07T21:42:07"));
        assert!(!s1["observed_data_refs"].as_array().unwrap().is_empty());
        assert!(!s1["where_sighted_refs"].as_array().unwrap().is_empty());
        // every object we emit validates with our STIX validator
        for o in bundle["objects"].as_array().unwrap() {
            reefwatch_stix::validate_object(o).unwrap_or_else(|e| panic!("{o:#}: {e:?}"));
        }
    }
}

/// File-hash indicators match the digests of files carried over HTTP,
/// even with `fileinfo` hashes off (the default) and with EVE off: the
/// sensor computes the digests its indicators compare. The values are
/// those of the object `tshark --export-objects http` extracts from the
/// capture (md5sum / sha256sum of CHANGES.bro-aux.txt).
#[test]
fn file_hash_indicators_match_http_files() {
    const MD5: &str = "397168fd09991a0e712254df7bc639ac";
    const SHA256: &str = "4e7c7ef0984119447e743e3ec77e1de52713e345cde03fe7df753a35849bed18";
    let dir = std::env::temp_dir().join(format!("rw-intel-filehash-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let list = dir.join("hashes.txt");
    std::fs::write(&list, format!("# file digests\n{MD5}\n")).unwrap();
    let bundle = dir.join("sha256.json");
    std::fs::write(
        &bundle,
        format!(
            r#"{{"type": "bundle", "id": "bundle--3f0c7e52-9a3b-4c1d-8e2f-5a6b7c8d9e01", "objects": [
 {{"type": "indicator", "spec_version": "2.1", "id": "indicator--3f0c7e52-9a3b-4c1d-8e2f-5a6b7c8d9e02",
  "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z", "name": "Tampered changelog",
  "pattern": "[file:hashes.'SHA-256' = '{SHA256}']", "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"}}]}}"#
        ),
    )
    .unwrap();
    let run = |eve: &str| {
        let eve_path = dir.join("eve.json");
        let sightings = dir.join("s.json");
        let out = Command::new(env!("CARGO_BIN_EXE_reefwatch"))
            .arg("analyze")
            .arg(td("http-get-bro-org.pcap"))
            .arg("--intel")
            .arg(&list)
            .arg("--intel")
            .arg(&bundle)
            .arg("--eve")
            .arg(if eve == "none" {
                "none".into()
            } else {
                eve_path.clone()
            })
            .arg("--sightings")
            .arg(&sightings)
            .arg("-q")
            .output()
            .expect("run reefwatch");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let events: Vec<Value> = if eve == "none" {
            Vec::new()
        } else {
            std::fs::read_to_string(&eve_path)
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect()
        };
        let b: Value = serde_json::from_str(&std::fs::read_to_string(&sightings).unwrap()).unwrap();
        (events, b)
    };
    let (events, _) = run("file");
    let a = alert(&events, "Tampered changelog");
    assert_eq!(a.len(), 1, "{events:#?}");
    assert_eq!(a[0]["app_proto"], "http");
    assert_eq!(a[0]["dest_port"], 80);
    assert_eq!(alert(&events, "hashes.txt").len(), 1);
    // the digests the indicators need are computed, so fileinfo has them
    let fi: Vec<&Value> = events
        .iter()
        .filter(|e| e["event_type"] == "fileinfo")
        .collect();
    assert_eq!(fi.len(), 1);
    assert_eq!(fi[0]["fileinfo"]["md5"], MD5);
    assert_eq!(fi[0]["fileinfo"]["sha256"], SHA256);
    assert!(fi[0]["fileinfo"].get("sha1").is_none());
    // with EVE off the matches still become sightings
    let (_, b) = run("none");
    let sightings = b["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["type"] == "sighting")
        .count();
    assert_eq!(sightings, 2, "{b:#}");
    std::fs::remove_dir_all(&dir).ok();
}

/// Issue #15: two lines of one IOC list matching the same flow (a CIDR and
/// a host inside it) raise two alerts with two distinct signature ids; all
/// lines used to share 2000000000, so only the first line alerted.
#[test]
fn each_ioc_line_alerts_with_its_own_signature_id() {
    let dir = std::env::temp_dir().join(format!("rw-intel-lines-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let list = dir.join("two-lines.txt");
    std::fs::write(&list, "141.142.0.0/16\n192.150.187.43\n").unwrap();
    let eve = dir.join("eve.json");
    let out = Command::new(env!("CARGO_BIN_EXE_reefwatch"))
        .arg("analyze")
        .arg(td("http-get-bro-org.pcap"))
        .arg("--intel")
        .arg(&list)
        .arg("--eve")
        .arg(&eve)
        .arg("--sightings")
        .arg(dir.join("sightings.json"))
        .arg("-q")
        .output()
        .expect("run reefwatch");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let alerts: Vec<Value> = std::fs::read_to_string(&eve)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["event_type"] == "alert")
        .collect();
    std::fs::remove_dir_all(&dir).ok();
    let mut sids: Vec<u64> = alerts
        .iter()
        .map(|a| a["alert"]["signature_id"].as_u64().unwrap())
        .collect();
    sids.sort_unstable();
    sids.dedup();
    assert_eq!(sids.len(), 2, "{alerts:#?}");
    assert!(sids
        .iter()
        .all(|s| (2_000_000_000..4_000_000_000).contains(s)));
    let flows: std::collections::HashSet<u64> = alerts
        .iter()
        .map(|a| a["flow_id"].as_u64().unwrap())
        .collect();
    assert_eq!(flows.len(), 1, "both lines alert on the one flow");
}
