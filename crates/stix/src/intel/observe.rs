//! Matching one event against the loaded indicators.

use std::net::IpAddr;
use std::sync::Arc;

use serde_json::Value;

use super::compile::{decode_hex, str_pattern, v4_pattern, v6_pattern, PREFILTER_REQUEST_VALUE};
use super::direct;
use super::observation::{normalize_domain, Observation};
use super::{tag, Hit, IntelSet, COMPLEX_FLAG, NONE, SIDE_ANY, SIDE_DST, SIDE_SRC, WINDOW_MAX};
use crate::pattern::eval;

/// The value a prefilter field has on an observation, exactly as the
/// evaluator sees it ([`Observation::to_scos`]).
fn prefilter_value<'o>(obs: &Observation<'o>, f: usize) -> Option<std::borrow::Cow<'o, str>> {
    if f == PREFILTER_REQUEST_VALUE {
        if let Some(u) = obs.http_uri {
            return Some(String::from_utf8_lossy(u));
        }
        let has_ext = obs.http_method.is_some() || obs.user_agent.is_some();
        return (has_ext && (obs.src_ip.is_some() || obs.dst_ip.is_some()))
            .then_some(std::borrow::Cow::Borrowed("/"));
    }
    direct::str_field(obs, f)
}

impl IntelSet {
    /// Matches one event; appends a [`Hit`] per matching indicator and
    /// records sightings. No allocation unless something matches or a
    /// full-evaluator pattern covers the event's observable types.
    pub fn observe(&mut self, obs: &Observation<'_>, hits: &mut Vec<Hit>) {
        let start = hits.len();
        self.epoch += 1;
        self.candidates.clear();
        let mut found: [(u32, u8, FoundKey); 16] = [(0, 0, FoundKey::None); 16];
        let mut nfound = 0usize;
        let mut extra: Vec<(u32, u8, FoundKey)> = Vec::new();
        let mut push = |e: u32, side_seen: u8, k: FoundKey| {
            if nfound < found.len() {
                found[nfound] = (e, side_seen, k);
                nfound += 1;
            } else if extra.len() < 4096 {
                extra.push((e, side_seen, k));
            }
        };
        if !self.ips.is_empty() {
            for (ip, side) in [(obs.src_ip, SIDE_SRC), (obs.dst_ip, SIDE_DST)] {
                match ip {
                    Some(IpAddr::V4(a)) => {
                        let a = u32::from(a);
                        self.ips
                            .lookup_v4(a, |e, l| push(e, side, FoundKey::V4(a, l)));
                    }
                    Some(IpAddr::V6(a)) => {
                        let a = u128::from(a);
                        self.ips
                            .lookup_v6(a, |e, l| push(e, side, FoundKey::V6(a, l)));
                    }
                    None => {}
                }
            }
        }
        if !self.strs.is_empty() {
            let mut dbuf = [0u8; 256];
            if let Some(d) = obs.domain.and_then(|d| normalize_domain(d, &mut dbuf)) {
                if let Some(e) = self.strs.get(tag::DOMAIN, d) {
                    push(e, SIDE_ANY, FoundKey::Str(tag::DOMAIN, 0));
                }
                if self.has_suffixes {
                    // The domain itself, then each parent domain.
                    let mut i = 0;
                    let mut first = true;
                    while i < d.len() {
                        let suffix = &d[i..];
                        if let Some(e) = self.strs.get(tag::DOMAIN_SUFFIX, suffix) {
                            push(e, SIDE_ANY, FoundKey::Str(tag::DOMAIN_SUFFIX, i as u16));
                        }
                        if !first {
                            if let Some(e) = self.strs.get(tag::DOMAIN_SUB, suffix) {
                                push(e, SIDE_ANY, FoundKey::Str(tag::DOMAIN_SUB, i as u16));
                            }
                        }
                        first = false;
                        match d[i..].iter().position(|c| *c == b'.') {
                            Some(p) => i += p + 1,
                            None => break,
                        }
                    }
                }
            }
            let plain: [(u8, Option<&[u8]>); 6] = [
                (tag::URL, obs.url),
                (tag::USER_AGENT, obs.user_agent),
                (tag::X509_SERIAL, obs.x509_serial),
                (tag::X509_SUBJECT, obs.x509_subject),
                (tag::X509_ISSUER, obs.x509_issuer),
                (tag::JA4, obs.ja4.map(str::as_bytes)),
            ];
            for (t, v) in plain {
                if let Some(v) = v {
                    if let Some(e) = self.strs.get(t, v) {
                        push(e, SIDE_ANY, FoundKey::Str(t, 0));
                    }
                }
            }
            if let Some(j) = obs.ja3 {
                let mut b = [0u8; 64];
                if j.len() <= 64 {
                    let b = &mut b[..j.len()];
                    b.copy_from_slice(j.as_bytes());
                    b.make_ascii_lowercase();
                    if let Some(e) = self.strs.get(tag::JA3, b) {
                        push(e, SIDE_ANY, FoundKey::Str(tag::JA3, 0));
                    }
                }
            }
            let hashes: [(u8, Option<&str>); 4] = [
                (tag::MD5, obs.md5),
                (tag::SHA1, obs.sha1),
                (tag::SHA256, obs.sha256),
                (tag::X509_SHA1, obs.x509_sha1),
            ];
            for (t, h) in hashes {
                let Some(h) = h else { continue };
                let mut b = [0u8; 32];
                if let Some(n) = decode_hex(h.trim().as_bytes(), &mut b) {
                    if let Some(e) = self.strs.get(t, &b[..n]) {
                        push(e, SIDE_ANY, FoundKey::Str(t, 0));
                    }
                }
            }
        }
        let all: Vec<(u32, u8, FoundKey)> = if nfound == 0 && extra.is_empty() {
            Vec::new()
        } else {
            found[..nfound].iter().copied().chain(extra).collect()
        };
        for (head, side_seen, key) in all {
            let mut i = head;
            let mut n = 0;
            while i != NONE && n < 100_000 {
                let en = self.entries[i as usize];
                if en.side & side_seen != 0 {
                    if en.meta & COMPLEX_FLAG != 0 {
                        let ci = en.meta & !COMPLEX_FLAG;
                        if let Some(c) = self.complex.get_mut(ci as usize) {
                            if c.stamp != self.epoch {
                                c.stamp = self.epoch;
                                self.candidates.push(ci);
                            }
                        }
                    } else {
                        self.fast_hit(en.meta, en.sid, key, obs, hits);
                    }
                }
                i = en.next;
                n += 1;
            }
        }
        if !self.complex.is_empty() {
            self.observe_complex(obs, hits);
        }
        self.candidates.clear();
        // One hit per indicator per event (an IP on both sides, or a
        // pattern with several keys, would otherwise repeat).
        let mut k = start;
        while k < hits.len() {
            let dup = hits[start..k].iter().any(|h| {
                h.signature_id == hits[k].signature_id
                    && h.indicator_index == hits[k].indicator_index
                    && h.matched == hits[k].matched
            });
            if dup {
                hits.remove(k);
            } else {
                k += 1;
            }
        }
        for h in &hits[start..] {
            self.stats.hits += 1;
            let key = if h.meta.id.is_some() {
                String::new()
            } else {
                h.matched.clone()
            };
            let (mi, matched) = (h.indicator_index, h.matched.clone());
            self.record_sighting(mi, key, matched, obs);
        }
    }

