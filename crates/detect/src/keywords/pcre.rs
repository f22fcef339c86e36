//! `pcre:[!]"/regex/flags"`.
//!
//! PCRE flags: `i` caseless, `s` dot-all, `m` multi-line, `x` extended,
//! `A` anchored, `E` dollar-end-only, `G` ungreedy. Suricata's: `R`
//! relative to the previous match; buffer flags (`U` http.uri, `I`
//! http.uri.raw, `P` http.request_body, `Q` file_data, `H` http.header,
//! `D` http.header.raw, `M` http.method, `C` http.cookie, `S`
//! http.stat_code, `Y` http.stat_msg, `V` http.user_agent, `W` http.host,
//! `Z` http.host.raw) that move the pcre into that buffer as a legacy
//! modifier does; `B` rawbytes; `O` overrides the match limits.
//!
//! The regex is checked at load with the syntax of `regex-automata` (byte
//! oriented: Unicode off, UTF-8 not required). What that engine cannot
//! express (look-around, back-references, possessive or atomic groups, …)
//! makes the rule unsupported — reported, never loaded with a different
//! meaning. Known difference kept for the matcher: PCRE's `$` without `m`
//! or `E` also matches before a final newline.
use regex_automata::util::syntax;

use crate::error::{ErrorKind, ParseError, Result};
use crate::keywords::buffer::{Buffer, BufferId};
use crate::parse::value::negated_quoted;

