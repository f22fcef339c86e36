//! DNP3 over TCP or UDP (port 20000 as a hint only).

pub mod logger;
pub mod parser;
pub mod state;
pub mod tx;

use reefwatch_applayer::{AppParser, ProbeInput, ProbeResult, ProtocolDef, Transport};

/// Content probe: start bytes 05 64, LEN ≥ 5 and a correct header CRC.
pub fn probe(input: &ProbeInput<'_>) -> ProbeResult {
    let d = input.data;
    for (i, &b) in d.iter().take(2).enumerate() {
        if b != parser::START[i] {
            return ProbeResult::NoMatch;
        }
    }
    if d.len() < parser::HEADER_LEN {
        if d.len() >= 3 && d[2] < 5 {
            return ProbeResult::NoMatch;
        }
        return ProbeResult::NeedMore;
    }
    if d[2] < 5 {
        return ProbeResult::NoMatch;
    }
    if parser::crc(&d[0..8]) == u16::from_le_bytes([d[8], d[9]]) {
        ProbeResult::Match
    } else if PROTOCOL.ports.contains(&input.server_port) {
        // On DNP3's own port, the start bytes and a sane length are enough:
        // a frame with a corrupt header CRC is still DNP3 (the parser flags
        // it and resynchronises), and outstations are tested with exactly
        // such frames. Off the port the CRC is what keeps the probe strict.
        ProbeResult::Match
    } else {
        ProbeResult::NoMatch
    }
}

fn new_parser() -> Box<dyn AppParser> {
    Box::new(state::Dnp3State::new())
}

pub const PROTOCOL: ProtocolDef = ProtocolDef {
    name: "dnp3",
    transports: &[Transport::Tcp, Transport::Udp],
    ports: &[20000],
    probe,
    new_parser,
};

#[cfg(test)]
mod tests {
    use super::*;
    use reefwatch_applayer::Direction;

    #[test]
    fn probe_by_content() {
        let hdr = [
            0x05, 0x64, 0x14, 0xc4, 0x02, 0x00, 0x03, 0x00, 0x45, 0x03, 0xc7,
        ];
        let pi = |d| ProbeInput {
            data: d,
            dir: Direction::ToServer,
            transport: Transport::Tcp,
            client_port: 1,
            server_port: 20001,
        };
        assert_eq!(probe(&pi(&hdr)), ProbeResult::Match);
        assert_eq!(probe(&pi(&hdr[..4])), ProbeResult::NeedMore);
        let mut bad = hdr;
        bad[8] ^= 1;
        assert_eq!(probe(&pi(&bad)), ProbeResult::NoMatch);
        // on port 20000 a bad header CRC is still DNP3 (flagged later)
        let on_port = ProbeInput {
            server_port: 20000,
            ..pi(&bad)
        };
        assert_eq!(probe(&on_port), ProbeResult::Match);
        let on_port_short = ProbeInput {
            server_port: 20000,
            ..pi(b"\x05\x64\x02\xc4\x00\x04\x01\x00\x00\x00")
        };
        assert_eq!(probe(&on_port_short), ProbeResult::NoMatch);
        assert_eq!(probe(&pi(b"\x16\x03\x01")), ProbeResult::NoMatch);
    }
}
