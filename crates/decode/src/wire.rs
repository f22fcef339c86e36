//! Zero-copy header views, one per layer file (smoltcp `wire` style), all
//! re-exported here. Each `new_checked` validates lengths once; the
//! accessors then index within those bounds and cannot panic.

pub use crate::ipv4::Ipv4Packet;
pub use crate::ipv6::Ipv6Packet;
pub use crate::link::{
    EthernetFrame, Sll2Header, SllHeader, ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6,
    ETHERTYPE_MPLS, ETHERTYPE_MPLS_MC, ETHERTYPE_QINQ, ETHERTYPE_QINQ_OLD, ETHERTYPE_VLAN,
};
pub use crate::tcp::{tcp_flags, TcpSegment};
pub use crate::udp::UdpDatagram;

/// Big-endian fields of a fixed-size header: the array type carries the
/// length checked at construction, so with constant offsets these compile
/// to plain loads without bounds checks.
#[inline(always)]
pub(crate) fn h16<const N: usize>(h: &[u8; N], at: usize) -> u16 {
    u16::from_be_bytes([h[at], h[at + 1]])
}
#[inline(always)]
pub(crate) fn h32<const N: usize>(h: &[u8; N], at: usize) -> u32 {
    u32::from_be_bytes([h[at], h[at + 1], h[at + 2], h[at + 3]])
}

/// A big-endian u16 of a slice whose length the caller checked.
#[inline]
pub(crate) fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}