/// Longest regex text accepted.
pub const MAX_PCRE: usize = 16 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PcreFlags {
    pub caseless: bool,
    pub dotall: bool,
    pub multiline: bool,
    pub extended: bool,
    pub anchored: bool,
    pub dollar_endonly: bool,
    pub ungreedy: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Pcre {
    /// The regex between the slashes, as written.
    pub pattern: String,
    /// The same regex in regex-automata's syntax ([`translate`]).
    pub regex: String,
    pub negated: bool,
    pub flags: PcreFlags,
    /// `R`: starts at the end of the previous match in the buffer.
    pub relative: bool,
    /// A buffer flag (`U`, `H`, …), if any.
    pub buffer: Option<Buffer>,
    /// `B`
    pub rawbytes: bool,
    /// `O`: no match limits.
    pub no_limits: bool,
}

impl Pcre {
    /// Parses the value of `pcre:` and checks the regex compiles.
    pub fn parse(value: &str) -> Result<Pcre> {
        let (negated, inner) = negated_quoted(value, "pcre must be a quoted \"/regex/flags\"")?;
        let rest = inner
            .strip_prefix('/')
            .ok_or_else(|| ParseError::new("pcre must start with '/'"))?;
        let end = rest
            .rfind('/')
            .ok_or_else(|| ParseError::new("pcre has no closing '/'"))?;
        let pattern = &rest[..end];
        if pattern.len() > MAX_PCRE {
            return Err(ParseError::new("pcre too long"));
        }
        let mut p = Pcre {
            pattern: pattern.to_string(),
            regex: String::new(),
            negated,
            flags: PcreFlags::default(),
            relative: false,
            buffer: None,
            rawbytes: false,
            no_limits: false,
        };
        for f in rest[end + 1..].chars() {
            let mut buf = |b: Buffer| -> Result<()> {
                if p.buffer.is_some_and(|x| x != b) {
                    return Err(ParseError::new("pcre has two buffer flags"));
                }
                p.buffer = Some(b);
                Ok(())
            };
            match f {
                'i' => p.flags.caseless = true,
                's' => p.flags.dotall = true,
                'm' => p.flags.multiline = true,
                'x' => p.flags.extended = true,
                'A' => p.flags.anchored = true,
                'E' => p.flags.dollar_endonly = true,
                'G' => p.flags.ungreedy = true,
                'R' => p.relative = true,
                'U' => buf(Buffer::App(BufferId::HttpUri))?,
                'I' => buf(Buffer::App(BufferId::HttpUriRaw))?,
                'P' => buf(Buffer::App(BufferId::HttpRequestBody))?,
                'Q' => buf(Buffer::App(BufferId::FileData))?,
                'H' => buf(Buffer::App(BufferId::HttpHeader))?,
                'D' => buf(Buffer::App(BufferId::HttpHeaderRaw))?,
                'M' => buf(Buffer::App(BufferId::HttpMethod))?,
                'C' => buf(Buffer::App(BufferId::HttpCookie))?,
                'S' => buf(Buffer::App(BufferId::HttpStatCode))?,
                'Y' => buf(Buffer::App(BufferId::HttpStatMsg))?,
                'V' => buf(Buffer::App(BufferId::HttpUserAgent))?,
                'W' => buf(Buffer::App(BufferId::HttpHost))?,
                'Z' => buf(Buffer::App(BufferId::HttpHostRaw))?,
                'B' => p.rawbytes = true,
                'O' => p.no_limits = true,
                c => return Err(ParseError::new(format!("unknown pcre flag '{c}'"))),
            }
        }
        if p.rawbytes && p.buffer.is_some() {
            return Err(ParseError::new("pcre B cannot be used with a buffer flag"));
        }
        p.regex = translate(&p.pattern, p.flags)
            .map_err(|why| ParseError::kind(ErrorKind::Unsupported, why).at("pcre"))?;
        syntax::parse_with(&p.regex, &p.syntax_config()).map_err(|e| {
            let msg = e.to_string();
            let why = msg
                .lines()
                .rev()
                .find(|l| l.starts_with("error:"))
                .unwrap_or("the regex engine rejects it")
                .trim_start_matches("error:")
                .trim()
                .to_string();
            ParseError::kind(ErrorKind::Unsupported, format!("pcre: {why}")).at("pcre")
        })?;
        Ok(p)
    }

    /// The regex-automata syntax configuration equivalent to the flags.
    pub fn syntax_config(&self) -> syntax::Config {
        syntax::Config::new()
            .unicode(false)
            .utf8(false)
            .case_insensitive(self.flags.caseless)
            .dot_matches_new_line(self.flags.dotall)
            .multi_line(self.flags.multiline)
            .ignore_whitespace(self.flags.extended)
            .swap_greed(self.flags.ungreedy)
            .nest_limit(100)
    }
}

/// Rewrites PCRE syntax into regex-automata's where they differ in
/// spelling, not in meaning:
/// * `\` before a non-alphanumeric character is that literal (`\>` is `>`
///   in PCRE, an end-of-word in regex-automata): written as `\xHH`;
/// * `\xH`, `\x` (no digits), `\0oo` octal, `\e`, `\Q…\E`, `\h`, `\v`
///   (PCRE's vertical-space class), `\Z`;
/// * a `{` that does not start a quantifier, and a stray `}`, are literals;
/// * inside a class, `[` (not `[:name:]`), `&`, `~` and a doubled `-` are
///   literals (regex-automata reads them as nesting and set operations);
/// * without `m` or `E`, `$` also matches before a final newline.
///
/// Back-references, look-around and the like are left for the syntax check
/// to reject.
pub fn translate(pat: &str, flags: PcreFlags) -> std::result::Result<String, String> {
    let b = pat.as_bytes();
    let mut out = String::with_capacity(pat.len() + 8);
    let mut i = 0;
    let mut class = false;
    let hex = |c: u8| (c as char).to_digit(16);
    // always the two-digit `\xHH` form: regex-syntax reads only that form as a
    // byte when Unicode is off (`\x{FF}` would be the code point U+00FF)
    let lit = |out: &mut String, c: u32| out.push_str(&format!("\\x{:02X}", c & 0xff));
    while i < b.len() {
        let c = b[i];
        if c >= 0x80 {
            // a non-ASCII character of the pattern text: its UTF-8 bytes
            let ch = pat[i..].chars().next().unwrap_or('\u{fffd}');
            let mut buf = [0u8; 4];
            for byte in ch.encode_utf8(&mut buf).bytes() {
                lit(&mut out, byte as u32);
            }
            i += ch.len_utf8();
            continue;
        }
        if c == b'\\' {
            let Some(&n) = b.get(i + 1) else {
                return Err("pcre ends with a backslash".into());
            };
            if n >= 0x80 {
                // `\` before a non-ASCII character: that character, literally
                // (emitted whole by the branch above on the next turn)
                i += 1;
                continue;
            }
            i += 2;
            match n {
                b'x' => {
                    if b.get(i) == Some(&b'{') {
                        let end = pat[i..].find('}').ok_or("pcre: unterminated \\x{")?;
                        let v = u32::from_str_radix(&pat[i + 1..i + end], 16)
                            .map_err(|_| "pcre: bad \\x{..}")?;
                        if v > 0xff {
                            return Err("pcre: \\x{..} above 0xff".into());
                        }
                        lit(&mut out, v);
                        i += end + 1;
                    } else {
                        let mut v = 0;
                        let mut k = 0;
                        while k < 2 {
                            match b.get(i).and_then(|&d| hex(d)) {
                                Some(d) => v = v * 16 + d,
                                None => break,
                            }
                            i += 1;
                            k += 1;
                        }
                        lit(&mut out, v);
                    }
                }
                b'0' => {
                    let mut v = 0;
                    let mut k = 0;
                    while k < 2 && b.get(i).is_some_and(|d| (b'0'..=b'7').contains(d)) {
                        v = v * 8 + (b[i] - b'0') as u32;
                        i += 1;
                        k += 1;
                    }
                    lit(&mut out, v);
                }
                b'e' => lit(&mut out, 0x1b),
                b'a' => lit(&mut out, 0x07),
                b'h' if class => out.push_str("\\t\\x20\\xA0"),
                b'h' => out.push_str("[\\t\\x20\\xA0]"),
                b'v' if class => out.push_str("\\n\\x0B\\f\\r\\x85"),
                b'v' => out.push_str("[\\n\\x0B\\f\\r\\x85]"),
                b'Z' if !class => out.push_str("(?:\\n?\\z)"),
                b'Q' => {
                    let end = pat[i..].find("\\E").map_or(b.len(), |e| i + e);
                    for ch in pat[i..end].bytes() {
                        lit(&mut out, ch as u32);
                    }
                    i = (end + 2).min(b.len());
                }
                b'1'..=b'7' if class => {
                    // octal inside a class
                    let mut v = (n - b'0') as u32;
                    let mut k = 0;
                    while k < 2 && b.get(i).is_some_and(|d| (b'0'..=b'7').contains(d)) {
                        v = v * 8 + (b[i] - b'0') as u32;
                        i += 1;
                        k += 1;
                    }
                    lit(&mut out, v & 0xff);
                }
                b'g' | b'k' | b'1'..=b'9' => {
                    return Err("pcre: back-references are not supported".into())
                }
                n if n.is_ascii_alphanumeric() => {
                    out.push('\\');
                    out.push(n as char);
                }
                n => lit(&mut out, n as u32),
            }
            continue;
        }
        if class {
            match c {
                b']' => class = false,
                b'[' if b.get(i + 1) == Some(&b':') => {
                    let end = pat[i..].find(":]").ok_or("pcre: bad [: class")?;
                    out.push_str(&pat[i..i + end + 2]);
                    i += end + 2;
                    continue;
                }
                b'[' | b'&' | b'~' => {
                    lit(&mut out, c as u32);
                    i += 1;
                    continue;
                }
                b'-' if b.get(i + 1) == Some(&b'-') => {
                    lit(&mut out, c as u32);
                    i += 1;
                    continue;
                }
                _ => {}
            }
            out.push(c as char);
            i += 1;
            continue;
        }
        match c {
            b'[' => {
                class = true;
                out.push('[');
                i += 1;
                if b.get(i) == Some(&b'^') {
                    out.push('^');
                    i += 1;
                }
                // a ']' right after '[' or '[^' is a literal
                if b.get(i) == Some(&b']') {
                    out.push_str("\\]");
                    i += 1;
                }
                continue;
            }
            b'{' => {
                let q = quantifier_len(&b[i..]);
                if q > 0 {
                    out.push_str(&pat[i..i + q]);
                    i += q;
                } else {
                    lit(&mut out, c as u32);
                    i += 1;
                }
                continue;
            }
            b'}' => lit(&mut out, c as u32),
            b'$' if !flags.multiline && !flags.dollar_endonly => out.push_str("(?:\\n?\\z)"),
            b'(' if pat[i..].starts_with("(?P=") => {
                return Err("pcre: back-references are not supported".into())
            }
            b'(' if pat[i..].starts_with("(?#") => {
                let end = pat[i..].find(')').ok_or("pcre: unterminated comment")?;
                i += end + 1;
                continue;
            }
            _ => out.push(c as char),
        }
        i += 1;
    }
    if class {
        return Err("pcre: unterminated character class".into());
    }
    Ok(out)
}

/// Length of a `{n}`, `{n,}` or `{n,m}` quantifier at the start of `b`, 0 if none.
fn quantifier_len(b: &[u8]) -> usize {
    let mut i = 1;
    let digits = |i: &mut usize| {
        let s = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i > s
    };
    if !digits(&mut i) {
        return 0;
    }
    if b.get(i) == Some(&b',') {
        i += 1;
        digits(&mut i);
    }
    if b.get(i) == Some(&b'}') {
        i + 1
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_buffers() {
        let p = Pcre::parse(r#""/^\/[a-z]{4}\.php$/Ui""#).unwrap();
        assert_eq!(p.pattern, r"^\/[a-z]{4}\.php$");
        assert!(p.flags.caseless && !p.relative && !p.negated);
        assert_eq!(p.buffer, Some(Buffer::App(BufferId::HttpUri)));
        let p = Pcre::parse(r#"!"/a.b/smR""#).unwrap();
        assert!(p.negated && p.relative && p.flags.dotall && p.flags.multiline);
        assert_eq!(p.buffer, None);
        // the last slash ends the regex
        assert_eq!(Pcre::parse(r#""/a/b/i""#).unwrap().pattern, "a/b");
    }

    #[test]
    fn bad_and_unsupported() {
        assert!(Pcre::parse("\"/abc\"").is_err());
        assert!(Pcre::parse("\"abc/\"").is_err());
        assert!(Pcre::parse("/abc/").is_err());
        assert!(Pcre::parse("\"/abc/q\"").is_err());
        assert!(Pcre::parse("\"/abc/UH\"").is_err());
        assert!(Pcre::parse("\"/a(b/\"").is_err());
        let e = Pcre::parse(r#""/foo(?!bar)/""#).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Unsupported);
        let e = Pcre::parse(r#""/(a)\1/""#).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Unsupported);
    }

    #[test]
    fn pcre_spellings_translated() {
        let f = PcreFlags::default();
        let ok = |p: &str| Pcre::parse(&format!("\"/{p}/\"")).is_ok();
        assert!(ok(r"clsid\s*\x3a\s*{?\s*4E37\s*}?(.*)\>"));
        assert!(ok(r"^(%25|%)(%7b|{)"));
        assert!(ok(r"[\x22\x2]"));
        assert!(ok(r"[a-z&&]"));
        assert!(ok(r"\Qa.b\E"));
        assert_eq!(translate(r"a\>", f).unwrap(), r"a\x3E");
        assert_eq!(translate(r"a{2}b{,x}", f).unwrap(), r"a{2}b\x7B,x\x7D");
        assert_eq!(translate(r"[[]", f).unwrap(), r"[\x5B]");
        assert_eq!(translate(r"[]a]", f).unwrap(), r"[\]a]");
        assert_eq!(translate("x$", f).unwrap(), r"x(?:\n?\z)");
        let m = PcreFlags {
            multiline: true,
            ..f
        };
        assert_eq!(translate("x$", m).unwrap(), "x$");
        assert_eq!(translate(r"\x4", f).unwrap(), r"\x04");
        assert_eq!(translate(r"\012", f).unwrap(), r"\x0A");
        assert!(translate("[abc", f).is_err());
        // bytes above 0x7f, in and out of classes, stay bytes
        assert!(ok(r"^[\x52\x5c\x90\x93]\xff"));
        assert!(ok(r"(?:[\x7f-\xff])"));
        // found by fuzz/fuzz_targets/rule_parse.rs: a backslash before a
        // multi-byte character (ET rule text with a mangled character)
        let p = Pcre::parse("\"/^\\/\\\u{fffd}?s=/\"").unwrap();
        assert_eq!(p.regex, r"^\x2F\xEF\xBF\xBD?s=");
        let p = Pcre::parse("\"/\\xe9/\"").unwrap();
        assert_eq!(p.regex, r"\xE9");
    }

    #[test]
    fn escapes_pcre_accepts() {
        // Suricata passes \; and \" through to PCRE, where they are literals.
        assert!(Pcre::parse(r#""/a\;b\"c\/d/""#).is_ok());
        assert!(Pcre::parse(r#""/\x00\xff[^\r\n]+/""#).is_ok());
    }
}
