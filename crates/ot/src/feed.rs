//! Test and benchmark driver (not the engine): replays transport payloads
//! of a capture, one record per TCP segment or UDP datagram, through the
//! OT parsers, as the engine would (content probe with port hint first,
//! per-direction remainder buffering on `Incomplete`).
//!
//! Record format (one line, tab-separated, as produced by
//! `scripts/conformance-tshark.sh --feed` or the recipe in
//! `testdata/ot/NOTICE`): `frame src sport dst dport ipproto syn ack hex`.

use crate::protocols;
use reefwatch_applayer::{
    AppParser, BufferId, Direction, EventSink, Fact, JsonBuilder, ParseResult, ProbeInput,
    ProbeResult, ProtocolDef, Transport,
};
use std::collections::HashMap;

/// One payload record.
#[derive(Debug, Clone)]
pub struct Record {
    pub frame: u64,
    pub src: (String, u16),
    pub dst: (String, u16),
    pub udp: bool,
    pub syn: bool,
    pub ack: bool,
    pub data: Vec<u8>,
}

fn unhex(s: &str) -> Vec<u8> {
    let s = s.trim();
    (0..s.len() / 2)
        .filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

/// Parse feed text into records (bad lines skipped).
pub fn parse_records(text: &str) -> Vec<Record> {
    let mut v = Vec::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 9 {
            continue;
        }
        let flag = |s: &str| s == "1" || s == "True";
        v.push(Record {
            frame: f[0].parse().unwrap_or(0),
            src: (f[1].to_string(), f[2].parse().unwrap_or(0)),
            dst: (f[3].to_string(), f[4].parse().unwrap_or(0)),
            udp: f[5] == "17",
            syn: flag(f[6]),
            ack: flag(f[7]),
            data: unhex(f[8]),
        });
    }
    v
}

/// An event as the driver saw it.
#[derive(Debug, Clone)]
pub struct Event {
    pub frame: u64,
    pub app_proto: &'static str,
    pub event_type: &'static str,
    /// JSON of the protocol object.
    pub json: String,
    /// Direction of the bytes that completed the event (`true` for
    /// events of `on_close`).
    pub to_server: bool,
    /// The flow: client address and port, server address and port.
    pub flow: (String, u16, String, u16),
    /// The flow's first record was a TCP SYN (or the flow is UDP): its
    /// start was captured.
    pub handshake: bool,
    /// Facts and buffers reported before the event (with [`run_detect`]).
    pub facts: Vec<Fact>,
    pub buffers: Vec<(BufferId, Vec<u8>)>,
}

struct Sink<'a> {
    frame: u64,
    app: &'static str,
    events: bool,
    facts: bool,
    to_server: bool,
    flow: &'a (String, u16, String, u16),
    handshake: bool,
    pending_facts: Vec<Fact>,
    pending_buffers: Vec<(BufferId, Vec<u8>)>,
    out: &'a mut dyn FnMut(Event),
    js: JsonBuilder,
    pub anomalies: u64,
}

impl EventSink for Sink<'_> {
    fn wants_events(&self) -> bool {
        self.events
    }
    fn event(&mut self, event_type: &'static str, body: &mut dyn FnMut(&mut JsonBuilder)) {
        self.js.reset_object();
        body(&mut self.js);
        self.js.close();
        (self.out)(Event {
            frame: self.frame,
            app_proto: self.app,
            event_type,
            json: self.js.as_str().to_string(),
            to_server: self.to_server,
            flow: self.flow.clone(),
            handshake: self.handshake,
            facts: std::mem::take(&mut self.pending_facts),
            buffers: std::mem::take(&mut self.pending_buffers),
        });
    }
    fn buffer(&mut self, id: BufferId, data: &[u8]) {
        if self.facts {
            self.pending_buffers.push((id, data.to_vec()));
        }
    }
    fn fact(&mut self, fact: Fact) {
        if self.facts {
            self.pending_facts.push(fact);
        }
    }
    fn wants_facts(&self) -> bool {
        self.facts
    }
    fn event_toplevel(&mut self, event_type: &'static str, body: &mut dyn FnMut(&mut JsonBuilder)) {
        self.event(event_type, body)
    }
    fn anomaly(&mut self, _name: &'static str) {
        self.anomalies += 1;
    }
}

type Key = (String, u16, String, u16, bool);

struct Flow {
    client: (String, u16),
    /// client address/port, server address/port
    key: (String, u16, String, u16),
    handshake: bool,
    proto: Option<(ProtocolDef, Box<dyn AppParser>)>,
    tried: u8,
    /// per direction: bytes kept while a probe asks for more
    probe: [Vec<u8>; 2],
    /// per direction: the last record whose bytes `probe` holds
    probe_frame: [u64; 2],
    pending: [Vec<u8>; 2],
    dead: [bool; 2],
}

/// Bytes kept per direction while a probe asks for more (as the engine).
const MAX_PROBE_BYTES: usize = 4096;

