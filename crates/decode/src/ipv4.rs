//! IPv4 (RFC 791): the header view, its checks (version, header and total
//! length, truncation) and fragments. What follows is the protocol number's
//! layer ([`crate::ip::ip_proto_next`]).

use crate::decoder::Ctx;
use crate::defrag::FragKey;
use crate::wire::{be16, h16};
use crate::{Anomaly, Packet, L3};

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

impl Ctx<'_> {
    pub(crate) fn ipv4<'a>(&mut self, data: &'a [u8], p: &mut Packet<'a>) {
        let ip = match Ipv4Packet::new_checked(data) {
            Ok(ip) => ip,
            Err(e) => {
                self.anomaly(p, e);
                return;
            }
        };
        self.stats.ipv4 += 1;
        p.l3 = L3::Ipv4;
        p.src = [0; 16];
        p.dst = [0; 16];
        p.src[..4].copy_from_slice(ip.src());
        p.dst[..4].copy_from_slice(ip.dst());
        if ip.truncated() {
            self.anomaly(p, Anomaly::Ipv4TruncPkt);
        }
        if ip.is_fragment() {
            self.stats.frag_ipv4 += 1;
            p.proto = ip.protocol();
            p.fragment_pending = true;
            let key = FragKey {
                src: p.src,
                dst: p.dst,
                id: ip.ident() as u32,
                proto: ip.protocol(),
                v6: false,
                vlan: p.vlan[0],
            };
            let off = ip.frag_offset() as usize;
            self.fragment(key, off, ip.more_frags(), ip.header(), ip.payload(), p);
            return;
        }
        self.transport(ip.protocol(), ip.payload(), p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{linktype, Decoder};

    #[test]
    fn header_checks() {
        // ver/ihl 0x45, tos, total length 20, id, flags/frag, ttl, proto, csum,
        // src 10.0.0.1, dst 10.0.0.2
        let h = [
            0x45, 0, 0, 20, 0, 1, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ];
        let ok = Ipv4Packet::new_checked(&h).unwrap();
        assert_eq!(
            (ok.src(), ok.dst(), ok.protocol()),
            (&[10, 0, 0, 1], &[10, 0, 0, 2], 6)
        );
        assert!(!ok.truncated() && !ok.is_fragment() && ok.payload().is_empty());
        let with = |i: usize, v: u8| {
            let mut b = h;
            b[i] = v;
            b
        };
        let err = |b: &[u8]| Ipv4Packet::new_checked(b).err();
        assert_eq!(err(&h[..19]), Some(Anomaly::Ipv4PktTooSmall));
        assert_eq!(err(&with(0, 0x65)), Some(Anomaly::Ipv4WrongIpVer));
        assert_eq!(err(&with(0, 0x44)), Some(Anomaly::Ipv4HlenTooSmall));
        assert_eq!(err(&with(0, 0x46)), Some(Anomaly::Ipv4PktTooSmall));
        assert_eq!(err(&with(3, 19)), Some(Anomaly::Ipv4IplenSmallerThanHlen));
        // total length 0 (TSO): as captured; longer than captured: truncated
        assert!(!Ipv4Packet::new_checked(&with(3, 0)).unwrap().truncated());
        assert!(Ipv4Packet::new_checked(&with(3, 21)).unwrap().truncated());
        // more fragments; offset 1 (8 bytes)
        let (mf, off) = (with(6, 0x20), with(7, 1));
        let mf = Ipv4Packet::new_checked(&mf).unwrap();
        assert!(mf.is_fragment() && mf.more_frags() && mf.frag_offset() == 0);
        let off = Ipv4Packet::new_checked(&off).unwrap();
        assert!(off.is_fragment() && !off.more_frags() && off.frag_offset() == 8);
        // don't fragment alone is not a fragment
        assert!(!Ipv4Packet::new_checked(&with(6, 0x40))
            .unwrap()
            .is_fragment());
    }

    #[test]
    fn ipv4_fragments_reassemble() {
        // UDP datagram of 8+24 bytes split in two fragments of 16
        let udp: Vec<u8> = {
            let mut u = vec![0x30, 0x39, 0x00, 0x35, 0, 32, 0, 0];
            u.extend((0..24u8).map(|i| b'A' + i));
            u
        };
        let frag = |off: usize, more: bool, body: &[u8]| {
            let mut f = vec![
                0x45, 0, 0, 0, 0xbe, 0xef, 0, 0, 64, 17, 0, 0, 192, 168, 0, 1, 192, 168, 0, 2,
            ];
            let total = (20 + body.len()) as u16;
            f[2..4].copy_from_slice(&total.to_be_bytes());
            let ff = ((off / 8) as u16) | if more { 0x2000 } else { 0 };
            f[6..8].copy_from_slice(&ff.to_be_bytes());
            f.extend_from_slice(body);
            f
        };
        let f1 = frag(16, false, &udp[16..]);
        let f0 = frag(0, true, &udp[..16]);
        let mut d = Decoder::new();
        let p = d.decode(linktype::IPV4, &f1, 0);
        assert!(p.fragment_pending);
        assert!(p.tcp.is_none() && p.sport == 0);
        let p = d.decode(linktype::IPV4, &f0, 0);
        assert!(p.reassembled);
        assert_eq!((p.sport, p.dport), (12345, 53));
        assert_eq!(p.payload, &udp[8..]);
    }
}
