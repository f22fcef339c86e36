//! The thread hash: a cheap symmetric hash of a frame's IP address pair,
//! for spreading packets over workers. It reads no more of a frame than it
//! needs, but goes from layer to layer by the same "what comes next" rules
//! as the decoder ([`link_next`], [`strip_tags`], [`next_after_ethertype`],
//! [`mpls_next`], [`walk_ext`], [`ip_proto_next`], [`udp_tunnel`] and the
//! tunnel headers' `next`), so a flow lands on the worker that keys it.

use crate::ip::{ip_proto_next, version_ethertype, IpNext};
use crate::ipv6::{walk_ext, ExtEnd};
use crate::link::{ethernet_next, link_next, next_after_ethertype, EtherNext, LinkNext};
use crate::linktype;
use crate::mpls::{mpls_next, MplsNext};
use crate::tunnel::{ayiya_next, geneve_next, vxlan_next, GreHeader, Inner, MAX_TUNNEL_DEPTH};
use crate::udp::{udp_tunnel, UdpTunnel};
use crate::vlan::strip_tags;
use crate::wire::{be16, Ipv4Packet, Ipv6Packet, UdpDatagram};

/// A cheap symmetric hash of a frame's IP address pair, for spreading
/// packets over workers: both directions of a flow, and every fragment of a
/// datagram, hash alike. Tunnels the decoder unwraps (GRE, VXLAN, GENEVE,
/// GRE in UDP, AYIYA) hash by their innermost pair, as the decoder keys the
/// flow (the same flow seen tunnelled and not lands on one worker); an
/// outer fragment by its outer pair (see [`tunnel_fragment`] for the inner
/// pair its datagram's first fragment shows). Frames without IP hash to 0.
#[inline]
pub fn address_pair_hash(linktype: u32, data: &[u8]) -> u64 {
    // the common frame first: Ethernet, IPv4 without options, not a
    // fragment, TCP or UDP to a port no tunnel uses
    if linktype == linktype::ETHERNET
        && data.len() >= 38
        && next_after_ethertype(be16(data, 12)) == EtherNext::Ipv4
    {
        let ip = &data[14..];
        let not_fragment = ip[6] & 0x3f == 0 && ip[7] == 0;
        let plain = match ip_proto_next(ip[9]) {
            IpNext::Tcp => true,
            IpNext::Udp => udp_tunnel(be16(ip, 20), be16(ip, 22)).is_none(),
            _ => false,
        };
        if ip[0] == 0x45 && not_fragment && plain {
            return v4_pair_hash(
                [ip[12], ip[13], ip[14], ip[15]],
                [ip[16], ip[17], ip[18], ip[19]],
            );
        }
    }
    address_pair_hash_slow(linktype, data)
}

/// [`address_pair_hash`] of a frame [`fast_ethernet_ipv4`](crate::fast_ethernet_ipv4)
/// takes, from the addresses it read (no tunnel, no fragment: the outer
/// pair decides).
#[inline(always)]
pub fn v4_pair_hash(src: [u8; 4], dst: [u8; 4]) -> u64 {
    mix_pair(
        u32::from_le_bytes(src) as u64,
        u32::from_le_bytes(dst) as u64,
    )
}

/// Symmetric: an order-independent combination, then a multiplicative mix.
#[inline(always)]
fn mix_pair(a: u64, b: u64) -> u64 {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    let x = lo.wrapping_mul(0x9e37_79b9_7f4a_7c15)
        ^ hi.rotate_left(32).wrapping_mul(0xc2b2_ae3d_27d4_eb4f);
    x ^ (x >> 31)
}

#[inline(never)]
pub(crate) fn address_pair_hash_slow(linktype: u32, data: &[u8]) -> u64 {
    match link_ip(linktype, data).and_then(|(et, rest)| ip_pair(et, rest, 0)) {
        Some((a, b)) => mix_pair(a, b),
        None => 0,
    }
}

/// The EtherType and bytes after a frame's link header, if it may be IP.
fn link_ip(linktype: u32, data: &[u8]) -> Option<(u16, &[u8])> {
    match link_next(linktype, data) {
        LinkNext::Ethertype(et, rest) => Some((et, rest)),
        LinkNext::IpByVersion(rest) => Some((version_ethertype(rest)?, rest)),
        _ => None,
    }
}

