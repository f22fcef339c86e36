//! Modbus/TCP (MBAP over TCP, port 502 as a hint only).

pub mod logger;
pub mod parser;
pub mod state;
pub mod tx;

use reefwatch_applayer::{AppParser, Direction, ProbeInput, ProbeResult, ProtocolDef, Transport};

/// Content probe: a plausible MBAP header (protocol id 0, length 2..=254)
/// followed by a known function code; for a request the length must also
/// fit the function's fixed layout when it has one.
pub fn probe(input: &ProbeInput<'_>) -> ProbeResult {
    let d = input.data;
    if d.len() < 8 {
        // Reject early on what we can already see.
        if d.len() >= 4 && (d[2] != 0 || d[3] != 0) {
            return ProbeResult::NoMatch;
        }
        if d.len() >= 6 {
            let len = u16::from_be_bytes([d[4], d[5]]);
            if !(2..=parser::MAX_LEN).contains(&len) {
                return ProbeResult::NoMatch;
            }
        }
        return ProbeResult::NeedMore;
    }
    let pid = u16::from_be_bytes([d[2], d[3]]);
    let len = u16::from_be_bytes([d[4], d[5]]);
    let fc = d[7];
    if pid != 0 || !(2..=parser::MAX_LEN).contains(&len) {
        return ProbeResult::NoMatch;
    }
    // An unknown function code still matches when the segment is exactly
    // one or more whole MBAP frames (fuzzers, vendor codes).
    if !parser::is_known_function(fc & 0x7f) && !whole_frames(d) {
        return ProbeResult::NoMatch;
    }
    if input.dir == Direction::ToServer && fc & 0x80 == 0 {
        // Fixed request layouts must fit, unless the frame has the exact
        // read-response layout (roles reversed / capture started mid-flow).
        let fixed = match fc {
            1..=6 => Some(6),
            7 | 11 | 12 | 17 => Some(2),
            _ => None,
        };
        if let Some(n) = fixed {
            let resp_layout = matches!(fc, 1..=4) && d.get(8).is_some_and(|&b| b as u16 + 3 == len);
            if len != n && !resp_layout {
                return ProbeResult::NoMatch;
            }
        }
    }
    ProbeResult::Match
}

/// `d` is a sequence of complete MBAP frames (protocol id 0, sane lengths).
fn whole_frames(d: &[u8]) -> bool {
    let mut off = 0usize;
    for _ in 0..16 {
        let Some(h) = d.get(off..off + 6) else {
            return false;
        };
        let len = u16::from_be_bytes([h[4], h[5]]) as usize;
        if h[2] != 0 || h[3] != 0 || !(2..=parser::MAX_LEN as usize).contains(&len) {
            return false;
        }
        off += 6 + len;
        if off == d.len() {
            return true;
        }
    }
    false
}

fn new_parser() -> Box<dyn AppParser> {
    Box::new(state::ModbusState::new())
}

pub const PROTOCOL: ProtocolDef = ProtocolDef {
    name: "modbus",
    transports: &[Transport::Tcp],
    ports: &[502],
    probe,
    new_parser,
};

#[cfg(test)]
mod tests {
    use super::*;

    fn pi(data: &[u8], dir: Direction) -> ProbeInput<'_> {
        ProbeInput {
            data,
            dir,
            transport: Transport::Tcp,
            client_port: 40000,
            server_port: 5020,
        }
    }

    #[test]
    fn probe_short_read_request_does_not_panic() {
        // found by the ot_modbus fuzz target: an 8-byte segment holding
        // only MBAP + function 3 with a length other than 6 made the
        // response-layout check read byte 8
        let seg = [0x00, 0x01, 0x00, 0x00, 0x00, 0x05, 0x01, 0x03];
        assert_eq!(probe(&pi(&seg, Direction::ToServer)), ProbeResult::NoMatch);
    }

    #[test]
    fn probe_by_content() {
        let req = [0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 10];
        assert_eq!(probe(&pi(&req, Direction::ToServer)), ProbeResult::Match);
        assert_eq!(
            probe(&pi(&req[..5], Direction::ToServer)),
            ProbeResult::NeedMore
        );
        assert_eq!(
            probe(&pi(b"GET / HTTP/1.1\r\n", Direction::ToServer)),
            ProbeResult::NoMatch
        );
        // TLS client hello
        let tls = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc];
        assert_eq!(probe(&pi(&tls, Direction::ToServer)), ProbeResult::NoMatch);
        // read request with wrong length
        let bad = [0, 1, 0, 0, 0, 7, 1, 3, 0, 0, 0, 10, 0];
        assert_eq!(probe(&pi(&bad, Direction::ToServer)), ProbeResult::NoMatch);
    }
}
