//! Validation of STIX 2.1 objects with errors that say which object, which
//! property and why — the checks a receiving hub or sensor needs before it
//! trusts an object: required properties per type, identifier format,
//! timestamps (RFC 3339, UTC `Z`), `spec_version`, marking references,
//! reference properties, hashes and, for STIX indicators, the pattern.
//!
//! It covers the SDOs/SROs used in sharing and the cyber-observables the
//! sensor emits; other types get the common checks only (custom `x-` types
//! are allowed, as the spec says).

use serde_json::{Map, Value};

use crate::time::parse_timestamp;

/// One validation finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationError {
    /// `id` of the offending object (or `"<no id>"`).
    pub object_id: String,
    /// Property path (`created`, `object_marking_refs[1]`, `hashes.MD5`), or
    /// empty for the object as a whole.
    pub property: String,
    /// What is wrong.
    pub reason: String,
}

impl core::fmt::Display for ValidationError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.property.is_empty() {
            write!(f, "{}: {}", self.object_id, self.reason)
        } else {
            write!(f, "{}: {}: {}", self.object_id, self.property, self.reason)
        }
    }
}

impl std::error::Error for ValidationError {}

/// Kind of a STIX type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectKind {
    /// Domain object (indicator, malware …).
    Sdo,
    /// Relationship object (relationship, sighting).
    Sro,
    /// Cyber-observable (ipv4-addr, file …).
    Sco,
    /// marking-definition.
    Marking,
    /// bundle (not a STIX object proper).
    Bundle,
    /// language-content, extension-definition.
    Meta,
    /// Unknown type (custom `x-` or not in 2.1).
    Other,
}

const SDO_TYPES: &[&str] = &[
    "attack-pattern",
    "campaign",
    "course-of-action",
    "grouping",
    "identity",
    "incident",
    "indicator",
    "infrastructure",
    "intrusion-set",
    "location",
    "malware",
    "malware-analysis",
    "note",
    "observed-data",
    "opinion",
    "report",
    "threat-actor",
    "tool",
    "vulnerability",
];

const SCO_TYPES: &[&str] = &[
    "artifact",
    "autonomous-system",
    "directory",
    "domain-name",
    "email-addr",
    "email-message",
    "file",
    "ipv4-addr",
    "ipv6-addr",
    "mac-addr",
    "mutex",
    "network-traffic",
    "process",
    "software",
    "url",
    "user-account",
    "windows-registry-key",
    "x509-certificate",
];

/// Classifies a type name.
pub fn kind_of(ty: &str) -> ObjectKind {
    if SDO_TYPES.contains(&ty) {
        ObjectKind::Sdo
    } else if ty == "relationship" || ty == "sighting" {
        ObjectKind::Sro
    } else if SCO_TYPES.contains(&ty) {
        ObjectKind::Sco
    } else if ty == "marking-definition" {
        ObjectKind::Marking
    } else if ty == "bundle" {
        ObjectKind::Bundle
    } else if ty == "language-content" || ty == "extension-definition" {
        ObjectKind::Meta
    } else {
        ObjectKind::Other
    }
}

/// True for a valid STIX type name: 3-250 chars of `a-z 0-9 -`, no
/// leading/trailing or double hyphen (STIX 2.1 §3.1).
pub fn is_valid_type_name(t: &str) -> bool {
    let b = t.as_bytes();
    (3..=250).contains(&b.len())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
        && !t.contains("--")
}

/// True for an RFC 4122 UUID text (8-4-4-4-12 hex, any case).
pub fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Splits `type--uuid`; `None` if malformed.
pub fn split_id(id: &str) -> Option<(&str, &str)> {
    let (t, u) = id.split_once("--")?;
    (is_valid_type_name(t) && is_uuid(u)).then_some((t, u))
}

/// Checks an identifier, optionally that it names an object of one of `types`.
pub fn check_identifier(id: &str, types: &[&str]) -> Result<(), String> {
    let Some((t, _)) = split_id(id) else {
        return Err(format!(
            "'{}' is not an identifier of the form type--UUID",
            clip(id)
        ));
    };
    if !types.is_empty() && !types.contains(&t) {
        return Err(format!(
            "'{}' must reference one of: {}",
            clip(id),
            types.join(", ")
        ));
    }
    Ok(())
}

fn clip(s: &str) -> &str {
    match s.char_indices().nth(80) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

struct Ctx<'a> {
    id: &'a str,
    errs: Vec<ValidationError>,
}

