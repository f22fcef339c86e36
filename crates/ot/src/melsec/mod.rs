//! Mitsubishi MELSEC communication protocol (MC protocol) / SLMP: 3E and
//! 4E frames, binary and ASCII, over TCP and UDP (ports 5000–5002, 5006,
//! 5007, 5010 as hints only). MELSOFT (GX Works engineering) framing,
//! which starts 57 00 / D7 00 / 5A 00, is another protocol and is not
//! claimed.

pub mod logger;
pub mod parser;
pub mod state;
pub mod tx;

use reefwatch_applayer::{AppParser, ProbeInput, ProbeResult, ProtocolDef, Transport};

/// Content probe: a 3E/4E subheader (binary 50 00 / D0 00 / 54 00 /
/// D4 00, or its ASCII text), the 4E fixed field zero, hex digits in every
/// ASCII field, a data length (LEN) a request or response can have, and
/// frames back to back filling the segment (UDP: exactly the datagram;
/// TCP: the last may still be arriving). The first request must be a
/// known command whose device fields parse (batch commands: the written
/// data matching the points), with subcommand 0000–0003 or 0080–0083.
pub fn probe(input: &ProbeInput<'_>) -> ProbeResult {
    let d = input.data;
    let mut off = 0usize;
    let mut whole = 0usize;
    for _ in 0..32 {
        let rest = &d[off..];
        if rest.is_empty() {
            break;
        }
        match parser::Frame::parse(rest) {
            Ok(f) => {
                if whole == 0 && !f.response {
                    let mut an = reefwatch_applayer::Anomalies::default();
                    parser::check_request(&f, &mut an);
                    if !an.is_empty() || !matches!(f.subcommand, 0..=3 | 0x80..=0x83) {
                        return ProbeResult::NoMatch;
                    }
                }
                if whole == 0 && f.response && f.route.pc == 0 && f.route.module_io == 0 {
                    // a response proves little: its route must look like
                    // one (PC 0xff or a module I/O number)
                    return ProbeResult::NoMatch;
                }
                whole += 1;
                off += f.total_len;
            }
            Err(parser::FrameError::Bad) => return ProbeResult::NoMatch,
            Err(parser::FrameError::Truncated(_)) => {
                if input.transport == Transport::Udp {
                    return ProbeResult::NoMatch;
                }
                break;
            }
        }
    }
    if whole == 0 {
        ProbeResult::NeedMore
    } else {
        ProbeResult::Match
    }
}

fn new_parser() -> Box<dyn AppParser> {
    Box::new(state::MelsecState::new())
}

pub const PROTOCOL: ProtocolDef = ProtocolDef {
    name: "melsec",
    transports: &[Transport::Tcp, Transport::Udp],
    ports: &[5000, 5001, 5002, 5006, 5007, 5010],
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
            server_port: 5001,
        }
    }

    fn h(s: &str) -> Vec<u8> {
        let s = s.replace(' ', "");
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn probe_by_content() {
        let read = h("500000ffff0300 0c00 1000 0104 0000 640000a8 0200");
        for t in [Transport::Tcp, Transport::Udp] {
            assert_eq!(probe(&pi(&read, t)), ProbeResult::Match);
        }
        assert_eq!(
            probe(&pi(&read[..10], Transport::Tcp)),
            ProbeResult::NeedMore
        );
        assert_eq!(
            probe(&pi(&read[..10], Transport::Udp)),
            ProbeResult::NoMatch
        );
        let ascii = b"500000FF03FF000018001004010000D*000100000A";
        assert_eq!(probe(&pi(ascii, Transport::Tcp)), ProbeResult::Match);
        // unknown command 0x7777, subcommand 0x1234
        let bad = h("500000ffff0300 0600 1000 7777 0000");
        assert_eq!(probe(&pi(&bad, Transport::Tcp)), ProbeResult::NoMatch);
        let bad = h("500000ffff0300 0600 1000 0101 3412");
        assert_eq!(probe(&pi(&bad, Transport::Tcp)), ProbeResult::NoMatch);
        // LEN past the datagram
        assert_eq!(
            probe(&pi(&read[..read.len() - 1], Transport::Udp)),
            ProbeResult::NoMatch
        );
        // ITI MELSEC/melsoft_129_clean.pcap frames 3 and 1 (MELSOFT, not
        // MC protocol), and melsoft_UDP_clean_2.pcap frame 1 (5A 00)
        for m in [
            "57000000001111070000ffff030000000000005a001c021614",
            "d70000000011117f000000a80300ffff03000024009c0218",
            "5a000001",
        ] {
            for t in [Transport::Tcp, Transport::Udp] {
                assert_eq!(probe(&pi(&h(m), t)), ProbeResult::NoMatch, "{m}");
            }
        }
        assert_eq!(
            probe(&pi(b"GET / HTTP/1.1\r\n", Transport::Tcp)),
            ProbeResult::NoMatch
        );
        // "D..." text that is not a frame
        assert_eq!(
            probe(&pi(b"DELETE /x HTTP/1.1\r\n", Transport::Tcp)),
            ProbeResult::NoMatch
        );
    }
}
