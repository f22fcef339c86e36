//! ADS transactions of one flow. TCP: AMS/TCP frames (a header that is no
//! AMS drops the segment and resynchronises on the next); a request is
//! paired with the response carrying the same invoke id (and command);
//! DeviceNotification is a transaction alone. UDP (port 48899): each
//! discovery / route datagram is one event. At most `MAX_TXS_PER_FLOW`
//! requests stay open.

use super::logger;
use super::parser::*;
use super::tx::{Addr, Msg, Pending};
use crate::common::Operation;
use reefwatch_applayer::{Anomalies, AppParser, Direction, EventSink, ParseResult, TxTable};

/// Index groups of the ADS sum commands that write (sum write, sum
/// read/write).
const IG_SUM_WRITE: u32 = 0xf081;
const IG_SUM_READ_WRITE: u32 = 0xf082;

/// Security-relevant operation of a request.
pub fn operation(m: &Msg) -> Option<Operation> {
    match m.command {
        1 => Some(Operation::Identify),
        3 => Some(Operation::Write),
        9 if matches!(m.body.index_group, Some(IG_SUM_WRITE | IG_SUM_READ_WRITE)) => {
            Some(Operation::Write)
        }
        5 => match m.body.ads_state? {
            4 | 5 => Some(Operation::Run),
            6 | 12 => Some(Operation::Stop),
            2 | 16 => Some(Operation::Restart),
            15 => Some(Operation::ConfigChange),
            _ => Some(Operation::ConfigChange),
        },
        _ => None,
    }
}

/// Operation of a UDP datagram (requests only).
fn udp_operation(m: &UdpMsg<'_>) -> Option<Operation> {
    if m.is_response() {
        return None;
    }
    match m.service & !UDP_RESPONSE {
        1 => Some(Operation::Identify),
        6 | 7 => Some(Operation::ConfigChange),
        _ => None,
    }
}

#[derive(Debug, Default)]
pub struct AdsState {
    txs: TxTable<Pending>,
    /// Segments whose framing was lost (dropped, resynchronised on the next).
    pub malformed: u64,
    pub messages: u64,
}

impl AdsState {
    pub fn new() -> Self {
        Self::default()
    }

    fn msg(f: &Frame<&[u8]>) -> Msg {
        let mut an = Anomalies::default();
        let cmd = f.command();
        if !(1..=9).contains(&cmd) {
            an.set(A_UNKNOWN_COMMAND);
        }
        if f.state_flags() & !SF_KNOWN != 0 {
            an.set(A_UNKNOWN_FLAGS);
        }
        if f.data_len() as usize != f.data().len() {
            an.set(A_LENGTH_MISMATCH);
        }
        if f.error_code() != 0 {
            an.set(A_ERROR_CODE);
        }
        let mut m = Msg {
            target: Addr {
                net_id: f.target_net_id(),
                port: f.target_port(),
            },
            source: Addr {
                net_id: f.source_net_id(),
                port: f.source_port(),
            },
            command: cmd,
            state_flags: f.state_flags(),
            length: f.length(),
            data_len: f.data_len(),
            error_code: f.error_code(),
            invoke_id: f.invoke_id(),
            ..Msg::default()
        };
        if f.is_response() {
            let (b, name) = parse_response(cmd, f.data(), &mut an);
            if b.result.is_some_and(|r| r != 0) {
                an.set(A_ERROR_CODE);
            }
            m.body = b;
            if let Some(n) = name {
                m.device_name.copy_from_slice(n);
                m.has_device_name = true;
            }
        } else {
            m.body = parse_request(cmd, f.data(), &mut an);
        }
        m.anomalies = an;
        m
    }

