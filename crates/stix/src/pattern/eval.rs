//! Evaluation of a [`Pattern`] against STIX 2.1 observed-data.
//!
//! Semantics follow the STIX 2.1 specification and, where the specification
//! leaves room, the OASIS reference matcher (stix2-matcher 3.0):
//!
//! * Observations are the observed-data objects of the input bundles (all
//!   bundles together form one pool of objects); each one's SCOs are those in
//!   its `object_refs`, and references (`*_ref`, `*_refs`) resolve among them.
//! * An observed-data with `number_observed = n` counts as `n` distinct
//!   observations for `AND`, `FOLLOWEDBY` and `REPEATS`.
//! * `[a AND b]` must hold on one root object; `[a OR b]` on any.
//! * A comparison on a missing property is false, also under `NOT`/`!=`.
//! * Properties named `*_hex` / `*_bin` are binary; strings compare with
//!   binary values when all their code points are below 256 (Latin-1).
//! * Timestamp literals compare with strings holding STIX timestamps (a string
//!   that is not one is an error).
//! * `LIKE` and `MATCHES` normalise both sides to Unicode NFC.
//! * `FOLLOWEDBY`: each left observation's `first_observed` is no later than
//!   each right observation's `last_observed`. `WITHIN`: some window of that
//!   length touches every observation's interval. `START/STOP`: every
//!   interval overlaps [START, STOP).
//!
//! Differences from the reference matcher, by design: `ISSUBSET` /
//! `ISSUPERSET` accept IPv6 and /0 (the spec allows both; the matcher only
//! does IPv4 /1-/32); invalid addresses compare false instead of raising.
//!
//! Work is bounded: every intermediate set of bindings is capped at
//! [`MAX_BINDINGS`]; past it evaluation stops with an error rather than
//! consuming unbounded memory or time.

use std::collections::HashMap;

use serde_json::Value;
use unicode_normalization::UnicodeNormalization;

use super::{CompExpr, Literal, ObjectPath, ObsExpr, Op, Pattern, Step};
use crate::net::Net;
use crate::time::parse_timestamp;

/// Cap on intermediate bindings per pattern node.
pub const MAX_BINDINGS: usize = 200_000;
/// Cap on values one object path may select per object.
pub const MAX_PATH_VALUES: usize = 100_000;

/// Evaluation error (bad observation data, or a work limit hit).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvalError(pub String);

impl core::fmt::Display for EvalError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EvalError {}

fn eerr<T>(msg: impl Into<String>) -> Result<T, EvalError> {
    Err(EvalError(msg.into()))
}

/// STIX 2.1 types that are not cyber-observables: a pattern on them never matches.
pub const NON_SCO_TYPES: &[&str] = &[
    "attack-pattern",
    "bundle",
    "campaign",
    "course-of-action",
    "extension-definition",
    "grouping",
    "identity",
    "incident",
    "indicator",
    "infrastructure",
    "intrusion-set",
    "language-content",
    "location",
    "malware",
    "malware-analysis",
    "marking-definition",
    "note",
    "observed-data",
    "opinion",
    "relationship",
    "report",
    "threat-actor",
    "tool",
    "sighting",
    "vulnerability",
];

/// One observation: an observed-data's time interval, count and SCOs.
#[derive(Clone, Debug)]
pub struct Observation<'a> {
    pub id: &'a str,
    pub first: i128,
    pub last: i128,
    pub count: u64,
    pub objects: Vec<&'a Value>,
}

/// The observations a pattern is matched against.
#[derive(Clone, Debug, Default)]
pub struct Observations<'a> {
    pub obs: Vec<Observation<'a>>,
}

fn json_ts(v: Option<&Value>, what: &str) -> Result<i128, EvalError> {
    match v.and_then(Value::as_str) {
        Some(s) => parse_timestamp(s).map_err(|e| EvalError(format!("{what} '{s}': {e}"))),
        None => eerr(format!("observed-data needs a {what} timestamp")),
    }
}

