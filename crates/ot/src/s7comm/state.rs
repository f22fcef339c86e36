//! S7comm per-flow state: TPKT framing, COTP DT reassembly per direction
//! (bounded), job ↔ ack_data pairing by PDU reference, userdata request ↔
//! response pairing, module identity from SZL reads, S7comm-plus framing.

use super::logger::{self, Msg};
use super::parser::*;
use super::tx::PendingRequest;
use crate::common::Operation;
use crate::iso::{tpkt, Cotp, Joined, Reassembly, Tpkt, TpktError};
use reefwatch_applayer::{Anomalies, TxTable};
use reefwatch_applayer::{AppParser, Direction, EventSink, Fact, ParseResult};

#[derive(Debug, Default)]
pub struct S7State {
    seg: [Reassembly; 2],
    txs: TxTable<PendingRequest>,
    /// SZL response continued in later PDUs: (data unit ref, id, index).
    szl_cont: Option<(u8, u16, u16)>,
    pub malformed: u64,
}

fn job_operation(function: u8, params: &[u8]) -> Option<Operation> {
    match function {
        0x05 => Some(Operation::Write),
        0x1a..=0x1c => Some(Operation::ProgramDownload),
        0x1d..=0x1f => Some(Operation::ProgramUpload),
        0x29 => Some(Operation::Stop),
        0x28 => match pi_service_name(params) {
            Some(b"P_PROGRAM") => Some(Operation::Run),
            Some(b"_INSE") | Some(b"_DELE") => Some(Operation::ProgramDownload),
            Some(b"_MODU") | Some(b"_GARB") => Some(Operation::ConfigChange),
            _ => Some(Operation::Run),
        },
        _ => None,
    }
}

fn userdata_operation(group: u8, sub: u8, szl_id: Option<u16>) -> Option<Operation> {
    match (group, sub) {
        (7, 2) | (7, 4) => Some(Operation::TimeSync),
        (5, _) => Some(Operation::Auth),
        (4, 1) if matches!(szl_id.map(|s| s & 0xff), Some(0x11) | Some(0x1c)) => {
            Some(Operation::Identify)
        }
        _ => None,
    }
}

impl S7State {
    pub fn new() -> Self {
        Self::default()
    }

    fn on_cotp(&mut self, dir: Direction, payload: &[u8], out: &mut dyn EventSink) {
        let Some(c) = Cotp::parse(payload) else {
            self.malformed += 1;
            out.anomaly(ANOMALY_NAMES[A_BAD_COTP as usize]);
            return;
        };
        match c {
            Cotp::Data { eot, data, .. } => {
                let d = dir.index();
                match self.seg[d].push(eot, data) {
                    Joined::Pending => {}
                    Joined::Whole => self.on_payload(data, out),
                    Joined::Buffered => {
                        let buf = self.seg[d].take();
                        self.on_payload(&buf, out);
                        self.seg[d].restore(buf);
                    }
                    Joined::TooLarge => {
                        out.anomaly(ANOMALY_NAMES[A_SEGMENT_TOO_LARGE as usize]);
                    }
                }
            }
            Cotp::Connect { .. } | Cotp::Other { .. } => {
                if out.wants_events() {
                    logger::log_cotp(&c, out);
                }
            }
        }
    }

    fn on_payload(&mut self, p: &[u8], out: &mut dyn EventSink) {
        match p.first() {
            Some(0x32) => self.on_s7(p, out),
            Some(0x72) => {
                if let Some(h) = PlusHeader::parse(p) {
                    if out.wants_events() {
                        logger::log_plus(&h, p, out);
                    }
                } else {
                    out.anomaly(ANOMALY_NAMES[A_TRUNCATED_PDU as usize]);
                }
            }
            None => {}
            Some(_) => {
                self.malformed += 1;
                out.anomaly(ANOMALY_NAMES[A_UNKNOWN_PAYLOAD as usize]);
            }
        }
    }

