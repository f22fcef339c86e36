//! `content` and its modifiers (nocase, depth, offset, distance, within,
//! startswith, endswith, fast_pattern, rawbytes).
//!
//! Value syntax (Suricata `DetectContentDataParse`): an optional `!`, a
//! quoted string; `|41 42|` hex between pipes (spaces ignored, pairs of
//! digits); outside pipes `\"`, `\;`, `\:` and `\\` escape the character,
//! any other backslash is an error; an unbalanced `|` or an empty pattern is
//! an error.
use crate::error::{ParseError, Result};
use crate::parse::value::{negated_quoted, parse_int, parse_uint};

/// Longest content pattern accepted.
pub const MAX_CONTENT: usize = 64 * 1024;

/// A modifier value: a literal or a `byte_extract` variable (index into
/// [`Rule::byte_vars`](crate::Rule::byte_vars)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Num {
    Lit(i64),
    Var(u8),
}

/// `fast_pattern` forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FastPattern {
    /// `fast_pattern;`
    Yes,
    /// `fast_pattern:only;` (Suricata 8 ignores `only`: the content is
    /// still checked; kept for fidelity).
    Only,
    /// `fast_pattern:offset,length;`: only that slice feeds the prefilter.
    Slice { offset: u16, len: u16 },
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Content {
    pub pattern: Vec<u8>,
    pub negated: bool,
    pub nocase: bool,
    pub depth: Option<Num>,
    pub offset: Option<Num>,
    pub distance: Option<Num>,
    pub within: Option<Num>,
    pub startswith: bool,
    pub endswith: bool,
    pub rawbytes: bool,
    pub fast_pattern: Option<FastPattern>,
}

impl Content {
    /// Parses the value of `content:` (with its quotes, optional `!`).
    pub fn parse(value: &str) -> Result<Content> {
        let (negated, inner) = negated_quoted(value, "content must be a quoted string")?;
        let pattern = decode_pattern(inner)?;
        Ok(Content {
            pattern,
            negated,
            ..Content::default()
        })
    }

    pub fn is_relative(&self) -> bool {
        self.distance.is_some() || self.within.is_some()
    }
    fn is_absolute(&self) -> bool {
        self.depth.is_some() || self.offset.is_some()
    }

