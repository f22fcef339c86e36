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
use crate::keywords::buffer::Buffer;

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
        let v = value.trim();
        let (negated, v) = match v.strip_prefix('!') {
            Some(r) => (true, r.trim_start()),
            None => (false, v),
        };
        let inner = if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') {
            &v[1..v.len() - 1]
        } else {
            return Err(ParseError::new("pcre must be a quoted \"/regex/flags\""));
        };
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
                'U' => buf(Buffer::HttpUri)?,
                'I' => buf(Buffer::HttpUriRaw)?,
                'P' => buf(Buffer::HttpRequestBody)?,
                'Q' => buf(Buffer::FileData)?,
                'H' => buf(Buffer::HttpHeader)?,
                'D' => buf(Buffer::HttpHeaderRaw)?,
                'M' => buf(Buffer::HttpMethod)?,
                'C' => buf(Buffer::HttpCookie)?,
                'S' => buf(Buffer::HttpStatCode)?,
                'Y' => buf(Buffer::HttpStatMsg)?,
                'V' => buf(Buffer::HttpUserAgent)?,
                'W' => buf(Buffer::HttpHost)?,
                'Z' => buf(Buffer::HttpHostRaw)?,
                'B' => p.rawbytes = true,
                'O' => p.no_limits = true,
                c => return Err(ParseError::new(format!("unknown pcre flag '{c}'"))),
            }
        }
        if p.rawbytes && p.buffer.is_some() {
            return Err(ParseError::new("pcre B cannot be used with a buffer flag"));
        }
        syntax::parse_with(&p.pattern, &p.syntax_config()).map_err(|e| {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_buffers() {
        let p = Pcre::parse(r#""/^\/[a-z]{4}\.php$/Ui""#).unwrap();
        assert_eq!(p.pattern, r"^\/[a-z]{4}\.php$");
        assert!(p.flags.caseless && !p.relative && !p.negated);
        assert_eq!(p.buffer, Some(Buffer::HttpUri));
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
    fn escapes_pcre_accepts() {
        // Suricata passes \; and \" through to PCRE, where they are literals.
        assert!(Pcre::parse(r#""/a\;b\"c\/d/""#).is_ok());
        assert!(Pcre::parse(r#""/\x00\xff[^\r\n]+/""#).is_ok());
    }
}