/// Up to 8 bytes as a little-endian word.
fn word(b: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    let n = b.len().min(8);
    w[..n].copy_from_slice(&b[..n]);
    u64::from_le_bytes(w)
}

/// The address pair (folded to words) of the IP packet an EtherType
/// announces, inside the tunnels the decoder unwraps.
fn ip_pair(et: u16, rest: &[u8], depth: u8) -> Option<(u64, u64)> {
    let (et, rest, _) = strip_tags(et, rest, &mut [0; 2]).ok()?;
    match next_after_ethertype(et) {
        EtherNext::Ipv4 => ipv4_pair(rest, depth),
        EtherNext::Ipv6 => ipv6_pair(rest, depth),
        EtherNext::Mpls => match mpls_next(rest).ok()? {
            MplsNext::Ipv4(d) => ipv4_pair(d, depth),
            MplsNext::Ipv6(d) => ipv6_pair(d, depth),
            MplsNext::Ethernet(d) => ether_pair(d, depth),
            MplsNext::Unknown => None,
        },
        EtherNext::Vlan | EtherNext::Arp | EtherNext::Other(_) => None,
    }
}

fn ether_pair(b: &[u8], depth: u8) -> Option<(u64, u64)> {
    match ethernet_next(b) {
        LinkNext::Ethertype(et, rest) => ip_pair(et, rest, depth),
        _ => None,
    }
}

/// An IPv4 packet's pair; a fragment, or a header the decoder rejects, is
/// keyed by it whatever it carries.
fn ipv4_pair(b: &[u8], depth: u8) -> Option<(u64, u64)> {
    let addrs = b.get(12..20)?;
    let pair = (word(&addrs[..4]), word(&addrs[4..]));
    Some(match Ipv4Packet::new_checked(b) {
        Ok(ip) if !ip.is_fragment() => inner_or(pair, ip.protocol(), ip.payload(), depth),
        _ => pair,
    })
}

/// An IPv6 packet's pair (each address folded to a word), past the
/// extension headers as the decoder walks them; a fragment (other than an
/// atomic one) keeps the outer pair.
fn ipv6_pair(b: &[u8], depth: u8) -> Option<(u64, u64)> {
    let addrs = b.get(8..40)?;
    let pair = (
        word(&addrs[..8]) ^ word(&addrs[8..16]).rotate_left(29),
        word(&addrs[16..24]) ^ word(&addrs[24..]).rotate_left(29),
    );
    let Some(ip) = Ipv6Packet::new_checked(b) else {
        return Some(pair);
    };
    Some(match walk_ext(ip.next_header(), ip.payload()).0 {
        ExtEnd::Upper(proto, body) => inner_or(pair, proto, body, depth),
        _ => pair,
    })
}

/// The pair inside the tunnel an IP packet of `proto` carries, or (no
/// tunnel the decoder unwraps, or one it cannot read) the packet's own.
fn inner_or(pair: (u64, u64), proto: u8, payload: &[u8], depth: u8) -> (u64, u64) {
    if depth >= MAX_TUNNEL_DEPTH {
        return pair;
    }
    tunnel_inner(proto, payload, depth).unwrap_or(pair)
}

/// The pair inside a tunnel the decoder unwraps (GRE, or UDP to a tunnel's
/// port), if `payload` of an IP packet of `proto` is one.
fn tunnel_inner(proto: u8, payload: &[u8], depth: u8) -> Option<(u64, u64)> {
    let inner = match ip_proto_next(proto) {
        IpNext::Gre => GreHeader::new_checked(payload).ok()??.next()?,
        IpNext::Udp => {
            let u = UdpDatagram::new_checked(payload).ok()?;
            let d = u.payload();
            match udp_tunnel(u.src_port(), u.dst_port())? {
                UdpTunnel::Vxlan => vxlan_next(d)?,
                UdpTunnel::Geneve => geneve_next(d)?,
                UdpTunnel::GreInUdp => GreHeader::new_checked(d).ok()??.next()?,
                UdpTunnel::Ayiya => ayiya_next(d)?,
            }
        }
        IpNext::Tcp | IpNext::Icmpv4 | IpNext::Icmpv6 | IpNext::Other => return None,
    };
    match inner {
        Inner::Ethernet(frame) => ether_pair(frame, depth + 1),
        Inner::Ethertype(et, d) => ip_pair(et, d, depth + 1),
    }
}

