//! Omron FINS transactions of one flow: a command stays open until the
//! response with the same SID (service id) and command code comes back
//! from the node it was sent to (the command's destination is the
//! response's source; network and node 0 in a destination mean the local
//! one). A response with another command code answers nothing. Whether a frame is a command or a response is its
//! ICF bit, not the direction (FINS nodes are peers). Commands sent with
//! "response not required" are not kept. At most `MAX_TXS_PER_FLOW`
//! commands stay open.

use super::logger::{self, TcpInfo};
use super::parser::*;
use super::tx::PendingRequest;
use reefwatch_applayer::{Anomalies, AppParser, Direction, EventSink, ParseResult, TxTable};

#[derive(Debug, Default)]
pub struct OmronState {
    txs: TxTable<PendingRequest>,
    /// FINS/TCP framing seen on this flow.
    tcp: bool,
    pub messages: u64,
    pub malformed: u64,
}

impl OmronState {
    pub fn new() -> Self {
        Self::default()
    }

    fn on_frame(
        &mut self,
        b: &[u8],
        t: Option<TcpInfo>,
        mut an: Anomalies,
        out: &mut dyn EventSink,
    ) {
        let Some(m) = parse(b, &mut an) else {
            self.malformed += 1;
            an.set(A_INVALID_LENGTH);
            an.report(ANOMALY_NAMES, out);
            return;
        };
        self.messages += 1;
        if !m.response {
            let id = self.txs.next_id();
            let p = PendingRequest::from_message(id, &m);
            if m.icf & ICF_NO_RESPONSE == 0 {
                if let Some(old) = self.txs.push(p) {
                    let mut a2 = Anomalies::default();
                    a2.set(A_TOO_MANY_TXS);
                    a2.set(A_UNANSWERED);
                    logger::log_unanswered(&old, a2, out);
                }
            }
            an.report(ANOMALY_NAMES, out);
            if out.wants_events() {
                logger::log_request(&p, &m, t, an, out);
            }
            return;
        }
        let (sid, cmd, from) = (m.sid, m.command, m.src);
        // the response comes from the command's destination; network 0
        // and node 0 in a destination mean "local" (any)
        let answers = |p: &PendingRequest| {
            let d = p.dst;
            (d.0 == 0 || d.0 == from.0) && (d.1 == 0 || d.1 == from.1) && d.2 == from.2
        };
        // a response carries its command's code and SID
        let mut p = self
            .txs
            .take(|p| p.sid == sid && p.command == cmd && answers(p));
        if p.is_none() {
            p = self.txs.take(|p| p.sid == sid && p.command == cmd);
            if p.is_some() {
                an.set(A_ADDRESS_MISMATCH);
            }
        }
        if p.is_none() {
            an.set(A_UNSOLICITED_RESPONSE);
        }
        an.report(ANOMALY_NAMES, out);
        if out.wants_events() {
            let id = p.as_ref().map_or_else(|| self.txs.next_id(), |p| p.id);
            logger::log_response(id, p.as_ref(), &m, t, an, out);
        }
    }

    fn on_tcp(&mut self, h: &TcpHeader<&[u8]>, out: &mut dyn EventSink) {
        let t = TcpInfo {
            command: h.command(),
            error_code: h.error_code(),
        };
        let mut an = Anomalies::default();
        if t.error_code != 0 {
            an.set(A_TCP_ERROR);
        }
        match t.command {
            TCP_FRAME_SEND => self.on_frame(h.data(), Some(t), an, out),
            c => {
                if !matches!(
                    c,
                    TCP_NODE_ADDR_CLIENT
                        | TCP_NODE_ADDR_SERVER
                        | TCP_FRAME_SEND_ERROR
                        | TCP_CONNECTION_CONFIRM
                ) {
                    an.set(A_UNKNOWN_TCP_COMMAND);
                }
                self.messages += 1;
                an.report(ANOMALY_NAMES, out);
                if out.wants_events() {
                    let id = self.txs.next_id();
                    logger::log_tcp_only(id, t, h.data(), an, out);
                }
            }
        }
    }
}

