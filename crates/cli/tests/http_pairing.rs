//! HTTP requests and responses pair by order on the connection: keep-alive
//! (HEAD, 304 and 204 without a body, 100-continue, chunked) and
//! pipelining, also when the capture shows a response before its request
//! (testdata/it/http-pairing*.pcap, made by scripts/gen/http-pairing.py;
//! the pairs are tshark's `http.response_for.uri`, except that tshark pairs
//! the interim 100 Continue with the request before it).

use std::path::PathBuf;
use std::process::Command;

fn pairs(capture: &str) -> Vec<(String, String, u64)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/it")
        .join(capture);
    let out = Command::new(env!("CARGO_BIN_EXE_reefwatch"))
        .args(["analyze", "--eve", "-", "-q"])
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["event_type"] == "http")
        .map(|e| {
            let h = &e["http"];
            (
                h["http_method"].as_str().unwrap_or("-").to_string(),
                h["url"].as_str().unwrap_or("-").to_string(),
                h["status"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

#[test]
fn requests_and_responses_pair_by_order_on_the_connection() {
    let want: Vec<(String, String, u64)> = [
        ("GET", "/a", 200),
        ("HEAD", "/b", 200),
        ("GET", "/c", 304),
        ("DELETE", "/d", 204),
        ("POST", "/e", 201),
        ("GET", "/f", 200),
        ("GET", "/p1", 200),
        ("GET", "/p2", 404),
        ("GET", "/p3", 301),
    ]
    .iter()
    .map(|(m, u, s)| (m.to_string(), u.to_string(), *s))
    .collect();
    assert_eq!(pairs("http-pairing.pcap"), want);
    // the response to /c captured before the request: without holding it
    // back every later response paired with the request before its own
    assert_eq!(pairs("http-pairing-reordered.pcap"), want);
}