/// An IPv4 fragment that may carry a tunnel the decoder unwraps (GRE or
/// UDP): [`address_pair_hash`] gives its outer pair, but once reassembled
/// its flow is keyed by the inner one. Which datagram it belongs to, where
/// it stands in it, and (first fragment, when it shows the tunnel) the hash
/// the whole datagram should go by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TunnelFragment {
    /// the datagram: outer addresses, protocol and identification
    pub key: u64,
    pub first: bool,
    pub last: bool,
    /// hash of the inner address pair (first fragment only)
    pub inner: Option<u64>,
}

/// See [`TunnelFragment`]; None for any other frame (cheap).
pub fn tunnel_fragment(linktype: u32, data: &[u8]) -> Option<TunnelFragment> {
    let (et, rest) = link_ip(linktype, data)?;
    let (et, rest, _) = strip_tags(et, rest, &mut [0; 2]).ok()?;
    if next_after_ethertype(et) != EtherNext::Ipv4 || rest.len() < 20 {
        return None;
    }
    let flags = be16(rest, 6);
    let proto = rest[9];
    let tunnel = matches!(ip_proto_next(proto), IpNext::Gre | IpNext::Udp);
    if flags & 0x3fff == 0 || !tunnel {
        return None;
    }
    let first = flags & 0x1fff == 0;
    let last = flags & 0x2000 == 0;
    let w = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as u64;
    let key = mix_pair(w(&rest[12..16]), w(&rest[16..20]))
        ^ ((proto as u64) << 16 | u16::from_be_bytes([rest[4], rest[5]]) as u64)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let hlen = ((rest[0] & 0x0f) as usize) * 4;
    let inner = match (first, rest.get(hlen..)) {
        (true, Some(p)) if hlen >= 20 => tunnel_inner(proto, p, 0).map(|(a, b)| mix_pair(a, b)),
        _ => None,
    };
    Some(TunnelFragment {
        key,
        first,
        last,
        inner,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_frames::VLAN_TCP;
    use crate::Decoder;

    #[test]
    fn address_pair_hash_is_symmetric() {
        let fwd = VLAN_TCP.to_vec();
        let mut rev = fwd.clone();
        // swap IPv4 src/dst (ethernet 14 + vlan 4 + 12)
        let (s, d) = (30, 34);
        for i in 0..4 {
            rev.swap(s + i, d + i);
        }
        let h1 = address_pair_hash(linktype::ETHERNET, &fwd);
        let h2 = address_pair_hash(linktype::ETHERNET, &rev);
        assert_eq!(h1, h2);
        assert_ne!(h1, 0);
        assert_eq!(address_pair_hash(linktype::IPV4, &fwd[18..]), h1);
        assert_eq!(address_pair_hash(linktype::ETHERNET, &fwd[..10]), 0);
    }

    #[test]
    fn tunnels_hash_as_the_flow_inside() {
        // The decoder keys a tunnelled packet's flow by the inner packet, so
        // the hash that spreads packets over workers must too: the inner packet
        // alone, in GRE, in VXLAN and in GENEVE (each with outer addresses of
        // its own) hash alike; cut short or fragmented, the outer pair decides.
        let inner_ip = &VLAN_TCP[18..];
        let plain = address_pair_hash(linktype::IPV4, inner_ip);
        let outer = |proto: u8, src: u8, body: &[u8]| {
            // ipv4: total length, proto, src src.src.src.src, dst 9.9.9.9
            let mut v = vec![
                0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, proto, 0, 0, src, src, src, src, 9, 9, 9, 9,
            ];
            let total = (20 + body.len()) as u16;
            v[2..4].copy_from_slice(&total.to_be_bytes());
            v.extend_from_slice(body);
            v
        };
        let udp = |dport: u16, body: &[u8]| {
            // udp: sport 12345, dport, length, checksum
            let mut v = vec![0x30, 0x39];
            v.extend_from_slice(&dport.to_be_bytes());
            v.extend_from_slice(&((8 + body.len()) as u16).to_be_bytes());
            v.extend_from_slice(&[0, 0]);
            v.extend_from_slice(body);
            v
        };
        // GRE: flags/version 0, ethertype IPv4
        let mut gre = vec![0, 0, 0x08, 0x00];
        gre.extend_from_slice(inner_ip);
        // GRE with key and sequence (8 more bytes)
        let mut gre_ks = vec![0x30, 0, 0x08, 0x00, 0, 0, 0, 7, 0, 0, 0, 1];
        gre_ks.extend_from_slice(inner_ip);
        // VXLAN: flags (I), reserved, VNI, reserved; then the whole Ethernet frame
        let mut vxlan = vec![0x08, 0, 0, 0, 0, 0, 1, 0];
        vxlan.extend_from_slice(VLAN_TCP);
        // GENEVE: no options, protocol transparent Ethernet bridging
        let mut geneve = vec![0, 0, 0x65, 0x58, 0, 0, 1, 0];
        geneve.extend_from_slice(VLAN_TCP);
        // AYIYA: identity 2^1 = 2 bytes (type integer), signature 1 word (hash
        // SHA1), auth none / opcode forward, next header IPv4, epoch; identity;
        // signature; then the inner IP packet
        let mut ayiya = vec![
            0x11, 0x12, 0x01, 4, 0x4a, 0xf6, 0x4b, 0xfd, 0, 7, 1, 2, 3, 4,
        ];
        ayiya.extend_from_slice(inner_ip);
        // from the tunnel server: its port is the source
        let mut ayiya_back = udp(1, &ayiya);
        ayiya_back[0..4].copy_from_slice(&[0x13, 0xd0, 0xd2, 0x24]); // 5072 -> 53796
        let cases = [
            ("gre", outer(47, 1, &gre)),
            ("gre key+seq", outer(47, 2, &gre_ks)),
            ("vxlan", outer(17, 3, &udp(4789, &vxlan))),
            ("geneve", outer(17, 4, &udp(6081, &geneve))),
            ("gre in udp", outer(17, 5, &udp(4754, &gre))),
            ("ayiya", outer(17, 6, &udp(5072, &ayiya))),
            ("ayiya from the server", outer(17, 7, &ayiya_back)),
        ];
        let mut d = Decoder::new();
        for (name, pkt) in &cases {
            let p = d.decode(linktype::IPV4, pkt, 0);
            assert_eq!(
                (p.tunnel_depth, &p.src[..4]),
                (1, &[10u8, 0, 0, 1][..]),
                "{name}"
            );
            assert_eq!(address_pair_hash(linktype::IPV4, pkt), plain, "{name}");
            // cut inside the tunnel header: the decoder keeps the outer packet
            let cut = &pkt[..22];
            assert_eq!(
                address_pair_hash(linktype::IPV4, cut),
                address_pair_hash(linktype::IPV4, &outer(47, pkt[12], &[])),
                "{name} cut"
            );
        }
        // MPLS (two labels, the second the bottom of the stack), as the decoder
        // reads it: by the IP packet under the labels
        let mut mpls = vec![0u8; 12];
        mpls.extend_from_slice(&[0x88, 0x47, 0, 0x01, 0x00, 64, 0, 0x02, 0x01, 64]);
        mpls.extend_from_slice(inner_ip);
        let p = d.decode(linktype::ETHERNET, &mpls, 0);
        assert_eq!((p.dport, &p.src[..4]), (502, &[10u8, 0, 0, 1][..]));
        assert_eq!(address_pair_hash(linktype::ETHERNET, &mpls), plain);
        // IPv6 with an authentication header (length 4 -> 24 bytes), then GRE
        let mut v6 = vec![0x60, 0, 0, 0, 0, 0, 51, 64];
        v6.extend_from_slice(&[0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        v6.extend_from_slice(&[0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        let mut ah = vec![47, 4, 0, 0];
        ah.extend_from_slice(&[0u8; 20]);
        ah.extend_from_slice(&gre);
        let plen = ah.len() as u16;
        v6[4..6].copy_from_slice(&plen.to_be_bytes());
        v6.extend_from_slice(&ah);
        let p = d.decode(linktype::IPV6, &v6, 0);
        assert_eq!((p.tunnel_depth, p.dport), (1, 502));
        assert_eq!(address_pair_hash(linktype::IPV6, &v6), plain);
        // trailing bytes past the UDP length are not the tunnel's
        let mut padded = cases[2].1.clone();
        padded.extend_from_slice(&[0xff; 16]);
        assert_eq!(address_pair_hash(linktype::IPV4, &padded), plain);
        // an outer fragment: its inner packet is not known yet
        let mut frag = cases[0].1.clone();
        frag[6] = 0x20; // more fragments
        assert_ne!(address_pair_hash(linktype::IPV4, &frag), plain);
        // ... but the first fragment shows the tunnel: every fragment of the
        // datagram can go by the inner pair (the threads remember it)
        let gre_pkt = &cases[0].1;
        let mut first = gre_pkt[..20 + 8].to_vec(); // outer header + 8 bytes
        first[6] = 0x20; // more fragments, offset 0
        let mut second = gre_pkt[..20].to_vec();
        second[6..8].copy_from_slice(&1u16.to_be_bytes()); // offset 8, last
        second.extend_from_slice(&gre_pkt[28..]);
        let f1 = tunnel_fragment(linktype::IPV4, &first).expect("fragment");
        let f2 = tunnel_fragment(linktype::IPV4, &second).expect("fragment");
        assert_eq!(
            (f1.first, f1.last, f2.first, f2.last),
            (true, false, false, true)
        );
        assert_eq!(f1.key, f2.key);
        // 8 bytes of GRE + inner IP are not enough to show the inner pair
        assert_eq!(f1.inner, None);
        let mut first = gre_pkt[..20 + 4 + 20].to_vec(); // GRE + inner IP header
        first[6] = 0x20;
        let f1 = tunnel_fragment(linktype::IPV4, &first).expect("fragment");
        assert_eq!(f1.inner, Some(plain));
        assert_eq!(
            tunnel_fragment(linktype::IPV4, gre_pkt),
            None,
            "not a fragment"
        );
        assert_eq!(
            tunnel_fragment(linktype::IPV4, inner_ip),
            None,
            "not a tunnel"
        );
        // a tunnel the decoder does not unwrap (PPTP's enhanced GRE, version 1)
        let mut pptp = cases[0].1.clone();
        pptp[21] = 1;
        assert_ne!(address_pair_hash(linktype::IPV4, &pptp), plain);
    }

    #[test]
    fn every_link_type_hashes_as_the_ip_inside() {
        // the decoder reads IP behind NULL, SLL, SLL2, PPP, NFLOG and 802.11
        // (radiotap): the hash finds the same pair behind each
        let ip = &VLAN_TCP[18..];
        let plain = address_pair_hash(linktype::IPV4, ip);
        let with = |head: &[u8]| {
            let mut v = head.to_vec();
            v.extend_from_slice(ip);
            v
        };
        let mut nflog = vec![2, 0, 0, 0];
        nflog.extend_from_slice(&((4 + ip.len()) as u16).to_le_bytes());
        nflog.extend_from_slice(&9u16.to_le_bytes());
        let mut wifi = vec![0, 0, 8, 0, 0, 0, 0, 0, 0x08, 0x01];
        wifi.extend_from_slice(&[0u8; 22]);
        wifi.extend_from_slice(&[0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00]);
        let mut sll = vec![0u8; 14];
        sll.extend_from_slice(&[0x08, 0x00]);
        let mut sll2 = vec![0x08, 0x00];
        sll2.extend_from_slice(&[0u8; 18]);
        let mut d = Decoder::new();
        for (name, lt, frame) in [
            ("null", linktype::NULL, with(&[2, 0, 0, 0])),
            ("loop", linktype::LOOP, with(&[0, 0, 0, 2])),
            ("raw", linktype::RAW, with(&[])),
            ("sll", linktype::LINUX_SLL, with(&sll)),
            ("sll2", linktype::LINUX_SLL2, with(&sll2)),
            ("ppp", linktype::PPP, with(&[0xff, 0x03, 0x00, 0x21])),
            ("nflog", linktype::NFLOG, with(&nflog)),
            ("radiotap", linktype::IEEE802_11_RADIOTAP, with(&wifi)),
        ] {
            assert_eq!(d.decode(lt, &frame, 0).dport, 502, "{name}");
            assert_eq!(address_pair_hash(lt, &frame), plain, "{name}");
        }
        // no IP (an 802.11 management frame, a PPP control protocol, an
        // unknown link type): 0
        let mut beacon = wifi.clone();
        beacon[8] = 0x80;
        assert_eq!(address_pair_hash(linktype::IEEE802_11_RADIOTAP, &beacon), 0);
        let lcp = with(&[0xff, 0x03, 0xc0, 0x21]);
        assert_eq!(address_pair_hash(linktype::PPP, &lcp), 0);
        assert_eq!(address_pair_hash(9999, ip), 0);
    }
}
