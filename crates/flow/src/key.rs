//! Flow keys: the bidirectional key, a packet's flow fields, and the
//! hashing both directions of a conversation share.

use core::hash::{Hash, Hasher};

/// Bidirectional flow key: the two endpoints are ordered so that both
/// directions of a conversation give the same key.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct FlowKey {
    pub a: [u8; 16],
    pub b: [u8; 16],
    pub pa: u16,
    pub pb: u16,
    pub proto: u8,
    pub v6: bool,
    pub vlan: [u16; 2],
}

impl Hash for FlowKey {
    /// Five word-sized writes instead of field-by-field slice hashing:
    /// this is on the per-packet path.
    #[inline]
    fn hash<H: Hasher>(&self, h: &mut H) {
        let w = |b: &[u8; 16], i: usize| {
            u64::from_ne_bytes([
                b[i],
                b[i + 1],
                b[i + 2],
                b[i + 3],
                b[i + 4],
                b[i + 5],
                b[i + 6],
                b[i + 7],
            ])
        };
        h.write_u64(w(&self.a, 0) ^ w(&self.b, 8).rotate_left(17));
        h.write_u64(w(&self.a, 8) ^ w(&self.b, 0).rotate_left(31));
        h.write_u64(
            (self.pa as u64)
                | (self.pb as u64) << 16
                | (self.proto as u64) << 32
                | (self.v6 as u64) << 40
                | ((self.vlan[0] ^ self.vlan[1].rotate_left(5)) as u64) << 48,
        );
    }
}

/// A packet's flow fields as decoded, in the packet's direction.
#[derive(Clone, Copy, Debug)]
pub struct PacketTuple<'a> {
    pub src: &'a [u8; 16],
    pub sport: u16,
    pub dst: &'a [u8; 16],
    pub dport: u16,
    pub proto: u8,
    pub v6: bool,
    pub vlan: [u16; 2],
}

impl FlowKey {
    /// Whether the packet belongs to this key's flow and, if so, whether
    /// its source is endpoint `a` (what [`FlowKey::new`] would say),
    /// without building the packet's key.
    #[inline(always)]
    pub(crate) fn side_of(&self, t: &PacketTuple<'_>) -> Option<bool> {
        if self.proto != t.proto || self.v6 != t.v6 || self.vlan != t.vlan {
            return None;
        }
        if self.pa == t.sport && self.pb == t.dport && self.a == *t.src && self.b == *t.dst {
            return Some(true);
        }
        if self.pa == t.dport && self.pb == t.sport && self.a == *t.dst && self.b == *t.src {
            return Some(false);
        }
        None
    }

    /// The key as a packet from endpoint `a` (`src_is_a`) or `b`.
    #[inline]
    pub(crate) fn as_packet(&self, src_is_a: bool) -> PacketTuple<'_> {
        let (src, sport, dst, dport) = if src_is_a {
            (&self.a, self.pa, &self.b, self.pb)
        } else {
            (&self.b, self.pb, &self.a, self.pa)
        };
        PacketTuple {
            src,
            sport,
            dst,
            dport,
            proto: self.proto,
            v6: self.v6,
            vlan: self.vlan,
        }
    }

    /// Build the key; the bool says whether `src` is endpoint `a`.
    pub fn new(
        src: &[u8; 16],
        dst: &[u8; 16],
        sport: u16,
        dport: u16,
        proto: u8,
        v6: bool,
        vlan: [u16; 2],
    ) -> (FlowKey, bool) {
        // the same order as comparing (address bytes, port) tuples, in a
        // few instructions: big-endian integers order as their bytes do
        let (s, d) = (u128::from_be_bytes(*src), u128::from_be_bytes(*dst));
        let src_first = s < d || (s == d && sport <= dport);
        let (a, pa, b, pb) = if src_first {
            (*src, sport, *dst, dport)
        } else {
            (*dst, dport, *src, sport)
        };
        (
            FlowKey {
                a,
                b,
                pa,
                pb,
                proto,
                v6,
                vlan,
            },
            src_first,
        )
    }
}

#[inline(always)]
fn fold(a: u64, b: u64) -> u64 {
    let m = (a as u128).wrapping_mul(b as u128);
    (m as u64) ^ ((m >> 64) as u64)
}

impl PacketTuple<'_> {
    /// The index hash of this packet's flow, the same for either
    /// direction: each endpoint (address, port) is mixed alone and the two
    /// are added.
    #[inline(always)]
    pub(crate) fn hash(&self, seed: u64) -> u64 {
        #[inline(always)]
        fn w(b: &[u8; 16], i: usize) -> u64 {
            let mut x = [0u8; 8];
            x.copy_from_slice(&b[i..i + 8]);
            u64::from_ne_bytes(x)
        }
        let rest = (self.proto as u64)
            | (self.v6 as u64) << 8
            | (self.vlan[0] as u64) << 16
            | (self.vlan[1] as u64) << 32;
        hash_parts(
            [w(self.src, 0), w(self.src, 8), self.sport as u64],
            [w(self.dst, 0), w(self.dst, 8), self.dport as u64],
            rest,
            seed,
        )
    }
}

/// The first word of a 16-byte address holding an IPv4 address (the
/// rest zero), computed in registers: building the 16 bytes in memory and
/// loading words back stalls on store forwarding.
#[inline(always)]
pub(crate) fn v4_word(a: [u8; 4]) -> u64 {
    u64::from_ne_bytes([a[0], a[1], a[2], a[3], 0, 0, 0, 0])
}

/// [`PacketTuple::hash`] over words: each endpoint's two address words and
/// port, the protocol/family/VLAN word, the seed.
#[inline(always)]
pub(crate) fn hash_parts(src: [u64; 3], dst: [u64; 3], rest: u64, seed: u64) -> u64 {
    #[inline(always)]
    fn end(e: [u64; 3], seed: u64) -> u64 {
        fold(e[0] ^ seed, e[1] ^ e[2] ^ 0x243f_6a88_85a3_08d3)
    }
    fold(
        end(src, seed).wrapping_add(end(dst, seed)) ^ rest,
        seed ^ 0x1319_8a2e_0370_7344,
    )
}

/// An untagged IPv4 packet's flow fields and hash tag
/// ([`crate::FlowTable::probe_v4`]).
#[derive(Clone, Copy, Debug)]
pub struct V4Probe {
    pub(crate) src: u32,
    pub(crate) dst: u32,
    pub(crate) sport: u16,
    pub(crate) dport: u16,
    pub(crate) proto: u8,
    pub(crate) tag: u32,
}

#[inline]
pub(crate) fn tag(h: u64) -> u32 {
    (h >> 32) as u32
}
