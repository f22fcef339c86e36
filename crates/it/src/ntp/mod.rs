//! NTP (RFC 5905) over UDP: version, mode, stratum, reference id.

use crate::util::{ipv4_str, StackBuf};
use reefwatch_applayer::{
    AppParser, Direction, EventSink, ParseResult, ProbeInput, ProbeResult, ProtocolDef, Transport,
};

pub const HEADER_LEN: usize = 48;

/// View of the fixed NTP header (length checked once).
#[derive(Clone, Copy, Debug)]
pub struct Packet<'a> {
    buf: &'a [u8],
}

impl<'a> Packet<'a> {
    pub fn new_checked(buf: &'a [u8]) -> Option<Packet<'a>> {
        (buf.len() >= HEADER_LEN).then_some(Packet { buf })
    }
    pub fn leap(&self) -> u8 {
        self.buf[0] >> 6
    }
    pub fn version(&self) -> u8 {
        (self.buf[0] >> 3) & 7
    }
    pub fn mode(&self) -> u8 {
        self.buf[0] & 7
    }
    pub fn stratum(&self) -> u8 {
        self.buf[1]
    }
    pub fn reference_id(&self) -> [u8; 4] {
        [self.buf[12], self.buf[13], self.buf[14], self.buf[15]]
    }
}

/// Reference id text: a kiss code / clock source (stratum 0-1) or an IPv4 address.
pub fn reference_id_str(p: &Packet<'_>) -> StackBuf<16> {
    let r = p.reference_id();
    if p.stratum() <= 1 {
        let mut s = StackBuf::new();
        for &c in r.iter().take_while(|&&c| c != 0) {
            s.push(if c.is_ascii_graphic() { c } else { b'?' });
        }
        s
    } else {
        ipv4_str(r)
    }
}

#[derive(Default)]
struct NtpState;

impl AppParser for NtpState {
    fn parse(&mut self, _dir: Direction, data: &[u8], out: &mut dyn EventSink) -> ParseResult {
        let Some(p) = Packet::new_checked(data) else {
            out.anomaly("ntp.malformed_data");
            return ParseResult::Done;
        };
        if out.wants_events() {
            out.event("ntp", &mut |js| {
                js.set_uint("version", p.version() as u64);
                js.set_uint("mode", p.mode() as u64);
                js.set_uint("stratum", p.stratum() as u64);
                js.set_bytes_str("reference_id", reference_id_str(&p).as_bytes());
            });
        }
        ParseResult::Done
    }
}

/// Content probe. The first byte alone (version 1..=4, a mode) matches a
/// quarter of all datagrams (NetBIOS datagrams on UDP 138, QUIC, RADIUS
/// were taken for NTP), so the whole datagram must be NTP: a sane poll and
/// precision, and a length that is the 48-byte header plus well-formed
/// extension fields (v4) and at most a key id + MD5/SHA-1 MAC; mode 6
/// (control) is its 12-byte header plus `count` data bytes, padded.
fn probe(i: &ProbeInput<'_>) -> ProbeResult {
    let d = i.data;
    match Packet::new_checked(d) {
        Some(p)
            if (1..=4).contains(&p.version())
                && p.mode() != 0
                && p.mode() != 7
                && p.stratum() <= 16
                && (p.mode() == 6 || header_fields_sane(d))
                && length_consistent(d, p.version(), p.mode()) =>
        {
            ProbeResult::Match
        }
        _ => ProbeResult::NoMatch,
    }
}

/// Poll (log2 s, RFC 5905 allows up to 17) and precision (log2 s, a
/// negative number; 0 from SNTP clients that zero the header).
fn header_fields_sane(d: &[u8]) -> bool {
    let poll = d[2] as i8;
    let precision = d[3] as i8;
    (0..=17).contains(&poll) && (-32..=0).contains(&precision)
}

/// Key id + MAC trailer sizes: none, MD5 (4 + 16), SHA-1 (4 + 20).
const MAC_SIZES: [usize; 3] = [0, 20, 24];

fn length_consistent(d: &[u8], version: u8, mode: u8) -> bool {
    if mode == 6 {
        let count = u16::from_be_bytes([d[10], d[11]]) as usize;
        let body = (12 + count + 3) & !3;
        return d.len() >= 12 + count && MAC_SIZES.iter().any(|m| body + m == d.len());
    }
    let mut off = HEADER_LEN;
    // at most a handful of extension fields (RFC 7822)
    for _ in 0..8 {
        let rest = d.len() - off;
        if MAC_SIZES.contains(&rest) {
            return true;
        }
        if version != 4 || rest < 16 {
            return false;
        }
        let len = u16::from_be_bytes([d[off + 2], d[off + 3]]) as usize;
        if len < 16 || !len.is_multiple_of(4) || len > rest {
            return false;
        }
        off += len;
    }
    false
}

fn new_parser() -> Box<dyn AppParser> {
    Box::new(NtpState)
}

pub const NTP: ProtocolDef = ProtocolDef {
    name: "ntp",
    transports: &[Transport::Udp],
    ports: &[123],
    probe,
    new_parser,
};

#[cfg(test)]
mod tests {
    use super::*;
    use reefwatch_applayer::TestSink;

