//! `reefwatch analyze --intel <TAXII collection URL>`: indicators posted to
//! a running hub are read back over TAXII 2.1 (all pages) and raise alerts.

mod hub_common;
use hub_common::*;
use reefwatch_hub::client::{fetch_collection, get_json, post_envelope, TaxiiAuth};
use std::path::PathBuf;
use std::process::Command;

fn td(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/intel")
        .join(p)
}

#[test]
fn indicators_from_a_taxii_collection_raise_alerts() {
    let data = tmpdir("taxii-intel");
    let (_hub, discovery) = start(&data, &[]);
    let base = discovery.trim_end_matches("/taxii2/").to_string();
    let auth = TaxiiAuth {
        basic: Some(("admin".into(), "admin-pw".into())),
        ..TaxiiAuth::default()
    };
    let cols = get_json(&format!("{base}/api1/collections/"), &auth).unwrap();
    let id = cols["collections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["title"] == "default")
        .expect("default collection")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let coll = format!("{base}/api1/collections/{id}/");
    let bundle: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(td("indicators.json")).unwrap()).unwrap();
    let status = post_envelope(
        &format!("{coll}objects/"),
        &auth,
        &serde_json::json!({"objects": bundle["objects"]}),
    )
    .unwrap();
    // the broken pattern is refused by the hub, the rest stored
    assert_eq!(status["failure_count"], 1, "{status}");
    assert_eq!(fetch_collection(&coll, &auth).unwrap().len(), 7);

    let eve = data.join("eve.json");
    let out = Command::new(bin())
        .arg("analyze")
        .arg(td("http-get-bro-org.pcap"))
        .arg("--intel")
        .arg(&coll)
        .arg("--eve")
        .arg(&eve)
        .arg("--sightings")
        .arg(data.join("sightings.json"))
        .env("REEFWATCH_TAXII_USER", "admin")
        .env("REEFWATCH_TAXII_PASSWORD", "admin-pw")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let alerts: Vec<serde_json::Value> = std::fs::read_to_string(&eve)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["event_type"] == "alert")
        .collect();
    assert!(
        alerts
            .iter()
            .any(|a| a["alert"]["metadata"]["stix_indicator_id"][0]
                == "indicator--a1c2e3f4-0001-4a5b-8c6d-7e8f9a0b1c2d"),
        "{alerts:?}"
    );
    assert_eq!(
        alerts[0]["alert"]["metadata"]["stix_source"][0],
        coll.as_str()
    );

    // wrong credentials: a clear error and status 2
    let out = Command::new(bin())
        .args(["analyze", "--eve", "none", "-q"])
        .arg(td("http-get-bro-org.pcap"))
        .arg("--intel")
        .arg(&coll)
        .env("REEFWATCH_TAXII_USER", "admin")
        .env("REEFWATCH_TAXII_PASSWORD", "wrong")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("HTTP 401"));
    let _ = std::fs::remove_dir_all(&data);
}
