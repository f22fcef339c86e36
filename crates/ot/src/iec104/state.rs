//! IEC 104 per-flow state: APDU framing (resync on 0x68), send/receive
//! sequence tracking per direction (gaps flagged), pairing of commands
//! (COT act/deact) with their confirmations (actcon/deactcon/actterm) by
//! type, common address and IOA, and of U-format act/con.

use super::logger;
use super::parser::*;
use crate::common::{Anomalies, Operation, TxTable};
use reefwatch_applayer::{AppParser, Direction, EventSink, ParseResult};

#[derive(Debug, Clone, Copy)]
pub struct PendingCommand {
    pub id: u64,
    pub type_id: u8,
    pub common_address: u16,
    pub ioa: u32,
    pub cause: u8,
    pub confirmed: bool,
    pub operation: Option<Operation>,
}

#[derive(Debug, Default)]
pub struct Iec104State {
    next_ns: [Option<u16>; 2],
    txs: TxTable<PendingCommand>,
    /// Open U-format act per function (STARTDT, STOPDT, TESTFR): tx id.
    u_pending: [Option<u64>; 3],
    pub malformed: u64,
}

pub fn operation(type_id: u8, cause: u8) -> Option<Operation> {
    if !(cause == 6 || cause == 8) {
        return None;
    }
    match type_id {
        45..=64 => Some(Operation::Write),
        103 | 107 => Some(Operation::TimeSync),
        105 => Some(Operation::Restart),
        110..=113 => Some(Operation::ConfigChange),
        120..=127 => Some(Operation::FileOp),
        _ => None,
    }
}

fn u_index(f: u8) -> Option<(usize, bool)> {
    match f & 0xfc {
        0x04 => Some((0, true)),
        0x08 => Some((0, false)),
        0x10 => Some((1, true)),
        0x20 => Some((1, false)),
        0x40 => Some((2, true)),
        0x80 => Some((2, false)),
        _ => None,
    }
}

impl Iec104State {
    pub fn new() -> Self {
        Self::default()
    }

    fn on_apdu(&mut self, dir: Direction, a: &Apdu<&[u8]>, out: &mut dyn EventSink) {
        let mut an = Anomalies::default();
        let fmt = a.format();
        let mut id = None;
        let mut op = None;
        let mut header = None;
        match fmt {
            Format::I { ns, .. } => {
                let d = dir.index();
                if let Some(exp) = self.next_ns[d] {
                    if exp != ns {
                        an.set(A_SEQUENCE_GAP);
                    }
                }
                self.next_ns[d] = Some((ns + 1) & 0x7fff);
                let asdu = a.asdu();
                match AsduHeader::parse(asdu) {
                    None => an.set(A_TRUNCATED_ASDU),
                    Some(h) => {
                        header = Some(h);
                        let objs = &asdu[ASDU_HEADER_LEN..];
                        match expected_objects_len(&h) {
                            None => an.set(A_UNKNOWN_TYPE),
                            Some(n) if n > objs.len() => an.set(A_TRUNCATED_ASDU),
                            Some(n) if n < objs.len() => an.set(A_TRAILING_BYTES),
                            _ => {}
                        }
                        if cause_name(h.cause) == "unknown" {
                            an.set(A_UNKNOWN_COT);
                        }
                        if h.negative {
                            an.set(A_NEGATIVE_CONFIRM);
                        }
                        let ioa = le24_first(objs);
                        let (i, o) = self.pair(&h, ioa, &mut an, out);
                        id = i;
                        op = o;
                    }
                }
            }
            Format::S { .. } => {
                if a.length() != 4 {
                    an.set(A_BAD_LENGTH);
                }
            }
            Format::U { function } => {
                if a.length() != 4 {
                    an.set(A_BAD_LENGTH);
                }
                match u_index(function) {
                    None => an.set(A_BAD_U_FUNCTION),
                    Some((k, true)) => {
                        let i = self.txs.next_id();
                        self.u_pending[k] = Some(i);
                        id = Some(i);
                    }
                    Some((k, false)) => {
                        id = self.u_pending[k].take();
                        if id.is_none() {
                            an.set(A_UNEXPECTED_CONFIRM);
                        }
                    }
                }
            }
        }
        an.report(ANOMALY_NAMES, out);
        if out.wants_events() {
            logger::log_apdu(a, fmt, header.as_ref(), id, op, an, out);
        }
    }

