//! Modbus/TCP transactions: a request is paired with the next response that
//! carries the same transaction id; responses without a request are flagged
//! `unsolicited_response`; at most `MAX_TXS_PER_FLOW` requests stay open.

use super::logger;
use super::parser::*;
use super::tx::PendingRequest;
use crate::common::Operation;
use reefwatch_applayer::{Anomalies, TxTable};
use reefwatch_applayer::{AppParser, Direction, EventSink, ParseResult};
use reefwatch_applayer::{Fact, ModbusAccess, ModbusTable};

/// Most [`Fact::ModbusWrite`] values reported per request (a write of
/// 1968 coils would otherwise be 1968 facts).
pub const MAX_WRITE_FACTS: usize = 256;

/// The table a function reads or writes.
fn table(fc: u8) -> Option<ModbusTable> {
    Some(match fc {
        1 | 5 | 15 => ModbusTable::Coils,
        2 => ModbusTable::Discretes,
        3 | 6 | 16 | 22 | 23 => ModbusTable::Holding,
        4 => ModbusTable::Input,
        _ => return None,
    })
}

/// Reports a request's facts: the PDU ([`Fact::Modbus`], with its table
/// accesses) and the values it writes ([`Fact::ModbusWrite`]).
fn request_facts(unit: u8, r: &Request<'_>, out: &mut dyn EventSink) {
    let fc = r.function;
    let t = table(fc);
    let read = |a: Option<u16>, q: Option<u16>| {
        Some(ModbusAccess {
            write: false,
            table: t?,
            address: a?,
            quantity: q?,
            value: None,
        })
    };
    let write = || {
        let value = match fc {
            5 => r.write_values.get(0),
            6 => r.write_values.get(0),
            _ => None,
        };
        Some(ModbusAccess {
            write: true,
            table: t?,
            address: r.write_address?,
            quantity: r.write_quantity?,
            value,
        })
    };
    let (access, rw_write) = match fc {
        1..=4 => (read(r.read_address, r.read_quantity), None),
        5 | 6 | 15 | 16 | 22 => (write(), None),
        23 => (read(r.read_address, r.read_quantity), write()),
        _ => (None, None),
    };
    let subfunction = match fc {
        8 => r.subfunction,
        43 => r.mei_type.map(u16::from),
        _ => None,
    };
    out.fact(Fact::Modbus {
        request: true,
        function: fc,
        subfunction,
        unit,
        access,
        rw_write,
    });
    if matches!(fc, 5 | 6 | 15 | 16 | 23) {
        if let Some(start) = r.write_address {
            let n = r.write_values.count().min(MAX_WRITE_FACTS);
            for i in 0..n {
                let (Some(value), Some(address)) =
                    (r.write_values.get(i), start.checked_add(i as u16))
                else {
                    break;
                };
                out.fact(Fact::ModbusWrite { address, value });
            }
        }
    }
}

/// Frames whose LEN exceeds this are taken as lost framing (resync), not
/// buffered.
const MAX_ACCEPTED_LEN: u16 = 1024;

impl PendingRequest {
    fn from_request(id: u64, tid: u16, unit: u8, r: &Request<'_>) -> Self {
        PendingRequest {
            id,
            transaction_id: tid,
            unit_id: unit,
            function: r.function,
            read_address: r.read_address,
            read_quantity: r.read_quantity,
            write_address: r.write_address,
            write_quantity: r.write_quantity,
            subfunction: r.subfunction,
            mei_type: r.mei_type,
            umas_function: r.umas_function,
            operation: operation(r),
        }
    }
}

