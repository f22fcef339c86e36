//! threshold / detection_filter state: one bounded table per worker
//! (Scratch), open addressing over 4-entry buckets; a full bucket evicts
//! its entry with the oldest window start. One lookup is a multiply-hash
//! and at most 4 compares (no allocation, no lock): Suricata's host/ippair
//! hash tables with their locks are its threshold cost.
//!
//! Semantics (Suricata's detect-engine-threshold.c, docs "Rule
//! Thresholding"), the window starting at the first match of a key:
//! * `limit`: the first `count` matches of a window alert;
//! * `threshold`: every `count`-th match of a window alerts;
//! * `both`: the `count`-th match of a window alerts, once;
//! * `detection_filter`: every match after the `count`-th of a window.
//!
//! Tracking: by_src, by_dst, by_both (the pair), by_rule, by_flow.
use std::net::IpAddr;

use crate::keywords::flow::{Threshold, ThresholdType, Track};

/// Entries of the table (a power of two).
pub const SLOTS: usize = 1 << 16;
const WAYS: usize = 4;

#[derive(Debug, Clone, Copy, Default)]
struct Entry {
    /// 0 = empty.
    key: u64,
    start_ns: i64,
    count: u32,
}

#[derive(Debug)]
pub struct Table {
    e: Vec<Entry>,
}

fn ip_bits(a: IpAddr) -> u128 {
    match a {
        IpAddr::V4(v) => u32::from(v) as u128,
        IpAddr::V6(v) => u128::from(v),
    }
}

fn mix(mut h: u64, v: u64) -> u64 {
    h ^= v;
    h = h.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    h ^ (h >> 29)
}

impl Default for Table {
    fn default() -> Table {
        Table {
            e: vec![Entry::default(); SLOTS],
        }
    }
}

impl Table {
    /// Counts one match of `rule` and says whether it is to be alerted.
    #[allow(clippy::too_many_arguments)]
    pub fn check(
        &mut self,
        t: &Threshold,
        filter: bool,
        rule: u32,
        src: IpAddr,
        dst: IpAddr,
        flow_id: u64,
        now_ns: i64,
    ) -> bool {
        let mut h = mix(0x51_7cc1_b727_220a, rule as u64 + 1);
        let mut add = |x: u128| {
            h = mix(h, x as u64);
            h = mix(h, (x >> 64) as u64);
        };
        match t.track {
            Track::BySrc => add(ip_bits(src)),
            Track::ByDst => add(ip_bits(dst)),
            Track::ByBoth => {
                add(ip_bits(src));
                add(ip_bits(dst))
            }
            Track::ByRule => {}
            Track::ByFlow => add(flow_id as u128),
        }
        let key = h | 1;
        let base = (h as usize >> 7) & (SLOTS - 1) & !(WAYS - 1);
        let window = t.seconds as i64 * 1_000_000_000;
        let bucket = &mut self.e[base..base + WAYS];
        let slot = match bucket.iter().position(|e| e.key == key) {
            Some(i) => i,
            None => {
                let i = bucket
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, e)| if e.key == 0 { i64::MIN } else { e.start_ns })
                    .map_or(0, |(i, _)| i);
                bucket[i] = Entry {
                    key,
                    start_ns: now_ns,
                    count: 0,
                };
                i
            }
        };
        let e = &mut bucket[slot];
        if now_ns.saturating_sub(e.start_ns) >= window && window > 0 {
            e.start_ns = now_ns;
            e.count = 0;
        }
        e.count = e.count.saturating_add(1);
        let n = t.count;
        if filter {
            return e.count > n;
        }
        match t.kind {
            Some(ThresholdType::Limit) => e.count <= n,
            Some(ThresholdType::Threshold) => {
                if e.count >= n {
                    e.count = 0;
                    true
                } else {
                    false
                }
            }
            Some(ThresholdType::Both) => e.count == n,
            // backoff not implemented: every match alerts
            Some(ThresholdType::Backoff(_)) | None => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn t(kind: Option<ThresholdType>, track: Track, count: u32) -> Threshold {
        Threshold {
            kind,
            track,
            count,
            seconds: 60,
        }
    }

    fn run(th: &Threshold, filter: bool, n: usize) -> Vec<bool> {
        let mut tb = Table::default();
        let a = IpAddr::V4(Ipv4Addr::new(1, 2, 3, 4));
        let b = IpAddr::V4(Ipv4Addr::new(5, 6, 7, 8));
        (0..n)
            .map(|i| tb.check(th, filter, 7, a, b, 1, i as i64 * 1_000_000_000))
            .collect()
    }

    #[test]
    fn suricata_doc_threshold_types() {
        // docs: type limit, count 1: one alert per 60 s
        let l = run(&t(Some(ThresholdType::Limit), Track::BySrc, 1), false, 3);
        assert_eq!(l, [true, false, false]);
        // type threshold, count 3: every 3rd
        let th = run(
            &t(Some(ThresholdType::Threshold), Track::BySrc, 3),
            false,
            6,
        );
        assert_eq!(th, [false, false, true, false, false, true]);
        // type both, count 2: once, at the 2nd
        let b = run(&t(Some(ThresholdType::Both), Track::ByDst, 2), false, 4);
        assert_eq!(b, [false, true, false, false]);
        // detection_filter count 2: from the 3rd on
        let d = run(&t(None, Track::ByRule, 2), true, 4);
        assert_eq!(d, [false, false, true, true]);
    }

    #[test]
    fn window_expires_and_keys_are_separate() {
        let th = t(Some(ThresholdType::Limit), Track::BySrc, 1);
        let mut tb = Table::default();
        let a = IpAddr::V4(Ipv4Addr::new(1, 2, 3, 4));
        let c = IpAddr::V4(Ipv4Addr::new(9, 9, 9, 9));
        assert!(tb.check(&th, false, 1, a, c, 0, 0));
        assert!(!tb.check(&th, false, 1, a, c, 0, 1));
        assert!(tb.check(&th, false, 1, c, a, 0, 2), "another source");
        assert!(
            tb.check(&th, false, 1, a, c, 0, 61_000_000_000),
            "window over"
        );
        // bounded: many keys never grow the table
        for i in 0..200_000u32 {
            tb.check(&th, false, 1, IpAddr::V4(Ipv4Addr::from(i)), c, 0, 3);
        }
        assert_eq!(tb.e.len(), SLOTS);
    }
}
