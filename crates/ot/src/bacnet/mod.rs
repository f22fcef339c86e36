//! BACnet/IP (BVLC over UDP, port 47808 = 0xBAC0 as a hint only): BVLC,
//! NPDU (routing, network-layer messages) and APDU (all PDU types, the main
//! services decoded).

pub mod logger;
pub mod names;
pub mod parser;
pub mod services;
pub mod state;
pub mod tags;

use reefwatch_applayer::{AppParser, ProbeInput, ProbeResult, ProtocolDef, Transport};

/// Content probe: BVLC type 0x81, a known BVLC function, the BVLC length
/// equal to the datagram's; when the function carries an NPDU, NPDU version
/// 1 with the reserved control bits clear and the addresses fitting.
pub fn probe(input: &ProbeInput<'_>) -> ProbeResult {
    let d = input.data;
    if input.transport != Transport::Udp || d.len() < 4 {
        return ProbeResult::NoMatch;
    }
    if d[0] != parser::BVLC_TYPE || !parser::bvlc_known(d[1]) {
        return ProbeResult::NoMatch;
    }
    let f = d[1];
    let len_ok = u16::from_be_bytes([d[2], d[3]]) as usize == d.len();
    if !parser::bvlc_has_npdu(f) {
        return if len_ok {
            ProbeResult::Match
        } else {
            ProbeResult::NoMatch
        };
    }
    let npdu = if f == 0x04 { d.get(10..) } else { d.get(4..) };
    let Some(npdu) = npdu else {
        return ProbeResult::NoMatch;
    };
    if npdu.len() < 2 || npdu[0] != 1 || npdu[1] & 0x50 != 0 {
        return ProbeResult::NoMatch;
    }
    let mut an = reefwatch_applayer::Anomalies::default();
    let Some((n, off)) = parser::parse_npdu(npdu, &mut an) else {
        return ProbeResult::NoMatch;
    };
    if len_ok {
        return ProbeResult::Match;
    }
    // A wrong BVLC length (seen in real captures: the length of an earlier
    // message left in a reused buffer) still matches when the rest is
    // unambiguous: a known network message or an APDU of a known type with
    // a known service.
    let apdu = npdu.get(off..).unwrap_or(&[]);
    let known = if n.is_network_message() {
        n.message_type.is_some_and(|t| t <= 0x13)
    } else {
        match apdu.first().map(|b| b >> 4) {
            Some(0) => apdu.get(3).is_some_and(|&s| s <= 33) && apdu[0] & 0x08 == 0,
            Some(1) => apdu.get(1).is_some_and(|&s| s <= 14),
            Some(2 | 5) => apdu.get(2).is_some_and(|&s| s <= 33),
            _ => false,
        }
    };
    if known {
        ProbeResult::Match
    } else {
        ProbeResult::NoMatch
    }
}

fn new_parser() -> Box<dyn AppParser> {
    Box::new(state::BacnetState::new())
}

pub const PROTOCOL: ProtocolDef = ProtocolDef {
    name: "bacnet",
    transports: &[Transport::Udp],
    ports: &[47808],
    probe,
    new_parser,
};

#[cfg(test)]
mod tests {
    use super::*;
    use reefwatch_applayer::Direction;

    fn pi(data: &[u8]) -> ProbeInput<'_> {
        ProbeInput {
            data,
            dir: Direction::ToServer,
            transport: Transport::Udp,
            client_port: 40000,
            server_port: 5000,
        }
    }

    #[test]
    fn probe_by_content() {
        // Who-Is, Original-Broadcast-NPDU
        let who = [0x81, 0x0b, 0x00, 0x08, 0x01, 0x00, 0x10, 0x08];
        assert_eq!(probe(&pi(&who)), ProbeResult::Match);
        // length field off by one: only a known service still matches
        let mut odd = who;
        odd[3] = 9;
        assert_eq!(probe(&pi(&odd)), ProbeResult::Match);
        odd[7] = 0x30;
        assert_eq!(probe(&pi(&odd)), ProbeResult::NoMatch);
        assert_eq!(
            probe(&pi(&[0x81, 0x05, 0x00, 0x07, 0x00, 0x3c])),
            ProbeResult::NoMatch
        );
        // NPDU version 2
        let mut bad = who;
        bad[4] = 2;
        assert_eq!(probe(&pi(&bad)), ProbeResult::NoMatch);
        // reserved control bit
        let mut bad = who;
        bad[5] = 0x40;
        assert_eq!(probe(&pi(&bad)), ProbeResult::NoMatch);
        // unknown BVLC function
        let mut bad = who;
        bad[1] = 0x20;
        assert_eq!(probe(&pi(&bad)), ProbeResult::NoMatch);
        // Register-Foreign-Device (no NPDU), TTL 60
        assert_eq!(
            probe(&pi(&[0x81, 0x05, 0x00, 0x06, 0x00, 0x3c])),
            ProbeResult::Match
        );
        // DNET with a DLEN past the end
        let routed = [0x81, 0x0a, 0x00, 0x09, 0x01, 0x20, 0x00, 0x05, 0x09];
        assert_eq!(probe(&pi(&routed)), ProbeResult::NoMatch);
        assert_eq!(probe(&pi(b"\x81")), ProbeResult::NoMatch);
        assert_eq!(probe(&pi(b"GET / HTTP/1.1\r\n")), ProbeResult::NoMatch);
    }
}
