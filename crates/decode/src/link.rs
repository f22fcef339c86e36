//! Link layers: Ethernet II, Linux cooked capture (SLL, SLL2), BSD NULL and
//! LOOP, raw IP, PPP, Linux NFLOG and IEEE 802.11 (plain or behind
//! radiotap); and the EtherType, which says what follows a link header.
//!
//! [`link_next`] is the one rule for what a frame's link header carries and
//! [`next_after_ethertype`] the one rule for an EtherType: the decoder, its
//! fast path and the thread hash all go by them.

use crate::decoder::Ctx;
use crate::ip::version_ethertype;
use crate::wire::be16;
use crate::{vlan, Anomaly, Packet, L3};

/// Link types (DLT values) the decoder understands.
pub mod linktype {
    pub const NULL: u32 = 0;
    pub const ETHERNET: u32 = 1;
    pub const RAW_OPENBSD: u32 = 12;
    pub const RAW_BSD: u32 = 14;
    pub const RAW: u32 = 101;
    pub const LOOP: u32 = 108;
    pub const LINUX_SLL: u32 = 113;
    pub const IPV4: u32 = 228;
    pub const IPV6: u32 = 229;
    pub const LINUX_SLL2: u32 = 276;
    pub const IEEE802_11: u32 = 105;
    pub const IEEE802_11_RADIOTAP: u32 = 127;
    pub const NFLOG: u32 = 239;
    pub const PPP: u32 = 9;
    pub const PPP_HDLC: u32 = 50;
}

pub const ETHERTYPE_IPV4: u16 = 0x0800;
pub const ETHERTYPE_ARP: u16 = 0x0806;
pub const ETHERTYPE_VLAN: u16 = 0x8100;
pub const ETHERTYPE_QINQ: u16 = 0x88a8;
pub const ETHERTYPE_QINQ_OLD: u16 = 0x9100;
pub const ETHERTYPE_IPV6: u16 = 0x86dd;
pub const ETHERTYPE_MPLS: u16 = 0x8847;
pub const ETHERTYPE_MPLS_MC: u16 = 0x8848;

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
    /// What follows the header.
    pub fn payload(&self) -> &'a [u8] {
        &self.0[Self::LEN..]
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

/// What an EtherType announces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EtherNext {
    /// an 802.1Q / 802.1ad (QinQ) / old 0x9100 tag: see [`vlan`]
    Vlan,
    Ipv4,
    Ipv6,
    /// an MPLS label stack (unicast or multicast): see [`crate::mpls`]
    Mpls,
    Arp,
    /// not decoded (counted as other L3)
    Other(u16),
}

/// The one rule for what follows an EtherType.
#[inline(always)]
pub(crate) fn next_after_ethertype(et: u16) -> EtherNext {
    match et {
        ETHERTYPE_IPV4 => EtherNext::Ipv4,
        ETHERTYPE_IPV6 => EtherNext::Ipv6,
        ETHERTYPE_VLAN | ETHERTYPE_QINQ | ETHERTYPE_QINQ_OLD => EtherNext::Vlan,
        ETHERTYPE_MPLS | ETHERTYPE_MPLS_MC => EtherNext::Mpls,
        ETHERTYPE_ARP => EtherNext::Arp,
        other => EtherNext::Other(other),
    }
}

