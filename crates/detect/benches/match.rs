//! Inspecting one HTTP-like request payload (to_server, TCP) against 0,
//! 100, 1k, 10k and all the ET Open rules (../shared/rules/
//! et-open-2024-all.rules; skipped when absent): prefilter + confirm, per
//! packet. `cargo bench -p reefwatch-detect --bench match`
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use reefwatch_detect::{Engine, FlowDetect, PacketView, RuleSet, Scratch, Vars};
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

const PAYLOAD: &[u8] = b"GET /index.php?id=1&cmd=ls%20-la HTTP/1.1\r\nHost: www.example.com\r\n\
User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64)\r\nAccept: */*\r\nCookie: session=abcdef0123456789\r\n\r\n";

fn bench(c: &mut Criterion) {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/rules/et-open-2024-all.rules");
    let mut set = RuleSet::new();
    if path.exists() {
        if let Err(e) = set.load_file(&path, &Vars::suricata_defaults(), None) {
            eprintln!("{}: {e}", path.display());
        }
    } else {
        eprintln!("{} absent: only the empty set is measured", path.display());
    }
    let all = set.rules;
    let p = PacketView {
        ts_ns: 1,
        src: IpAddr::V4(Ipv4Addr::new(203, 0, 113, 5)),
        dst: IpAddr::V4(Ipv4Addr::new(192, 168, 1, 10)),
        sport: 50000,
        dport: 80,
        ip_proto: 6,
        tcp_flags: Some(0x18),
        icmp: None,
        payload: PAYLOAD,
        to_server: Some(true),
        established: true,
        app_proto: None,
        stream_bytes: [PAYLOAD.len() as u64, 0],
        flow_id: 1,
    };
    let mut g = c.benchmark_group("inspect_packet");
    g.throughput(Throughput::Bytes(PAYLOAD.len() as u64));
    for n in [0usize, 100, 1000, 10_000, usize::MAX] {
        if n != 0 && n != usize::MAX && n > all.len() {
            continue;
        }
        if n == usize::MAX && all.is_empty() {
            continue;
        }
        let rules: Vec<_> = all.iter().take(n).cloned().collect();
        let name = if n == usize::MAX {
            format!("all_{}", rules.len())
        } else {
            n.to_string()
        };
        let e = Engine::new(rules);
        let mut s = Scratch::new(&e);
        let mut out = Vec::new();
        g.bench_function(name, |b| {
            b.iter(|| {
                out.clear();
                let mut f = FlowDetect::default();
                e.inspect_packet(&p, &mut f, &mut s, &mut out);
                out.len()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
