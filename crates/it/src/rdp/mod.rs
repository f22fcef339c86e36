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

fn probe(i: &ProbeInput<'_>) -> ProbeResult {
    let d = i.data;
    if d.len() < 6 {
        return if !matches!(d.first(), Some(&b) if b != 3) {
            ProbeResult::NeedMore
        } else {
            ProbeResult::NoMatch
        };
    }
    match (tpkt_len(d), d[5] & 0xf0) {
        (Some(_), X224_CR) if i.dir == Direction::ToServer => ProbeResult::Match,
        (Some(_), X224_CC) if i.dir == Direction::ToClient => ProbeResult::Match,
        _ => ProbeResult::NoMatch,
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
}
