//! Tunnels the decoder unwraps: GRE (RFC 2784/2890, with ERSPAN II/III),
//! and inside UDP VXLAN (RFC 7348), GENEVE (RFC 8926), GRE-in-UDP
//! (RFC 8086) and AYIYA. The inner packet replaces the outer one's flow
//! identity. Each header has one function saying what it carries
//! ([`Inner`]); the decoder and the thread hash both go by it.

use crate::decoder::Ctx;
use crate::link::{EthernetFrame, ETHERTYPE_IPV4, ETHERTYPE_IPV6};
use crate::udp::UdpTunnel;
use crate::wire::be16;
use crate::{Anomaly, Packet, L3};

/// Tunnels deeper than this are not unwrapped.
pub(crate) const MAX_TUNNEL_DEPTH: u8 = 3;
/// Transparent Ethernet bridging: an Ethernet frame follows.
const ETHERTYPE_TEB: u16 = 0x6558;
const ETHERTYPE_ERSPAN2: u16 = 0x88be;
const ETHERTYPE_ERSPAN3: u16 = 0x22eb;

/// What a tunnel header carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Inner<'a> {
    /// an Ethernet frame
    Ethernet(&'a [u8]),
    /// what an EtherType announces
    Ethertype(u16, &'a [u8]),
}

/// A GRE header (version 0): flags/version(0..2) protocol(2..4), then
/// checksum+reserved, key and sequence number (4 bytes each) as flagged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct GreHeader<'a> {
    pub protocol: u16,
    /// what follows the header
    pub inner: &'a [u8],
}

impl<'a> GreHeader<'a> {
    /// `None` for PPTP's enhanced GRE (version 1), which is not unwrapped.
    pub(crate) fn new_checked(d: &'a [u8]) -> Result<Option<Self>, Anomaly> {
        if d.len() < 4 {
            return Err(Anomaly::GrePktTooSmall);
        }
        let flags = be16(d, 0);
        if flags & 7 != 0 {
            return Ok(None);
        }
        let hlen = 4 + 4
            * ((flags & 0x8000 != 0) as usize // checksum + reserved
                + (flags & 0x2000 != 0) as usize // key
                + (flags & 0x1000 != 0) as usize); // sequence
        if d.len() < hlen {
            return Err(Anomaly::GrePktTooSmall);
        }
        Ok(Some(GreHeader {
            protocol: be16(d, 2),
            inner: &d[hlen..],
        }))
    }

    /// The one rule for what a GRE header carries.
    pub(crate) fn next(&self) -> Option<Inner<'a>> {
        let inner = self.inner;
        match self.protocol {
            ETHERTYPE_TEB => Some(Inner::Ethernet(inner)),
            et @ (ETHERTYPE_IPV4 | ETHERTYPE_IPV6) => Some(Inner::Ethertype(et, inner)),
            // ERSPAN type II: 8-byte header then Ethernet
            ETHERTYPE_ERSPAN2 if inner.len() >= 8 => Some(Inner::Ethernet(&inner[8..])),
            // ERSPAN type III: 12 bytes, +8 with the platform sub-header
            ETHERTYPE_ERSPAN3 if inner.len() >= 12 => {
                let o = if inner[11] & 0x01 != 0 { 20 } else { 12 };
                (inner.len() > o).then(|| Inner::Ethernet(&inner[o..]))
            }
            _ => None,
        }
    }
}

/// VXLAN: flags(0, I = 0x08) reserved(1..4) VNI(4..7) reserved(7), then
/// an Ethernet frame. Anything else on its port is left as plain UDP.
#[inline]
pub(crate) fn vxlan_next(d: &[u8]) -> Option<Inner<'_>> {
    (d.len() >= 8 + EthernetFrame::LEN && d[0] & 0x08 != 0).then(|| Inner::Ethernet(&d[8..]))
}

/// GENEVE (RFC 8926): ver/optlen(0) flags(1) protocol(2..4) vni(4..8)
/// then options of optlen*4 bytes.
#[inline]
pub(crate) fn geneve_next(d: &[u8]) -> Option<Inner<'_>> {
    if d.len() < 8 || d[0] >> 6 != 0 {
        return None;
    }
    let hlen = 8 + (d[0] & 0x3f) as usize * 4;
    let inner = d.get(hlen..)?;
    Some(match be16(d, 2) {
        ETHERTYPE_TEB => Inner::Ethernet(inner),
        et => Inner::Ethertype(et, inner),
    })
}

