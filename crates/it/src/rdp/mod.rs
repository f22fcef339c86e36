//! RDP: X.224 connection request (cookie = user name hint) and confirm,
//! client core data of standard-security sessions.

pub mod parser;

use parser::*;
use reefwatch_applayer::BufferId;
use reefwatch_applayer::{
    AppParser, Direction, EventSink, JsonBuilder, ParseResult, ProbeInput, ProbeResult,
    ProtocolDef, Transport,
};

#[derive(Default)]
struct RdpState {
    tx: u64,
    /// TLS or CredSSP selected: the rest is encrypted, stop.
    encrypted: bool,
    done_client_data: bool,
    packets: u32,
}

impl RdpState {
    fn log(&mut self, out: &mut dyn EventSink, body: &mut dyn FnMut(&mut JsonBuilder)) {
        let tx = self.tx;
        self.tx += 1;
        if out.wants_events() {
            out.event("rdp", &mut |js| {
                js.set_uint("tx_id", tx);
                body(js);
            });
        }
    }

    fn packet(&mut self, dir: Direction, p: &[u8], out: &mut dyn EventSink) {
        let Some((code, var)) = x224(p) else { return };
        match (code, dir) {
            (X224_CR, Direction::ToServer) => {
                let cr = ConnectionRequest::parse(var);
                if let Some(c) = cr.cookie {
                    out.buffer(BufferId::RdpCookie, c);
                }
                // Suricata's rdp record carries the cookie only; the requested
                // protocols are not part of its schema
                self.log(out, &mut |js| {
                    js.set_str("event_type", "initial_request");
                    if let Some(c) = cr.cookie {
                        js.set_bytes_str("cookie", c);
                    }
                });
            }
            (X224_CC, Direction::ToClient) => {
                let cc = ConnectionConfirm::parse(var);
                if cc.selected_protocol.is_some_and(|p| p != 0) {
                    self.encrypted = true;
                }
                if cc.failure.is_some() {
                    out.anomaly("rdp.negotiation_failure");
                }
                self.log(out, &mut |js| {
                    js.set_str("event_type", "initial_response");
                });
            }
            (X224_DATA, Direction::ToServer) if !self.done_client_data => {
                if let Some(d) = client_data(var) {
                    self.done_client_data = true;
                    self.log(out, &mut |js| {
                        js.set_str("event_type", "connect_request");
                        js.open_object("client");
                        js.set_str("version", version_str(d.version));
                        js.set_uint("desktop_width", d.desktop_width as u64);
                        js.set_uint("desktop_height", d.desktop_height as u64);
                        js.set_uint("color_depth", d.color_depth as u64);
                        match keyboard_layout_str(d.keyboard_layout) {
                            Some(k) => js.set_str("keyboard_layout", k),
                            None => {
                                js.set_fmt("keyboard_layout", format_args!("{}", d.keyboard_layout))
                            }
                        };
                        js.set_fmt("build", format_args!("{}", d.build));
                        js.set_str("client_name", &d.client_name);
                        js.set_str("keyboard_type", keyboard_type_str(d.keyboard_type));
                        js.set_uint("function_keys", d.function_keys as u64);
                        js.close();
                        if !d.channels.is_empty() {
                            js.open_array("channels");
                            for c in &d.channels {
                                js.append_str(c);
                            }
                            js.close();
                        }
                    });
                }
            }
            _ => {}
        }
    }
}

impl AppParser for RdpState {
    fn parse(&mut self, dir: Direction, data: &[u8], out: &mut dyn EventSink) -> ParseResult {
        if self.encrypted || self.done_client_data {
            return ParseResult::Done;
        }
        let mut pos = 0;
        while pos < data.len() {
            let rest = &data[pos..];
            if rest.len() < TPKT_HEADER_LEN {
                return ParseResult::Incomplete {
                    consumed: pos,
                    needed: TPKT_HEADER_LEN - rest.len(),
                };
            }
            let Some(len) = tpkt_len(rest) else {
                // fast-path PDUs or not TPKT: nothing more to learn
                if self.packets == 0 {
                    return ParseResult::Error;
                }
                self.encrypted = true;
                return ParseResult::Done;
            };
            if rest.len() < len {
                return ParseResult::Incomplete {
                    consumed: pos,
                    needed: len - rest.len(),
                };
            }
            self.packets += 1;
            self.packet(dir, &rest[..len], out);
            pos += len;
            if self.encrypted {
                return ParseResult::Done;
            }
        }
        ParseResult::Done
    }
}

