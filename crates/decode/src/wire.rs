//! Zero-copy header views. Each `new_checked` validates lengths once; the
//! accessors then index within those bounds and cannot panic.

use crate::Anomaly;

pub const ETHERTYPE_IPV4: u16 = 0x0800;
pub const ETHERTYPE_ARP: u16 = 0x0806;
pub const ETHERTYPE_VLAN: u16 = 0x8100;
pub const ETHERTYPE_QINQ: u16 = 0x88a8;
pub const ETHERTYPE_QINQ_OLD: u16 = 0x9100;
pub const ETHERTYPE_IPV6: u16 = 0x86dd;
pub const ETHERTYPE_MPLS: u16 = 0x8847;
pub const ETHERTYPE_MPLS_MC: u16 = 0x8848;

/// Big-endian fields of a fixed-size header: the array type carries the
/// length checked at construction, so with constant offsets these compile
/// to plain loads without bounds checks.
#[inline(always)]
fn h16<const N: usize>(h: &[u8; N], at: usize) -> u16 {
    u16::from_be_bytes([h[at], h[at + 1]])
}
#[inline(always)]
fn h32<const N: usize>(h: &[u8; N], at: usize) -> u32 {
    u32::from_be_bytes([h[at], h[at + 1], h[at + 2], h[at + 3]])
}

#[inline]
fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

/// Ethernet II: dst(0..6) src(6..12) ethertype(12..14)
pub struct EthernetFrame<'a>(&'a [u8]);
impl<'a> EthernetFrame<'a> {
    pub const LEN: usize = 14;
    const ETHERTYPE: usize = 12;
    pub fn new_checked(b: &'a [u8]) -> Option<Self> {
        (b.len() >= Self::LEN).then_some(EthernetFrame(b))
    }
    pub fn ethertype(&self) -> u16 {
        be16(self.0, Self::ETHERTYPE)
    }
    pub fn src_mac(&self) -> &'a [u8] {
        &self.0[6..12]
    }
    pub fn dst_mac(&self) -> &'a [u8] {
        &self.0[0..6]
    }
}

/// Linux cooked capture v1: pkttype(0..2) hatype(2..4) halen(4..6)
/// addr(6..14) protocol(14..16)
pub struct SllHeader<'a>(&'a [u8]);
impl<'a> SllHeader<'a> {
    pub const LEN: usize = 16;
    pub fn new_checked(b: &'a [u8]) -> Option<Self> {
        (b.len() >= Self::LEN).then_some(SllHeader(b))
    }
    pub fn protocol(&self) -> u16 {
        be16(self.0, 14)
    }
}

/// Linux cooked capture v2: protocol(0..2) reserved(2..4) ifindex(4..8)
/// hatype(8..10) pkttype(10) halen(11) addr(12..20)
pub struct Sll2Header<'a>(&'a [u8]);
impl<'a> Sll2Header<'a> {
    pub const LEN: usize = 20;
    pub fn new_checked(b: &'a [u8]) -> Option<Self> {
        (b.len() >= Self::LEN).then_some(Sll2Header(b))
    }
    pub fn protocol(&self) -> u16 {
        be16(self.0, 0)
    }
}

