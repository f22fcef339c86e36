//! DNS per-flow state: request/response pairing by message id (bounded by
//! [`MAX_TXS_PER_FLOW`]) and TCP length framing.

use super::logger;
use super::parser::{self, anomaly, read_name, NameBuf, Packet};
use reefwatch_applayer::{
    AppParser, Direction, EventSink, ParseResult, Transport, MAX_TXS_PER_FLOW,
};
use std::collections::VecDeque;

pub struct DnsState {
    transport: Transport,
    next_tx: u64,
    /// (message id, tx_id) of requests not yet answered, oldest first.
    pending: VecDeque<(u16, u64)>,
}

impl DnsState {
    pub fn new(transport: Transport) -> Self {
        DnsState {
            transport,
            next_tx: 0,
            pending: VecDeque::new(),
        }
    }

    fn tx_for(&mut self, p: &Packet<'_>) -> u64 {
        if p.is_response() {
            if let Some(i) = self.pending.iter().position(|&(id, _)| id == p.id()) {
                if let Some((_, tx)) = self.pending.remove(i) {
                    return tx;
                }
            }
            let tx = self.next_tx;
            self.next_tx += 1;
            tx
        } else {
            let tx = self.next_tx;
            self.next_tx += 1;
            if self.pending.len() >= MAX_TXS_PER_FLOW {
                self.pending.pop_front();
            }
            self.pending.push_back((p.id(), tx));
            tx
        }
    }

    /// Handle one whole DNS message.
    pub fn handle_message(&mut self, msg: &[u8], out: &mut dyn EventSink) -> bool {
        let Ok(p) = Packet::new_checked(msg) else {
            out.anomaly("dns.malformed_data");
            return false;
        };
        let tx = self.tx_for(&p);
        // Sticky buffers: each query name, borrowed from a stack buffer.
        let mut name = NameBuf::new();
        let mut qs = p.questions();
        let mut flags = 0u32;
        for q in qs.by_ref() {
            flags |= read_name(msg, q.name_off, &mut name);
            out.buffer("dns.query", name.as_bytes());
        }
        flags |= qs.anomalies;
        if let Some(end) = p.questions_end() {
            let mut rs = p.records(end);
            for r in rs.by_ref() {
                flags |=
                    parser::skip_name(msg, r.name_off).map_or(anomaly::TRUNCATED_RECORD, |_| 0);
            }
            flags |= rs.anomalies;
        }
        if p.flags() & parser::FLAG_Z != 0 {
            flags |= anomaly::Z_SET;
        }
        if flags & anomaly::POINTER_LOOP != 0 || flags & anomaly::BAD_POINTER != 0 {
            out.anomaly("dns.infinite_loop");
        }
        if flags & anomaly::NAME_TRUNCATED != 0 {
            out.anomaly("dns.name_too_long");
        }
        if flags & anomaly::TOO_MANY_LABELS != 0 {
            out.anomaly("dns.too_many_labels");
        }
        if flags & anomaly::TRUNCATED_RECORD != 0 {
            out.anomaly("dns.malformed_data");
        }
        if flags & anomaly::Z_SET != 0 {
            out.anomaly("dns.z_flag_set");
        }
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
                        out.anomaly("dns.malformed_data");
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