/// Security-relevant operation of a request.
pub fn operation(r: &Request<'_>) -> Option<Operation> {
    match r.function {
        5 | 6 | 15 | 16 | 22 | 23 => Some(Operation::Write),
        8 => match r.subfunction {
            Some(1) => Some(Operation::Restart),
            Some(4) => Some(Operation::ConfigChange),
            _ => None,
        },
        17 => Some(Operation::Identify),
        20 | 21 => Some(Operation::FileOp),
        43 if r.mei_type == Some(14) => Some(Operation::Identify),
        90 => match r.umas_function {
            Some(0x10) => Some(Operation::Auth),
            Some(0x21) | Some(0x23) | Some(0x25) => Some(Operation::Write),
            Some(0x30..=0x32) => Some(Operation::ProgramUpload),
            Some(0x33..=0x35) => Some(Operation::ProgramDownload),
            Some(0x40) => Some(Operation::Run),
            Some(0x41) => Some(Operation::Stop),
            _ => None,
        },
        _ => None,
    }
}

/// Only an exception or a read response of the exact response layout.
fn looks_like_response(fc: u8, d: &[u8]) -> bool {
    if fc & 0x80 != 0 {
        return true;
    }
    match fc {
        1..=4 | 23 => d.len() != 4 && !d.is_empty() && d.len() == 1 + d[0] as usize && fc != 23,
        _ => false,
    }
}

/// A read request (4 data bytes) that cannot be a read response.
fn looks_like_request(fc: u8, d: &[u8]) -> bool {
    matches!(fc, 1..=4) && d.len() == 4 && d[0] != 3
}

#[derive(Debug, Default)]
pub struct ModbusState {
    txs: TxTable<PendingRequest>,
    /// Messages whose framing was lost (resynchronised on the next segment).
    pub malformed: u64,
    pub requests: u64,
    pub responses: u64,
}

impl ModbusState {
    pub fn new() -> Self {
        Self::default()
    }

    fn on_frame(&mut self, dir: Direction, f: &Frame<&[u8]>, out: &mut dyn EventSink) {
        let mut an = Anomalies::default();
        if f.length() > MAX_LEN {
            an.set(A_LENGTH_TOO_LARGE);
        }
        let fc = f.function_code();
        let tid = f.transaction_id();
        // The side is normally given by the direction; a message whose
        // layout can only be the other kind wins (roles reversed, or a
        // capture that starts mid-flow).
        let is_request = match dir {
            Direction::ToServer => !looks_like_response(fc, f.data()),
            Direction::ToClient => looks_like_request(fc, f.data()),
        };
        let dir = if is_request {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        match dir {
            Direction::ToServer => {
                self.requests += 1;
                let req = Request::parse(fc, f.data(), &mut an);
                let id = self.txs.next_id();
                let p = PendingRequest::from_request(id, tid, f.unit_id(), &req);
                if let Some(old) = self.txs.push(p) {
                    let mut a2 = Anomalies::default();
                    a2.set(A_TOO_MANY_TXS);
                    a2.set(A_UNANSWERED);
                    logger::log_unanswered(&old, a2, out);
                }
                an.report(ANOMALY_NAMES, out);
                if out.wants_facts() {
                    request_facts(f.unit_id(), &req, out);
                }
                if out.wants_events() {
                    logger::log_request(id, f, &req, &p, an, out);
                }
            }
            Direction::ToClient => {
                self.responses += 1;
                let fc7 = fc & 0x7f;
                let pending = self
                    .txs
                    .take(|p| p.transaction_id == tid && p.function == fc7);
                let pending = match pending {
                    Some(p) => Some(p),
                    None => {
                        let p = self.txs.take(|p| p.transaction_id == tid);
                        if p.is_some() {
                            an.set(A_FUNCTION_MISMATCH);
                        }
                        p
                    }
                };
                if pending.is_none() {
                    an.set(A_UNSOLICITED_RESPONSE);
                }
                let qty = pending.and_then(|p| p.read_quantity);
                let resp = Response::parse(fc, f.data(), qty, &mut an);
                an.report(ANOMALY_NAMES, out);
                if out.wants_facts() {
                    out.fact(Fact::Modbus {
                        request: false,
                        function: fc,
                        subfunction: None,
                        unit: f.unit_id(),
                        access: None,
                        rw_write: None,
                    });
                }
                if out.wants_events() {
                    let id = match pending {
                        Some(p) => p.id,
                        None => self.txs.next_id(),
                    };
                    logger::log_response(id, f, &resp, pending.as_ref(), an, out);
                }
            }
        }
    }
}

impl AppParser for ModbusState {
    fn parse(&mut self, dir: Direction, data: &[u8], out: &mut dyn EventSink) -> ParseResult {
        let mut off = 0usize;
        // Bounded: every iteration consumes at least 8 bytes or returns.
        while off < data.len() {
            let rest = &data[off..];
            match Frame::new_checked(rest) {
                Ok(f) => {
                    if f.protocol_id() != 0 || f.length() > MAX_ACCEPTED_LEN {
                        // Lost framing: drop what we were handed; TCP
                        // segments usually start on a frame, so the next
                        // one resynchronises.
                        self.malformed += 1;
                        out.anomaly(if f.protocol_id() != 0 {
                            ANOMALY_NAMES[A_BAD_PROTOCOL_ID as usize]
                        } else {
                            ANOMALY_NAMES[A_LENGTH_TOO_LARGE as usize]
                        });
                        return ParseResult::Done;
                    }
                    let total = f.total_len();
                    self.on_frame(dir, &f, out);
                    off += total;
                }
                Err(FrameError::Truncated(n)) => {
                    // Check the header we have before waiting for more.
                    if rest.len() >= 6 {
                        let pid = u16::from_be_bytes([rest[2], rest[3]]);
                        let len = u16::from_be_bytes([rest[4], rest[5]]);
                        if pid != 0 || len > MAX_ACCEPTED_LEN {
                            self.malformed += 1;
                            out.anomaly(ANOMALY_NAMES[A_BAD_PROTOCOL_ID as usize]);
                            return ParseResult::Done;
                        }
                    }
                    return ParseResult::Incomplete {
                        consumed: off,
                        needed: n - rest.len(),
                    };
                }
                Err(FrameError::BadLength) => {
                    self.malformed += 1;
                    out.anomaly(ANOMALY_NAMES[A_INVALID_LENGTH as usize]);
                    return ParseResult::Done;
                }
            }
        }
        ParseResult::Done
    }

