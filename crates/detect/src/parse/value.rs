//! Small value grammars shared by keywords: quoted strings, integers,
//! Suricata's unsigned comparisons (`detect-engine-uint`).
use crate::error::{ParseError, Result};

/// Strips one pair of surrounding double quotes, if present.
pub fn strip_quotes(v: &str) -> &str {
    let v = v.trim();
    if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') {
        &v[1..v.len() - 1]
    } else {
        v
    }
}

/// A value that may be negated and must be quoted (`content`, `pcre`):
/// whether it starts with `!`, and the text between the quotes; `unquoted`
/// is the error when the quotes are missing.
pub fn negated_quoted<'v>(value: &'v str, unquoted: &'static str) -> Result<(bool, &'v str)> {
    let v = value.trim();
    let (negated, v) = match v.strip_prefix('!') {
        Some(r) => (true, r.trim_start()),
        None => (false, v),
    };
    if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') {
        Ok((negated, &v[1..v.len() - 1]))
    } else {
        Err(ParseError::new(unquoted))
    }
}

/// `msg`-style string: quotes required; `\"`, `\;`, `\\` (and any other
/// `\x`) become the escaped character.
pub fn unescape_string(v: &str) -> Result<String> {
    let v = v.trim();
    if !(v.len() >= 2 && v.starts_with('"') && v.ends_with('"')) {
        return Err(ParseError::new("value must be a quoted string"));
    }
    let inner = &v[1..v.len() - 1];
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(n) => out.push(n),
                None => return Err(ParseError::new("string ends with a lone backslash")),
            }
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

/// A decimal (or `0x` hex) unsigned integer no larger than `max`.
pub fn parse_uint(s: &str, max: u64) -> Result<u64> {
    let s = s.trim();
    let v = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()
    } else if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse::<u64>().ok()
    } else {
        None
    };
    match v {
        Some(v) if v <= max => Ok(v),
        Some(_) => Err(ParseError::new(format!("'{s}' is larger than {max}"))),
        None => Err(ParseError::new(format!("'{s}' is not a number"))),
    }
}

/// A signed decimal integer in `[min, max]`.
pub fn parse_int(s: &str, min: i64, max: i64) -> Result<i64> {
    let s = s.trim();
    match s.parse::<i64>() {
        Ok(v) if (min..=max).contains(&v) => Ok(v),
        Ok(_) => Err(ParseError::new(format!("'{s}' is out of [{min}, {max}]"))),
        Err(_) => Err(ParseError::new(format!("'{s}' is not a number"))),
    }
}

/// Comparison operator of [`UintCmp`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// `a<>b` or `a-b`: `a < x < b` (both ends excluded, as Suricata).
    Range,
    /// `!a-b`: outside the open range.
    NotRange,
}

/// Suricata's unsigned comparison value (dsize, bsize, urilen, itype, …):
/// `N`, `=N`, `!N`, `<N`, `<=N`, `>N`, `>=N`, `A<>B`, `A-B`, `!A-B`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UintCmp {
    pub op: CmpOp,
    pub a: u64,
    pub b: u64,
}

impl UintCmp {
    pub fn eq(a: u64) -> UintCmp {
        UintCmp {
            op: CmpOp::Eq,
            a,
            b: 0,
        }
    }

    /// Parses `s` with values no larger than `max`.
    pub fn parse(s: &str, max: u64) -> Result<UintCmp> {
        let s = s.trim();
        let (neg, body) = match s.strip_prefix('!') {
            Some(r) => (true, r.trim()),
            None => (false, s),
        };
        let one = |op, t: &str| -> Result<UintCmp> {
            Ok(UintCmp {
                op,
                a: parse_uint(t, max)?,
                b: 0,
            })
        };
        if let Some((a, b)) = body.split_once("<>").or_else(|| body.split_once('-')) {
            let a = parse_uint(a, max)?;
            let b = parse_uint(b, max)?;
            if a >= b {
                return Err(ParseError::new(format!(
                    "range {a}-{b}: the first value must be below the second"
                )));
            }
            let op = if neg { CmpOp::NotRange } else { CmpOp::Range };
            return Ok(UintCmp { op, a, b });
        }
        if neg {
            return one(CmpOp::Ne, body);
        }
        if let Some(r) = body.strip_prefix("<=") {
            one(CmpOp::Le, r)
        } else if let Some(r) = body.strip_prefix(">=") {
            one(CmpOp::Ge, r)
        } else if let Some(r) = body.strip_prefix('<') {
            one(CmpOp::Lt, r)
        } else if let Some(r) = body.strip_prefix('>') {
            one(CmpOp::Gt, r)
        } else if let Some(r) = body.strip_prefix('=') {
            one(CmpOp::Eq, r)
        } else {
            one(CmpOp::Eq, body)
        }
    }

    pub fn matches(&self, x: u64) -> bool {
        match self.op {
            CmpOp::Eq => x == self.a,
            CmpOp::Ne => x != self.a,
            CmpOp::Lt => x < self.a,
            CmpOp::Le => x <= self.a,
            CmpOp::Gt => x > self.a,
            CmpOp::Ge => x >= self.a,
            CmpOp::Range => self.a < x && x < self.b,
            CmpOp::NotRange => !(self.a < x && x < self.b),
        }
    }
}

/// Splits `s` on commas, trimming each part.
pub fn comma_list(s: &str) -> impl Iterator<Item = &str> {
    s.split(',').map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uint_forms() {
        let c = UintCmp::parse("300<>400", 65535).unwrap();
        assert!(!c.matches(300) && c.matches(301) && c.matches(399) && !c.matches(400));
        assert_eq!(UintCmp::parse(">= 5", 255).unwrap().op, CmpOp::Ge);
        assert!(UintCmp::parse("<5", 255).unwrap().matches(4));
        assert!(!UintCmp::parse("!8", 255).unwrap().matches(8));
        assert!(UintCmp::parse("5-10", 255).unwrap().matches(7));
        assert!(UintCmp::parse("!5-10", 255).unwrap().matches(5));
        assert!(UintCmp::parse("256", 255).is_err());
        assert!(UintCmp::parse("10<>5", 255).is_err());
        assert!(UintCmp::parse("x", 255).is_err());
        assert!(UintCmp::parse("", 255).is_err());
    }

    #[test]
    fn strings() {
        assert_eq!(unescape_string(r#""a\;b\"c\\""#).unwrap(), "a;b\"c\\");
        assert!(unescape_string("abc").is_err());
        assert_eq!(parse_uint("0x10", 255).unwrap(), 16);
        assert_eq!(parse_int("-5", -10, 10).unwrap(), -5);
    }
}
