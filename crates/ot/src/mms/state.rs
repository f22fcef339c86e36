//! MMS per-flow state: TPKT framing, COTP DT reassembly per direction
//! (shared ISO layer), session/presentation/ACSE unwrap, request ↔
//! response pairing by invoke id (initiate and conclude by kind).

use super::logger::{self, Msg};
use super::osi::{self, AcseKind};
use super::parser::{self, *};
use super::tx::Pending;
use crate::common::Operation;
use crate::iso::{tpkt, Cotp, Joined, Reassembly, Tpkt, TpktError};
use reefwatch_applayer::{Anomalies, AppParser, Direction, EventSink, ParseResult, TxTable};

#[derive(Debug, Default)]
pub struct MmsState {
    seg: [Reassembly; 2],
    txs: TxTable<Pending>,
}

fn operation(service: u32) -> Option<Operation> {
    Some(match service {
        2 => Operation::Identify,
        5 => Operation::Write,
        7 | 8 | 10 | 11 | 13 | 14 | 16 | 36 | 38 | 39 => Operation::ConfigChange,
        26..=28 | 32 | 34 => Operation::ProgramDownload,
        29..=31 | 33 | 35 => Operation::ProgramUpload,
        40 | 42 => Operation::Run,
        41 | 44 => Operation::Stop,
        43 => Operation::Restart,
        46 | 72..=77 => Operation::FileOp,
        _ => return None,
    })
}

impl MmsState {
    pub fn new() -> Self {
        Self::default()
    }

    fn on_cotp(&mut self, dir: Direction, payload: &[u8], out: &mut dyn EventSink) {
        let Some(c) = Cotp::parse(payload) else {
            out.anomaly(ANOMALY_NAMES[A_BAD_COTP as usize]);
            return;
        };
        if let Cotp::Data { eot, data, .. } = c {
            let d = dir.index();
            match self.seg[d].push(eot, data) {
                Joined::Pending => {}
                Joined::Whole => self.on_payload(data, out),
                Joined::Buffered => {
                    let buf = self.seg[d].take();
                    self.on_payload(&buf, out);
                    self.seg[d].restore(buf);
                }
                Joined::TooLarge => out.anomaly(ANOMALY_NAMES[A_SEGMENTS_TOO_LARGE as usize]),
            }
        }
    }

    fn on_payload(&mut self, p: &[u8], out: &mut dyn EventSink) {
        let u = osi::unwrap(p);
        let mut an = Anomalies::default();
        if u.bad_session {
            an.set(A_BAD_SESSION);
        }
        if u.bad_presentation {
            an.set(A_BAD_PRESENTATION);
        }
        if u.bad_acse {
            an.set(A_BAD_ACSE);
        }
        if let Some(a) = u.acse {
            if a.kind == AcseKind::Aare && a.result.unwrap_or(0) != 0 {
                an.set(A_ASSOCIATION_REJECTED);
            }
            if a.kind == AcseKind::Abrt {
                an.set(A_ABORT);
            }
        }
        if u.spdu == Some(osi::si::ABORT) {
            an.set(A_ABORT);
        }
        let Some(m) = u.mms else {
            an.report(ANOMALY_NAMES, out);
            if u.acse.is_some() && out.wants_events() {
                let id = self.txs.next_id();
                logger::log_acse(id, &u, an, out);
            }
            return;
        };
        let pdu = match parser::parse(m) {
            Ok(p) => p,
            Err(_) => {
                an.set(A_MALFORMED_PDU);
                an.report(ANOMALY_NAMES, out);
                return;
            }
        };
        if pdu.malformed {
            an.set(A_MALFORMED_PDU);
        }
        if pdu.trailing {
            an.set(A_TRAILING_DATA);
        }
        if pdu.kind == u32::MAX {
            an.set(A_UNKNOWN_PDU);
        }
        if matches!(pdu.kind, 2 | 7 | 10 | 13) {
            an.set(A_ERROR_RESPONSE);
        }
        if pdu.kind == 4 {
            an.set(A_REJECT);
        }
        if pdu.kind == 0 && pdu.service.is_some_and(|s| s > 77) {
            an.set(A_UNKNOWN_SERVICE);
        }
        let mut msg = Msg {
            pdu: &pdu,
            upper: &u,
            id: 0,
            operation: None,
            request: None,
        };
        match pdu.kind {
            0 | 5 | 8 | 11 => {
                msg.operation = pdu.service.filter(|_| pdu.kind == 0).and_then(operation);
                let id = self.txs.next_id();
                msg.id = id;
                let p = Pending {
                    id,
                    kind: pdu.kind,
                    invoke_id: pdu.invoke_id,
                    service: pdu.service.filter(|_| pdu.kind == 0),
                    operation: msg.operation,
                };
                if let Some(old) = self.txs.push(p) {
                    let mut a = Anomalies::default();
                    a.set(A_TOO_MANY_TXS);
                    a.set(A_UNANSWERED);
                    logger::log_unanswered(&old, a, out);
                }
            }
            1 | 2 | 4 | 6 | 7 | 9 | 10 | 12 | 13 => {
                let want = match pdu.kind {
                    1 | 2 | 4 => 0,
                    6 | 7 => 5,
                    9 | 10 => 8,
                    _ => 11,
                };
                let inv = pdu.invoke_id;
                let found = if want == 0 || want == 5 {
                    self.txs.take(|q| q.kind == want && q.invoke_id == inv)
                } else {
                    self.txs.take(|q| q.kind == want)
                };
                match found {
                    Some(q) => {
                        msg.id = q.id;
                        msg.operation = q.operation;
                        msg.request = Some(q);
                    }
                    None => {
                        if pdu.kind != 4 {
                            an.set(A_UNSOLICITED_RESPONSE);
                        }
                        msg.id = self.txs.next_id();
                    }
                }
            }
            _ => msg.id = self.txs.next_id(),
        }
        an.report(ANOMALY_NAMES, out);
        if out.wants_events() {
            logger::log_pdu(&msg, an, out);
        }
    }
}

impl AppParser for MmsState {
    fn parse(&mut self, dir: Direction, data: &[u8], out: &mut dyn EventSink) -> ParseResult {
        let mut off = 0usize;
        while off < data.len() {
            let rest = &data[off..];
            match Tpkt::new_checked(rest) {
                Ok(t) => {
                    self.on_cotp(dir, t.payload(), out);
                    off += t.total_len();
                }
                Err(TpktError::Truncated(n)) => {
                    return ParseResult::Incomplete {
                        consumed: off,
                        needed: n - rest.len(),
                    }
                }
                Err(TpktError::Bad) => {
                    out.anomaly(ANOMALY_NAMES[A_BAD_TPKT as usize]);
                    off += tpkt::resync_skip(rest);
                }
            }
        }
        ParseResult::Done
    }

    fn on_gap(&mut self, dir: Direction, _out: &mut dyn EventSink) {
        self.seg[dir.index()].clear();
    }

    fn on_close(&mut self, out: &mut dyn EventSink) {
        let mut an = Anomalies::default();
        an.set(A_UNANSWERED);
        for p in self.txs.drain() {
            logger::log_unanswered(&p, an, out);
        }
    }
}
