//! DNP3 per-flow state: link framing over a byte stream (resync on the
//! 0x0564 start bytes), transport reassembly per direction, and request /
//! response pairing by application sequence number. Unsolicited responses
//! are reported as such.

use super::logger;
use super::parser::*;
use super::tx::{LinkInfo, PendingRequest};
use crate::common::Operation;
use reefwatch_applayer::{Anomalies, TxTable};
use reefwatch_applayer::{AppParser, BufferId, Direction, EventSink, Fact, ParseResult};

#[derive(Debug, Default)]
struct Reassembly {
    buf: Vec<u8>,
    active: bool,
    next_seq: u8,
    segments: u32,
}

#[derive(Debug, Default)]
pub struct Dnp3State {
    reasm: [Reassembly; 2],
    txs: TxTable<PendingRequest>,
    pub malformed: u64,
    pub fragments: u64,
}

/// Security-relevant operation of a request fragment.
pub fn operation(function: u8, first_group: Option<u8>) -> Option<Operation> {
    match function {
        2 => match first_group {
            Some(50) => Some(Operation::TimeSync),
            Some(80) | Some(34) => Some(Operation::ConfigChange),
            Some(70) => Some(Operation::FileOp),
            _ => Some(Operation::Write),
        },
        3..=6 => Some(Operation::Write),
        13 | 14 => Some(Operation::Restart),
        15 | 16 | 19 | 20..=22 | 31 => Some(Operation::ConfigChange),
        17 => Some(Operation::Run),
        18 => Some(Operation::Stop),
        23 | 24 => Some(Operation::TimeSync),
        25..=30 => Some(Operation::FileOp),
        32 | 33 => Some(Operation::Auth),
        _ => None,
    }
}

impl Dnp3State {
    pub fn new() -> Self {
        Self::default()
    }

    fn on_frame(&mut self, dir: Direction, f: &LinkFrame<&[u8]>, out: &mut dyn EventSink) {
        let mut an = Anomalies::default();
        let hdr_ok = f.header_crc_ok();
        if !hdr_ok {
            an.set(A_BAD_HEADER_CRC);
        }
        let mut ud = [0u8; 250];
        let (n, data_ok) = f.user_data(&mut ud);
        if !data_ok {
            an.set(A_BAD_DATA_CRC);
        }
        let mut link = LinkInfo {
            control: f.control(),
            src: f.source(),
            dst: f.destination(),
            crc_ok: hdr_ok && data_ok,
            transport: None,
            segments: 0,
        };
        if n == 0 {
            an.report(ANOMALY_NAMES, out);
            if out.wants_events() {
                logger::log_link(&link, an, out);
            }
            return;
        }
        let th = ud[0];
        link.transport = Some(th);
        let (fin, fir, seq) = (th & 0x80 != 0, th & 0x40 != 0, th & 0x3f);
        let payload = &ud[1..n];
        let r = &mut self.reasm[dir.index()];
        if fir && fin {
            if r.active {
                an.set(A_TRANSPORT_SEQ);
                r.active = false;
                r.buf.clear();
            }
            link.segments = 1;
            self.on_fragment(payload, &link, an, out);
            return;
        }
        if fir {
            if r.active {
                an.set(A_TRANSPORT_SEQ);
            }
            r.buf.clear();
            r.buf.extend_from_slice(payload);
            r.active = true;
            r.segments = 1;
            r.next_seq = (seq + 1) & 0x3f;
        } else if !r.active {
            an.set(A_TRANSPORT_NO_FIR);
        } else if seq != r.next_seq {
            an.set(A_TRANSPORT_SEQ);
            r.active = false;
            r.buf.clear();
        } else if r.buf.len() + payload.len() > MAX_FRAGMENT {
            an.set(A_FRAGMENT_TOO_LARGE);
            r.active = false;
            r.buf.clear();
        } else {
            r.buf.extend_from_slice(payload);
            r.segments += 1;
            r.next_seq = (seq + 1) & 0x3f;
        }
        if fin && r.active {
            r.active = false;
            link.segments = r.segments;
            let buf = std::mem::take(&mut r.buf);
            self.on_fragment(&buf, &link, an, out);
            let r = &mut self.reasm[dir.index()];
            r.buf = buf;
            r.buf.clear();
        } else {
            an.report(ANOMALY_NAMES, out);
        }
    }

