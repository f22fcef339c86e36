//! MELSEC MC protocol / SLMP transactions of one flow. 3E frames carry no
//! id: a 3E response answers the oldest open 3E request of the same
//! encoding (the protocol is strictly request/response per connection).
//! 4E frames carry a serial number: a 4E response answers the open 4E
//! request with its serial. A response whose route (network, PC, module
//! I/O, station) differs from its request's is flagged. At most
//! `MAX_TXS_PER_FLOW` requests stay open.

use super::logger;
use super::parser::*;
use super::tx::PendingRequest;
use reefwatch_applayer::{Anomalies, AppParser, Direction, EventSink, ParseResult, TxTable};

#[derive(Debug, Default)]
pub struct MelsecState {
    txs: TxTable<PendingRequest>,
    pub messages: u64,
    pub malformed: u64,
}

impl MelsecState {
    pub fn new() -> Self {
        Self::default()
    }

    fn on_frame(&mut self, f: &Frame<'_>, out: &mut dyn EventSink) {
        self.messages += 1;
        let mut an = Anomalies::default();
        if !f.response {
            let dev = check_request(f, &mut an);
            let id = self.txs.next_id();
            let p = PendingRequest::new(id, f, dev);
            if let Some(old) = self.txs.push(p) {
                let mut a2 = Anomalies::default();
                a2.set(A_TOO_MANY_TXS);
                a2.set(A_UNANSWERED);
                logger::log_unanswered(&old, a2, out);
            }
            an.report(ANOMALY_NAMES, out);
            if out.wants_events() {
                logger::log_request(&p, f, an, out);
            }
            return;
        }
        let (kind, ascii, serial) = (f.kind, f.ascii, f.serial);
        let p = match kind {
            Kind::E3 => self.txs.take(|p| p.kind == kind && p.ascii == ascii),
            Kind::E4 => self
                .txs
                .take(|p| p.kind == kind && p.ascii == ascii && p.serial == serial),
        };
        match &p {
            None => an.set(A_UNSOLICITED_RESPONSE),
            Some(p) if p.route != f.route => an.set(A_ADDRESS_MISMATCH),
            _ => {}
        }
        an.report(ANOMALY_NAMES, out);
        if out.wants_events() {
            let id = p.as_ref().map_or_else(|| self.txs.next_id(), |p| p.id);
            logger::log_response(id, p.as_ref(), f, an, out);
        }
    }
}

impl AppParser for MelsecState {
    fn parse(&mut self, _dir: Direction, data: &[u8], out: &mut dyn EventSink) -> ParseResult {
        let mut off = 0usize;
        // Bounded: every iteration consumes a whole frame (> 9 bytes) or
        // returns.
        while off < data.len() {
            let rest = &data[off..];
            match Frame::parse(rest) {
                Ok(f) => {
                    self.on_frame(&f, out);
                    off += f.total_len;
                }
                Err(FrameError::Truncated(n)) => {
                    return ParseResult::Incomplete {
                        consumed: off,
                        needed: n - rest.len(),
                    }
                }
                Err(FrameError::Bad) => {
                    // lost framing: drop what we were handed, the next
                    // segment usually starts a frame
                    self.malformed += 1;
                    out.anomaly(ANOMALY_NAMES[A_BAD_FRAME as usize]);
                    return ParseResult::Done;
                }
            }
        }
        ParseResult::Done
    }

