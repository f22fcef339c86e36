//! Packet decoding: link layer → VLAN → IP (fragments reassembled) →
//! TCP/UDP/ICMP, into one flat [`Packet`] the flow engine reads directly.
//!
//! Written by hand rather than with `etherparse`: the engine needs fragment
//! identities for a *bounded* reassembler (etherparse's pool is unbounded),
//! tunnel recursion (GRE, VXLAN), Linux SLL2 and BSD loopback, Suricata's
//! per-layer decoder anomaly names, and a result with no allocation per
//! packet. Every header view checks its length once in `new_checked`, so
//! field accessors cannot panic (smoltcp `wire` style).
#![forbid(unsafe_code)]

pub mod defrag;
pub mod wire;

use defrag::{Defrag, FragKey, FragOutcome};
use wire::*;

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

/// Decoder anomalies, named as Suricata's decoder events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Anomaly {
    EthernetPktTooSmall,
    VlanHeaderTooSmall,
    VlanTooMany,
    SllPktTooSmall,
    NullPktTooSmall,
    UnsupportedLinktype,
    Ipv4PktTooSmall,
    Ipv4HlenTooSmall,
    Ipv4IplenSmallerThanHlen,
    Ipv4TruncPkt,
    Ipv4WrongIpVer,
    Ipv4FragOverlap,
    Ipv4FragTooLarge,
    Ipv6PktTooSmall,
    Ipv6TruncPkt,
    Ipv6ExthdrTooMany,
    Ipv6FragOverlap,
    TcpPktTooSmall,
    TcpHlenTooSmall,
    UdpPktTooSmall,
    UdpHlenInvalid,
    Icmpv4PktTooSmall,
    Icmpv6PktTooSmall,
    ArpPktTooSmall,
    GrePktTooSmall,
    VxlanPktTooSmall,
    TunnelTooDeep,
    FragMemcapReached,
    MplsPktTooSmall,
    MplsTooManyLabels,
    WifiPktTooSmall,
    NflogPktTooSmall,
    PppPktTooSmall,
}

impl Anomaly {
    /// Suricata-style event name (`decoder.ipv4.trunc_pkt`).
    pub fn name(self) -> &'static str {
        use Anomaly::*;
        match self {
            EthernetPktTooSmall => "decoder.ethernet.pkt_too_small",
            VlanHeaderTooSmall => "decoder.vlan.header_too_small",
            VlanTooMany => "decoder.vlan.too_many_layers",
            SllPktTooSmall => "decoder.sll.pkt_too_small",
            NullPktTooSmall => "decoder.null.pkt_too_small",
            UnsupportedLinktype => "decoder.unsupported_linktype",
            Ipv4PktTooSmall => "decoder.ipv4.pkt_too_small",
            Ipv4HlenTooSmall => "decoder.ipv4.hlen_too_small",
            Ipv4IplenSmallerThanHlen => "decoder.ipv4.iplen_smaller_than_hlen",
            Ipv4TruncPkt => "decoder.ipv4.trunc_pkt",
            Ipv4WrongIpVer => "decoder.ipv4.wrong_ip_version",
            Ipv4FragOverlap => "decoder.ipv4.frag_overlap",
            Ipv4FragTooLarge => "decoder.ipv4.frag_pkt_too_large",
            Ipv6PktTooSmall => "decoder.ipv6.pkt_too_small",
            Ipv6TruncPkt => "decoder.ipv6.trunc_pkt",
            Ipv6ExthdrTooMany => "decoder.ipv6.exthdr_too_many",
            Ipv6FragOverlap => "decoder.ipv6.frag_overlap",
            TcpPktTooSmall => "decoder.tcp.pkt_too_small",
            TcpHlenTooSmall => "decoder.tcp.hlen_too_small",
            UdpPktTooSmall => "decoder.udp.pkt_too_small",
            UdpHlenInvalid => "decoder.udp.hlen_invalid",
            Icmpv4PktTooSmall => "decoder.icmpv4.pkt_too_small",
            Icmpv6PktTooSmall => "decoder.icmpv6.pkt_too_small",
            ArpPktTooSmall => "decoder.arp.pkt_too_small",
            GrePktTooSmall => "decoder.gre.pkt_too_small",
            VxlanPktTooSmall => "decoder.vxlan.pkt_too_small",
            TunnelTooDeep => "decoder.tunnel.too_deep",
            FragMemcapReached => "defrag.memcap_reached",
            MplsPktTooSmall => "decoder.mpls.pkt_too_small",
            MplsTooManyLabels => "decoder.mpls.too_many_labels",
            WifiPktTooSmall => "decoder.ieee8021.pkt_too_small",
            NflogPktTooSmall => "decoder.nflog.pkt_too_small",
            PppPktTooSmall => "decoder.ppp.pkt_too_small",
        }
    }
}

/// Up to 4 anomalies per packet (more are counted, not kept).
#[derive(Clone, Copy, Debug, Default)]
pub struct Anomalies {
    list: [Option<Anomaly>; 4],
    len: u8,
}

impl Anomalies {
    fn push(&mut self, a: Anomaly) {
        if (self.len as usize) < self.list.len() {
            self.list[self.len as usize] = Some(a);
        }
        self.len = self.len.saturating_add(1);
    }
    pub fn iter(&self) -> impl Iterator<Item = Anomaly> + '_ {
        self.list.iter().flatten().copied()
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// What the packet carries at the network layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum L3 {
    #[default]
    None,
    Arp,
    Ipv4,
    Ipv6,
    /// Another EtherType, not decoded.
    Other(u16),
}

pub const IPPROTO_ICMP: u8 = 1;
pub const IPPROTO_TCP: u8 = 6;
pub const IPPROTO_UDP: u8 = 17;
pub const IPPROTO_GRE: u8 = 47;
pub const IPPROTO_ICMPV6: u8 = 58;

/// TCP header fields the flow engine needs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpInfo {
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub window: u16,
}

