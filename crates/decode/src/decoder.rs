//! The stateful [`Decoder`]: counters, the fragment reassembler, and the
//! general path that walks a frame layer by layer. Each layer's step is an
//! `impl Ctx` block in that layer's file (`link.rs`, `vlan.rs`, `mpls.rs`,
//! `ipv4.rs`, `ipv6.rs`, `ip.rs`, `tcp.rs`, `udp.rs`, `icmp.rs`,
//! `tunnel.rs`), each going by its layer's one "what comes next" function.

use crate::defrag::{self, Defrag};
use crate::fast::{fast_ethernet_ipv4, FastV4};
use crate::{linktype, Anomaly, DecodeStats, Packet, IPPROTO_TCP};

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
            macs_set: false,
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
                macs_set: false,
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

/// One frame's walk through the layers: the decoder's state it updates.
pub(crate) struct Ctx<'s> {
    pub(crate) stats: &'s mut DecodeStats,
    pub(crate) defrag: &'s mut Defrag,
    pub(crate) reasm: &'s mut Vec<u8>,
    pub(crate) ts_ns: i64,
    /// A fragment completed a datagram (now in `reasm`).
    pub(crate) completed: bool,
    /// The MAC addresses of a non-IP frame are in the packet (see
    /// `Ctx::l2_macs`).
    pub(crate) macs_set: bool,
}

impl Ctx<'_> {
    pub(crate) fn anomaly(&mut self, p: &mut Packet<'_>, a: Anomaly) {
        p.anomalies.push(a);
        self.stats.anomalies[a as usize & 31] += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_frames::VLAN_TCP;

    #[test]
    fn truncated_everywhere_never_panics() {
        let mut d = Decoder::new();
        for n in 0..VLAN_TCP.len() {
            let p = d.decode(linktype::ETHERNET, &VLAN_TCP[..n], 0);
            assert!(p.payload.len() <= 4);
        }
        // every link type over every prefix and some garbage
        let garbage: Vec<u8> = (0..200u32).map(|i| (i * 37 % 251) as u8).collect();
        for lt in [
            0, 1, 9, 12, 14, 50, 101, 105, 108, 113, 127, 228, 229, 239, 276, 9999,
        ] {
            for n in 0..garbage.len() {
                let _ = d.decode(lt, &garbage[..n], 0);
                let _ = d.decode(lt, &VLAN_TCP[..n.min(VLAN_TCP.len())], 0);
            }
        }
    }
}
