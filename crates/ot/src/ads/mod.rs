//! Beckhoff ADS/AMS: AMS/TCP (port 48898 as a hint) and the UDP discovery
//! / route service (port 48899 as a hint).

pub mod logger;
pub mod parser;
pub mod state;
pub mod tx;

use parser::*;
use reefwatch_applayer::bytes::{le16, le32};
use reefwatch_applayer::{AppParser, ProbeInput, ProbeResult, ProtocolDef, Transport};

/// Content probe. TCP: an AMS/TCP header (reserved 0, length 32..=
/// `MAX_AMS_LEN`) and an AMS header agreeing with it: data length =
/// length - 32, a command 1..=9, the ADS command flag set and no unknown
/// flag. UDP: the discovery cookie, a known service and a tag count that
/// the datagram can hold.
pub fn probe(input: &ProbeInput<'_>) -> ProbeResult {
    let d = input.data;
    match input.transport {
        Transport::Udp => probe_udp(d),
        Transport::Tcp => probe_tcp(d),
    }
}

fn probe_tcp(d: &[u8]) -> ProbeResult {
    let n = d.len().min(TCP_HDR_LEN + AMS_HDR_LEN);
    // judge the bytes there are
    if n >= 2 && d[..2] != [0, 0] {
        return ProbeResult::NoMatch;
    }
    let len = le32(d, 2);
    if let Some(l) = len {
        if (l as usize) < AMS_HDR_LEN || l > MAX_AMS_LEN {
            return ProbeResult::NoMatch;
        }
    }
    if let Some(c) = le16(d, 22) {
        if !(1..=9).contains(&c) {
            return ProbeResult::NoMatch;
        }
    }
    if let Some(f) = le16(d, 24) {
        if f & SF_ADS_COMMAND == 0 || f & !SF_KNOWN != 0 {
            return ProbeResult::NoMatch;
        }
    }
    match (len, le32(d, 26)) {
        (Some(l), Some(dl)) if dl as u64 + AMS_HDR_LEN as u64 == l as u64 => {}
        (Some(_), Some(_)) => return ProbeResult::NoMatch,
        _ => return ProbeResult::NeedMore,
    }
    if d.len() < TCP_HDR_LEN + AMS_HDR_LEN {
        return ProbeResult::NeedMore;
    }
    ProbeResult::Match
}

fn probe_udp(d: &[u8]) -> ProbeResult {
    let Some(m) = UdpMsg::parse(d) else {
        return ProbeResult::NoMatch;
    };
    let known = matches!(m.service & !UDP_RESPONSE, 1 | 6 | 7);
    // every tag takes at least 4 bytes
    let fits = (m.tag_count as usize) <= (d.len() - UDP_HDR_LEN) / 4;
    let mut it = m.tags();
    let walked = it.by_ref().count();
    if known && fits && !it.truncated && walked as u32 == m.tag_count.min(MAX_UDP_TAGS as u32) {
        ProbeResult::Match
    } else {
        ProbeResult::NoMatch
    }
}

fn new_parser() -> Box<dyn AppParser> {
    Box::new(state::AdsState::new())
}

pub const PROTOCOL: ProtocolDef = ProtocolDef {
    name: "ads",
    transports: &[Transport::Tcp, Transport::Udp],
    ports: &[48898, 48899],
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
            client_port: 49201,
            server_port: 40000,
        }
    }

    #[test]
    fn probe_by_content() {
        // ReadState request (ITI beckoffiplinktc.pcapng frame 8)
        let rs = [
            0, 0, 32, 0, 0, 0, 5, 13, 117, 96, 1, 1, 0x10, 0x27, 192, 168, 1, 99, 1, 1, 3, 0x80, 4,
            0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0,
        ];
        assert_eq!(probe(&pi(&rs, Transport::Tcp)), ProbeResult::Match);
        assert_eq!(probe(&pi(&rs[..20], Transport::Tcp)), ProbeResult::NeedMore);
        let mut bad = rs;
        bad[22] = 0x20; // command 0x20
        assert_eq!(probe(&pi(&bad, Transport::Tcp)), ProbeResult::NoMatch);
        let mut bad = rs;
        bad[26] = 4; // data length 4 in a 32-byte frame
        assert_eq!(probe(&pi(&bad, Transport::Tcp)), ProbeResult::NoMatch);
        let mut bad = rs;
        bad[24] = 1; // no ADS command flag
        assert_eq!(probe(&pi(&bad, Transport::Tcp)), ProbeResult::NoMatch);
        assert_eq!(
            probe(&pi(b"GET / HTTP/1.1\r\n\r\n", Transport::Tcp)),
            ProbeResult::NoMatch
        );
        // an all-zero segment: length 0
        assert_eq!(probe(&pi(&[0; 40], Transport::Tcp)), ProbeResult::NoMatch);
    }

    #[test]
    fn probe_udp_discovery() {
        // ITI beckoff/addroute.pcapng frame 127: discovery request, no tags
        let req = [
            0x03, 0x66, 0x14, 0x71, 0, 0, 0, 0, 1, 0, 0, 0, 192, 168, 1, 199, 1, 1, 0x10, 0x27, 0,
            0, 0, 0,
        ];
        assert_eq!(probe(&pi(&req, Transport::Udp)), ProbeResult::Match);
        let mut bad = req;
        bad[8] = 0x55; // unknown service
        assert_eq!(probe(&pi(&bad, Transport::Udp)), ProbeResult::NoMatch);
        let mut bad = req;
        bad[20] = 3; // 3 tags in no bytes
        assert_eq!(probe(&pi(&bad, Transport::Udp)), ProbeResult::NoMatch);
        assert_eq!(probe(&pi(&req, Transport::Tcp)), ProbeResult::NoMatch);
    }
}
