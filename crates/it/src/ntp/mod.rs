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

fn probe(i: &ProbeInput<'_>) -> ProbeResult {
    match Packet::new_checked(i.data) {
        Some(p)
            if (1..=4).contains(&p.version())
                && p.mode() != 0
                && p.mode() != 7
                && p.stratum() <= 16 =>
        {
            ProbeResult::Match
        }
        _ => ProbeResult::NoMatch,
    }
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
    }
}