impl Ctx<'_> {
    fn err(&mut self, prop: impl Into<String>, reason: impl Into<String>) {
        if self.errs.len() < 256 {
            self.errs.push(ValidationError {
                object_id: self.id.to_string(),
                property: prop.into(),
                reason: reason.into(),
            });
        }
    }

    fn require(&mut self, o: &Map<String, Value>, prop: &str) -> bool {
        if o.contains_key(prop) {
            true
        } else {
            self.err(prop, "required property missing");
            false
        }
    }

    fn string<'v>(&mut self, o: &'v Map<String, Value>, prop: &str) -> Option<&'v str> {
        match o.get(prop)? {
            Value::String(s) => Some(s),
            _ => {
                self.err(prop, "must be a string");
                None
            }
        }
    }

    fn nonempty_string(&mut self, o: &Map<String, Value>, prop: &str) {
        if let Some(s) = self.string(o, prop) {
            if s.is_empty() {
                self.err(prop, "must not be empty");
            }
        }
    }

    fn timestamp(&mut self, o: &Map<String, Value>, prop: &str) -> Option<i128> {
        let s = self.string(o, prop)?;
        match parse_timestamp(s) {
            Ok(t) => Some(t),
            Err(e) => {
                self.err(prop, format!("'{}': {}", clip(s), e));
                None
            }
        }
    }

    fn reference(&mut self, o: &Map<String, Value>, prop: &str, types: &[&str]) {
        match o.get(prop) {
            None => {}
            Some(Value::String(s)) => {
                if let Err(e) = check_identifier(s, types) {
                    self.err(prop, e);
                }
            }
            Some(_) => self.err(prop, "must be an identifier string"),
        }
    }

    fn references(&mut self, o: &Map<String, Value>, prop: &str, types: &[&str], nonempty: bool) {
        match o.get(prop) {
            None => {}
            Some(Value::Array(a)) => {
                if nonempty && a.is_empty() {
                    self.err(prop, "must not be empty");
                }
                for (i, v) in a.iter().enumerate() {
                    match v {
                        Value::String(s) => {
                            if let Err(e) = check_identifier(s, types) {
                                self.err(format!("{prop}[{i}]"), e);
                            }
                        }
                        _ => self.err(format!("{prop}[{i}]"), "must be an identifier string"),
                    }
                }
            }
            Some(_) => self.err(prop, "must be a list of identifiers"),
        }
    }

    fn string_list(&mut self, o: &Map<String, Value>, prop: &str) {
        match o.get(prop) {
            None => {}
            Some(Value::Array(a)) => {
                if a.is_empty() {
                    self.err(prop, "must not be an empty list");
                }
                if a.iter().any(|v| !v.is_string()) {
                    self.err(prop, "must be a list of strings");
                }
            }
            Some(_) => self.err(prop, "must be a list of strings"),
        }
    }

    fn integer_range(&mut self, o: &Map<String, Value>, prop: &str, lo: i64, hi: i64) {
        match o.get(prop) {
            None => {}
            Some(v) => match v.as_i64() {
                Some(n) if (lo..=hi).contains(&n) => {}
                Some(n) => self.err(prop, format!("{n} is outside {lo}..={hi}")),
                None => self.err(prop, "must be an integer"),
            },
        }
    }

    fn boolean(&mut self, o: &Map<String, Value>, prop: &str) {
        if let Some(v) = o.get(prop) {
            if !v.is_boolean() {
                self.err(prop, "must be a boolean");
            }
        }
    }

    fn hashes(&mut self, o: &Map<String, Value>, prop: &str) {
        let Some(v) = o.get(prop) else { return };
        let Some(h) = v.as_object() else {
            self.err(prop, "must be a dictionary of hash algorithm to value");
            return;
        };
        if h.is_empty() {
            self.err(prop, "must not be empty");
        }
        for (k, v) in h {
            let p = format!("{prop}.{k}");
            let Some(s) = v.as_str() else {
                self.err(p, "hash value must be a string");
                continue;
            };
            let want = match k.as_str() {
                "MD5" => Some(32),
                "SHA-1" => Some(40),
                "SHA-256" | "SHA3-256" => Some(64),
                "SHA-512" | "SHA3-512" => Some(128),
                _ => None,
            };
            if let Some(n) = want {
                if s.len() != n || !s.bytes().all(|c| c.is_ascii_hexdigit()) {
                    self.err(p, format!("must be {n} hexadecimal digits"));
                }
            } else if k.len() > 250 {
                self.err(p, "hash algorithm name longer than 250 characters");
            }
        }
    }

    fn kill_chain_phases(&mut self, o: &Map<String, Value>) {
        let Some(v) = o.get("kill_chain_phases") else {
            return;
        };
        let Some(a) = v.as_array() else {
            self.err("kill_chain_phases", "must be a list");
            return;
        };
        for (i, k) in a.iter().enumerate() {
            let ok = k
                .get("kill_chain_name")
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty())
                && k.get("phase_name")
                    .and_then(Value::as_str)
                    .is_some_and(|s| !s.is_empty());
            if !ok {
                self.err(
                    format!("kill_chain_phases[{i}]"),
                    "needs non-empty kill_chain_name and phase_name strings",
                );
            }
        }
    }

    fn external_references(&mut self, o: &Map<String, Value>) {
        let Some(v) = o.get("external_references") else {
            return;
        };
        let Some(a) = v.as_array() else {
            self.err("external_references", "must be a list");
            return;
        };
        for (i, r) in a.iter().enumerate() {
            let p = format!("external_references[{i}]");
            let Some(r) = r.as_object() else {
                self.err(p, "must be an object");
                continue;
            };
            if !r.get("source_name").is_some_and(Value::is_string) {
                self.err(format!("{p}.source_name"), "required property missing");
            }
            if !(r.contains_key("description")
                || r.contains_key("url")
                || r.contains_key("external_id"))
            {
                self.err(
                    p.clone(),
                    "needs at least one of description, url, external_id",
                );
            }
            self.hashes(r, "hashes");
        }
    }

    fn granular_markings(&mut self, o: &Map<String, Value>) {
        let Some(v) = o.get("granular_markings") else {
            return;
        };
        let Some(a) = v.as_array() else {
            self.err("granular_markings", "must be a list");
            return;
        };
        for (i, g) in a.iter().enumerate() {
            let p = format!("granular_markings[{i}]");
            let Some(g) = g.as_object() else {
                self.err(p, "must be an object");
                continue;
            };
            match g.get("selectors").and_then(Value::as_array) {
                Some(s) if !s.is_empty() && s.iter().all(Value::is_string) => {}
                _ => self.err(
                    format!("{p}.selectors"),
                    "must be a non-empty list of strings",
                ),
            }
            match (g.get("marking_ref"), g.get("lang")) {
                (Some(_), Some(_)) => self.err(p, "marking_ref and lang are mutually exclusive"),
                (None, None) => self.err(p, "needs marking_ref or lang"),
                (Some(Value::String(m)), None) => {
                    if let Err(e) = check_identifier(m, &["marking-definition"]) {
                        self.err(format!("{p}.marking_ref"), e);
                    }
                }
                (Some(_), None) => {
                    self.err(format!("{p}.marking_ref"), "must be an identifier string")
                }
                (None, Some(_)) => {}
            }
        }
    }

    fn custom_property_names(&mut self, o: &Map<String, Value>) {
        for k in o.keys() {
            let ok = k.len() <= 250
                && !k.is_empty()
                && k.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_');
            if !ok {
                self.err(
                    clip(k).to_string(),
                    "property names must be ASCII letters, digits and '_' (at most 250)",
                );
            }
        }
    }
}