/// One decoded packet. Addresses are 16 bytes (IPv4 in the first 4).
#[derive(Clone, Copy, Debug, Default)]
pub struct Packet<'a> {
    pub l3: L3,
    pub src: [u8; 16],
    pub dst: [u8; 16],
    /// IP protocol number of the transport (after extension headers).
    pub proto: u8,
    pub sport: u16,
    pub dport: u16,
    pub tcp: Option<TcpInfo>,
    pub icmp_type: u8,
    pub icmp_code: u8,
    /// Transport payload (TCP/UDP data, or ICMP body).
    pub payload: &'a [u8],
    /// VLAN ids, outer first (0 = none).
    pub vlan: [u16; 2],
    /// Number of tunnel layers (GRE, VXLAN) unwrapped.
    pub tunnel_depth: u8,
    /// This packet completed an IP fragment reassembly.
    pub reassembled: bool,
    /// The packet is a fragment held for reassembly (no transport yet).
    pub fragment_pending: bool,
    pub anomalies: Anomalies,
}

impl Packet<'_> {
    pub fn is_ipv6(&self) -> bool {
        self.l3 == L3::Ipv6
    }
    pub fn has_ip(&self) -> bool {
        matches!(self.l3, L3::Ipv4 | L3::Ipv6)
    }
}

/// Decoder counters, for the `stats` event and the summary.
#[derive(Clone, Debug, Default)]
pub struct DecodeStats {
    pub pkts: u64,
    pub bytes: u64,
    pub ipv4: u64,
    pub ipv6: u64,
    pub tcp: u64,
    pub udp: u64,
    pub icmpv4: u64,
    pub icmpv6: u64,
    pub arp: u64,
    pub vlan: u64,
    pub vlan_qinq: u64,
    pub gre: u64,
    pub vxlan: u64,
    pub mpls: u64,
    pub geneve: u64,
    pub ayiya: u64,
    pub other_l3: u64,
    pub frag_ipv4: u64,
    pub frag_ipv6: u64,
    pub reassembled: u64,
    pub invalid: u64,
    pub unsupported_linktype: u64,
    /// Count per anomaly (index = Anomaly as u8).
    pub anomalies: [u64; 32],
}

impl DecodeStats {
    /// Add another decoder's counters.
    pub fn merge(&mut self, o: &DecodeStats) {
        self.pkts += o.pkts;
        self.bytes += o.bytes;
        self.ipv4 += o.ipv4;
        self.ipv6 += o.ipv6;
        self.tcp += o.tcp;
        self.udp += o.udp;
        self.icmpv4 += o.icmpv4;
        self.icmpv6 += o.icmpv6;
        self.arp += o.arp;
        self.vlan += o.vlan;
        self.vlan_qinq += o.vlan_qinq;
        self.gre += o.gre;
        self.vxlan += o.vxlan;
        self.mpls += o.mpls;
        self.geneve += o.geneve;
        self.ayiya += o.ayiya;
        self.other_l3 += o.other_l3;
        self.frag_ipv4 += o.frag_ipv4;
        self.frag_ipv6 += o.frag_ipv6;
        self.reassembled += o.reassembled;
        self.invalid += o.invalid;
        self.unsupported_linktype += o.unsupported_linktype;
        for (a, b) in self.anomalies.iter_mut().zip(o.anomalies.iter()) {
            *a += b;
        }
    }
}

const MAX_TUNNEL_DEPTH: u8 = 3;
const MAX_MPLS_LABELS: usize = 8;
const VXLAN_PORT: u16 = 4789;
const GENEVE_PORT: u16 = 6081;
const GRE_IN_UDP_PORT: u16 = 4754;
/// AYIYA ("anything in anything", draft-massar-v6ops-ayiya-02; SixXS's
/// IPv6 tunnels): a tunnel server's port, on either side of the datagram.
const AYIYA_PORT: u16 = 5072;

/// A tunnel the decoder looks for inside UDP.
#[derive(Clone, Copy, PartialEq, Eq)]
enum UdpTunnel {
    Vxlan,
    Geneve,
    GreInUdp,
    Ayiya,
}

/// The tunnel a UDP datagram's ports announce: by the destination port,
/// then AYIYA's on either side. The one rule for the decoder, its fast
/// path and the thread hash (which must agree on what is unwrapped).
#[inline(always)]
fn udp_tunnel(sport: u16, dport: u16) -> Option<UdpTunnel> {
    match dport {
        VXLAN_PORT => Some(UdpTunnel::Vxlan),
        GENEVE_PORT => Some(UdpTunnel::Geneve),
        GRE_IN_UDP_PORT => Some(UdpTunnel::GreInUdp),
        AYIYA_PORT => Some(UdpTunnel::Ayiya),
        _ if sport == AYIYA_PORT => Some(UdpTunnel::Ayiya),
        _ => None,
    }
}

/// An AYIYA header: idlen/idtype(0) siglen/hash(1) auth/opcode(2) next
/// header(3) epoch(4..8), then an identity of 2^idlen bytes and a signature
/// of siglen 4-byte words; the tunnelled packet follows. For a "forward"
/// message (opcode 1) carrying IPv4 or IPv6 and at least one byte of it:
/// the header length and the ethertype of what follows. Anything else (a
/// heartbeat, a short or odd header) is left as plain UDP.
fn ayiya(d: &[u8]) -> Option<(usize, u16)> {
    let h = d.first_chunk::<8>()?;
    let hlen = 8 + (1usize << (h[0] >> 4)) + (h[1] >> 4) as usize * 4;
    let et = match h[3] {
        4 => ETHERTYPE_IPV4,
        41 => ETHERTYPE_IPV6,
        _ => return None,
    };
    (h[2] & 0x0f == 1 && d.len() > hlen).then_some((hlen, et))
}

