//! `Worker::process` over the small real captures of testdata/core
//! (credited in testdata/core/NOTICE), loaded in memory first, with EVE
//! written to a discarding sink versus EVE off. Each iteration runs a fresh
//! worker per capture, from the first packet to `finish` (flow events
//! included), so it measures decode + flow + reassembly + app-layer
//! parsing + EVE formatting without file I/O.
//!
//! `cargo bench -p reefwatch-sensor --bench engine`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use reefwatch_capture::CaptureReader;
use reefwatch_sensor::app::Registry;
use reefwatch_sensor::eve::{EveDest, EveOut};
use reefwatch_sensor::worker::Worker;
use reefwatch_sensor::EngineConfig;
use std::hint::black_box;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// (linktype, frame, ts_ns) of every packet of one capture.
type Capture = Vec<(u32, Vec<u8>, i64)>;

const FILES: &[&str] = &[
    "modbus_example.pcap",
    "dnp3_file_read.pcap",
    "iec104_dissect.pcap",
    "s7_snap7_everything.pcapng",
];

fn load(name: &str) -> Capture {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/core")
        .join(name);
    let mut r = CaptureReader::open(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut out = Vec::new();
    while let Some(p) = r.next_packet().unwrap_or_else(|e| panic!("{name}: {e}")) {
        out.push((p.linktype, p.data.to_vec(), p.ts_ns));
    }
    out
}

/// Counts the bytes written and discards them.
#[derive(Clone, Default)]
struct Counting(Arc<Mutex<u64>>);
impl Write for Counting {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut n) = self.0.lock() {
            *n += b.len() as u64;
        }
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Run every capture through a fresh worker; returns (packets, EVE events).
fn run(caps: &[Capture], reg: &Arc<Registry>, dest: Option<&EveDest>) -> (u64, u64) {
    let mut pkts = 0;
    let mut events = 0;
    for cap in caps {
        let mut w = Worker::new(
            reg.clone(),
            EveOut::new(dest.cloned()),
            EngineConfig::default(),
        );
        for (i, (lt, data, ts)) in cap.iter().enumerate() {
            w.process(*lt, data, *ts, i as u64 + 1);
        }
        let t = w.finish();
        pkts += t.stats.pkts;
        events += t.eve_events;
    }
    (pkts, events)
}

fn bench_engine(c: &mut Criterion) {
    let caps: Vec<Capture> = FILES.iter().map(|f| load(f)).collect();
    let n_pkts: usize = caps.iter().map(|c| c.len()).sum();
    let n_bytes: usize = caps.iter().flat_map(|c| c.iter().map(|p| p.1.len())).sum();
    let reg = Arc::new(Registry::builtin());
    let sink = Counting::default();
    let dest: EveDest = Arc::new(Mutex::new(Box::new(sink.clone())));

    // sanity, outside the measurement: all packets processed, EVE on writes
    // events (at least one flow event per capture), EVE off writes none
    let (p, ev) = run(&caps, &reg, Some(&dest));
    assert_eq!(p as usize, n_pkts);
    assert!(ev >= caps.len() as u64, "EVE on wrote {ev} events");
    assert!(*sink.0.lock().unwrap() > 0);
    let (p, ev) = run(&caps, &reg, None);
    assert_eq!((p as usize, ev), (n_pkts, 0));

    let mut g = c.benchmark_group("engine");
    g.sample_size(30);
    g.throughput(Throughput::Elements(n_pkts as u64));
    g.bench_function("core_captures/eve_off", |b| {
        b.iter(|| black_box(run(&caps, &reg, None)))
    });
    g.bench_function("core_captures/eve_on", |b| {
        b.iter(|| black_box(run(&caps, &reg, Some(&dest))))
    });
    g.finish();
    eprintln!(
        "engine bench input: {} captures, {n_pkts} packets, {n_bytes} bytes",
        caps.len()
    );
}

criterion_group!(benches, bench_engine);
criterion_main!(benches);