    fn fast_hit(
        &self,
        mi: u32,
        sid: u32,
        key: FoundKey,
        obs: &Observation<'_>,
        hits: &mut Vec<Hit>,
    ) {
        let Some(meta) = self.metas.get(mi as usize) else {
            return;
        };
        if meta.valid_until.is_some_and(|u| i128::from(obs.ts_ns) > u) {
            return;
        }
        let matched = match &meta.pattern {
            Some(p) => p.clone(),
            None => self.list_pattern(key, obs),
        };
        hits.push(Hit {
            meta: meta.clone(),
            matched,
            ts_ns: obs.ts_ns,
            indicator_index: mi,
            signature_id: sid,
        });
    }

    /// The pattern equivalent to a plain-list key that matched.
    fn list_pattern(&self, key: FoundKey, obs: &Observation<'_>) -> String {
        match key {
            FoundKey::V4(a, l) => v4_pattern(a, l),
            FoundKey::V6(a, l) => v6_pattern(a, l),
            FoundKey::Str(t, off) => {
                let mut dbuf = [0u8; 256];
                let dom = obs
                    .domain
                    .and_then(|d| normalize_domain(d, &mut dbuf))
                    .unwrap_or(b"");
                let lossy = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
                let hex = |h: Option<&str>| h.unwrap_or("").trim().to_ascii_lowercase();
                let value = match t {
                    tag::DOMAIN => lossy(dom),
                    tag::DOMAIN_SUFFIX | tag::DOMAIN_SUB => {
                        lossy(dom.get(usize::from(off)..).unwrap_or(b""))
                    }
                    tag::URL => lossy(obs.url.unwrap_or(b"")),
                    tag::MD5 => hex(obs.md5),
                    tag::SHA1 => hex(obs.sha1),
                    tag::SHA256 => hex(obs.sha256),
                    _ => String::new(),
                };
                str_pattern(t, &value)
            }
            FoundKey::None => String::new(),
        }
    }