/// Stateful decoder (holds the IP fragment reassembler).
pub struct Decoder {
    pub stats: DecodeStats,
    defrag: Defrag,
    /// Buffer owning the last reassembled datagram (borrowed by the Packet).
    reasm: Vec<u8>,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder {
    pub fn new() -> Self {
        Decoder {
            stats: DecodeStats::default(),
            defrag: Defrag::new(defrag::DefragConfig::default()),
            reasm: Vec::new(),
        }
    }

    /// Bytes held by the fragment reassembler.
    pub fn defrag_memuse(&self) -> usize {
        self.defrag.memuse()
    }

    /// Decode one captured frame.
    pub fn decode<'a>(&'a mut self, linktype: u32, data: &'a [u8], ts_ns: i64) -> Packet<'a> {
        if linktype == linktype::ETHERNET {
            if let Some(v) = fast_ethernet_ipv4(data) {
                self.count_fast(&v, data.len());
                return v.into_packet();
            }
        }
        self.stats.pkts += 1;
        self.stats.bytes += data.len() as u64;
        self.decode_full(linktype, data, ts_ns)
    }

    /// The general path: every link type, tunnel, fragment and anomaly.
    fn decode_full<'a>(&'a mut self, linktype: u32, data: &'a [u8], ts_ns: i64) -> Packet<'a> {
        let mut p = Packet::default();
        // First pass over `data`; if it yields a completed fragment
        // reassembly, the datagram is decoded again from `self.reasm`.
        let mut ctx = Ctx {
            stats: &mut self.stats,
            defrag: &mut self.defrag,
            reasm: &mut self.reasm,
            ts_ns,
            completed: false,
        };
        ctx.link(linktype, data, &mut p);
        if ctx.completed {
            let mut q = Packet {
                vlan: p.vlan,
                tunnel_depth: p.tunnel_depth,
                anomalies: p.anomalies,
                reassembled: true,
                ..Packet::default()
            };
            self.stats.reassembled += 1;
            let buf: &'a [u8] = &self.reasm;
            let mut ctx2 = Ctx {
                stats: &mut self.stats,
                defrag: &mut self.defrag,
                reasm: &mut Vec::new(),
                ts_ns,
                completed: false,
            };
            ctx2.ip_reassembled(buf, &mut q);
            return q;
        }
        p
    }

    /// Count a frame [`fast_ethernet_ipv4`] took, as the general path
    /// would have counted it (a caller that decodes with
    /// [`fast_ethernet_ipv4`] itself calls this when it keeps the frame).
    #[inline(always)]
    pub fn count_fast(&mut self, v: &FastV4<'_>, caplen: usize) {
        self.count_fast_many(1, caplen as u64, (v.hdr.proto == IPPROTO_TCP) as u64);
    }

    /// [`decode`](Self::decode) without the fast path (for tests that
    /// hold the two to the same result).
    #[doc(hidden)]
    pub fn decode_general<'a>(
        &'a mut self,
        linktype: u32,
        data: &'a [u8],
        ts_ns: i64,
    ) -> Packet<'a> {
        self.stats.pkts += 1;
        self.stats.bytes += data.len() as u64;
        self.decode_full(linktype, data, ts_ns)
    }

    /// [`count_fast`](Self::count_fast) for `pkts` frames at once, `tcp`
    /// of them TCP (the rest UDP).
    #[inline(always)]
    pub fn count_fast_many(&mut self, pkts: u64, bytes: u64, tcp: u64) {
        self.stats.pkts += pkts;
        self.stats.bytes += bytes;
        self.stats.ipv4 += pkts;
        self.stats.tcp += tcp;
        self.stats.udp += pkts - tcp;
    }

    /// Expire fragment trains older than the timeout.
    pub fn expire(&mut self, now_ns: i64) {
        self.defrag.expire(now_ns);
    }
}

/// The frame most traffic is: Ethernet without VLAN tags, IPv4 that is
/// neither a fragment nor truncated, TCP or UDP (not to a tunnel port),
/// every length consistent. Decoded in one pass with the same wire views
/// and the same result as the general path (test
/// `fast_path_agrees_with_general_path`); any other frame, and any frame
/// the general path would flag, gives `None` and goes there. Pure: the
/// caller counts the frame ([`Decoder::count_fast`]).
#[inline(always)]
pub fn fast_ethernet_ipv4(data: &[u8]) -> Option<FastV4<'_>> {
    let eth = EthernetFrame::new_checked(data)?;
    if eth.ethertype() != ETHERTYPE_IPV4 {
        return None;
    }
    let ip = Ipv4Packet::new_checked(&data[EthernetFrame::LEN..]).ok()?;
    if ip.truncated() || ip.is_fragment() {
        return None;
    }
    let proto = ip.protocol();
    let (sport, dport, tcp, payload) = match proto {
        IPPROTO_TCP => {
            let t = TcpSegment::new_checked(ip.payload()).ok()?;
            (t.src_port(), t.dst_port(), Some(tcp_info(&t)), t.payload())
        }
        IPPROTO_UDP => {
            let u = UdpDatagram::new_checked(ip.payload()).ok()?;
            let (sport, dport) = (u.src_port(), u.dst_port());
            if udp_tunnel(sport, dport).is_some() {
                return None;
            }
            (sport, dport, None, u.payload())
        }
        _ => return None,
    };
    Some(FastV4 {
        hdr: FastHdr {
            src: *ip.src(),
            dst: *ip.dst(),
            sport,
            dport,
            proto,
            tcp,
            has_payload: !payload.is_empty(),
        },
        payload,
    })
}

/// What [`fast_ethernet_ipv4`] reads of a frame: an untagged IPv4 TCP or
/// UDP packet, nothing odd about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FastV4<'a> {
    pub hdr: FastHdr,
    pub payload: &'a [u8],
}

/// What flow tracking needs of a [`FastV4`], without the bytes: small
/// and owned, so a thread that decoded a frame can hand it to another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FastHdr {
    pub src: [u8; 4],
    pub dst: [u8; 4],
    pub sport: u16,
    pub dport: u16,
    /// [`IPPROTO_TCP`] or [`IPPROTO_UDP`]
    pub proto: u8,
    /// `Some` for TCP
    pub tcp: Option<TcpInfo>,
    pub has_payload: bool,
}

impl<'a> FastV4<'a> {
    /// The same packet as the general decoder gives it.
    #[inline(always)]
    pub fn into_packet(self) -> Packet<'a> {
        let h = self.hdr;
        let mut p = Packet {
            l3: L3::Ipv4,
            proto: h.proto,
            sport: h.sport,
            dport: h.dport,
            tcp: h.tcp,
            payload: self.payload,
            ..Packet::default()
        };
        p.src[..4].copy_from_slice(&h.src);
        p.dst[..4].copy_from_slice(&h.dst);
        p
    }
}

