//! Hub benchmark: ingest rate, page latency at N stored objects, concurrent
//! readers. Starts a hub in-process on 127.0.0.1 (loopback only) and drives
//! it over HTTP/1.1 keep-alive connections from client threads.
//!
//! cargo run --release -p reefwatch-hub --example hub_bench -- \
//!     --backend sqlite --objects 1000000 --readers 32 --secs 10
//!
//! Prints one `key: value` line per figure.

use reefwatch_hub::{AdminCmd, HubOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const TAXII: &str = "application/taxii+json;version=2.1";

struct Conn {
    addr: SocketAddr,
    token: String,
    r: BufReader<TcpStream>,
}

impl Conn {
    fn new(addr: SocketAddr, token: &str) -> Conn {
        let s = TcpStream::connect(addr).expect("connect");
        s.set_nodelay(true).ok();
        Conn {
            addr,
            token: token.to_string(),
            r: BufReader::new(s),
        }
    }
    fn req(&mut self, method: &str, path: &str, body: Option<&str>) -> (u16, Vec<u8>) {
        for _ in 0..3 {
            match self.try_req(method, path, body) {
                Ok(x) => return x,
                Err(_) => *self = Conn::new(self.addr, &self.token),
            }
        }
        panic!("request failed: {method} {path}");
    }
    fn try_req(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&str>,
    ) -> std::io::Result<(u16, Vec<u8>)> {
        let b = body.unwrap_or("");
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nAccept: {TAXII}\r\nContent-Type: {TAXII}\r\nContent-Length: {}\r\n\r\n",
            self.addr,
            self.token,
            b.len()
        );
        let s = self.r.get_mut();
        s.write_all(head.as_bytes())?;
        s.write_all(b.as_bytes())?;
        let mut line = String::new();
        self.r.read_line(&mut line)?;
        let code: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| std::io::Error::other("status"))?;
        let mut len = 0usize;
        loop {
            line.clear();
            self.r.read_line(&mut line)?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut out = vec![0u8; len];
        self.r.read_exact(&mut out)?;
        Ok((code, out))
    }
}