    fn on_close(&mut self, out: &mut dyn EventSink) {
        let mut an = Anomalies::default();
        an.set(A_UNANSWERED);
        for p in self.txs.drain() {
            logger::log_unanswered(&p, an, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reefwatch_applayer::TestSink;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    // SLMP manual layouts: read CPU model (0101), its response "Q03UDECPU"
    // model code 0x0268; batch read D100 x2 and its response 0x1234 0x5678
    const MODEL: &str = "500000ffff030006001000010100 00";
    const READ: &str = "500000ffff03000c00100001040000640000a80200";
    const READ_OK: &str = "d00000ffff030006000000341278 56";

    fn model_resp() -> Vec<u8> {
        let mut b = hex("d00000ffff030014000000");
        b.extend_from_slice(b"Q03UDECPU       ");
        b.extend_from_slice(&[0x68, 0x02]);
        b
    }

    fn h(s: &str) -> Vec<u8> {
        hex(&s.replace(' ', ""))
    }

    #[test]
    fn pairs_3e_by_order() {
        let mut s = MelsecState::new();
        let mut sink = TestSink::default();
        // two requests pipelined in one segment, then both responses
        let reqs = [h(MODEL), h(READ)].concat();
        s.parse(Direction::ToServer, &reqs, &mut sink);
        let resps = [model_resp(), h(READ_OK)].concat();
        s.parse(Direction::ToClient, &resps, &mut sink);
        assert!(sink.anomalies.is_empty(), "{:?}", sink.anomalies);
        assert_eq!(sink.events.len(), 4);
        let m = &sink.events[2].1;
        assert!(m.contains("\"operation\":\"identify\""), "{m}");
        assert!(
            m.contains("\"model\":\"Q03UDECPU\",\"model_code\":616"),
            "{m}"
        );
        let r = &sink.events[3].1;
        assert!(r.contains("\"id\":2"), "{r}");
        assert!(
            r.contains("\"device\":{\"code_raw\":168,\"code\":\"D\",\"head\":100,\"points\":2"),
            "{r}"
        );
        assert!(r.contains("\"data\":\"34127856\""), "{r}");
        assert!(s.txs.is_empty());
    }

    #[test]
    fn pairs_4e_by_serial() {
        let mut s = MelsecState::new();
        let mut sink = TestSink::default();
        // serials 1 and 2, answered 2 first
        let r1 = h("5400 0100 0000 00ffff0300 0c00 1000 0104 0000 640000a8 0200");
        let r2 = h("5400 0200 0000 00ffff0300 0800 1000 0210 0000 0100");
        s.parse(Direction::ToServer, &[r1, r2].concat(), &mut sink);
        let a2 = h("d400 0200 0000 00ffff0300 0200 0000");
        let a1 = h("d400 0100 0000 00ffff0300 0600 0000 3412 7856");
        s.parse(Direction::ToClient, &a2, &mut sink);
        s.parse(Direction::ToClient, &a1, &mut sink);
        assert!(sink.anomalies.is_empty(), "{:?}", sink.anomalies);
        assert!(sink.events[1].1.contains("\"operation\":\"stop\""));
        assert!(sink.events[2].1.contains("\"id\":2") && sink.events[2].1.contains("remote_stop"));
        assert!(sink.events[3].1.contains("\"id\":1") && sink.events[3].1.contains("batch_read"));
    }

    #[test]
    fn split_anywhere_gives_same_events() {
        let whole = [h(READ), h(READ_OK)].concat();
        for cut in 0..whole.len() {
            let mut s = MelsecState::new();
            let mut sink = TestSink::default();
            let consumed = match s.parse(Direction::ToServer, &whole[..cut], &mut sink) {
                ParseResult::Done => cut,
                ParseResult::Incomplete { consumed, needed } => {
                    assert!(needed > 0);
                    consumed
                }
                ParseResult::Error => panic!(),
            };
            s.parse(Direction::ToServer, &whole[consumed..], &mut sink);
            assert_eq!(sink.events.len(), 2, "cut {cut}");
        }
    }

    #[test]
    fn errors_unsolicited_unanswered_bounded() {
        let mut s = MelsecState::new();
        let mut sink = TestSink::default();
        // error response (end code 0xc059) without a request
        s.parse(
            Direction::ToClient,
            &h("d00000ffff0300 0b00 59c0 00ffff0300 0104 0000"),
            &mut sink,
        );
        let e = &sink.events[0].1;
        assert!(e.contains("\"end_code\":49241"), "{e}");
        assert!(
            e.contains("\"error\":{\"network\":0,\"station\":0,\"command_raw\":1025"),
            "{e}"
        );
        assert_eq!(sink.anomalies, ["melsec.unsolicited_response"]);
        // MELSOFT (GX Works) framing is not MC protocol: a bad frame
        s.parse(
            Direction::ToServer,
            &h("57000000001111070000ffff0300"),
            &mut sink,
        );
        assert_eq!(s.malformed, 1);
        for _ in 0..(reefwatch_applayer::MAX_TXS_PER_FLOW + 1) {
            s.parse(Direction::ToServer, &h(READ), &mut sink);
        }
        assert_eq!(s.txs.len(), reefwatch_applayer::MAX_TXS_PER_FLOW);
        s.on_close(&mut sink);
        assert!(sink
            .events
            .last()
            .unwrap()
            .1
            .contains("\"type\":\"unanswered\""));
    }
}
