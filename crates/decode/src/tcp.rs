//! TCP (RFC 9293): the segment view, its checks (header length) and the
//! fields the flow engine keeps. Nothing is decoded after TCP here (the app
//! layer reads the payload).

use crate::decoder::Ctx;
use crate::wire::{h16, h32};
use crate::{Anomaly, Packet, TcpInfo};

/// TCP: sport(0..2) dport(2..4) seq(4..8) ack(8..12) off/flags(12..14)
/// window(14..16) csum(16..18) urg(18..20) options…
pub struct TcpSegment<'a> {
    hdr: &'a [u8; 20],
    buf: &'a [u8],
    hlen: usize,
}
impl<'a> TcpSegment<'a> {
    pub const MIN_LEN: usize = 20;
    pub fn new_checked(b: &'a [u8]) -> Result<Self, Anomaly> {
        if b.len() < Self::MIN_LEN {
            return Err(Anomaly::TcpPktTooSmall);
        }
        let hlen = ((b[12] >> 4) as usize) * 4;
        if hlen < Self::MIN_LEN {
            return Err(Anomaly::TcpHlenTooSmall);
        }
        if hlen > b.len() {
            return Err(Anomaly::TcpPktTooSmall);
        }
        let hdr = b.first_chunk::<20>().ok_or(Anomaly::TcpPktTooSmall)?;
        Ok(TcpSegment { hdr, buf: b, hlen })
    }
    #[inline]
    pub fn src_port(&self) -> u16 {
        h16(self.hdr, 0)
    }
    #[inline]
    pub fn dst_port(&self) -> u16 {
        h16(self.hdr, 2)
    }
    #[inline]
    pub fn seq(&self) -> u32 {
        h32(self.hdr, 4)
    }
    #[inline]
    pub fn ack(&self) -> u32 {
        h32(self.hdr, 8)
    }
    #[inline]
    pub fn flags(&self) -> u8 {
        self.hdr[13]
    }
    #[inline]
    pub fn window(&self) -> u16 {
        h16(self.hdr, 14)
    }
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        &self.buf[self.hlen..]
    }
}

pub mod tcp_flags {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const PSH: u8 = 0x08;
    pub const ACK: u8 = 0x10;
    pub const URG: u8 = 0x20;
    pub const ECE: u8 = 0x40;
    pub const CWR: u8 = 0x80;
}

/// A TCP segment's header fields (the decoder and its fast path).
#[inline(always)]
pub(crate) fn tcp_info(t: &TcpSegment<'_>) -> TcpInfo {
    TcpInfo {
        seq: t.seq(),
        ack: t.ack(),
        flags: t.flags(),
        window: t.window(),
    }
}

impl Ctx<'_> {
    pub(crate) fn tcp<'a>(&mut self, data: &'a [u8], p: &mut Packet<'a>) {
        match TcpSegment::new_checked(data) {
            Ok(t) => {
                self.stats.tcp += 1;
                p.sport = t.src_port();
                p.dport = t.dst_port();
                p.tcp = Some(tcp_info(&t));
                p.payload = t.payload();
            }
            Err(a) => self.anomaly(p, a),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_checks() {
        // sport 1234, dport 502, seq 1, ack 2, data offset 6 (one option
        // word), flags SYN, window 8192, csum, urg; option (MSS 1460); data
        let s = [
            0x04, 0xd2, 0x01, 0xf6, 0, 0, 0, 1, 0, 0, 0, 2, 0x60, 0x02, 0x20, 0x00, 0, 0, 0, 0, 2,
            4, 0x05, 0xb4, b'x',
        ];
        let t = TcpSegment::new_checked(&s).unwrap();
        assert_eq!((t.src_port(), t.dst_port()), (1234, 502));
        assert_eq!(
            tcp_info(&t),
            TcpInfo {
                seq: 1,
                ack: 2,
                flags: tcp_flags::SYN,
                window: 8192
            }
        );
        assert_eq!(t.payload(), b"x");
        let err = |b: &[u8]| TcpSegment::new_checked(b).err();
        assert_eq!(err(&s[..19]), Some(Anomaly::TcpPktTooSmall));
        // the options are not all there
        assert_eq!(err(&s[..23]), Some(Anomaly::TcpPktTooSmall));
        let mut short = s;
        short[12] = 0x40; // data offset 4
        assert_eq!(err(&short), Some(Anomaly::TcpHlenTooSmall));
    }
}
