//! Flow table and reassembly throughput.
//!
//! - `flow_table/lookup_touch_hit`: 100k live flows, lookups of existing
//!   flows in a scattered order, each followed by `touch` (the per-packet
//!   work of the engine once a flow exists).
//! - `flow_table/create_100k`: create 100k flows into an empty table and
//!   drain them (the per-flow cost of short flows).
//! - `reassembly/*`: one 1 MiB direction in 1448-byte segments, delivered
//!   in order, with every pair of segments swapped, and with windows of 8
//!   segments arriving in reverse order. Throughput is stream bytes.
//!
//! `cargo bench -p reefwatch-flow --bench flow`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use reefwatch_flow::{Chunk, FlowConfig, FlowKey, FlowTable, MemBudget, Stream, StreamConfig};
use std::hint::black_box;

const N_FLOWS: usize = 100_000;

fn keys(n: usize) -> Vec<(FlowKey, bool)> {
    (0..n)
        .map(|i| {
            let mut src = [0u8; 16];
            let mut dst = [0u8; 16];
            src[..4].copy_from_slice(&[10, (i >> 16) as u8, (i >> 8) as u8, i as u8]);
            dst[..4].copy_from_slice(&[192, 168, 1, (i % 7) as u8 + 1]);
            let sport = 1024 + (i % 60000) as u16;
            let dport = [80u16, 443, 502, 20000, 44818, 53][i % 6];
            FlowKey::new(&src, &dst, sport, dport, 6, false, [0, 0])
        })
        .collect()
}

fn bench_table(c: &mut Criterion) {
    let mut g = c.benchmark_group("flow_table");
    g.sample_size(20);
    let ks = keys(N_FLOWS);
    // scattered visiting order (multiplicative stride, coprime to N)
    let order: Vec<usize> = (0..N_FLOWS).map(|i| (i * 7919) % N_FLOWS).collect();

    let mut table: FlowTable<u32> = FlowTable::new(FlowConfig::default());
    for (i, (k, a)) in ks.iter().enumerate() {
        table.lookup(k, *a, i as i64, false, || 0, &mut |_f, _r| {});
    }
    assert_eq!(table.len(), N_FLOWS);
    g.throughput(Throughput::Elements(N_FLOWS as u64));
    let mut ts = N_FLOWS as i64;
    g.bench_function("lookup_touch_hit", |b| {
        b.iter(|| {
            let mut acc = 0u64;
            for &i in &order {
                let (k, a) = &ks[i];
                ts += 1;
                let l = table.lookup(k, !*a, ts, false, || 0, &mut |_f, _r| {});
                let f = table.get_mut(l.idx);
                f.pkts[l.dir] += 1;
                f.data += 1;
                acc += l.dir as u64;
                table.touch(l.idx);
            }
            assert_eq!(table.len(), N_FLOWS);
            black_box(acc)
        })
    });

    g.bench_function("create_100k", |b| {
        b.iter(|| {
            let mut t: FlowTable<u32> = FlowTable::new(FlowConfig::default());
            for (i, (k, a)) in ks.iter().enumerate() {
                let l = t.lookup(k, *a, i as i64, false, || 0, &mut |_f, _r| {});
                t.touch(l.idx);
            }
            let mut n = 0u32;
            t.drain(&mut |_f, _r| n += 1);
            assert_eq!(n as usize, N_FLOWS);
            black_box(n)
        })
    });
    g.finish();
}

const STREAM_LEN: usize = 1 << 20;
const MSS: usize = 1448;

/// Segment order for a pattern: indices into the in-order segment list.
fn order(pattern: &str, n: usize) -> Vec<usize> {
    let mut o: Vec<usize> = (0..n).collect();
    match pattern {
        "in_order" => {}
        "pairs_swapped" => {
            for c in o.chunks_mut(2) {
                c.reverse();
            }
        }
        "reverse_windows_8" => {
            for c in o.chunks_mut(8) {
                c.reverse();
            }
        }
        _ => unreachable!("unknown pattern {pattern}"),
    }
    o
}

fn bench_reassembly(c: &mut Criterion) {
    let mut g = c.benchmark_group("reassembly");
    g.sample_size(20);
    let data: Vec<u8> = (0..STREAM_LEN).map(|i| (i * 31 % 253) as u8).collect();
    let segs: Vec<(u32, &[u8])> = data
        .chunks(MSS)
        .enumerate()
        .map(|(i, s)| (1000u32.wrapping_add((i * MSS) as u32), s))
        .collect();
    let cfg = StreamConfig {
        depth: 0,
        ..StreamConfig::default()
    };
    g.throughput(Throughput::Bytes(STREAM_LEN as u64));
    for pattern in ["in_order", "pairs_swapped", "reverse_windows_8"] {
        let ord = order(pattern, segs.len());
        let run = |mem: &mut MemBudget| -> (u64, u64) {
            let mut s = Stream::default();
            s.on_syn(999);
            let mut delivered = 0u64;
            let mut sum = 0u64;
            for &i in &ord {
                let (seq, d) = segs[i];
                s.on_segment(seq, d, 0, &cfg, mem, &mut |c| {
                    if let Chunk::Data(b, _) = c {
                        delivered += b.len() as u64;
                        sum = sum.wrapping_add(b[0] as u64);
                    }
                });
            }
            s.release(mem);
            (delivered, sum)
        };
        // all bytes come out, with no gap, for every pattern
        let mut mem = MemBudget::new(64 << 20);
        assert_eq!(run(&mut mem).0, STREAM_LEN as u64, "{pattern}");
        assert_eq!(mem.used, 0);
        g.bench_with_input(BenchmarkId::from_parameter(pattern), &pattern, |b, _| {
            b.iter(|| black_box(run(&mut mem)))
        });
    }
    g.finish();
}

criterion_group!(benches, bench_table, bench_reassembly);
criterion_main!(benches);
