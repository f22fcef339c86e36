//! Evaluating `[ … ]` comparison expressions straight on an [`Observation`]
//! (no JSON) when every test is on a property the sensor fills in directly.
//! Semantics are those of [`crate::pattern::eval`] on the observation's
//! cyber-observables ([`Observation::to_scos`]): each of the types used here
//! has at most one object per observation, so the per-root `AND` of the
//! evaluator is an intersection of type bits. `None` means "not decidable
//! here" and the caller falls back to the full evaluator.

use crate::pattern::eval::nfc;
use crate::pattern::{CompExpr, Comparison, Literal, Op, Step};

use super::observation::{normalize_domain, types, Observation};

enum Field<'o> {
    Str(std::borrow::Cow<'o, str>),
    Int(i64),
}

/// String-valued properties decided directly (index into [`STR_FIELDS`]).
pub const STR_FIELDS: [(&str, &str); 9] = [
    ("domain-name", "value"),
    ("url", "value"),
    ("x-user-agent", "value"),
    ("x-ja3", "value"),
    ("x-ja4", "value"),
    ("file", "name"),
    ("x509-certificate", "subject"),
    ("x509-certificate", "issuer"),
    ("x509-certificate", "serial_number"),
];

/// Index in [`STR_FIELDS`] of a one-key path, if it is one of them.
pub fn str_field_index(obj_type: &str, steps: &[Step]) -> Option<usize> {
    let [Step::Key(k)] = steps else { return None };
    STR_FIELDS
        .iter()
        .position(|(t, p)| *t == obj_type && p == k)
}

/// The value of string field `i` as the evaluator would see it.
pub fn str_field<'o>(obs: &Observation<'o>, i: usize) -> Option<std::borrow::Cow<'o, str>> {
    let lossy = |b: Option<&'o [u8]>| b.map(String::from_utf8_lossy);
    match i {
        0 => obs.domain.map(|d| {
            let mut buf = [0u8; 256];
            match normalize_domain(d, &mut buf) {
                Some(x) => std::borrow::Cow::Owned(String::from_utf8_lossy(x).into_owned()),
                None => String::from_utf8_lossy(d),
            }
        }),
        1 => lossy(obs.url),
        2 => lossy(obs.user_agent),
        3 => obs.ja3.map(|j| {
            if j.bytes().any(|c| c.is_ascii_uppercase()) {
                std::borrow::Cow::Owned(j.to_ascii_lowercase())
            } else {
                std::borrow::Cow::Borrowed(j)
            }
        }),
        4 => obs.ja4.map(std::borrow::Cow::Borrowed),
        5 => lossy(obs.file_name),
        6 => lossy(obs.x509_subject),
        7 => lossy(obs.x509_issuer),
        8 => lossy(obs.x509_serial),
        _ => None,
    }
}

fn str_field_bit(i: usize) -> u32 {
    match i {
        0 => types::DOMAIN,
        1 => types::URL,
        2 => types::USER_AGENT,
        3 => types::JA3,
        4 => types::JA4,
        5 => types::FILE,
        _ => types::X509,
    }
}

fn field<'o>(obs: &Observation<'o>, t: &Comparison) -> Option<(u32, Option<Field<'o>>)> {
    if let Some(i) = str_field_index(&t.path.obj_type, &t.path.steps) {
        return Some((str_field_bit(i), str_field(obs, i).map(Field::Str)));
    }
    let [Step::Key(key)] = t.path.steps.as_slice() else {
        return None;
    };
    let nt_present = obs.src_ip.is_some() || obs.dst_ip.is_some();
    Some(match (t.path.obj_type.as_str(), key.as_str()) {
        ("network-traffic", "dst_port") => (
            types::NETWORK_TRAFFIC,
            obs.dst_port
                .filter(|_| nt_present)
                .map(|p| Field::Int(i64::from(p))),
        ),
        ("network-traffic", "src_port") => (
            types::NETWORK_TRAFFIC,
            obs.src_port
                .filter(|_| nt_present)
                .map(|p| Field::Int(i64::from(p))),
        ),
        _ => return None,
    })
}

fn test(obs: &Observation<'_>, t: &Comparison) -> Option<u32> {
    let (bit, f) = field(obs, t)?;
    let Some(f) = f else {
        // Missing property: false, with or without NOT. EXISTS likewise.
        return match &t.op {
            Op::Eq(_) | Op::Ne(_) | Op::In(_) | Op::Like(..) | Op::Matches(..) | Op::Exists => {
                Some(0)
            }
            Op::Lt(_) | Op::Le(_) | Op::Gt(_) | Op::Ge(_) => Some(0),
            _ => None,
        };
    };
    let r = match (&f, &t.op) {
        (_, Op::Exists) => return Some(bit),
        (Field::Str(s), Op::Eq(Literal::Str(l))) => s.as_ref() == l,
        (Field::Str(s), Op::Ne(Literal::Str(l))) => s.as_ref() != l,
        (Field::Str(s), Op::In(set)) if set.iter().all(|l| matches!(l, Literal::Str(_))) => set
            .iter()
            .any(|l| matches!(l, Literal::Str(x) if x == s.as_ref())),
        (Field::Str(s), Op::Like(_, re)) => re.is_match(&nfc(s)),
        (Field::Str(s), Op::Matches(_, re, _)) => re.is_match(&nfc(s)),
        (Field::Int(v), Op::Eq(Literal::Int(l))) => v == l,
        (Field::Int(v), Op::Ne(Literal::Int(l))) => v != l,
        (Field::Int(v), Op::In(set)) if set.iter().all(|l| matches!(l, Literal::Int(_))) => {
            set.iter().any(|l| matches!(l, Literal::Int(x) if x == v))
        }
        (Field::Int(v), Op::Lt(Literal::Int(l))) => v < l,
        (Field::Int(v), Op::Le(Literal::Int(l))) => v <= l,
        (Field::Int(v), Op::Gt(Literal::Int(l))) => v > l,
        (Field::Int(v), Op::Ge(Literal::Int(l))) => v >= l,
        _ => return None,
    };
    Some(if r != t.negated { bit } else { 0 })
}

/// Root-type bits for which `c` holds, or `None` if it cannot be decided
/// without the full evaluator.
pub fn eval(obs: &Observation<'_>, c: &CompExpr) -> Option<u32> {
    match c {
        CompExpr::Test(t) => test(obs, t),
        CompExpr::And(v) => {
            let mut acc = u32::MAX;
            for x in v {
                acc &= eval(obs, x)?;
            }
            Some(acc)
        }
        CompExpr::Or(v) => {
            let mut acc = 0;
            for x in v {
                acc |= eval(obs, x)?;
            }
            Some(acc)
        }
    }
}
