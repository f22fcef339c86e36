//! Omron FINS over UDP (port 9600 as a hint) and FINS/TCP (the 16-byte
//! "FINS" header, node address exchange, port 9600 as a hint).

pub mod logger;
pub mod parser;
pub mod state;
pub mod tx;

use reefwatch_applayer::{AppParser, ProbeInput, ProbeResult, ProtocolDef, Transport};

/// Whether `b` is a plausible FINS frame: ICF reserved bits clear, RSV 0,
/// a gateway count the spec allows, a known command, and a command whose
/// parameters fit its layout (a response: an end code of the spec).
/// Commands without a fixed layout prove little: only a response with a
/// known end code or a fixed-length command commits.
fn frame_fits(b: &[u8]) -> bool {
    let Some(h) = parser::Header::new_checked(b) else {
        return false;
    };
    if h.icf() & parser::ICF_RESERVED != 0 || h.rsv() != 0 || h.gct() > parser::MAX_GCT {
        return false;
    }
    if !parser::is_known_command(h.command()) {
        return false;
    }
    if h.is_response() {
        let r = h.rest();
        return r.len() >= 2 && parser::end_code_known(r[0]);
    }
    parser::request_fits(h.command(), h.rest()) == Some(true)
}

/// Content probe. TCP: a FINS/TCP header ("FINS", a length of 8 up to
/// [`parser::MAX_TCP_LENGTH`], a known FINS/TCP command whose data fits
/// it: node address data of 4 or 8 bytes, or a FINS frame that fits).
/// UDP: the datagram is a FINS frame that fits.
pub fn probe(input: &ProbeInput<'_>) -> ProbeResult {
    let d = input.data;
    if input.transport == Transport::Udp {
        return if frame_fits(d) {
            ProbeResult::Match
        } else {
            ProbeResult::NoMatch
        };
    }
    match parser::TcpHeader::new_checked(d) {
        Err(parser::TcpError::Bad) => ProbeResult::NoMatch,
        Err(parser::TcpError::Truncated(_)) => ProbeResult::NeedMore,
        Ok(h) => {
            let n = h.data().len();
            let ok = match h.command() {
                parser::TCP_NODE_ADDR_CLIENT => n == 4,
                parser::TCP_NODE_ADDR_SERVER => n == 8,
                parser::TCP_FRAME_SEND => frame_fits(h.data()),
                parser::TCP_FRAME_SEND_ERROR | parser::TCP_CONNECTION_CONFIRM => n <= 16,
                _ => false,
            };
            if ok {
                ProbeResult::Match
            } else {
                ProbeResult::NoMatch
            }
        }
    }
}

fn new_parser() -> Box<dyn AppParser> {
    Box::new(state::OmronState::new())
}

pub const PROTOCOL: ProtocolDef = ProtocolDef {
    name: "omron",
    transports: &[Transport::Udp, Transport::Tcp],
    ports: &[9600],
    probe,
    new_parser,
};

#[cfg(test)]
mod tests {
    use super::*;
    use reefwatch_applayer::Direction;

    fn pi(data: &[u8], transport: Transport) -> ProbeInput<'_> {
        ProbeInput {
            data,
            dir: Direction::ToServer,
            transport,
            client_port: 40000,
            server_port: 5000,
        }
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn probe_udp() {
        // ITI omron_test.pcap frame 17: controller data read, one byte
        let b = hex("800002000000006300ef050100");
        assert_eq!(probe(&pi(&b, Transport::Udp)), ProbeResult::Match);
        // memory area read with a byte too many
        let r = hex("8000020000000000007a010182cccc00000100");
        assert_eq!(probe(&pi(&r, Transport::Udp)), ProbeResult::NoMatch);
        assert_eq!(probe(&pi(&r[..18], Transport::Udp)), ProbeResult::Match);
        // a response with an end code of the spec
        let ok = hex("c100020000000000007a04010000");
        assert_eq!(probe(&pi(&ok, Transport::Udp)), ProbeResult::Match);
        // RTP (version 2, PT 0) with bytes that read as a known command
        let rtp = hex("80000312000000a0dead0101beef");
        assert_eq!(probe(&pi(&rtp, Transport::Udp)), ProbeResult::NoMatch);
        // reserved ICF bit, empty datagram
        let mut bad = b.clone();
        bad[0] = 0x82;
        assert_eq!(probe(&pi(&bad, Transport::Udp)), ProbeResult::NoMatch);
        assert_eq!(probe(&pi(&[], Transport::Udp)), ProbeResult::NoMatch);
    }

    #[test]
    fn probe_tcp() {
        let n = hex("46494e530000000c000000000000000000000000");
        assert_eq!(probe(&pi(&n, Transport::Tcp)), ProbeResult::Match);
        assert_eq!(probe(&pi(&n[..6], Transport::Tcp)), ProbeResult::NeedMore);
        let f = hex("46494e5300000015000000020000000080000200c8000000ef05050100");
        assert_eq!(probe(&pi(&f, Transport::Tcp)), ProbeResult::Match);
        // FINS/TCP command 9
        let mut bad = n.clone();
        bad[11] = 9;
        assert_eq!(probe(&pi(&bad, Transport::Tcp)), ProbeResult::NoMatch);
        assert_eq!(
            probe(&pi(b"GET / HTTP/1.1\r\n", Transport::Tcp)),
            ProbeResult::NoMatch
        );
        assert_eq!(probe(&pi(b"FINE", Transport::Tcp)), ProbeResult::NoMatch);
    }
}
