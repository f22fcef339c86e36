//! OPC UA transactions of one TCP flow. Framing: 8-byte transport headers
//! (a header that is no OPC UA drops the segment and resynchronises on the
//! next). Chunks (`C`) of a message are reassembled per direction and
//! request id (bounded by `MAX_CHUNKS`, `MAX_BODY`, `MAX_PARTIAL`); an
//! abort chunk (`A`) drops it. Transactions: HEL ↔ ACK/ERR, OPN request ↔
//! response, MSG request ↔ response by request id (None-mode channels);
//! one event per transaction, written when it completes; CLO, RHE, a lone
//! ERR and every message of a Sign/SignAndEncrypt channel are one-message
//! transactions. At most `MAX_TXS_PER_FLOW` requests stay open.

use super::logger;
use super::parser::*;
use super::services;
use super::tx::{Message, Pending};
use crate::common::Operation;
use reefwatch_applayer::{Anomalies, AppParser, Direction, EventSink, ParseResult, TxTable};

/// Most messages being reassembled from chunks per direction.
pub const MAX_PARTIAL: usize = 4;

/// A message whose final chunk has not arrived.
#[derive(Debug)]
struct Partial {
    request_id: Option<u32>,
    msg: Message,
    body: Vec<u8>,
}

#[derive(Debug, Default)]
pub struct OpcuaState {
    txs: TxTable<Pending>,
    partial: [Vec<Partial>; 2],
    /// the channel's policy is not None: bodies are not readable
    secured: bool,
    pub messages: u64,
    pub malformed: u64,
}

/// Security-relevant operation of a request.
pub fn operation(m: &Message) -> Option<Operation> {
    match m.service_id? {
        673 | 700 => Some(Operation::Write),
        488 | 494 | 500 | 506 => Some(Operation::ConfigChange),
        467 => Some(Operation::Auth),
        428 | 422 | 12208 => Some(Operation::Identify),
        _ => None,
    }
}

impl OpcuaState {
    pub fn new() -> Self {
        Self::default()
    }

    /// One transport message (or chunk) of `h.size` bytes.
    fn on_chunk(&mut self, dir: Direction, h: &Header, b: &[u8], out: &mut dyn EventSink) {
        let mut m = Message::new(h.msg_type, h.size);
        if !h.msg_type.secure() {
            services::connection_message(&mut m, b);
            return self.on_message(dir, m, out);
        }
        let start = services::security_headers(&mut m, b, self.secured);
        if h.msg_type == MsgType::Opn {
            self.secured = m.secured;
        }
        let body = start.and_then(|s| b.get(s..)).unwrap_or(&[]);
        if start.is_none() && !m.secured {
            m.anomalies.set(A_TRUNCATED);
        }
        let parts = &mut self.partial[dir.index()];
        let rid = m.request_id;
        let pos = parts.iter().position(|p| p.request_id == rid);
        match h.chunk {
            b'C' => match pos {
                Some(i) => {
                    let p = &mut parts[i];
                    p.msg.chunks += 1;
                    p.msg.size = p.msg.size.saturating_add(h.size);
                    if p.msg.chunks > MAX_CHUNKS || p.body.len() + body.len() > MAX_BODY {
                        p.msg.anomalies.set(A_TOO_MANY_CHUNKS);
                    } else {
                        p.body.extend_from_slice(body);
                    }
                }
                None => {
                    if parts.len() >= MAX_PARTIAL {
                        parts.remove(0);
                        out.anomaly(ANOMALY_NAMES[A_TOO_MANY_CHUNKS as usize]);
                    }
                    parts.push(Partial {
                        request_id: rid,
                        msg: m,
                        body: body.to_vec(),
                    });
                }
            },
            b'A' => {
                if let Some(i) = pos {
                    parts.remove(i);
                }
                m.anomalies.set(A_CHUNK_ABORTED);
                self.on_message(dir, m, out);
            }
            _ => {
                if let Some(i) = pos {
                    let mut p = parts.remove(i);
                    p.msg.chunks += 1;
                    p.msg.size = p.msg.size.saturating_add(h.size);
                    if p.body.len() + body.len() <= MAX_BODY {
                        p.body.extend_from_slice(body);
                    } else {
                        p.msg.anomalies.set(A_TOO_MANY_CHUNKS);
                    }
                    let mut msg = p.msg;
                    if !msg.secured && !msg.anomalies.has(A_TOO_MANY_CHUNKS) {
                        services::body(&mut msg, &p.body);
                    }
                    self.on_message(dir, msg, out);
                } else {
                    if !m.secured && start.is_some() {
                        services::body(&mut m, body);
                    }
                    self.on_message(dir, m, out);
                }
            }
        }
    }