    /// Applies a modifier keyword to this content. `var` resolves a
    /// `byte_extract` variable name.
    pub fn apply_modifier(
        &mut self,
        name: &str,
        value: Option<&str>,
        var: &dyn Fn(&str) -> Option<u8>,
    ) -> Result<()> {
        let no_value = |v: Option<&str>| match v {
            Some(_) => Err(ParseError::new("takes no value")),
            None => Ok(()),
        };
        let len = self.pattern.len() as i64;
        match name {
            "nocase" => {
                no_value(value)?;
                if self.nocase {
                    return Err(ParseError::new("nocase given twice"));
                }
                self.nocase = true;
            }
            "rawbytes" => {
                no_value(value)?;
                self.rawbytes = true;
            }
            "startswith" => {
                no_value(value)?;
                if self.is_absolute() || self.is_relative() {
                    return Err(ParseError::new(
                        "startswith cannot be mixed with depth/offset/distance/within",
                    ));
                }
                if self.startswith {
                    return Err(ParseError::new("startswith given twice"));
                }
                self.startswith = true;
            }
            "endswith" => {
                no_value(value)?;
                if self.endswith {
                    return Err(ParseError::new("endswith given twice"));
                }
                self.endswith = true;
            }
            "depth" | "offset" => {
                if self.is_relative() {
                    return Err(ParseError::new(
                        "depth/offset cannot be mixed with distance/within on one content",
                    ));
                }
                if self.startswith {
                    return Err(ParseError::new("cannot be combined with startswith"));
                }
                let slot = if name == "depth" {
                    &mut self.depth
                } else {
                    &mut self.offset
                };
                if slot.is_some() {
                    return Err(ParseError::new("given twice"));
                }
                let n = num(value, var, 0, 65535)?;
                if name == "depth" {
                    match n {
                        Num::Lit(0) => return Err(ParseError::new("depth 0 never matches")),
                        Num::Lit(d) if d < len => {
                            return Err(ParseError::new(format!(
                                "depth {d} is smaller than the content length {len}"
                            )))
                        }
                        _ => {}
                    }
                }
                *slot = Some(n);
            }
            "distance" | "within" => {
                if self.is_absolute() {
                    return Err(ParseError::new(
                        "distance/within cannot be mixed with depth/offset on one content",
                    ));
                }
                if self.startswith {
                    return Err(ParseError::new("cannot be combined with startswith"));
                }
                let within = name == "within";
                let slot = if within {
                    &mut self.within
                } else {
                    &mut self.distance
                };
                if slot.is_some() {
                    return Err(ParseError::new("given twice"));
                }
                let n = if within {
                    num(value, var, 0, 65535)?
                } else {
                    num(value, var, -65535, 65535)?
                };
                if within {
                    if let Num::Lit(w) = n {
                        if w < len {
                            return Err(ParseError::new(format!(
                                "within {w} is smaller than the content length {len}"
                            )));
                        }
                    }
                }
                *slot = Some(n);
            }
            "fast_pattern" => {
                if self.fast_pattern.is_some() {
                    return Err(ParseError::new("fast_pattern given twice"));
                }
                self.fast_pattern = Some(match value.map(str::trim) {
                    None => FastPattern::Yes,
                    Some("only") => FastPattern::Only,
                    Some(v) => {
                        let (o, l) = v
                            .split_once(',')
                            .ok_or_else(|| ParseError::new("expected 'only' or 'offset,length'"))?;
                        let offset = parse_uint(o, 65535)? as u16;
                        let l = parse_uint(l, 65535)? as u16;
                        if l == 0 || offset as usize + l as usize > self.pattern.len() {
                            return Err(ParseError::new("offset,length goes beyond the content"));
                        }
                        FastPattern::Slice { offset, len: l }
                    }
                });
            }
            _ => return Err(ParseError::unsupported_keyword(name)),
        }
        Ok(())
    }

    /// The bytes the prefilter uses for this content.
    pub fn fast_bytes(&self) -> &[u8] {
        match self.fast_pattern {
            Some(FastPattern::Slice { offset, len }) => {
                &self.pattern[offset as usize..offset as usize + len as usize]
            }
            _ => &self.pattern,
        }
    }
}

fn num(value: Option<&str>, var: &dyn Fn(&str) -> Option<u8>, min: i64, max: i64) -> Result<Num> {
    let v = value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ParseError::new("needs a value"))?;
    let first = v.as_bytes()[0];
    if first.is_ascii_digit() || first == b'-' {
        return parse_int(v, min, max).map(Num::Lit);
    }
    var(v)
        .map(Num::Var)
        .ok_or_else(|| ParseError::new(format!("unknown byte_extract variable '{v}'")))
}