/// IPv4: ver/ihl(0) tos(1) total_len(2..4) id(4..6) flags/frag(6..8)
/// ttl(8) proto(9) csum(10..12) src(12..16) dst(16..20)
pub struct Ipv4Packet<'a> {
    hdr: &'a [u8; 20],
    buf: &'a [u8],
    hlen: usize,
    /// end of the datagram within `buf` (total length, clipped to capture)
    end: usize,
    truncated: bool,
}
impl<'a> Ipv4Packet<'a> {
    pub const MIN_LEN: usize = 20;
    pub fn new_checked(b: &'a [u8]) -> Result<Self, Anomaly> {
        if b.len() < Self::MIN_LEN {
            return Err(Anomaly::Ipv4PktTooSmall);
        }
        if b[0] >> 4 != 4 {
            return Err(Anomaly::Ipv4WrongIpVer);
        }
        let hlen = ((b[0] & 0x0f) as usize) * 4;
        if hlen < Self::MIN_LEN {
            return Err(Anomaly::Ipv4HlenTooSmall);
        }
        if b.len() < hlen {
            return Err(Anomaly::Ipv4PktTooSmall);
        }
        let total = be16(b, 2) as usize;
        let (end, truncated) = if total == 0 {
            // TSO captures write 0: use what was captured
            (b.len(), false)
        } else if total < hlen {
            return Err(Anomaly::Ipv4IplenSmallerThanHlen);
        } else if total > b.len() {
            (b.len(), true)
        } else {
            (total, false)
        };
        let hdr = b.first_chunk::<20>().ok_or(Anomaly::Ipv4PktTooSmall)?;
        Ok(Ipv4Packet {
            hdr,
            buf: b,
            hlen,
            end,
            truncated,
        })
    }
    #[inline]
    pub fn src(&self) -> &'a [u8; 4] {
        self.hdr[12..16].try_into().unwrap_or(&[0; 4])
    }
    #[inline]
    pub fn dst(&self) -> &'a [u8; 4] {
        self.hdr[16..20].try_into().unwrap_or(&[0; 4])
    }
    #[inline]
    pub fn protocol(&self) -> u8 {
        self.hdr[9]
    }
    #[inline]
    pub fn ident(&self) -> u16 {
        h16(self.hdr, 4)
    }
    #[inline]
    pub fn more_frags(&self) -> bool {
        self.hdr[6] & 0x20 != 0
    }
    /// Fragment offset in bytes.
    #[inline]
    pub fn frag_offset(&self) -> u16 {
        (h16(self.hdr, 6) & 0x1fff).wrapping_mul(8)
    }
    #[inline]
    pub fn is_fragment(&self) -> bool {
        h16(self.hdr, 6) & 0x3fff != 0
    }
    #[inline]
    pub fn header(&self) -> &'a [u8] {
        &self.buf[..self.hlen]
    }
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        &self.buf[self.hlen..self.end]
    }
    /// Captured bytes are fewer than the total length says.
    #[inline]
    pub fn truncated(&self) -> bool {
        self.truncated
    }
}

/// IPv6 fixed header: ver/tc/flow(0..4) payload_len(4..6) next(6)
/// hop(7) src(8..24) dst(24..40)
pub struct Ipv6Packet<'a> {
    buf: &'a [u8],
    end: usize,
    truncated: bool,
}
impl<'a> Ipv6Packet<'a> {
    pub const LEN: usize = 40;
    pub fn new_checked(b: &'a [u8]) -> Option<Self> {
        if b.len() < Self::LEN || b[0] >> 4 != 6 {
            return None;
        }
        let plen = be16(b, 4) as usize;
        let want = Self::LEN + plen;
        let (end, truncated) = if plen == 0 {
            (b.len(), false) // jumbogram or TSO
        } else if want > b.len() {
            (b.len(), true)
        } else {
            (want, false)
        };
        Some(Ipv6Packet {
            buf: b,
            end,
            truncated,
        })
    }
    pub fn next_header(&self) -> u8 {
        self.buf[6]
    }
    pub fn src(&self) -> &'a [u8] {
        &self.buf[8..24]
    }
    pub fn dst(&self) -> &'a [u8] {
        &self.buf[24..40]
    }
    pub fn payload(&self) -> &'a [u8] {
        &self.buf[Self::LEN..self.end]
    }
    pub fn truncated(&self) -> bool {
        self.truncated
    }
}

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

/// UDP: sport(0..2) dport(2..4) len(4..6) csum(6..8)
pub struct UdpDatagram<'a> {
    hdr: &'a [u8; 8],
    buf: &'a [u8],
    end: usize,
}
impl<'a> UdpDatagram<'a> {
    pub const LEN: usize = 8;
    pub fn new_checked(b: &'a [u8]) -> Result<Self, Anomaly> {
        if b.len() < Self::LEN {
            return Err(Anomaly::UdpPktTooSmall);
        }
        let len = be16(b, 4) as usize;
        if len != 0 && len < Self::LEN {
            return Err(Anomaly::UdpHlenInvalid);
        }
        // len 0 (jumbo / offload) or longer than captured: use what we have
        let end = if len == 0 || len > b.len() {
            b.len()
        } else {
            len
        };
        let hdr = b.first_chunk::<8>().ok_or(Anomaly::UdpPktTooSmall)?;
        Ok(UdpDatagram { hdr, buf: b, end })
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
    pub fn payload(&self) -> &'a [u8] {
        &self.buf[Self::LEN..self.end]
    }
}