impl Flow {
    /// Feed `data` (of record `r`) to the flow's parser, keeping a split
    /// message's start per direction.
    fn parse(
        &mut self,
        dir: Direction,
        data: &[u8],
        frame: u64,
        udp: bool,
        (events, facts): (bool, bool),
        on_event: &mut dyn FnMut(Event),
    ) {
        let Some((def, parser)) = self.proto.as_mut() else {
            return;
        };
        let d = dir.index();
        if self.dead[d] {
            return;
        }
        let mut sink = Sink {
            frame,
            app: def.name,
            events,
            facts,
            to_server: dir == Direction::ToServer,
            flow: &self.key,
            handshake: self.handshake,
            pending_facts: Vec::new(),
            pending_buffers: Vec::new(),
            out: on_event,
            js: JsonBuilder::new_object(),
            anomalies: 0,
        };
        if udp {
            let _ = parser.parse(dir, data, &mut sink);
            return;
        }
        let mut buf = std::mem::take(&mut self.pending[d]);
        buf.extend_from_slice(data);
        match parser.parse(dir, &buf, &mut sink) {
            ParseResult::Done => {}
            ParseResult::Incomplete { consumed, .. } => {
                let rest = buf.get(consumed..).unwrap_or(&[]);
                if rest.len() < 1 << 20 {
                    self.pending[d] = rest.to_vec();
                }
            }
            ParseResult::Error => self.dead[d] = true,
        }
    }
}

/// Replay `records`; every event goes to `on_event`. With `events` false the
/// parsers are told nobody consumes events (parse-only cost).
pub fn run(records: &[Record], events: bool, on_event: &mut dyn FnMut(Event)) {
    run_inner(records, (events, false), on_event)
}

/// Replay `records` as a sink that wants facts would: every event comes
/// with the facts and buffers reported before it (for rule-engine tests).
pub fn run_detect(records: &[Record], on_event: &mut dyn FnMut(Event)) {
    run_inner(records, (true, true), on_event)
}

fn run_inner(records: &[Record], want: (bool, bool), on_event: &mut dyn FnMut(Event)) {
    let events = want.0;
    let protos = protocols();
    let mut flows: HashMap<Key, Flow> = HashMap::new();
    for r in records {
        let (a, b) = (&r.src, &r.dst);
        let key = if a <= b {
            (a.0.clone(), a.1, b.0.clone(), b.1, r.udp)
        } else {
            (b.0.clone(), b.1, a.0.clone(), a.1, r.udp)
        };
        let flow = flows.entry(key).or_insert_with(|| {
            let client = if r.syn && r.ack { b.clone() } else { a.clone() };
            let server = if client == *a { b.clone() } else { a.clone() };
            Flow {
                key: (client.0.clone(), client.1, server.0, server.1),
                handshake: r.udp || r.syn,
                probe: [Vec::new(), Vec::new()],
                probe_frame: [0, 0],
                client,
                proto: None,
                tried: 0,
                pending: [Vec::new(), Vec::new()],
                dead: [false, false],
            }
        });
        if r.data.is_empty() {
            continue;
        }
        let dir = if *a == flow.client {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        let (cport, sport) = if dir == Direction::ToServer {
            (a.1, b.1)
        } else {
            (b.1, a.1)
        };
        let transport = if r.udp {
            Transport::Udp
        } else {
            Transport::Tcp
        };
        // what the probe sees: this direction's bytes buffered while a
        // probe asked for more (TCP), then this record
        let mut first: Option<Vec<u8>> = None;
        if flow.proto.is_none() {
            if flow.tried > 8 {
                continue;
            }
            flow.tried += 1;
            let d = dir.index();
            let mut probe_buf = std::mem::take(&mut flow.probe[d]);
            probe_buf.extend_from_slice(&r.data);
            let pi = ProbeInput {
                data: &probe_buf,
                dir,
                transport,
                client_port: cport,
                server_port: sport,
            };
            let hinted = protos
                .iter()
                .filter(|p| p.ports.contains(&sport) && p.transports.contains(&transport));
            let rest = protos
                .iter()
                .filter(|p| !p.ports.contains(&sport) && p.transports.contains(&transport));
            let mut need_more = false;
            for p in hinted.chain(rest) {
                match (p.probe)(&pi) {
                    ProbeResult::Match => {
                        flow.proto = Some((*p, (p.new_parser)()));
                        break;
                    }
                    ProbeResult::NeedMore => need_more = true,
                    ProbeResult::NoMatch => {}
                }
            }
            if flow.proto.is_none() {
                if need_more && !r.udp && probe_buf.len() < MAX_PROBE_BYTES {
                    flow.probe[d] = probe_buf;
                    flow.probe_frame[d] = r.frame;
                }
                continue;
            }
            // the other direction's buffered bytes go first, as in the engine
            let other = std::mem::take(&mut flow.probe[d ^ 1]);
            if !other.is_empty() {
                let odir = if d == 0 {
                    Direction::ToClient
                } else {
                    Direction::ToServer
                };
                flow.parse(odir, &other, flow.probe_frame[d ^ 1], r.udp, want, on_event);
            }
            first = Some(probe_buf);
        }
        let data = first.as_deref().unwrap_or(&r.data);
        flow.parse(dir, data, r.frame, r.udp, want, on_event);
    }
    let mut keys: Vec<Key> = flows.keys().cloned().collect();
    keys.sort();
    for k in keys {
        if let Some(mut fl) = flows.remove(&k) {
            if let Some((def, mut p)) = fl.proto.take() {
                let mut sink = Sink {
                    frame: 0,
                    app: def.name,
                    events,
                    facts: want.1,
                    to_server: true,
                    flow: &fl.key,
                    handshake: fl.handshake,
                    pending_facts: Vec::new(),
                    pending_buffers: Vec::new(),
                    out: on_event,
                    js: JsonBuilder::new_object(),
                    anomalies: 0,
                };
                p.on_close(&mut sink);
            }
        }
    }
}
