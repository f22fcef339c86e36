//! Compiling indicators: fast-path keys for equality patterns, trigger
//! keys and regex prefilters for the full evaluator, and the entry chains
//! of the fast-path tables.

use std::collections::VecDeque;
use std::sync::Arc;

use super::direct;
use super::observation::{normalize_domain, types};
use super::table::{mask4, mask6};
use super::{tag, Complex, Entry, IndicatorMeta, IntelSet, COMPLEX_FLAG, DEFAULT_HORIZON_NS, NONE};
use super::{SIDE_ANY, SIDE_DST, SIDE_SRC};
use crate::pattern::{eval, CompExpr, Literal, ObsExpr, Op, Pattern, Step};

/// A fast-path key extracted from a pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum FastKey {
    V4(u32, u8, u8),
    V6(u128, u8, u8),
    Str(u8, Vec<u8>),
}

impl FastKey {
    /// The pattern a plain-list line with this key stands for, as alerts
    /// show it in `stix_pattern` (the key of its signature id).
    pub(super) fn list_pattern(&self) -> String {
        match self {
            FastKey::V4(a, l, _) => v4_pattern(*a, *l),
            FastKey::V6(a, l, _) => v6_pattern(*a, *l),
            FastKey::Str(t @ (tag::MD5 | tag::SHA1 | tag::SHA256), b) => {
                let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
                str_pattern(*t, &hex)
            }
            FastKey::Str(t, b) => str_pattern(*t, &String::from_utf8_lossy(b)),
        }
    }
}

/// `[ipv4-addr:value = 'a']`, or `ISSUBSET 'net/l'` for a network.
pub(super) fn v4_pattern(a: u32, l: u8) -> String {
    if l >= 32 {
        format!("[ipv4-addr:value = '{}']", std::net::Ipv4Addr::from(a))
    } else {
        let net = std::net::Ipv4Addr::from(a & mask4(l));
        format!("[ipv4-addr:value ISSUBSET '{net}/{l}']")
    }
}

/// `[ipv6-addr:value = 'a']`, or `ISSUBSET 'net/l'` for a network.
pub(super) fn v6_pattern(a: u128, l: u8) -> String {
    if l >= 128 {
        format!("[ipv6-addr:value = '{}']", std::net::Ipv6Addr::from(a))
    } else {
        let net = std::net::Ipv6Addr::from(a & mask6(l));
        format!("[ipv6-addr:value ISSUBSET '{net}/{l}']")
    }
}

/// The pattern of a string-table entry of tag `t` whose normalised value is
/// `value` (a domain or domain suffix, a URL, lower-case hex digest).
pub(super) fn str_pattern(t: u8, value: &str) -> String {
    let v = value.replace('\\', "\\\\").replace('\'', "\\'");
    match t {
        tag::DOMAIN => format!("[domain-name:value = '{v}']"),
        tag::DOMAIN_SUFFIX => {
            format!("[domain-name:value = '{v}' OR domain-name:value LIKE '%.{v}']")
        }
        tag::DOMAIN_SUB => format!("[domain-name:value LIKE '%.{v}']"),
        tag::URL => format!("[url:value = '{v}']"),
        tag::MD5 => format!("[file:hashes.MD5 = '{v}']"),
        tag::SHA1 => format!("[file:hashes.'SHA-1' = '{v}']"),
        tag::SHA256 => format!("[file:hashes.'SHA-256' = '{v}']"),
        _ => "[x-unknown:value = '']".into(),
    }
}

pub(super) fn decode_hex(s: &[u8], out: &mut [u8]) -> Option<usize> {
    if s.len() % 2 == 1 || s.len() / 2 > out.len() {
        return None;
    }
    for (i, p) in s.chunks_exact(2).enumerate() {
        let h = (p[0] as char).to_digit(16)?;
        let l = (p[1] as char).to_digit(16)?;
        out[i] = (h * 16 + l) as u8;
    }
    Some(s.len() / 2)
}

pub(super) fn hash_key(tag: u8, hex: &str) -> Option<FastKey> {
    let want = match tag {
        tag::MD5 => 32,
        tag::SHA1 | tag::X509_SHA1 => 40,
        _ => 64,
    };
    let h = hex.trim();
    if h.len() != want {
        return None;
    }
    let mut buf = [0u8; 32];
    let n = decode_hex(h.as_bytes(), &mut buf)?;
    Some(FastKey::Str(tag, buf[..n].to_vec()))
}

