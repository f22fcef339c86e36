#![no_main]
//! reefwatch-ot enip: hostile bytes, split anywhere, in both directions,
//! through the probe and the stream parser as the engine drives it
//! (remainder kept on Incomplete, bounded); events are built so the logger
//! runs too. Must never panic, hang or grow without bound.
use libfuzzer_sys::fuzz_target;
use reefwatch_applayer::{
    AppParser, Direction, EventSink, JsonBuilder, ParseResult, ProbeInput, Transport,
};
use reefwatch_ot::enip::{probe, state::EnipState};

struct Sink(JsonBuilder);
impl EventSink for Sink {
    fn wants_events(&self) -> bool {
        true
    }
    fn event(&mut self, _t: &'static str, body: &mut dyn FnMut(&mut JsonBuilder)) {
        self.0.reset_object();
        body(&mut self.0);
        self.0.close();
        assert_eq!(self.0.depth(), 0);
    }
    fn event_toplevel(&mut self, t: &'static str, body: &mut dyn FnMut(&mut JsonBuilder)) {
        self.event(t, body)
    }
    fn anomaly(&mut self, _name: &'static str) {}
}

fuzz_target!(|data: &[u8]| {
    for t in [Transport::Tcp, Transport::Udp] {
        let _ = probe(&ProbeInput {
            data,
            dir: Direction::ToServer,
            transport: t,
            client_port: 40000,
            server_port: 1,
        });
    }
    // records: 1 byte (bit 7 = direction to client, bits 0-6 = length)
    let mut p = EnipState::new();
    let mut sink = Sink(JsonBuilder::new_object());
    let mut rem: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
    let mut rest = data;
    while let Some((&h, tail)) = rest.split_first() {
        let n = ((h & 0x7f) as usize).min(tail.len());
        let d = if h & 0x80 != 0 { Direction::ToClient } else { Direction::ToServer };
        let i = d.index();
        rem[i].extend_from_slice(&tail[..n]);
        let buf = std::mem::take(&mut rem[i]);
        if let ParseResult::Incomplete { consumed, needed } = p.parse(d, &buf, &mut sink) {
            assert!(consumed <= buf.len());
            assert!(needed > 0);
            if buf.len() - consumed < 1 << 17 {
                rem[i] = buf[consumed..].to_vec();
            }
        }
        rest = &tail[n..];
    }
    p.on_gap(Direction::ToServer, &mut sink);
    p.on_close(&mut sink);
});
