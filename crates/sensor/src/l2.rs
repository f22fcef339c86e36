//! The layer-2 path: frames without IP whose EtherType a registered
//! [`L2ProtocolDef`] owns (GOOSE, Sampled Values, PROFINET …) go to a
//! bounded table of layer-2 "flows" keyed by (source MAC, EtherType, stream
//! id: GOOSE/SV APPID, PROFINET frame id), each with its protocol's
//! [`L2Parser`]. Events get a layer-2 header (timestamp, `flow_id`,
//! `pcap_cnt`, `event_type`, `ether` {`src_mac`, `dest_mac`, `ether_type`},
//! `vlan`, `app_proto`); no `flow` event is written for them (the parsers
//! write their own per-stream summaries), but the summary's protocol table
//! counts their flows, packets and bytes.
//!
//! Bounds: [`MAX_L2_FLOWS`] streams (past it the least recently seen is
//! closed and counted as evicted), [`L2_IDLE_TIMEOUT_NS`] of silence ends a
//! stream, and [`MAX_L2_CLAIMS`] identities remembered for
//! [`L2Context::claim`]. Non-IP frames all hash to one worker, so one
//! table sees every stream and every claim.

use crate::app::AppCounters;
use crate::eve::{write_applayer_anomaly, EveOut};
use crate::worker::WorkerStats;
use reefwatch_applayer::l2::set_mac;
use reefwatch_applayer::{EventSink, JsonBuilder, L2Context, L2Frame, L2Parser, L2ProtocolDef};
/// The table's maps: hashbrown with foldhash, as the flow table (a frame's
/// lookup is on the packet path).
type HashMap<K, V> = hashbrown::HashMap<K, V, foldhash::fast::FixedState>;

/// Layer-2 streams kept per worker.
pub const MAX_L2_FLOWS: usize = 4096;
/// Silence after which a layer-2 stream ends (capture time).
pub const L2_IDLE_TIMEOUT_NS: i64 = 120_000_000_000;
/// Identities (gocbRef, svID, station name) remembered for the
/// "another source MAC" check.
pub const MAX_L2_CLAIMS: usize = 4096;
/// Longest identity remembered (longer ones are compared by this prefix).
const MAX_CLAIM_LEN: usize = 129;

/// The layer-2 protocols the sensor knows.
pub fn builtin() -> Vec<&'static L2ProtocolDef> {
    reefwatch_ot::l2_protocols().iter().collect()
}

/// A layer-2 stream's key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct L2Key {
    pub src: [u8; 6],
    pub ethertype: u16,
    pub stream: u16,
}

struct L2Flow {
    proto: u16,
    /// order of creation (flows left at the end close in this order)
    seq: u64,
    id: u64,
    dst: [u8; 6],
    vlan: [u16; 2],
    last_ns: i64,
    pkts: u64,
    bytes: u64,
    parser: Option<Box<dyn L2Parser>>,
}

/// The per-worker table of layer-2 streams.
pub struct L2Table {
    defs: Vec<&'static L2ProtocolDef>,
    flows: HashMap<L2Key, L2Flow>,
    claims: HashMap<(u16, Box<[u8]>), [u8; 6]>,
    next_seq: u64,
    pub evicted: u64,
}

/// What the layer-2 path writes to and counts in.
pub struct L2Out<'a> {
    pub eve: &'a mut EveOut,
    pub counters: &'a mut AppCounters,
    pub stats: &'a mut WorkerStats,
    /// parse (else only count: nothing consumes the transactions)
    pub parse: bool,
    pub pcap_cnt: u64,
}

impl L2Table {
    pub fn new(defs: Vec<&'static L2ProtocolDef>) -> Self {
        L2Table {
            defs,
            flows: HashMap::default(),
            claims: HashMap::default(),
            next_seq: 0,
            evicted: 0,
        }
    }

    /// Whether some protocol owns EtherType `et` (one scan of a few
    /// entries, only for non-IP frames).
    #[inline]
    pub fn wants(&self, et: u16) -> bool {
        self.defs.iter().any(|d| d.ethertypes.contains(&et))
    }

    /// Streams open.
    pub fn len(&self) -> usize {
        self.flows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.flows.is_empty()
    }

