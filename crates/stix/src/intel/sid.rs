//! Signature ids: each indicator (each STIX indicator, each line of an IOC
//! list) raises alerts under its own Suricata `signature_id`, stable across
//! runs and independent of load order.
//!
//! The id is [`SID_BASE`] + FNV-1a-64(key) mod [`SID_SPAN`], so it lies in
//! 2,000,000,000..=3,999,999,999 (above the ranges Suricata rule sets use:
//! ET Open 2,000,000-2,999,999, ET Pro 2,800,000-2,899,999, local
//! 1,000,000-1,999,999). The key is the STIX indicator id, or for a list
//! line the list's name (`#@ name=…`, else the file name), a newline, and
//! the line's pattern as alerts show it in `stix_pattern` (for example
//! `[ipv4-addr:value ISSUBSET '10.0.0.0/8']`). If two keys ever give the same
//! id, the one loaded later takes the next free id (wrapping in the range).

use hashbrown::HashMap;

/// Lowest signature id given to an indicator.
pub const SID_BASE: u32 = 2_000_000_000;
/// Number of signature ids in the range.
pub const SID_SPAN: u32 = 2_000_000_000;

fn fnv1a64(b: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &c in b {
        h ^= u64::from(c);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The signature id of `key` when no other key collides with it.
pub fn signature_id_of(key: &str) -> u32 {
    SID_BASE + (fnv1a64(key.as_bytes()) % u64::from(SID_SPAN)) as u32
}

/// The signature ids handed out so far (id → full hash of its key).
#[derive(Default)]
pub(super) struct SidAllocator {
    taken: HashMap<u32, u64, foldhash::fast::FixedState>,
}

impl SidAllocator {
    /// The id of `key`: [`signature_id_of`], or the next free one if another
    /// key holds it. The same key always gets the same id.
    pub(super) fn assign(&mut self, key: &str) -> u32 {
        let h = fnv1a64(key.as_bytes());
        let mut off = (h % u64::from(SID_SPAN)) as u32;
        // At most SID_SPAN probes; the table never holds that many ids
        // (entries are u32-indexed and far fewer in practice).
        for _ in 0..SID_SPAN {
            let sid = SID_BASE + off;
            match self.taken.get(&sid) {
                None => {
                    self.taken.insert(sid, h);
                    return sid;
                }
                Some(x) if *x == h => return sid,
                Some(_) => off = (off + 1) % SID_SPAN,
            }
        }
        SID_BASE
    }

    pub(super) fn shrink_to_fit(&mut self) {
        self.taken.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_in_range_and_collisions_probe() {
        // FNV-1a-64 reference value: fnv1a64("a") = 0xaf63dc4c8601ec8c.
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        let k = "iocs.txt\n[ipv4-addr:value = '75.98.70.31']";
        let sid = signature_id_of(k);
        assert!((SID_BASE..SID_BASE + SID_SPAN).contains(&sid));
        let mut a = SidAllocator::default();
        assert_eq!(a.assign(k), sid);
        assert_eq!(a.assign(k), sid, "same key, same id");
        // A different key whose hash lands on the same id takes the next one.
        a.taken.insert(sid + 1, 0);
        let other = a.taken.len();
        a.taken.insert(SID_BASE + SID_SPAN - 1, 1);
        assert_eq!(a.taken.len(), other + 1);
        let mut b = SidAllocator::default();
        b.taken.insert(sid, 12345);
        assert_eq!(b.assign(k), sid + 1);
    }
}