/// An AYIYA header: idlen/idtype(0) siglen/hash(1) auth/opcode(2) next
/// header(3) epoch(4..8), then an identity of 2^idlen bytes and a signature
/// of siglen 4-byte words; the tunnelled packet follows. For a "forward"
/// message (opcode 1) carrying IPv4 or IPv6 and at least one byte of it:
/// the packet. Anything else (a heartbeat, a short or odd header) is left
/// as plain UDP.
#[inline]
pub(crate) fn ayiya_next(d: &[u8]) -> Option<Inner<'_>> {
    let h = d.first_chunk::<8>()?;
    let hlen = 8 + (1usize << (h[0] >> 4)) + (h[1] >> 4) as usize * 4;
    let et = match h[3] {
        4 => ETHERTYPE_IPV4,
        41 => ETHERTYPE_IPV6,
        _ => return None,
    };
    (h[2] & 0x0f == 1 && d.len() > hlen).then(|| Inner::Ethertype(et, &d[hlen..]))
}

impl Ctx<'_> {
    /// GRE, inside IP or in UDP.
    pub(crate) fn gre<'a>(&mut self, data: &'a [u8], p: &mut Packet<'a>) {
        if p.tunnel_depth >= MAX_TUNNEL_DEPTH {
            self.anomaly(p, Anomaly::TunnelTooDeep);
            return;
        }
        let gre = match GreHeader::new_checked(data) {
            Ok(Some(g)) => g,
            Ok(None) => return, // PPTP enhanced GRE: not unwrapped
            Err(a) => {
                self.anomaly(p, a);
                return;
            }
        };
        self.stats.gre += 1;
        self.enter_tunnel(p);
        if let Some(inner) = gre.next() {
            self.inner(inner, p);
        }
    }

    /// The tunnel a UDP datagram's ports announced, in its payload.
    pub(crate) fn udp_tunnel<'a>(&mut self, t: UdpTunnel, data: &'a [u8], p: &mut Packet<'a>) {
        let (inner, count) = match t {
            UdpTunnel::GreInUdp => return self.gre(data, p),
            UdpTunnel::Vxlan => (vxlan_next(data), &mut self.stats.vxlan),
            UdpTunnel::Geneve => (geneve_next(data), &mut self.stats.geneve),
            UdpTunnel::Ayiya => (ayiya_next(data), &mut self.stats.ayiya),
        };
        // not the tunnel after all: left as plain UDP
        let Some(inner) = inner else { return };
        *count += 1;
        self.enter_tunnel(p);
        self.inner(inner, p);
    }

    fn inner<'a>(&mut self, inner: Inner<'a>, p: &mut Packet<'a>) {
        match inner {
            Inner::Ethernet(d) => self.ethernet(d, p),
            Inner::Ethertype(et, d) => self.ethertype(et, d, p),
        }
    }

    fn enter_tunnel(&mut self, p: &mut Packet<'_>) {
        // The inner packet replaces the outer one's flow identity.
        p.tunnel_depth += 1;
        p.tcp = None;
        p.sport = 0;
        p.dport = 0;
        p.payload = &[];
        p.l3 = L3::None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_frames::VLAN_TCP;
    use crate::{address_pair_hash, linktype, Decoder};

    #[test]
    fn gre_headers() {
        let ip = &VLAN_TCP[18..];
        // no flags, IPv4
        let mut g = vec![0, 0, 0x08, 0x00];
        g.extend_from_slice(ip);
        let h = GreHeader::new_checked(&g).unwrap().unwrap();
        assert_eq!(h.next(), Some(Inner::Ethertype(ETHERTYPE_IPV4, ip)));
        // key and sequence flagged: 8 more bytes, cut short
        assert_eq!(
            GreHeader::new_checked(&[0x30, 0, 0x08, 0, 0, 0, 0, 7]),
            Err(Anomaly::GrePktTooSmall)
        );
        // version 1 (PPTP): left alone
        assert_eq!(GreHeader::new_checked(&[0, 1, 0x88, 0x0b]), Ok(None));
        // ERSPAN III with the platform sub-header: GRE with a sequence
        // number (8 bytes), ERSPAN's 12 (bit 0 of byte 11: sub-header
        // present), the 8-byte sub-header, then Ethernet
        let mut e3 = vec![0x10, 0, 0x22, 0xeb, 0, 0, 0, 1];
        e3.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01]);
        e3.extend_from_slice(&[0; 8]);
        e3.extend_from_slice(VLAN_TCP);
        let h = GreHeader::new_checked(&e3).unwrap().unwrap();
        assert_eq!(h.next(), Some(Inner::Ethernet(VLAN_TCP)));
        // an unknown protocol: counted as GRE, nothing inside
        let h = GreHeader::new_checked(&[0, 0, 0x12, 0x34])
            .unwrap()
            .unwrap();
        assert_eq!(h.next(), None);
    }

    #[test]
    fn gre_and_vxlan_unwrap() {
        let inner_ip = &VLAN_TCP[18..];
        // outer IPv4 (proto GRE) + GRE(ethertype IPv4) + inner IP
        let mut pkt = vec![
            0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 47, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
        ];
        let total = (20 + 4 + inner_ip.len()) as u16;
        pkt[2..4].copy_from_slice(&total.to_be_bytes());
        pkt.extend_from_slice(&[0, 0, 0x08, 0x00]);
        pkt.extend_from_slice(inner_ip);
        let mut d = Decoder::new();
        let p = d.decode(linktype::IPV4, &pkt, 0);
        assert_eq!(p.tunnel_depth, 1);
        assert_eq!(&p.src[..4], &[10, 0, 0, 1]);
        assert_eq!(p.dport, 502);
        assert_eq!(p.payload, b"abcd");
    }

    #[test]
    fn geneve_carrying_ethernet() {
        // GENEVE: UDP 6081 carrying Ethernet
        let mut g = vec![
            0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
        ];
        let inner = VLAN_TCP;
        let udp_len = (8 + 8 + inner.len()) as u16;
        let total = 20 + udp_len;
        g[2..4].copy_from_slice(&total.to_be_bytes());
        g.extend_from_slice(&[0x30, 0x39, 0x17, 0xc1]);
        g.extend_from_slice(&udp_len.to_be_bytes());
        g.extend_from_slice(&[0, 0]);
        g.extend_from_slice(&[0, 0, 0x65, 0x58, 0, 0, 1, 0]);
        g.extend_from_slice(inner);
        let mut d = Decoder::new();
        let p = d.decode(linktype::IPV4, &g, 0);
        assert_eq!(p.tunnel_depth, 1);
        assert_eq!(p.vlan, [100, 0]);
        assert_eq!(p.payload, b"abcd");
        assert_eq!(d.stats.geneve, 1);
        // version 1, or options longer than the datagram: plain UDP
        assert_eq!(geneve_next(&[0x40, 0, 0x65, 0x58, 0, 0, 1, 0]), None);
        assert_eq!(geneve_next(&[0x01, 0, 0x65, 0x58, 0, 0, 1, 0]), None);
    }

    #[test]
    fn ayiya_unwraps_forwarded_packets_only() {
        let inner_ip = &VLAN_TCP[18..];
        let frame = |hdr: &[u8], body: &[u8], ports: [u8; 4]| {
            let mut udp = ports.to_vec();
            udp.extend_from_slice(&((8 + hdr.len() + body.len()) as u16).to_be_bytes());
            udp.extend_from_slice(&[0, 0]);
            udp.extend_from_slice(hdr);
            udp.extend_from_slice(body);
            // ipv4 1.1.1.1 -> 2.2.2.2, proto UDP
            let mut v = vec![
                0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
            ];
            v[2..4].copy_from_slice(&((20 + udp.len()) as u16).to_be_bytes());
            v.extend_from_slice(&udp);
            v
        };
        let to_server = [0xd2, 0x24, 0x13, 0xd0]; // 53796 -> 5072
                                                  // identity 2^4 = 16 bytes, signature 5 words (20 bytes), as the SixXS
                                                  // captures have it: a 44-byte header, then IPv4 (next header 4)
        let mut hdr = vec![0x41, 0x52, 0x11, 4, 0x4a, 0xf6, 0x4b, 0xfd];
        hdr.extend_from_slice(&[0xaa; 36]);
        let mut d = Decoder::new();
        let fwd = frame(&hdr, inner_ip, to_server);
        let p = d.decode(linktype::IPV4, &fwd, 0);
        assert_eq!(
            (p.tunnel_depth, &p.src[..4], p.dport),
            (1, &[10u8, 0, 0, 1][..], 502)
        );
        assert_eq!(p.payload, b"abcd");
        assert_eq!(d.stats.ayiya, 1);
        assert_eq!(
            address_pair_hash(linktype::IPV4, &fwd),
            address_pair_hash(linktype::IPV4, inner_ip)
        );
        // not forwarded (opcode 0, a heartbeat), nothing after the header, an
        // unknown next header, a header longer than the datagram: plain UDP
        let mut heartbeat = hdr.clone();
        heartbeat[2] = 0x10;
        let mut other = hdr.clone();
        other[3] = 59;
        for (name, f) in [
            ("heartbeat", frame(&heartbeat, inner_ip, to_server)),
            ("header only", frame(&hdr, &[], to_server)),
            ("next header 59", frame(&other, inner_ip, to_server)),
            ("short", frame(&hdr[..30], &[], to_server)),
            (
                "other ports",
                frame(&hdr, inner_ip, [0xd2, 0x24, 0x13, 0xd1]),
            ),
        ] {
            let p = d.decode(linktype::IPV4, &f, 0);
            assert_eq!(
                (p.tunnel_depth, p.proto, &p.src[..4]),
                (0, 17, &[1u8, 1, 1, 1][..]),
                "{name}"
            );
            assert!(p.anomalies.is_empty(), "{name}");
            assert_eq!(
                address_pair_hash(linktype::IPV4, &f),
                address_pair_hash(linktype::IPV4, &f[..20]),
                "{name}"
            );
        }
        assert_eq!(d.stats.ayiya, 1);
    }
}
