//! Sharing end to end: the sightings bundle `reefwatch analyze --intel …
//! --sightings F` writes for real captures (testdata/intel, credited in its
//! NOTICE) is accepted whole by a real hub on loopback, and `reefwatch intel
//! validate` agrees with the hub object by object, on that file and on one
//! the hub rejects (the custom observables as the sensor wrote them before:
//! no extension declaring them SCOs, so they lack `created`/`modified`).

mod hub_common;
use hub_common::*;
use reefwatch_hub::client::{get_json, post_envelope, TaxiiAuth};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn td(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/intel")
        .join(p)
}

fn sightings_file(dir: &Path) -> PathBuf {
    let out_file = dir.join("sightings.json");
    let out = Command::new(bin())
        .arg("analyze")
        .arg(td("http-get-bro-org.pcap"))
        .arg(td("tls1_1-google.pcap"))
        .arg(td("dns-test-example.pcap"))
        .arg("--intel")
        .arg(td("indicators.json"))
        .arg("--intel")
        .arg(td("iocs.txt"))
        .args(["--sensor-name", "sensor-a", "--eve"])
        .arg(dir.join("eve.json"))
        .arg("--sightings")
        .arg(&out_file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out_file
}

/// `reefwatch intel validate FILE`: (exit code, ids of the objects it reports).
fn validate(file: &Path) -> (i32, BTreeSet<String>) {
    let out = Command::new(bin())
        .args(["intel", "validate"])
        .arg(file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let prefix = format!("{}: ", file.display());
    let ids = text
        .lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .filter(|l| *l != "valid")
        .filter_map(|l| l.split(": ").next())
        .map(str::to_string)
        .collect();
    (out.status.code().unwrap_or(-1), ids)
}

/// POSTs the bundle's objects; returns the status resource.
fn post(coll: &str, auth: &TaxiiAuth, bundle: &Value) -> Value {
    post_envelope(
        &format!("{coll}objects/"),
        auth,
        &json!({"objects": bundle["objects"]}),
    )
    .unwrap()
}

fn failed_ids(status: &Value) -> BTreeSet<String> {
    status["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_sensors_sightings_are_accepted_by_the_hub_and_validate_agrees() {
    let data = tmpdir("sightings-hub");
    std::fs::create_dir_all(&data).unwrap();
    let file = sightings_file(&data);
    let bundle: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let objects = bundle["objects"].as_array().unwrap();
    let types: BTreeSet<&str> = objects
        .iter()
        .map(|o| o["type"].as_str().unwrap())
        .collect();
    // The objects the hub used to refuse are in the file.
    for t in [
        "x-user-agent",
        "x-ja3",
        "x-ja4",
        "sighting",
        "observed-data",
    ] {
        assert!(types.contains(t), "no {t} in {bundle:#}");
    }
    assert_eq!(validate(&file), (0, BTreeSet::new()));

    let (_hub, discovery) = start(&data.join("hub"), &[]);
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
    let status = post(&coll, &auth, &bundle);
    assert_eq!(status["failure_count"], 0, "{status:#}");
    assert_eq!(status["success_count"], objects.len(), "{status:#}");

    // The same file as the sensor wrote it before: custom observables
    // without the extension declaring them SCOs. The hub refuses exactly
    // those objects, and `intel validate` reports exactly those.
    let mut old = bundle.clone();
    let mut stripped = BTreeSet::new();
    for o in old["objects"].as_array_mut().unwrap() {
        let t = o["type"].as_str().unwrap().to_string();
        if t.starts_with("x-") {
            o.as_object_mut().unwrap().remove("extensions");
            stripped.insert(o["id"].as_str().unwrap().to_string());
        }
    }
    old["objects"]
        .as_array_mut()
        .unwrap()
        .retain(|o| o["type"] != "extension-definition");
    let old_file = data.join("old-sightings.json");
    std::fs::write(&old_file, serde_json::to_vec_pretty(&old).unwrap()).unwrap();
    let status = post(&coll, &auth, &old);
    assert_eq!(failed_ids(&status), stripped, "{status:#}");
    for f in status["failures"].as_array().unwrap() {
        let m = f["message"].as_str().unwrap();
        assert!(
            m.contains("created: required property missing")
                && m.contains("modified: required property missing"),
            "{f}"
        );
    }
    assert_eq!(validate(&old_file), (1, stripped));
    std::fs::remove_dir_all(&data).ok();
}
