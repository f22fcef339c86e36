//! DHCP (BOOTP options) over UDP.

pub mod logger;
pub mod parser;
pub mod state;

use reefwatch_applayer::{AppParser, ProbeInput, ProbeResult, ProtocolDef, Transport};

fn probe(i: &ProbeInput<'_>) -> ProbeResult {
    match parser::Packet::new_checked(i.data) {
        Ok(p) if (p.op() == 1 || p.op() == 2) && p.hlen() <= 16 => ProbeResult::Match,
        _ => ProbeResult::NoMatch,
    }
}

fn new_parser() -> Box<dyn AppParser> {
    Box::new(state::DhcpState)
}

pub const DHCP: ProtocolDef = ProtocolDef {
    name: "dhcp",
    transports: &[Transport::Udp],
    ports: &[67, 68],
    probe,
    new_parser,
};

#[cfg(test)]
mod tests {
    use super::*;
    use reefwatch_applayer::{Direction, TestSink};

    #[test]
    fn request_event() {
        let m = parser::tests::request();
        let mut p = new_parser();
        let mut sink = TestSink::default();
        p.parse(Direction::ToServer, &m, &mut sink);
        assert_eq!(
            sink.events[0].1,
            r#"{"type":"request","id":3735928559,"client_mac":"00:11:22:33:44:55","assigned_ip":"0.0.0.0","client_ip":"0.0.0.0","dhcp_type":"request","requested_ip":"192.168.1.10","hostname":"plc-01","vendor_class_identifier":"MSFT 5.0","client_id":"00:11:22:33:44:55","params":["subnet_mask","router","dns_server"]}"#
        );
        let i = ProbeInput {
            data: &m,
            dir: Direction::ToServer,
            transport: Transport::Udp,
            client_port: 68,
            server_port: 67,
        };
        assert_eq!(probe(&i), ProbeResult::Match);
        assert_eq!(
            probe(&ProbeInput {
                data: &m[..100],
                ..i
            }),
            ProbeResult::NoMatch
        );
    }
}
