//! Loading indicators: STIX bundles (files, directories) and plain IOC lists.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use hashbrown::HashMap;
use serde_json::Value;

use super::compile::{domain_key, hash_key, ip_key, FastKey};
use super::{tag, IndicatorMeta, IntelSet, LoadWarning, MAX_DIR_DEPTH, MAX_FILE_BYTES, MAX_LINE};
use super::{NONE, SIDE_ANY};
use crate::pattern::{parse_with, Strictness};
use crate::time::parse_timestamp;
use crate::tlp::{self, Tlp};

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

impl IntelSet {
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
            let warning = |reason: String| LoadWarning {
                source: path.to_path_buf(),
                id: Some(id.unwrap_or("<no id>").to_string()),
                line: None,
                reason,
            };
            match self.load_indicator(o, source, &custom_tlp) {
                Ok(()) => {}
                Err(r) => warns.push(warning(r)),
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
            signature_id: self.sids.assign(id),
        };
        let mi = self.push_meta(meta)?;
        self.compile_pattern(mi, parsed)
    }

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
        let mut list_name = String::new();
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
                list_name = m.name.clone().unwrap_or_else(|| source.to_string());
                match self.push_meta(m) {
                    Ok(i) => mi = i,
                    Err(e) => return warn(warns, None, e),
                }
            }
            match classify_ioc(line, suffix_all) {
                Some(k) => {
                    let sid = self
                        .sids
                        .assign(&format!("{list_name}\n{}", k.list_pattern()));
                    match self.add_key(&k, mi, sid) {
                        Ok(()) => self.stats.indicators += 1,
                        Err(e) => warn(warns, Some(n), e),
                    }
                }
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