/// Limits for objects passed to [`validate_object`]: JSON nesting deeper
/// than this is reported (not walked).
pub const MAX_OBJECT_DEPTH: usize = 64;

fn depth(v: &Value, limit: usize) -> usize {
    let mut max = 0;
    let mut stack = vec![(v, 1usize)];
    while let Some((v, d)) = stack.pop() {
        max = max.max(d);
        if d > limit {
            return d;
        }
        match v {
            Value::Array(a) => stack.extend(a.iter().map(|x| (x, d + 1))),
            Value::Object(o) => stack.extend(o.values().map(|x| (x, d + 1))),
            _ => {}
        }
    }
    max
}

/// Validates one STIX 2.1 object (or a bundle, including each object in it).
pub fn validate_object(obj: &Value) -> Result<(), Vec<ValidationError>> {
    let id = obj.get("id").and_then(Value::as_str).unwrap_or("<no id>");
    let mut c = Ctx {
        id,
        errs: Vec::new(),
    };
    check_object(&mut c, obj);
    if c.errs.is_empty() {
        Ok(())
    } else {
        Err(c.errs)
    }
}

fn check_object(c: &mut Ctx<'_>, obj: &Value) {
    let Some(o) = obj.as_object() else {
        c.err("", "a STIX object must be a JSON object");
        return;
    };
    if depth(obj, MAX_OBJECT_DEPTH) > MAX_OBJECT_DEPTH {
        c.err("", format!("nested deeper than {MAX_OBJECT_DEPTH} levels"));
        return;
    }
    let ty = match o.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(_) => {
            c.err("type", "must be a string");
            return;
        }
        None => {
            c.err("type", "required property missing");
            return;
        }
    };
    if !is_valid_type_name(ty) {
        c.err(
            "type",
            format!(
                "'{}' is not a valid type name (a-z, 0-9, '-', 3-250 chars)",
                clip(ty)
            ),
        );
    }
    let kind = effective_kind(ty, o);
    // id
    if c.require(o, "id") {
        if let Some(id) = c.string(o, "id") {
            match split_id(id) {
                None => c.err(
                    "id",
                    format!("'{}' is not of the form type--UUID", clip(id)),
                ),
                Some((t, _)) if t != ty => c.err(
                    "id",
                    format!("prefix '{t}' does not match type '{}'", clip(ty)),
                ),
                Some(_) => {}
            }
        }
    }
    if kind == ObjectKind::Bundle {
        check_bundle(c, o);
        return;
    }
    c.custom_property_names(o);
    // spec_version: required on SDOs, SROs, markings; optional on SCOs.
    match o.get("spec_version") {
        Some(Value::String(v)) if v == "2.1" => {}
        Some(Value::String(v)) => c.err("spec_version", format!("'{}' is not '2.1'", clip(v))),
        Some(_) => c.err("spec_version", "must be a string"),
        None => {
            if matches!(
                kind,
                ObjectKind::Sdo | ObjectKind::Sro | ObjectKind::Marking | ObjectKind::Meta
            ) {
                c.err("spec_version", "required property missing (must be '2.1')");
            }
        }
    }
    // Common properties.
    let is_sdo_sro = matches!(kind, ObjectKind::Sdo | ObjectKind::Sro | ObjectKind::Meta);
    if is_sdo_sro || kind == ObjectKind::Marking {
        c.require(o, "created");
    }
    if is_sdo_sro {
        c.require(o, "modified");
    }
    let created = c.timestamp(o, "created");
    let modified = c.timestamp(o, "modified");
    if kind == ObjectKind::Marking && o.contains_key("modified") {
        c.err(
            "modified",
            "marking-definition objects are immutable and have no modified",
        );
    }
    if let (Some(cr), Some(m)) = (created, modified) {
        if m < cr {
            c.err("modified", "is earlier than created");
        }
    }
    c.reference(o, "created_by_ref", &["identity"]);
    c.boolean(o, "revoked");
    c.string_list(o, "labels");
    c.integer_range(o, "confidence", 0, 100);
    c.string(o, "lang");
    c.external_references(o);
    c.references(o, "object_marking_refs", &["marking-definition"], false);
    c.granular_markings(o);
    if let Some(Value::Object(ext)) = o.get("extensions") {
        for (k, v) in ext {
            if !v.is_object() {
                c.err(format!("extensions.{k}"), "must be an object");
            }
            if let Some(rest) = k.strip_prefix("extension-definition--") {
                if !is_uuid(rest) {
                    c.err(
                        format!("extensions.{k}"),
                        "extension-definition key is not type--UUID",
                    );
                }
            }
        }
    } else if o.contains_key("extensions") {
        c.err("extensions", "must be a dictionary");
    }
    if kind == ObjectKind::Sco {
        c.boolean(o, "defanged");
    }
    check_type_specific(c, ty, o);
    check_all_references(c, o);
}