    /// One frame of EtherType `f.ethertype`: find (or open) its stream and
    /// hand it to the parser.
    pub fn on_frame(&mut self, f: &L2Frame<'_>, caplen: usize, out: &mut L2Out<'_>) {
        let Some((proto, stream)) = self.defs.iter().enumerate().find_map(|(i, d)| {
            if !d.ethertypes.contains(&f.ethertype) {
                return None;
            }
            (d.stream_id)(f.payload).map(|s| (i as u16, s))
        }) else {
            return;
        };
        let key = L2Key {
            src: f.src_mac,
            ethertype: f.ethertype,
            stream,
        };
        if !self.flows.contains_key(&key) && self.flows.len() >= MAX_L2_FLOWS {
            self.evict_oldest(out);
        }
        let def = self.defs[proto as usize];
        let seq = &mut self.next_seq;
        let flow = self.flows.entry(key).or_insert_with(|| {
            *seq += 1;
            L2Flow {
                proto,
                seq: *seq,
                id: flow_id(&key),
                dst: f.dst_mac,
                vlan: f.vlan,
                last_ns: f.ts_ns,
                pkts: 0,
                bytes: 0,
                parser: out.parse.then(|| (def.new_parser)()),
            }
        });
        flow.pkts += 1;
        flow.bytes += caplen as u64;
        flow.last_ns = flow.last_ns.max(f.ts_ns);
        flow.dst = f.dst_mac;
        flow.vlan = f.vlan;
        if let Some(p) = flow.parser.as_mut() {
            let mut ctx = Claims {
                map: &mut self.claims,
                proto,
            };
            let mut sink = L2Sink {
                eve: out.eve,
                counters: out.counters,
                hdr: L2Hdr {
                    flow_id: flow.id,
                    src: key.src,
                    dst: f.dst_mac,
                    ethertype: f.ethertype,
                    vlan: f.vlan,
                    ts_ns: f.ts_ns,
                    pcap_cnt: out.pcap_cnt,
                },
                app_proto: def.name,
            };
            p.parse(f, &mut ctx, &mut sink);
        }
    }

    /// End the streams silent for [`L2_IDLE_TIMEOUT_NS`] at `now_ns`.
    pub fn expire(&mut self, now_ns: i64, out: &mut L2Out<'_>) {
        if self.flows.is_empty() {
            return;
        }
        let mut idle: Vec<(u64, L2Key)> = self
            .flows
            .iter()
            .filter(|(_, f)| now_ns.saturating_sub(f.last_ns) > L2_IDLE_TIMEOUT_NS)
            .map(|(k, f)| (f.seq, *k))
            .collect();
        idle.sort_unstable_by_key(|x| x.0);
        for (_, k) in idle {
            if let Some(f) = self.flows.remove(&k) {
                self.close(k, f, out);
            }
        }
    }

    /// End every stream (end of input), oldest first.
    pub fn drain(&mut self, out: &mut L2Out<'_>) {
        let mut all: Vec<(L2Key, L2Flow)> = self.flows.drain().collect();
        all.sort_unstable_by_key(|(_, f)| f.seq);
        for (k, f) in all {
            self.close(k, f, out);
        }
    }

    fn evict_oldest(&mut self, out: &mut L2Out<'_>) {
        let Some(k) = self
            .flows
            .iter()
            .min_by_key(|(_, f)| (f.last_ns, f.seq))
            .map(|(k, _)| *k)
        else {
            return;
        };
        if let Some(f) = self.flows.remove(&k) {
            self.evicted += 1;
            self.close(k, f, out);
        }
    }

    fn close(&mut self, key: L2Key, mut f: L2Flow, out: &mut L2Out<'_>) {
        let def = self.defs[f.proto as usize];
        if let Some(p) = f.parser.as_mut() {
            let mut sink = L2Sink {
                eve: out.eve,
                counters: out.counters,
                hdr: L2Hdr {
                    flow_id: f.id,
                    src: key.src,
                    dst: f.dst,
                    ethertype: key.ethertype,
                    vlan: f.vlan,
                    ts_ns: f.last_ns,
                    pcap_cnt: out.pcap_cnt,
                },
                app_proto: def.name,
            };
            p.on_close(&mut sink);
        }
        let sh = out.stats.share(def.name);
        sh.flows += 1;
        sh.pkts += f.pkts;
        sh.bytes += f.bytes;
        out.stats.flows_l2 += 1;
    }
}

