//! HART-IP (HCF_SPEC-85) over TCP and UDP (port 5094 as a hint): the
//! header, session initiate/close, keep alive, pass-through HART PDUs
//! (command, address, response code, identity), with session tracking.

pub mod logger;
pub mod parser;
pub mod state;
pub mod tx;

use reefwatch_applayer::{AppParser, ProbeInput, ProbeResult, ProtocolDef, Transport};

/// Whether a whole message's body fits its message id.
fn body_fits(h: &parser::Header<'_>) -> bool {
    let b = h.body();
    match (h.msg_id(), h.msg_type()) {
        (parser::ID_SESSION_INITIATE, 0 | 1) => b.len() == 5 && matches!(b[0], 0 | 1),
        (parser::ID_SESSION_CLOSE | parser::ID_KEEP_ALIVE, _) => b.is_empty(),
        (parser::ID_PASS_THROUGH, 0..=2) => {
            let d = b.first().copied().unwrap_or(0);
            if !matches!(d & 7, 1 | 2 | 6) {
                return false;
            }
            let long = d & 0x80 != 0;
            let off = 1 + if long { 5 } else { 1 } + ((d >> 5) & 3) as usize;
            b.get(off + 1)
                .is_some_and(|&bc| parser::pdu_len(d, bc) == b.len())
        }
        (parser::ID_PASS_THROUGH, _) => true,
        (parser::ID_DIRECT_PDU, _) => b.len() >= 2,
        (parser::ID_READ_AUDIT_LOG, _) => true,
        _ => false,
    }
}

/// Content probe: version 1 or 2, a known message type and id, a status
/// of 0 in requests, and a byte count that is the datagram's length
/// (UDP) or a run of whole messages filling the segment (TCP; the last
/// may still be arriving); the first message's body must fit its id
/// (session initiate: host type and timer; close and keep alive: empty;
/// pass-through: a HART PDU whose byte count is the body's).
pub fn probe(input: &ProbeInput<'_>) -> ProbeResult {
    let d = input.data;
    let mut off = 0usize;
    let mut first = true;
    for _ in 0..32 {
        let rest = &d[off..];
        if rest.is_empty() {
            break;
        }
        if !matches!(rest[0], 1 | 2) {
            return ProbeResult::NoMatch;
        }
        if rest.len() >= 3 && (!parser::type_known(rest[1]) || !parser::id_known(rest[2])) {
            return ProbeResult::NoMatch;
        }
        if rest.len() >= 4 && rest[1] == parser::TYPE_REQUEST && rest[3] != 0 {
            return ProbeResult::NoMatch;
        }
        match parser::Header::new_checked(rest) {
            Ok(h) => {
                if first && !body_fits(&h) {
                    return ProbeResult::NoMatch;
                }
                first = false;
                off += h.len();
            }
            Err(parser::HeaderError::BadLength) => return ProbeResult::NoMatch,
            Err(parser::HeaderError::Truncated(_)) => {
                if input.transport == Transport::Udp {
                    return ProbeResult::NoMatch;
                }
                break;
            }
        }
    }
    if first {
        return ProbeResult::NeedMore;
    }
    if input.transport == Transport::Udp && off != d.len() {
        return ProbeResult::NoMatch;
    }
    ProbeResult::Match
}

fn new_parser() -> Box<dyn AppParser> {
    Box::new(state::HartIpState::new())
}

pub const PROTOCOL: ProtocolDef = ProtocolDef {
    name: "hart_ip",
    transports: &[Transport::Tcp, Transport::Udp],
    ports: &[5094],
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
            server_port: 1234,
        }
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn probe_by_content() {
        let init = hex("010000000002000d0100007530");
        for t in [Transport::Tcp, Transport::Udp] {
            assert_eq!(probe(&pi(&init, t)), ProbeResult::Match);
        }
        assert_eq!(
            probe(&pi(&init[..7], Transport::Tcp)),
            ProbeResult::NeedMore
        );
        assert_eq!(
            probe(&pi(&init[..12], Transport::Udp)),
            ProbeResult::NoMatch
        );
        // pass-through with the HART byte count agreeing
        let pt = hex("010003000003001182264e0000d2000038");
        assert_eq!(probe(&pi(&pt, Transport::Udp)), ProbeResult::Match);
        let mut bad = pt.clone();
        bad[15] = 1;
        assert_eq!(probe(&pi(&bad, Transport::Udp)), ProbeResult::NoMatch);
        // session initiate with a wrong body length, unknown id, version 3
        let mut b = init.clone();
        b[7] = 12;
        assert_eq!(probe(&pi(&b[..12], Transport::Udp)), ProbeResult::NoMatch);
        let mut b = init.clone();
        b[2] = 9;
        assert_eq!(probe(&pi(&b, Transport::Tcp)), ProbeResult::NoMatch);
        let mut b = init.clone();
        b[0] = 3;
        assert_eq!(probe(&pi(&b, Transport::Tcp)), ProbeResult::NoMatch);
        // not Modbus's (the same bytes the modbus probe rejects)
        assert_eq!(
            probe(&pi(b"GET / HTTP/1.1\r\n", Transport::Tcp)),
            ProbeResult::NoMatch
        );
        // a Modbus read request: protocol id 0 reads as version 0
        let mb = [0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 10];
        assert_eq!(probe(&pi(&mb, Transport::Tcp)), ProbeResult::NoMatch);
    }
}