/// How a type is checked. A custom type (not in STIX 2.1) is an SCO when
/// the object declares a `new-sco` extension definition, a domain object
/// when it declares `new-sdo`/`new-sro` or its name starts with `x-` (the
/// STIX 2.0-style custom object, which has the SDO common properties);
/// otherwise it gets the common checks only.
pub fn effective_kind(ty: &str, o: &Map<String, Value>) -> ObjectKind {
    let kind = kind_of(ty);
    if kind != ObjectKind::Other {
        return kind;
    }
    match declared_extension_type(o) {
        Some("new-sco") => ObjectKind::Sco,
        Some("new-sdo") => ObjectKind::Sdo,
        Some("new-sro") => ObjectKind::Sro,
        _ if ty.starts_with("x-") => ObjectKind::Sdo,
        _ => ObjectKind::Other,
    }
}

/// The `extension_type` of the first `new-…` extension definition the
/// object declares in `extensions` (`{"extension-definition--…":
/// {"extension_type": "new-sco"}}`).
fn declared_extension_type(o: &Map<String, Value>) -> Option<&str> {
    let ext = o.get("extensions")?.as_object()?;
    ext.iter()
        .filter(|(k, _)| k.starts_with("extension-definition--"))
        .filter_map(|(_, v)| v.get("extension_type")?.as_str())
        .find(|t| t.starts_with("new-"))
}