    fn on_frame(&mut self, f: &Frame<&[u8]>, out: &mut dyn EventSink) {
        self.messages += 1;
        let m = Self::msg(f);
        let an = m.anomalies;
        if !f.is_response() {
            let op = operation(&m);
            let id = self.txs.next_id();
            if m.command == 8 {
                // sent without a response
                an.report(ANOMALY_NAMES, out);
                if out.wants_events() {
                    logger::log_single(id, "notification", &m, op, an, out);
                }
                return;
            }
            an.report(ANOMALY_NAMES, out);
            if let Some(old) = self.txs.push(Pending {
                id,
                req: m,
                operation: op,
            }) {
                let mut a2 = old.req.anomalies;
                a2.set(A_TOO_MANY_TXS);
                a2.set(A_UNANSWERED);
                Self::unanswered(&old, a2, out);
            }
            return;
        }
        let inv = m.invoke_id;
        let mut an = an;
        let p = match self
            .txs
            .take(|p| p.req.invoke_id == inv && p.req.command == m.command)
        {
            Some(p) => Some(p),
            None => {
                let p = self.txs.take(|p| p.req.invoke_id == inv);
                if p.is_some() {
                    an.set(A_COMMAND_MISMATCH);
                }
                p
            }
        };
        match p {
            Some(p) => {
                an.report(ANOMALY_NAMES, out);
                let mut all = an;
                all.merge(p.req.anomalies);
                if out.wants_events() {
                    logger::log_transaction(&p, &m, all, out);
                }
            }
            None => {
                an.set(A_UNSOLICITED_RESPONSE);
                an.report(ANOMALY_NAMES, out);
                let id = self.txs.next_id();
                if out.wants_events() {
                    logger::log_single(id, "unsolicited", &m, None, an, out);
                }
            }
        }
    }

    fn unanswered(p: &Pending, an: Anomalies, out: &mut dyn EventSink) {
        an.report(ANOMALY_NAMES, out);
        if out.wants_events() {
            logger::log_single(p.id, "unanswered", &p.req, p.operation, an, out);
        }
    }

    fn on_udp(&mut self, m: &UdpMsg<'_>, out: &mut dyn EventSink) {
        self.messages += 1;
        let mut an = Anomalies::default();
        let mut it = m.tags();
        for t in it.by_ref() {
            if t.id == tag::PASSWORD {
                an.set(A_CLEARTEXT_PASSWORD);
            }
        }
        if it.truncated {
            an.set(A_TRUNCATED);
        }
        an.report(ANOMALY_NAMES, out);
        let id = self.txs.next_id();
        if out.wants_events() {
            logger::log_udp(id, m, udp_operation(m), an, out);
        }
    }
}

impl AppParser for AdsState {
    fn parse(&mut self, _dir: Direction, data: &[u8], out: &mut dyn EventSink) -> ParseResult {
        if data.starts_with(&UDP_COOKIE) {
            // a UDP datagram (AMS/TCP frames start with 00 00)
            match UdpMsg::parse(data) {
                Some(m) => self.on_udp(&m, out),
                None => {
                    self.malformed += 1;
                    out.anomaly(ANOMALY_NAMES[A_TRUNCATED as usize]);
                }
            }
            return ParseResult::Done;
        }
        let mut off = 0usize;
        // Bounded: every iteration consumes a whole frame (>= 38 bytes) or returns.
        while off < data.len() {
            let rest = &data[off..];
            match Frame::new_checked(rest) {
                Ok(f) => {
                    let n = f.total_len();
                    self.on_frame(&f, out);
                    off += n;
                }
                Err(FrameError::Truncated(n)) => {
                    return ParseResult::Incomplete {
                        consumed: off,
                        needed: n - rest.len(),
                    };
                }
                Err(FrameError::Bad) => {
                    self.malformed += 1;
                    out.anomaly(ANOMALY_NAMES[A_LENGTH_MISMATCH as usize]);
                    return ParseResult::Done;
                }
            }
        }
        ParseResult::Done
    }

