//! HART-IP transactions and session of one flow. A request stays open
//! until the response (or error/NAK) with its sequence number and message
//! id; at most `MAX_TXS_PER_FLOW` stay open. The session is tracked:
//! pass-through or direct PDUs before a session initiate was seen are
//! flagged `no_session`, messages after a session close
//! `message_after_close`. Some devices answer UDP requests from another
//! port (5095 for 5094: another flow), so a response is flagged
//! `unsolicited_response` only on a flow that carried requests.

use super::logger::{self, Body};
use super::parser::*;
use super::tx::{command_operation, PendingRequest};
use crate::common::Operation;
use reefwatch_applayer::{Anomalies, AppParser, Direction, EventSink, ParseResult, TxTable};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Session {
    #[default]
    None,
    Open,
    Closed,
}

#[derive(Debug, Default)]
pub struct HartIpState {
    txs: TxTable<PendingRequest>,
    pub session: Session,
    pub requests: u64,
    pub messages: u64,
    pub malformed: u64,
}

impl HartIpState {
    pub fn new() -> Self {
        Self::default()
    }

    fn on_message(&mut self, h: &Header<'_>, out: &mut dyn EventSink) {
        self.messages += 1;
        let mut an = Anomalies::default();
        if !matches!(h.version(), 1 | 2) {
            an.set(A_BAD_VERSION);
        }
        if !type_known(h.msg_type()) {
            an.set(A_UNKNOWN_TYPE);
        }
        if !id_known(h.msg_id()) {
            an.set(A_UNKNOWN_ID);
        }
        let body = match h.msg_id() {
            ID_SESSION_INITIATE if h.msg_type() <= TYPE_RESPONSE => {
                match session_initiate(h.body()) {
                    Some((host_type, timer)) => Body::Session { host_type, timer },
                    None => {
                        an.set(A_INVALID_LENGTH);
                        Body::Other(h.body())
                    }
                }
            }
            ID_PASS_THROUGH if h.msg_type() != TYPE_NAK && !h.body().is_empty() => {
                match parse_pdu(h.body(), &mut an) {
                    Some(p) => Body::Pdu(p),
                    None => Body::Other(h.body()),
                }
            }
            _ => Body::Other(h.body()),
        };
        // session tracking
        match (h.msg_id(), self.session) {
            (ID_SESSION_INITIATE, _) => self.session = Session::Open,
            (ID_SESSION_CLOSE, _) if h.msg_type() == TYPE_RESPONSE => {
                self.session = Session::Closed
            }
            (ID_SESSION_CLOSE, _) => {}
            (_, Session::Closed) => an.set(A_AFTER_CLOSE),
            (ID_PASS_THROUGH | ID_DIRECT_PDU, Session::None) => an.set(A_NO_SESSION),
            _ => {}
        }
        let command = match &body {
            Body::Pdu(p) => Some(p.command),
            _ => None,
        };
        let operation = match h.msg_id() {
            ID_SESSION_INITIATE => Some(Operation::Auth),
            _ => command.and_then(command_operation),
        };
        let (seq, mid) = (h.seq(), h.msg_id());
        match h.msg_type() {
            TYPE_REQUEST => {
                self.requests += 1;
                let id = self.txs.next_id();
                let p = PendingRequest {
                    id,
                    msg_id: mid,
                    seq,
                    command,
                    address: match &body {
                        Body::Pdu(p) => Some(p.address),
                        _ => None,
                    },
                    operation,
                };
                if let Some(old) = self.txs.push(p) {
                    let mut a2 = Anomalies::default();
                    a2.set(A_TOO_MANY_TXS);
                    a2.set(A_UNANSWERED);
                    logger::log_unanswered(&old, a2, out);
                }
                an.report(ANOMALY_NAMES, out);
                if out.wants_events() {
                    logger::log_message(id, "request", h, None, operation, &body, an, out);
                }
            }
            TYPE_RESPONSE | TYPE_ERROR | TYPE_NAK => {
                let mut p = self.txs.take(|p| p.seq == seq && p.msg_id == mid);
                if p.is_none() {
                    p = self.txs.take(|p| p.seq == seq);
                    if p.is_some() {
                        an.set(A_COMMAND_MISMATCH);
                    }
                }
                if let (Some(p), Some(c)) = (&p, command) {
                    if p.command.is_some_and(|pc| pc != c) {
                        an.set(A_COMMAND_MISMATCH);
                    }
                }
                if p.is_none() && self.requests > 0 {
                    an.set(A_UNSOLICITED_RESPONSE);
                }
                an.report(ANOMALY_NAMES, out);
                if out.wants_events() {
                    let id = p.as_ref().map_or_else(|| self.txs.next_id(), |p| p.id);
                    let kind = match h.msg_type() {
                        TYPE_RESPONSE => "response",
                        TYPE_ERROR => "error",
                        _ => "nak",
                    };
                    logger::log_message(id, kind, h, p.as_ref(), operation, &body, an, out);
                }
            }
            t => {
                an.report(ANOMALY_NAMES, out);
                if out.wants_events() {
                    let id = self.txs.next_id();
                    let kind = if t == TYPE_NOTIFICATION {
                        "notification"
                    } else {
                        "message"
                    };
                    logger::log_message(id, kind, h, None, operation, &body, an, out);
                }
            }
        }
    }
}