/// Decodes a content pattern's text (between the quotes).
pub fn decode_pattern(s: &str) -> Result<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut hex = false;
    let mut nibble: Option<u8> = None;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if hex {
            match c {
                b'|' => {
                    if nibble.is_some() {
                        return Err(ParseError::new("odd number of hex digits"));
                    }
                    hex = false;
                }
                b' ' | b'\t' => {
                    if nibble.is_some() {
                        return Err(ParseError::new("space inside a hex byte"));
                    }
                }
                _ => {
                    let d = (c as char)
                        .to_digit(16)
                        .ok_or_else(|| ParseError::new(format!("'{}' is not hex", c as char)))?
                        as u8;
                    match nibble.take() {
                        Some(h) => out.push(h << 4 | d),
                        None => nibble = Some(d),
                    }
                }
            }
        } else {
            match c {
                b'|' => hex = true,
                b'\\' => {
                    i += 1;
                    match b.get(i) {
                        Some(&e @ (b'"' | b';' | b':' | b'\\')) => out.push(e),
                        Some(&e) => {
                            return Err(ParseError::new(format!(
                                "'\\{}' is not a valid escape",
                                e as char
                            )))
                        }
                        None => return Err(ParseError::new("pattern ends with a backslash")),
                    }
                }
                b'"' => return Err(ParseError::new("unescaped '\"' in pattern")),
                _ => out.push(c),
            }
        }
        i += 1;
        if out.len() > MAX_CONTENT {
            return Err(ParseError::new("content too long"));
        }
    }
    if hex {
        return Err(ParseError::new("unterminated '|' hex block"));
    }
    if out.is_empty() {
        return Err(ParseError::new("empty content"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str) -> Option<u8> {
        None
    }

    #[test]
    fn suricata_doc_examples() {
        // docs: content:"a|0D|bc"; content:"|61 0D 62 63|"; content:"a|0D|b|63|"
        let want = b"a\rbc".to_vec();
        assert_eq!(Content::parse("\"a|0D|bc\"").unwrap().pattern, want);
        assert_eq!(Content::parse("\"|61 0D 62 63|\"").unwrap().pattern, want);
        assert_eq!(Content::parse("\"a|0D|b|63|\"").unwrap().pattern, want);
        // docs: content:"|3A|" is ':'; escapes \" \; \: \\
        assert_eq!(
            Content::parse(r#""a\"b\;c\:d\\""#).unwrap().pattern,
            b"a\"b;c:d\\"
        );
        let c = Content::parse("!\"Firefox/3.6.13\"").unwrap();
        assert!(c.negated);
        assert_eq!(c.pattern, b"Firefox/3.6.13");
    }

    #[test]
    fn bad_patterns() {
        for bad in [
            "\"\"",
            "\"|4|\"",
            "\"|41\"",
            "\"|4G|\"",
            "\"a\\x\"",
            "abc",
            "\"a\"b\"",
            "\"|4 1|\"",
        ] {
            assert!(Content::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn modifiers() {
        let mut c = Content::parse("\"abcd\"").unwrap();
        c.apply_modifier("nocase", None, &none).unwrap();
        assert!(c.apply_modifier("nocase", None, &none).is_err());
        c.apply_modifier("depth", Some("10"), &none).unwrap();
        c.apply_modifier("offset", Some("2"), &none).unwrap();
        assert!(c.apply_modifier("distance", Some("0"), &none).is_err());
        assert_eq!(c.depth, Some(Num::Lit(10)));

        let mut c = Content::parse("\"abcd\"").unwrap();
        c.apply_modifier("distance", Some("-3"), &none).unwrap();
        assert!(c.apply_modifier("within", Some("3"), &none).is_err()); // < length
        c.apply_modifier("within", Some("4"), &none).unwrap();
        assert!(c.apply_modifier("depth", Some("4"), &none).is_err());
        assert!(c.apply_modifier("startswith", None, &none).is_err());

        let mut c = Content::parse("\"abcd\"").unwrap();
        assert!(c.apply_modifier("depth", Some("3"), &none).is_err());
        c.apply_modifier("fast_pattern", Some("1,2"), &none)
            .unwrap();
        assert_eq!(c.fast_bytes(), b"bc");
        let mut c = Content::parse("\"abcd\"").unwrap();
        assert!(c
            .apply_modifier("fast_pattern", Some("3,2"), &none)
            .is_err());
        c.apply_modifier("fast_pattern", Some("only"), &none)
            .unwrap();
        assert_eq!(c.fast_pattern, Some(FastPattern::Only));

        let vars = |n: &str| (n == "len").then_some(0u8);
        let mut c = Content::parse("\"x\"").unwrap();
        c.apply_modifier("within", Some("len"), &vars).unwrap();
        assert_eq!(c.within, Some(Num::Var(0)));
        assert!(c.apply_modifier("distance", Some("nope"), &vars).is_err());
    }
}