/// A stable id for a layer-2 stream (FNV-1a of its key, 51 bits as
/// Suricata's flow ids stay within JSON's exact integers).
fn flow_id(k: &L2Key) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let et = k.ethertype.to_be_bytes();
    let st = k.stream.to_be_bytes();
    for b in k.src.iter().chain(&et).chain(&st) {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h & ((1 << 51) - 1)).max(1)
}

/// [`L2Context`] over the table's claims, for one protocol.
struct Claims<'a> {
    map: &'a mut HashMap<(u16, Box<[u8]>), [u8; 6]>,
    proto: u16,
}

impl L2Context for Claims<'_> {
    fn claim(&mut self, id: &[u8], mac: [u8; 6]) -> Option<[u8; 6]> {
        let id = &id[..id.len().min(MAX_CLAIM_LEN)];
        let key = (self.proto, Box::<[u8]>::from(id));
        match self.map.get(&key) {
            Some(m) if *m != mac => Some(*m),
            Some(_) => None,
            None => {
                if self.map.len() < MAX_L2_CLAIMS {
                    self.map.insert(key, mac);
                }
                None
            }
        }
    }
}

/// What a layer-2 event's header says.
#[derive(Clone, Copy)]
struct L2Hdr {
    flow_id: u64,
    src: [u8; 6],
    dst: [u8; 6],
    ethertype: u16,
    vlan: [u16; 2],
    ts_ns: i64,
    pcap_cnt: u64,
}

fn write_l2_header(js: &mut JsonBuilder, h: &L2Hdr, event_type: &str, app_proto: &str) {
    js.set_uint("flow_id", h.flow_id);
    if h.pcap_cnt > 0 {
        js.set_uint("pcap_cnt", h.pcap_cnt);
    }
    js.set_str("event_type", event_type);
    if h.vlan[0] != 0 {
        js.open_array("vlan");
        for v in h.vlan.iter().take_while(|&&v| v != 0) {
            js.append_uint(*v as u64);
        }
        js.close();
    }
    js.open_object("ether");
    set_mac(js, "src_mac", &h.src);
    set_mac(js, "dest_mac", &h.dst);
    js.set_uint("ether_type", h.ethertype as u64);
    js.close();
    js.set_str("app_proto", app_proto);
}

/// The engine's [`EventSink`] for a layer-2 stream (no IP: no intel
/// endpoints, no rules).
struct L2Sink<'a> {
    eve: &'a mut EveOut,
    counters: &'a mut AppCounters,
    hdr: L2Hdr,
    app_proto: &'static str,
}

