//! Parse throughput per protocol over the OT fixtures' real traffic
//! (testdata/ot/*/*.feed.tsv): every flow replayed through a fresh parser,
//! with EVE building on (events written into a reused JsonBuilder) and off.
//! `cargo bench -p reefwatch-ot --bench parse`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use reefwatch_applayer::{
    AppParser, Direction, EventSink, JsonBuilder, ParseResult, ProtocolDef, Transport,
};
use reefwatch_ot::feed::{parse_records, Record};
use std::collections::HashMap;
use std::path::PathBuf;

struct NullSink {
    events: bool,
    js: JsonBuilder,
    n: u64,
}

impl EventSink for NullSink {
    fn wants_events(&self) -> bool {
        self.events
    }
    fn event(&mut self, _t: &'static str, body: &mut dyn FnMut(&mut JsonBuilder)) {
        self.js.reset_object();
        body(&mut self.js);
        self.js.close();
        self.n += self.js.len() as u64;
    }
    fn event_toplevel(&mut self, t: &'static str, body: &mut dyn FnMut(&mut JsonBuilder)) {
        self.event(t, body)
    }
    fn anomaly(&mut self, _name: &'static str) {}
}

/// One flow: (direction, is UDP, payload) in capture order.
type FlowData = Vec<(Direction, bool, Vec<u8>)>;
type FlowKey = (String, u16, String, u16);

/// Flows of one protocol's fixtures and their payload bytes.
fn flows(dir: &str, def: &ProtocolDef) -> (Vec<FlowData>, u64) {
    let base = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/ot")
        .join(dir);
    let mut by_flow: HashMap<FlowKey, (String, u16, FlowData)> = HashMap::new();
    let mut bytes = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&base)
        .expect("testdata/ot")
        .flatten()
        .collect();
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let p = e.path();
        if !p.to_string_lossy().ends_with(".feed.tsv") {
            continue;
        }
        let recs: Vec<Record> = parse_records(&std::fs::read_to_string(&p).unwrap_or_default());
        for r in recs {
            let (a, b) = (r.src.clone(), r.dst.clone());
            let key = if a <= b {
                (format!("{p:?}{}", a.0), a.1, b.0.clone(), b.1)
            } else {
                (format!("{p:?}{}", b.0), b.1, a.0.clone(), a.1)
            };
            let ent = by_flow.entry(key).or_insert_with(|| {
                let c = if r.syn && r.ack { b.clone() } else { a.clone() };
                (c.0, c.1, Vec::new())
            });
            if r.data.is_empty() {
                continue;
            }
            let d = if (a.0.as_str(), a.1) == (ent.0.as_str(), ent.1) {
                Direction::ToServer
            } else {
                Direction::ToClient
            };
            bytes += r.data.len() as u64;
            ent.2.push((d, r.udp, r.data));
        }
    }
    let _ = def;
    let mut v: Vec<_> = by_flow
        .into_values()
        .map(|x| x.2)
        .filter(|x| !x.is_empty())
        .collect();
    v.sort_by_key(|x| x.len());
    (v, bytes)
}

fn replay(def: &ProtocolDef, flows: &[FlowData], sink: &mut NullSink) {
    let mut rem: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
    for f in flows {
        let mut p: Box<dyn AppParser> = (def.new_parser)();
        rem[0].clear();
        rem[1].clear();
        for (d, udp, data) in f {
            if *udp {
                let _ = p.parse(*d, data, sink);
                continue;
            }
            let i = d.index();
            let r = if rem[i].is_empty() {
                p.parse(*d, data, sink)
            } else {
                rem[i].extend_from_slice(data);
                let buf = std::mem::take(&mut rem[i]);
                let r = p.parse(*d, &buf, sink);
                if let ParseResult::Incomplete { consumed, .. } = r {
                    rem[i].extend_from_slice(&buf[consumed..]);
                }
                rem[i] = if rem[i].is_empty() {
                    buf
                } else {
                    std::mem::take(&mut rem[i])
                };
                if !matches!(r, ParseResult::Incomplete { .. }) {
                    rem[i].clear();
                }
                continue;
            };
            if let ParseResult::Incomplete { consumed, .. } = r {
                rem[i].extend_from_slice(&data[consumed..]);
            }
        }
        p.on_close(sink);
    }
}

fn bench(c: &mut Criterion) {
    let protos = reefwatch_ot::protocols();
    let dirs: &[(&str, &str)] = &[
        ("modbus", "modbus"),
        ("dnp3", "dnp3"),
        ("iec104", "iec104"),
        ("s7comm", "s7comm"),
        ("enip", "enip-cip"),
        ("opcua", "opcua"),
        ("omron", "omron-fins"),
        ("hart_ip", "hart-ip"),
        ("ads", "ads"),
    ];
    let mut g = c.benchmark_group("ot_parse");
    for (name, dir) in dirs {
        let Some(def) = protos.iter().find(|p| p.name == *name) else {
            continue;
        };
        let _ = Transport::Tcp;
        let (fl, bytes) = flows(dir, def);
        g.throughput(Throughput::Bytes(bytes));
        for events in [false, true] {
            let id = format!("{name}/{}", if events { "eve" } else { "parse_only" });
            g.bench_function(&id, |b| {
                let mut sink = NullSink {
                    events,
                    js: JsonBuilder::new_object(),
                    n: 0,
                };
                b.iter(|| replay(def, &fl, &mut sink));
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
