//! EtherNet/IP per-flow state: encapsulation framing (TCP stream or one
//! UDP datagram), request/response pairing by sender context (explicit
//! messages, session commands) or by CIP connected sequence count
//! (SendUnitData), CIP decoding incl. Unconnected Send and Multiple Service
//! Packet.

use super::logger::{self, Msg};
use super::parser::*;
use super::tx::PendingRequest;
use crate::common::Operation;
use reefwatch_applayer::bytes::{le16, le32};
use reefwatch_applayer::{Anomalies, TxTable};
use reefwatch_applayer::{AppParser, Direction, EventSink, Fact, ParseResult};

/// Most attributes of one Get_Attribute_List reported as facts.
const MAX_ATTR_FACTS: usize = 64;

/// Reports the CIP services of a message as [`Fact::CipService`]: the
/// message's own and, one level down as Suricata's `cip_service`, each
/// service of a Multiple Service Packet.
pub fn cip_facts(c: &Cip<'_>, nested: bool, out: &mut dyn EventSink) {
    let fact = |attribute: Option<u32>| Fact::CipService {
        service: c.service,
        class: c.path.class,
        attribute,
    };
    // Get_Attribute_List: the attributes are in the request data
    let list = (c.service == 0x03 && !c.response)
        .then(|| le16(c.data, 0))
        .flatten();
    match list {
        Some(n) if n > 0 && c.path.attribute.is_none() => {
            for i in 0..(n as usize).min(MAX_ATTR_FACTS) {
                let Some(a) = le16(c.data, 2 + 2 * i) else {
                    break;
                };
                out.fact(fact(Some(u32::from(a))));
            }
        }
        _ => out.fact(fact(c.path.attribute)),
    }
    if nested {
        return;
    }
    if let Some(it) = c.multiple() {
        for m in it {
            if let Some(e) = Cip::parse(m) {
                cip_facts(&e, true, out);
            }
        }
    }
}

#[derive(Debug, Default)]
pub struct EnipState {
    txs: TxTable<PendingRequest>,
    pub malformed: u64,
}

/// Security-relevant operation of a CIP request (embedded requests
/// included, depth-bounded).
pub fn cip_operation(c: &Cip<'_>, depth: u8) -> Option<Operation> {
    if depth > 4 {
        return None;
    }
    if let Some(e) = c.unconnected_send_embedded().and_then(Cip::parse) {
        return cip_operation(&e, depth + 1);
    }
    if let Some(it) = c.multiple() {
        for m in it {
            if let Some(o) = Cip::parse(m).and_then(|x| cip_operation(&x, depth + 1)) {
                return Some(o);
            }
        }
        return None;
    }
    let class = c.path.class;
    let symbolic = c.path.symbol.is_some();
    match (c.service, class) {
        (_, Some(0xa1)) if c.service >= 0x4b => Some(Operation::FirmwareUpdate),
        (0x05, Some(1)) => Some(Operation::Restart),
        (0x05, _) => Some(Operation::Restart),
        (0x06, _) => Some(Operation::Run),
        (0x07, _) => Some(Operation::Stop),
        (0x02 | 0x04 | 0x10 | 0x19, Some(0x8b)) | (0x02 | 0x04 | 0x10 | 0x19, Some(0x43)) => {
            Some(Operation::TimeSync)
        }
        (0x02 | 0x04 | 0x10 | 0x19, Some(0xf5 | 0xf6 | 0xf4 | 0x48 | 0x47)) => {
            Some(Operation::ConfigChange)
        }
        (0x4b, Some(0x8e | 0xac)) => Some(Operation::ConfigChange),
        (_, Some(0x37)) => Some(Operation::FileOp),
        (0x02 | 0x04 | 0x10 | 0x19 | 0x15 | 0x16 | 0x08 | 0x09, _) => Some(Operation::Write),
        (0x4d | 0x53 | 0x4e, _) if symbolic || class == Some(0x6b) => Some(Operation::Write),
        (0x01 | 0x0e, Some(1)) => Some(Operation::Identify),
        _ => None,
    }
}

/// The CIP message and connection facts of SendRRData / SendUnitData.
pub struct Payload<'a> {
    pub cip: Option<&'a [u8]>,
    pub connection_id: Option<u32>,
    pub seq: Option<u16>,
    pub items: u16,
    pub bad: bool,
}

