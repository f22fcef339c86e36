//! Durability: an object acknowledged in a status resource (HTTP 202)
//! survives `kill -9` of the hub at any moment. A writer thread posts
//! envelopes while the hub is SIGKILLed at random moments, again and again;
//! after each restart every acknowledged object must be readable, and every
//! status resource must still be there.

mod hub_common;
use hub_common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TAXII: &str = "application/taxii+json;version=2.1";

/// Minimal HTTP/1.1 client (Connection: close) so the test needs no deps.
fn http(
    addr: &str,
    token: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    let b = body.unwrap_or("");
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nAccept: {TAXII}\r\nContent-Type: {TAXII}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{b}",
        b.len()
    );
    s.write_all(req.as_bytes())?;
    let mut out = Vec::new();
    s.read_to_end(&mut out)?;
    let text = String::from_utf8_lossy(&out).to_string();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no header end"))?;
    let code = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other("bad status"))?;
    Ok((code, body.to_string()))
}

fn indicator(n: u64) -> String {
    format!(
        r#"{{"type":"indicator","spec_version":"2.1","id":"indicator--{:08x}-{:04x}-4000-8000-000000000000","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '10.0.0.1']","pattern_type":"stix","valid_from":"2020-01-01T00:00:00Z"}}"#,
        n & 0xffff_ffff,
        (n >> 32) & 0xffff
    )
}

/// Every id in the collection (all versions), reading pages of 10,000.
fn all_ids(addr: &str, token: &str, coll: &str) -> std::collections::HashSet<String> {
    let mut ids = std::collections::HashSet::new();
    let mut next: Option<String> = None;
    loop {
        let mut path = format!("/api1/collections/{coll}/manifest/?limit=10000");
        if let Some(n) = &next {
            path.push_str(&format!("&next={n}"));
        }
        let (code, body) = http(addr, token, "GET", &path, None).unwrap();
        assert_eq!(code, 200, "{body}");
        let v: serde_json_lite::Value = serde_json_lite::parse(&body);
        for id in v.ids {
            ids.insert(id);
        }
        match v.next {
            Some(n) => next = Some(n),
            None => return ids,
        }
    }
}

/// Tiny extraction of `"id":"..."` and `"next":"..."` from TAXII JSON
/// (keeps this test free of a JSON dependency).
mod serde_json_lite {
    pub struct Value {
        pub ids: Vec<String>,
        pub next: Option<String>,
    }
    fn strings_after(s: &str, key: &str) -> Vec<String> {
        let pat = format!("\"{key}\":\"");
        let mut out = Vec::new();
        let mut rest = s;
        while let Some(i) = rest.find(&pat) {
            rest = &rest[i + pat.len()..];
            if let Some(j) = rest.find('"') {
                out.push(rest[..j].to_string());
                rest = &rest[j..];
            }
        }
        out
    }
    pub fn parse(s: &str) -> Value {
        Value {
            ids: strings_after(s, "id"),
            next: strings_after(s, "next").into_iter().next(),
        }
    }
}

fn xorshift(x: &mut u64) -> u64 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    *x
}

#[test]
fn acknowledged_objects_survive_kill_9_sqlite() {
    kill_loop(&tmpdir("hub-durability"), &[]);
}

/// Same against PostgreSQL (REEFWATCH_PG_URL, default local `test` db), in a
/// schema of its own that is dropped afterwards (with psql, when present).
#[test]
fn acknowledged_objects_survive_kill_9_postgres() {
    let schema = format!("dur_{}", std::process::id());
    let url = std::env::var("REEFWATCH_PG_URL")
        .unwrap_or_else(|_| "postgresql://postgres@127.0.0.1:5432/test".into());
    kill_loop(
        &tmpdir("hub-durability-pg"),
        &[
            "--backend",
            "postgres",
            "--postgres-url",
            &url,
            "--pg-schema",
            &schema,
        ],
    );
    let _ = std::process::Command::new("psql")
        .arg(&url)
        .args([
            "-q",
            "-c",
            &format!("DROP SCHEMA IF EXISTS {schema} CASCADE"),
        ])
        .output();
}