    fn on_close(&mut self, out: &mut dyn EventSink) {
        for p in self.txs.drain() {
            let mut an = p.req.anomalies;
            an.set(A_UNANSWERED);
            Self::unanswered(&p, an, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reefwatch_applayer::TestSink;

    fn frame(cmd: u16, flags: u16, invoke: u32, data: &[u8]) -> Vec<u8> {
        let mut v = vec![0, 0];
        v.extend_from_slice(&(32 + data.len() as u32).to_le_bytes());
        v.extend_from_slice(&[5, 13, 117, 96, 1, 1, 0x53, 0x03]); // target :851
        v.extend_from_slice(&[192, 168, 1, 99, 1, 1, 0x0f, 0x80]); // source :32783
        v.extend_from_slice(&cmd.to_le_bytes());
        v.extend_from_slice(&flags.to_le_bytes());
        v.extend_from_slice(&(data.len() as u32).to_le_bytes());
        v.extend_from_slice(&0u32.to_le_bytes());
        v.extend_from_slice(&invoke.to_le_bytes());
        v.extend_from_slice(data);
        v
    }

    #[test]
    fn pairs_by_invoke_id_and_logs_identity() {
        let mut s = AdsState::new();
        let mut sink = TestSink::default();
        let req = frame(1, 4, 9, &[]);
        let mut d = vec![0, 0, 0, 0, 3, 1, 0xd0, 0x0f];
        d.extend_from_slice(b"Plc30 App\0\0\0\0\0\0\0");
        let resp = frame(1, 5, 9, &d);
        // both in one segment, the response split across two calls
        let mut all = req.clone();
        all.extend_from_slice(&resp[..10]);
        let r = s.parse(Direction::ToServer, &all, &mut sink);
        assert_eq!(
            r,
            ParseResult::Incomplete {
                consumed: req.len(),
                needed: resp.len() - 10
            }
        );
        assert!(sink.events.is_empty());
        assert_eq!(
            s.parse(Direction::ToClient, &resp, &mut sink),
            ParseResult::Done
        );
        assert_eq!(sink.events.len(), 1);
        let e = &sink.events[0].1;
        assert!(
            e.contains(r#""type":"transaction","command":"ReadDeviceInfo""#),
            "{e}"
        );
        assert!(e.contains(r#""operation":"identify""#), "{e}");
        assert!(
            e.contains(r#""identity":{"device_name":"Plc30 App","version":"3.1.4048"}"#),
            "{e}"
        );
        assert!(sink.anomalies.is_empty());
    }

    #[test]
    fn write_control_stop_unanswered_and_unsolicited() {
        let mut s = AdsState::new();
        let mut sink = TestSink::default();
        // WriteControl: ADS state Stop (6), device state 0, no data
        s.parse(
            Direction::ToServer,
            &frame(5, 4, 1, &[6, 0, 0, 0, 0, 0, 0, 0]),
            &mut sink,
        );
        // a Read response nobody asked for (result 0, 0 bytes)
        s.parse(Direction::ToClient, &frame(2, 5, 77, &[0; 8]), &mut sink);
        s.on_close(&mut sink);
        assert_eq!(sink.events.len(), 2);
        assert!(sink.events[0].1.contains(r#""type":"unsolicited""#));
        let e = &sink.events[1].1;
        assert!(e.contains(r#""type":"unanswered""#), "{e}");
        assert!(e.contains(r#""operation":"stop""#), "{e}");
        assert!(e.contains(r#""ads_state":"Stop""#), "{e}");
        assert_eq!(
            sink.anomalies,
            ["ads.unsolicited_response", "ads.unanswered"]
        );
    }

    #[test]
    fn garbage_resynchronises_and_txs_are_bounded() {
        let mut s = AdsState::new();
        let mut sink = TestSink::default();
        assert_eq!(
            s.parse(Direction::ToServer, b"GET / HTTP/1.1\r\n", &mut sink),
            ParseResult::Done
        );
        assert_eq!(s.malformed, 1);
        for i in 0..(reefwatch_applayer::MAX_TXS_PER_FLOW as u32 + 3) {
            s.parse(Direction::ToServer, &frame(4, 4, i, &[]), &mut sink);
        }
        assert_eq!(s.txs.len(), reefwatch_applayer::MAX_TXS_PER_FLOW);
        assert_eq!(sink.events.len(), 3);
        assert!(sink.events[0].1.contains("too_many_transactions"));
    }

    #[test]
    fn udp_add_route_flags_the_password() {
        // ITI beckoff/addroute.pcapng frame 187: AddRoute with tags route
        // name, net id, user, password "1", host
        let d = hex(concat!(
            "036614710000000006000000c0a801c701011027050000000c000d005348454e4855414a",
            "362d50430007000600c0a801c701010d000e0041646d696e6973747261746f7200020002",
            "00310005000d003139322e3136382e312e393900"
        ));
        let mut s = AdsState::new();
        let mut sink = TestSink::default();
        s.parse(Direction::ToServer, &d, &mut sink);
        let e = &sink.events[0].1;
        assert!(e.contains(r#""service":"AddRoute""#), "{e}");
        assert!(e.contains(r#""operation":"config_change""#), "{e}");
        assert!(e.contains(r#""route_name":"SHENHUAJ6-PC""#), "{e}");
        assert!(e.contains(r#""user_name":"Administrator""#), "{e}");
        assert!(e.contains(r#""route_net_id":"192.168.1.199.1.1""#), "{e}");
        assert!(e.contains(r#""password_present":true"#), "{e}");
        assert!(!e.contains(r#""1""#), "{e}");
        assert_eq!(sink.anomalies, ["ads.cleartext_password"]);
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }
}