/// Content probe: a whole TPKT holding an X.224 Connection Request (to
/// the server) or Confirm (to the client), class 0, the LI covering the
/// whole TPDU, and what makes it RDP rather than another ISO transport
/// user (S7comm, MMS open the same way): a request with a `Cookie: `
/// line (mstshash or routing token) and/or an RDP_NEG_REQ; a confirm
/// carrying an RDP_NEG_RSP or RDP_NEG_FAILURE (length 8).
fn probe(i: &ProbeInput<'_>) -> ProbeResult {
    let d = i.data;
    if d.len() < 6 {
        return if !matches!(d.first(), Some(&b) if b != 3) {
            ProbeResult::NeedMore
        } else {
            ProbeResult::NoMatch
        };
    }
    let Some(len) = tpkt_len(d) else {
        return ProbeResult::NoMatch;
    };
    let code = d[5] & 0xf0;
    let want = match i.dir {
        Direction::ToServer => X224_CR,
        Direction::ToClient => X224_CC,
    };
    if d[1] != 0 || code != want || d[4] as usize + 5 != len || len < 11 {
        return ProbeResult::NoMatch;
    }
    if d.len() < len {
        return ProbeResult::NeedMore;
    }
    if d[10] & 0xf0 != 0 {
        return ProbeResult::NoMatch; // class 0 only
    }
    let var = &d[11..len];
    let neg = |b: &[u8], t: u8| b.len() == 8 && b[0] == t && b[2..4] == [8, 0];
    let ok = match code {
        X224_CR => match var.strip_prefix(b"Cookie: ") {
            Some(c) => memchr::memmem::find(c, b"\r\n").is_some_and(|nl| {
                let rest = &c[nl + 2..];
                rest.is_empty() || neg(rest, 1)
            }),
            None => neg(var, 1),
        },
        _ => neg(var, 2) || neg(var, 3),
    };
    if ok {
        ProbeResult::Match
    } else {
        ProbeResult::NoMatch
    }
}

fn new_parser() -> Box<dyn AppParser> {
    Box::new(RdpState::default())
}

pub const RDP: ProtocolDef = ProtocolDef {
    name: "rdp",
    transports: &[Transport::Tcp],
    ports: &[3389],
    probe,
    new_parser,
};

#[cfg(test)]
mod tests {
    use super::*;
    use reefwatch_applayer::TestSink;

    #[test]
    fn request_and_confirm() {
        let mut p = new_parser();
        let mut sink = TestSink::default();
        let cr = parser::tests::connection_request();
        let i = ProbeInput {
            data: &cr,
            dir: Direction::ToServer,
            transport: Transport::Tcp,
            client_port: 5,
            server_port: 3389,
        };
        assert_eq!(probe(&i), ProbeResult::Match);
        assert_eq!(
            p.parse(Direction::ToServer, &cr, &mut sink),
            ParseResult::Done
        );
        let cc = [
            0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0, 0, 0, 0x12, 0x34, 0, 0x02, 0x1f, 0x08, 0x00, 0x02,
            0, 0, 0,
        ];
        assert_eq!(
            p.parse(Direction::ToClient, &cc, &mut sink),
            ParseResult::Done
        );
        assert_eq!(
            sink.events[0].1,
            r#"{"tx_id":0,"event_type":"initial_request","cookie":"eltons"}"#
        );
        assert_eq!(
            sink.events[1].1,
            r#"{"tx_id":1,"event_type":"initial_response"}"#
        );
        assert_eq!(sink.buffers[0].0, BufferId::RdpCookie);
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn probe_wants_rdp_negotiation_not_any_cotp() {
        let pi = |d, dir| ProbeInput {
            data: d,
            dir,
            transport: Transport::Tcp,
            client_port: 45257,
            server_port: 3389,
        };
        // zeek rdp/rdp-invalid-length.pcap frame 5 (3389 -> 45257,
        // testdata/probes NOTICE): X.224 CC whose negotiation response says
        // length 0 (not 8), and 12 bytes past the TPKT: tshark sees COTP,
        // no RDP
        let cc = hex("030000130ed000001234000203000001000002001232000200080000000000");
        assert_eq!(probe(&pi(&cc, Direction::ToClient)), ProbeResult::NoMatch);
        // a well-formed RDP_NEG_RSP (TLS selected) does match
        let ok = hex("030000130ed000001234000201080001000000");
        assert_eq!(probe(&pi(&ok, Direction::ToClient)), ProbeResult::Match);
        // ITI s7comm_reading_plc_status.pcap frame 8: an S7 CR (TSAPs, no
        // cookie, no RDP_NEG_REQ) is not RDP
        let s7 = hex("0300001611e00000000f00c1020100c2020102c0010a");
        assert_eq!(probe(&pi(&s7, Direction::ToServer)), ProbeResult::NoMatch);
        // the request with cookie and RDP_NEG_REQ, split: wait, then match
        let cr = parser::tests::connection_request();
        assert_eq!(
            probe(&pi(&cr[..12], Direction::ToServer)),
            ProbeResult::NeedMore
        );
        assert_eq!(probe(&pi(&cr, Direction::ToServer)), ProbeResult::Match);
    }
}
