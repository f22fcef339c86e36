//! A driver shared by every protocol's fuzz target and robustness tests: feed arbitrary bytes to a protocol the way the
//! engine does (probe, then parse in pieces in both directions, keeping
//! `Incomplete` remainders bounded, gaps, close), with a sink that
//! exercises every callback (events are built into a real JsonBuilder).

use crate::BufferId;
use crate::{
    AppParser, Direction, EventSink, JsonBuilder, ParseResult, ProbeInput, ProtocolDef, Transport,
};

/// A sink that builds every event (so logger code runs) and checks that
/// its JSON is balanced and parses.
#[derive(Default)]
pub struct CheckSink {
    pub events: usize,
    pub bytes: usize,
    /// Facts reported (wanted unless `quiet`).
    pub facts: usize,
    js: Option<JsonBuilder>,
    /// Answer `wants_events() == false`, as the engine's sink does with no
    /// EVE and no intel (parsers then take their no-consumer paths).
    pub quiet: bool,
}

impl EventSink for CheckSink {
    fn wants_events(&self) -> bool {
        !self.quiet
    }
    fn event(&mut self, _t: &'static str, body: &mut dyn FnMut(&mut JsonBuilder)) {
        let js = self.js.get_or_insert_with(JsonBuilder::new_object);
        js.reset_object();
        body(js);
        js.close();
        assert_eq!(js.depth(), 0, "unbalanced event JSON: {}", js.as_str());
        if let Err(e) = serde_json::from_slice::<serde_json::Value>(js.as_bytes()) {
            panic!("event JSON does not parse ({e}): {}", js.as_str());
        }
        self.events += 1;
        self.bytes += js.len();
    }
    fn event_toplevel(&mut self, t: &'static str, body: &mut dyn FnMut(&mut JsonBuilder)) {
        self.event(t, body)
    }
    fn buffer(&mut self, _id: BufferId, data: &[u8]) {
        self.bytes += data.len();
    }
    fn fact(&mut self, _fact: crate::Fact) {
        self.facts += 1;
    }
    fn wants_facts(&self) -> bool {
        !self.quiet
    }
    fn anomaly(&mut self, _name: &'static str) {}
}

/// Most bytes the driver keeps as a remainder (the engine's bound).
const MAX_PENDING: usize = 1 << 20;

/// Drive `def` with `data`: byte 0 chooses the piece size (low 7 bits) and
/// whether the sink wants events (high bit clear), byte 1 the direction
/// pattern; every 64th piece is preceded by a gap.
pub fn drive(def: &ProtocolDef, data: &[u8]) -> usize {
    let (ctl, body) = match data {
        [a, b, rest @ ..] => ((*a, *b), rest),
        _ => return 0,
    };
    let piece = 1 + (ctl.0 & 0x7f) as usize * 4;
    let transport = def.transports.first().copied().unwrap_or(Transport::Tcp);
    let _ = (def.probe)(&ProbeInput {
        data: body,
        dir: Direction::ToServer,
        transport,
        client_port: 40000,
        server_port: def.ports.first().copied().unwrap_or(0),
    });
    let mut p: Box<dyn AppParser> = (def.new_parser)();
    let mut sink = CheckSink {
        quiet: ctl.0 & 0x80 != 0,
        ..CheckSink::default()
    };
    let mut pending: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
    for (i, chunk) in body.chunks(piece).enumerate() {
        let dir = if (ctl.1 >> (i % 8)) & 1 == 0 {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        if transport == Transport::Udp {
            let _ = p.parse(dir, chunk, &mut sink);
            continue;
        }
        if i % 64 == 63 {
            pending[dir.index()].clear();
            p.on_gap(dir, &mut sink);
        }
        let mut buf = std::mem::take(&mut pending[dir.index()]);
        buf.extend_from_slice(chunk);
        match p.parse(dir, &buf, &mut sink) {
            ParseResult::Done | ParseResult::Error => {}
            ParseResult::Incomplete { consumed, .. } => {
                assert!(consumed <= buf.len(), "consumed past the input");
                let rest = &buf[consumed..];
                if rest.len() <= MAX_PENDING {
                    pending[dir.index()] = rest.to_vec();
                } else {
                    // the engine gives up the remainder as a gap
                    p.on_gap(dir, &mut sink);
                }
            }
        }
    }
    p.on_close(&mut sink);
    sink.events
}

/// A context that remembers claims (bounded), so the parsers' "another
/// MAC address" paths run under the fuzzer.
#[derive(Default)]
struct ClaimMap(Vec<(Vec<u8>, [u8; 6])>);

impl crate::l2::L2Context for ClaimMap {
    fn claim(&mut self, id: &[u8], mac: [u8; 6]) -> Option<[u8; 6]> {
        match self.0.iter().find(|(k, _)| k == id) {
            Some((_, m)) if *m != mac => Some(*m),
            Some(_) => None,
            None => {
                if self.0.len() < 64 {
                    self.0.push((id.to_vec(), mac));
                }
                None
            }
        }
    }
}

/// Drive a layer-2 protocol as the engine does: `data` is a series of
/// frames, each `[len_hi, len_lo, ctl, payload…]` (`ctl`: bits 0-1 pick one
/// of four source MACs, bits 2-7 the time step in tenths of a second);
/// frames `stream_id` refuses are skipped, as the engine skips them. Byte 0
/// of `data`: high bit set, the sink does not want events. Every stream
/// (by source MAC and stream id) gets its own parser, closed at the end.
pub fn drive_l2(def: &crate::l2::L2ProtocolDef, data: &[u8]) -> usize {
    let Some((&ctl0, mut rest)) = data.split_first() else {
        return 0;
    };
    let mut sink = CheckSink {
        quiet: ctl0 & 0x80 != 0,
        ..CheckSink::default()
    };
    let mut ctx = ClaimMap::default();
    let mut streams: Vec<((u8, u16), Box<dyn crate::l2::L2Parser>)> = Vec::new();
    let mut ts_ns = 1_600_000_000_000_000_000i64;
    while let [hi, lo, ctl, tail @ ..] = rest {
        let n = (u16::from_be_bytes([*hi, *lo]) as usize).min(tail.len());
        let (payload, next) = tail.split_at(n);
        rest = next;
        ts_ns += (*ctl >> 2) as i64 * 100_000_000;
        let Some(id) = (def.stream_id)(payload) else {
            continue;
        };
        let mac = ctl & 3;
        let key = (mac, id);
        let i = match streams.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None if streams.len() < 16 => {
                streams.push((key, (def.new_parser)()));
                streams.len() - 1
            }
            None => continue,
        };
        let f = crate::l2::L2Frame {
            src_mac: [0, 1, 2, 3, 4, mac],
            dst_mac: [1, 0x0c, 0xcd, 1, 0, 1],
            ethertype: def.ethertypes.first().copied().unwrap_or(0),
            vlan: [0, 0],
            payload,
            ts_ns,
        };
        streams[i].1.parse(&f, &mut ctx, &mut sink);
    }
    for (_, mut p) in streams {
        p.on_close(&mut sink);
    }
    sink.events
}
