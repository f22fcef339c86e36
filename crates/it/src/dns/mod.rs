//! DNS over UDP and TCP.

pub mod logger;
pub mod parser;
pub mod state;

use reefwatch_applayer::{AppParser, ProbeInput, ProbeResult, ProtocolDef, Transport};

/// A whole message: plausible header and questions, and every record
/// parses up to exactly the end of `msg`.
fn whole_message(msg: &[u8]) -> bool {
    parser::looks_like_dns(msg)
        && parser::Packet::new_checked(msg)
            .ok()
            .and_then(|p| parser::message_end(&p))
            == Some(msg.len())
}

fn probe_udp(i: &ProbeInput<'_>) -> ProbeResult {
    // a whole, plausible message, on any port: the DNS ports only order
    // the probes (a malformed datagram on 53 is not claimed on its port)
    if whole_message(i.data) {
        ProbeResult::Match
    } else {
        ProbeResult::NoMatch
    }
}

/// Longest DNS-over-TCP message the probe waits for whole (the engine
/// keeps 4 KiB per direction while probing); a longer one is judged on
/// its header and questions.
const TCP_WHOLE_MAX: usize = 4000;

/// DNS over TCP (RFC 1035 4.2.2): the 2-byte length must frame the
/// message exactly (a segment holds whole messages, or the start of one
/// still arriving), and the message must be plausible on its own.
fn probe_tcp(i: &ProbeInput<'_>) -> ProbeResult {
    let d = i.data;
    let Some(len) = crate::util::be16(d, 0) else {
        return ProbeResult::NeedMore;
    };
    let len = len as usize;
    if len < parser::HEADER_LEN {
        return ProbeResult::NoMatch;
    }
    if d.len() < 2 + parser::HEADER_LEN {
        return ProbeResult::NeedMore;
    }
    if d.len() < 2 + len {
        if len <= TCP_WHOLE_MAX {
            // wait for the whole message (header checks reject early)
            return match parser::Packet::new_checked(&d[2..]) {
                Ok(p) if !matches!(p.opcode(), 0 | 1 | 2 | 4 | 5) => ProbeResult::NoMatch,
                _ => ProbeResult::NeedMore,
            };
        }
        // a long message: header, counts and questions must hold
        return if parser::looks_like_dns(&d[2..]) {
            ProbeResult::Match
        } else {
            ProbeResult::NoMatch
        };
    }
    let msg = &d[2..2 + len];
    // what follows the message must be the start of another one
    if let Some(next) = crate::util::be16(d, 2 + len) {
        if (next as usize) < parser::HEADER_LEN {
            return ProbeResult::NoMatch;
        }
    }
    if whole_message(msg) {
        ProbeResult::Match
    } else {
        ProbeResult::NoMatch
    }
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
        // the query cut inside its question: a sane header, but the port
        // is only a hint, so the datagram is not claimed on 53 either
        for port in [9999, 53] {
            let cut = ProbeInput {
                data: &QUERY[..QUERY.len() - 3],
                server_port: port,
                ..i
            };
            assert_eq!(probe_udp(&cut), ProbeResult::NoMatch, "port {port}");
        }
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn tcp(d: &[u8]) -> ProbeInput<'_> {
        ProbeInput {
            data: d,
            dir: Direction::ToServer,
            transport: Transport::Tcp,
            client_port: 58397,
            server_port: 4840,
        }
    }

    #[test]
    fn opc_ua_is_not_dns_over_tcp() {
        // cisagov icsnpp-opcua-binary open62541_browse_next.pcap frame 161
        // (testdata/probes/NOTICE): OPC UA "OPNF" (OpenSecureChannel,
        // final), message size 0x95. Read as DNS over TCP: length 0x4f50
        // (20304, far past the 149-byte segment), then a STATUS response
        // with 0x1700 answers: counts that cannot fit the bytes.
        let opn = hex(concat!(
            "4f504e4695000000170000002f000000687474703a2f2f6f7063666f756e",
            "646174696f6e2e6f72672f55412f5365637572697479506f6c696379234e",
            "6f6e65ffffffffffffffff1f0000001f"
        ));
        assert_eq!(probe_tcp(&tcp(&opn)), ProbeResult::NoMatch);
        // pending_overflow.pcap frame 1: "MSGF", read as DNS opcode 11
        let msg = hex("4d534746dc010000030000000300000002000000020000000100af01");
        assert_eq!(probe_tcp(&tcp(&msg)), ProbeResult::NoMatch);
    }

    #[test]
    fn dns_over_tcp_needs_exact_framing() {
        let mut stream = (QUERY.len() as u16).to_be_bytes().to_vec();
        stream.extend_from_slice(&QUERY);
        assert_eq!(probe_tcp(&tcp(&stream)), ProbeResult::Match);
        // split: wait for the rest
        assert_eq!(probe_tcp(&tcp(&stream[..20])), ProbeResult::NeedMore);
        // a length one short of the message leaves a byte that cannot
        // start another message; one long leaves the message short
        let mut short = stream.clone();
        short[1] -= 1;
        assert_eq!(probe_tcp(&tcp(&short)), ProbeResult::NoMatch);
        let mut trailing = stream.clone();
        trailing.extend_from_slice(&[0, 3, 1]);
        assert_eq!(probe_tcp(&tcp(&trailing)), ProbeResult::NoMatch);
    }

    #[test]
    fn onc_rpc_is_not_dns() {
        // zeek mount/mount-unmount.pcap (testdata/probes/NOTICE), UDP
        // 47693 -> 20048: an ONC RPC call (xid 6a1bb0b5, CALL, RPC v2,
        // program 100005 MOUNT v3, proc 0) and its reply. As DNS both read
        // as opcode 6 (DSO, TCP only) with rcode 5 and counts that do not
        // fit: no match.
        let call =
            hex("6a1bb0b50000000000000002000186a5000000030000000000000000000000000000000000000000");
        let reply = hex("6a1bb0b50000000100000000000000000000000000000000");
        for (d, dir) in [(call, Direction::ToServer), (reply, Direction::ToClient)] {
            let i = ProbeInput {
                data: &d,
                dir,
                transport: Transport::Udp,
                client_port: 47693,
                server_port: 20048,
            };
            assert_eq!(probe_udp(&i), ProbeResult::NoMatch);
        }
        // the real query still matches, its response too
        let i = ProbeInput {
            data: &RESPONSE,
            dir: Direction::ToClient,
            transport: Transport::Udp,
            client_port: 40000,
            server_port: 9999,
        };
        assert_eq!(probe_udp(&i), ProbeResult::Match);
        // a response whose last record runs past the datagram
        let cut = &RESPONSE[..RESPONSE.len() - 1];
        assert_eq!(
            probe_udp(&ProbeInput { data: cut, ..i }),
            ProbeResult::NoMatch
        );
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
