//! Packet decoding: link layer → VLAN → IP (fragments reassembled) →
//! TCP/UDP/ICMP, into one flat [`Packet`] the flow engine reads directly.
//!
//! Written by hand rather than with `etherparse`: the engine needs fragment
//! identities for a *bounded* reassembler (etherparse's pool is unbounded),
//! tunnel recursion (GRE, VXLAN), Linux SLL2 and BSD loopback, Suricata's
//! per-layer decoder anomaly names, and a result with no allocation per
//! packet. Every header view checks its length once in `new_checked`, so
//! field accessors cannot panic (smoltcp `wire` style).
//!
//! Laid out as smoltcp's `src/wire/`: one file per layer, each with its
//! header view, its checks, its ONE "what comes next" function and its step
//! of the general decoder (an `impl Ctx` block). The general decoder
//! ([`Decoder`]), the fast path ([`fast_ethernet_ipv4`]) and the thread
//! hash ([`address_pair_hash`]) all go from layer to layer by those
//! functions:
//!
//! | file | layer | what comes next |
//! |---|---|---|
//! | `link.rs` | Ethernet, SLL, SLL2, NULL/LOOP, raw, PPP, NFLOG, 802.11 | `link_next`, `next_after_ethertype` |
//! | `vlan.rs` | 802.1Q / QinQ tags | `strip_tags` |
//! | `mpls.rs` | MPLS label stack | `mpls_next` |
//! | `ip.rs` | what IPv4 and IPv6 share, reassembly | `ip_proto_next` |
//! | `ipv4.rs` | IPv4 | (the protocol number) |
//! | `ipv6.rs` | IPv6 and its extension headers | `walk_ext` |
//! | `tcp.rs`, `icmp.rs` | TCP; ICMP and ICMPv6 | (nothing) |
//! | `udp.rs` | UDP | `udp_tunnel` |
//! | `tunnel.rs` | GRE, VXLAN, GENEVE, GRE-in-UDP, AYIYA | `GreHeader::next`, `vxlan_next`, `geneve_next`, `ayiya_next` |
//!
//! and `packet.rs` (what decoding yields), `decoder.rs` (the stateful
//! decoder), `fast.rs` (the fast path), `hash.rs` (the thread hash),
//! `defrag.rs` (the bounded reassembler), `wire.rs` (every view, re-exported).
#![forbid(unsafe_code)]

pub mod defrag;
pub mod wire;

mod decoder;
mod fast;
mod hash;
mod icmp;
mod ip;
mod ipv4;
mod ipv6;
mod link;
mod mpls;
mod packet;
mod tcp;
mod tunnel;
mod udp;
mod vlan;

#[cfg(test)]
mod test_frames;

pub use decoder::Decoder;
pub use fast::{fast_ethernet_ipv4, FastHdr, FastV4};
pub use hash::{address_pair_hash, tunnel_fragment, v4_pair_hash, TunnelFragment};
pub use icmp::IcmpHeader;
pub use ip::{IPPROTO_GRE, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP};
pub use link::linktype;
pub use packet::{Anomalies, Anomaly, DecodeStats, Packet, TcpInfo, L3};