    fn on_fragment(
        &mut self,
        frag: &[u8],
        link: &LinkInfo,
        mut an: Anomalies,
        out: &mut dyn EventSink,
    ) {
        self.fragments += 1;
        // Suricata drops frames whose CRCs fail: rules see nothing of them.
        let inspect = link.crc_ok;
        if inspect {
            out.buffer(BufferId::Dnp3Data, frag);
        }
        let facts = inspect && out.wants_facts();
        let Some((h, off)) = AppHeader::parse(frag) else {
            an.set(A_SHORT_APDU);
            self.malformed += 1;
            an.report(ANOMALY_NAMES, out);
            if out.wants_events() {
                logger::log_link(link, an, out);
            }
            return;
        };
        if function_name(h.function) == "unknown" {
            an.set(A_UNKNOWN_FUNCTION);
        }
        let objects = &frag[off..];
        // One pass to validate and find the first group (for the operation).
        let mut first_group = None;
        let mut oan = Anomalies::default();
        if facts {
            out.fact(Fact::Dnp3 {
                function: h.function,
                // IIN1 << 8 | IIN2, as Suricata's dnp3_ind flags
                iin: h.iin.map(u16::swap_bytes),
            });
        }
        for o in ObjectIter::new(objects, h.function, &mut oan) {
            if first_group.is_none() {
                first_group = Some(o.group);
            }
            if facts {
                out.fact(Fact::Dnp3Object {
                    group: o.group,
                    variation: o.variation,
                });
            }
        }
        an.0 |= oan.0;
        let (kind, id, op) = if is_response(h.function) {
            let unsolicited = h.function == 130 || h.uns();
            if unsolicited {
                an.set(A_UNSOLICITED);
                ("unsolicited_response", self.txs.next_id(), None)
            } else {
                match self.txs.take(|p| p.seq == h.seq()) {
                    Some(p) => ("response", p.id, p.operation),
                    None => ("response", self.txs.next_id(), None),
                }
            }
        } else {
            let id = self.txs.next_id();
            let op = operation(h.function, first_group);
            // Confirms are not answered; everything else may be.
            if h.function != 0 {
                let p = PendingRequest {
                    id,
                    seq: h.seq(),
                    function: h.function,
                    operation: op,
                };
                if let Some(old) = self.txs.push(p) {
                    let mut a2 = Anomalies::default();
                    a2.set(A_TOO_MANY_TXS);
                    a2.set(A_UNANSWERED);
                    logger::log_unanswered(&old, a2, out);
                }
            }
            ("request", id, op)
        };
        an.report(ANOMALY_NAMES, out);
        if out.wants_events() {
            logger::log_fragment(kind, id, op, link, &h, objects, an, out);
        }
    }
}

impl AppParser for Dnp3State {
    fn parse(&mut self, dir: Direction, data: &[u8], out: &mut dyn EventSink) -> ParseResult {
        let mut off = 0usize;
        while off < data.len() {
            let rest = &data[off..];
            match LinkFrame::new_checked(rest) {
                Ok(f) => {
                    let total = f.total_len();
                    self.on_frame(dir, &f, out);
                    off += total;
                }
                Err(LinkError::Truncated(n)) => {
                    return ParseResult::Incomplete {
                        consumed: off,
                        needed: n - rest.len(),
                    };
                }
                Err(LinkError::BadStart) | Err(LinkError::BadLength) => {
                    // Resynchronise on the next 05 64.
                    self.malformed += 1;
                    out.anomaly(ANOMALY_NAMES[A_LOST_SYNC as usize]);
                    let skip = rest[1..]
                        .windows(2)
                        .position(|w| w == START)
                        .map(|p| p + 1)
                        .unwrap_or_else(|| {
                            if rest.last() == Some(&START[0]) {
                                rest.len() - 1
                            } else {
                                rest.len()
                            }
                        });
                    off += skip;
                }
            }
        }
        ParseResult::Done
    }

    fn on_gap(&mut self, dir: Direction, _out: &mut dyn EventSink) {
        let r = &mut self.reasm[dir.index()];
        r.active = false;
        r.buf.clear();
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
        (0..s.len() / 2)
            .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
            .collect()
    }

    // dnp3_read.pcap frames 4 (read class 0-3) and 6 (response, 2 link blocks+)
    const REQ: &str = "056414c4020003004503c7c8013c02063c03063c04063c010642ac";
    const RESP: &str = "05647444030002006854f4c88100000102000008810181010101d3740101010a02000006000000000000011e6ca40100000e01ef030000010300000001ed2178030000012bd1ffff01ed03000001e62e41c9000001170d0200000000000001b50c02c650000000000000018a0d020000000000000693000000000000000000000000000000ffff";