fn kill_loop(data: &std::path::Path, backend: &[&str]) {
    let data = data.to_path_buf();
    let with = |a: &[&str]| -> Vec<String> {
        backend
            .iter()
            .chain(a.iter())
            .map(|s| s.to_string())
            .collect()
    };
    let out = admin(
        &data,
        &with(&["user", "add", "writer", "--org", "w", "--admin"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    let token = out
        .lines()
        .find_map(|l| l.strip_prefix("api token: "))
        .unwrap()
        .trim()
        .to_string();
    admin(
        &data,
        &with(&[
            "collection",
            "add",
            "dur",
            "--id",
            "dur",
            "--read",
            "*",
            "--write",
            "*",
        ])
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>(),
    );
    let rounds: usize = std::env::var("HUB_DURABILITY_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8);
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    let acked: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
    let statuses: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
    let mut counter = 0u64;
    let started = Instant::now();
    for round in 0..rounds {
        let (mut hub, url) = start(&data, backend);
        let addr = url
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap()
            .to_string();
        // After a restart, everything acknowledged so far must be there.
        let have = all_ids(&addr, &token, "dur");
        let want = acked.lock().unwrap().clone();
        let missing: Vec<_> = want.iter().filter(|id| !have.contains(*id)).collect();
        assert!(
            missing.is_empty(),
            "round {round}: {} acknowledged objects lost after kill -9, e.g. {:?}",
            missing.len(),
            missing.first()
        );
        for sid in statuses.lock().unwrap().iter().rev().take(5) {
            let (code, body) =
                http(&addr, &token, "GET", &format!("/api1/status/{sid}/"), None).unwrap();
            assert_eq!(code, 200, "status {sid} lost: {body}");
        }
        // Writer: post envelopes of 100 until the hub dies.
        let stop = Arc::new(AtomicBool::new(false));
        let base = counter;
        counter += 1_000_000;
        let w = {
            let (addr, token, acked, statuses, stop) = (
                addr.clone(),
                token.clone(),
                acked.clone(),
                statuses.clone(),
                stop.clone(),
            );
            std::thread::spawn(move || {
                let mut n = base;
                while !stop.load(Ordering::Relaxed) {
                    let objs: Vec<String> = (0..100).map(|i| indicator(n + i)).collect();
                    let body = format!("{{\"objects\":[{}]}}", objs.join(","));
                    match http(
                        &addr,
                        &token,
                        "POST",
                        "/api1/collections/dur/objects/",
                        Some(&body),
                    ) {
                        Ok((202, resp)) => {
                            let v = serde_json_lite::parse(&resp);
                            // first "id" is the status id, then one per success
                            let mut it = v.ids.into_iter();
                            if let Some(sid) = it.next() {
                                statuses.lock().unwrap().push(sid);
                            }
                            acked.lock().unwrap().extend(it);
                        }
                        Ok((code, resp)) => panic!("unexpected {code}: {resp}"),
                        Err(_) => break, // hub killed mid-request: not acknowledged
                    }
                    n += 100;
                }
            })
        };
        let delay = 150 + xorshift(&mut seed) % 900;
        std::thread::sleep(Duration::from_millis(delay));
        hub.0.kill().unwrap(); // SIGKILL
        let _ = hub.0.wait();
        stop.store(true, Ordering::Relaxed);
        w.join().unwrap();
        drop(hub);
    }
    let (_hub, url) = start(&data, backend);
    let addr = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let have = all_ids(&addr, &token, "dur");
    let want = acked.lock().unwrap().clone();
    assert!(
        want.len() >= 100 * rounds / 2,
        "writer made progress: {} acknowledged",
        want.len()
    );
    let missing = want.iter().filter(|id| !have.contains(*id)).count();
    assert_eq!(missing, 0, "acknowledged objects lost");
    eprintln!("durability {backend:?}: {rounds} kill -9 rounds, {} acknowledged objects all present ({:?})", want.len(), started.elapsed());
    let _ = std::fs::remove_dir_all(&data);
}