impl<'a> Observations<'a> {
    /// Builds observations from what `stix2-matcher` takes: a list of
    /// bundles (or bare objects), all pooled together; each observed-data in
    /// them becomes one observation with the SCOs named in its `object_refs`.
    pub fn from_json(items: &'a [Value]) -> Result<Observations<'a>, EvalError> {
        let mut by_id: HashMap<&'a str, &'a Value> = HashMap::new();
        let mut od: Vec<&'a Value> = Vec::new();
        let mut add = |o: &'a Value| -> Result<(), EvalError> {
            match o.get("type").and_then(Value::as_str) {
                Some("observed-data") => od.push(o),
                Some(_) => {
                    if let Some(id) = o.get("id").and_then(Value::as_str) {
                        by_id.insert(id, o);
                    }
                }
                None => return eerr("object without a type"),
            }
            Ok(())
        };
        for item in items {
            if item.get("type").and_then(Value::as_str) == Some("bundle") {
                match item.get("objects") {
                    Some(Value::Array(a)) => {
                        for o in a {
                            add(o)?;
                        }
                    }
                    Some(_) => return eerr("bundle 'objects' is not a list"),
                    None => return eerr("STIX 2.1 bundle must have 'objects'"),
                }
            } else {
                add(item)?;
            }
        }
        let mut obs = Vec::with_capacity(od.len());
        for o in od {
            let id = o.get("id").and_then(Value::as_str).unwrap_or("");
            let count = match o.get("number_observed").and_then(Value::as_u64) {
                Some(n) if n >= 1 => n,
                Some(_) | None => {
                    return eerr(format!("{id}: number_observed must be an integer >= 1"))
                }
            };
            let first = json_ts(o.get("first_observed"), "first_observed")?;
            let last = json_ts(o.get("last_observed"), "last_observed")?;
            if last < first {
                return eerr(format!("{id}: last_observed is before first_observed"));
            }
            let refs = match o.get("object_refs") {
                Some(Value::Array(a)) => a,
                _ => {
                    return eerr(format!(
                        "{id}: STIX 2.1 observed-data must have object_refs"
                    ))
                }
            };
            let mut objects = Vec::with_capacity(refs.len());
            for r in refs {
                if let Some(x) = r.as_str().and_then(|r| by_id.get(r)) {
                    objects.push(*x);
                }
            }
            obs.push(Observation {
                id,
                first,
                last,
                count,
                objects,
            });
        }
        Ok(Observations { obs })
    }
}

/// Does the pattern match these observations?
pub fn matches(p: &Pattern, obs: &Observations<'_>) -> Result<bool, EvalError> {
    Ok(!bindings(p, obs)?.is_empty())
}

/// All bindings (up to the caps): each a list of (observation index,
/// instance) pairs packed as `obs << 32 | instance`.
pub fn bindings(p: &Pattern, obs: &Observations<'_>) -> Result<Vec<Vec<u64>>, EvalError> {
    let k = binding_size(&p.root).clamp(1, 100_000);
    let mut ev = Evaluator {
        obs,
        instances_cap: k,
    };
    ev.obs_expr(&p.root)
}

/// Most observations one binding of `e` can use.
fn binding_size(e: &ObsExpr) -> u64 {
    match e {
        ObsExpr::Simple(_) => 1,
        ObsExpr::And(v) | ObsExpr::Or(v) => {
            v.iter().map(binding_size).fold(0u64, u64::saturating_add)
        }
        ObsExpr::FollowedBy(a, b) => binding_size(a).saturating_add(binding_size(b)),
        ObsExpr::Within(a, _) | ObsExpr::StartStop(a, _, _) => binding_size(a),
        ObsExpr::Repeats(a, n) => binding_size(a).saturating_mul(u64::from(*n)),
    }
}

struct Evaluator<'e, 'a> {
    obs: &'e Observations<'a>,
    instances_cap: u64,
}

type Binding = Vec<u64>;

fn disjoint(a: &[u64], b: &[u64]) -> bool {
    a.iter().all(|x| !b.contains(x))
}

fn check_cap(n: usize) -> Result<(), EvalError> {
    if n > MAX_BINDINGS {
        eerr(format!(
            "pattern evaluation exceeded {MAX_BINDINGS} candidate bindings"
        ))
    } else {
        Ok(())
    }
}

