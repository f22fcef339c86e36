//! `reefwatch intel …` end to end: runs the built binary.

use std::path::PathBuf;
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_reefwatch"))
}

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("reefwatch-intel-cli-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&d).expect("tmp");
    d
}

const OBSERVED: &str = r#"[{"type": "bundle", "id": "bundle--11111111-1111-4111-8111-111111111111", "objects": [
 {"type": "observed-data", "spec_version": "2.1", "id": "observed-data--22222222-2222-4222-8222-222222222222",
  "created": "2024-03-01T10:00:00Z", "modified": "2024-03-01T10:00:00Z",
  "first_observed": "2024-03-01T10:00:00Z", "last_observed": "2024-03-01T10:00:00Z", "number_observed": 1,
  "object_refs": ["network-traffic--33333333-3333-4333-8333-333333333333", "ipv4-addr--44444444-4444-4444-8444-444444444444", "domain-name--55555555-5555-4555-8555-555555555555"]},
 {"type": "network-traffic", "id": "network-traffic--33333333-3333-4333-8333-333333333333",
  "dst_ref": "ipv4-addr--44444444-4444-4444-8444-444444444444", "dst_port": 502, "protocols": ["ipv4", "tcp", "modbus"]},
 {"type": "ipv4-addr", "id": "ipv4-addr--44444444-4444-4444-8444-444444444444", "value": "198.51.100.7"},
 {"type": "domain-name", "id": "domain-name--55555555-5555-4555-8555-555555555555", "value": "plc.example.net"}
]}]"#;

const PATTERNS: &str = "# OT indicators\n\
[network-traffic:dst_ref.value ISSUBSET '198.51.100.0/24' AND network-traffic:dst_port = 502]\n\
\n\
[domain-name:value = 'evil.example.org']\n\
[domain-name:value LIKE '%.example.net']\n";

#[test]
fn match_prints_like_stix2_matcher() {
    let d = tmpdir("match");
    std::fs::write(d.join("obs.json"), OBSERVED).unwrap();
    std::fs::write(d.join("pats.txt"), PATTERNS).unwrap();
    let out = bin()
        .args(["intel", "match", "-p"])
        .arg(d.join("pats.txt"))
        .arg("-f")
        .arg(d.join("obs.json"))
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(
        stdout,
        "\nMATCH:  [network-traffic:dst_ref.value ISSUBSET '198.51.100.0/24' AND network-traffic:dst_port = 502]\n\
         \nNO MATCH:  [domain-name:value = 'evil.example.org']\n\
         \nMATCH:  [domain-name:value LIKE '%.example.net']\n"
    );
    assert_eq!(out.status.code(), Some(1), "a NO MATCH gives exit 1");

    // -q prints only NO MATCH lines.
    let q = bin()
        .args(["intel", "match", "-q", "-s", "2.1", "-p"])
        .arg(d.join("pats.txt"))
        .arg("-f")
        .arg(d.join("obs.json"))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&q.stdout),
        "\nNO MATCH:  [domain-name:value = 'evil.example.org']\n"
    );

    // Same output and exit code as the reference tool when it is installed.
    if let Ok(r) = Command::new("stix2-matcher")
        .args(["-s", "2.1", "-p"])
        .arg(d.join("pats.txt"))
        .arg("-f")
        .arg(d.join("obs.json"))
        .output()
    {
        if r.status.code() != Some(2) || !String::from_utf8_lossy(&r.stderr).contains("No module") {
            assert_eq!(
                String::from_utf8_lossy(&r.stdout),
                stdout,
                "differs from stix2-matcher"
            );
            assert_eq!(r.status.code(), out.status.code());
        }
    }

    // A bad pattern is an error (exit 2), the others still print.
    std::fs::write(
        d.join("bad.txt"),
        "[domain-name:value = ]\n[domain-name:value = 'plc.example.net']\n",
    )
    .unwrap();
    let b = bin()
        .args(["intel", "match", "-p"])
        .arg(d.join("bad.txt"))
        .arg("-f")
        .arg(d.join("obs.json"))
        .output()
        .unwrap();
    assert_eq!(b.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&b.stderr).contains("ERROR: [domain-name:value = ]"));
    assert!(String::from_utf8_lossy(&b.stdout)
        .contains("MATCH:  [domain-name:value = 'plc.example.net']"));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn validate_pattern_reports_position() {
    let out = bin()
        .args([
            "intel",
            "validate-pattern",
            "[ipv4-addr:value = '10.0.0.1'] REPEATS 2 TIMES",
            "[ipv4-addr:value = ]",
        ])
        .output()
        .expect("run");
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(
        s.contains("valid: [ipv4-addr:value = '10.0.0.1'] REPEATS 2 TIMES\n"),
        "{s}"
    );
    assert!(
        s.contains("invalid: [ipv4-addr:value = ]\n  error at position 19: expected a literal"),
        "{s}"
    );
    assert!(
        s.contains("\n  [ipv4-addr:value = ]\n                     ^\n"),
        "{s}"
    );
    assert_eq!(out.status.code(), Some(1));
    let ok = bin()
        .args([
            "intel",
            "validate-pattern",
            "[file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f']",
        ])
        .output()
        .unwrap();
    assert_eq!(ok.status.code(), Some(0));
}

#[test]
fn validate_files_names_object_and_property() {
    let d = tmpdir("validate");
    let bundle = r#"{"type": "bundle", "id": "bundle--11111111-1111-4111-8111-111111111111", "objects": [
      {"type": "indicator", "spec_version": "2.1", "id": "indicator--66666666-6666-4666-8666-666666666666",
       "created": "2024-03-01T10:00:00+01:00", "modified": "2024-03-01T10:00:00Z",
       "pattern": "[ipv4-addr:value = '10.0.0.1']", "pattern_type": "stix", "valid_from": "2024-03-01T10:00:00Z"}]}"#;
    std::fs::write(d.join("b.json"), bundle).unwrap();
    let out = bin()
        .args(["intel", "validate"])
        .arg(d.join("b.json"))
        .output()
        .unwrap();
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.contains("indicator--66666666-6666-4666-8666-666666666666: created: '2024-03-01T10:00:00+01:00': timestamp must be UTC"), "{s}");
    assert_eq!(out.status.code(), Some(1));
    let _ = std::fs::remove_dir_all(&d);
}
