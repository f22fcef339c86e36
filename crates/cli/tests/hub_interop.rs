//! Interoperability: the OASIS `taxii2-client` and `stix2` Python packages
//! drive every endpoint of a real `reefwatch hub` process
//! (testdata/hub/interop.py). Needs `pip install taxii2-client stix2`.

mod hub_common;
use hub_common::*;
use std::process::Command;

#[test]
fn taxii2_client_and_stix2_drive_every_endpoint() {
    let data = tmpdir("hub-interop");
    let out = admin(
        &data,
        &[
            "user",
            "add",
            "bob",
            "--org",
            "partner",
            "--password-env",
            "BOB_PW",
        ],
    );
    assert!(out.contains("api token: rwt_"), "{out}");
    let out = admin(
        &data,
        &[
            "collection",
            "add",
            "read-only",
            "--id",
            "ro",
            "--read",
            "*",
            "--write",
            "user:admin",
        ],
    );
    assert!(out.contains("/api1/collections/ro/"), "{out}");
    let (_hub, url) = start(&data, &[]);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/hub/interop.py");
    let py = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let out = Command::new(py)
        .arg(script)
        .arg(&url)
        .env("ADMIN_PW", "admin-pw")
        .env("BOB_PW", "bob-pw")
        .env("RO_COLLECTION", "ro")
        .output()
        .expect("python3 (with pip packages taxii2-client and stix2)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "interop.py failed\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
    let _ = std::fs::remove_dir_all(&data);
}