impl<'e, 'a> Evaluator<'e, 'a> {
    fn interval(&self, inst: u64) -> (i128, i128) {
        let o = &self.obs.obs[(inst >> 32) as usize];
        (o.first, o.last)
    }

    fn obs_expr(&mut self, e: &ObsExpr) -> Result<Vec<Binding>, EvalError> {
        match e {
            ObsExpr::Simple(c) => {
                let mut out = Vec::new();
                for (i, o) in self.obs.obs.iter().enumerate() {
                    let roots = comp_expr(c, o)?;
                    if roots.iter().any(|r| *r) {
                        let n = o.count.min(self.instances_cap);
                        for inst in 0..n {
                            out.push(vec![(i as u64) << 32 | inst]);
                            check_cap(out.len())?;
                        }
                    }
                }
                Ok(out)
            }
            ObsExpr::Or(v) => {
                let mut out = Vec::new();
                for x in v {
                    out.extend(self.obs_expr(x)?);
                    check_cap(out.len())?;
                }
                Ok(out)
            }
            ObsExpr::And(v) => {
                let mut acc = self.obs_expr(&v[0])?;
                // Every operand is evaluated even when the result is already
                // empty, so bad data is reported the same whatever the order.
                for x in &v[1..] {
                    let rhs = self.obs_expr(x)?;
                    let mut out = Vec::new();
                    for l in &acc {
                        for r in &rhs {
                            if disjoint(l, r) {
                                let mut b = l.clone();
                                b.extend_from_slice(r);
                                out.push(b);
                                check_cap(out.len())?;
                            }
                        }
                    }
                    acc = out;
                }
                Ok(acc)
            }
            ObsExpr::FollowedBy(a, b) => {
                let lhs = self.obs_expr(a)?;
                let rhs = self.obs_expr(b)?;
                let mut out = Vec::new();
                for l in &lhs {
                    let latest_first = l.iter().map(|i| self.interval(*i).0).max();
                    for r in &rhs {
                        let earliest_last = r.iter().map(|i| self.interval(*i).1).min();
                        if disjoint(l, r) && latest_first <= earliest_last {
                            let mut x = l.clone();
                            x.extend_from_slice(r);
                            out.push(x);
                            check_cap(out.len())?;
                        }
                    }
                }
                Ok(out)
            }
            ObsExpr::Within(a, ns) => {
                let v = self.obs_expr(a)?;
                Ok(v.into_iter().filter(|b| self.within(b, *ns)).collect())
            }
            ObsExpr::StartStop(a, start, stop) => {
                let v = self.obs_expr(a)?;
                Ok(v.into_iter()
                    .filter(|b| {
                        b.iter().all(|i| {
                            let (f, l) = self.interval(*i);
                            // Overlap of [start, stop) with [f, l]; touching
                            // at `start` counts, at `stop` does not.
                            start < stop && f < *stop && l >= *start
                        })
                    })
                    .collect())
            }
            ObsExpr::Repeats(a, n) => {
                let v = self.obs_expr(a)?;
                if *n <= 1 {
                    return Ok(v);
                }
                let mut out = Vec::new();
                let mut chosen: Vec<usize> = Vec::new();
                combos(&v, *n as usize, 0, &mut chosen, &mut out)?;
                Ok(out)
            }
        }
    }

    fn within(&self, b: &[u64], ns: i128) -> bool {
        let Some(earliest_last) = b.iter().map(|i| self.interval(*i).1).min() else {
            return true;
        };
        let hi = earliest_last.saturating_add(ns);
        b.iter().all(|i| {
            let (f, l) = self.interval(*i);
            f <= hi && l >= earliest_last
        })
    }
}

