//! SNMP over UDP: version, community / USM user, PDU type, OIDs.

pub mod parser;

use crate::util::{oid_to_string, StackBuf};
use reefwatch_applayer::BufferId;
use reefwatch_applayer::{
    AppParser, Direction, EventSink, ParseResult, ProbeInput, ProbeResult, ProtocolDef, Transport,
};

#[derive(Default)]
struct SnmpState {
    tx: u64,
}

impl AppParser for SnmpState {
    fn parse(&mut self, _dir: Direction, data: &[u8], out: &mut dyn EventSink) -> ParseResult {
        let Some(m) = parser::Message::parse(data) else {
            out.anomaly("snmp.malformed_data");
            return ParseResult::Done;
        };
        if let Some(c) = m.community {
            out.buffer(BufferId::SnmpCommunity, c);
        }
        if let Some(u) = m.usm_user {
            out.buffer(BufferId::SnmpUsm, u);
        }
        self.tx += 1;
        if !out.wants_events() {
            return ParseResult::Done;
        }
        out.event("snmp", &mut |js| {
            // Suricata writes the SNMP version number (1, 2, 3)
            js.set_uint(
                "version",
                if m.version == 0 {
                    1
                } else if m.version == 1 {
                    2
                } else {
                    m.version
                },
            );
            match m.pdu_tag {
                Some(t) => {
                    js.set_str("pdu_type", parser::pdu_type_str(t));
                    let mut oid = StackBuf::<256>::new();
                    let mut any = false;
                    for o in m.var_oids() {
                        if !any {
                            js.open_array("vars");
                            any = true;
                        }
                        oid_to_string(o, &mut oid);
                        js.append_bytes_str(oid.as_bytes());
                    }
                    if any {
                        js.close();
                    }
                }
                None => {
                    js.set_bool("encrypted", true);
                }
            }
            if let Some(c) = m.community {
                js.set_bytes_str("community", c);
            }
            if let Some(u) = m.usm_user {
                js.set_bytes_str("usm", u);
            }
        });
        ParseResult::Done
    }
}

fn probe(i: &ProbeInput<'_>) -> ProbeResult {
    match parser::Message::parse(i.data) {
        Some(m) if m.pdu_tag.is_some() || m.version == 3 => ProbeResult::Match,
        _ => ProbeResult::NoMatch,
    }
}

fn new_parser() -> Box<dyn AppParser> {
    Box::new(SnmpState::default())
}

pub const SNMP: ProtocolDef = ProtocolDef {
    name: "snmp",
    transports: &[Transport::Udp],
    ports: &[161, 162],
    probe,
    new_parser,
};

#[cfg(test)]
mod tests {
    use super::*;
    use reefwatch_applayer::TestSink;

    #[test]
    fn event() {
        let mut p = new_parser();
        let mut sink = TestSink::default();
        p.parse(Direction::ToServer, &parser::tests::GET, &mut sink);
        assert_eq!(
            sink.events[0].1,
            r#"{"version":2,"pdu_type":"get_request","vars":["1.3.6.1.2.1.1.1.0"],"community":"public"}"#
        );
        assert_eq!(
            sink.buffers[0],
            (BufferId::SnmpCommunity, b"public".to_vec())
        );
    }
}