    fn on_gap(&mut self, _dir: Direction, _out: &mut dyn EventSink) {}

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

    const REQ: [u8; 12] = [0, 7, 0, 0, 0, 6, 1, 3, 0, 10, 0, 2];
    const RESP: [u8; 13] = [0, 7, 0, 0, 0, 7, 1, 3, 4, 0, 1, 0, 2];

    #[test]
    fn pairs_request_and_response() {
        let mut s = ModbusState::new();
        let mut sink = TestSink::default();
        assert_eq!(
            s.parse(Direction::ToServer, &REQ, &mut sink),
            ParseResult::Done
        );
        assert_eq!(
            s.parse(Direction::ToClient, &RESP, &mut sink),
            ParseResult::Done
        );
        assert_eq!(sink.events.len(), 2);
        let (t, req) = &sink.events[0];
        assert_eq!(t, "modbus");
        assert!(req.contains("\"type\":\"request\""), "{req}");
        assert!(
            req.contains("\"read\":{\"address\":10,\"quantity\":2}"),
            "{req}"
        );
        let resp = &sink.events[1].1;
        assert!(resp.contains("\"type\":\"response\""), "{resp}");
        assert!(resp.contains("\"id\":1"), "{resp}");
        assert!(resp.contains("\"values\":[1,2]"), "{resp}");
        assert!(sink.anomalies.is_empty());
    }

