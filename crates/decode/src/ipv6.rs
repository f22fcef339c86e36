//! IPv6 (RFC 8200): the fixed header view, and the extension headers
//! (hop-by-hop, routing, destination options, mobility, HIP, shim6,
//! authentication, fragment) walked to the upper layer by [`walk_ext`],
//! the one rule the decoder and the thread hash share.

use crate::decoder::Ctx;
use crate::defrag::FragKey;
use crate::wire::be16;
use crate::{Anomaly, Packet, L3};

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

/// Extension headers beyond this many are an anomaly.
const MAX_EXT_HEADERS: usize = 8;

/// A fragment header that is not an atomic fragment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Ipv6Fragment<'a> {
    /// the next header of the fragmented part
    pub next: u8,
    /// offset in bytes
    pub offset: usize,
    pub more: bool,
    pub id: u32,
    pub payload: &'a [u8],
}

/// Where a walk over the extension headers ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExtEnd<'a> {
    /// the upper layer: its protocol number and bytes
    Upper(u8, &'a [u8]),
    /// a fragment to reassemble
    Fragment(Ipv6Fragment<'a>),
    /// an extension header cut short
    Truncated,
    TooMany,
}

/// Walk the extension headers from next header `nh` over `rest` (the
/// payload): where the walk ends, and how many fragment headers it went
/// through (atomic ones, and the one it ends on).
pub(crate) fn walk_ext(mut nh: u8, mut rest: &[u8]) -> (ExtEnd<'_>, u8) {
    let mut frags = 0;
    for _ in 0..MAX_EXT_HEADERS {
        let len = match nh {
            // length in 8-byte units, not counting the first 8
            0 | 43 | 60 | 135 | 139 | 140 if rest.len() >= 8 => (rest[1] as usize + 1) * 8,
            // AH: length in 4-byte units minus 2
            51 if rest.len() >= 8 => (rest[1] as usize + 2) * 4,
            44 if rest.len() >= 8 => {
                frags += 1;
                let off_field = be16(rest, 2);
                let offset = (off_field >> 3) as usize * 8;
                let more = off_field & 1 != 0;
                if offset != 0 || more {
                    let frag = Ipv6Fragment {
                        next: rest[0],
                        offset,
                        more,
                        id: u32::from_be_bytes([rest[4], rest[5], rest[6], rest[7]]),
                        payload: &rest[8..],
                    };
                    return (ExtEnd::Fragment(frag), frags);
                }
                8 // atomic fragment: the header is all there is to skip
            }
            0 | 43 | 60 | 135 | 139 | 140 | 51 | 44 => return (ExtEnd::Truncated, frags),
            _ => return (ExtEnd::Upper(nh, rest), frags),
        };
        if rest.len() < len {
            return (ExtEnd::Truncated, frags);
        }
        nh = rest[0];
        rest = &rest[len..];
    }
    (ExtEnd::TooMany, frags)
}

impl Ctx<'_> {
    pub(crate) fn ipv6<'a>(&mut self, data: &'a [u8], p: &mut Packet<'a>) {
        let ip = match Ipv6Packet::new_checked(data) {
            Some(ip) => ip,
            None => {
                self.anomaly(p, Anomaly::Ipv6PktTooSmall);
                return;
            }
        };
        self.stats.ipv6 += 1;
        p.l3 = L3::Ipv6;
        p.src.copy_from_slice(ip.src());
        p.dst.copy_from_slice(ip.dst());
        if ip.truncated() {
            self.anomaly(p, Anomaly::Ipv6TruncPkt);
        }
        let (end, frags) = walk_ext(ip.next_header(), ip.payload());
        self.stats.frag_ipv6 += frags as u64;
        match end {
            ExtEnd::Upper(nh, rest) => self.transport(nh, rest, p),
            ExtEnd::Fragment(f) => {
                p.proto = f.next;
                p.fragment_pending = true;
                let key = FragKey {
                    src: p.src,
                    dst: p.dst,
                    id: f.id,
                    proto: f.next,
                    v6: true,
                    vlan: p.vlan[0],
                };
                // Synthesised header for the rebuilt datagram.
                let mut hdr = [0u8; 40];
                hdr.copy_from_slice(&data[..40]);
                hdr[6] = f.next;
                self.fragment(key, f.offset, f.more, &hdr, f.payload, p);
            }
            ExtEnd::Truncated => self.anomaly(p, Anomaly::Ipv6TruncPkt),
            ExtEnd::TooMany => self.anomaly(p, Anomaly::Ipv6ExthdrTooMany),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{linktype, Decoder, IPPROTO_UDP};

    /// Raw IPv6 + hop-by-hop ext header + UDP 53 → 5353
    const IPV6_HBH_UDP: &[u8] = &[
        // ver 6, tc, flow; payload len 8+8+2 = 18; next header 0 (HBH); hop 64
        0x60, 0, 0, 0, 0, 18, 0, 64, // src ::1
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, // dst ::2
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
        // HBH: next header UDP, len 0 (8 bytes), padding
        17, 0, 1, 4, 0, 0, 0, 0, // udp: sport 53, dport 5353, len 10, csum
        0, 53, 0x14, 0xe9, 0, 10, 0, 0, // payload
        0xab, 0xcd,
    ];

    #[test]
    fn raw_ipv6_ext_udp() {
        let mut d = Decoder::new();
        let p = d.decode(linktype::RAW, IPV6_HBH_UDP, 0);
        assert_eq!(p.l3, L3::Ipv6);
        assert_eq!((p.sport, p.dport, p.proto), (53, 5353, IPPROTO_UDP));
        assert_eq!(p.payload, &[0xab, 0xcd]);
        assert_eq!(p.src[15], 1);
    }

    #[test]
    fn extension_header_walk() {
        let udp = &IPV6_HBH_UDP[48..];
        assert_eq!(
            walk_ext(0, &IPV6_HBH_UDP[40..]),
            (ExtEnd::Upper(17, udp), 0)
        );
        // an atomic fragment (offset 0, no more) is skipped and counted
        let mut atomic = vec![17, 0, 0, 0, 0, 0, 0, 9];
        atomic.extend_from_slice(udp);
        assert_eq!(walk_ext(44, &atomic), (ExtEnd::Upper(17, udp), 1));
        // offset 8, more fragments, id 9
        atomic[3] = 0x09;
        let f = Ipv6Fragment {
            next: 17,
            offset: 8,
            more: true,
            id: 9,
            payload: udp,
        };
        assert_eq!(walk_ext(44, &atomic), (ExtEnd::Fragment(f), 1));
        // AH of length 1 (12 bytes) cut to 10; a header shorter than 8
        assert_eq!(
            walk_ext(51, &[17, 1, 0, 0, 0, 0, 0, 0, 0, 0]),
            (ExtEnd::Truncated, 0)
        );
        assert_eq!(walk_ext(60, &[17, 0, 0]), (ExtEnd::Truncated, 0));
        // nine destination-options headers: one too many
        let nine = [60u8, 0, 0, 0, 0, 0, 0, 0].repeat(9);
        assert_eq!(walk_ext(60, &nine), (ExtEnd::TooMany, 0));
    }
}