pub fn payload(cmd: u16, d: &[u8]) -> Payload<'_> {
    let mut p = Payload {
        cip: None,
        connection_id: None,
        seq: None,
        items: 0,
        bad: false,
    };
    if !(cmd == 0x6f || cmd == 0x70) {
        return p;
    }
    let Some(cpf) = d.get(6..) else {
        p.bad = true;
        return p;
    };
    let mut it = CpfIter::new(cpf);
    for item in it.by_ref() {
        p.items += 1;
        match item.type_id {
            0x00a1 => p.connection_id = le32(item.data, 0),
            0x00b1 => {
                p.seq = le16(item.data, 0);
                p.cip = item.data.get(2..);
            }
            0x00b2 => p.cip = Some(item.data),
            _ => {}
        }
    }
    p.bad |= it.bad;
    p
}

impl EnipState {
    pub fn new() -> Self {
        Self::default()
    }

    fn on_message(&mut self, dir: Direction, e: &Encap<&[u8]>, out: &mut dyn EventSink) {
        let mut an = Anomalies::default();
        let cmd = e.command();
        if !is_known_command(cmd) {
            an.set(A_BAD_COMMAND);
        }
        if e.status() != 0 {
            an.set(A_NONZERO_STATUS);
        }
        let pl = payload(cmd, e.data());
        if pl.bad {
            an.set(A_BAD_CPF);
        }
        let cip = pl.cip.and_then(Cip::parse);
        if pl.cip.is_some() && cip.is_none() && !pl.cip.is_some_and(|c| c.is_empty()) {
            an.set(A_TRUNCATED_CIP);
        }
        if let Some(c) = &cip {
            if c.path.bad {
                an.set(A_BAD_PATH);
            }
            if c.general_status.unwrap_or(0) != 0 {
                an.set(A_CIP_ERROR);
            }
        }
        if out.wants_facts() {
            out.fact(Fact::EnipCommand(cmd));
            if let Some(c) = &cip {
                cip_facts(c, false, out);
            }
        }
        let is_response = match (&cip, cmd) {
            (Some(c), _) => c.response,
            (None, 0x63 | 0x04 | 0x64) => e.length() > 0,
            (None, 0x70) => dir == Direction::ToClient,
            _ => dir == Direction::ToClient,
        };
        let mut ctx = [0u8; 8];
        ctx.copy_from_slice(e.sender_context());
        let mut m = Msg {
            encap: e,
            cip,
            connection_id: pl.connection_id,
            seq: pl.seq,
            response: is_response,
            id: 0,
            operation: None,
            request: None,
        };
        if !is_response {
            m.operation = cip.as_ref().and_then(|c| cip_operation(c, 0));
            if cmd == 0x63 {
                m.operation = Some(Operation::Identify);
            }
            let id = self.txs.next_id();
            m.id = id;
            if !matches!(cmd, 0x66 | 0x72 | 0x73 | 0x00) {
                let p = PendingRequest {
                    id,
                    command: cmd,
                    context: ctx,
                    seq: if cmd == 0x70 { pl.seq } else { None },
                    service: cip.as_ref().map(|c| c.service),
                    class: cip.as_ref().and_then(|c| c.path.class),
                    operation: m.operation,
                };
                if let Some(old) = self.txs.push(p) {
                    let mut a = Anomalies::default();
                    a.set(A_TOO_MANY_TXS);
                    a.set(A_UNANSWERED);
                    logger::log_unanswered(&old, a, out);
                }
            }
        } else {
            let found = if cmd == 0x70 {
                let s = pl.seq;
                self.txs.take(|p| p.command == 0x70 && p.seq == s)
            } else {
                self.txs.take(|p| p.command == cmd && p.context == ctx)
            };
            match found {
                Some(p) => {
                    m.id = p.id;
                    m.operation = p.operation;
                    m.request = Some(p);
                }
                None => {
                    if cmd != 0x70 && cmd != 0x63 {
                        an.set(A_UNSOLICITED_RESPONSE);
                    }
                    m.id = self.txs.next_id();
                }
            }
        }
        an.report(ANOMALY_NAMES, out);
        if out.wants_events() {
            logger::log_message(&m, an, out);
        }
    }
}

