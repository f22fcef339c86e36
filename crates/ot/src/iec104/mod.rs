//! IEC 60870-5-104 over TCP (port 2404 as a hint only).

pub mod logger;
pub mod parser;
pub mod state;
pub mod tx;

use reefwatch_applayer::{AppParser, ProbeInput, ProbeResult, ProtocolDef, Transport};

/// Content probe. Bytes that start with 0x68 are one APDU ([`probe_apdu`]).
/// Other bytes may be a stream picked up mid-way (a capture that began
/// after the connection did: the first bytes are the end of an APDU): then
/// an APDU must start within the longest APDU's reach and the APDU right
/// after it must pass as well (two in a row, so a 0x68 inside other data
/// does not match); bytes without such a start are not IEC 104.
pub fn probe(input: &ProbeInput<'_>) -> ProbeResult {
    let d = input.data;
    match d.first() {
        None => ProbeResult::NeedMore,
        Some(&parser::START) => probe_apdu(d),
        Some(_) => probe_midstream(d),
    }
}

/// Longest APDU: start byte, length byte, 253 bytes.
const MAX_APDU: usize = 255;

fn probe_midstream(d: &[u8]) -> ProbeResult {
    let reach = &d[..d.len().min(MAX_APDU)];
    let starts = reach
        .iter()
        .enumerate()
        .filter(|&(_, &b)| b == parser::START)
        .map(|(i, _)| i);
    for at in starts {
        let first = &d[at..];
        match probe_apdu(first) {
            ProbeResult::NoMatch => continue,
            ProbeResult::NeedMore => return ProbeResult::NeedMore,
            ProbeResult::Match => {}
        }
        // the first APDU whole, and the start of the next one
        let next = match first.get(2 + first[1] as usize..) {
            Some(n) if !n.is_empty() => n,
            _ => return ProbeResult::NeedMore,
        };
        match probe_apdu(next) {
            ProbeResult::NoMatch => continue,
            r => return r,
        }
    }
    ProbeResult::NoMatch
}

/// One APDU at the start of `d`: 0x68, length 4..=253, a valid control
/// field; U-format must carry exactly one known function and length 4;
/// S-format length 4; I-format a known type id.
fn probe_apdu(d: &[u8]) -> ProbeResult {
    if d.is_empty() {
        return ProbeResult::NeedMore;
    }
    if d[0] != parser::START {
        return ProbeResult::NoMatch;
    }
    if d.len() < 6 {
        if d.len() >= 2 && !(4..=253).contains(&d[1]) {
            return ProbeResult::NoMatch;
        }
        return ProbeResult::NeedMore;
    }
    let len = d[1];
    if !(4..=253).contains(&len) {
        return ProbeResult::NoMatch;
    }
    let cf1 = d[2];
    if cf1 & 1 == 0 {
        if len < 4 + parser::ASDU_HEADER_LEN as u8 {
            return ProbeResult::NoMatch;
        }
        if d.len() < 7 {
            return ProbeResult::NeedMore;
        }
        if parser::type_name(d[6]) == "unknown" {
            return ProbeResult::NoMatch;
        }
        ProbeResult::Match
    } else if cf1 & 3 == 1 {
        if len == 4 && cf1 == 1 && d[3] == 0 && d[4] & 1 == 0 {
            ProbeResult::Match
        } else {
            ProbeResult::NoMatch
        }
    } else {
        let f = cf1 & 0xfc;
        if len == 4 && f.count_ones() == 1 && d[3] == 0 && d[4] == 0 && d[5] == 0 {
            ProbeResult::Match
        } else {
            ProbeResult::NoMatch
        }
    }
}

fn new_parser() -> Box<dyn AppParser> {
    Box::new(state::Iec104State::new())
}

pub const PROTOCOL: ProtocolDef = ProtocolDef {
    name: "iec104",
    transports: &[Transport::Tcp],
    ports: &[2404],
    probe,
    new_parser,
};

#[cfg(test)]
mod tests {
    use super::*;
    use reefwatch_applayer::Direction;

    #[test]
    fn probe_by_content() {
        let pi = |d| ProbeInput {
            data: d,
            dir: Direction::ToServer,
            transport: Transport::Tcp,
            client_port: 1,
            server_port: 12404,
        };
        assert_eq!(probe(&pi(&[0x68, 4, 0x07, 0, 0, 0])), ProbeResult::Match);
        assert_eq!(probe(&pi(&[0x68, 4, 0x0f, 0, 0, 0])), ProbeResult::NoMatch);
        assert_eq!(probe(&pi(&[0x68, 4])), ProbeResult::NeedMore);
        assert_eq!(probe(&pi(b"hello world")), ProbeResult::NoMatch);
        assert_eq!(
            probe(&pi(&[
                0x68, 0x0e, 0, 0, 0, 0, 100, 1, 6, 0, 1, 0, 0, 0, 0, 20
            ])),
            ProbeResult::Match
        );
    }

    #[test]
    fn probe_picks_up_a_stream_mid_way() {
        let pi = |d| ProbeInput {
            data: d,
            dir: Direction::ToClient,
            transport: Transport::Tcp,
            client_port: 1075,
            server_port: 2404,
        };
        // the last 3 bytes of an S-frame, then an S-frame and a TESTFR act
        let tail_s_test = [
            0, 0x22, 0, /**/ 0x68, 4, 0x01, 0, 0x24, 0, /**/ 0x68, 4, 0x43, 0, 0, 0,
        ];
        assert_eq!(probe(&pi(&tail_s_test)), ProbeResult::Match);
        // one APDU after the cut: a second one must confirm
        assert_eq!(probe(&pi(&tail_s_test[..9])), ProbeResult::NeedMore);
        // a 0x68 inside other data whose length leads to no second APDU
        let text = b"GET /h\x68\x04\x01\x00\x02\x00 HTTP/1.1 and more text after it";
        assert_eq!(probe(&pi(text)), ProbeResult::NoMatch);
        // a plausible first APDU, then garbage: not IEC 104
        let bad = [0x01, 0x68, 4, 0x01, 0, 0x24, 0, 0x68, 4, 0x0f, 0, 0, 0];
        assert_eq!(probe(&pi(&bad)), ProbeResult::NoMatch);
        // an I-frame that passes but is cut short: more bytes, no panic
        let cut = [0x00, 0x68, 0x0e, 0, 0, 0, 0, 100, 1, 6];
        assert_eq!(probe(&pi(&cut)), ProbeResult::NeedMore);
        // no start byte within the longest APDU's reach
        assert_eq!(probe(&pi(&[0u8; 300])), ProbeResult::NoMatch);
    }

    #[test]
    fn probe_never_panics_on_hostile_bytes() {
        // dense in start bytes and small lengths, every length up to 300
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut buf = Vec::new();
        for n in 0..20_000usize {
            buf.clear();
            for _ in 0..n % 300 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let b = x as u8;
                buf.push(match b % 4 {
                    0 => parser::START,
                    1 => b % 20,
                    _ => b,
                });
            }
            for dir in [Direction::ToServer, Direction::ToClient] {
                let _ = probe(&ProbeInput {
                    data: &buf,
                    dir,
                    transport: Transport::Tcp,
                    client_port: 1,
                    server_port: 2404,
                });
            }
        }
    }
}