    fn observe_complex(&mut self, obs: &Observation<'_>, hits: &mut Vec<Hit>) {
        for (f, set, cis) in &self.prefilter {
            let Some(v) = prefilter_value(obs, *f) else {
                continue;
            };
            for m in set.matches(&eval::nfc(&v)).iter() {
                if let Some(&ci) = cis.get(m) {
                    if let Some(c) = self.complex.get_mut(ci as usize) {
                        if c.stamp != self.epoch {
                            c.stamp = self.epoch;
                            self.candidates.push(ci);
                        }
                    }
                }
            }
        }
        let mask = obs.type_mask();
        if mask & self.complex_mask != 0 {
            for k in 0..self.untriggered.len() {
                let ci = self.untriggered[k];
                if let Some(c) = self.complex.get_mut(ci as usize) {
                    if c.mask & mask != 0 && c.stamp != self.epoch {
                        c.stamp = self.epoch;
                        self.candidates.push(ci);
                    }
                }
            }
        }
        if self.candidates.is_empty() {
            return;
        }
        let ts = i128::from(obs.ts_ns);
        // The event's cyber-observables, built once and only if needed.
        let mut scos: Option<Arc<Vec<Value>>> = None;
        let mut cands = std::mem::take(&mut self.candidates);
        for &ci in &cands {
            let Some(c) = self.complex.get_mut(ci as usize) else {
                continue;
            };
            let meta = &self.metas[c.meta as usize];
            if meta.valid_until.is_some_and(|u| ts > u) {
                continue;
            }
            // Does one `[ … ]` hold on this event?
            let mut leaf_hit = false;
            let mut err = false;
            let mut leaves = Vec::new();
            eval::for_each_leaf(&c.pattern.root, &mut |ce| leaves.push(ce));
            for ce in leaves {
                let r = match direct::eval(obs, ce) {
                    Some(bits) => Ok(bits != 0),
                    None => {
                        let s = scos.get_or_insert_with(|| Arc::new(obs.to_scos()));
                        let one = eval::Observation {
                            id: "",
                            first: ts,
                            last: ts,
                            count: 1,
                            objects: s.iter().collect(),
                        };
                        eval::comp_matches(ce, &one)
                    }
                };
                match r {
                    Ok(true) => {
                        leaf_hit = true;
                        break;
                    }
                    Ok(false) => {}
                    Err(_) => err = true,
                }
            }
            if err {
                self.stats.eval_errors += 1;
            }
            if !leaf_hit {
                continue;
            }
            if c.single {
                hits.push(Hit {
                    meta: meta.clone(),
                    matched: meta.pattern.clone().unwrap_or_default(),
                    ts_ns: obs.ts_ns,
                    indicator_index: c.meta,
                    signature_id: meta.signature_id,
                });
                continue;
            }
            while let Some((t, _)) = c.window.front() {
                if ts - i128::from(*t) > c.horizon_ns || c.window.len() >= WINDOW_MAX {
                    c.window.pop_front();
                } else {
                    break;
                }
            }
            let s = scos.get_or_insert_with(|| Arc::new(obs.to_scos())).clone();
            c.window.push_back((obs.ts_ns, s));
            let window_obs = eval::Observations {
                obs: c
                    .window
                    .iter()
                    .map(|(t, s)| eval::Observation {
                        id: "",
                        first: i128::from(*t),
                        last: i128::from(*t),
                        count: 1,
                        objects: s.iter().collect(),
                    })
                    .collect(),
            };
            match eval::matches(&c.pattern, &window_obs) {
                Ok(true) => {
                    hits.push(Hit {
                        meta: meta.clone(),
                        matched: meta.pattern.clone().unwrap_or_default(),
                        ts_ns: obs.ts_ns,
                        indicator_index: c.meta,
                        signature_id: meta.signature_id,
                    });
                    c.window.clear();
                }
                Ok(false) => {}
                Err(_) => self.stats.eval_errors += 1,
            }
        }
        cands.clear();
        self.candidates = cands;
    }
}

/// Which key matched, to rebuild the indicator text for list entries.
#[derive(Clone, Copy, Debug)]
enum FoundKey {
    None,
    V4(u32, u8),
    V6(u128, u8),
    /// Tag, and for suffixes the offset of the suffix in the domain.
    Str(u8, u16),
}