/// Every top-level `*_ref` property is an identifier and every `*_refs` a
/// list of them (STIX 2.1 §3.2, reference naming), including custom ones;
/// properties already reported by a type-specific check are not repeated.
fn check_all_references(c: &mut Ctx<'_>, o: &Map<String, Value>) {
    for k in o.keys() {
        let single = k.ends_with("_ref");
        if !single && !k.ends_with("_refs") {
            continue;
        }
        let reported = c.errs.iter().any(|e| {
            e.property
                .strip_prefix(k.as_str())
                .is_some_and(|r| r.is_empty() || r.starts_with('['))
        });
        if reported {
            continue;
        }
        if single {
            c.reference(o, k, &[]);
        } else {
            c.references(o, k, &[], false);
        }
    }
}

fn check_bundle(c: &mut Ctx<'_>, o: &Map<String, Value>) {
    if o.contains_key("spec_version") {
        c.err("spec_version", "bundles have no spec_version in STIX 2.1");
    }
    match o.get("objects") {
        None => {}
        Some(Value::Array(a)) => {
            for (i, obj) in a.iter().enumerate() {
                if c.errs.len() >= 256 {
                    break;
                }
                let id = obj.get("id").and_then(Value::as_str).unwrap_or("<no id>");
                let mut inner = Ctx {
                    id,
                    errs: Vec::new(),
                };
                if id == "<no id>" {
                    inner.id = "";
                    let label = format!("objects[{i}]");
                    check_object(&mut inner, obj);
                    for mut e in inner.errs {
                        e.object_id = label.clone();
                        c.errs.push(e);
                    }
                } else {
                    check_object(&mut inner, obj);
                    c.errs.extend(inner.errs);
                }
            }
        }
        Some(_) => c.err("objects", "must be a list"),
    }
}

