//! Indicator matching for the sensor.
//!
//! [`IntelSet::load`] reads STIX 2.1 bundles (JSON files or directories of
//! them) and plain IOC lists; [`IntelSet::observe`] matches one sensor event
//! ([`Observation`]) and appends [`Hit`]s; [`IntelSet::sightings_bundle`]
//! exports what was seen as STIX sightings.
//!
//! **Fast path.** Indicators whose pattern is one `[ … ]` of equality tests
//! (`=`, `IN`, or `OR` of them; `ISSUBSET` for addresses; `LIKE '%.x'` for
//! domains) on one of the properties below go to hash tables ([`table`]):
//! the cost per event does not grow with the number of indicators.
//!
//! | pattern path | observation field |
//! |---|---|
//! | `ipv4-addr:value`, `ipv6-addr:value` (address or CIDR) | `src_ip`, `dst_ip` |
//! | `network-traffic:src_ref.value` / `dst_ref.value` | `src_ip` / `dst_ip` |
//! | `domain-name:value` | `domain` (case-insensitive) |
//! | `url:value` | `url` |
//! | `file:hashes.MD5` / `'SHA-1'` / `'SHA-256'` | `md5` / `sha1` / `sha256` |
//! | `x509-certificate:hashes.'SHA-1'`, `serial_number`, `subject`, `issuer` | `x509_*` |
//! | `x-user-agent:value`, `network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'` | `user_agent` |
//! | `x-ja3:value`, `x-ja4:value` | `ja3`, `ja4` |
//!
//! Two deliberate readings on the fast path: `ipv4-addr:value = '10.0.0.0/8'`
//! means the network (the specification's own examples write addresses as
//! `'…/32'`), and domain names compare case-insensitively (DNS semantics).
//!
//! **Full evaluator.** Every other pattern is evaluated with
//! [`crate::pattern::eval`] on the event's cyber-observables. Patterns with
//! several observations (`AND`/`OR`/`FOLLOWEDBY` between `[ … ]`, `WITHIN`,
//! `REPEATS`, `START/STOP`) keep a per-pattern window of the recent events
//! that satisfied one of their `[ … ]` (at most [`WINDOW_MAX`] events, and no
//! older than the pattern's largest `WITHIN`, or [`DEFAULT_HORIZON_NS`]);
//! the pattern is evaluated over that window and the window is cleared when
//! it matches, so one sequence raises one hit.
//!
//! **Plain lists.** One IOC per line: IPv4/IPv6 address or CIDR, domain,
//! `*.domain` / `.domain` (the domain and its subdomains), URL (contains
//! `://`), MD5/SHA-1/SHA-256 (hex). `#` starts a comment. Directives in
//! comments set metadata for the whole file: `#@ name=Feed X`, `#@ tlp=amber`,
//! `#@ labels=malicious-activity,c2`, `#@ domain-suffix` (every domain line
//! also matches subdomains).
//!
//! **Validity.** Revoked indicators are not loaded; an indicator past its
//! `valid_until` (compared with the event time) does not fire. `valid_from`
//! is not enforced, so captures recorded before an indicator was published
//! still match (the usual case when replaying traffic against a new feed).

mod direct;
pub mod observation;
pub mod table;

use std::collections::VecDeque;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hashbrown::HashMap;
use reefwatch_applayer::JsonBuilder;
use serde_json::{json, Value};

pub use observation::{normalize_domain, types, Observation};
use table::{IpTable, StrTable};

use crate::model::uuid5;
use crate::pattern::{eval, parse_with, CompExpr, Literal, ObsExpr, Op, Pattern, Step, Strictness};
use crate::time::{format_timestamp, parse_timestamp};
use crate::tlp::{self, Tlp};

/// Most events a multi-observation pattern keeps.
pub const WINDOW_MAX: usize = 256;
/// Window horizon for multi-observation patterns without `WITHIN`: 1 hour.
pub const DEFAULT_HORIZON_NS: i128 = 3600 * 1_000_000_000;
/// Most distinct sightings kept (further ones are counted in
/// [`IntelStats::sightings_dropped`]).
pub const MAX_SIGHTINGS: usize = 100_000;
/// Observed-data examples kept per sighting.
pub const EXAMPLES_PER_SIGHTING: usize = 3;
/// Largest single input file read.
pub const MAX_FILE_BYTES: u64 = 4 << 30;
/// Deepest directory recursion when loading.
pub const MAX_DIR_DEPTH: usize = 8;
/// Longest line of a plain IOC list.
pub const MAX_LINE: usize = 8192;