/// What a frame's link header carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LinkNext<'a> {
    /// an EtherType and the bytes after the link header
    Ethertype(u16, &'a [u8]),
    /// IP, its version by the first nibble (raw IP; NULL/LOOP or NFLOG of
    /// an unknown family)
    IpByVersion(&'a [u8]),
    /// neither IP nor decoded further (802.11 management, control or
    /// protected frames; PPP of another protocol): counted as other L3
    NotIp,
    /// nothing to decode (802.11 data without LLC/SNAP, NFLOG without a
    /// packet TLV)
    Nothing,
    /// the link header is cut short or inconsistent
    Bad(Anomaly),
    Unsupported,
}

/// The one rule for what follows a frame's link header, for every
/// [`linktype`] the decoder reads.
pub(crate) fn link_next(linktype: u32, data: &[u8]) -> LinkNext<'_> {
    match linktype {
        linktype::ETHERNET => ethernet_next(data),
        linktype::LINUX_SLL => match SllHeader::new_checked(data) {
            Some(h) => LinkNext::Ethertype(h.protocol(), &data[SllHeader::LEN..]),
            None => LinkNext::Bad(Anomaly::SllPktTooSmall),
        },
        linktype::LINUX_SLL2 => match Sll2Header::new_checked(data) {
            Some(h) => LinkNext::Ethertype(h.protocol(), &data[Sll2Header::LEN..]),
            None => LinkNext::Bad(Anomaly::SllPktTooSmall),
        },
        linktype::NULL | linktype::LOOP => {
            let Some(fam) = data.first_chunk::<4>() else {
                return LinkNext::Bad(Anomaly::NullPktTooSmall);
            };
            // The family is in host byte order of the capturing machine
            // (NULL) or big-endian (LOOP); accept both.
            let le = u32::from_le_bytes(*fam);
            let be = u32::from_be_bytes(*fam);
            match if le < 256 { le } else { be } {
                2 => LinkNext::Ethertype(ETHERTYPE_IPV4, &data[4..]),
                24 | 28 | 30 => LinkNext::Ethertype(ETHERTYPE_IPV6, &data[4..]),
                _ => LinkNext::IpByVersion(&data[4..]),
            }
        }
        linktype::RAW | linktype::RAW_BSD | linktype::RAW_OPENBSD => LinkNext::IpByVersion(data),
        linktype::IEEE802_11 => wifi_next(data),
        linktype::IEEE802_11_RADIOTAP => {
            // radiotap: version(0) pad(1) length(2..4, little-endian) …
            if data.len() < 8 {
                return LinkNext::Bad(Anomaly::WifiPktTooSmall);
            }
            let len = u16::from_le_bytes([data[2], data[3]]) as usize;
            if len < 8 || len > data.len() {
                return LinkNext::Bad(Anomaly::WifiPktTooSmall);
            }
            wifi_next(&data[len..])
        }
        linktype::NFLOG => nflog_next(data),
        linktype::PPP | linktype::PPP_HDLC => ppp_next(data),
        linktype::IPV4 => LinkNext::Ethertype(ETHERTYPE_IPV4, data),
        linktype::IPV6 => LinkNext::Ethertype(ETHERTYPE_IPV6, data),
        _ => LinkNext::Unsupported,
    }
}

/// An Ethernet II frame: its EtherType and what follows.
#[inline]
pub(crate) fn ethernet_next(data: &[u8]) -> LinkNext<'_> {
    match EthernetFrame::new_checked(data) {
        Some(f) => LinkNext::Ethertype(f.ethertype(), f.payload()),
        None => LinkNext::Bad(Anomaly::EthernetPktTooSmall),
    }
}

/// IEEE 802.11 data frames carrying LLC/SNAP; management, control and
/// protected frames are not decoded further.
fn wifi_next(data: &[u8]) -> LinkNext<'_> {
    if data.len() < 24 {
        return LinkNext::Bad(Anomaly::WifiPktTooSmall);
    }
    let fc0 = data[0];
    let fc1 = data[1];
    let ftype = (fc0 >> 2) & 3;
    let subtype = fc0 >> 4;
    if ftype != 2 || subtype & 0x4 != 0 || fc1 & 0x40 != 0 {
        return LinkNext::NotIp; // not data, null-data, or encrypted
    }
    let mut hlen = 24;
    if fc1 & 0x03 == 0x03 {
        hlen += 6; // four-address frame
    }
    if subtype & 0x8 != 0 {
        hlen += 2; // QoS control
        if fc1 & 0x80 != 0 {
            hlen += 4; // HT control
        }
    }
    if data.len() < hlen + 8 {
        return LinkNext::Bad(Anomaly::WifiPktTooSmall);
    }
    let llc = &data[hlen..];
    if llc[0] == 0xaa && llc[1] == 0xaa && llc[2] == 0x03 {
        LinkNext::Ethertype(be16(llc, 6), &llc[8..])
    } else {
        LinkNext::Nothing
    }
}

