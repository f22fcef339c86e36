//! BACnet/IP transactions of one UDP flow: a confirmed request stays open
//! until the SimpleACK/ComplexACK/Error/Reject/Abort with the same invoke
//! id comes back the other way from the same BACnet address (the request's
//! DNET/DADR is the answer's SNET/SADR when routed). Segmented ComplexACKs
//! keep the transaction open until the last segment. At most
//! `MAX_TXS_PER_FLOW` requests stay open.

use super::logger;
use super::parser::*;
use crate::common::Operation;
use reefwatch_applayer::{Anomalies, AppParser, Direction, EventSink, ParseResult, TxTable};

/// A BACnet network address: network number and MAC (None: local).
pub type NetAddr = Option<(u16, Addr)>;

/// An open confirmed request (owned).
#[derive(Debug, Clone)]
pub struct Pending {
    pub id: u64,
    pub dir: Direction,
    pub invoke_id: u8,
    /// Address of the device the request went to.
    pub peer: NetAddr,
    pub msg: Message,
    pub operation: Option<Operation>,
}

#[derive(Debug, Default)]
pub struct BacnetState {
    txs: TxTable<Pending>,
    pub messages: u64,
    pub malformed: u64,
}

fn dest(n: Option<&Npdu>) -> NetAddr {
    n.and_then(|n| n.dnet.map(|d| (d, n.dadr)))
}

fn source(n: Option<&Npdu>) -> NetAddr {
    n.and_then(|n| n.snet.map(|s| (s, n.sadr)))
}

/// Security-relevant operation of a request.
pub fn operation(a: &Apdu) -> Option<Operation> {
    match (a.pdu_type, a.service?) {
        (PDU_CONFIRMED, 15 | 16 | 8 | 9) => Some(Operation::Write),
        (PDU_CONFIRMED, 20) => Some(Operation::Restart),
        (PDU_CONFIRMED, 17 | 10 | 11) => Some(Operation::ConfigChange),
        (PDU_CONFIRMED, 6 | 7) => Some(Operation::FileOp),
        (PDU_UNCONFIRMED, 6 | 9) => Some(Operation::TimeSync),
        (PDU_UNCONFIRMED, 0 | 1 | 7 | 8) => Some(Operation::Identify),
        (PDU_UNCONFIRMED, 10) => Some(Operation::Write),
        _ => None,
    }
}

impl BacnetState {
    pub fn new() -> Self {
        Self::default()
    }

    fn on_message(
        &mut self,
        dir: Direction,
        m: Message,
        mut an: Anomalies,
        out: &mut dyn EventSink,
    ) {
        self.messages += 1;
        let Some(a) = m.apdu.as_ref() else {
            an.report(ANOMALY_NAMES, out);
            if out.wants_events() {
                let id = self.txs.next_id();
                logger::log_message(id, "message", &m, None, an, out);
            }
            return;
        };
        if a.pdu_type == PDU_CONFIRMED {
            let invoke_id = a.invoke_id.unwrap_or(0);
            let peer = dest(m.npdu.as_ref());
            // A segment after the first continues the open request.
            if a.segmented() && a.sequence_number != Some(0) {
                let id = self
                    .txs
                    .find(|p| p.dir == dir && p.invoke_id == invoke_id && p.peer == peer)
                    .map(|p| p.id);
                an.report(ANOMALY_NAMES, out);
                if out.wants_events() {
                    let id = id.unwrap_or_else(|| self.txs.next_id());
                    logger::log_message(id, "request", &m, None, an, out);
                }
                return;
            }
            let id = self.txs.next_id();
            let operation = operation(a);
            an.report(ANOMALY_NAMES, out);
            if out.wants_events() {
                logger::log_message(id, "request", &m, None, an, out);
            }
            let p = Pending {
                id,
                dir,
                invoke_id,
                peer,
                msg: m,
                operation,
            };
            if let Some(old) = self.txs.push(p) {
                let mut a2 = Anomalies::default();
                a2.set(A_TOO_MANY_TXS);
                a2.set(A_UNANSWERED);
                logger::log_unanswered(&old, a2, out);
            }
            return;
        }
        if a.is_response() {
            let Some(invoke_id) = a.invoke_id else {
                an.report(ANOMALY_NAMES, out);
                if out.wants_events() {
                    let id = self.txs.next_id();
                    logger::log_message(id, "response", &m, None, an, out);
                }
                return;
            };
            let from = source(m.npdu.as_ref());
            let back = dir.flip();
            let matches_exact =
                |p: &Pending| p.dir == back && p.invoke_id == invoke_id && p.peer == from;
            let keep_open = a.pdu_type == PDU_SEGMENT_ACK
                || (a.pdu_type == PDU_COMPLEX_ACK && a.more_follows());
            let found = if keep_open {
                self.txs.find(matches_exact).cloned()
            } else {
                self.txs.take(matches_exact)
            };
            let found = found.or_else(|| {
                let loose = |p: &Pending| p.dir == back && p.invoke_id == invoke_id;
                let f = if keep_open {
                    self.txs.find(loose).cloned()
                } else {
                    self.txs.take(loose)
                };
                if f.is_some() {
                    an.set(A_ADDRESS_MISMATCH);
                }
                f
            });
            // A SegmentACK from the requester acknowledges response segments.
            let found = found.or_else(|| {
                if a.pdu_type != PDU_SEGMENT_ACK {
                    return None;
                }
                self.txs
                    .find(|p| p.dir == dir && p.invoke_id == invoke_id)
                    .cloned()
            });
            if found.is_none() && a.pdu_type != PDU_SEGMENT_ACK {
                an.set(A_UNSOLICITED_RESPONSE);
            }
            an.report(ANOMALY_NAMES, out);
            if out.wants_events() {
                let id = found.as_ref().map_or_else(|| self.txs.next_id(), |p| p.id);
                logger::log_message(id, "response", &m, found.as_ref(), an, out);
            }
            return;
        }
        // Unconfirmed requests; SegmentACK/Abort from the client side.
        an.report(ANOMALY_NAMES, out);
        if out.wants_events() {
            let id = self.txs.next_id();
            let t = if a.pdu_type == PDU_UNCONFIRMED {
                "unconfirmed"
            } else {
                "request"
            };
            logger::log_message(id, t, &m, None, an, out);
        }
    }
}