impl AppParser for HartIpState {
    fn parse(&mut self, _dir: Direction, data: &[u8], out: &mut dyn EventSink) -> ParseResult {
        let mut off = 0usize;
        // Bounded: every iteration consumes at least 8 bytes or returns.
        while off < data.len() {
            let rest = &data[off..];
            match Header::new_checked(rest) {
                Ok(h) => {
                    self.on_message(&h, out);
                    off += h.len();
                }
                Err(HeaderError::Truncated(n)) => {
                    if rest.len() >= 2 && !matches!(rest[0], 1 | 2) && !type_known(rest[1]) {
                        self.malformed += 1;
                        out.anomaly(ANOMALY_NAMES[A_BAD_HEADER as usize]);
                        return ParseResult::Done;
                    }
                    return ParseResult::Incomplete {
                        consumed: off,
                        needed: n - rest.len(),
                    };
                }
                Err(HeaderError::BadLength) => {
                    self.malformed += 1;
                    out.anomaly(ANOMALY_NAMES[A_BAD_HEADER as usize]);
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

    // ITI hart_ip.pcap, TCP flow 49559 -> 5094: frames 76, 78, 83, 84
    const INIT: &str = "010000000002000d0100007530";
    const INIT_OK: &str = "010100000002000d010000ea60";
    const CMD1: &str = "010003000004001182264e0000d2010039";
    const CMD1_OK: &str = "010103000004001886264e0000d2010700d0fb0000000011";
    const CLOSE: &str = "01000100000d0008";
    const CLOSE_OK: &str = "01010100000d0008";

    #[test]
    fn session_and_pass_through() {
        let mut s = HartIpState::new();
        let mut sink = TestSink::default();
        for (d, m) in [
            (Direction::ToServer, INIT),
            (Direction::ToClient, INIT_OK),
            (Direction::ToServer, CMD1),
            (Direction::ToClient, CMD1_OK),
            (Direction::ToServer, CLOSE),
            (Direction::ToClient, CLOSE_OK),
        ] {
            assert_eq!(s.parse(d, &hex(m), &mut sink), ParseResult::Done);
        }
        assert!(sink.anomalies.is_empty(), "{:?}", sink.anomalies);
        assert_eq!(sink.events.len(), 6);
        let init = &sink.events[1].1;
        assert!(init.contains("\"inactivity_close_timer\":60000"), "{init}");
        let r = &sink.events[3].1;
        assert!(r.contains("\"type\":\"response\""), "{r}");
        assert!(r.contains("\"request\":{\"sequence\":4"), "{r}");
        assert!(
            r.contains("\"command\":1,\"command_name\":\"read_primary_variable\""),
            "{r}"
        );
        assert!(
            r.contains("\"response_code\":0,\"device_status\":208"),
            "{r}"
        );
        assert_eq!(s.session, Session::Closed);
        assert!(s.txs.is_empty());
        // after the close
        s.parse(Direction::ToServer, &hex(CMD1), &mut sink);
        assert_eq!(sink.anomalies, ["hart_ip.message_after_close"]);
    }

    #[test]
    fn split_anywhere_and_no_session() {
        let whole = [hex(CMD1), hex(CMD1_OK)].concat();
        for cut in 0..whole.len() {
            let mut s = HartIpState::new();
            let mut sink = TestSink::default();
            let consumed = match s.parse(Direction::ToServer, &whole[..cut], &mut sink) {
                ParseResult::Done => cut,
                ParseResult::Incomplete { consumed, .. } => consumed,
                ParseResult::Error => panic!(),
            };
            s.parse(Direction::ToServer, &whole[consumed..], &mut sink);
            assert_eq!(sink.events.len(), 2, "cut {cut}");
            assert!(sink.anomalies.iter().all(|a| a == "hart_ip.no_session"));
        }
    }

    #[test]
    fn unanswered_bounded_and_garbage() {
        let mut s = HartIpState::new();
        let mut sink = TestSink::default();
        for i in 0..(reefwatch_applayer::MAX_TXS_PER_FLOW as u16 + 2) {
            let mut b = hex(CLOSE);
            b[4..6].copy_from_slice(&i.to_be_bytes());
            b[2] = ID_KEEP_ALIVE;
            s.parse(Direction::ToServer, &b, &mut sink);
        }
        assert_eq!(s.txs.len(), reefwatch_applayer::MAX_TXS_PER_FLOW);
        s.on_close(&mut sink);
        assert!(sink.events.last().unwrap().1.contains("unanswered"));
        let mut s = HartIpState::new();
        s.parse(Direction::ToServer, b"GET / HTTP/1.1\r\n", &mut sink);
        assert_eq!(s.malformed, 1);
        // a response on a flow without requests is not flagged
        let mut s = HartIpState::new();
        let mut sink = TestSink::default();
        s.parse(Direction::ToClient, &hex(CMD1_OK), &mut sink);
        assert_eq!(sink.anomalies, ["hart_ip.no_session"]);
    }
}
