//! IEC 104 per-flow state: APDU framing (resync on 0x68), send/receive
//! sequence tracking per direction (gaps flagged), pairing of commands
//! (COT act/deact) with their confirmations (actcon/deactcon/actterm) by
//! type, common address and IOA, and of U-format act/con.

use super::logger;
use super::parser::*;
use super::tx::PendingCommand;
use crate::common::Operation;
use reefwatch_applayer::{Anomalies, TxTable};
use reefwatch_applayer::{AppParser, Direction, EventSink, Fact, ParseResult};

#[derive(Debug, Default)]
pub struct Iec104State {
    next_ns: [Option<u16>; 2],
    txs: TxTable<PendingCommand>,
    /// Open U-format act per function (STARTDT, STOPDT, TESTFR): tx id.
    u_pending: [Option<u64>; 3],
    pub malformed: u64,
    /// Per direction: framing lost (stream picked up mid-APDU, or after a
    /// gap); the next bytes are searched for a confirmed APDU start.
    lost: [bool; 2],
    /// Per direction: an APDU was framed since the start or the last gap
    /// (garbage after it is an anomaly; bytes before it are a pickup).
    framed: [bool; 2],
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

/// Reports an ASDU as [`Fact::Iec104`] and its information object
/// addresses as [`Fact::Iec104Ioa`] (at most 127, the count's range).
fn asdu_facts(h: &AsduHeader, objs: &[u8], out: &mut dyn EventSink) {
    out.fact(Fact::Iec104 {
        type_id: h.type_id,
        cot: h.cause,
        negative: h.negative,
        test: h.test,
        originator: h.originator,
        ca: h.common_address,
    });
    if element_size(h.type_id).is_some() {
        for o in ObjectIter::new(h, objs) {
            out.fact(Fact::Iec104Ioa(o.ioa));
        }
    } else if let Some(ioa) = le24_first(objs) {
        // unknown layout: only the first address is certain
        out.fact(Fact::Iec104Ioa(ioa));
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
                        if out.wants_facts() {
                            asdu_facts(&h, objs, out);
                        }
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
    reefwatch_applayer::bytes::le24(objs, 0)
}

impl AppParser for Iec104State {
    fn parse(&mut self, dir: Direction, data: &[u8], out: &mut dyn EventSink) -> ParseResult {
        let d = dir.index();
        let mut off = 0usize;
        while off < data.len() {
            let rest = &data[off..];
            if self.lost[d] {
                match resync(rest) {
                    Resync::At(p) => {
                        off += p;
                        self.lost[d] = false;
                        continue;
                    }
                    Resync::NeedMore { from, needed } => {
                        return ParseResult::Incomplete {
                            consumed: off + from,
                            needed,
                        }
                    }
                    Resync::NotFound => return ParseResult::Done,
                }
            }
            match Apdu::new_checked(rest) {
                Ok(a) => {
                    let n = a.total_len();
                    self.framed[d] = true;
                    self.on_apdu(dir, &a, out);
                    off += n;
                }
                Err(ApduError::Truncated(n)) => {
                    return ParseResult::Incomplete {
                        consumed: off,
                        needed: n - rest.len(),
                    }
                }
                Err(_) if self.framed[d] => {
                    // garbage inside a framed stream: flagged, and framing
                    // resumes at the next start byte (as tshark reads it)
                    self.malformed += 1;
                    out.anomaly(ANOMALY_NAMES[A_LOST_SYNC as usize]);
                    let skip = rest[1..]
                        .iter()
                        .position(|&x| x == START)
                        .map_or(rest.len(), |p| p + 1);
                    off += skip;
                }
                Err(_) => {
                    // picked up mid-APDU: search with a length check and a
                    // confirming second APDU
                    self.lost[d] = true;
                }
            }
        }
        ParseResult::Done
    }

    fn on_gap(&mut self, dir: Direction, _out: &mut dyn EventSink) {
        self.next_ns[dir.index()] = None;
        // the bytes after a gap may begin inside an APDU
        self.lost[dir.index()] = true;
        self.framed[dir.index()] = false;
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

    /// A direction picked up in the middle of an APDU: the tail of a
    /// measurement whose data holds 0x68 bytes, then whole APDUs.
    fn mid_stream() -> Vec<u8> {
        let mut v = vec![
            // tail of an I-frame (M_ME_NC_1 float): IOA 0x000068, a float
            // 68 0c .. .. that looks like a start byte and length, QDS
            0x68, 0x00, 0x00, // IOA (le): 0x68 is not a start here
            0x68, 0x0c, 0x41, 0x42, // float: "68 0c" would claim 12 bytes
            0x00, // QDS
        ];
        v.extend(cmd(0, 6)); // 68 0e ..: C_SC_NA_1 act, N(S) 0
        v.extend([0x68, 0x04, 0x01, 0x00, 0x02, 0x00]); // S-frame, N(R) 1
        v.extend(cmd(1, 6)); // a second command, N(S) 1
        v
    }

    #[test]
    fn resync_mid_apdu_any_split() {
        let data = mid_stream();
        assert_eq!(resync(&data), Resync::At(8));
        // (segments as TCP cuts them: a false candidate that ends exactly
        // where a segment ends cannot be told from a real last APDU)
        for piece in [9, 10, 13, 16, 20, data.len()] {
            let mut s = Iec104State::new();
            // as the engine does: a direction seen from its middle starts lost
            s.on_gap(Direction::ToServer, &mut TestSink::default());
            let mut sink = TestSink::default();
            let mut pending: Vec<u8> = Vec::new();
            for c in data.chunks(piece) {
                pending.extend_from_slice(c);
                match s.parse(Direction::ToServer, &pending, &mut sink) {
                    ParseResult::Incomplete { consumed, .. } => {
                        pending.drain(..consumed);
                    }
                    _ => pending.clear(),
                }
            }
            let cmds: Vec<_> = sink
                .events
                .iter()
                .filter(|e| e.1.contains("C_SC_NA_1"))
                .collect();
            assert_eq!(cmds.len(), 2, "piece {piece}: {:?}", sink.events);
            assert_eq!(sink.events.len(), 3, "piece {piece}: {:?}", sink.events);
            assert!(
                sink.anomalies.is_empty(),
                "piece {piece}: {:?}",
                sink.anomalies
            );
        }
    }

    #[test]
    fn a_stray_start_byte_needs_its_length_to_land() {
        // 68 04 01 00 looks like an S-frame, but what follows its 6 bytes
        // (0x33) is not an APDU start: skipped; the real one at 7 is taken
        let mut b = vec![0x10, 0x68, 0x04, 0x01, 0x00, 0x02, 0x00, 0x33];
        let real = b.len();
        b.extend(cmd(3, 6));
        assert_eq!(resync(&b), Resync::At(real));
        // the same candidate alone at the end of the bytes is taken
        assert_eq!(resync(&b[..7]), Resync::At(1));
        // an incomplete candidate waits for its bytes
        assert_eq!(
            resync(&[0x00, 0x68, 0x0e, 0x00]),
            Resync::NeedMore {
                from: 1,
                needed: 13
            }
        );
        assert_eq!(resync(&[0x00, 0x68, 0x02, 0x12]), Resync::NotFound);
        assert_eq!(resync(&[]), Resync::NotFound);
    }

    #[test]
    fn garbage_after_framing_is_flagged_per_skip() {
        let mut s = Iec104State::new();
        let mut sink = TestSink::default();
        let mut data = cmd(0, 6);
        data.extend([0x01, 0x68, 0x02, 0x68, 0x03, 0x02]); // garbage
        data.extend(cmd(1, 6));
        assert_eq!(
            s.parse(Direction::ToServer, &data, &mut sink),
            ParseResult::Done
        );
        assert_eq!(sink.events.len(), 2);
        assert_eq!(sink.anomalies, ["iec104.lost_sync"; 3]);
    }
}
