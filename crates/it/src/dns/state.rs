//! DNS per-flow state: request/response pairing by message id (bounded by
//! [`reefwatch_applayer::MAX_TXS_PER_FLOW`]) and TCP length framing.

use super::logger;
use super::parser::{self, read_name, NameBuf, Packet, ANOMALY_NAMES};
use reefwatch_applayer::BufferId;
use reefwatch_applayer::{
    Anomalies, AppParser, Direction, EventSink, ParseResult, Transport, TxTable,
};

/// A request not yet answered.
struct Pending {
    msg_id: u16,
    tx_id: u64,
}

pub struct DnsState {
    transport: Transport,
    /// Requests not yet answered, oldest first; tx ids count from 0.
    pending: TxTable<Pending>,
}

impl DnsState {
    pub fn new(transport: Transport) -> Self {
        DnsState {
            transport,
            pending: TxTable::with_first_id(0),
        }
    }

    fn tx_for(&mut self, p: &Packet<'_>) -> u64 {
        if p.is_response() {
            if let Some(req) = self.pending.take(|r| r.msg_id == p.id()) {
                return req.tx_id;
            }
            self.pending.next_id()
        } else {
            let tx_id = self.pending.next_id();
            // the oldest unanswered request drops out when full
            let _ = self.pending.push(Pending {
                msg_id: p.id(),
                tx_id,
            });
            tx_id
        }
    }

    /// Handle one whole DNS message.
    pub fn handle_message(&mut self, msg: &[u8], out: &mut dyn EventSink) -> bool {
        let Ok(p) = Packet::new_checked(msg) else {
            out.anomaly(ANOMALY_NAMES[parser::A_TRUNCATED_RECORD as usize]);
            return false;
        };
        let tx = self.tx_for(&p);
        // Sticky buffers: each query name, borrowed from a stack buffer.
        let mut name = NameBuf::new();
        let mut qs = p.questions();
        let mut an = Anomalies::default();
        for q in qs.by_ref() {
            an.merge(Anomalies(read_name(msg, q.name_off, &mut name)));
            out.buffer(BufferId::DnsQuery, name.as_bytes());
        }
        an.merge(qs.anomalies);
        if let Some(end) = p.questions_end() {
            let mut rs = p.records(end);
            for r in rs.by_ref() {
                if parser::skip_name(msg, r.name_off).is_none() {
                    an.set(parser::A_TRUNCATED_RECORD);
                }
            }
            an.merge(rs.anomalies);
        }
        if p.flags() & parser::FLAG_Z != 0 {
            an.set(parser::A_Z_SET);
        }
        an.report(ANOMALY_NAMES, out);
        if out.wants_events() {
            out.event("dns", &mut |js| logger::log_message(js, &p, tx));
        }
        true
    }
}

impl AppParser for DnsState {
    fn parse(&mut self, _dir: Direction, data: &[u8], out: &mut dyn EventSink) -> ParseResult {
        match self.transport {
            Transport::Udp => {
                if !self.handle_message(data, out) {
                    // a garbage datagram does not end a UDP "flow"
                    return ParseResult::Done;
                }
                ParseResult::Done
            }
            Transport::Tcp => {
                let mut pos = 0;
                // bounded: each iteration consumes at least 2 bytes
                while pos < data.len() {
                    let Some(len) = crate::util::be16(data, pos) else {
                        return ParseResult::Incomplete {
                            consumed: pos,
                            needed: 2 - (data.len() - pos),
                        };
                    };
                    let len = len as usize;
                    if len < parser::HEADER_LEN {
                        out.anomaly(ANOMALY_NAMES[parser::A_TRUNCATED_RECORD as usize]);
                        return ParseResult::Error;
                    }
                    let Some(msg) = data.get(pos + 2..pos + 2 + len) else {
                        return ParseResult::Incomplete {
                            consumed: pos,
                            needed: pos + 2 + len - data.len(),
                        };
                    };
                    self.handle_message(msg, out);
                    pos += 2 + len;
                }
                ParseResult::Done
            }
        }
    }

    fn on_gap(&mut self, _dir: Direction, _out: &mut dyn EventSink) {}

    fn on_close(&mut self, _out: &mut dyn EventSink) {
        self.pending.clear();
    }
}
