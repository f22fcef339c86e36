//! S7comm and S7comm-plus over ISO-on-TCP (TPKT/COTP, port 102 as a hint
//! only).

pub mod logger;
pub mod parser;
pub mod state;
pub mod tx;

use reefwatch_applayer::{AppParser, ProbeInput, ProbeResult, ProtocolDef, Transport};

/// Content probe: TPKT version 3, reserved 0, sane length, then a COTP
/// connection request/confirm, or a DT TPDU carrying S7comm (0x32) or
/// S7comm-plus (0x72).
pub fn probe(input: &ProbeInput<'_>) -> ProbeResult {
    let d = input.data;
    if d.is_empty() {
        return ProbeResult::NeedMore;
    }
    if d[0] != 3 || d.get(1).is_some_and(|&x| x != 0) {
        return ProbeResult::NoMatch;
    }
    if d.len() < 7 {
        return ProbeResult::NeedMore;
    }
    let len = u16::from_be_bytes([d[2], d[3]]) as usize;
    if len < 7 {
        return ProbeResult::NoMatch;
    }
    let li = d[4] as usize;
    let t = d[5] & 0xf0;
    match t {
        0xe0 | 0xd0 => {
            if li >= 6 && li + 5 <= len {
                ProbeResult::Match
            } else {
                ProbeResult::NoMatch
            }
        }
        0xf0 => {
            if li != 2 {
                return ProbeResult::NoMatch;
            }
            match d.get(7) {
                None => ProbeResult::NeedMore,
                Some(0x32) | Some(0x72) => ProbeResult::Match,
                Some(_) => ProbeResult::NoMatch,
            }
        }
        _ => ProbeResult::NoMatch,
    }
}

fn new_parser() -> Box<dyn AppParser> {
    Box::new(state::S7State::new())
}

pub const PROTOCOL: ProtocolDef = ProtocolDef {
    name: "s7comm",
    transports: &[Transport::Tcp],
    ports: &[102],
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
            server_port: 1102,
        };
        let cr = [
            3, 0, 0, 22, 17, 0xe0, 0, 0, 0, 1, 0, 0xc0, 1, 10, 0xc1, 2, 1, 0, 0xc2, 2, 1, 2,
        ];
        assert_eq!(probe(&pi(&cr)), ProbeResult::Match);
        let dt = [3, 0, 0, 25, 2, 0xf0, 0x80, 0x32, 1];
        assert_eq!(probe(&pi(&dt)), ProbeResult::Match);
        assert_eq!(probe(&pi(&dt[..5])), ProbeResult::NeedMore);
        assert_eq!(
            probe(&pi(b"\x03\x00\x00\x10\x02\xf0\x80GET")),
            ProbeResult::NoMatch
        );
        assert_eq!(probe(&pi(b"GET /")), ProbeResult::NoMatch);
    }
}