/// A TCP segment's header fields (both paths).
#[inline(always)]
fn tcp_info(t: &TcpSegment<'_>) -> TcpInfo {
    TcpInfo {
        seq: t.seq(),
        ack: t.ack(),
        flags: t.flags(),
        window: t.window(),
    }
}

/// A TCP segment's ports, fields and payload into the packet (both paths).
#[inline(always)]
fn set_tcp<'a>(t: &TcpSegment<'a>, p: &mut Packet<'a>) {
    p.sport = t.src_port();
    p.dport = t.dst_port();
    p.tcp = Some(tcp_info(t));
    p.payload = t.payload();
}

struct Ctx<'s> {
    stats: &'s mut DecodeStats,
    defrag: &'s mut Defrag,
    reasm: &'s mut Vec<u8>,
    ts_ns: i64,
    completed: bool,
}

impl Ctx<'_> {
    fn anomaly(&mut self, p: &mut Packet<'_>, a: Anomaly) {
        p.anomalies.push(a);
        self.stats.anomalies[a as usize & 31] += 1;
    }

    fn link<'a>(&mut self, linktype: u32, data: &'a [u8], p: &mut Packet<'a>) {
        match linktype {
            linktype::ETHERNET => self.ethernet(data, p),
            linktype::LINUX_SLL => match SllHeader::new_checked(data) {
                Some(h) => self.ethertype(h.protocol(), &data[SllHeader::LEN..], p),
                None => self.anomaly(p, Anomaly::SllPktTooSmall),
            },
            linktype::LINUX_SLL2 => match Sll2Header::new_checked(data) {
                Some(h) => self.ethertype(h.protocol(), &data[Sll2Header::LEN..], p),
                None => self.anomaly(p, Anomaly::SllPktTooSmall),
            },
            linktype::NULL | linktype::LOOP => {
                if data.len() < 4 {
                    self.anomaly(p, Anomaly::NullPktTooSmall);
                    return;
                }
                // The family is in host byte order of the capturing machine
                // (NULL) or big-endian (LOOP); accept both.
                let le = u32::from_le_bytes([data[0], data[1], data[2], data[3]]);
                let be = u32::from_be_bytes([data[0], data[1], data[2], data[3]]);
                let fam = if le < 256 { le } else { be };
                match fam {
                    2 => self.ethertype(ETHERTYPE_IPV4, &data[4..], p),
                    24 | 28 | 30 => self.ethertype(ETHERTYPE_IPV6, &data[4..], p),
                    _ => self.ip_by_version(&data[4..], p),
                }
            }
            linktype::RAW | linktype::RAW_BSD | linktype::RAW_OPENBSD => {
                self.ip_by_version(data, p)
            }
            linktype::IEEE802_11 => self.wifi(data, p),
            linktype::IEEE802_11_RADIOTAP => {
                // radiotap: version(0) pad(1) length(2..4, little-endian) …
                if data.len() < 8 {
                    self.anomaly(p, Anomaly::WifiPktTooSmall);
                    return;
                }
                let len = u16::from_le_bytes([data[2], data[3]]) as usize;
                if len < 8 || len > data.len() {
                    self.anomaly(p, Anomaly::WifiPktTooSmall);
                    return;
                }
                self.wifi(&data[len..], p)
            }
            linktype::NFLOG => self.nflog(data, p),
            linktype::PPP | linktype::PPP_HDLC => {
                // optional address/control (ff 03), then a 1- or 2-byte protocol
                let d = if data.len() >= 2 && data[0] == 0xff && data[1] == 0x03 {
                    &data[2..]
                } else {
                    data
                };
                let (proto, rest) = match d {
                    [b, rest @ ..] if b & 1 == 1 => (*b as u16, rest),
                    [a, b, rest @ ..] => (u16::from_be_bytes([*a, *b]), rest),
                    _ => {
                        self.anomaly(p, Anomaly::PppPktTooSmall);
                        return;
                    }
                };
                match proto {
                    0x0021 => self.ethertype(ETHERTYPE_IPV4, rest, p),
                    0x0057 => self.ethertype(ETHERTYPE_IPV6, rest, p),
                    _ => self.stats.other_l3 += 1,
                }
            }
            linktype::IPV4 => self.ethertype(ETHERTYPE_IPV4, data, p),
            linktype::IPV6 => self.ethertype(ETHERTYPE_IPV6, data, p),
            _ => {
                self.stats.unsupported_linktype += 1;
                self.anomaly(p, Anomaly::UnsupportedLinktype);
            }
        }
    }

    /// IEEE 802.11 data frames carrying LLC/SNAP; management, control and
    /// protected frames are not decoded further.
    fn wifi<'a>(&mut self, data: &'a [u8], p: &mut Packet<'a>) {
        if data.len() < 24 {
            self.anomaly(p, Anomaly::WifiPktTooSmall);
            return;
        }
        let fc0 = data[0];
        let fc1 = data[1];
        let ftype = (fc0 >> 2) & 3;
        let subtype = fc0 >> 4;
        if ftype != 2 || subtype & 0x4 != 0 || fc1 & 0x40 != 0 {
            self.stats.other_l3 += 1;
            return; // not data, null-data, or encrypted
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
            self.anomaly(p, Anomaly::WifiPktTooSmall);
            return;
        }
        let llc = &data[hlen..];
        if llc[0] == 0xaa && llc[1] == 0xaa && llc[2] == 0x03 {
            let et = u16::from_be_bytes([llc[6], llc[7]]);
            self.ethertype(et, &llc[8..], p);
        }
    }

    /// Linux NFLOG: family(0) version(1) resource id(2..4), then TLVs
    /// (length and type little-endian, padded to 4); type 9 is the packet.
    fn nflog<'a>(&mut self, data: &'a [u8], p: &mut Packet<'a>) {
        if data.len() < 4 {
            self.anomaly(p, Anomaly::NflogPktTooSmall);
            return;
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
                self.anomaly(p, Anomaly::NflogPktTooSmall);
                return;
            }
            if ty == 9 {
                let payload = &rest[4..len];
                match family {
                    2 => self.ethertype(ETHERTYPE_IPV4, payload, p),
                    10 => self.ethertype(ETHERTYPE_IPV6, payload, p),
                    _ => self.ip_by_version(payload, p),
                }
                return;
            }
            let padded = (len + 3) & !3;
            rest = &rest[padded.min(rest.len())..];
        }
    }

    fn ip_by_version<'a>(&mut self, data: &'a [u8], p: &mut Packet<'a>) {
        match data.first().map(|b| b >> 4) {
            Some(4) => self.ethertype(ETHERTYPE_IPV4, data, p),
            Some(6) => self.ethertype(ETHERTYPE_IPV6, data, p),
            _ => self.anomaly(p, Anomaly::Ipv4WrongIpVer),
        }
    }

    fn ethernet<'a>(&mut self, data: &'a [u8], p: &mut Packet<'a>) {
        match EthernetFrame::new_checked(data) {
            Some(f) => self.ethertype(f.ethertype(), &data[EthernetFrame::LEN..], p),
            None => self.anomaly(p, Anomaly::EthernetPktTooSmall),
        }
    }

    fn ethertype<'a>(&mut self, mut et: u16, mut data: &'a [u8], p: &mut Packet<'a>) {
        // VLAN tags (802.1Q, 802.1ad QinQ, old 0x9100)
        let mut tags = 0;
        while matches!(et, ETHERTYPE_VLAN | ETHERTYPE_QINQ | ETHERTYPE_QINQ_OLD) {
            if data.len() < 4 {
                self.anomaly(p, Anomaly::VlanHeaderTooSmall);
                return;
            }
            let tci = u16::from_be_bytes([data[0], data[1]]) & 0x0fff;
            if tags < 2 {
                p.vlan[tags] = tci;
            }
            tags += 1;
            if tags > 3 {
                self.anomaly(p, Anomaly::VlanTooMany);
                return;
            }
            et = u16::from_be_bytes([data[2], data[3]]);
            data = &data[4..];
        }
        if tags == 1 {
            self.stats.vlan += 1;
        } else if tags > 1 {
            self.stats.vlan_qinq += 1;
        }
        match et {
            ETHERTYPE_IPV4 => self.ipv4(data, p),
            ETHERTYPE_IPV6 => self.ipv6(data, p),
            ETHERTYPE_MPLS | ETHERTYPE_MPLS_MC => self.mpls(data, p),
            ETHERTYPE_ARP => {
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
            other => {
                self.stats.other_l3 += 1;
                p.l3 = L3::Other(other);
            }
        }
    }

    /// MPLS label stack (RFC 3032): 4 bytes per label, bottom of stack
    /// flagged; the payload's IP version is guessed from its first nibble.
    fn mpls<'a>(&mut self, mut data: &'a [u8], p: &mut Packet<'a>) {
        for _ in 0..MAX_MPLS_LABELS {
            if data.len() < 4 {
                self.anomaly(p, Anomaly::MplsPktTooSmall);
                return;
            }
            let bottom = data[2] & 0x01 != 0;
            data = &data[4..];
            if bottom {
                self.stats.mpls += 1;
                match data.first().map(|b| b >> 4) {
                    Some(4) => self.ipv4(data, p),
                    Some(6) => self.ipv6(data, p),
                    // 0: pseudowire control word, then Ethernet
                    Some(0) if data.len() > 4 => self.ethernet(&data[4..], p),
                    _ => {}
                }
                return;
            }
        }
        self.anomaly(p, Anomaly::MplsTooManyLabels);
    }

    fn ipv4<'a>(&mut self, data: &'a [u8], p: &mut Packet<'a>) {
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

    fn fragment<'a>(
        &mut self,
        key: FragKey,
        offset: usize,
        more: bool,
        header: &[u8],
        payload: &[u8],
        p: &mut Packet<'a>,
    ) {
        match self
            .defrag
            .add(key, offset, more, header, payload, self.ts_ns, self.reasm)
        {
            FragOutcome::Pending => {}
            FragOutcome::Complete => self.completed = true,
            FragOutcome::Overlap => {
                let a = if key.v6 {
                    Anomaly::Ipv6FragOverlap
                } else {
                    Anomaly::Ipv4FragOverlap
                };
                self.anomaly(p, a)
            }
            FragOutcome::TooLarge => self.anomaly(p, Anomaly::Ipv4FragTooLarge),
            FragOutcome::Memcap => self.anomaly(p, Anomaly::FragMemcapReached),
        }
    }

    /// Decode a datagram rebuilt by the reassembler (header + payload).
    fn ip_reassembled<'a>(&mut self, data: &'a [u8], p: &mut Packet<'a>) {
        match data.first().map(|b| b >> 4) {
            Some(4) => {
                if let Ok(ip) = Ipv4Packet::new_checked(data) {
                    p.l3 = L3::Ipv4;
                    p.src[..4].copy_from_slice(ip.src());
                    p.dst[..4].copy_from_slice(ip.dst());
                    self.transport(ip.protocol(), ip.payload(), p);
                }
            }
            // The reassembler stores: fixed IPv6 header (next header
            // rewritten to the fragment's) + unfragmentable part dropped.
            Some(6) if data.len() >= 40 => {
                p.l3 = L3::Ipv6;
                p.src.copy_from_slice(&data[8..24]);
                p.dst.copy_from_slice(&data[24..40]);
                let nh = data[6];
                self.transport(nh, &data[40..], p);
            }
            _ => {}
        }
    }

    fn ipv6<'a>(&mut self, data: &'a [u8], p: &mut Packet<'a>) {
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
        let mut nh = ip.next_header();
        let mut rest = ip.payload();
        // Walk extension headers (bounded).
        for _ in 0..8 {
            match nh {
                0 | 43 | 60 | 135 | 139 | 140 => {
                    if rest.len() < 8 {
                        self.anomaly(p, Anomaly::Ipv6TruncPkt);
                        return;
                    }
                    let len = (rest[1] as usize + 1) * 8;
                    if rest.len() < len {
                        self.anomaly(p, Anomaly::Ipv6TruncPkt);
                        return;
                    }
                    nh = rest[0];
                    rest = &rest[len..];
                }
                51 => {
                    // AH: length in 4-byte units minus 2
                    if rest.len() < 8 {
                        self.anomaly(p, Anomaly::Ipv6TruncPkt);
                        return;
                    }
                    let len = (rest[1] as usize + 2) * 4;
                    if rest.len() < len {
                        self.anomaly(p, Anomaly::Ipv6TruncPkt);
                        return;
                    }
                    nh = rest[0];
                    rest = &rest[len..];
                }
                44 => {
                    if rest.len() < 8 {
                        self.anomaly(p, Anomaly::Ipv6TruncPkt);
                        return;
                    }
                    self.stats.frag_ipv6 += 1;
                    let next = rest[0];
                    let off_field = u16::from_be_bytes([rest[2], rest[3]]);
                    let offset = (off_field >> 3) as usize * 8;
                    let more = off_field & 1 != 0;
                    let id = u32::from_be_bytes([rest[4], rest[5], rest[6], rest[7]]);
                    let payload = &rest[8..];
                    if offset == 0 && !more {
                        // atomic fragment
                        nh = next;
                        rest = payload;
                        continue;
                    }
                    p.proto = next;
                    p.fragment_pending = true;
                    let key = FragKey {
                        src: p.src,
                        dst: p.dst,
                        id,
                        proto: next,
                        v6: true,
                        vlan: p.vlan[0],
                    };
                    // Synthesised header for the rebuilt datagram.
                    let mut hdr = [0u8; 40];
                    hdr.copy_from_slice(&data[..40]);
                    hdr[6] = next;
                    self.fragment(key, offset, more, &hdr, payload, p);
                    return;
                }
                _ => {
                    self.transport(nh, rest, p);
                    return;
                }
            }
        }
        self.anomaly(p, Anomaly::Ipv6ExthdrTooMany);
    }

    fn transport<'a>(&mut self, proto: u8, data: &'a [u8], p: &mut Packet<'a>) {
        p.proto = proto;
        match proto {
            IPPROTO_TCP => match TcpSegment::new_checked(data) {
                Ok(t) => {
                    self.stats.tcp += 1;
                    set_tcp(&t, p);
                }
                Err(a) => self.anomaly(p, a),
            },
            IPPROTO_UDP => match UdpDatagram::new_checked(data) {
                Ok(u) => {
                    self.stats.udp += 1;
                    p.sport = u.src_port();
                    p.dport = u.dst_port();
                    p.payload = u.payload();
                    if p.tunnel_depth < MAX_TUNNEL_DEPTH {
                        match udp_tunnel(p.sport, p.dport) {
                            Some(UdpTunnel::Vxlan) => self.vxlan(u.payload(), p),
                            Some(UdpTunnel::Geneve) => self.geneve(u.payload(), p),
                            Some(UdpTunnel::GreInUdp) => self.gre(u.payload(), p),
                            Some(UdpTunnel::Ayiya) => self.ayiya(u.payload(), p),
                            None => {}
                        }
                    }
                }
                Err(a) => self.anomaly(p, a),
            },
            IPPROTO_ICMP | IPPROTO_ICMPV6 => {
                if data.len() < 4 {
                    let a = if proto == IPPROTO_ICMP {
                        Anomaly::Icmpv4PktTooSmall
                    } else {
                        Anomaly::Icmpv6PktTooSmall
                    };
                    self.anomaly(p, a);
                    return;
                }
                if proto == IPPROTO_ICMP {
                    self.stats.icmpv4 += 1;
                } else {
                    self.stats.icmpv6 += 1;
                }
                p.icmp_type = data[0];
                p.icmp_code = data[1];
                p.payload = &data[4..];
            }
            IPPROTO_GRE => self.gre(data, p),
            _ => {}
        }
    }

    fn gre<'a>(&mut self, data: &'a [u8], p: &mut Packet<'a>) {
        if p.tunnel_depth >= MAX_TUNNEL_DEPTH {
            self.anomaly(p, Anomaly::TunnelTooDeep);
            return;
        }
        if data.len() < 4 {
            self.anomaly(p, Anomaly::GrePktTooSmall);
            return;
        }
        let flags = u16::from_be_bytes([data[0], data[1]]);
        let version = flags & 7;
        let et = u16::from_be_bytes([data[2], data[3]]);
        let mut hlen = 4;
        if version == 0 {
            if flags & 0x8000 != 0 {
                hlen += 4; // checksum + reserved
            }
            if flags & 0x2000 != 0 {
                hlen += 4; // key
            }
            if flags & 0x1000 != 0 {
                hlen += 4; // sequence
            }
        } else {
            // PPTP enhanced GRE: not unwrapped
            return;
        }
        if data.len() < hlen {
            self.anomaly(p, Anomaly::GrePktTooSmall);
            return;
        }
        self.stats.gre += 1;
        let inner = &data[hlen..];
        self.enter_tunnel(p);
        match et {
            0x6558 => self.ethernet(inner, p),
            ETHERTYPE_IPV4 | ETHERTYPE_IPV6 => self.ethertype(et, inner, p),
            // ERSPAN type II: 8-byte header then Ethernet
            0x88be if inner.len() >= 8 => self.ethernet(&inner[8..], p),
            // ERSPAN type III: 12 bytes, +8 with the platform sub-header
            0x22eb if inner.len() >= 12 => {
                let o = if inner[11] & 0x01 != 0 { 20 } else { 12 };
                if inner.len() > o {
                    self.ethernet(&inner[o..], p)
                }
            }
            _ => {}
        }
    }

    fn ayiya<'a>(&mut self, data: &'a [u8], p: &mut Packet<'a>) {
        let Some((hlen, et)) = ayiya(data) else {
            return; // not a forwarded packet: plain UDP
        };
        self.stats.ayiya += 1;
        self.enter_tunnel(p);
        self.ethertype(et, &data[hlen..], p);
    }

    fn vxlan<'a>(&mut self, data: &'a [u8], p: &mut Packet<'a>) {
        if data.len() < 8 + EthernetFrame::LEN || data[0] & 0x08 == 0 {
            return; // not VXLAN: leave as plain UDP
        }
        self.stats.vxlan += 1;
        self.enter_tunnel(p);
        self.ethernet(&data[8..], p);
    }

    /// GENEVE (RFC 8926): ver/optlen(0) flags(1) protocol(2..4) vni(4..8)
    /// then options of optlen*4 bytes.
    fn geneve<'a>(&mut self, data: &'a [u8], p: &mut Packet<'a>) {
        if data.len() < 8 || data[0] >> 6 != 0 {
            return;
        }
        let hlen = 8 + (data[0] & 0x3f) as usize * 4;
        if data.len() < hlen {
            return;
        }
        let et = u16::from_be_bytes([data[2], data[3]]);
        self.stats.geneve += 1;
        self.enter_tunnel(p);
        match et {
            0x6558 => self.ethernet(&data[hlen..], p),
            _ => self.ethertype(et, &data[hlen..], p),
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
mod tests;

/// A cheap symmetric hash of a frame's IP address pair, for spreading
/// packets over workers: both directions of a flow, and every fragment of a
/// datagram, hash alike. Tunnels the decoder unwraps (GRE, VXLAN, GENEVE,
/// GRE in UDP) hash by their innermost pair, as the decoder keys the flow
/// (the same flow seen tunnelled and not lands on one worker); an outer
/// fragment by its outer pair (see [`tunnel_fragment`] for the inner pair
/// its datagram's first fragment shows). Frames without IP hash to 0.
#[inline]
pub fn address_pair_hash(linktype: u32, data: &[u8]) -> u64 {
    // the common frame first: Ethernet, IPv4 without options, not a
    // fragment, TCP or UDP to a port no tunnel uses
    if linktype == linktype::ETHERNET && data.len() >= 38 && data[12..14] == [0x08, 0x00] {
        let ip = &data[14..];
        let not_fragment = ip[6] & 0x3f == 0 && ip[7] == 0;
        let plain = ip[9] == IPPROTO_TCP
            || (ip[9] == IPPROTO_UDP
                && udp_tunnel(
                    u16::from_be_bytes([ip[20], ip[21]]),
                    u16::from_be_bytes([ip[22], ip[23]]),
                )
                .is_none());
        if ip[0] == 0x45 && not_fragment && plain {
            return v4_pair_hash(
                [ip[12], ip[13], ip[14], ip[15]],
                [ip[16], ip[17], ip[18], ip[19]],
            );
        }
    }
    address_pair_hash_slow(linktype, data)
}

/// [`address_pair_hash`] of a frame [`fast_ethernet_ipv4`] takes, from the
/// addresses it read (no tunnel, no fragment: the outer pair decides).
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
fn address_pair_hash_slow(linktype: u32, data: &[u8]) -> u64 {
    let Some((et, rest)) = link_ip(linktype, data) else {
        return 0;
    };
    match ip_pair(et, rest, 0) {
        Some((a, b)) => mix_pair(a, b),
        None => 0,
    }
}

/// The ethertype (0: by version nibble) and bytes after a frame's link
/// header.
fn link_ip(linktype: u32, data: &[u8]) -> Option<(u16, &[u8])> {
    Some(match linktype {
        linktype::ETHERNET if data.len() >= 14 => {
            (u16::from_be_bytes([data[12], data[13]]), &data[14..])
        }
        linktype::LINUX_SLL if data.len() >= 16 => {
            (u16::from_be_bytes([data[14], data[15]]), &data[16..])
        }
        linktype::LINUX_SLL2 if data.len() >= 20 => {
            (u16::from_be_bytes([data[0], data[1]]), &data[20..])
        }
        linktype::NULL | linktype::LOOP if data.len() >= 4 => (0, &data[4..]),
        linktype::RAW | linktype::RAW_BSD | linktype::RAW_OPENBSD => (0, data),
        linktype::IPV4 => (ETHERTYPE_IPV4, data),
        linktype::IPV6 => (ETHERTYPE_IPV6, data),
        _ => return None,
    })
}

/// Past up to three VLAN tags (802.1Q / QinQ), as the decoder reads them:
/// the ethertype and bytes after them.
fn skip_vlans(mut et: u16, mut rest: &[u8]) -> (u16, &[u8]) {
    for _ in 0..3 {
        if !matches!(et, ETHERTYPE_VLAN | ETHERTYPE_QINQ | ETHERTYPE_QINQ_OLD) || rest.len() < 4 {
            break;
        }
        et = u16::from_be_bytes([rest[2], rest[3]]);
        rest = &rest[4..];
    }
    (et, rest)
}

/// The address pair (folded to words) of the IP packet after `et` (0: by
/// version nibble), inside the tunnels the decoder unwraps.
fn ip_pair(et: u16, rest: &[u8], depth: u8) -> Option<(u64, u64)> {
    let (mut et, mut rest) = skip_vlans(et, rest);
    if matches!(et, ETHERTYPE_MPLS | ETHERTYPE_MPLS_MC) {
        // labels down to the bottom of the stack, as `Decoder::mpls`
        let mut bottom = false;
        for _ in 0..MAX_MPLS_LABELS {
            if rest.len() < 4 {
                return None;
            }
            bottom = rest[2] & 0x01 != 0;
            rest = &rest[4..];
            if bottom {
                break;
            }
        }
        if !bottom {
            return None;
        }
        et = 0;
        if rest.first().map(|b| b >> 4) == Some(0) && rest.len() > 4 {
            // pseudowire control word, then Ethernet
            return ether_pair(&rest[4..], depth);
        }
    }
    if et == 0 {
        et = match rest.first().map(|b| b >> 4) {
            Some(4) => ETHERTYPE_IPV4,
            Some(6) => ETHERTYPE_IPV6,
            _ => return None,
        };
    }
    let word = |b: &[u8]| -> u64 {
        let mut w = [0u8; 8];
        let n = b.len().min(8);
        w[..n].copy_from_slice(&b[..n]);
        u64::from_le_bytes(w)
    };
    let (pair, proto, payload) = match et {
        ETHERTYPE_IPV4 if rest.len() >= 20 => {
            let pair = (word(&rest[12..16]), word(&rest[16..20]));
            let hlen = ((rest[0] & 0x0f) as usize) * 4;
            let fragment = u16::from_be_bytes([rest[6], rest[7]]) & 0x3fff != 0;
            if fragment || hlen < 20 || rest.len() < hlen {
                return Some(pair);
            }
            // the datagram ends where its total length says (0: as captured)
            let total = u16::from_be_bytes([rest[2], rest[3]]) as usize;
            let end = if total == 0 {
                rest.len()
            } else {
                total.min(rest.len())
            };
            (pair, rest[9], rest.get(hlen..end).unwrap_or(&[]))
        }
        ETHERTYPE_IPV6 if rest.len() >= 40 => {
            let pair = (
                word(&rest[8..16]) ^ word(&rest[16..24]).rotate_left(29),
                word(&rest[24..32]) ^ word(&rest[32..40]).rotate_left(29),
            );
            // extension headers as `Decoder::ipv6` walks them; a fragment
            // (other than an atomic one) keeps the outer pair
            let plen = u16::from_be_bytes([rest[4], rest[5]]) as usize;
            let end = if plen == 0 {
                rest.len()
            } else {
                (40 + plen).min(rest.len())
            };
            let mut body = &rest[40..end];
            let mut next = rest[6];
            for _ in 0..8 {
                let len = match next {
                    0 | 43 | 60 | 135 | 139 | 140 if body.len() >= 8 => (body[1] as usize + 1) * 8,
                    51 if body.len() >= 8 => (body[1] as usize + 2) * 4,
                    44 if body.len() >= 8 => {
                        let off_field = u16::from_be_bytes([body[2], body[3]]);
                        if off_field & 0xfff9 != 0 {
                            return Some(pair);
                        }
                        8
                    }
                    _ => break,
                };
                if body.len() < len {
                    return Some(pair);
                }
                next = body[0];
                body = &body[len..];
            }
            (pair, next, body)
        }
        _ => return None,
    };
    if depth >= MAX_TUNNEL_DEPTH {
        return Some(pair);
    }
    let inner = tunnel_inner(proto, payload, depth);
    // a tunnel the decoder leaves whole (or cannot read) is keyed outside
    Some(inner.unwrap_or(pair))
}

/// The pair inside a tunnel the decoder unwraps (GRE, or UDP to the
/// VXLAN, GENEVE or GRE-in-UDP port), if `payload` of an IP packet of
/// `proto` is one.
fn tunnel_inner(proto: u8, payload: &[u8], depth: u8) -> Option<(u64, u64)> {
    match proto {
        IPPROTO_GRE => gre_inner(payload, depth),
        IPPROTO_UDP if payload.len() >= 8 => {
            // the datagram ends where its length says (0: as captured)
            let ulen = u16::from_be_bytes([payload[4], payload[5]]) as usize;
            if ulen != 0 && ulen < 8 {
                return None;
            }
            let end = if ulen == 0 {
                payload.len()
            } else {
                ulen.min(payload.len())
            };
            let d = &payload[8..end];
            let ports = (
                u16::from_be_bytes([payload[0], payload[1]]),
                u16::from_be_bytes([payload[2], payload[3]]),
            );
            match udp_tunnel(ports.0, ports.1)? {
                UdpTunnel::Vxlan if d.len() >= 8 + EthernetFrame::LEN && d[0] & 0x08 != 0 => {
                    ether_pair(&d[8..], depth + 1)
                }
                UdpTunnel::Geneve if d.len() >= 8 && d[0] >> 6 == 0 => {
                    let hlen = 8 + (d[0] & 0x3f) as usize * 4;
                    match (u16::from_be_bytes([d[2], d[3]]), d.get(hlen..)) {
                        (0x6558, Some(i)) => ether_pair(i, depth + 1),
                        (et, Some(i)) => ip_pair(et, i, depth + 1),
                        _ => None,
                    }
                }
                UdpTunnel::Vxlan | UdpTunnel::Geneve => None,
                UdpTunnel::GreInUdp => gre_inner(d, depth),
                UdpTunnel::Ayiya => {
                    let (hlen, et) = ayiya(d)?;
                    ip_pair(et, &d[hlen..], depth + 1)
                }
            }
        }
        _ => None,
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
    let (et, rest) = skip_vlans(et, rest);
    let v4 = et == ETHERTYPE_IPV4 || (et == 0 && rest.first().map(|b| b >> 4) == Some(4));
    if !v4 || rest.len() < 20 {
        return None;
    }
    let flags = u16::from_be_bytes([rest[6], rest[7]]);
    let proto = rest[9];
    if flags & 0x3fff == 0 || !matches!(proto, IPPROTO_GRE | IPPROTO_UDP) {
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

fn ether_pair(b: &[u8], depth: u8) -> Option<(u64, u64)> {
    if b.len() < EthernetFrame::LEN {
        return None;
    }
    ip_pair(u16::from_be_bytes([b[12], b[13]]), &b[14..], depth)
}

/// The pair inside a GRE header, as `Decoder::gre` unwraps it.
fn gre_inner(b: &[u8], depth: u8) -> Option<(u64, u64)> {
    if b.len() < 4 {
        return None;
    }
    let flags = u16::from_be_bytes([b[0], b[1]]);
    if flags & 7 != 0 {
        return None; // PPTP enhanced GRE: not unwrapped
    }
    let hlen = 4 + 4
        * ((flags & 0x8000 != 0) as usize
            + (flags & 0x2000 != 0) as usize
            + (flags & 0x1000 != 0) as usize);
    let inner = b.get(hlen..)?;
    let depth = depth + 1;
    match u16::from_be_bytes([b[2], b[3]]) {
        0x6558 => ether_pair(inner, depth),
        et @ (ETHERTYPE_IPV4 | ETHERTYPE_IPV6) => ip_pair(et, inner, depth),
        0x88be if inner.len() >= 8 => ether_pair(&inner[8..], depth),
        0x22eb if inner.len() >= 12 => {
            let o = if inner[11] & 0x01 != 0 { 20 } else { 12 };
            ether_pair(inner.get(o..)?, depth)
        }
        _ => None,
    }
}