    #[test]
    fn server_reply() {
        let mut m = [0u8; 48];
        m[0] = 0x24; // LI 0, VN 4, mode 4 (server)
        m[1] = 2; // stratum
        m[12..16].copy_from_slice(&[192, 168, 1, 1]);
        let i = ProbeInput {
            data: &m,
            dir: Direction::ToClient,
            transport: Transport::Udp,
            client_port: 123,
            server_port: 123,
        };
        assert_eq!(probe(&i), ProbeResult::Match);
        let mut p = new_parser();
        let mut sink = TestSink::default();
        p.parse(Direction::ToClient, &m, &mut sink);
        assert_eq!(
            sink.events[0].1,
            r#"{"version":4,"mode":4,"stratum":2,"reference_id":"192.168.1.1"}"#
        );
        assert_eq!(
            probe(&ProbeInput {
                data: &m[..40],
                ..i
            }),
            ProbeResult::NoMatch
        );
        // header + key id + MD5 MAC still NTP; 3 stray bytes are not
        let mut mac = m.to_vec();
        mac.extend_from_slice(&[0; 20]);
        assert_eq!(probe(&ProbeInput { data: &mac, ..i }), ProbeResult::Match);
        mac.truncate(51);
        assert_eq!(probe(&ProbeInput { data: &mac, ..i }), ProbeResult::NoMatch);
    }

    fn udp(data: &[u8], port: u16) -> ProbeInput<'_> {
        ProbeInput {
            data,
            dir: Direction::ToServer,
            transport: Transport::Udp,
            client_port: port,
            server_port: port,
        }
    }

    /// Datagrams the old one-byte probe took for NTP, from the shared
    /// captures (testdata/probes/NOTICE credits the sources).
    #[test]
    fn not_ntp() {
        // NetBIOS datagram service (UDP 138), smtp.pcap frame 60: 0x11 =
        // DIRECT_GROUP (reads as NTP v2 mode 1), flags 0x02, id 0x80de,
        // source 10.10.1.20:138, datagram length 0x00bb, packet offset 0,
        // then the names and an SMB browser frame: 201 bytes in all.
        let mut nb = vec![
            0x11, 0x02, 0x80, 0xde, 0x0a, 0x0a, 0x01, 0x14, 0x00, 0x8a, 0x00, 0xbb, 0x00, 0x00,
            0x20, 0x45, 0x4e, 0x45, 0x4a,
        ];
        nb.resize(201, 0x41);
        assert_eq!(probe(&udp(&nb, 138)), ProbeResult::NoMatch);
        // QUIC long header (curl-8.1.2-dev-http3-www-google-de.pcap): 0xcc =
        // long header, Initial (reads as NTP v1 mode 4), version 1, a
        // 1200-byte padded Initial.
        let mut quic = vec![0xcc, 0x00, 0x00, 0x00, 0x01, 0x10, 0x81, 0x5d];
        quic.resize(1200, 0);
        assert_eq!(probe(&udp(&quic, 443)), ProbeResult::NoMatch);
        // RADIUS Access-Request (radius.pcap frame 1): code 1, id 5, length
        // 0x008b = 139, authenticator ec fe 3d 2f ...
        let mut rad = vec![0x01, 0x05, 0x00, 0x8b, 0xec, 0xfe, 0x3d, 0x2f];
        rad.resize(139, 0x20);
        assert_eq!(probe(&udp(&rad, 1812)), ProbeResult::NoMatch);
        // 48 bytes with a NetBIOS-like first byte but precision +58: no
        let mut short = [0u8; 48];
        short[0] = 0x11;
        short[3] = 58;
        assert_eq!(probe(&udp(&short, 138)), ProbeResult::NoMatch);
    }
}