/// Pairwise-disjoint `k`-combinations of `v`, flattened.
fn combos(
    v: &[Binding],
    k: usize,
    start: usize,
    chosen: &mut Vec<usize>,
    out: &mut Vec<Binding>,
) -> Result<(), EvalError> {
    if chosen.len() == k {
        let mut b = Vec::new();
        for &c in chosen.iter() {
            b.extend_from_slice(&v[c]);
        }
        out.push(b);
        return check_cap(out.len());
    }
    let need = k - chosen.len();
    if v.len().saturating_sub(start) < need {
        return Ok(());
    }
    for i in start..v.len() {
        if chosen.iter().all(|&c| disjoint(&v[c], &v[i])) {
            chosen.push(i);
            combos(v, k, i + 1, chosen, out)?;
            chosen.pop();
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------
// Comparison expressions on one observation.

/// Per root object of the observation: does the expression hold?
fn comp_expr(c: &CompExpr, o: &Observation<'_>) -> Result<Vec<bool>, EvalError> {
    match c {
        CompExpr::Test(t) => {
            let mut v = vec![false; o.objects.len()];
            if NON_SCO_TYPES.contains(&t.path.obj_type.as_str()) {
                return Ok(v);
            }
            for (i, obj) in o.objects.iter().enumerate() {
                if obj.get("type").and_then(Value::as_str) != Some(t.path.obj_type.as_str()) {
                    continue;
                }
                let vals = select(&t.path, obj, o)?;
                v[i] = test_values(&t.op, t.negated, &vals)?;
            }
            Ok(v)
        }
        CompExpr::And(xs) => {
            let mut acc = comp_expr(&xs[0], o)?;
            for x in &xs[1..] {
                let r = comp_expr(x, o)?;
                for (a, b) in acc.iter_mut().zip(r) {
                    *a &= b;
                }
            }
            Ok(acc)
        }
        CompExpr::Or(xs) => {
            let mut acc = vec![false; o.objects.len()];
            for x in xs {
                let r = comp_expr(x, o)?;
                for (a, b) in acc.iter_mut().zip(r) {
                    *a |= b;
                }
            }
            Ok(acc)
        }
    }
}

/// Does comparison expression `c` hold on some root object of `o`? (One
/// `[ … ]` of a pattern against one observation; used by the sensor to
/// decide which observations to keep for multi-observation patterns.)
pub fn comp_matches(c: &CompExpr, o: &Observation<'_>) -> Result<bool, EvalError> {
    Ok(comp_expr(c, o)?.iter().any(|b| *b))
}

/// Calls `f` with every `[ … ]` of an observation expression.
pub fn for_each_leaf<'p>(e: &'p ObsExpr, f: &mut impl FnMut(&'p CompExpr)) {
    match e {
        ObsExpr::Simple(c) => f(c),
        ObsExpr::And(v) | ObsExpr::Or(v) => v.iter().for_each(|x| for_each_leaf(x, f)),
        ObsExpr::FollowedBy(a, b) => {
            for_each_leaf(a, f);
            for_each_leaf(b, f);
        }
        ObsExpr::Within(a, _) | ObsExpr::Repeats(a, _) | ObsExpr::StartStop(a, _, _) => {
            for_each_leaf(a, f)
        }
    }
}

/// A value selected by an object path.
#[derive(Clone, Debug)]
enum V<'a> {
    J(&'a Value),
    Bytes(Vec<u8>),
    /// A dereferenced `*_refs` list.
    Objs(Vec<&'a Value>),
}

fn decode_suffixed(key: &str, v: &Value) -> Result<Option<Vec<u8>>, EvalError> {
    if key.ends_with("_hex") {
        let Some(s) = v.as_str() else {
            return eerr(format!("{key} is not a hex string"));
        };
        let b = s.as_bytes();
        if b.len() % 2 == 1 {
            return eerr(format!("{key}: odd-length hex string"));
        }
        let mut out = Vec::with_capacity(b.len() / 2);
        for p in b.chunks_exact(2) {
            let hi = (p[0] as char).to_digit(16);
            let lo = (p[1] as char).to_digit(16);
            match (hi, lo) {
                (Some(h), Some(l)) => out.push((h * 16 + l) as u8),
                _ => return eerr(format!("{key}: invalid hex string")),
            }
        }
        Ok(Some(out))
    } else if key.ends_with("_bin") {
        let Some(s) = v.as_str() else {
            return eerr(format!("{key} is not a base64 string"));
        };
        match super::decode_base64(s) {
            Some(b) => Ok(Some(b)),
            None => eerr(format!("{key}: invalid base64")),
        }
    } else {
        Ok(None)
    }
}

fn resolve<'a>(o: &Observation<'a>, id: &str) -> Vec<&'a Value> {
    o.objects
        .iter()
        .filter(|x| x.get("id").and_then(Value::as_str) == Some(id))
        .copied()
        .collect()
}

fn select<'a>(
    path: &ObjectPath,
    root: &'a Value,
    o: &Observation<'a>,
) -> Result<Vec<V<'a>>, EvalError> {
    let mut cur: Vec<V<'a>> = vec![V::J(root)];
    for step in &path.steps {
        let mut next: Vec<V<'a>> = Vec::new();
        match step {
            Step::Key(k) => {
                for v in &cur {
                    let V::J(Value::Object(m)) = v else { continue };
                    let Some(x) = m.get(k.as_str()) else { continue };
                    if let Some(b) = decode_suffixed(k, x)? {
                        next.push(V::Bytes(b));
                        continue;
                    }
                    if k.ends_with("_ref") {
                        let Some(id) = x.as_str() else {
                            return eerr(format!(
                                "the value of reference property '{k}' is not a string"
                            ));
                        };
                        next.extend(resolve(o, id).into_iter().map(V::J));
                    } else if k.ends_with("_refs") {
                        let Some(list) = x.as_array() else {
                            return eerr(format!(
                                "the value of reference list property '{k}' is not a list"
                            ));
                        };
                        let mut objs = Vec::new();
                        for r in list {
                            let Some(id) = r.as_str() else {
                                return eerr(format!(
                                    "a value of reference property '{k}' is not a string"
                                ));
                            };
                            objs.extend(resolve(o, id));
                        }
                        if !objs.is_empty() {
                            next.push(V::Objs(objs));
                        }
                    } else {
                        next.push(V::J(x));
                    }
                }
            }
            Step::Index(n) => {
                if *n < 0 {
                    return Ok(Vec::new());
                }
                let n = *n as usize;
                for v in &cur {
                    match v {
                        V::J(Value::Array(a)) => {
                            if let Some(x) = a.get(n) {
                                next.push(V::J(x));
                            }
                        }
                        V::Objs(a) => {
                            if let Some(x) = a.get(n) {
                                next.push(V::J(x));
                            }
                        }
                        _ => {}
                    }
                }
            }
            Step::Star => {
                for v in &cur {
                    match v {
                        V::J(Value::Array(a)) => next.extend(a.iter().map(V::J)),
                        V::Objs(a) => next.extend(a.iter().map(|x| V::J(x))),
                        _ => {}
                    }
                }
            }
        }
        if next.len() > MAX_PATH_VALUES {
            return eerr("object path selects too many values");
        }
        if next.is_empty() {
            return Ok(next);
        }
        cur = next;
    }
    Ok(cur)
}