fn check_type_specific(c: &mut Ctx<'_>, ty: &str, o: &Map<String, Value>) {
    match ty {
        "indicator" => {
            for p in ["pattern", "pattern_type", "valid_from"] {
                c.require(o, p);
            }
            c.nonempty_string(o, "name");
            c.string_list(o, "indicator_types");
            let from = c.timestamp(o, "valid_from");
            let until = c.timestamp(o, "valid_until");
            if let (Some(f), Some(u)) = (from, until) {
                if u <= f {
                    c.err("valid_until", "must be later than valid_from");
                }
            }
            c.kill_chain_phases(o);
            let pt = c.string(o, "pattern_type");
            let pat = c.string(o, "pattern");
            if let (Some("stix"), Some(p)) = (pt, pat) {
                if let Some(hook) = pattern_checker() {
                    if let Err(e) = hook(p) {
                        c.err("pattern", e);
                    }
                }
            }
        }
        "observed-data" => {
            for p in ["first_observed", "last_observed", "number_observed"] {
                c.require(o, p);
            }
            let f = c.timestamp(o, "first_observed");
            let l = c.timestamp(o, "last_observed");
            if let (Some(f), Some(l)) = (f, l) {
                if l < f {
                    c.err("last_observed", "is earlier than first_observed");
                }
            }
            c.integer_range(o, "number_observed", 1, 999_999_999);
            match (o.contains_key("object_refs"), o.contains_key("objects")) {
                (false, false) => c.err(
                    "object_refs",
                    "observed-data needs object_refs (or the deprecated objects)",
                ),
                (true, true) => c.err("objects", "objects and object_refs are mutually exclusive"),
                _ => {}
            }
            c.references(o, "object_refs", &[], true);
        }
        "sighting" => {
            c.require(o, "sighting_of_ref");
            c.reference(o, "sighting_of_ref", &[]);
            c.references(o, "observed_data_refs", &["observed-data"], false);
            c.references(o, "where_sighted_refs", &["identity", "location"], false);
            c.integer_range(o, "count", 0, 999_999_999);
            let f = c.timestamp(o, "first_seen");
            let l = c.timestamp(o, "last_seen");
            if let (Some(f), Some(l)) = (f, l) {
                if l < f {
                    c.err("last_seen", "is earlier than first_seen");
                }
            }
            c.boolean(o, "summary");
        }
        "relationship" => {
            for p in ["relationship_type", "source_ref", "target_ref"] {
                c.require(o, p);
            }
            c.nonempty_string(o, "relationship_type");
            c.reference(o, "source_ref", &[]);
            c.reference(o, "target_ref", &[]);
            let s = c.timestamp(o, "start_time");
            let t = c.timestamp(o, "stop_time");
            if let (Some(s), Some(t)) = (s, t) {
                if t <= s {
                    c.err("stop_time", "must be later than start_time");
                }
            }
        }
        "malware" => {
            if c.require(o, "is_family") {
                match o.get("is_family") {
                    Some(Value::Bool(true)) => {
                        if !o.contains_key("name") {
                            c.err("name", "required when is_family is true");
                        }
                    }
                    Some(Value::Bool(false)) => {}
                    _ => c.err("is_family", "must be a boolean"),
                }
            }
            c.nonempty_string(o, "name");
            c.kill_chain_phases(o);
            c.references(o, "sample_refs", &["file", "artifact"], false);
            c.references(o, "operating_system_refs", &["software"], false);
            c.timestamp(o, "first_seen");
            c.timestamp(o, "last_seen");
        }
        "attack-pattern" | "identity" | "infrastructure" | "vulnerability" | "campaign"
        | "intrusion-set" | "threat-actor" | "tool" | "course-of-action" => {
            if c.require(o, "name") {
                c.nonempty_string(o, "name");
            }
            c.kill_chain_phases(o);
            if ty == "identity" {
                c.string(o, "identity_class");
            }
            if ty == "infrastructure" {
                c.timestamp(o, "first_seen");
                c.timestamp(o, "last_seen");
            }
        }
        "report" => {
            for p in ["name", "published", "object_refs"] {
                c.require(o, p);
            }
            c.nonempty_string(o, "name");
            c.timestamp(o, "published");
            c.references(o, "object_refs", &[], true);
        }
        "grouping" => {
            c.require(o, "context");
            c.require(o, "object_refs");
            c.references(o, "object_refs", &[], true);
        }
        "note" => {
            c.require(o, "content");
            c.require(o, "object_refs");
            c.references(o, "object_refs", &[], true);
        }
        "marking-definition" => check_marking_definition(c, o),
        "extension-definition" => {
            for p in [
                "created_by_ref",
                "name",
                "schema",
                "version",
                "extension_types",
            ] {
                c.require(o, p);
            }
            c.nonempty_string(o, "name");
            c.nonempty_string(o, "schema");
            c.nonempty_string(o, "version");
            c.string_list(o, "extension_types");
            const TYPES: [&str; 5] = [
                "new-sdo",
                "new-sco",
                "new-sro",
                "property-extension",
                "toplevel-property-extension",
            ];
            if let Some(Value::Array(a)) = o.get("extension_types") {
                if a.iter()
                    .any(|v| v.as_str().is_some_and(|s| !TYPES.contains(&s)))
                {
                    c.err(
                        "extension_types",
                        format!("values must be among {}", TYPES.join(", ")),
                    );
                }
            }
        }
        "ipv4-addr" | "ipv6-addr" | "mac-addr" | "domain-name" | "url" | "email-addr" | "mutex" => {
            if c.require(o, if ty == "mutex" { "name" } else { "value" }) {
                check_sco_value(c, ty, o);
            }
            c.references(o, "resolves_to_refs", &[], false);
            c.references(o, "belongs_to_refs", &["autonomous-system"], false);
            c.reference(o, "belongs_to_ref", &["user-account"]);
        }
        "network-traffic" => {
            if !o.contains_key("src_ref") && !o.contains_key("dst_ref") {
                c.err("", "network-traffic needs src_ref or dst_ref");
            }
            if c.require(o, "protocols") {
                c.string_list(o, "protocols");
            }
            let addr = &["ipv4-addr", "ipv6-addr", "mac-addr", "domain-name"];
            c.reference(o, "src_ref", addr);
            c.reference(o, "dst_ref", addr);
            c.integer_range(o, "src_port", 0, 65535);
            c.integer_range(o, "dst_port", 0, 65535);
            for p in [
                "src_byte_count",
                "dst_byte_count",
                "src_packets",
                "dst_packets",
            ] {
                c.integer_range(o, p, 0, i64::MAX);
            }
            let s = c.timestamp(o, "start");
            let e = c.timestamp(o, "end");
            if let (Some(s), Some(e)) = (s, e) {
                if e < s {
                    c.err("end", "is earlier than start");
                }
            }
            c.reference(o, "src_payload_ref", &["artifact"]);
            c.reference(o, "dst_payload_ref", &["artifact"]);
            if let Some(Value::Object(ext)) = o.get("extensions") {
                if let Some(Value::Object(h)) = ext.get("http-request-ext") {
                    for p in ["request_method", "request_value"] {
                        if !h.contains_key(p) {
                            c.err(
                                format!("extensions.http-request-ext.{p}"),
                                "required property missing",
                            );
                        }
                    }
                }
            }
        }
        "file" => {
            if !o.contains_key("hashes") && !o.contains_key("name") {
                c.err("", "file needs hashes or name");
            }
            c.hashes(o, "hashes");
            c.integer_range(o, "size", 0, i64::MAX);
            c.reference(o, "parent_directory_ref", &["directory"]);
            c.reference(o, "content_ref", &["artifact"]);
            c.references(o, "contains_refs", &[], false);
        }
        "x509-certificate" => {
            let props = [
                "is_self_signed",
                "hashes",
                "version",
                "serial_number",
                "signature_algorithm",
                "issuer",
                "validity_not_before",
                "validity_not_after",
                "subject",
                "subject_public_key_algorithm",
                "subject_public_key_modulus",
                "subject_public_key_exponent",
                "x509_v3_extensions",
            ];
            if !props.iter().any(|p| o.contains_key(*p)) {
                c.err("", "x509-certificate needs at least one of its properties");
            }
            c.hashes(o, "hashes");
            c.timestamp(o, "validity_not_before");
            c.timestamp(o, "validity_not_after");
        }
        "software" => {
            c.require(o, "name");
            c.nonempty_string(o, "name");
        }
        "artifact" => {
            if o.contains_key("payload_bin") && o.contains_key("url") {
                c.err("", "payload_bin and url are mutually exclusive");
            }
            c.hashes(o, "hashes");
            if o.contains_key("url") && !o.contains_key("hashes") {
                c.err("hashes", "required when url is present");
            }
        }
        "autonomous-system" => {
            c.require(o, "number");
            c.integer_range(o, "number", 0, u32::MAX as i64);
        }
        "directory" => {
            c.require(o, "path");
        }
        "windows-registry-key" | "user-account" | "process" | "email-message" => {}
        _ => {}
    }
}

