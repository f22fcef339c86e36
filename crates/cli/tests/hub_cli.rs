//! `reefwatch hub` as a user runs it: first start, config file, TLS,
//! refusing plain HTTP off loopback, admin commands (user add, collection
//! add, token rotate) seen by a running hub.

mod hub_common;
use hub_common::*;
use std::process::Command;

fn py(code: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(std::env::var("PYTHON").unwrap_or_else(|_| "python3".into()))
        .arg("-c")
        .arg(code)
        .args(args)
        .output()
        .expect("python3");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// GET with Python's stdlib (no pip packages needed): prints status, then body.
const GET: &str = r#"
import sys, ssl, urllib.request, urllib.error
url, auth = sys.argv[1], sys.argv[2]
ctx = ssl.create_default_context(cafile=sys.argv[3]) if len(sys.argv) > 3 else None
req = urllib.request.Request(url, headers={"Accept": "application/taxii+json;version=2.1", "Authorization": auth})
try:
    r = urllib.request.urlopen(req, context=ctx, timeout=10)
    print(r.status); print(r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code); print(e.read().decode())
"#;

#[test]
fn first_start_generates_admin_password_once() {
    let data = tmpdir("hub-first");
    let mut child = Command::new(bin())
        .args(["hub", "--data"])
        .arg(&data)
        .args(["--listen", "127.0.0.1:0"])
        .env_remove("REEFWATCH_ADMIN_PASSWORD")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::BufRead;
    let mut pw = None;
    let mut url = None;
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    for l in lines.by_ref() {
        let l = l.unwrap();
        if let Some(p) = l.split("password: ").nth(1) {
            pw = Some(p.trim().to_string());
        }
        if let Some(u) = l.split("listening on ").nth(1) {
            url = Some(u.trim().to_string());
            break;
        }
    }
    let hub = Hub(child);
    let (pw, url) = (pw.expect("generated password printed"), url.unwrap());
    assert!(pw.len() >= 20);
    let (ok, out) = py(
        &format!("import base64;print('Basic '+base64.b64encode(b'admin:{pw}').decode())"),
        &[],
    );
    assert!(ok);
    let (ok, out) = py(GET, &[&url, out.trim()]);
    assert!(ok && out.starts_with("200"), "{out}");
    assert!(out.contains("/api1/"));
    drop(hub);
    // later start: reuses DIR, prints no password
    let (hub, url2) = start(&data, &[]);
    drop(hub);
    assert!(url2.starts_with("http://127.0.0.1:"));
    assert!(data.join("hub.sqlite").exists());
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn admin_commands_reach_a_running_hub() {
    let data = tmpdir("hub-admin");
    let (_hub, url) = start(&data, &[]);
    let base = url.trim_end_matches("taxii2/").to_string();
    let out = admin(&data, &["org", "add", "cert-a", "--partner", "cert-b"]);
    assert!(out.contains("saved organisation cert-a"));
    let out = admin(&data, &["user", "add", "alice", "--org", "cert-a"]);
    let tok1 = out
        .lines()
        .find_map(|l| l.strip_prefix("api token: "))
        .unwrap()
        .to_string();
    assert!(
        out.contains("password: "),
        "generated password shown: {out}"
    );
    let out = admin(
        &data,
        &[
            "collection",
            "add",
            "alice only",
            "--id",
            "ao",
            "--read",
            "user:alice",
            "--write",
            "user:alice",
        ],
    );
    assert!(out.contains("created collection ao"));
    let list = admin(&data, &["list"]);
    assert!(
        list.contains("user alice  org=cert-a") && list.contains("collection ao"),
        "{list}"
    );
    // the running hub reloads users within ~2 s
    let get =
        |tok: &str, path: &str| py(GET, &[&format!("{base}{path}"), &format!("Bearer {tok}")]).1;
    let mut out = String::new();
    for _ in 0..50 {
        out = get(&tok1, "api1/collections/ao/");
        if out.starts_with("200") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert!(out.starts_with("200"), "{out}");
    let out = admin(&data, &["token", "rotate", "alice"]);
    let tok2 = out
        .lines()
        .find_map(|l| l.strip_prefix("api token: "))
        .unwrap()
        .to_string();
    assert_ne!(tok1, tok2);
    let mut revoked = false;
    for _ in 0..50 {
        if get(&tok1, "api1/collections/ao/").starts_with("401") {
            revoked = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert!(revoked, "old token revoked");
    assert!(get(&tok2, "api1/collections/ao/").starts_with("200"));
    // errors are reported, not panics
    let out = Command::new(bin())
        .args(["hub", "--data"])
        .arg(&data)
        .args(["token", "rotate", "nobody"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such user"));
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn tls_and_config_file() {
    let data = tmpdir("hub-tls");
    std::fs::create_dir_all(&data).unwrap();
    let tls = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/hub/tls");
    std::fs::write(
        data.join("hub.toml"),
        format!("tls_cert = \"{tls}/cert.pem\"\ntls_key = \"{tls}/key.pem\"\ndefault_tlp = \"green\"\nmax_content_length = 1048576\n"),
    )
    .unwrap();
    let (_hub, url) = start(&data, &[]);
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let (ok, out) = py(
        GET,
        &[
            &url,
            "Basic YWRtaW46YWRtaW4tcHc=",
            &format!("{tls}/cert.pem"),
        ],
    ); // admin:admin-pw
    assert!(ok && out.starts_with("200"), "{out}");
    // the sensor's TAXII client over HTTPS, trusting the hub's CA: a
    // collection read on one kept-alive connection, and a CA that did not
    // sign the hub's certificate refused
    {
        use reefwatch_hub::client::{fetch_collection, get_json, post_envelope, TaxiiAuth};
        let auth = TaxiiAuth {
            basic: Some(("admin".into(), "admin-pw".into())),
            ca_file: Some(format!("{tls}/cert.pem").into()),
            ..TaxiiAuth::default()
        };
        let base = url.trim_end_matches("/taxii2/");
        let cols = get_json(&format!("{base}/api1/collections/"), &auth).unwrap();
        let id = cols["collections"][0]["id"].as_str().unwrap().to_string();
        let coll = format!("{base}/api1/collections/{id}/");
        let ind = |n: u32| {
            serde_json::json!({"type": "indicator", "spec_version": "2.1",
                "id": format!("indicator--00000000-0000-4000-8000-{n:012}"),
                "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
                "pattern": "[ipv4-addr:value = '10.0.0.1']", "pattern_type": "stix",
                "valid_from": "2024-01-01T00:00:00Z"})
        };
        let st = post_envelope(
            &format!("{coll}objects/"),
            &auth,
            &serde_json::json!({"objects": (1..=3).map(ind).collect::<Vec<_>>()}),
        )
        .unwrap();
        assert_eq!(st["success_count"], 3, "{st}");
        assert_eq!(fetch_collection(&coll, &auth).unwrap().len(), 3);
        let wrong = TaxiiAuth {
            ca_file: Some(
                concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../../testdata/hub/other-ca.pem"
                )
                .into(),
            ),
            ..auth.clone()
        };
        let e = fetch_collection(&coll, &wrong).unwrap_err();
        assert!(e.to_string().contains("TLS"), "{e}");
    }
    // TLS 1.2+ only: negotiated version is 1.2 or 1.3, and a TLS 1.1 client is refused
    let probe = r#"
import socket, ssl, sys
host, port = sys.argv[1].split("//")[1].split("/")[0].split(":")
ctx = ssl.create_default_context(cafile=sys.argv[2])
with socket.create_connection((host, int(port))) as s, ctx.wrap_socket(s, server_hostname="localhost") as t:
    print(t.version())
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
try:
    ctx.minimum_version = ssl.TLSVersion.TLSv1; ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    with socket.create_connection((host, int(port))) as s, ctx.wrap_socket(s) as t:
        print("OLD-ACCEPTED", t.version())
except (ssl.SSLError, OSError, ValueError) as e:
    print("old-refused")
"#;
    let (ok, out) = py(probe, &[&url, &format!("{tls}/cert.pem")]);
    assert!(ok, "{out}");
    assert!(
        out.starts_with("TLSv1.3") || out.starts_with("TLSv1.2"),
        "{out}"
    );
    assert!(out.contains("old-refused"), "{out}");
    // plain HTTP on a non-loopback address is refused without --allow-plain-http
    let d2 = tmpdir("hub-plain");
    let out = Command::new(bin())
        .args(["hub", "--data"])
        .arg(&d2)
        .args(["--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("refusing plain HTTP"));
    // a bad config file is an error with the file name
    std::fs::create_dir_all(&d2).unwrap();
    std::fs::write(d2.join("hub.toml"), "listen = 5\n").unwrap();
    let out = Command::new(bin())
        .args(["hub", "--data"])
        .arg(&d2)
        .output()
        .unwrap();
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("hub.toml"));
    let _ = std::fs::remove_dir_all(&data);
    let _ = std::fs::remove_dir_all(&d2);
}
