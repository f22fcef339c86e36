//! Decoder throughput on typical frames: Ethernet/IPv4/TCP, 802.1Q and
//! QinQ VLANs, Ethernet/IPv6/TCP and IPv4/UDP. Each iteration decodes a
//! batch of 256 frames with varying addresses and ports (so the result is
//! not a constant), and the reported throughput is frames per second.
//!
//! `cargo bench -p reefwatch-decode --bench decode`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use reefwatch_decode::{linktype, Decoder};
use std::hint::black_box;

const BATCH: usize = 256;

fn ethernet(vlans: &[u16], ethertype: u16) -> Vec<u8> {
    let mut f = vec![
        0x00, 0x1b, 0x21, 0x0a, 0x0b, 0x0c, 0x00, 0x1b, 0x21, 0x01, 0x02, 0x03,
    ];
    for (i, v) in vlans.iter().enumerate() {
        // outer tag of QinQ is 0x88a8, inner (or single) is 0x8100
        let tpid: u16 = if i == 0 && vlans.len() > 1 {
            0x88a8
        } else {
            0x8100
        };
        f.extend_from_slice(&tpid.to_be_bytes());
        f.extend_from_slice(&v.to_be_bytes());
    }
    f.extend_from_slice(&ethertype.to_be_bytes());
    f
}

fn tcp(sport: u16, dport: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
    let mut t = Vec::with_capacity(20 + payload.len());
    t.extend_from_slice(&sport.to_be_bytes());
    t.extend_from_slice(&dport.to_be_bytes());
    t.extend_from_slice(&seq.to_be_bytes());
    t.extend_from_slice(&1u32.to_be_bytes()); // ack
    t.extend_from_slice(&[0x50, 0x18, 0xfa, 0xf0, 0, 0, 0, 0]); // doff 5, PSH|ACK
    t.extend_from_slice(payload);
    t
}

fn udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut u = Vec::with_capacity(8 + payload.len());
    u.extend_from_slice(&sport.to_be_bytes());
    u.extend_from_slice(&dport.to_be_bytes());
    u.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(payload);
    u
}

fn ipv4(src: [u8; 4], dst: [u8; 4], proto: u8, l4: &[u8]) -> Vec<u8> {
    let total = (20 + l4.len()) as u16;
    let mut ip = vec![0x45, 0];
    ip.extend_from_slice(&total.to_be_bytes());
    ip.extend_from_slice(&[0x12, 0x34, 0x40, 0x00, 64, proto, 0, 0]);
    ip.extend_from_slice(&src);
    ip.extend_from_slice(&dst);
    ip.extend_from_slice(l4);
    ip
}

fn ipv6(src_last: u16, dst_last: u16, next: u8, l4: &[u8]) -> Vec<u8> {
    let mut ip = vec![0x60, 0, 0, 0];
    ip.extend_from_slice(&(l4.len() as u16).to_be_bytes());
    ip.extend_from_slice(&[next, 64]);
    let mut a = [0u8; 16];
    a[0] = 0x20;
    a[1] = 0x01;
    a[2] = 0x0d;
    a[3] = 0xb8;
    a[14..].copy_from_slice(&src_last.to_be_bytes());
    ip.extend_from_slice(&a);
    a[14..].copy_from_slice(&dst_last.to_be_bytes());
    ip.extend_from_slice(&a);
    ip.extend_from_slice(l4);
    ip
}

/// A batch of frames of one kind; `payload` bytes of application data.
fn batch(kind: &str, payload: usize) -> Vec<Vec<u8>> {
    let data: Vec<u8> = (0..payload).map(|i| (i * 7 % 251) as u8).collect();
    (0..BATCH)
        .map(|i| {
            let h = (i % 250) as u8 + 1;
            let sport = 40000 + i as u16;
            match kind {
                "eth_ipv4_tcp" => {
                    let mut f = ethernet(&[], 0x0800);
                    f.extend(ipv4(
                        [10, 0, 0, h],
                        [10, 0, 1, 1],
                        6,
                        &tcp(sport, 502, i as u32, &data),
                    ));
                    f
                }
                "vlan_ipv4_tcp" => {
                    let mut f = ethernet(&[100], 0x0800);
                    f.extend(ipv4(
                        [10, 0, 0, h],
                        [10, 0, 1, 1],
                        6,
                        &tcp(sport, 20000, i as u32, &data),
                    ));
                    f
                }
                "qinq_ipv4_tcp" => {
                    let mut f = ethernet(&[10, 100], 0x0800);
                    f.extend(ipv4(
                        [10, 0, 0, h],
                        [10, 0, 1, 1],
                        6,
                        &tcp(sport, 44818, i as u32, &data),
                    ));
                    f
                }
                "eth_ipv6_tcp" => {
                    let mut f = ethernet(&[], 0x86dd);
                    f.extend(ipv6(h as u16, 1, 6, &tcp(sport, 443, i as u32, &data)));
                    f
                }
                "eth_ipv4_udp" => {
                    let mut f = ethernet(&[], 0x0800);
                    f.extend(ipv4(
                        [10, 0, 0, h],
                        [10, 0, 1, 53],
                        17,
                        &udp(sport, 53, &data),
                    ));
                    f
                }
                _ => unreachable!("unknown frame kind {kind}"),
            }
        })
        .collect()
}

fn bench_decode(c: &mut Criterion) {
    let mut g = c.benchmark_group("decode");
    g.sample_size(30);
    g.throughput(Throughput::Elements(BATCH as u64));
    for (kind, payload) in [
        ("eth_ipv4_tcp", 0usize),
        ("eth_ipv4_tcp", 200),
        ("eth_ipv4_tcp", 1400),
        ("vlan_ipv4_tcp", 200),
        ("qinq_ipv4_tcp", 200),
        ("eth_ipv6_tcp", 200),
        ("eth_ipv4_udp", 60),
    ] {
        let frames = batch(kind, payload);
        // sanity check once, outside the measurement: every frame decodes
        // to a transport with the expected payload length
        {
            let mut d = Decoder::new();
            for f in &frames {
                let p = d.decode(linktype::ETHERNET, f, 0);
                assert!(p.anomalies.is_empty(), "{kind}: anomalies");
                assert_eq!(p.payload.len(), payload, "{kind}: payload");
            }
        }
        let mut d = Decoder::new();
        g.bench_with_input(BenchmarkId::new(kind, payload), &frames, |b, frames| {
            b.iter(|| {
                let mut acc = 0usize;
                for f in frames {
                    let p = d.decode(linktype::ETHERNET, black_box(f), 1_000);
                    acc += p.payload.len() + p.sport as usize;
                }
                black_box(acc)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench_decode);
criterion_main!(benches);