fn check_sco_value(c: &mut Ctx<'_>, ty: &str, o: &Map<String, Value>) {
    let prop = if ty == "mutex" { "name" } else { "value" };
    let Some(v) = c.string(o, prop) else { return };
    let ok = match ty {
        "ipv4-addr" => crate::net::parse_ipv4_cidr(v).is_some(),
        "ipv6-addr" => crate::net::parse_ipv6_cidr(v).is_some(),
        "mac-addr" => {
            // Colon-delimited, lowercase, two hex digits per octet.
            let b = v.as_bytes();
            b.len() == 17
                && b.iter().enumerate().all(|(i, c)| {
                    if i % 3 == 2 {
                        *c == b':'
                    } else {
                        c.is_ascii_digit() || (b'a'..=b'f').contains(c)
                    }
                })
        }
        "domain-name" => !v.is_empty() && v.len() <= 253 && !v.contains(char::is_whitespace),
        "url" => v.contains(':') && !v.contains(char::is_whitespace),
        "email-addr" => v.contains('@'),
        _ => !v.is_empty(),
    };
    if !ok {
        c.err(prop, format!("'{}' is not a valid {ty} value", clip(v)));
    }
}

fn check_marking_definition(c: &mut Ctx<'_>, o: &Map<String, Value>) {
    let dt = o.get("definition_type");
    let has_ext = o
        .get("extensions")
        .and_then(Value::as_object)
        .is_some_and(|e| !e.is_empty());
    match dt {
        None => {
            if !has_ext {
                c.err(
                    "definition_type",
                    "required unless the marking is defined by an extension",
                );
            }
            if o.contains_key("definition") {
                c.err("definition", "present without definition_type");
            }
        }
        Some(Value::String(t)) => {
            let def = o.get("definition").and_then(Value::as_object);
            match (t.as_str(), def) {
                (_, None) => c.err("definition", "required with definition_type, as an object"),
                ("statement", Some(d)) if !d.get("statement").is_some_and(Value::is_string) => {
                    c.err(
                        "definition.statement",
                        "required string for a statement marking",
                    );
                }
                ("tlp", Some(d)) => {
                    match d.get("tlp").and_then(Value::as_str) {
                        Some("white" | "green" | "amber" | "red") => {
                            let id = o.get("id").and_then(Value::as_str).unwrap_or("");
                            if crate::tlp::level_of_marking(id).is_none() {
                                c.err("id", "TLP 1.0 markings must use the predefined marking-definition ids");
                            }
                        }
                        _ => c.err("definition.tlp", "must be one of white, green, amber, red"),
                    }
                }
                _ => {}
            }
        }
        Some(_) => c.err("definition_type", "must be a string"),
    }
}

type PatternHook = fn(&str) -> Result<(), String>;