/// String table tags.
mod tag {
    pub const DOMAIN: u8 = 1;
    /// Domain and its subdomains.
    pub const DOMAIN_SUFFIX: u8 = 2;
    /// Subdomains only (`LIKE '%.x'`).
    pub const DOMAIN_SUB: u8 = 3;
    pub const URL: u8 = 4;
    pub const MD5: u8 = 5;
    pub const SHA1: u8 = 6;
    pub const SHA256: u8 = 7;
    pub const X509_SHA1: u8 = 8;
    pub const X509_SERIAL: u8 = 9;
    pub const X509_SUBJECT: u8 = 10;
    pub const X509_ISSUER: u8 = 11;
    pub const USER_AGENT: u8 = 12;
    pub const JA3: u8 = 13;
    pub const JA4: u8 = 14;
}

const SIDE_ANY: u8 = 3;
const SIDE_SRC: u8 = 1;
const SIDE_DST: u8 = 2;
const NONE: u32 = u32::MAX;
/// Entry `meta` values with this bit name a complex pattern to evaluate
/// (a trigger key), not an indicator that matched.
const COMPLEX_FLAG: u32 = 1 << 31;

/// Indicator metadata shared by its hits.
#[derive(Clone, Debug, Default)]
pub struct IndicatorMeta {
    /// STIX id; `None` for plain-list entries (their id is derived from the
    /// list and the value, see [`Hit::indicator_id`]).
    pub id: Option<String>,
    pub name: Option<String>,
    /// `labels` and `indicator_types`.
    pub labels: Vec<String>,
    /// (kill_chain_name, phase_name).
    pub kill_chain_phases: Vec<(String, String)>,
    pub tlp: Option<Tlp>,
    pub marking_refs: Vec<String>,
    pub pattern: Option<String>,
    /// File the indicator came from.
    pub source: Arc<str>,
    pub valid_until: Option<i128>,
}

/// A problem met while loading; the rest still loads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadWarning {
    pub source: PathBuf,
    /// Indicator id (STIX) when known.
    pub id: Option<String>,
    /// 1-based line number (plain lists).
    pub line: Option<usize>,
    pub reason: String,
}

impl core::fmt::Display for LoadWarning {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}", self.source.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        if let Some(id) = &self.id {
            write!(f, ": {id}")?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// One indicator match.
#[derive(Clone, Debug)]
pub struct Hit {
    pub meta: Arc<IndicatorMeta>,
    /// The indicator as a pattern: the STIX pattern, or for plain-list
    /// entries the equivalent pattern (`[ipv4-addr:value = '…']`).
    pub matched: String,
    /// Event time (ns).
    pub ts_ns: i64,
    /// Index of the indicator in its [`IntelSet`].
    pub indicator_index: u32,
}

impl Hit {
    /// STIX indicator id: the indicator's own, or for plain-list entries a
    /// deterministic `indicator--<uuid5(list, pattern)>`.
    pub fn indicator_id(&self) -> String {
        match &self.meta.id {
            Some(id) => id.clone(),
            None => synth_indicator_id(&self.meta.source, &self.matched),
        }
    }

    pub fn name(&self) -> Option<&str> {
        self.meta.name.as_deref()
    }

    pub fn labels(&self) -> &[String] {
        &self.meta.labels
    }

    pub fn kill_chain_phases(&self) -> &[(String, String)] {
        &self.meta.kill_chain_phases
    }

    pub fn tlp(&self) -> Option<Tlp> {
        self.meta.tlp
    }

    /// Writes Suricata-style `alert.metadata` members (each an array of
    /// strings) into the object the caller has open:
    /// `stix_indicator_id`, `stix_pattern`, `stix_source`, and when present
    /// `stix_indicator_name`, `stix_labels`, `stix_kill_chain`
    /// (`name:phase`), `tlp` (`TLP:AMBER` …).
    pub fn write_alert_metadata(&self, js: &mut JsonBuilder) {
        js.open_array("stix_indicator_id")
            .append_str(&self.indicator_id())
            .close();
        if let Some(n) = &self.meta.name {
            js.open_array("stix_indicator_name").append_str(n).close();
        }
        if !self.meta.labels.is_empty() {
            js.open_array("stix_labels");
            for l in &self.meta.labels {
                js.append_str(l);
            }
            js.close();
        }
        if !self.meta.kill_chain_phases.is_empty() {
            js.open_array("stix_kill_chain");
            for (k, p) in &self.meta.kill_chain_phases {
                js.append_str(&format!("{k}:{p}"));
            }
            js.close();
        }
        if let Some(t) = self.meta.tlp {
            js.open_array("tlp").append_str(t.label()).close();
        }
        js.open_array("stix_pattern")
            .append_str(&self.matched)
            .close();
        js.open_array("stix_source")
            .append_str(&self.meta.source)
            .close();
    }
}

fn synth_indicator_id(source: &str, pattern: &str) -> String {
    let name = format!("reefwatch-list\n{source}\n{pattern}");
    format!("indicator--{}", stable_uuid4(name.as_bytes()))
}

/// A UUID in version-4 format whose bits come from a hash of `name`: STIX
/// asks for UUIDv4 on domain objects, and stable ids let a consumer see a
/// re-exported sighting as a new version of the same object.
fn stable_uuid4(name: &[u8]) -> String {
    let u = uuid5(&REEFWATCH_NAMESPACE, name);
    // Same bits, version nibble 5 -> 4 (position 14 of the text form).
    let mut b = u.into_bytes();
    b[14] = b'4';
    String::from_utf8(b).unwrap_or_default()
}