impl AppParser for EnipState {
    fn parse(&mut self, dir: Direction, data: &[u8], out: &mut dyn EventSink) -> ParseResult {
        let mut off = 0usize;
        while off < data.len() {
            let rest = &data[off..];
            // Reject junk before buffering a bogus length.
            if rest.len() >= 2 {
                let cmd = u16::from_le_bytes([rest[0], rest[1]]);
                // An unknown command is taken as a message (and flagged)
                // only when a whole plausible header and body are present.
                let plausible = rest.len() >= HEADER_LEN
                    && rest[20..24] == [0, 0, 0, 0]
                    && HEADER_LEN + u16::from_le_bytes([rest[2], rest[3]]) as usize <= rest.len();
                if !is_known_command(cmd) && !plausible {
                    self.malformed += 1;
                    out.anomaly(ANOMALY_NAMES[A_BAD_COMMAND as usize]);
                    return ParseResult::Done;
                }
            }
            match Encap::new_checked(rest) {
                Ok(e) => {
                    let n = e.total_len();
                    self.on_message(dir, &e, out);
                    off += n;
                }
                Err(EncapError::Truncated(n)) => {
                    if n > HEADER_LEN + MAX_MESSAGE {
                        self.malformed += 1;
                        out.anomaly(ANOMALY_NAMES[A_BAD_LENGTH as usize]);
                        return ParseResult::Done;
                    }
                    return ParseResult::Incomplete {
                        consumed: off,
                        needed: n - rest.len(),
                    };
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

    fn encap(cmd: u16, ctx: u8, data: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&cmd.to_le_bytes());
        v.extend_from_slice(&(data.len() as u16).to_le_bytes());
        v.extend_from_slice(&[0x11, 0x22, 0x33, 0x44, 0, 0, 0, 0]);
        v.extend_from_slice(&[ctx; 8]);
        v.extend_from_slice(&[0; 4]);
        v.extend_from_slice(data);
        v
    }

    fn rr(cip: &[u8]) -> Vec<u8> {
        let mut d = vec![
            0, 0, 0, 0, 0x0a, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xb2, 0x00,
        ];
        d.extend_from_slice(&(cip.len() as u16).to_le_bytes());
        d.extend_from_slice(cip);
        d
    }

    #[test]
    fn oversized_length_is_flagged() {
        // a length field over the spec's 65511 bytes: flagged, not waited for
        let mut s = EnipState::new();
        let mut sink = TestSink::default();
        let mut m = encap(0x6f, 1, &[]);
        m[2..4].copy_from_slice(&65512u16.to_le_bytes());
        assert_eq!(
            s.parse(Direction::ToServer, &m, &mut sink),
            ParseResult::Done
        );
        assert_eq!(sink.anomalies, vec!["enip.bad_length".to_string()]);
        assert_eq!(s.malformed, 1);
        // at the limit it is a message still to come
        let mut s = EnipState::new();
        let mut m = encap(0x6f, 1, &[]);
        m[2..4].copy_from_slice(&65511u16.to_le_bytes());
        assert!(matches!(
            s.parse(Direction::ToServer, &m, &mut TestSink::default()),
            ParseResult::Incomplete { .. }
        ));
    }

    #[test]
    fn send_rr_data_pairing_and_stop() {
        let mut s = EnipState::new();
        let mut sink = TestSink::default();
        // Stop (0x07) to class 0x8e instance 1
        let req = encap(0x6f, 7, &rr(&[0x07, 0x02, 0x20, 0x8e, 0x24, 0x01]));
        let resp = encap(0x6f, 7, &rr(&[0x87, 0x00, 0x00, 0x00]));
        s.parse(Direction::ToServer, &req, &mut sink);
        s.parse(Direction::ToClient, &resp, &mut sink);
        assert_eq!(sink.events.len(), 2);
        let r = &sink.events[0].1;
        assert!(r.contains("\"command\":\"SendRRData\""), "{r}");
        assert!(r.contains("\"service\":\"Stop\""), "{r}");
        assert!(r.contains("\"operation\":\"stop\""), "{r}");
        assert!(r.contains("\"class\":142"), "{r}");
        let p = &sink.events[1].1;
        assert!(
            p.contains("\"id\":1") && p.contains("\"type\":\"response\""),
            "{p}"
        );
        assert!(sink.anomalies.is_empty(), "{:?}", sink.anomalies);
    }

    #[test]
    fn split_stream_and_junk() {
        let mut data = encap(0x65, 1, &[1, 0, 0, 0]);
        data.extend(encap(0x65, 2, &[1, 0, 0, 0]));
        for cut in 0..data.len() {
            let mut s = EnipState::new();
            let mut sink = TestSink::default();
            let c = match s.parse(Direction::ToServer, &data[..cut], &mut sink) {
                ParseResult::Incomplete { consumed, .. } => consumed,
                _ => cut,
            };
            s.parse(Direction::ToServer, &data[c..], &mut sink);
            assert_eq!(sink.events.len(), 2, "cut {cut}");
        }
        let mut s = EnipState::new();
        let mut sink = TestSink::default();
        assert_eq!(
            s.parse(Direction::ToServer, b"GET / HTTP/1.0\r\n\r\n", &mut sink),
            ParseResult::Done
        );
        assert_eq!(s.malformed, 1);
    }
}