impl AppParser for OmronState {
    fn parse(&mut self, _dir: Direction, data: &[u8], out: &mut dyn EventSink) -> ParseResult {
        if !self.tcp && data.first() != Some(&TCP_MAGIC[0]) {
            // a FINS frame as a datagram (UDP, or FINS straight on TCP)
            self.on_frame(data, None, Anomalies::default(), out);
            return ParseResult::Done;
        }
        self.tcp = true;
        let mut off = 0usize;
        // Bounded: every iteration consumes at least 16 bytes or returns.
        while off < data.len() {
            let rest = &data[off..];
            match TcpHeader::new_checked(rest) {
                Ok(h) => {
                    self.on_tcp(&h, out);
                    off += h.total_len().max(TCP_HDR_LEN);
                }
                Err(TcpError::Truncated(n)) => {
                    return ParseResult::Incomplete {
                        consumed: off,
                        needed: n - rest.len(),
                    }
                }
                Err(TcpError::Bad) => {
                    // lost framing: drop what we were handed, the next
                    // segment usually starts a message
                    self.malformed += 1;
                    out.anomaly(ANOMALY_NAMES[A_BAD_TCP_HEADER as usize]);
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

    // icsnpp omron_fins_tcp_commands_responses.pcap frames 4 and 5: run
    // (program 0x0000, mode 1), and its response, end code 0
    const RUN: &str = "46494e530000001700000002000000008000020000000000007a0401000001";
    const RUN_OK: &str = "46494e53000000160000000200000000c100020000000000007a04010000";

    #[test]
    fn pairs_command_and_response_over_tcp() {
        let mut s = OmronState::new();
        let mut sink = TestSink::default();
        let r = s.parse(Direction::ToServer, &hex(RUN), &mut sink);
        assert_eq!(r, ParseResult::Done);
        s.parse(Direction::ToClient, &hex(RUN_OK), &mut sink);
        assert_eq!(sink.events.len(), 2);
        let req = &sink.events[0].1;
        assert!(req.contains("\"type\":\"request\""), "{req}");
        assert!(req.contains("\"operation\":\"run\""), "{req}");
        assert!(req.contains("\"command\":\"run\""), "{req}");
        assert!(req.contains("\"mode\":1"), "{req}");
        let resp = &sink.events[1].1;
        assert!(
            resp.contains("\"id\":1") && resp.contains("\"request\":{"),
            "{resp}"
        );
        assert!(
            resp.contains("\"end_code\":\"normal_completion\""),
            "{resp}"
        );
        assert!(sink.anomalies.is_empty(), "{:?}", sink.anomalies);
        assert!(s.txs.is_empty());
    }

    #[test]
    fn split_anywhere_gives_same_events() {
        let whole = [hex(RUN), hex(RUN_OK)].concat();
        for cut in 0..whole.len() {
            let mut s = OmronState::new();
            let mut sink = TestSink::default();
            let consumed = match s.parse(Direction::ToServer, &whole[..cut], &mut sink) {
                ParseResult::Done => cut,
                ParseResult::Incomplete { consumed, needed } => {
                    assert!(needed > 0);
                    consumed
                }
                ParseResult::Error => panic!(),
            };
            let r = s.parse(Direction::ToServer, &whole[consumed..], &mut sink);
            assert_eq!(r, ParseResult::Done, "cut {cut}");
            assert_eq!(sink.events.len(), 2, "cut {cut}");
        }
    }

    #[test]
    fn udp_identity_and_unsolicited() {
        // ITI omron_test.pcap frame 18 (9600 -> 54855) without frame 17:
        // a controller data read response nobody asked for
        let resp = hex(concat!(
            "c0000200630000c800ef050100004350314c2d454c323044522d44000000",
            "2020202030312e3030000000000030312e3036000000000000"
        ));
        let mut s = OmronState::new();
        let mut sink = TestSink::default();
        s.parse(Direction::ToClient, &resp, &mut sink);
        let e = &sink.events[0].1;
        assert!(e.contains("\"model\":\"CP1L-EL20DR-D\""), "{e}");
        assert!(e.contains("\"version\":\"01.00\""), "{e}");
        assert_eq!(sink.anomalies, ["omron.unsolicited_response"]);
    }

    #[test]
    fn node_address_and_bad_header() {
        let mut s = OmronState::new();
        let mut sink = TestSink::default();
        // frame 7: server to client, client node 0xfb, server node 0xc8
        let b = hex("46494e53000000100000000100000000000000fb000000c8");
        s.parse(Direction::ToClient, &b, &mut sink);
        let e = &sink.events[0].1;
        assert!(e.contains("\"type\":\"node_address\""), "{e}");
        assert!(e.contains("\"client_node\":251,\"server_node\":200"), "{e}");
        s.parse(Direction::ToServer, b"GET / HTTP/1.1\r\n\r\n", &mut sink);
        assert_eq!(sink.anomalies, ["omron.bad_tcp_header"]);
        assert_eq!(s.malformed, 1);
    }

    #[test]
    fn unanswered_and_bounded() {
        let mut s = OmronState::new();
        let mut sink = TestSink::default();
        for i in 0..(reefwatch_applayer::MAX_TXS_PER_FLOW + 3) {
            let mut b = hex("8000020000000000007a0101820000000001");
            b[9] = i as u8;
            b[5] = (i >> 8) as u8;
            s.parse(Direction::ToServer, &b, &mut sink);
        }
        assert_eq!(s.txs.len(), reefwatch_applayer::MAX_TXS_PER_FLOW);
        assert!(sink
            .anomalies
            .iter()
            .any(|a| a == "omron.too_many_transactions"));
        s.on_close(&mut sink);
        assert!(sink
            .events
            .last()
            .unwrap()
            .1
            .contains("\"type\":\"unanswered\""));
        assert!(s.txs.is_empty());
    }
}
