//! What decoding yields: the flat [`Packet`] the flow engine reads, its
//! [`L3`] and [`TcpInfo`], the decoder's [`Anomaly`] names and the
//! [`DecodeStats`] counters. No parsing here: the layer files fill these.

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
    pub(crate) fn push(&mut self, a: Anomaly) {
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
    /// Another EtherType (past any VLAN tags), not decoded here: the
    /// layer-2 path's frames. `Packet::payload` holds the bytes after the
    /// EtherType and, for an Ethernet frame, `src` / `dst` its source and
    /// destination MAC addresses (first 6 bytes; see [`Packet::src_mac`]).
    Other(u16),
}

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
    /// Transport payload (TCP/UDP data, or ICMP body); for
    /// [`L3::Other`], the bytes after the EtherType and VLAN tags.
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
    /// The source MAC address of a frame of another EtherType
    /// ([`L3::Other`], from an Ethernet header; zeros for other link
    /// types and for IP or ARP packets).
    pub fn src_mac(&self) -> [u8; 6] {
        self.mac(&self.src)
    }
    /// The destination MAC address, as [`Packet::src_mac`].
    pub fn dst_mac(&self) -> [u8; 6] {
        self.mac(&self.dst)
    }
    fn mac(&self, a: &[u8; 16]) -> [u8; 6] {
        let mut m = [0; 6];
        if let L3::Other(_) = self.l3 {
            m.copy_from_slice(&a[..6]);
        }
        m
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