impl EventSink for L2Sink<'_> {
    fn wants_events(&self) -> bool {
        self.eve.enabled()
    }

    fn event(&mut self, event_type: &'static str, body: &mut dyn FnMut(&mut JsonBuilder)) {
        self.counters.tx_events += 1;
        if !self.eve.enabled() {
            return;
        }
        self.eve.begin(self.hdr.ts_ns);
        write_l2_header(&mut self.eve.js, &self.hdr, event_type, self.app_proto);
        self.eve.js.open_object(event_type);
        body(&mut self.eve.js);
        self.eve.js.close();
        self.eve.end();
    }

    fn event_toplevel(&mut self, event_type: &'static str, body: &mut dyn FnMut(&mut JsonBuilder)) {
        self.counters.tx_events += 1;
        if !self.eve.enabled() {
            return;
        }
        self.eve.begin(self.hdr.ts_ns);
        write_l2_header(&mut self.eve.js, &self.hdr, event_type, self.app_proto);
        body(&mut self.eve.js);
        self.eve.end();
    }

    fn anomaly(&mut self, name: &'static str) {
        self.counters.bump(name);
        if !self.eve.enabled() {
            return;
        }
        self.eve.begin(self.hdr.ts_ns);
        write_l2_header(&mut self.eve.js, &self.hdr, "anomaly", self.app_proto);
        write_applayer_anomaly(&mut self.eve.js, self.app_proto, name);
        self.eve.end();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reefwatch_applayer::l2::NoContext;

    /// A protocol whose stream id is the payload's first byte and whose
    /// parser writes one event per frame, closing with a count.
    struct Count(u64);
    impl L2Parser for Count {
        fn parse(&mut self, f: &L2Frame<'_>, ctx: &mut dyn L2Context, out: &mut dyn EventSink) {
            self.0 += 1;
            if ctx.claim(b"id", f.src_mac).is_some() {
                out.anomaly("test.new_source");
            }
            out.event("test", &mut |js| {
                js.set_uint("n", 1);
            });
        }
        fn on_close(&mut self, out: &mut dyn EventSink) {
            let n = self.0;
            out.event("test", &mut |js| {
                js.set_uint("frames", n);
            });
        }
    }
    static TEST: L2ProtocolDef = L2ProtocolDef {
        name: "test",
        ethertypes: &[0x88b8],
        stream_id: |p| p.first().map(|&b| b as u16),
        new_parser: || Box::new(Count(0)),
    };

    fn frame(mac: u8, id: u8, ts_s: i64) -> ([u8; 1], [u8; 6], i64) {
        ([id], [0, 0, 0, 0, 0, mac], ts_s * 1_000_000_000)
    }

    #[test]
    fn streams_keyed_bounded_and_closed_in_order() {
        let mut t = L2Table::new(vec![&TEST]);
        assert!(t.wants(0x88b8) && !t.wants(0x88cc));
        let mut eve = EveOut::new(None);
        let mut counters = AppCounters::default();
        let mut stats = WorkerStats::default();
        let mut out = L2Out {
            eve: &mut eve,
            counters: &mut counters,
            stats: &mut stats,
            parse: true,
            pcap_cnt: 1,
        };
        let _ = NoContext;
        // two sources, two stream ids: three streams; the second source
        // claiming the identity is reported
        for (mac, id, ts) in [(1, 1, 0), (1, 1, 1), (1, 2, 1), (2, 1, 2)] {
            let (p, m, ts) = frame(mac, id, ts);
            let f = L2Frame {
                src_mac: m,
                dst_mac: [1; 6],
                ethertype: 0x88b8,
                vlan: [0, 0],
                payload: &p,
                ts_ns: ts,
            };
            t.on_frame(&f, 60, &mut out);
        }
        assert_eq!(t.len(), 3);
        assert_eq!(out.counters.anomalies, vec![("test.new_source", 1)]);
        // silence past the timeout ends them all
        t.expire(L2_IDLE_TIMEOUT_NS + 3_000_000_000, &mut out);
        assert!(t.is_empty());
        let sh = out
            .stats
            .by_proto
            .iter()
            .find(|p| p.name == "test")
            .unwrap();
        assert_eq!((sh.flows, sh.pkts, sh.bytes), (3, 4, 240));
        // 4 frame events + 3 closing events
        assert_eq!(out.counters.tx_events, 7);
        // the cap: the least recently seen stream is evicted
        for i in 0..=MAX_L2_FLOWS {
            let p = [(i % 256) as u8];
            let f = L2Frame {
                src_mac: [0, 0, 0, 0, (i / 256) as u8, 9],
                dst_mac: [1; 6],
                ethertype: 0x88b8,
                vlan: [0, 0],
                payload: &p,
                ts_ns: i as i64,
            };
            t.on_frame(&f, 60, &mut out);
        }
        assert_eq!((t.len(), t.evicted), (MAX_L2_FLOWS, 1));
        // another EtherType, or a payload the protocol refuses: no stream
        let f = L2Frame {
            src_mac: [7; 6],
            dst_mac: [1; 6],
            ethertype: 0x88ba,
            vlan: [0, 0],
            payload: &[],
            ts_ns: 0,
        };
        t.on_frame(&f, 60, &mut out);
        t.on_frame(
            &L2Frame {
                ethertype: 0x88b8,
                ..f
            },
            60,
            &mut out,
        );
        assert_eq!(t.len(), MAX_L2_FLOWS);
        t.drain(&mut out);
        assert!(t.is_empty());
    }
}
