//! EtherNet/IP (encapsulation + CIP) over TCP or UDP (port 44818 as a hint
//! only).

pub mod logger;
pub mod parser;
pub mod state;
pub mod tx;

use reefwatch_applayer::{AppParser, ProbeInput, ProbeResult, ProtocolDef, Transport};

/// Content probe: a known encapsulation command, options 0, a length that
/// fits the command (0 for List* requests, 4 for RegisterSession, ≥ 8 for
/// SendRRData/SendUnitData) and, when the whole header is there, a length
/// consistent with the bytes seen (UDP: equal).
pub fn probe(input: &ProbeInput<'_>) -> ProbeResult {
    let d = input.data;
    if d.len() < 2 {
        return ProbeResult::NeedMore;
    }
    let cmd = u16::from_le_bytes([d[0], d[1]]);
    // An unknown command only on the registered port, with a whole
    // plausible header (vendors use reserved commands, e.g. 0x0001).
    let hinted = input.server_port == 44818
        && d.len() >= parser::HEADER_LEN
        && d[20..24] == [0, 0, 0, 0]
        && parser::HEADER_LEN + u16::from_le_bytes([d[2], d[3]]) as usize == d.len();
    if (!parser::is_known_command(cmd) || cmd == 0) && !hinted {
        return ProbeResult::NoMatch;
    }
    if d.len() < parser::HEADER_LEN {
        return ProbeResult::NeedMore;
    }
    let len = u16::from_le_bytes([d[2], d[3]]) as usize;
    let options = u32::from_le_bytes([d[20], d[21], d[22], d[23]]);
    if options != 0 {
        return ProbeResult::NoMatch;
    }
    let ok = match cmd {
        0x65 => len == 4,
        0x66 => len == 0,
        0x6f | 0x70 => len >= 8,
        0x63 | 0x04 | 0x64 => true,
        _ => true,
    };
    if !ok {
        return ProbeResult::NoMatch;
    }
    if input.transport == Transport::Udp && d.len() != parser::HEADER_LEN + len {
        return ProbeResult::NoMatch;
    }
    ProbeResult::Match
}

fn new_parser() -> Box<dyn AppParser> {
    Box::new(state::EnipState::new())
}

pub const PROTOCOL: ProtocolDef = ProtocolDef {
    name: "enip",
    transports: &[Transport::Tcp, Transport::Udp],
    ports: &[44818],
    probe,
    new_parser,
};

#[cfg(test)]
mod tests {
    use super::*;
    use reefwatch_applayer::Direction;

    #[test]
    fn probe_by_content() {
        let pi = |d, t| ProbeInput {
            data: d,
            dir: Direction::ToServer,
            transport: t,
            client_port: 1,
            server_port: 2000,
        };
        let mut reg = vec![0x65, 0, 4, 0];
        reg.extend_from_slice(&[0; 20]);
        reg.extend_from_slice(&[1, 0, 0, 0]);
        assert_eq!(probe(&pi(&reg, Transport::Tcp)), ProbeResult::Match);
        assert_eq!(
            probe(&pi(&reg[..10], Transport::Tcp)),
            ProbeResult::NeedMore
        );
        let mut li = vec![0x63, 0, 0, 0];
        li.extend_from_slice(&[0; 20]);
        assert_eq!(probe(&pi(&li, Transport::Udp)), ProbeResult::Match);
        assert_eq!(
            probe(&pi(b"GET / HTTP/1.1\r\n\r\nxxxxxxxxxx", Transport::Tcp)),
            ProbeResult::NoMatch
        );
        let mut bad = reg.clone();
        bad[20] = 1;
        assert_eq!(probe(&pi(&bad, Transport::Tcp)), ProbeResult::NoMatch);
    }
}