    fn on_message(&mut self, dir: Direction, m: Message, out: &mut dyn EventSink) {
        self.messages += 1;
        let t = m.msg_type;
        let is_request = match t {
            MsgType::Hel | MsgType::Clo => true,
            MsgType::Ack | MsgType::Err | MsgType::Rhe => false,
            MsgType::Opn => match m.service_id {
                Some(446) => true,
                Some(449) => false,
                _ => dir == Direction::ToServer,
            },
            MsgType::Msg => match m.service_id.and_then(service) {
                Some((_, q)) => q,
                None => dir == Direction::ToServer,
            },
        };
        let kind = match t {
            MsgType::Hel | MsgType::Ack => "hello",
            MsgType::Err => "error",
            MsgType::Rhe => "reverse_hello",
            MsgType::Opn => "open_secure_channel",
            MsgType::Clo => "close_secure_channel",
            MsgType::Msg if m.secured => "secure_message",
            MsgType::Msg => "service",
        };
        // one-message transactions
        let one_way = matches!(t, MsgType::Clo | MsgType::Rhe)
            || (t == MsgType::Msg && (m.secured || m.request_id.is_none()))
            || m.anomalies.has(A_CHUNK_ABORTED);
        if one_way {
            let id = self.txs.next_id();
            let op = operation(&m);
            let (req, resp) = if is_request {
                (Some(&m), None)
            } else {
                (None, Some(&m))
            };
            m.anomalies.report(ANOMALY_NAMES, out);
            logger::log_tx(id, kind, op, req, resp, Anomalies::default(), out);
            return;
        }
        if is_request {
            let id = self.txs.next_id();
            let operation = operation(&m);
            if let Some(old) = self.txs.push(Pending {
                id,
                msg: m,
                operation,
            }) {
                let mut a = Anomalies::default();
                a.set(A_TOO_MANY_TXS);
                a.set(A_UNANSWERED);
                logger::log_unanswered(&old, a, out);
            }
            return;
        }
        let rid = m.request_id;
        let found = match t {
            MsgType::Ack | MsgType::Err => self.txs.take(|p| p.msg.msg_type == MsgType::Hel),
            MsgType::Opn => self
                .txs
                .take(|p| {
                    p.msg.msg_type == MsgType::Opn && (p.msg.secured || p.msg.request_id == rid)
                })
                .or_else(|| self.txs.take(|p| p.msg.msg_type == MsgType::Opn)),
            _ => self
                .txs
                .take(|p| p.msg.msg_type == MsgType::Msg && p.msg.request_id == rid),
        };
        let mut an = Anomalies::default();
        if t == MsgType::Err && found.is_none() {
            // an ERR answers whatever was going on: its own transaction
            let id = self.txs.next_id();
            m.anomalies.report(ANOMALY_NAMES, out);
            logger::log_tx(id, kind, None, None, Some(&m), an, out);
            return;
        }
        match &found {
            Some(p) => {
                if let (Some(q), Some(r)) = (p.msg.service_id, m.service_id) {
                    if r != SERVICE_FAULT && request_of(r) != Some(q) {
                        an.set(A_SERVICE_MISMATCH);
                    }
                }
            }
            None => an.set(A_UNSOLICITED),
        }
        if let Some(p) = &found {
            p.msg.anomalies.report(ANOMALY_NAMES, out);
        }
        m.anomalies.report(ANOMALY_NAMES, out);
        an.report(ANOMALY_NAMES, out);
        let id = found.as_ref().map_or_else(|| self.txs.next_id(), |p| p.id);
        let op = found.as_ref().and_then(|p| p.operation);
        logger::log_tx(
            id,
            kind,
            op,
            found.as_ref().map(|p| &p.msg),
            Some(&m),
            an,
            out,
        );
    }
}

impl AppParser for OpcuaState {
    fn parse(&mut self, dir: Direction, data: &[u8], out: &mut dyn EventSink) -> ParseResult {
        let mut off = 0usize;
        // Bounded: every iteration consumes a whole message (≥ 16 bytes) or returns.
        while off < data.len() {
            let rest = &data[off..];
            match header(rest) {
                Ok(h) => {
                    let n = h.size as usize;
                    if rest.len() < n {
                        return ParseResult::Incomplete {
                            consumed: off,
                            needed: n - rest.len(),
                        };
                    }
                    self.on_chunk(dir, &h, &rest[..n], out);
                    off += n;
                }
                Err(false) => {
                    return ParseResult::Incomplete {
                        consumed: off,
                        needed: HEADER_LEN - rest.len(),
                    }
                }
                Err(true) => {
                    // lost framing: drop this segment, the next one
                    // usually starts on a message
                    self.malformed += 1;
                    out.anomaly(ANOMALY_NAMES[A_BAD_HEADER as usize]);
                    return ParseResult::Done;
                }
            }
        }
        ParseResult::Done
    }

    fn on_gap(&mut self, dir: Direction, _out: &mut dyn EventSink) {
        self.partial[dir.index()].clear();
    }

    fn on_close(&mut self, out: &mut dyn EventSink) {
        let mut an = Anomalies::default();
        an.set(A_UNANSWERED);
        for p in self.txs.drain() {
            logger::log_unanswered(&p, an, out);
        }
        self.partial = Default::default();
    }
}