/// Linux NFLOG: family(0) version(1) resource id(2..4), then TLVs
/// (length and type little-endian, padded to 4); type 9 is the packet.
fn nflog_next(data: &[u8]) -> LinkNext<'_> {
    if data.len() < 4 {
        return LinkNext::Bad(Anomaly::NflogPktTooSmall);
    }
    let family = data[0];
    let mut rest = &data[4..];
    for _ in 0..64 {
        if rest.len() < 4 {
            break;
        }
        let len = u16::from_le_bytes([rest[0], rest[1]]) as usize;
        let ty = u16::from_le_bytes([rest[2], rest[3]]) & 0x7fff;
        if len < 4 || len > rest.len() {
            return LinkNext::Bad(Anomaly::NflogPktTooSmall);
        }
        if ty == 9 {
            let payload = &rest[4..len];
            return match family {
                2 => LinkNext::Ethertype(ETHERTYPE_IPV4, payload),
                10 => LinkNext::Ethertype(ETHERTYPE_IPV6, payload),
                _ => LinkNext::IpByVersion(payload),
            };
        }
        let padded = (len + 3) & !3;
        rest = &rest[padded.min(rest.len())..];
    }
    LinkNext::Nothing
}

/// PPP: optional address/control (ff 03), then a 1- or 2-byte protocol.
fn ppp_next(data: &[u8]) -> LinkNext<'_> {
    let d = if data.len() >= 2 && data[0] == 0xff && data[1] == 0x03 {
        &data[2..]
    } else {
        data
    };
    let (proto, rest) = match d {
        [b, rest @ ..] if b & 1 == 1 => (*b as u16, rest),
        [a, b, rest @ ..] => (u16::from_be_bytes([*a, *b]), rest),
        _ => return LinkNext::Bad(Anomaly::PppPktTooSmall),
    };
    match proto {
        0x0021 => LinkNext::Ethertype(ETHERTYPE_IPV4, rest),
        0x0057 => LinkNext::Ethertype(ETHERTYPE_IPV6, rest),
        _ => LinkNext::NotIp,
    }
}

