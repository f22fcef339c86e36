//! What IPv4 and IPv6 share: the protocol numbers, the one rule for the
//! layer a protocol number announces ([`ip_proto_next`]), the version
//! nibble, fragment reassembly and the decoding of a rebuilt datagram.

use crate::decoder::Ctx;
use crate::defrag::{FragKey, FragOutcome};
use crate::link::{ETHERTYPE_IPV4, ETHERTYPE_IPV6};
use crate::wire::Ipv4Packet;
use crate::{Anomaly, Packet, L3};

pub const IPPROTO_ICMP: u8 = 1;
pub const IPPROTO_TCP: u8 = 6;
pub const IPPROTO_UDP: u8 = 17;
pub const IPPROTO_GRE: u8 = 47;
pub const IPPROTO_ICMPV6: u8 = 58;

/// What an IP protocol number (after IPv6 extension headers) announces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IpNext {
    Tcp,
    Udp,
    Icmpv4,
    Icmpv6,
    /// GRE: see [`crate::tunnel`]
    Gre,
    /// not decoded
    Other,
}

/// The one rule for the layer an IP protocol number announces.
#[inline(always)]
pub(crate) fn ip_proto_next(proto: u8) -> IpNext {
    match proto {
        IPPROTO_TCP => IpNext::Tcp,
        IPPROTO_UDP => IpNext::Udp,
        IPPROTO_ICMP => IpNext::Icmpv4,
        IPPROTO_ICMPV6 => IpNext::Icmpv6,
        IPPROTO_GRE => IpNext::Gre,
        _ => IpNext::Other,
    }
}

/// The EtherType of an IP packet by its version nibble (raw IP, MPLS).
#[inline]
pub(crate) fn version_ethertype(data: &[u8]) -> Option<u16> {
    match data.first().map(|b| b >> 4) {
        Some(4) => Some(ETHERTYPE_IPV4),
        Some(6) => Some(ETHERTYPE_IPV6),
        _ => None,
    }
}

impl Ctx<'_> {
    /// The transport (or tunnel) an IP packet of `proto` carries.
    pub(crate) fn transport<'a>(&mut self, proto: u8, data: &'a [u8], p: &mut Packet<'a>) {
        p.proto = proto;
        match ip_proto_next(proto) {
            IpNext::Tcp => self.tcp(data, p),
            IpNext::Udp => self.udp(data, p),
            IpNext::Icmpv4 => self.icmp(false, data, p),
            IpNext::Icmpv6 => self.icmp(true, data, p),
            IpNext::Gre => self.gre(data, p),
            IpNext::Other => {}
        }
    }

    /// Hand a fragment to the reassembler; a completed datagram is decoded
    /// afterwards from the reassembly buffer ([`Ctx::ip_reassembled`]).
    pub(crate) fn fragment(
        &mut self,
        key: FragKey,
        offset: usize,
        more: bool,
        header: &[u8],
        payload: &[u8],
        p: &mut Packet<'_>,
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
    pub(crate) fn ip_reassembled<'a>(&mut self, data: &'a [u8], p: &mut Packet<'a>) {
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
}