pub(super) fn ip_key(v: &str, side: u8) -> Option<FastKey> {
    if let Some((a, l)) = crate::net::parse_ipv4_cidr(v) {
        return Some(FastKey::V4(u32::from(a), l, side));
    }
    let (a, l) = crate::net::parse_ipv6_cidr(v)?;
    Some(FastKey::V6(u128::from(a), l, side))
}

pub(super) fn domain_key(t: u8, v: &str) -> Option<FastKey> {
    let mut buf = [0u8; 256];
    let d = normalize_domain(v.as_bytes(), &mut buf)?;
    Some(FastKey::Str(t, d.to_vec()))
}

/// The step is the property name `want`.
fn is_key(step: &Step, want: &str) -> bool {
    matches!(step, Step::Key(x) if x == want)
}

/// Maps `(type, path)` and a string value to a fast-path key.
fn fast_key_for(obj_type: &str, steps: &[Step], v: &str) -> Option<FastKey> {
    if is_ua_header_path(obj_type, steps) {
        return Some(FastKey::Str(tag::USER_AGENT, v.as_bytes().to_vec()));
    }
    let keys: Vec<&str> = steps
        .iter()
        .map(|s| match s {
            Step::Key(k) => Some(k.as_str()),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()?;
    match (obj_type, keys.as_slice()) {
        ("ipv4-addr", ["value"]) | ("ipv6-addr", ["value"]) => ip_key(v, SIDE_ANY),
        ("network-traffic", ["src_ref", "value"]) => ip_key(v, SIDE_SRC),
        ("network-traffic", ["dst_ref", "value"]) => ip_key(v, SIDE_DST),
        ("domain-name", ["value"]) => domain_key(tag::DOMAIN, v),
        ("url", ["value"]) => Some(FastKey::Str(tag::URL, v.as_bytes().to_vec())),
        ("file", ["hashes", alg]) => match normalize_alg(alg).as_str() {
            "MD5" => hash_key(tag::MD5, v),
            "SHA1" => hash_key(tag::SHA1, v),
            "SHA256" => hash_key(tag::SHA256, v),
            _ => None,
        },
        ("x509-certificate", ["hashes", alg]) if normalize_alg(alg) == "SHA1" => {
            hash_key(tag::X509_SHA1, v)
        }
        ("x509-certificate", ["serial_number"]) => {
            Some(FastKey::Str(tag::X509_SERIAL, v.as_bytes().to_vec()))
        }
        ("x509-certificate", ["subject"]) => {
            Some(FastKey::Str(tag::X509_SUBJECT, v.as_bytes().to_vec()))
        }
        ("x509-certificate", ["issuer"]) => {
            Some(FastKey::Str(tag::X509_ISSUER, v.as_bytes().to_vec()))
        }
        ("x-user-agent", ["value"]) => Some(FastKey::Str(tag::USER_AGENT, v.as_bytes().to_vec())),
        _ if is_ua_header_path(obj_type, steps) => {
            Some(FastKey::Str(tag::USER_AGENT, v.as_bytes().to_vec()))
        }
        ("x-ja3", ["value"]) => Some(FastKey::Str(tag::JA3, v.to_ascii_lowercase().into_bytes())),
        ("x-ja4", ["value"]) => Some(FastKey::Str(tag::JA4, v.as_bytes().to_vec())),
        _ => None,
    }
}

/// `network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'`
/// followed by `[*]` or `[0]` (header values are lists) or nothing.
fn is_ua_header_path(obj_type: &str, steps: &[Step]) -> bool {
    obj_type == "network-traffic"
        && steps.len() >= 4
        && is_key(&steps[0], "extensions")
        && is_key(&steps[1], "http-request-ext")
        && is_key(&steps[2], "request_header")
        && matches!(&steps[3], Step::Key(x) if x.eq_ignore_ascii_case("user-agent"))
        && matches!(&steps[4..], [] | [Step::Star] | [Step::Index(0)])
}

fn normalize_alg(a: &str) -> String {
    a.chars()
        .filter(|c| *c != '-' && *c != '_')
        .collect::<String>()
        .to_ascii_uppercase()
}

/// Fast-path keys of a pattern, or `None` if it needs the full evaluator.
fn fast_keys(p: &Pattern) -> Option<Vec<FastKey>> {
    let ObsExpr::Simple(c) = &p.root else {
        return None;
    };
    let mut out = Vec::new();
    collect_fast(c, &mut out)?;
    (!out.is_empty()).then_some(out)
}

fn collect_fast(c: &CompExpr, out: &mut Vec<FastKey>) -> Option<()> {
    match c {
        CompExpr::Or(v) => {
            for x in v {
                collect_fast(x, out)?;
            }
            Some(())
        }
        CompExpr::And(_) => None,
        CompExpr::Test(t) => {
            if t.negated {
                return None;
            }
            let path = &t.path;
            match &t.op {
                Op::Eq(Literal::Str(s)) => out.push(fast_key_for(&path.obj_type, &path.steps, s)?),
                Op::In(set) => {
                    for l in set {
                        let Literal::Str(s) = l else { return None };
                        out.push(fast_key_for(&path.obj_type, &path.steps, s)?);
                    }
                }
                Op::IsSubset(net) => match fast_key_for(&path.obj_type, &path.steps, net)? {
                    k @ (FastKey::V4(..) | FastKey::V6(..)) => out.push(k),
                    _ => return None,
                },
                Op::Like(s, _) => {
                    // `domain-name:value LIKE '%.example.com'`: subdomains.
                    let rest = s.strip_prefix("%.")?;
                    if path.obj_type != "domain-name" || path.steps != [Step::Key("value".into())] {
                        return None;
                    }
                    if rest.is_empty() || rest.contains(['%', '_']) {
                        return None;
                    }
                    out.push(domain_key(tag::DOMAIN_SUB, rest)?);
                }
                _ => return None,
            }
            Some(())
        }
    }
}

/// Keys one of which an observation must have for `[ … ]` to hold, if any.
fn leaf_trigger(c: &CompExpr) -> Option<Vec<FastKey>> {
    match c {
        CompExpr::Test(_) => {
            let mut v = Vec::new();
            collect_fast(c, &mut v)?;
            (!v.is_empty()).then_some(v)
        }
        CompExpr::And(v) => v.iter().find_map(leaf_trigger),
        CompExpr::Or(v) => {
            let mut out = Vec::new();
            for x in v {
                out.extend(leaf_trigger(x)?);
            }
            Some(out)
        }
    }
}

/// Trigger keys of a complex pattern: every `[ … ]` has one, so an event
/// can matter to the pattern only if it has one of these keys.
fn pattern_triggers(p: &Pattern) -> Option<Vec<FastKey>> {
    let mut out = Vec::new();
    let mut ok = true;
    eval::for_each_leaf(&p.root, &mut |c| match leaf_trigger(c) {
        Some(k) if ok => out.extend(k),
        _ => ok = false,
    });
    (ok && !out.is_empty()).then_some(out)
}

/// A pattern that is one non-negated `MATCHES`/`LIKE` on a direct string
/// field: (field index, the compiled regex source).
///
/// Qualifiers around the single `[ … ]` are allowed: the pattern can only
/// advance on an event whose field the regex matches, so the set remains a
/// necessary condition (the window logic runs on the candidates as usual).
fn prefilter_regex(p: &Pattern) -> Option<(usize, String)> {
    fn single(e: &ObsExpr) -> Option<&CompExpr> {
        match e {
            ObsExpr::Simple(c) => Some(c),
            ObsExpr::Within(a, _) | ObsExpr::Repeats(a, _) | ObsExpr::StartStop(a, _, _) => {
                single(a)
            }
            _ => None,
        }
    }
    let Some(CompExpr::Test(t)) = single(&p.root) else {
        return None;
    };
    if t.negated {
        return None;
    }
    let f = direct::str_field_index(&t.path.obj_type, &t.path.steps).or_else(|| {
        is_request_value_path(&t.path.obj_type, &t.path.steps).then_some(PREFILTER_REQUEST_VALUE)
    })?;
    match &t.op {
        Op::Matches(_, re, _) | Op::Like(_, re) => Some((f, re.as_str().to_string())),
        // equality as an anchored literal (on the NFC form the evaluator compares)
        Op::Eq(Literal::Str(v)) => Some((f, format!("\\A{}\\z", regex::escape(&eval::nfc(v))))),
        _ => None,
    }
}

/// Prefilter field id for `network-traffic:extensions.'http-request-ext'.request_value`
/// (after the direct string fields).
pub(super) const PREFILTER_REQUEST_VALUE: usize = direct::STR_FIELDS.len();

fn is_request_value_path(obj_type: &str, steps: &[Step]) -> bool {
    obj_type == "network-traffic"
        && steps.len() == 3
        && is_key(&steps[0], "extensions")
        && is_key(&steps[1], "http-request-ext")
        && is_key(&steps[2], "request_value")
}

fn pattern_mask(p: &Pattern) -> u32 {
    let mut m = 0;
    eval::for_each_leaf(&p.root, &mut |c| mask_comp(c, &mut m));
    m
}

fn mask_comp(c: &CompExpr, m: &mut u32) {
    match c {
        CompExpr::And(v) | CompExpr::Or(v) => v.iter().for_each(|x| mask_comp(x, m)),
        CompExpr::Test(t) => *m |= types::of(&t.path.obj_type),
    }
}

/// Marks the `file:hashes.<alg>` algorithms (MD5, SHA-1, SHA-256) a
/// pattern compares.
fn file_hash_refs(p: &Pattern, refs: &mut [bool; 3]) {
    eval::for_each_leaf(&p.root, &mut |c| hash_refs_comp(c, refs));
}

fn hash_refs_comp(c: &CompExpr, refs: &mut [bool; 3]) {
    match c {
        CompExpr::And(v) | CompExpr::Or(v) => v.iter().for_each(|x| hash_refs_comp(x, refs)),
        CompExpr::Test(t) => {
            if let ("file", [Step::Key(h), Step::Key(alg), ..]) =
                (t.path.obj_type.as_str(), t.path.steps.as_slice())
            {
                if h == "hashes" {
                    match normalize_alg(alg).as_str() {
                        "MD5" => refs[0] = true,
                        "SHA1" => refs[1] = true,
                        "SHA256" => refs[2] = true,
                        _ => {}
                    }
                }
            }
        }
    }
}

fn max_within(e: &ObsExpr) -> Option<i128> {
    match e {
        ObsExpr::Within(a, ns) => Some(max_within(a).map_or(*ns, |x| x.max(*ns))),
        ObsExpr::Simple(_) => None,
        ObsExpr::And(v) | ObsExpr::Or(v) => v.iter().filter_map(max_within).max(),
        ObsExpr::FollowedBy(a, b) => max_within(a).max(max_within(b)),
        ObsExpr::Repeats(a, _) | ObsExpr::StartStop(a, _, _) => max_within(a),
    }
}

impl IntelSet {
    /// Indexes a parsed pattern of indicator `mi`: its fast-path keys, or
    /// a full-evaluator entry with its trigger keys or regex prefilter.
    pub(super) fn compile_pattern(&mut self, mi: u32, parsed: Pattern) -> Result<(), String> {
        let sid = self.metas[mi as usize].signature_id;
        if let Some(keys) = fast_keys(&parsed) {
            for k in keys {
                self.add_key(&k, mi, sid)
                    .map_err(|e| format!("pattern value not indexable: {e}"))?;
            }
        } else {
            let mask = pattern_mask(&parsed);
            let single = matches!(parsed.root, ObsExpr::Simple(_));
            let horizon_ns = max_within(&parsed.root).unwrap_or(DEFAULT_HORIZON_NS);
            let ci = u32::try_from(self.complex.len()).map_err(|_| "too many patterns")?;
            if ci >= COMPLEX_FLAG {
                return Err("too many complex patterns".into());
            }
            match pattern_triggers(&parsed) {
                Some(keys) => {
                    for k in keys {
                        self.add_key(&k, COMPLEX_FLAG | ci, 0)
                            .map_err(|e| format!("pattern value not indexable: {e}"))?;
                    }
                }
                None => match prefilter_regex(&parsed) {
                    Some((field, re)) => self.prefilter_pending.push((field, re, ci)),
                    None => self.untriggered.push(ci),
                },
            }
            file_hash_refs(&parsed, &mut self.file_hash_refs);
            self.complex_mask |= mask;
            self.complex.push(Complex {
                meta: mi,
                pattern: parsed,
                mask,
                single,
                horizon_ns,
                window: VecDeque::new(),
                stamp: 0,
            });
            self.stats.complex += 1;
        }
        self.stats.indicators += 1;
        Ok(())
    }

    pub(super) fn push_meta(&mut self, meta: IndicatorMeta) -> Result<u32, String> {
        let i = u32::try_from(self.metas.len()).map_err(|_| "too many indicators")?;
        if i == NONE {
            return Err("too many indicators".into());
        }
        self.metas.push(Arc::new(meta));
        Ok(i)
    }

    fn new_entry(&mut self, meta: u32, side: u8, sid: u32) -> Result<u32, &'static str> {
        let e = u32::try_from(self.entries.len()).map_err(|_| "too many entries")?;
        if e == NONE {
            return Err("too many entries");
        }
        self.entries.push(Entry {
            meta,
            side,
            next: NONE,
            sid,
        });
        Ok(e)
    }

    /// Links entry `e` after the chain head `head` unless the same
    /// (meta, side) is already in the chain.
    fn chain(&mut self, head: u32, e: u32) {
        let (m, s) = (self.entries[e as usize].meta, self.entries[e as usize].side);
        let mut i = head;
        let mut n = 0;
        while i != NONE && n < 1_000_000 {
            let x = self.entries[i as usize];
            if x.meta == m && x.side == s {
                self.entries.pop();
                return;
            }
            i = x.next;
            n += 1;
        }
        let next = self.entries[head as usize].next;
        self.entries[e as usize].next = next;
        self.entries[head as usize].next = e;
    }

    /// Adds fast-path key `k` for `meta` (an indicator, or `COMPLEX_FLAG |`
    /// a full-evaluator pattern) raising hits under signature id `sid`.
    pub(super) fn add_key(&mut self, k: &FastKey, meta: u32, sid: u32) -> Result<(), String> {
        let side = match k {
            FastKey::V4(_, _, s) | FastKey::V6(_, _, s) => *s,
            FastKey::Str(..) => SIDE_ANY,
        };
        let e = self.new_entry(meta, side, sid)?;
        let existing = match k {
            FastKey::V4(a, l, _) => self.ips.insert_v4(*a, *l, e),
            FastKey::V6(a, l, _) => self.ips.insert_v6(*a, *l, e),
            FastKey::Str(t, b) => {
                if matches!(*t, tag::DOMAIN_SUFFIX | tag::DOMAIN_SUB) {
                    self.has_suffixes = true;
                }
                match *t {
                    tag::MD5 => self.file_hash_refs[0] = true,
                    tag::SHA1 => self.file_hash_refs[1] = true,
                    tag::SHA256 => self.file_hash_refs[2] = true,
                    _ => {}
                }
                self.strs.insert(*t, b, e).map_err(|e| format!("{e:?}"))?
            }
        };
        match existing {
            Some(head) => self.chain(head, e),
            None => self.stats.fast_keys += 1,
        }
        Ok(())
    }

    /// Releases spare capacity after loading and builds the regex prefilters.
    pub fn finish_loading(&mut self) {
        let pending = std::mem::take(&mut self.prefilter_pending);
        for f in 0..=PREFILTER_REQUEST_VALUE {
            let group: Vec<&(usize, String, u32)> = pending.iter().filter(|p| p.0 == f).collect();
            if group.is_empty() {
                continue;
            }
            let set = regex::RegexSetBuilder::new(group.iter().map(|p| p.1.as_str()))
                .size_limit(64 << 20)
                .dfa_size_limit(64 << 20)
                .build();
            match set {
                Ok(set) => self
                    .prefilter
                    .push((f, set, group.iter().map(|p| p.2).collect())),
                // Too big for one set: evaluate each pattern on every event.
                Err(_) => self.untriggered.extend(group.iter().map(|p| p.2)),
            }
        }
        self.entries.shrink_to_fit();
        self.ips.shrink_to_fit();
        self.strs.shrink_to_fit();
        self.metas.shrink_to_fit();
        self.sids.shrink_to_fit();
    }
}