impl Ctx<'_> {
    /// A frame of another EtherType ([`L3::Other`]) keeps its Ethernet
    /// addresses in `src` / `dst` (which only IP and ARP use otherwise):
    /// the layer-2 path's flow key. The innermost Ethernet header (in a
    /// tunnel, the one carrying the frame) sets them, once per frame. IP
    /// frames are not touched: one compare on the IP path.
    #[inline]
    fn l2_macs(&mut self, data: &[u8], p: &mut Packet<'_>) {
        if self.macs_set {
            return;
        }
        if let (L3::Other(_), Some(f)) = (p.l3, EthernetFrame::new_checked(data)) {
            self.macs_set = true;
            p.src = [0; 16];
            p.dst = [0; 16];
            p.src[..6].copy_from_slice(f.src_mac());
            p.dst[..6].copy_from_slice(f.dst_mac());
        }
    }

    pub(crate) fn link<'a>(&mut self, linktype: u32, data: &'a [u8], p: &mut Packet<'a>) {
        let next = link_next(linktype, data);
        self.after_link(next, p);
        if linktype == linktype::ETHERNET {
            self.l2_macs(data, p);
        }
    }

    /// An Ethernet frame (the link, or inside a tunnel or MPLS).
    pub(crate) fn ethernet<'a>(&mut self, data: &'a [u8], p: &mut Packet<'a>) {
        let next = ethernet_next(data);
        self.after_link(next, p);
        self.l2_macs(data, p);
    }

    fn after_link<'a>(&mut self, next: LinkNext<'a>, p: &mut Packet<'a>) {
        match next {
            LinkNext::Ethertype(et, rest) => self.ethertype(et, rest, p),
            LinkNext::IpByVersion(rest) => self.ip_by_version(rest, p),
            LinkNext::NotIp => self.stats.other_l3 += 1,
            LinkNext::Nothing => {}
            LinkNext::Bad(a) => self.anomaly(p, a),
            LinkNext::Unsupported => {
                self.stats.unsupported_linktype += 1;
                self.anomaly(p, Anomaly::UnsupportedLinktype);
            }
        }
    }

    fn ip_by_version<'a>(&mut self, data: &'a [u8], p: &mut Packet<'a>) {
        match version_ethertype(data) {
            Some(et) => self.ethertype(et, data, p),
            None => self.anomaly(p, Anomaly::Ipv4WrongIpVer),
        }
    }

    /// The layer an EtherType announces, past any VLAN tags.
    pub(crate) fn ethertype<'a>(&mut self, et: u16, data: &'a [u8], p: &mut Packet<'a>) {
        let (et, data) = match vlan::strip_tags(et, data, &mut p.vlan) {
            Ok((et, data, tags)) => {
                if tags == 1 {
                    self.stats.vlan += 1;
                } else if tags > 1 {
                    self.stats.vlan_qinq += 1;
                }
                (et, data)
            }
            Err(a) => {
                self.anomaly(p, a);
                return;
            }
        };
        match next_after_ethertype(et) {
            EtherNext::Ipv4 => self.ipv4(data, p),
            EtherNext::Ipv6 => self.ipv6(data, p),
            EtherNext::Mpls => self.mpls(data, p),
            EtherNext::Arp => {
                self.stats.arp += 1;
                p.l3 = L3::Arp;
                if data.len() < 28 {
                    self.anomaly(p, Anomaly::ArpPktTooSmall);
                } else {
                    // sender / target protocol addresses, for the asset map
                    p.src[..4].copy_from_slice(&data[14..18]);
                    p.dst[..4].copy_from_slice(&data[24..28]);
                }
            }
            // (a tag strip_tags left: not reached)
            EtherNext::Vlan | EtherNext::Other(_) => {
                self.stats.other_l3 += 1;
                p.l3 = L3::Other(et);
                // the layer-2 path's bytes (GOOSE, SV, PROFINET, LLDP …)
                p.payload = data;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_frames::VLAN_TCP;
    use crate::Decoder;
    use crate::L3;

    /// A frame of another EtherType (here GOOSE, 0x88b8) keeps its MAC
    /// addresses, VLAN id and the bytes after the EtherType: the layer-2
    /// path's input. Tagged or not; an IP frame's addresses stay IP.
    #[test]
    fn non_ip_frames_keep_macs_vlan_and_payload() {
        #[rustfmt::skip]
        let tagged = [
            0x01, 0x0c, 0xcd, 0x01, 0x00, 0x01, // dst: GOOSE multicast
            0x00, 0x17, 0xa4, 0xdd, 0x98, 0x1e, // src
            0x81, 0x00, 0x80, 0x0a,             // 802.1Q: priority 4, VLAN 10
            0x88, 0xb8,                         // GOOSE
            0x20, 0x00, 0x00, 0x08,             // APPID 0x2000, length 8
            0x00, 0x00, 0x00, 0x00,             // reserved 1, 2
        ];
        let mut d = Decoder::new();
        let p = d.decode(linktype::ETHERNET, &tagged, 0);
        assert_eq!(p.l3, L3::Other(0x88b8));
        assert_eq!(p.src_mac(), [0x00, 0x17, 0xa4, 0xdd, 0x98, 0x1e]);
        assert_eq!(p.dst_mac(), [0x01, 0x0c, 0xcd, 0x01, 0x00, 0x01]);
        assert_eq!(p.vlan, [10, 0]);
        assert_eq!(p.payload, &tagged[18..]);
        assert!(p.anomalies.is_empty());
        assert_eq!((d.stats.other_l3, d.stats.vlan), (1, 1));
        // untagged
        let mut plain = tagged[..12].to_vec();
        plain.extend_from_slice(&tagged[16..]);
        let p = d.decode(linktype::ETHERNET, &plain, 0);
        assert_eq!(
            (p.l3, p.vlan, p.payload),
            (L3::Other(0x88b8), [0, 0], &tagged[18..])
        );
        assert_eq!(p.src_mac(), [0x00, 0x17, 0xa4, 0xdd, 0x98, 0x1e]);
        // an IP packet: no MACs
        let p = d.decode(linktype::ETHERNET, VLAN_TCP, 0);
        assert_eq!((p.l3, p.src_mac()), (L3::Ipv4, [0; 6]));
        // in a VXLAN tunnel: the inner frame's addresses, not the outer's
        let mut outer = VLAN_TCP[..12].to_vec();
        outer.extend_from_slice(&[0x08, 0x00]);
        #[rustfmt::skip]
        outer.extend_from_slice(&[
            0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, // IPv4/UDP
            0x12, 0x34, 0x12, 0xb5, 0, 0, 0, 0,                                  // UDP to 4789
            0x08, 0, 0, 0, 0, 0, 1, 0,                                           // VXLAN VNI 1
        ]);
        outer.extend_from_slice(&plain);
        let ip_len = (outer.len() - 14) as u16;
        outer[16..18].copy_from_slice(&ip_len.to_be_bytes());
        let udp_len = ip_len - 20;
        outer[14 + 24..14 + 26].copy_from_slice(&udp_len.to_be_bytes());
        let p = d.decode(linktype::ETHERNET, &outer, 0);
        assert_eq!(p.l3, L3::Other(0x88b8));
        assert_eq!(p.tunnel_depth, 1);
        assert_eq!(p.src_mac(), [0x00, 0x17, 0xa4, 0xdd, 0x98, 0x1e]);
        assert_eq!(p.payload, &tagged[18..]);
    }

    #[test]
    fn null_loopback_and_sll() {
        let ip = &VLAN_TCP[18..];
        let mut null = vec![2, 0, 0, 0];
        null.extend_from_slice(ip);
        let mut d = Decoder::new();
        let p = d.decode(linktype::NULL, &null, 0);
        assert_eq!(p.dport, 502);
        // SLL: 14 bytes then protocol 0x0800
        let mut sll = vec![0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00];
        sll.extend_from_slice(ip);
        assert_eq!(d.decode(linktype::LINUX_SLL, &sll, 0).dport, 502);
        // SLL2: protocol first
        let mut sll2 = vec![
            0x08, 0x00, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0,
        ];
        sll2.extend_from_slice(ip);
        assert_eq!(d.decode(linktype::LINUX_SLL2, &sll2, 0).dport, 502);
    }

    #[test]
    fn nflog_ppp_and_wifi() {
        let ip = &VLAN_TCP[18..];
        // NFLOG: family 2, version 0, resource id; one TLV of type 9 (payload)
        let mut nf = vec![2, 0, 0, 0];
        let len = (4 + ip.len()) as u16;
        nf.extend_from_slice(&len.to_le_bytes());
        nf.extend_from_slice(&9u16.to_le_bytes());
        nf.extend_from_slice(ip);
        let mut d = Decoder::new();
        assert_eq!(d.decode(linktype::NFLOG, &nf, 0).dport, 502);
        // PPP with address/control and protocol 0x0021
        let mut ppp = vec![0xff, 0x03, 0x00, 0x21];
        ppp.extend_from_slice(ip);
        assert_eq!(d.decode(linktype::PPP, &ppp, 0).dport, 502);
        // radiotap (8 bytes) + 802.11 data frame (24) + LLC/SNAP + IPv4
        let mut wifi = vec![0, 0, 8, 0, 0, 0, 0, 0];
        wifi.extend_from_slice(&[0x08, 0x01]); // data frame, to-DS
        wifi.extend_from_slice(&[0u8; 22]);
        wifi.extend_from_slice(&[0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00]);
        wifi.extend_from_slice(ip);
        let p = d.decode(linktype::IEEE802_11_RADIOTAP, &wifi, 0);
        assert_eq!((p.sport, p.dport), (1234, 502));
    }

    #[test]
    fn what_follows_the_link_header() {
        let ip = &VLAN_TCP[18..];
        // NULL: family in either byte order; an unknown one by the version
        assert_eq!(
            link_next(linktype::NULL, &[0, 0, 0, 24]),
            LinkNext::Ethertype(ETHERTYPE_IPV6, &[])
        );
        assert_eq!(
            link_next(linktype::NULL, &[7, 0, 0, 0, 0x45]),
            LinkNext::IpByVersion(&[0x45])
        );
        assert_eq!(
            link_next(linktype::LOOP, &[0, 0, 2]),
            LinkNext::Bad(Anomaly::NullPktTooSmall)
        );
        // PPP: a one-byte protocol (0x21, odd), another protocol (LCP)
        assert_eq!(
            link_next(linktype::PPP, &[0x21, 0x45]),
            LinkNext::Ethertype(ETHERTYPE_IPV4, &[0x45])
        );
        assert_eq!(link_next(linktype::PPP, &[0xc0, 0x21, 1]), LinkNext::NotIp);
        assert_eq!(
            link_next(linktype::PPP, &[0xff, 0x03, 0x00]),
            LinkNext::Bad(Anomaly::PppPktTooSmall)
        );
        // 802.11: a beacon is not IP; a QoS data frame has 2 more bytes
        let mut beacon = vec![0x80, 0];
        beacon.extend_from_slice(&[0; 22]);
        assert_eq!(link_next(linktype::IEEE802_11, &beacon), LinkNext::NotIp);
        let mut qos = vec![0x88, 0x01];
        qos.extend_from_slice(&[0; 24]);
        qos.extend_from_slice(&[0xaa, 0xaa, 0x03, 0, 0, 0, 0x86, 0xdd]);
        assert_eq!(
            link_next(linktype::IEEE802_11, &qos),
            LinkNext::Ethertype(ETHERTYPE_IPV6, &[])
        );
        // radiotap longer than the frame
        assert_eq!(
            link_next(linktype::IEEE802_11_RADIOTAP, &[0, 0, 9, 0, 0, 0, 0, 0]),
            LinkNext::Bad(Anomaly::WifiPktTooSmall)
        );
        // NFLOG: a TLV longer than what is left; no packet TLV
        assert_eq!(
            link_next(linktype::NFLOG, &[2, 0, 0, 0, 9, 0, 9, 0]),
            LinkNext::Bad(Anomaly::NflogPktTooSmall)
        );
        assert_eq!(
            link_next(linktype::NFLOG, &[2, 0, 0, 0, 4, 0, 1, 0]),
            LinkNext::Nothing
        );
        assert_eq!(link_next(linktype::RAW, ip), LinkNext::IpByVersion(ip));
        assert_eq!(link_next(4242, ip), LinkNext::Unsupported);
        // EtherTypes
        for (et, next) in [
            (0x0800, EtherNext::Ipv4),
            (0x86dd, EtherNext::Ipv6),
            (0x8100, EtherNext::Vlan),
            (0x88a8, EtherNext::Vlan),
            (0x9100, EtherNext::Vlan),
            (0x8847, EtherNext::Mpls),
            (0x8848, EtherNext::Mpls),
            (0x0806, EtherNext::Arp),
            (0x88cc, EtherNext::Other(0x88cc)),
        ] {
            assert_eq!(next_after_ethertype(et), next, "{et:#06x}");
        }
    }
}
