//! DNS over UDP and TCP.

pub mod logger;
pub mod parser;
pub mod state;

use reefwatch_applayer::{AppParser, ProbeInput, ProbeResult, ProtocolDef, Transport};

fn probe_udp(i: &ProbeInput<'_>) -> ProbeResult {
    if parser::looks_like_dns(i.data) {
        return ProbeResult::Match;
    }
    // On the DNS ports a malformed message is still DNS (logged with
    // anomalies), as long as the header is sane.
    let on_port = [53, 5353].contains(&i.server_port) || [53, 5353].contains(&i.client_port);
    match parser::Packet::new_checked(i.data) {
        Ok(p) if on_port && p.opcode() <= 6 && p.opcode() != 3 && p.qdcount() <= 16 => {
            ProbeResult::Match
        }
        _ => ProbeResult::NoMatch,
    }
}

fn probe_tcp(i: &ProbeInput<'_>) -> ProbeResult {
    let d = i.data;
    let Some(len) = crate::util::be16(d, 0) else {
        return ProbeResult::NeedMore;
    };
    if (len as usize) < parser::HEADER_LEN {
        return ProbeResult::NoMatch;
    }
    if d.len() < 2 + parser::HEADER_LEN {
        return ProbeResult::NeedMore;
    }
    let end = (2 + len as usize).min(d.len());
    let msg = &d[2..end];
    if end < 2 + len as usize {
        // partial message: judge the header and what questions are there
        let Ok(p) = parser::Packet::new_checked(msg) else {
            return ProbeResult::NeedMore;
        };
        if p.opcode() > 6 || p.qdcount() > 16 {
            return ProbeResult::NoMatch;
        }
        // the question section already arrived and is well-formed
        if p.questions_end().is_some() && parser::looks_like_dns(msg) {
            return ProbeResult::Match;
        }
        return ProbeResult::NeedMore;
    }
    probe_udp(&ProbeInput { data: msg, ..*i })
}

fn new_udp() -> Box<dyn AppParser> {
    Box::new(state::DnsState::new(Transport::Udp))
}

fn new_tcp() -> Box<dyn AppParser> {
    Box::new(state::DnsState::new(Transport::Tcp))
}

pub const DNS_UDP: ProtocolDef = ProtocolDef {
    name: "dns",
    transports: &[Transport::Udp],
    ports: &[53, 5353, 5355],
    probe: probe_udp,
    new_parser: new_udp,
};

pub const DNS_TCP: ProtocolDef = ProtocolDef {
    name: "dns",
    transports: &[Transport::Tcp],
    ports: &[53],
    probe: probe_tcp,
    new_parser: new_tcp,
};

#[cfg(test)]
mod tests {
    use super::*;
    use reefwatch_applayer::{BufferId, Direction, ParseResult, TestSink};

    const QUERY: [u8; 33] = [
        0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 3, b'w', b'w',
        b'w', 7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 3, b'c', b'o', b'm', 0, 0x00, 0x01,
        0x00, 0x01,
    ];
    const RESPONSE: [u8; 67] = [
        0x12, 0x34, 0x81, 0x80, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 3, b'w', b'w',
        b'w', 7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 3, b'c', b'o', b'm', 0, 0x00, 0x01,
        0x00, 0x01, 0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x06, 3,
        b'w', b'e', b'b', 0xc0, 0x10, 0xc0, 0x2d, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c,
        0x00, 0x04, 93, 184, 216, 34,
    ];

    #[test]
    fn udp_request_and_response_events() {
        let mut p = new_udp();
        let mut sink = TestSink::default();
        assert_eq!(
            p.parse(Direction::ToServer, &QUERY, &mut sink),
            ParseResult::Done
        );
        assert_eq!(
            p.parse(Direction::ToClient, &RESPONSE, &mut sink),
            ParseResult::Done
        );
        assert_eq!(sink.events.len(), 2);
        assert_eq!(
            sink.events[0].1,
            r#"{"version":3,"type":"request","tx_id":0,"id":4660,"flags":"100","rd":true,"opcode":0,"queries":[{"rrname":"www.example.com","rrtype":"A"}]}"#
        );
        assert_eq!(
            sink.events[1].1,
            r#"{"version":3,"type":"response","tx_id":0,"id":4660,"flags":"8180","qr":true,"rd":true,"ra":true,"opcode":0,"rcode":"NOERROR","queries":[{"rrname":"www.example.com","rrtype":"A"}],"answers":[{"rrname":"www.example.com","rrtype":"CNAME","ttl":3600,"rdata":"web.example.com"},{"rrname":"web.example.com","rrtype":"A","ttl":60,"rdata":"93.184.216.34"}],"grouped":{"CNAME":["web.example.com"],"A":["93.184.216.34"]}}"#
        );
        assert_eq!(
            sink.buffers[0],
            (BufferId::DnsQuery, b"www.example.com".to_vec())
        );
        assert!(sink.anomalies.is_empty());
    }

    #[test]
    fn tcp_framing_split_and_pipelined() {
        let mut stream = Vec::new();
        stream.extend_from_slice(&(QUERY.len() as u16).to_be_bytes());
        stream.extend_from_slice(&QUERY);
        stream.extend_from_slice(&(QUERY.len() as u16).to_be_bytes());
        stream.extend_from_slice(&QUERY[..10]);
        let mut p = new_tcp();
        let mut sink = TestSink::default();
        let r = p.parse(Direction::ToServer, &stream, &mut sink);
        assert_eq!(
            r,
            ParseResult::Incomplete {
                consumed: 35,
                needed: 23
            }
        );
        assert_eq!(sink.events.len(), 1);
        let mut rest = stream[35..].to_vec();
        rest.extend_from_slice(&QUERY[10..]);
        assert_eq!(
            p.parse(Direction::ToServer, &rest, &mut sink),
            ParseResult::Done
        );
        assert_eq!(sink.events.len(), 2);
        assert!(sink.events[1].1.contains(r#""tx_id":1"#));
    }

    #[test]
    fn probes() {
        let i = ProbeInput {
            data: &QUERY,
            dir: Direction::ToServer,
            transport: Transport::Udp,
            client_port: 40000,
            server_port: 9999,
        };
        assert_eq!(probe_udp(&i), ProbeResult::Match);
        let http = ProbeInput {
            data: b"GET / HTTP/1.1\r\n\r\n",
            ..i
        };
        assert_eq!(probe_udp(&http), ProbeResult::NoMatch);
        assert_eq!(probe_tcp(&http), ProbeResult::NoMatch);
    }

    #[test]
    fn hostile_loop_does_not_hang() {
        let mut m = QUERY.to_vec();
        m[12] = 0xc0;
        m[13] = 12;
        let mut p = new_udp();
        let mut sink = TestSink::default();
        p.parse(Direction::ToServer, &m, &mut sink);
        assert!(sink.anomalies.iter().any(|a| a == "dns.infinite_loop"));
    }
}
