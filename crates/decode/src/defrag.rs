//! Bounded IP fragment reassembly (IPv4 and IPv6).
//!
//! Policy: *first wins* — bytes already received for an offset are kept and
//! later overlapping bytes only fill holes (an overlap is flagged as an
//! anomaly). Bounds: number of datagrams in reassembly, bytes per datagram
//! (65,535 + header), total memory, and a timeout; when a bound is hit the
//! oldest train is dropped, so hostile fragment floods cannot grow memory.

use hashbrown_lite::Map;

#[derive(Clone, Copy, Debug)]
pub struct DefragConfig {
    pub max_trackers: usize,
    pub memcap: usize,
    pub timeout_ns: i64,
}

impl Default for DefragConfig {
    fn default() -> Self {
        DefragConfig {
            max_trackers: 4096,
            memcap: 32 << 20,
            timeout_ns: 60_000_000_000,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FragKey {
    pub src: [u8; 16],
    pub dst: [u8; 16],
    pub id: u32,
    pub proto: u8,
    pub v6: bool,
    pub vlan: u16,
}

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum FragOutcome {
    Pending,
    /// The datagram is complete and was written to the output buffer.
    Complete,
    Overlap,
    TooLarge,
    Memcap,
}

const MAX_DATAGRAM: usize = 65_535;
const MAX_RANGES: usize = 64;

struct Tracker {
    header: Vec<u8>,
    data: Vec<u8>,
    /// received byte ranges, sorted and merged
    ranges: Vec<(usize, usize)>,
    total: Option<usize>,
    first_ts: i64,
}

pub struct Defrag {
    cfg: DefragConfig,
    trackers: Map<FragKey, Tracker>,
    memuse: usize,
}

impl Defrag {
    pub fn new(cfg: DefragConfig) -> Self {
        Defrag {
            cfg,
            trackers: Map::default(),
            memuse: 0,
        }
    }

    pub fn memuse(&self) -> usize {
        self.memuse
    }

    pub fn len(&self) -> usize {
        self.trackers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.trackers.is_empty()
    }

    fn remove(&mut self, key: &FragKey) -> Option<Tracker> {
        let t = self.trackers.remove(key)?;
        self.memuse -= t.data.capacity() + t.header.capacity();
        Some(t)
    }

    fn evict_oldest(&mut self) {
        if let Some(k) = self
            .trackers
            .iter()
            .min_by_key(|(_, t)| t.first_ts)
            .map(|(k, _)| *k)
        {
            self.remove(&k);
        }
    }

    pub fn expire(&mut self, now_ns: i64) {
        let timeout = self.cfg.timeout_ns;
        let old: Vec<FragKey> = self
            .trackers
            .iter()
            .filter(|(_, t)| now_ns - t.first_ts > timeout)
            .map(|(k, _)| *k)
            .collect();
        for k in old {
            self.remove(&k);
        }
    }

    /// Add one fragment. `header` is the IP header to rebuild the datagram
    /// with (taken from the offset-0 fragment). On `Complete`, `out` holds
    /// header + reassembled payload with length/fragment fields fixed.
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        key: FragKey,
        offset: usize,
        more: bool,
        header: &[u8],
        payload: &[u8],
        ts_ns: i64,
        out: &mut Vec<u8>,
    ) -> FragOutcome {
        let end = offset + payload.len();
        if end > MAX_DATAGRAM {
            self.remove(&key);
            return FragOutcome::TooLarge;
        }
        if !self.trackers.contains_key(&key) {
            if self.trackers.len() >= self.cfg.max_trackers {
                self.evict_oldest();
            }
            self.trackers.insert(
                key,
                Tracker {
                    header: Vec::new(),
                    data: Vec::new(),
                    ranges: Vec::new(),
                    total: None,
                    first_ts: ts_ns,
                },
            );
        }
        // memory accounting: growth of the buffers' capacity, which grows
        // to exactly `want` (a power of two up to the largest datagram, so
        // a datagram sent in many fragments reallocates a few times only)
        let want = if end > self.trackers[&key].data.capacity() {
            end.next_power_of_two().min(MAX_DATAGRAM).max(end)
        } else {
            0
        };
        let (grow, hdr_grow) = {
            let t = &self.trackers[&key];
            (
                want.saturating_sub(t.data.capacity()),
                if offset == 0 && t.header.is_empty() {
                    header.len()
                } else {
                    0
                },
            )
        };
        while self.memuse + grow + hdr_grow > self.cfg.memcap && self.trackers.len() > 1 {
            // drop others first, oldest first
            let victim = self
                .trackers
                .iter()
                .filter(|(k, _)| **k != key)
                .min_by_key(|(_, t)| t.first_ts)
                .map(|(k, _)| *k);
            match victim {
                Some(v) => {
                    self.remove(&v);
                }
                None => break,
            }
        }
        if self.memuse + grow + hdr_grow > self.cfg.memcap {
            self.remove(&key);
            return FragOutcome::Memcap;
        }
        let t = match self.trackers.get_mut(&key) {
            Some(t) => t,
            None => return FragOutcome::Pending,
        };
        let before = t.data.capacity() + t.header.capacity();
        let mut overlap = false;
        if t.data.len() < end {
            // exact growth to what the memcap check allowed (Vec's own
            // amortised doubling could take twice that)
            if want > t.data.capacity() {
                t.data.reserve_exact(want - t.data.len());
            }
            t.data.resize(end, 0);
        }
        if offset == 0 && t.header.is_empty() {
            t.header.reserve_exact(header.len());
            t.header.extend_from_slice(header);
        }
        if !more {
            match t.total {
                Some(tot) if tot != end => overlap = true,
                _ => t.total = Some(end),
            }
        }
        // copy only the holes (first wins)
        let mut pos = offset;
        let mut idx = 0;
        while pos < end {
            // find first range ending after pos
            while idx < t.ranges.len() && t.ranges[idx].1 <= pos {
                idx += 1;
            }
            let hole_end = if idx < t.ranges.len() && t.ranges[idx].0 <= pos {
                // pos is inside a range: skip it
                overlap = true;
                pos = t.ranges[idx].1.min(end);
                continue;
            } else if idx < t.ranges.len() {
                t.ranges[idx].0.min(end)
            } else {
                end
            };
            t.data[pos..hole_end].copy_from_slice(&payload[pos - offset..hole_end - offset]);
            pos = hole_end;
        }
        insert_range(&mut t.ranges, offset, end);
        let after = t.data.capacity() + t.header.capacity();
        let too_many = t.ranges.len() > MAX_RANGES;
        let complete = matches!(t.total, Some(tot) if t.ranges.len() == 1 && t.ranges[0] == (0, tot))
            && !t.header.is_empty();
        self.memuse = self.memuse + after - before;
        if too_many {
            self.remove(&key);
            return FragOutcome::Memcap;
        }
        if complete {
            if let Some(t) = self.remove(&key) {
                out.clear();
                out.extend_from_slice(&t.header);
                let tot = t.total.unwrap_or(0);
                out.extend_from_slice(&t.data[..tot]);
                if !key.v6 && out.len() >= 20 {
                    let len = (out.len().min(65_535)) as u16;
                    out[2..4].copy_from_slice(&len.to_be_bytes());
                    out[6] = 0;
                    out[7] = 0;
                } else if key.v6 && out.len() >= 40 {
                    let plen = ((out.len() - 40).min(65_535)) as u16;
                    out[4..6].copy_from_slice(&plen.to_be_bytes());
                }
                return FragOutcome::Complete;
            }
        }
        if overlap {
            FragOutcome::Overlap
        } else {
            FragOutcome::Pending
        }
    }
}

fn insert_range(ranges: &mut Vec<(usize, usize)>, start: usize, end: usize) {
    if start >= end {
        return;
    }
    let mut s = start;
    let mut e = end;
    let mut i = 0;
    while i < ranges.len() {
        let (a, b) = ranges[i];
        if b < s {
            i += 1;
            continue;
        }
        if a > e {
            break;
        }
        s = s.min(a);
        e = e.max(b);
        ranges.remove(i);
    }
    ranges.insert(i, (s, e));
}

/// A tiny alias module so the map type is easy to swap.
mod hashbrown_lite {
    pub type Map<K, V> = std::collections::HashMap<K, V>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> FragKey {
        FragKey {
            src: [1; 16],
            dst: [2; 16],
            id: 7,
            proto: 17,
            v6: false,
            vlan: 0,
        }
    }

    fn hdr() -> [u8; 20] {
        let mut h = [0u8; 20];
        h[0] = 0x45;
        h[9] = 17;
        h
    }

    #[test]
    fn in_order_and_reverse_and_overlap() {
        let payload: Vec<u8> = (0..48u8).collect();
        for order in [[0usize, 1, 2], [2, 1, 0], [1, 2, 0]] {
            let mut d = Defrag::new(DefragConfig::default());
            let mut out = Vec::new();
            let mut res = FragOutcome::Pending;
            for &i in &order {
                let off = i * 16;
                res = d.add(
                    key(),
                    off,
                    i != 2,
                    &hdr(),
                    &payload[off..off + 16],
                    0,
                    &mut out,
                );
            }
            assert_eq!(res, FragOutcome::Complete);
            assert_eq!(&out[20..], &payload[..]);
            assert_eq!(u16::from_be_bytes([out[2], out[3]]), 68);
            assert_eq!(d.memuse(), 0);
        }
        // overlap: second copy of bytes 8..24 with different content loses
        let mut d = Defrag::new(DefragConfig::default());
        let mut out = Vec::new();
        assert_eq!(
            d.add(key(), 0, true, &hdr(), &payload[0..16], 0, &mut out),
            FragOutcome::Pending
        );
        assert_eq!(
            d.add(key(), 8, true, &hdr(), &[0xee; 16], 0, &mut out),
            FragOutcome::Overlap
        );
        assert_eq!(
            d.add(key(), 24, false, &hdr(), &payload[24..48], 0, &mut out),
            FragOutcome::Complete
        );
        assert_eq!(&out[20..36], &payload[0..16]);
        assert_eq!(&out[36..44], &[0xee; 8]);
    }

    #[test]
    fn bounded_under_flood() {
        let cfg = DefragConfig {
            max_trackers: 100,
            memcap: 1 << 20,
            timeout_ns: 1,
        };
        let mut d = Defrag::new(cfg);
        let mut out = Vec::new();
        for id in 0..10_000u32 {
            let mut k = key();
            k.id = id;
            // a far fragment that never completes
            d.add(k, 60_000, true, &hdr(), &[0u8; 1000], id as i64, &mut out);
            assert!(d.len() <= 100);
            assert!(d.memuse() <= 1 << 20);
        }
        d.expire(1_000_000);
        assert!(d.is_empty());
        assert_eq!(d.memuse(), 0);
    }

    #[test]
    fn growing_datagram_stays_under_the_memcap() {
        // found by the decode_packet fuzz target: fragments that extend one
        // datagram a little at a time let the buffer's amortised doubling
        // pass the memcap
        let cap = 100_000;
        let cfg = DefragConfig {
            max_trackers: 16,
            memcap: cap,
            timeout_ns: i64::MAX,
        };
        let mut d = Defrag::new(cfg);
        let mut out = Vec::new();
        for id in 0..8u32 {
            let mut k = key();
            k.id = id;
            let mut off = 8;
            while off + 8 <= 60_000 {
                d.add(k, off, true, &hdr(), &[0u8; 8], 0, &mut out);
                assert!(d.memuse() <= cap, "memuse {} at {off}", d.memuse());
                off += 8 * 37;
            }
        }
    }

    #[test]
    fn too_large_is_rejected() {
        let mut d = Defrag::new(DefragConfig::default());
        let mut out = Vec::new();
        assert_eq!(
            d.add(key(), 65_528, false, &hdr(), &[0u8; 100], 0, &mut out),
            FragOutcome::TooLarge
        );
    }
}