impl AppParser for BacnetState {
    fn parse(&mut self, dir: Direction, data: &[u8], out: &mut dyn EventSink) -> ParseResult {
        let mut an = Anomalies::default();
        match parse(data, &mut an) {
            Some(m) => self.on_message(dir, m, an, out),
            None => {
                // Not BVLC (UDP: the next datagram is judged on its own).
                self.malformed += 1;
                out.anomaly(ANOMALY_NAMES[A_NOT_BVLC as usize]);
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

    // ReadProperty device,1234 object-name, invoke 7
    const REQ: [u8; 17] = [
        0x81, 0x0a, 0x00, 0x11, 0x01, 0x04, 0x00, 0x05, 0x07, 0x0c, 0x0c, 0x02, 0x00, 0x04, 0xd2,
        0x19, 0x4d,
    ];
    // ComplexACK invoke 7: same object/property, [3] "abc" [/3]
    const ACK: [u8; 24] = [
        0x81, 0x0a, 0x00, 0x18, 0x01, 0x00, 0x30, 0x07, 0x0c, 0x0c, 0x02, 0x00, 0x04, 0xd2, 0x19,
        0x4d, 0x3e, 0x74, 0x00, b'a', b'b', b'c', 0x3f, 0x00,
    ];

    #[test]
    fn pairs_request_and_ack() {
        let mut s = BacnetState::new();
        let mut sink = TestSink::default();
        s.parse(Direction::ToServer, &REQ, &mut sink);
        // trailing 0x00 after the closing tag: parsed, flagged
        s.parse(Direction::ToClient, &ACK, &mut sink);
        assert_eq!(sink.events.len(), 2);
        let req = &sink.events[0].1;
        assert!(req.contains("\"type\":\"request\""), "{req}");
        assert!(req.contains("\"service\":\"readProperty\""), "{req}");
        let resp = &sink.events[1].1;
        assert!(
            resp.contains("\"id\":1") && resp.contains("\"request\":{"),
            "{resp}"
        );
        assert!(resp.contains("\"value\":\"abc\""), "{resp}");
        assert_eq!(sink.anomalies, ["bacnet.trailing_data"]);
        assert!(s.txs.is_empty());
    }

    #[test]
    fn unanswered_and_unsolicited() {
        let mut s = BacnetState::new();
        let mut sink = TestSink::default();
        s.parse(Direction::ToClient, &ACK[..23], &mut sink);
        let mut r = REQ;
        r[8] = 9;
        s.parse(Direction::ToServer, &r, &mut sink);
        s.on_close(&mut sink);
        assert!(sink.events[0].1.contains("unsolicited_response"));
        assert!(sink.events[2].1.contains("\"type\":\"unanswered\""));
        // the table is bounded
        for i in 0..300u16 {
            let mut r = REQ;
            r[8] = i as u8;
            s.parse(Direction::ToServer, &r, &mut sink);
        }
        assert_eq!(s.txs.len(), reefwatch_applayer::MAX_TXS_PER_FLOW);
    }
}
