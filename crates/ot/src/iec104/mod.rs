//! IEC 60870-5-104 over TCP (port 2404 as a hint only).

pub mod logger;
pub mod parser;
pub mod state;
pub mod tx;

use reefwatch_applayer::{AppParser, ProbeInput, ProbeResult, ProtocolDef, Transport};

/// Content probe: 0x68, length 4..=253, a valid control field; U-format
/// must carry exactly one known function and length 4; S-format length 4;
/// I-format a known type id.
pub fn probe(input: &ProbeInput<'_>) -> ProbeResult {
    let d = input.data;
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
}