fn pattern_checker() -> Option<PatternHook> {
    Some(crate::pattern::check_pattern)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn errs(v: Value) -> Vec<String> {
        match validate_object(&v) {
            Ok(()) => vec![],
            Err(e) => e.iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn good_indicator_passes() {
        let v = json!({
            "type": "indicator", "spec_version": "2.1",
            "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z",
            "indicator_types": ["malicious-activity"], "name": "Poison Ivy Malware",
            "pattern": "[file:hashes.'SHA-256' = '4bac27393bdd9777ce02453256c5577cd02275510b2227f473d03f533924f877']",
            "pattern_type": "stix", "valid_from": "2016-01-01T00:00:00Z",
            "object_marking_refs": [crate::tlp::TLP2_AMBER]
        });
        assert_eq!(errs(v), Vec::<String>::new());
    }

    #[test]
    fn bad_indicator_reports_each_problem() {
        let v = json!({
            "type": "indicator", "spec_version": "2.0",
            "id": "indicator--not-a-uuid",
            "created": "2016-04-06T20:03:48+02:00", "modified": "2016-04-06T20:03:48.000Z",
            "pattern": "[file:name = ",
            "pattern_type": "stix",
            "object_marking_refs": ["identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"]
        });
        let e = errs(v);
        let joined = e.join("\n");
        assert!(joined.contains("indicator--not-a-uuid: id:"), "{joined}");
        assert!(joined.contains("spec_version"), "{joined}");
        assert!(
            joined.contains("created: '2016-04-06T20:03:48+02:00': timestamp must be UTC"),
            "{joined}"
        );
        assert!(
            joined.contains("valid_from: required property missing"),
            "{joined}"
        );
        assert!(joined.contains("object_marking_refs[0]: "), "{joined}");
        assert!(joined.contains("pattern: "), "{joined}");
    }

    #[test]
    fn id_prefix_must_match_type() {
        let v = json!({"type": "ipv4-addr", "id": "ipv6-addr--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "value": "1.2.3.4"});
        assert!(errs(v)[0].contains("does not match type"));
        let ok = json!({"type": "ipv4-addr", "id": "ipv4-addr--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "value": "10.0.0.0/8"});
        assert!(errs(ok).is_empty());
    }

    #[test]
    fn bundle_checks_inner_objects_and_markings() {
        let b = json!({"type": "bundle", "id": "bundle--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "objects": [
            crate::tlp::marking_definition_v1(crate::tlp::Tlp::Green).unwrap(),
            crate::tlp::marking_definition_v2(crate::tlp::Tlp::AmberStrict),
            {"type": "marking-definition", "spec_version": "2.1", "id": "marking-definition--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
             "created": "2016-04-06T20:03:48.000Z", "definition_type": "statement", "definition": {}},
            {"type": "x-custom-thing", "id": "x-custom-thing--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "spec_version": "2.1", "x_foo": 1,
             "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z"},
            {"type": "sighting", "spec_version": "2.1", "id": "sighting--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
             "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z"}
        ]});
        let e = errs(b);
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(e[0].contains("definition.statement"));
        assert!(e[1].contains("sighting_of_ref: required property missing"));
    }

    #[test]
    fn custom_objects_by_declared_kind() {
        let id = "x-user-agent--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
        // 2.0-style custom object: SDO common properties required.
        let bare =
            json!({"type": "x-user-agent", "spec_version": "2.1", "id": id, "value": "curl/8"});
        let e = errs(bare.clone());
        assert_eq!(
            e,
            vec![
                format!("{id}: created: required property missing"),
                format!("{id}: modified: required property missing")
            ]
        );
        // Declared as a new SCO by an extension definition: SCO rules.
        let mut sco = bare;
        sco["extensions"] = json!({"extension-definition--5d7f5c32-7e3a-4a8c-9a0e-4d0f2f8e3b11": {"extension_type": "new-sco"}});
        assert_eq!(errs(sco), Vec::<String>::new());
        // A type unknown to STIX 2.1 without the x- prefix: common checks only.
        let other = json!({"type": "user-agent", "id": "user-agent--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "value": "curl/8"});
        assert_eq!(errs(other), Vec::<String>::new());
    }

    #[test]
    fn every_reference_property_is_checked_once() {
        let v = json!({"type": "sighting", "spec_version": "2.1", "id": "sighting--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z",
            "sighting_of_ref": "nope", "x_sensor_ref": "also-nope", "x_seen_refs": ["indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", 7]});
        let e = errs(v);
        assert_eq!(e.len(), 3, "{e:#?}");
        assert!(e[0].contains("sighting_of_ref: 'nope'"), "{e:?}");
        assert!(
            e.iter().any(|x| x.contains("x_sensor_ref: 'also-nope'")),
            "{e:?}"
        );
        assert!(
            e.iter()
                .any(|x| x.contains("x_seen_refs[1]: must be an identifier string")),
            "{e:?}"
        );
    }
}