    #[test]
    fn read_and_response_pair() {
        let mut s = Dnp3State::new();
        let mut sink = TestSink::default();
        assert_eq!(
            s.parse(Direction::ToServer, &hex(REQ), &mut sink),
            ParseResult::Done
        );
        assert_eq!(
            s.parse(Direction::ToClient, &hex(RESP), &mut sink),
            ParseResult::Done
        );
        assert_eq!(sink.events.len(), 2, "{:?}", sink.events);
        let req = &sink.events[0].1;
        assert!(req.contains("\"type\":\"request\""), "{req}");
        assert!(req.contains("\"function_code\":1"), "{req}");
        assert!(req.contains("\"group\":60,\"variation\":2"), "{req}");
        let resp = &sink.events[1].1;
        assert!(resp.contains("\"type\":\"response\""), "{resp}");
        assert!(resp.contains("\"id\":1"), "{resp}");
        assert!(resp.contains("\"group\":1,\"variation\":2"), "{resp}");
        assert!(resp.contains("\"group\":30,\"variation\":1"), "{resp}");
        assert!(resp.contains("\"crc_ok\":true"), "{resp}");
        assert!(sink.anomalies.is_empty(), "{:?}", sink.anomalies);
    }

    #[test]
    fn split_stream_and_bad_crc() {
        let mut all = hex(REQ);
        all.extend(hex(RESP));
        for cut in [1usize, 5, 10, 26, 27, 30, 100] {
            let mut s = Dnp3State::new();
            let mut sink = TestSink::default();
            let consumed = match s.parse(Direction::ToServer, &all[..cut], &mut sink) {
                ParseResult::Done => cut,
                ParseResult::Incomplete { consumed, .. } => consumed,
                ParseResult::Error => panic!(),
            };
            s.parse(Direction::ToServer, &all[consumed..], &mut sink);
            assert_eq!(sink.events.len(), 2, "cut {cut}");
        }
        let mut bad = hex(REQ);
        bad[20] ^= 0xff; // corrupt user data
        let mut s = Dnp3State::new();
        let mut sink = TestSink::default();
        s.parse(Direction::ToServer, &bad, &mut sink);
        assert!(sink.anomalies.iter().any(|a| a == "dnp3.bad_link_data_crc"));
        assert!(sink.events[0].1.contains("\"crc_ok\":false"));
    }

    #[test]
    fn resync_after_garbage() {
        let mut data = vec![0x00, 0x05, 0x11, 0x22];
        data.extend(hex(REQ));
        let mut s = Dnp3State::new();
        let mut sink = TestSink::default();
        assert_eq!(
            s.parse(Direction::ToServer, &data, &mut sink),
            ParseResult::Done
        );
        assert_eq!(sink.events.len(), 1);
        assert_eq!(s.malformed, 1);
    }

    #[test]
    fn multi_segment_transport_reassembly() {
        // Build a fragment split over two link frames by hand.
        let frag: Vec<u8> = [0xc0u8, 0x81, 0x00, 0x00, 0x1e, 0x04, 0x00, 0x00, 0x03]
            .iter()
            .copied()
            .chain([1u8, 0, 2, 0, 3, 0, 4, 0])
            .collect();
        let seg1 = [&[0x40u8][..], &frag[..6]].concat(); // FIR, seq 0
        let seg2 = [&[0x81u8][..], &frag[6..]].concat(); // FIN, seq 1
        let mk = |ud: &[u8]| {
            let mut f = vec![0x05, 0x64, (5 + ud.len()) as u8, 0x44, 1, 0, 2, 0];
            let c = crc(&f);
            f.extend_from_slice(&c.to_le_bytes());
            for blk in ud.chunks(16) {
                f.extend_from_slice(blk);
                f.extend_from_slice(&crc(blk).to_le_bytes());
            }
            f
        };
        let mut s = Dnp3State::new();
        let mut sink = TestSink::default();
        s.parse(Direction::ToClient, &mk(&seg1), &mut sink);
        assert!(sink.events.is_empty());
        s.parse(Direction::ToClient, &mk(&seg2), &mut sink);
        assert_eq!(sink.events.len(), 1);
        let e = &sink.events[0].1;
        assert!(e.contains("\"segments\":2"), "{e}");
        assert!(e.contains("\"group\":30,\"variation\":4"), "{e}");
        assert!(e.contains("{\"index\":3,\"value\":4}"), "{e}");
    }
}