    #[test]
    fn facts_only_when_wanted() {
        // write multiple registers: unit 1, PDU address 10, values 7, 8
        let w = [0, 1, 0, 0, 0, 11, 1, 16, 0, 10, 0, 2, 4, 0, 7, 0, 8];
        let mut s = ModbusState::new();
        let mut sink = TestSink::default();
        s.parse(Direction::ToServer, &w, &mut sink);
        assert_eq!(
            sink.facts,
            vec![
                Fact::Modbus {
                    request: true,
                    function: 16,
                    subfunction: None,
                    unit: 1,
                    access: Some(ModbusAccess {
                        write: true,
                        table: ModbusTable::Holding,
                        address: 10,
                        quantity: 2,
                        value: None,
                    }),
                    rw_write: None,
                },
                Fact::ModbusWrite {
                    address: 10,
                    value: 7
                },
                Fact::ModbusWrite {
                    address: 11,
                    value: 8
                },
            ]
        );
        // a sink that does not want facts gets none (and the same events)
        struct NoFacts(TestSink);
        impl EventSink for NoFacts {
            fn wants_events(&self) -> bool {
                true
            }
            fn event(
                &mut self,
                t: &'static str,
                b: &mut dyn FnMut(&mut reefwatch_applayer::JsonBuilder),
            ) {
                self.0.event(t, b)
            }
            fn event_toplevel(
                &mut self,
                t: &'static str,
                b: &mut dyn FnMut(&mut reefwatch_applayer::JsonBuilder),
            ) {
                self.0.event(t, b)
            }
            fn fact(&mut self, f: Fact) {
                self.0.facts.push(f)
            }
            fn anomaly(&mut self, n: &'static str) {
                self.0.anomaly(n)
            }
        }
        let mut s = ModbusState::new();
        let mut quiet = NoFacts(TestSink::default());
        s.parse(Direction::ToServer, &w, &mut quiet);
        assert!(quiet.0.facts.is_empty());
        assert_eq!(quiet.0.events, sink.events);
    }

    #[test]
    fn split_anywhere_gives_same_events() {
        let mut whole = Vec::new();
        whole.extend_from_slice(&REQ);
        whole.extend_from_slice(&REQ);
        for cut in 0..whole.len() {
            let mut s = ModbusState::new();
            let mut sink = TestSink::default();
            let r = s.parse(Direction::ToServer, &whole[..cut], &mut sink);
            let consumed = match r {
                ParseResult::Done => cut,
                ParseResult::Incomplete { consumed, needed } => {
                    assert!(needed > 0);
                    consumed
                }
                ParseResult::Error => panic!("error"),
            };
            let r2 = s.parse(Direction::ToServer, &whole[consumed..], &mut sink);
            assert_eq!(r2, ParseResult::Done, "cut {cut}");
            assert_eq!(sink.events.len(), 2, "cut {cut}");
        }
    }

    #[test]
    fn unsolicited_response_flagged_and_unanswered_logged() {
        let mut s = ModbusState::new();
        let mut sink = TestSink::default();
        s.parse(Direction::ToClient, &RESP, &mut sink);
        assert!(sink
            .anomalies
            .iter()
            .any(|a| a == "modbus.unsolicited_response"));
        s.parse(Direction::ToServer, &REQ, &mut sink);
        s.on_close(&mut sink);
        assert!(sink.events[2].1.contains("\"type\":\"unanswered\""));
    }

    #[test]
    fn garbage_does_not_lose_the_flow() {
        let mut s = ModbusState::new();
        let mut sink = TestSink::default();
        let junk = [0x47, 0x45, 0x54, 0x20, 0x2f, 0x20, 0x48, 0x54, 0x54];
        assert_eq!(
            s.parse(Direction::ToServer, &junk, &mut sink),
            ParseResult::Done
        );
        assert_eq!(s.malformed, 1);
        assert_eq!(
            s.parse(Direction::ToServer, &REQ, &mut sink),
            ParseResult::Done
        );
        assert_eq!(sink.events.len(), 1);
    }

    #[test]
    fn open_transactions_are_bounded() {
        let mut s = ModbusState::new();
        let mut sink = TestSink::default();
        for i in 0..(reefwatch_applayer::MAX_TXS_PER_FLOW as u16 + 10) {
            let mut r = REQ;
            r[0..2].copy_from_slice(&i.to_be_bytes());
            s.parse(Direction::ToServer, &r, &mut sink);
        }
        assert_eq!(s.txs.len(), reefwatch_applayer::MAX_TXS_PER_FLOW);
        assert!(sink
            .anomalies
            .iter()
            .any(|a| a == "modbus.too_many_transactions"));
    }
}