/// Namespace for reefwatch's derived ids.
const REEFWATCH_NAMESPACE: [u8; 16] = [
    0x8c, 0x1f, 0x5e, 0x2a, 0x61, 0x0b, 0x4d, 0x3e, 0x9a, 0x57, 0x26, 0x0c, 0xd4, 0x11, 0x7b, 0x90,
];

#[derive(Clone, Copy, Debug)]
struct Entry {
    meta: u32,
    side: u8,
    next: u32,
}

struct Complex {
    meta: u32,
    pattern: Pattern,
    /// SCO types the pattern refers to.
    mask: u32,
    /// One `[ … ]` without qualifiers: decided on one event.
    single: bool,
    horizon_ns: i128,
    window: VecDeque<(i64, Arc<Vec<Value>>)>,
    /// Event counter value when last queued as a candidate (dedup).
    stamp: u64,
}

#[derive(Default)]
struct SightingAcc {
    count: u64,
    first: i64,
    last: i64,
    examples: Vec<(i64, Option<u64>, Arc<Vec<Value>>)>,
    meta: u32,
    matched: String,
}

/// Counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IntelStats {
    /// Indicators loaded (STIX indicators + list lines).
    pub indicators: u64,
    /// Keys in the fast-path tables.
    pub fast_keys: u64,
    /// Patterns on the full evaluator.
    pub complex: u64,
    pub hits: u64,
    pub eval_errors: u64,
    pub sightings_dropped: u64,
}

/// The loaded indicators and their matching state.
#[derive(Default)]
pub struct IntelSet {
    metas: Vec<Arc<IndicatorMeta>>,
    entries: Vec<Entry>,
    ips: IpTable,
    strs: StrTable,
    has_suffixes: bool,
    complex: Vec<Complex>,
    complex_mask: u32,
    /// Complex patterns without a trigger key: candidates for every event
    /// whose observable types they use.
    untriggered: Vec<u32>,
    /// Events observed (stamps candidate dedup).
    epoch: u64,
    /// Untriggered one-test `MATCHES`/`LIKE` patterns, per string field
    /// (see [`direct::STR_FIELDS`]): one `RegexSet` pass per event selects
    /// the candidates.
    prefilter: Vec<(usize, regex::RegexSet, Vec<u32>)>,
    prefilter_pending: Vec<(usize, String, u32)>,
    candidates: Vec<u32>,
    markings: HashMap<String, Value, foldhash::fast::RandomState>,
    sightings: HashMap<(u32, String), SightingAcc, foldhash::fast::RandomState>,
    stats: IntelStats,
    /// Some indicator compares `file:hashes` of this algorithm
    /// ([MD5, SHA-1, SHA-256]): the sensor must compute those digests.
    file_hash_refs: [bool; 3],
}

/// A fast-path key extracted from a pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
enum FastKey {
    V4(u32, u8, u8),
    V6(u128, u8, u8),
    Str(u8, Vec<u8>),
}

