//! Scale benchmark for `reefwatch_stix::intel` (run in release):
//!
//!     cargo run --release -p reefwatch-stix --example intel_scale -- 1000000
//!
//! Generates N equality IOCs (a plain list: 1/4 IPv4, 1/4 domains, 1/4 URLs,
//! 1/4 SHA-256) plus 1,000 complex STIX patterns (AND, FOLLOWEDBY … WITHIN,
//! REPEATS, MATCHES) in a temporary directory, then reports load time,
//! resident memory (VmRSS after load, VmHWM peak) per indicator, and the
//! cost of `observe` per event (mostly misses, 1% hits).
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Instant;

use reefwatch_stix::intel::{IntelSet, Observation};

fn splitmix(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// CPU time (user + system) of this process, seconds.
fn cpu_s() -> f64 {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = s.rsplit_once(')').map(|x| x.1).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let t = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // Fields 14 and 15 (utime, stime) are at 11 and 12 after the name.
    (t(11) + t(12)) / 100.0
}

fn status_kb(field: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// The i-th IOC of each kind (deterministic, unique).
fn ioc(i: u64, out: &mut Vec<u8>) {
    let mut seed = i;
    let h = splitmix(&mut seed);
    match i % 4 {
        0 => {
            // Unique IPv4 derived from i (bijective mix of 32 bits).
            let a = ((i / 4) as u32).wrapping_mul(2_654_435_761) ^ 0x5bd1_e995;
            let _ = write!(out, "{}", Ipv4Addr::from(a));
        }
        1 => {
            let _ = write!(out, "d{:x}{:x}.example{}.com", i, h & 0xffff, h % 100);
        }
        2 => {
            let _ = write!(
                out,
                "http://h{:x}.example.net/p/{}?q={:x}",
                h & 0xfffff,
                i,
                h >> 40
            );
        }
        _ => {
            let mut s = h;
            for _ in 0..4 {
                let _ = write!(out, "{:016x}", splitmix(&mut s));
            }
        }
    }
}

fn complex_bundle(n: usize) -> String {
    let mut objs = Vec::new();
    for i in 0..n {
        let pat = match i % 4 {
            0 => format!("[network-traffic:dst_port = {} AND network-traffic:dst_ref.value ISSUBSET '10.{}.0.0/16']", 1000 + i, i % 250),
            1 => format!("[domain-name:value = 'stage{i}.example'] FOLLOWEDBY [url:value = 'http://fetch{i}.example/p'] WITHIN 300 SECONDS"),
            2 => format!("[x-ja3:value = '{:032x}'] REPEATS 5 TIMES WITHIN 60 SECONDS", i as u128 * 7919),
            _ => format!("[url:value MATCHES '^http://c2-{i}\\\\.example/[a-z]+\\\\.php$']"),
        };
        objs.push(format!(
            r#"{{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-{i:012}","created":"2024-01-01T00:00:00Z","modified":"2024-01-01T00:00:00Z","pattern":"{}","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"}}"#,
            pat.replace('\\', "\\\\").replace('"', "\\\"")
        ));
    }
    format!(
        r#"{{"type":"bundle","id":"bundle--00000000-0000-4000-8000-000000000000","objects":[{}]}}"#,
        objs.join(",")
    )
}

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let complex: usize = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
    let dir = std::env::temp_dir().join(format!("reefwatch-intel-scale-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let t = Instant::now();
    {
        let f = std::fs::File::create(dir.join("iocs.txt")).expect("create");
        let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
        let mut line = Vec::with_capacity(128);
        writeln!(w, "#@ name=scale test\n#@ tlp=green").unwrap();
        for i in 0..n {
            line.clear();
            ioc(i, &mut line);
            line.push(b'\n');
            w.write_all(&line).unwrap();
        }
        w.flush().unwrap();
        std::fs::write(dir.join("complex.json"), complex_bundle(complex)).unwrap();
    }
    let file_mb = std::fs::metadata(dir.join("iocs.txt"))
        .map(|m| m.len())
        .unwrap_or(0) as f64
        / 1e6;
    eprintln!(
        "generated {n} IOCs ({file_mb:.0} MB) + {complex} complex patterns in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let rss0 = status_kb("VmRSS:");
    let t = Instant::now();
    let c0 = cpu_s();
    let (mut set, warns) = IntelSet::load(std::slice::from_ref(&dir));
    let load_s = t.elapsed().as_secs_f64();
    let load_cpu = cpu_s() - c0;
    let rss1 = status_kb("VmRSS:");
    let hwm = status_kb("VmHWM:");
    let _ = std::fs::remove_dir_all(&dir);
    let st = set.stats();
    assert!(warns.is_empty(), "{:?}", &warns[..warns.len().min(5)]);
    let per = |kb: u64| (kb.saturating_sub(rss0)) as f64 * 1024.0 / st.indicators.max(1) as f64;
    println!(
        "indicators loaded: {} (fast-path keys {}, complex {})",
        st.indicators, st.fast_keys, st.complex
    );
    println!(
        "load time: {load_s:.2} s wall, {load_cpu:.2} s CPU ({:.0} ns/indicator wall)",
        load_s * 1e9 / st.indicators.max(1) as f64
    );
    println!(
        "resident memory: {:.0} MB after load ({:.0} B/indicator), peak {:.0} MB ({:.0} B/indicator); tables {:.0} MB",
        (rss1 - rss0) as f64 / 1024.0,
        per(rss1),
        (hwm.saturating_sub(rss0)) as f64 / 1024.0,
        per(hwm),
        set.table_bytes() as f64 / 1e6
    );

    // observe(): events with 1% hits on the fast path.
    let events: u64 = std::env::args()
        .nth(3)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let protos = ["ipv4", "tcp", "http"];
    let mut hits = Vec::new();
    let mut seed = 42u64;
    let mut bufs: Vec<Vec<u8>> = (0..4).map(|_| Vec::with_capacity(128)).collect();
    let t = Instant::now();
    let mut nh = 0usize;
    for e in 0..events {
        let r = splitmix(&mut seed);
        let hit = r.is_multiple_of(100) && n > 0;
        for (k, b) in bufs.iter_mut().enumerate() {
            b.clear();
            if hit {
                ioc((r / 100 % (n / 4).max(1)) * 4 + k as u64, b);
            } else {
                let _ = write!(b, "miss{r:x}.example.org");
            }
        }
        let dst = if hit {
            std::str::from_utf8(&bufs[0])
                .ok()
                .and_then(|s| s.parse::<Ipv4Addr>().ok())
                .unwrap_or(Ipv4Addr::new(192, 0, 2, 1))
        } else {
            Ipv4Addr::from(r as u32)
        };
        let sha = std::str::from_utf8(&bufs[3]).unwrap_or("");
        let o = Observation {
            ts_ns: 1_700_000_000_000_000_000 + e as i64 * 1000,
            src_ip: Some(IpAddr::V4(Ipv4Addr::new(10, 9, 8, 7))),
            dst_ip: Some(IpAddr::V4(dst)),
            src_port: Some(40000),
            dst_port: Some(80),
            protocols: &protos,
            domain: Some(&bufs[1]),
            url: Some(&bufs[2]),
            sha256: if hit { Some(sha) } else { None },
            ..Default::default()
        };
        hits.clear();
        set.observe(&o, &mut hits);
        nh += hits.len();
    }
    let el = t.elapsed().as_secs_f64();
    println!(
        "observe: {:.0} ns/event over {events} events (IP, domain, URL per event; {nh} hits; {} eval errors)",
        el * 1e9 / events as f64,
        set.stats().eval_errors
    );
}