    /// Pair commands and confirmations; returns (tx id, operation).
    fn pair(
        &mut self,
        h: &AsduHeader,
        ioa: Option<u32>,
        an: &mut Anomalies,
        out: &mut dyn EventSink,
    ) -> (Option<u64>, Option<Operation>) {
        if !is_command(h.type_id) {
            return (None, None);
        }
        let ioa = ioa.unwrap_or(0);
        let key = |p: &PendingCommand| {
            p.type_id == h.type_id && p.common_address == h.common_address && p.ioa == ioa
        };
        match h.cause {
            6 | 8 => {
                let id = self.txs.next_id();
                let op = operation(h.type_id, h.cause);
                let p = PendingCommand {
                    id,
                    type_id: h.type_id,
                    common_address: h.common_address,
                    ioa,
                    cause: h.cause,
                    confirmed: false,
                    operation: op,
                };
                if let Some(old) = self.txs.push(p) {
                    if !old.confirmed {
                        let mut a2 = Anomalies::default();
                        a2.set(A_TOO_MANY_TXS);
                        a2.set(A_UNANSWERED);
                        logger::log_unanswered(&old, a2, out);
                    }
                }
                (Some(id), op)
            }
            7 | 9 => {
                // confirmation: keep the tx open for a later actterm
                match self.txs.take(|p| key(p) && !p.confirmed) {
                    Some(mut p) => {
                        p.confirmed = true;
                        let r = (Some(p.id), p.operation);
                        let _ = self.txs.push(p);
                        r
                    }
                    None => {
                        an.set(A_UNEXPECTED_CONFIRM);
                        (None, None)
                    }
                }
            }
            10 => match self.txs.take(key) {
                Some(p) => (Some(p.id), p.operation),
                None => (None, None),
            },
            _ => (None, None),
        }
    }
}

fn le24_first(objs: &[u8]) -> Option<u32> {
    crate::common::le24(objs, 0)
}

impl AppParser for Iec104State {
    fn parse(&mut self, dir: Direction, data: &[u8], out: &mut dyn EventSink) -> ParseResult {
        let mut off = 0usize;
        while off < data.len() {
            let rest = &data[off..];
            match Apdu::new_checked(rest) {
                Ok(a) => {
                    let n = a.total_len();
                    self.on_apdu(dir, &a, out);
                    off += n;
                }
                Err(ApduError::Truncated(n)) => {
                    return ParseResult::Incomplete {
                        consumed: off,
                        needed: n - rest.len(),
                    }
                }
                Err(_) => {
                    self.malformed += 1;
                    out.anomaly(ANOMALY_NAMES[A_LOST_SYNC as usize]);
                    // skip to the next start byte
                    let skip = memchr_68(&rest[1..]).map(|p| p + 1).unwrap_or(rest.len());
                    off += skip;
                }
            }
        }
        ParseResult::Done
    }

    fn on_gap(&mut self, dir: Direction, _out: &mut dyn EventSink) {
        self.next_ns[dir.index()] = None;
    }

    fn on_close(&mut self, out: &mut dyn EventSink) {
        let mut an = Anomalies::default();
        an.set(A_UNANSWERED);
        let pending: Vec<PendingCommand> = self.txs.drain().filter(|p| !p.confirmed).collect();
        for p in pending {
            logger::log_unanswered(&p, an, out);
        }
    }
}

fn memchr_68(b: &[u8]) -> Option<usize> {
    b.iter().position(|&x| x == START)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reefwatch_applayer::TestSink;

    fn cmd(ns: u16, cause: u8) -> Vec<u8> {
        // C_SC_NA_1, CA 3, IOA 4500, SCO 0x81 (select on)
        let mut v = vec![0x68, 14];
        v.extend_from_slice(&(ns << 1).to_le_bytes());
        v.extend_from_slice(&[0, 0, 45, 1, cause, 0, 3, 0, 0x94, 0x11, 0x00, 0x81]);
        v
    }

    #[test]
    fn command_paired_with_confirmation_and_termination() {
        let mut s = Iec104State::new();
        let mut sink = TestSink::default();
        s.parse(Direction::ToServer, &cmd(0, 6), &mut sink);
        s.parse(Direction::ToClient, &cmd(0, 7), &mut sink);
        s.parse(Direction::ToClient, &cmd(1, 10), &mut sink);
        assert_eq!(sink.events.len(), 3);
        for (_, e) in &sink.events {
            assert!(e.contains("\"id\":1"), "{e}");
            assert!(e.contains("\"ioa\":4500"), "{e}");
        }
        assert!(sink.events[0].1.contains("\"operation\":\"write\""));
        assert!(sink.events[0].1.contains("\"command\":true"));
        assert!(sink.anomalies.is_empty(), "{:?}", sink.anomalies);
        s.on_close(&mut sink);
        assert_eq!(sink.events.len(), 3);
    }

    #[test]
    fn sequence_gap_and_u_frames() {
        let mut s = Iec104State::new();
        let mut sink = TestSink::default();
        let mut data = cmd(5, 3);
        data.extend(cmd(7, 3));
        data.extend([0x68, 4, 0x07, 0, 0, 0]);
        s.parse(Direction::ToServer, &data, &mut sink);
        s.parse(Direction::ToClient, &[0x68, 4, 0x0b, 0, 0, 0], &mut sink);
        assert!(sink.anomalies.iter().any(|a| a == "iec104.sequence_gap"));
        assert!(sink.events[2].1.contains("STARTDT act"));
        assert!(sink.events[3].1.contains("STARTDT con"));
    }

    #[test]
    fn split_and_garbage() {
        let mut data = vec![0x00, 0x11];
        data.extend(cmd(0, 6));
        for cut in 0..data.len() {
            let mut s = Iec104State::new();
            let mut sink = TestSink::default();
            let c = match s.parse(Direction::ToServer, &data[..cut], &mut sink) {
                ParseResult::Incomplete { consumed, .. } => consumed,
                _ => cut,
            };
            s.parse(Direction::ToServer, &data[c..], &mut sink);
            assert_eq!(sink.events.len(), 1, "cut {cut}");
        }
    }
}