fn indicator(n: u64) -> String {
    format!(
        concat!(
            r#"{{"type":"indicator","spec_version":"2.1","id":"indicator--{:08x}-{:04x}-4000-8000-{:012x}","#,
            r#""created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","name":"bench indicator {}","#,
            r#""description":"Benchmark indicator for an OT network scanner seen at a utility","indicator_types":["malicious-activity"],"#,
            r#""pattern":"[ipv4-addr:value = '10.{}.{}.{}']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z","#,
            r#""created_by_ref":"identity--0b1c5b3e-9a5f-4a58-8a5f-1c6a0f2c9d11","#,
            r#""object_marking_refs":["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]}}"#
        ),
        n & 0xffff_ffff,
        (n >> 32) & 0xffff,
        n,
        n,
        (n >> 16) & 255,
        (n >> 8) & 255,
        n & 255
    )
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    if v.is_empty() {
        return 0.0;
    }
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn find_str(body: &[u8], key: &str) -> Option<String> {
    let s = std::str::from_utf8(body).ok()?;
    let pat = format!("\"{key}\":\"");
    let i = s.find(&pat)? + pat.len();
    let j = s[i..].find('"')?;
    Some(s[i..i + j].to_string())
}

fn main() {
    let mut backend = "sqlite".to_string();
    let mut objects: u64 = 1_000_000;
    let mut readers = 32usize;
    let mut secs = 10u64;
    let mut writers = 2usize;
    let mut data = std::env::temp_dir().join(format!("reefwatch-hub-bench-{}", std::process::id()));
    let mut pg_url = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut v = || args.next().expect("value");
        match a.as_str() {
            "--backend" => backend = v(),
            "--objects" => objects = v().parse().unwrap(),
            "--readers" => readers = v().parse().unwrap(),
            "--secs" => secs = v().parse().unwrap(),
            "--writers" => writers = v().parse().unwrap(),
            "--data" => data = v().into(),
            "--postgres-url" => pg_url = Some(v()),
            _ => panic!("unknown argument {a}"),
        }
    }
    let schema = format!("bench_{}", std::process::id());
    let _ = std::fs::remove_dir_all(&data);
    let opts = HubOptions {
        data: data.clone(),
        listen: Some("127.0.0.1:0".into()),
        backend: Some(backend.clone()),
        postgres_url: pg_url.clone(),
        postgres_schema: Some(schema.clone()),
        ..Default::default()
    };
    let out = reefwatch_hub::admin_blocking(
        opts.clone(),
        AdminCmd::UserAdd {
            name: "bench".into(),
            org: "bench".into(),
            admin: true,
            password: Some("x".into()),
            identity: None,
        },
    )
    .expect("admin");
    let token = out
        .lines()
        .find_map(|l| l.strip_prefix("api token: "))
        .unwrap()
        .to_string();
    reefwatch_hub::admin_blocking(
        opts.clone(),
        AdminCmd::CollectionAdd {
            title: "bench".into(),
            id: Some("bench".into()),
            description: String::new(),
            read: vec!["*".into()],
            write: vec!["*".into()],
            anonymize: false,
            api_root: "api1".into(),
        },
    )
    .expect("collection");
    let (tx, rx) = std::sync::mpsc::channel();
    {
        let opts = opts.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .unwrap();
            if let Err(e) = rt.block_on(reefwatch_hub::serve_notify(opts, Some(tx))) {
                eprintln!("hub: {e}");
                std::process::exit(1);
            }
        });
    }
    let addr = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("hub did not start");
    println!("backend: {backend}");

    // 1. Ingest: envelopes of 1,000 indicators.
    let envelopes = objects.div_ceil(1000);
    let next_env = Arc::new(AtomicU64::new(0));
    let t0 = Instant::now();
    let lat: Vec<Vec<f64>> = (0..writers)
        .map(|_| {
            let (next_env, token) = (next_env.clone(), token.clone());
            std::thread::spawn(move || {
                let mut c = Conn::new(addr, &token);
                let mut lat = Vec::new();
                loop {
                    let e = next_env.fetch_add(1, Ordering::Relaxed);
                    if e >= envelopes {
                        return lat;
                    }
                    let objs: Vec<String> = (e * 1000..(e + 1) * 1000).map(indicator).collect();
                    let body = format!("{{\"objects\":[{}]}}", objs.join(","));
                    let t = Instant::now();
                    let (code, resp) =
                        c.req("POST", "/api1/collections/bench/objects/", Some(&body));
                    lat.push(t.elapsed().as_secs_f64() * 1000.0);
                    assert_eq!(code, 202, "{}", String::from_utf8_lossy(&resp));
                    assert!(std::str::from_utf8(&resp)
                        .unwrap()
                        .contains("\"failure_count\":0"));
                }
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .collect();
    let el = t0.elapsed().as_secs_f64();
    let mut lat: Vec<f64> = lat.into_iter().flatten().collect();
    println!("ingest_objects: {}", envelopes * 1000);
    println!(
        "ingest_objects_per_s: {:.0}",
        (envelopes * 1000) as f64 / el
    );
    println!("ingest_envelope_ms_p50: {:.1}", pct(&mut lat, 0.5));
    println!("ingest_envelope_ms_p99: {:.1}", pct(&mut lat, 0.99));

    // 2. Walk every page of 1,000 (keyset `next`), timing each.
    let mut c = Conn::new(addr, &token);
    let mut tokens = Vec::new();
    let mut lat = Vec::new();
    let mut got = 0usize;
    let mut path = "/api1/collections/bench/objects/?limit=1000".to_string();
    loop {
        let t = Instant::now();
        let (code, body) = c.req("GET", &path, None);
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(code, 200);
        got += body
            .windows(15)
            .filter(|w| w == b"\"type\":\"indicat")
            .count();
        match find_str(&body, "next") {
            Some(n) => {
                tokens.push(n.clone());
                path = format!("/api1/collections/bench/objects/?limit=1000&next={n}");
            }
            None => break,
        }
    }
    assert_eq!(got as u64, envelopes * 1000, "walk saw every object once");
    println!("page_walk_pages: {}", lat.len());
    println!("page_1000_ms_p50: {:.1}", pct(&mut lat, 0.5));
    println!("page_1000_ms_p99: {:.1}", pct(&mut lat, 0.99));
    // first vs last pages: keyset paging costs the same anywhere
    let first = {
        let t = Instant::now();
        for _ in 0..20 {
            c.req("GET", "/api1/collections/bench/objects/?limit=1000", None);
        }
        t.elapsed().as_secs_f64() * 50.0
    };
    let deep = {
        let n = tokens.last().cloned().unwrap_or_default();
        let t = Instant::now();
        for _ in 0..20 {
            c.req(
                "GET",
                &format!("/api1/collections/bench/objects/?limit=1000&next={n}"),
                None,
            );
        }
        t.elapsed().as_secs_f64() * 50.0
    };
    // the last token points at the final (possibly short) page; use the one before
    let deep_full = tokens.len().checked_sub(2).map(|i| {
        let n = &tokens[i];
        let t = Instant::now();
        for _ in 0..20 {
            c.req(
                "GET",
                &format!("/api1/collections/bench/objects/?limit=1000&next={n}"),
                None,
            );
        }
        t.elapsed().as_secs_f64() * 50.0
    });
    println!("page_first_ms_avg: {first:.1}");
    println!("page_deepest_full_ms_avg: {:.1}", deep_full.unwrap_or(deep));

    // 3. Concurrent readers: random pages of 1,000 for `secs` seconds.
    let tokens = Arc::new(tokens);
    let stop_at = Instant::now() + Duration::from_secs(secs);
    let results: Vec<(u64, Vec<f64>)> = (0..readers)
        .map(|i| {
            let (tokens, token) = (tokens.clone(), token.clone());
            std::thread::spawn(move || {
                let mut c = Conn::new(addr, &token);
                let mut x: u64 = 0x9E37_79B9_7F4A_7C15 ^ (i as u64 + 1);
                let mut lat = Vec::new();
                let mut objs = 0u64;
                while Instant::now() < stop_at {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    let n = &tokens[(x % tokens.len().max(1) as u64) as usize];
                    let t = Instant::now();
                    let (code, body) = c.req(
                        "GET",
                        &format!("/api1/collections/bench/objects/?limit=1000&next={n}"),
                        None,
                    );
                    lat.push(t.elapsed().as_secs_f64() * 1000.0);
                    assert_eq!(code, 200);
                    objs += body
                        .windows(15)
                        .filter(|w| w == b"\"type\":\"indicat")
                        .count() as u64;
                }
                (objs, lat)
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .collect();
    let objs: u64 = results.iter().map(|r| r.0).sum();
    let mut lat: Vec<f64> = results.into_iter().flat_map(|r| r.1).collect();
    println!("readers: {readers}");
    println!(
        "readers_requests_per_s: {:.1}",
        lat.len() as f64 / secs as f64
    );
    println!("readers_objects_per_s: {:.0}", objs as f64 / secs as f64);
    println!("readers_page_ms_p50: {:.1}", pct(&mut lat, 0.5));
    println!("readers_page_ms_p99: {:.1}", pct(&mut lat, 0.99));

    if backend == "postgres" {
        let url = pg_url
            .or_else(|| std::env::var("REEFWATCH_PG_URL").ok())
            .unwrap_or_else(|| reefwatch_hub::DEFAULT_PG_URL.into());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let _ = rt.block_on(reefwatch_hub::store::pg::PgStore::drop_schema(
            &url, &schema,
        ));
    }
    let _ = std::fs::remove_dir_all(&data);
}