    fn on_s7(&mut self, p: &[u8], out: &mut dyn EventSink) {
        let mut an = Anomalies::default();
        let Some(h) = S7Header::parse(p) else {
            self.malformed += 1;
            out.anomaly(ANOMALY_NAMES[A_TRUNCATED_PDU as usize]);
            return;
        };
        let hl = h.header_len;
        let pend = hl + h.param_len as usize;
        let dend = pend + h.data_len as usize;
        if dend != p.len() {
            an.set(A_LENGTH_MISMATCH);
        }
        let params = p.get(hl..pend.min(p.len())).unwrap_or(&[]);
        let data = p.get(pend.min(p.len())..dend.min(p.len())).unwrap_or(&[]);
        if params.len() < h.param_len as usize || data.len() < h.data_len as usize {
            an.set(A_TRUNCATED_PDU);
        }
        if h.error_class.unwrap_or(0) != 0 || h.error_code.unwrap_or(0) != 0 {
            an.set(A_ERROR_RESPONSE);
        }
        let mut m = Msg {
            header: h,
            params,
            data,
            function: params.first().copied(),
            userdata: None,
            ud_data: None,
            szl: None,
            szl_continued: false,
            id: 0,
            operation: None,
            request: None,
        };
        match h.rosctr {
            1 => {
                let f = m.function.unwrap_or(0);
                if function_name(f) == "unknown" {
                    an.set(A_UNKNOWN_FUNCTION);
                }
                m.operation = job_operation(f, params);
                m.id = self.open(
                    PendingRequest {
                        id: 0,
                        pdu_ref: h.pdu_ref,
                        rosctr: 1,
                        function: f,
                        group: 0,
                        subfunction: 0,
                        szl_id: None,
                        operation: m.operation,
                    },
                    out,
                );
            }
            2 | 3 => {
                let r = h.pdu_ref;
                match self.txs.take(|q| q.pdu_ref == r && q.rosctr == 1) {
                    Some(q) => {
                        m.id = q.id;
                        m.operation = q.operation;
                        m.request = Some(q);
                    }
                    None => {
                        an.set(A_UNSOLICITED_ACK);
                        m.id = self.txs.next_id();
                    }
                }
            }
            7 => {
                let ud = UserdataParam::parse(params);
                let udd = UserdataData::parse(data);
                m.userdata = ud;
                m.ud_data = udd;
                if let (Some(u), Some(d)) = (ud, udd) {
                    if u.group == 4 && u.subfunction == 1 {
                        // Responses with a 12-byte parameter carry a data
                        // unit reference and a "more follows" flag; the
                        // following fragments continue the SZL without
                        // its header.
                        let dur =
                            (u.kind == 8 && params.len() >= 12).then(|| (params[8], params[9]));
                        match (dur, self.szl_cont) {
                            (Some((r, last)), Some((cr, id, idx))) if r == cr && r != 0 => {
                                m.szl = Some((id, idx));
                                m.szl_continued = true;
                                if last == 0 {
                                    self.szl_cont = None;
                                }
                            }
                            _ => {
                                if d.payload.len() >= 4 {
                                    let id = u16::from_be_bytes([d.payload[0], d.payload[1]]);
                                    let idx = u16::from_be_bytes([d.payload[2], d.payload[3]]);
                                    m.szl = Some((id, idx));
                                    if let Some((r, last)) = dur {
                                        if last != 0 && r != 0 {
                                            self.szl_cont = Some((r, id, idx));
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                if let Some(u) = ud {
                    let szl_id = m.szl.map(|s| s.0);
                    if u.kind == 4 {
                        m.operation = userdata_operation(u.group, u.subfunction, szl_id);
                        m.id = self.open(
                            PendingRequest {
                                id: 0,
                                pdu_ref: h.pdu_ref,
                                rosctr: 7,
                                function: 0,
                                group: u.group,
                                subfunction: u.subfunction,
                                szl_id,
                                operation: m.operation,
                            },
                            out,
                        );
                    } else if u.kind == 8 {
                        let found = self
                            .txs
                            .take(|q| q.rosctr == 7 && q.pdu_ref == h.pdu_ref && q.group == u.group)
                            .or_else(|| {
                                self.txs.take(|q| {
                                    q.rosctr == 7
                                        && q.group == u.group
                                        && q.subfunction == u.subfunction
                                })
                            });
                        match found {
                            Some(q) => {
                                m.id = q.id;
                                m.operation = q.operation;
                                m.request = Some(q);
                            }
                            None => m.id = self.txs.next_id(),
                        }
                    } else {
                        m.id = self.txs.next_id();
                    }
                } else {
                    an.set(A_TRUNCATED_PDU);
                    m.id = self.txs.next_id();
                }
            }
            _ => {
                an.set(A_UNKNOWN_ROSCTR);
                m.id = self.txs.next_id();
            }
        }
        an.report(ANOMALY_NAMES, out);
        if out.wants_facts() {
            let function = match h.rosctr {
                7 => m
                    .userdata
                    .map(|u| u16::from(u.group) << 8 | u16::from(u.subfunction)),
                _ => m.function.map(u16::from),
            };
            out.fact(Fact::S7 {
                rosctr: h.rosctr,
                function,
            });
            if let Some((id, _)) = m.szl {
                out.fact(Fact::S7SzlId(id));
            }
        }
        if out.wants_events() {
            logger::log_s7(&m, an, out);
        }
    }

    fn open(&mut self, mut p: PendingRequest, out: &mut dyn EventSink) -> u64 {
        let id = self.txs.next_id();
        p.id = id;
        if let Some(old) = self.txs.push(p) {
            let mut a = Anomalies::default();
            a.set(A_TOO_MANY_TXS);
            a.set(A_UNANSWERED);
            logger::log_unanswered(&old, a, out);
        }
        id
    }
}

impl AppParser for S7State {
    fn parse(&mut self, dir: Direction, data: &[u8], out: &mut dyn EventSink) -> ParseResult {
        let mut off = 0usize;
        while off < data.len() {
            let rest = &data[off..];
            match Tpkt::new_checked(rest) {
                Ok(t) => {
                    let n = t.total_len();
                    self.on_cotp(dir, t.payload(), out);
                    off += n;
                }
                Err(TpktError::Truncated(n)) => {
                    return ParseResult::Incomplete {
                        consumed: off,
                        needed: n - rest.len(),
                    }
                }
                Err(TpktError::Bad) => {
                    self.malformed += 1;
                    out.anomaly(ANOMALY_NAMES[A_BAD_TPKT as usize]);
                    // resync on the next "03 00"
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

#[cfg(test)]
mod tests {
    use super::*;
    use reefwatch_applayer::TestSink;

    fn tpkt(cotp_s7: &[u8]) -> Vec<u8> {
        let mut v = vec![3, 0];
        v.extend_from_slice(&((cotp_s7.len() + 4) as u16).to_be_bytes());
        v.extend_from_slice(cotp_s7);
        v
    }

    #[test]
    fn job_ack_pairing_and_stop() {
        // PLC stop job: 29 00 00 00 00 00 09 P_PROGRAM
        let mut job = vec![
            0x02, 0xf0, 0x80, 0x32, 0x01, 0, 0, 0x00, 0x07, 0x00, 0x10, 0x00, 0x00,
        ];
        job.extend_from_slice(&[0x29, 0, 0, 0, 0, 0, 9]);
        job.extend_from_slice(b"P_PROGRAM");
        let ack = [
            0x02, 0xf0, 0x80, 0x32, 0x03, 0, 0, 0x00, 0x07, 0x00, 0x01, 0x00, 0x00, 0, 0, 0x29,
        ];
        let mut s = S7State::new();
        let mut sink = TestSink::default();
        s.parse(Direction::ToServer, &tpkt(&job), &mut sink);
        s.parse(Direction::ToClient, &tpkt(&ack), &mut sink);
        assert_eq!(sink.events.len(), 2);
        assert!(
            sink.events[0].1.contains("\"function\":\"plc_stop\""),
            "{}",
            sink.events[0].1
        );
        assert!(sink.events[0].1.contains("\"operation\":\"stop\""));
        assert!(
            sink.events[1].1.contains("\"id\":1"),
            "{}",
            sink.events[1].1
        );
        assert!(sink.events[1].1.contains("\"rosctr\":\"ack_data\""));
        assert!(sink.anomalies.is_empty(), "{:?}", sink.anomalies);
    }

    #[test]
    fn cotp_segmented_payload_and_split_stream() {
        // read var job split into two COTP DT (first without EOT)
        let s7 = [
            0x32, 0x01, 0, 0, 0x00, 0x05, 0x00, 0x0e, 0x00, 0x00, 0x04, 0x01, 0x12, 0x0a, 0x10,
            0x02, 0x00, 0x01, 0x00, 0x01, 0x84, 0x00, 0x00, 0x00,
        ];
        let mut a = vec![0x02, 0xf0, 0x00];
        a.extend_from_slice(&s7[..10]);
        let mut b = vec![0x02, 0xf0, 0x80];
        b.extend_from_slice(&s7[10..]);
        let mut stream = tpkt(&a);
        stream.extend(tpkt(&b));
        for cut in 0..stream.len() {
            let mut s = S7State::new();
            let mut sink = TestSink::default();
            let c = match s.parse(Direction::ToServer, &stream[..cut], &mut sink) {
                ParseResult::Incomplete { consumed, .. } => consumed,
                _ => cut,
            };
            s.parse(Direction::ToServer, &stream[c..], &mut sink);
            assert_eq!(sink.events.len(), 1, "cut {cut}");
            assert!(
                sink.events[0].1.contains("\"area\":\"data_blocks\""),
                "{}",
                sink.events[0].1
            );
        }
    }

    #[test]
    fn garbage_resync() {
        let mut s = S7State::new();
        let mut sink = TestSink::default();
        let mut d = vec![0xff, 0x03, 0x07];
        d.extend(tpkt(&[
            0x02, 0xf0, 0x80, 0x72, 0x01, 0x00, 0x00, 0x31, 0, 0, 0x04, 0xca, 0, 0, 0, 1,
        ]));
        s.parse(Direction::ToServer, &d, &mut sink);
        assert_eq!(sink.events.len(), 1);
        assert!(sink.events[0].1.contains("s7comm-plus"));
    }
}