/// A property value classified for comparison.
enum Pv<'v> {
    Int(i128),
    Float(f64),
    Str(&'v str),
    Bytes(&'v [u8]),
    Bool(bool),
    Ts(i128),
    /// Objects, lists, null: compare unequal to everything.
    Other,
}

fn classify<'v>(v: &'v V<'_>) -> Pv<'v> {
    match v {
        V::J(Value::Number(n)) => {
            if let Some(i) = n.as_i64() {
                Pv::Int(i128::from(i))
            } else if let Some(u) = n.as_u64() {
                Pv::Int(i128::from(u))
            } else {
                Pv::Float(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        V::J(Value::String(s)) => Pv::Str(s),
        V::J(Value::Bool(b)) => Pv::Bool(*b),
        V::Bytes(b) => Pv::Bytes(b),
        _ => Pv::Other,
    }
}

fn latin1(s: &str) -> Option<Vec<u8>> {
    s.chars().map(|c| u8::try_from(c as u32).ok()).collect()
}

fn num_cmp(a: f64, b: f64) -> Option<core::cmp::Ordering> {
    a.partial_cmp(&b)
}

fn int_float_cmp(i: i128, f: f64) -> Option<core::cmp::Ordering> {
    if f.is_nan() {
        return None;
    }
    // Exact when the float is integral and in range; else compare as f64.
    if f.fract() == 0.0 && f.abs() < 1e30 {
        return Some(i.cmp(&(f as i128)));
    }
    num_cmp(i as f64, f)
}

/// Promotes a string to a timestamp when the literal is one.
fn ts_promote<'v>(pv: Pv<'v>, lit_is_ts: bool) -> Result<Pv<'v>, EvalError> {
    match pv {
        Pv::Str(s) if lit_is_ts => {
            if s.bytes().any(|c| c.is_ascii_lowercase()) {
                return eerr(format!("invalid timestamp in JSON: {s}"));
            }
            parse_timestamp(s)
                .map(Pv::Ts)
                .map_err(|_| EvalError(format!("invalid timestamp in JSON: {s}")))
        }
        x => Ok(x),
    }
}

/// Equality as the reference matcher's type table defines it.
fn eq(pv: &Pv<'_>, lit: &Literal) -> bool {
    match (pv, lit) {
        (Pv::Int(a), Literal::Int(b)) => *a == i128::from(*b),
        (Pv::Int(a), Literal::Float(b)) => {
            int_float_cmp(*a, *b) == Some(core::cmp::Ordering::Equal)
        }
        (Pv::Float(a), Literal::Int(b)) => {
            int_float_cmp(i128::from(*b), *a) == Some(core::cmp::Ordering::Equal)
        }
        (Pv::Float(a), Literal::Float(b)) => a == b,
        (Pv::Str(a), Literal::Str(b)) => a == b,
        (Pv::Str(a), Literal::Bin(b)) => latin1(a).is_some_and(|x| x == *b),
        (Pv::Bytes(a), Literal::Bin(b)) => a == b,
        (Pv::Bytes(a), Literal::Str(b)) => latin1(b).is_some_and(|x| x == *a),
        (Pv::Bool(a), Literal::Bool(b)) => a == b,
        (Pv::Ts(a), Literal::Ts(b)) => a == b,
        _ => false,
    }
}

/// Set membership (Python `in` semantics: booleans equal 0/1 numerically).
fn member(pv: &Pv<'_>, lit: &Literal) -> bool {
    match (pv, lit) {
        (Pv::Bool(a), Literal::Int(b)) => i64::from(*a) == *b,
        (Pv::Bool(a), Literal::Float(b)) => f64::from(u8::from(*a)) == *b,
        (Pv::Int(a), Literal::Bool(b)) => *a == i128::from(*b),
        (Pv::Float(a), Literal::Bool(b)) => *a == f64::from(u8::from(*b)),
        (Pv::Str(_), Literal::Bin(_)) | (Pv::Bytes(_), Literal::Str(_)) => false,
        _ => eq(pv, lit),
    }
}

fn order(pv: &Pv<'_>, lit: &Literal) -> Result<Option<core::cmp::Ordering>, ()> {
    use core::cmp::Ordering;
    Ok(match (pv, lit) {
        (Pv::Int(a), Literal::Int(b)) => Some(a.cmp(&i128::from(*b))),
        (Pv::Int(a), Literal::Float(b)) => int_float_cmp(*a, *b),
        (Pv::Float(a), Literal::Int(b)) => int_float_cmp(i128::from(*b), *a).map(Ordering::reverse),
        (Pv::Float(a), Literal::Float(b)) => num_cmp(*a, *b),
        (Pv::Str(a), Literal::Str(b)) => Some((*a).cmp(b.as_str())),
        (Pv::Bytes(a), Literal::Bin(b)) => Some((*a).cmp(b.as_slice())),
        (Pv::Bytes(a), Literal::Str(b)) => Some((*a).cmp(latin1(b).ok_or(())?.as_slice())),
        (Pv::Str(a), Literal::Bin(b)) => Some(latin1(a).ok_or(())?.as_slice().cmp(b.as_slice())),
        (Pv::Ts(a), Literal::Ts(b)) => Some(a.cmp(b)),
        _ => None,
    })
}

fn in_subnet(containee: &str, container: &str) -> bool {
    match (Net::parse(containee), Net::parse(container)) {
        (Some(a), Some(b)) => b.contains(&a),
        _ => false,
    }
}

fn test_values(op: &Op, negated: bool, vals: &[V<'_>]) -> Result<bool, EvalError> {
    if let Op::Exists = op {
        return Ok(!vals.is_empty());
    }
    for v in vals {
        if test_one(op, negated, v)? {
            return Ok(true);
        }
    }
    Ok(false)
}

fn test_one(op: &Op, negated: bool, v: &V<'_>) -> Result<bool, EvalError> {
    use core::cmp::Ordering::*;
    let pv = classify(v);
    let r = match op {
        Op::Eq(l) | Op::Ne(l) => {
            let pv = ts_promote(pv, matches!(l, Literal::Ts(_)))?;
            let e = eq(&pv, l);
            if matches!(op, Op::Ne(_)) {
                !e
            } else {
                e
            }
        }
        Op::Lt(l) | Op::Le(l) | Op::Gt(l) | Op::Ge(l) => {
            let pv = ts_promote(pv, matches!(l, Literal::Ts(_)))?;
            match order(&pv, l) {
                Ok(None) => return Ok(false),
                Err(()) => false,
                Ok(Some(o)) => match op {
                    Op::Lt(_) => o == Less,
                    Op::Le(_) => o != Greater,
                    Op::Gt(_) => o == Greater,
                    _ => o != Less,
                },
            }
        }
        Op::In(set) => {
            let is_ts = matches!(set.first(), Some(Literal::Ts(_)));
            let pv = ts_promote(pv, is_ts)?;
            set.iter().any(|l| member(&pv, l))
        }
        Op::Like(_, re) => match v {
            V::J(Value::String(s)) => re.is_match(&nfc(s)),
            V::Bytes(b) => match core::str::from_utf8(b) {
                Ok(s) => re.is_match(&nfc(s)),
                Err(_) => return eerr("binary value is not UTF-8 for LIKE"),
            },
            _ => false,
        },
        Op::Matches(_, re, bre) => match v {
            V::J(Value::String(s)) => re.is_match(&nfc(s)),
            V::Bytes(b) => bre.as_ref().is_some_and(|r| r.is_match(b)),
            _ => false,
        },
        Op::IsSubset(net) => match v {
            V::J(Value::String(s)) => in_subnet(s, net),
            _ => false,
        },
        Op::IsSuperset(net) => match v {
            V::J(Value::String(s)) => in_subnet(net, s),
            _ => false,
        },
        Op::Exists => true,
    };
    Ok(r != negated)
}

/// NFC form of `s` (borrowed when `s` is ASCII).
pub fn nfc(s: &str) -> std::borrow::Cow<'_, str> {
    if s.is_ascii() {
        std::borrow::Cow::Borrowed(s)
    } else {
        std::borrow::Cow::Owned(s.nfc().collect())
    }
}

/// Normalises a LIKE/MATCHES operand to NFC (used by the parser).
pub fn nfc_string(s: &str) -> String {
    nfc(s).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::{parse_with, Strictness};
    use serde_json::json;

    fn od(id: u32, first: &str, last: &str, n: u64, refs: &[&str]) -> Value {
        json!({"type": "observed-data", "id": format!("observed-data--00000000-0000-4000-8000-{id:012}"),
            "first_observed": first, "last_observed": last, "number_observed": n, "object_refs": refs})
    }

    fn run(p: &str, items: &[Value]) -> Result<bool, EvalError> {
        let pat = parse_with(p, Strictness::Grammar).expect("parse");
        let obs = Observations::from_json(items)?;
        matches(&pat, &obs)
    }

    #[test]
    fn references_and_roots() {
        let b = json!({"type": "bundle", "id": "bundle--1", "objects": [
            od(1, "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", 1, &["network-traffic--1", "ipv4-addr--1", "ipv4-addr--2"]),
            {"type": "network-traffic", "id": "network-traffic--1", "src_ref": "ipv4-addr--1", "dst_ref": "ipv4-addr--2", "dst_port": 502, "protocols": ["tcp"]},
            {"type": "ipv4-addr", "id": "ipv4-addr--1", "value": "10.0.0.1"},
            {"type": "ipv4-addr", "id": "ipv4-addr--2", "value": "198.51.100.7"}
        ]});
        let items = [b];
        assert!(run(
            "[network-traffic:dst_ref.value = '198.51.100.7' AND network-traffic:dst_port = 502]",
            &items
        )
        .unwrap());
        assert!(run(
            "[network-traffic:dst_ref.value ISSUBSET '198.51.100.0/24']",
            &items
        )
        .unwrap());
        assert!(!run(
            "[network-traffic:src_ref.value ISSUBSET '198.51.100.0/24']",
            &items
        )
        .unwrap());
        // AND must hold on one root object.
        assert!(!run(
            "[ipv4-addr:value = '10.0.0.1' AND ipv4-addr:value = '198.51.100.7']",
            &items
        )
        .unwrap());
        assert!(run(
            "[ipv4-addr:value = '10.0.0.1' OR ipv4-addr:value = 'x']",
            &items
        )
        .unwrap());
        assert!(run("[network-traffic:protocols[*] = 'tcp']", &items).unwrap());
        assert!(run("[network-traffic:protocols[0] = 'tcp']", &items).unwrap());
        assert!(!run("[network-traffic:protocols[1] = 'tcp']", &items).unwrap());
        assert!(run("[network-traffic:dst_port IN (80, 502)]", &items).unwrap());
        assert!(run("[network-traffic:dst_port NOT IN (80, 443)]", &items).unwrap());
        assert!(!run("[network-traffic:missing != 3]", &items).unwrap());
        assert!(run("[EXISTS network-traffic:dst_ref]", &items).unwrap());
        assert!(!run("[EXISTS network-traffic:src_port]", &items).unwrap());
    }

    #[test]
    fn temporal_qualifiers() {
        let b = json!({"type": "bundle", "id": "bundle--1", "objects": [
            od(1, "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", 1, &["x-a--1"]),
            od(2, "2020-01-01T00:00:10Z", "2020-01-01T00:00:10Z", 2, &["x-b--1"]),
            {"type": "x-a", "id": "x-a--1", "n": 1},
            {"type": "x-b", "id": "x-b--1", "n": 2}
        ]});
        let items = [b];
        assert!(run("[x-a:n = 1] FOLLOWEDBY [x-b:n = 2]", &items).unwrap());
        assert!(!run("[x-b:n = 2] FOLLOWEDBY [x-a:n = 1]", &items).unwrap());
        assert!(run("([x-a:n = 1] AND [x-b:n = 2]) WITHIN 10 SECONDS", &items).unwrap());
        assert!(!run("([x-a:n = 1] AND [x-b:n = 2]) WITHIN 9.5 SECONDS", &items).unwrap());
        assert!(run("[x-b:n = 2] REPEATS 2 TIMES", &items).unwrap());
        assert!(!run("[x-b:n = 2] REPEATS 3 TIMES", &items).unwrap());
        assert!(run(
            "[x-a:n = 1] START t'2020-01-01T00:00:00Z' STOP t'2020-01-01T00:00:01Z'",
            &items
        )
        .unwrap());
        assert!(!run(
            "[x-b:n = 2] START t'2019-01-01T00:00:00Z' STOP t'2020-01-01T00:00:10Z'",
            &items
        )
        .unwrap());
        assert!(run(
            "[x-a:n = 1] AND [x-a:n = 1] OR [x-b:n = 2] AND [x-b:n = 2]",
            &items
        )
        .unwrap());
    }

    #[test]
    fn bad_data_is_an_error() {
        let b = json!([{"type": "bundle", "id": "bundle--1", "objects": [
            od(1, "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", 1, &["x-a--1"]),
            {"type": "x-a", "id": "x-a--1", "t": "yesterday", "d_ref": 5}
        ]}]);
        let items = b.as_array().unwrap();
        assert!(run("[x-a:t = t'2020-01-01T00:00:00Z']", items).is_err());
        assert!(run("[x-a:d_ref.x = 1]", items).is_err());
        let no_count = [
            json!({"type": "bundle", "id": "bundle--2", "objects": [{"type": "observed-data", "id": "observed-data--1"}]}),
        ];
        assert!(Observations::from_json(&no_count).is_err());
    }
}