fn decode_hex(s: &[u8], out: &mut [u8]) -> Option<usize> {
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

fn hash_key(tag: u8, hex: &str) -> Option<FastKey> {
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

fn ip_key(v: &str, side: u8) -> Option<FastKey> {
    if let Some((a, l)) = crate::net::parse_ipv4_cidr(v) {
        return Some(FastKey::V4(u32::from(a), l, side));
    }
    let (a, l) = crate::net::parse_ipv6_cidr(v)?;
    Some(FastKey::V6(u128::from(a), l, side))
}

fn domain_key(t: u8, v: &str) -> Option<FastKey> {
    let mut buf = [0u8; 256];
    let d = normalize_domain(v.as_bytes(), &mut buf)?;
    Some(FastKey::Str(t, d.to_vec()))
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
    let k = |s: &Step, want: &str| matches!(s, Step::Key(x) if x == want);
    obj_type == "network-traffic"
        && steps.len() >= 4
        && k(&steps[0], "extensions")
        && k(&steps[1], "http-request-ext")
        && k(&steps[2], "request_header")
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
const PREFILTER_REQUEST_VALUE: usize = direct::STR_FIELDS.len();

fn is_request_value_path(obj_type: &str, steps: &[Step]) -> bool {
    let k = |s: &Step, want: &str| matches!(s, Step::Key(x) if x == want);
    obj_type == "network-traffic"
        && steps.len() == 3
        && k(&steps[0], "extensions")
        && k(&steps[1], "http-request-ext")
        && k(&steps[2], "request_value")
}

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

fn str_list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

fn escape_pattern_str(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\'', "\\'")
}

impl IntelSet {
    /// An empty set.
    pub fn new() -> IntelSet {
        IntelSet::default()
    }

    /// Loads STIX bundles (`.json` files or any file starting with `{`/`[`)
    /// and plain IOC lists from files and directories (recursively, in name
    /// order). Unreadable files and malformed indicators are reported and
    /// skipped; everything else loads.
    pub fn load(sources: &[PathBuf]) -> (IntelSet, Vec<LoadWarning>) {
        let mut set = IntelSet::new();
        let mut warns = Vec::new();
        for s in sources {
            set.load_path(s, 0, &mut warns);
        }
        set.finish_loading();
        (set, warns)
    }

    /// Loads one more file or directory (after [`IntelSet::load`]).
    pub fn load_path(&mut self, path: &Path, depth: usize, warns: &mut Vec<LoadWarning>) {
        let warn = |reason: String| LoadWarning {
            source: path.to_path_buf(),
            id: None,
            line: None,
            reason,
        };
        let md = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => return warns.push(warn(e.to_string())),
        };
        if md.is_dir() {
            if depth >= MAX_DIR_DEPTH {
                return warns.push(warn("directory nesting too deep, skipped".into()));
            }
            let mut names: Vec<PathBuf> = match std::fs::read_dir(path) {
                Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
                Err(e) => return warns.push(warn(e.to_string())),
            };
            names.sort();
            for n in names {
                let hidden = n
                    .file_name()
                    .and_then(|f| f.to_str())
                    .is_some_and(|f| f.starts_with('.'));
                if !hidden {
                    self.load_path(&n, depth + 1, warns);
                }
            }
            return;
        }
        if md.len() > MAX_FILE_BYTES {
            return warns.push(warn(format!("larger than {MAX_FILE_BYTES} bytes, skipped")));
        }
        let file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) => return warns.push(warn(e.to_string())),
        };
        let mut r = std::io::BufReader::with_capacity(1 << 16, file);
        let first = match std::io::BufRead::fill_buf(&mut r) {
            Ok(b) => b.iter().find(|c| !c.is_ascii_whitespace()).copied(),
            Err(e) => return warns.push(warn(e.to_string())),
        };
        let source: Arc<str> = Arc::from(path.display().to_string());
        if matches!(first, Some(b'{') | Some(b'[')) {
            let mut data = Vec::new();
            if let Err(e) = std::io::Read::read_to_end(&mut r, &mut data) {
                return warns.push(warn(e.to_string()));
            }
            match serde_json::from_slice::<Value>(&data) {
                Ok(v) => self.load_stix_value(&v, &source, path, warns),
                Err(e) => warns.push(warn(format!("invalid JSON: {e}"))),
            }
        } else {
            self.load_list_reader(r, &source, path, warns);
        }
    }

    /// Loads the indicators of a STIX bundle, a list of objects, or one object.
    pub fn load_stix_value(
        &mut self,
        v: &Value,
        source: &Arc<str>,
        path: &Path,
        warns: &mut Vec<LoadWarning>,
    ) {
        let objs: Vec<&Value> = match v {
            Value::Array(a) => a.iter().flat_map(bundle_objects).collect(),
            v => bundle_objects(v).collect(),
        };
        // Marking definitions first, so indicators can resolve custom TLP ids.
        let mut custom_tlp: HashMap<&str, Tlp, foldhash::fast::RandomState> = HashMap::default();
        for o in &objs {
            if o.get("type").and_then(Value::as_str) == Some("marking-definition") {
                if let Some(id) = o.get("id").and_then(Value::as_str) {
                    if let Some(l) = tlp::level_of_definition(o) {
                        custom_tlp.insert(id, l);
                    }
                    self.markings.insert(id.to_string(), (*o).clone());
                }
            }
        }
        for o in objs {
            if o.get("type").and_then(Value::as_str) != Some("indicator") {
                continue;
            }
            let id = o.get("id").and_then(Value::as_str);
            let w = |reason: String| LoadWarning {
                source: path.to_path_buf(),
                id: Some(id.unwrap_or("<no id>").to_string()),
                line: None,
                reason,
            };
            match self.load_indicator(o, source, &custom_tlp) {
                Ok(()) => {}
                Err(r) => warns.push(w(r)),
            }
        }
    }

    fn load_indicator(
        &mut self,
        o: &Value,
        source: &Arc<str>,
        custom_tlp: &HashMap<&str, Tlp, foldhash::fast::RandomState>,
    ) -> Result<(), String> {
        let id = o
            .get("id")
            .and_then(Value::as_str)
            .ok_or("indicator without an id")?;
        crate::validate::check_identifier(id, &["indicator"]).map_err(|e| format!("id: {e}"))?;
        if o.get("revoked").and_then(Value::as_bool) == Some(true) {
            return Err("revoked, not loaded".into());
        }
        let pt = o
            .get("pattern_type")
            .and_then(Value::as_str)
            .ok_or("pattern_type missing")?;
        if pt != "stix" {
            return Err(format!(
                "pattern_type '{pt}' is not supported (only 'stix')"
            ));
        }
        let pat = o
            .get("pattern")
            .and_then(Value::as_str)
            .ok_or("pattern missing")?;
        let parsed = parse_with(pat, Strictness::Grammar).map_err(|e| format!("pattern {e}"))?;
        let valid_until = match o.get("valid_until").and_then(Value::as_str) {
            Some(s) => Some(parse_timestamp(s).map_err(|e| format!("valid_until: {e}"))?),
            None => None,
        };
        if let Some(s) = o.get("valid_from").and_then(Value::as_str) {
            parse_timestamp(s).map_err(|e| format!("valid_from: {e}"))?;
        } else {
            return Err("valid_from missing".into());
        }
        let marking_refs = str_list(o.get("object_marking_refs"));
        let tlp = marking_refs
            .iter()
            .filter_map(|m| {
                tlp::level_of_marking(m).or_else(|| custom_tlp.get(m.as_str()).copied())
            })
            .max();
        let mut labels = str_list(o.get("labels"));
        for t in str_list(o.get("indicator_types")) {
            if !labels.contains(&t) {
                labels.push(t);
            }
        }
        let kill_chain_phases = o
            .get("kill_chain_phases")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|k| {
                        Some((
                            k.get("kill_chain_name")?.as_str()?.to_string(),
                            k.get("phase_name")?.as_str()?.to_string(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let meta = IndicatorMeta {
            id: Some(id.to_string()),
            name: o.get("name").and_then(Value::as_str).map(String::from),
            labels,
            kill_chain_phases,
            tlp,
            marking_refs,
            pattern: Some(pat.to_string()),
            source: source.clone(),
            valid_until,
        };
        let mi = self.push_meta(meta)?;
        if let Some(keys) = fast_keys(&parsed) {
            for k in keys {
                self.add_key(&k, mi)
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
                        self.add_key(&k, COMPLEX_FLAG | ci)
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

    fn push_meta(&mut self, meta: IndicatorMeta) -> Result<u32, String> {
        let i = u32::try_from(self.metas.len()).map_err(|_| "too many indicators")?;
        if i == NONE {
            return Err("too many indicators".into());
        }
        self.metas.push(Arc::new(meta));
        Ok(i)
    }

    fn new_entry(&mut self, meta: u32, side: u8) -> Result<u32, &'static str> {
        let e = u32::try_from(self.entries.len()).map_err(|_| "too many entries")?;
        if e == NONE {
            return Err("too many entries");
        }
        self.entries.push(Entry {
            meta,
            side,
            next: NONE,
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

    fn add_key(&mut self, k: &FastKey, meta: u32) -> Result<(), String> {
        let side = match k {
            FastKey::V4(_, _, s) | FastKey::V6(_, _, s) => *s,
            FastKey::Str(..) => SIDE_ANY,
        };
        let e = self.new_entry(meta, side)?;
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

    /// Loads a plain IOC list (see the module documentation).
    pub fn load_list(
        &mut self,
        data: &[u8],
        source: &Arc<str>,
        path: &Path,
        warns: &mut Vec<LoadWarning>,
    ) {
        self.load_list_reader(data, source, path, warns)
    }

    /// Streams a plain IOC list (see the module documentation). `#@`
    /// directives must come before the first IOC line. Lines longer than
    /// [`MAX_LINE`] bytes are skipped with a warning.
    pub fn load_list_reader(
        &mut self,
        mut r: impl std::io::BufRead,
        source: &Arc<str>,
        path: &Path,
        warns: &mut Vec<LoadWarning>,
    ) {
        let mut meta = Some(IndicatorMeta {
            source: source.clone(),
            name: path.file_name().map(|f| f.to_string_lossy().into_owned()),
            ..Default::default()
        });
        let mut mi = NONE;
        let mut suffix_all = false;
        let mut buf = Vec::with_capacity(256);
        let mut n = 0usize;
        let warn = |warns: &mut Vec<LoadWarning>, line: Option<usize>, reason: String| {
            if warns.len() < 10_000 {
                warns.push(LoadWarning {
                    source: path.to_path_buf(),
                    id: None,
                    line,
                    reason,
                });
            }
        };
        loop {
            buf.clear();
            let (ended, too_long) = match read_line_bounded(&mut r, &mut buf, MAX_LINE) {
                Ok(x) => x,
                Err(e) => {
                    warn(warns, Some(n + 1), e.to_string());
                    break;
                }
            };
            if ended && buf.is_empty() {
                break;
            }
            n += 1;
            if too_long {
                warn(
                    warns,
                    Some(n),
                    format!("line longer than {MAX_LINE} bytes, skipped"),
                );
                continue;
            }
            let whole = trim(&buf);
            if let (Some(m), Some(d)) = (meta.as_mut(), whole.strip_prefix(b"#@")) {
                let d = String::from_utf8_lossy(d);
                let d = d.trim();
                if d == "domain-suffix" {
                    suffix_all = true;
                } else if let Some((k, v)) = d.split_once('=') {
                    let v = v.trim();
                    match k.trim() {
                        "name" => m.name = Some(v.to_string()),
                        "tlp" => match Tlp::from_label(v) {
                            Some(t) => {
                                m.tlp = Some(t);
                                m.marking_refs = vec![t.v2_id().to_string()];
                            }
                            None => warn(warns, Some(n), format!("unknown TLP level '{v}'")),
                        },
                        "labels" => {
                            m.labels = v
                                .split(',')
                                .map(|s| s.trim().to_string())
                                .filter(|s| !s.is_empty())
                                .collect()
                        }
                        _ => warn(warns, Some(n), format!("unknown directive '{}'", k.trim())),
                    }
                }
                continue;
            }
            let mut line = whole;
            if let Some(h) = line.iter().position(|c| *c == b'#') {
                line = trim(&line[..h]);
            }
            if line.is_empty() {
                continue;
            }
            if let Some(m) = meta.take() {
                match self.push_meta(m) {
                    Ok(i) => mi = i,
                    Err(e) => return warn(warns, None, e),
                }
            }
            match classify_ioc(line, suffix_all) {
                Some(k) => match self.add_key(&k, mi) {
                    Ok(()) => self.stats.indicators += 1,
                    Err(e) => warn(warns, Some(n), e),
                },
                None => warn(
                    warns,
                    Some(n),
                    format!(
                        "not an IP, CIDR, domain, URL or hash: '{}'",
                        String::from_utf8_lossy(&line[..line.len().min(80)])
                    ),
                ),
            }
            if ended {
                break;
            }
        }
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
    }

    /// Which file digests indicators compare: `(md5, sha1, sha256)`. The
    /// sensor computes these for transferred files so that `file:hashes`
    /// indicators can match.
    pub fn file_hashes_used(&self) -> (bool, bool, bool) {
        let [m, s1, s2] = self.file_hash_refs;
        (m, s1, s2)
    }

    pub fn stats(&self) -> IntelStats {
        self.stats
    }

    /// Approximate heap bytes of the fast-path tables.
    pub fn table_bytes(&self) -> usize {
        self.ips.heap_bytes()
            + self.strs.heap_bytes()
            + self.entries.capacity() * core::mem::size_of::<Entry>()
    }

    pub fn is_empty(&self) -> bool {
        self.metas.is_empty()
    }

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
                        self.fast_hit(en.meta, key, obs, hits);
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
                h.indicator_index == hits[k].indicator_index && h.matched == hits[k].matched
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

    fn fast_hit(&self, mi: u32, key: FoundKey, obs: &Observation<'_>, hits: &mut Vec<Hit>) {
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
        });
    }

    /// The pattern equivalent to a plain-list key that matched.
    fn list_pattern(&self, key: FoundKey, obs: &Observation<'_>) -> String {
        let lossy = |b: &[u8]| escape_pattern_str(&String::from_utf8_lossy(b));
        match key {
            FoundKey::V4(a, l) => {
                if l >= 32 {
                    format!("[ipv4-addr:value = '{}']", std::net::Ipv4Addr::from(a))
                } else {
                    format!(
                        "[ipv4-addr:value ISSUBSET '{}/{l}']",
                        std::net::Ipv4Addr::from(a & mask32(l))
                    )
                }
            }
            FoundKey::V6(a, l) => {
                if l >= 128 {
                    format!("[ipv6-addr:value = '{}']", std::net::Ipv6Addr::from(a))
                } else {
                    format!(
                        "[ipv6-addr:value ISSUBSET '{}/{l}']",
                        std::net::Ipv6Addr::from(a & mask128(l))
                    )
                }
            }
            FoundKey::Str(t, off) => {
                let mut dbuf = [0u8; 256];
                let dom = obs
                    .domain
                    .and_then(|d| normalize_domain(d, &mut dbuf))
                    .unwrap_or(b"");
                let sfx = dom.get(usize::from(off)..).unwrap_or(b"");
                match t {
                    tag::DOMAIN => format!("[domain-name:value = '{}']", lossy(dom)),
                    tag::DOMAIN_SUFFIX => {
                        let s = lossy(sfx);
                        format!("[domain-name:value = '{s}' OR domain-name:value LIKE '%.{s}']")
                    }
                    tag::DOMAIN_SUB => format!("[domain-name:value LIKE '%.{}']", lossy(sfx)),
                    tag::URL => format!("[url:value = '{}']", lossy(obs.url.unwrap_or(b""))),
                    tag::MD5 => format!(
                        "[file:hashes.MD5 = '{}']",
                        obs.md5.unwrap_or("").to_ascii_lowercase()
                    ),
                    tag::SHA1 => format!(
                        "[file:hashes.'SHA-1' = '{}']",
                        obs.sha1.unwrap_or("").to_ascii_lowercase()
                    ),
                    tag::SHA256 => format!(
                        "[file:hashes.'SHA-256' = '{}']",
                        obs.sha256.unwrap_or("").to_ascii_lowercase()
                    ),
                    _ => "[x-unknown:value = '']".into(),
                }
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

    fn record_sighting(&mut self, mi: u32, key: String, matched: String, obs: &Observation<'_>) {
        let full = self.sightings.len() >= MAX_SIGHTINGS;
        let acc = match self.sightings.get_mut(&(mi, key.clone())) {
            Some(a) => a,
            None if full => {
                self.stats.sightings_dropped += 1;
                return;
            }
            None => self
                .sightings
                .entry((mi, key))
                .or_insert_with(|| SightingAcc {
                    first: obs.ts_ns,
                    last: obs.ts_ns,
                    meta: mi,
                    matched,
                    ..Default::default()
                }),
        };
        acc.count += 1;
        acc.first = acc.first.min(obs.ts_ns);
        acc.last = acc.last.max(obs.ts_ns);
        if acc.examples.len() < EXAMPLES_PER_SIGHTING {
            acc.examples
                .push((obs.ts_ns, obs.flow_id, Arc::new(obs.to_scos())));
        }
    }

    /// Number of distinct sightings accumulated.
    pub fn sighting_count(&self) -> usize {
        self.sightings.len()
    }

    /// Exports accumulated sightings as a STIX 2.1 bundle: the sensor's
    /// identity (created from `sensor_identity` as its name, unless it is
    /// already an `identity--…` id), indicators synthesised for plain-list
    /// entries, the marking definitions used, observed-data (up to
    /// [`EXAMPLES_PER_SIGHTING`] per sighting) with their cyber-observables,
    /// and one `sighting` per indicator (per value for list entries) with
    /// count, first_seen/last_seen, observed_data_refs and
    /// where_sighted_refs. Each sighting, its observed-data and the
    /// synthesised indicators carry the indicator's marking refs, so TLP
    /// follows the intelligence back to the hub.
    pub fn sightings_bundle(&self, sensor_identity: &str) -> Value {
        let now = now_ns();
        let now_s = format_timestamp(now);
        let mut objects: Vec<Value> = Vec::new();
        let mut seen_ids: hashbrown::HashSet<String, foldhash::fast::RandomState> =
            Default::default();
        let mut push = |objects: &mut Vec<Value>, o: Value| {
            if let Some(id) = o.get("id").and_then(Value::as_str) {
                if seen_ids.insert(id.to_string()) {
                    objects.push(o);
                }
            }
        };
        let identity_id = if crate::validate::check_identifier(sensor_identity, &["identity"])
            .is_ok()
        {
            sensor_identity.to_string()
        } else {
            let id = format!(
                "identity--{}",
                stable_uuid4(format!("reefwatch-sensor\n{sensor_identity}").as_bytes())
            );
            push(
                &mut objects,
                json!({"type": "identity", "spec_version": "2.1", "id": id, "created": "2020-01-01T00:00:00.000Z",
                       "modified": "2020-01-01T00:00:00.000Z", "name": sensor_identity, "identity_class": "system"}),
            );
            id
        };
        let mut accs: Vec<&SightingAcc> = self.sightings.values().collect();
        accs.sort_by(|a, b| (a.first, a.meta, &a.matched).cmp(&(b.first, b.meta, &b.matched)));
        for acc in accs {
            let Some(meta) = self.metas.get(acc.meta as usize) else {
                continue;
            };
            let indicator_id = match &meta.id {
                Some(id) => id.clone(),
                None => synth_indicator_id(&meta.source, &acc.matched),
            };
            let markings: Vec<Value> = meta
                .marking_refs
                .iter()
                .map(|m| Value::from(m.as_str()))
                .collect();
            for m in &meta.marking_refs {
                let def =
                    self.markings
                        .get(m)
                        .cloned()
                        .or_else(|| match tlp::level_of_marking(m) {
                            Some(l)
                                if tlp::ALL
                                    .iter()
                                    .any(|(i, _, v)| i == m && *v == tlp::TlpVersion::V1) =>
                            {
                                tlp::marking_definition_v1(l)
                            }
                            Some(l) => Some(tlp::marking_definition_v2(l)),
                            None => None,
                        });
                if let Some(d) = def {
                    push(&mut objects, d);
                }
            }
            let first = format_timestamp(i128::from(acc.first));
            let last = format_timestamp(i128::from(acc.last));
            if meta.id.is_none() {
                let mut ind = json!({"type": "indicator", "spec_version": "2.1", "id": indicator_id,
                    "created": first, "modified": first, "created_by_ref": identity_id,
                    "name": meta.name.clone().unwrap_or_else(|| "reefwatch IOC list entry".into()),
                    "indicator_types": if meta.labels.is_empty() { json!(["malicious-activity"]) } else { json!(meta.labels) },
                    "pattern": acc.matched, "pattern_type": "stix", "valid_from": first,
                    "description": format!("IOC list entry from {}", meta.source)});
                if !markings.is_empty() {
                    ind["object_marking_refs"] = Value::Array(markings.clone());
                }
                push(&mut objects, ind);
            }
            let mut od_refs = Vec::new();
            for (k, (ts, flow, scos)) in acc.examples.iter().enumerate() {
                let od_id = format!(
                    "observed-data--{}",
                    stable_uuid4(
                        format!("{identity_id}\n{indicator_id}\n{}\n{ts}\n{k}", acc.matched)
                            .as_bytes()
                    )
                );
                let o = Observation {
                    ts_ns: *ts,
                    flow_id: *flow,
                    ..Default::default()
                };
                let mut od = o.observed_data(&od_id, scos, &now_s);
                od["created_by_ref"] = identity_id.clone().into();
                if !markings.is_empty() {
                    od["object_marking_refs"] = Value::Array(markings.clone());
                }
                if od["object_refs"].as_array().is_some_and(|a| a.is_empty()) {
                    continue;
                }
                for s in scos.iter() {
                    push(&mut objects, s.clone());
                }
                od_refs.push(Value::from(od_id));
                push(&mut objects, od);
            }
            let sid = format!(
                "sighting--{}",
                stable_uuid4(format!("{identity_id}\n{indicator_id}\n{}", acc.matched).as_bytes())
            );
            let created = format_timestamp(i128::from(acc.first).min(now));
            let mut s = json!({"type": "sighting", "spec_version": "2.1", "id": sid,
                "created": created, "modified": format_timestamp(now.max(i128::from(acc.first))),
                "created_by_ref": identity_id,
                "first_seen": first, "last_seen": last, "count": acc.count.min(999_999_999),
                "sighting_of_ref": indicator_id, "where_sighted_refs": [identity_id]});
            if !od_refs.is_empty() {
                s["observed_data_refs"] = Value::Array(od_refs);
            }
            if !markings.is_empty() {
                s["object_marking_refs"] = Value::Array(markings);
            }
            push(&mut objects, s);
        }
        let bid = format!(
            "bundle--{}",
            stable_uuid4(format!("{identity_id}\n{now}").as_bytes())
        );
        json!({"type": "bundle", "id": bid, "objects": objects})
    }
}

fn now_ns() -> i128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i128)
        .unwrap_or(0)
}

fn mask32(l: u8) -> u32 {
    if l == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(l))
    }
}

fn mask128(l: u8) -> u128 {
    if l == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(l))
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

fn bundle_objects(v: &Value) -> Box<dyn Iterator<Item = &Value> + '_> {
    match v.get("type").and_then(Value::as_str) {
        Some("bundle") => match v.get("objects").and_then(Value::as_array) {
            Some(a) => Box::new(a.iter()),
            None => Box::new(std::iter::empty()),
        },
        _ => Box::new(std::iter::once(v)),
    }
}

/// Reads one line (without the newline) into `buf`, keeping at most `max`
/// bytes. Returns (end of input reached, line was longer than `max`).
fn read_line_bounded(
    r: &mut impl std::io::BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<(bool, bool)> {
    let mut too_long = false;
    loop {
        let chunk = match r.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok((true, too_long));
        }
        let (take, done) = match chunk.iter().position(|c| *c == b'\n') {
            Some(p) => (p, true),
            None => (chunk.len(), false),
        };
        if buf.len() + take <= max {
            buf.extend_from_slice(&chunk[..take]);
        } else {
            too_long = true;
        }
        r.consume(if done { take + 1 } else { take });
        if done {
            return Ok((false, too_long));
        }
    }
}

fn trim(b: &[u8]) -> &[u8] {
    let s = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let e = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(s, |p| p + 1);
    &b[s..e.max(s)]
}

/// Classifies one plain-list line.
fn classify_ioc(line: &[u8], suffix_all: bool) -> Option<FastKey> {
    let s = core::str::from_utf8(line).ok()?;
    if s.contains("://") {
        return Some(FastKey::Str(tag::URL, line.to_vec()));
    }
    if let Some(k) = ip_key(s, SIDE_ANY) {
        return Some(k);
    }
    if s.bytes().all(|c| c.is_ascii_hexdigit()) {
        return match s.len() {
            32 => hash_key(tag::MD5, s),
            40 => hash_key(tag::SHA1, s),
            64 => hash_key(tag::SHA256, s),
            _ => None,
        };
    }
    let (t, d) = if let Some(d) = s.strip_prefix("*.").or_else(|| s.strip_prefix('.')) {
        (tag::DOMAIN_SUFFIX, d)
    } else if suffix_all {
        (tag::DOMAIN_SUFFIX, s)
    } else {
        (tag::DOMAIN, s)
    };
    let ok = !d.is_empty()
        && d.len() <= 253
        && d.contains('.')
        && d.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.' || c == b'_')
        && !d.starts_with('.')
        && !d.contains("..");
    if ok {
        domain_key(t, d)
    } else {
        None
    }
}

#[cfg(test)]
mod tests;
