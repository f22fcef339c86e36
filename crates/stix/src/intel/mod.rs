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

mod compile;
pub mod custom;
mod direct;
mod load;
pub mod observation;
mod observe;
mod sid;
mod sightings;
pub mod table;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;

use hashbrown::HashMap;
use reefwatch_applayer::JsonBuilder;
use serde_json::Value;

pub use observation::{normalize_domain, types, Observation};
pub use sid::{signature_id_of, SID_BASE, SID_SPAN};
use table::{IpTable, StrTable};

use crate::model::uuid5;
use crate::pattern::Pattern;
use crate::tlp::Tlp;

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
    /// Signature id of a STIX indicator ([`sid`]); list entries have one per
    /// line, in [`Hit::signature_id`].
    pub signature_id: u32,
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
    /// Index of the indicator's metadata in its [`IntelSet`] (one per STIX
    /// indicator, one per IOC list file).
    pub indicator_index: u32,
    /// The indicator's own stable signature id (one per STIX indicator and
    /// per IOC list line; see [`sid`] for how it is derived).
    pub signature_id: u32,
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
    /// Signature id of the indicator this key belongs to (0 for trigger
    /// keys of full-evaluator patterns).
    sid: u32,
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
    sids: sid::SidAllocator,
}

impl IntelSet {
    /// An empty set.
    pub fn new() -> IntelSet {
        IntelSet::default()
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
}

#[cfg(test)]
mod tests;
