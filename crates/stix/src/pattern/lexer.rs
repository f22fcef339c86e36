//! Tokenizer for the STIX 2.1 patterning language (STIX 2.1 part 9 and the
//! OASIS ANTLR grammar): keywords are upper case, `true`/`false` lower case,
//! `h'…'`, `b'…'`, `t'…'` literals, `/* */` and `//` comments.

use super::PatternError;
use crate::time::parse_timestamp;

#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    LBrack,
    RBrack,
    LParen,
    RParen,
    Comma,
    Colon,
    Dot,
    Star,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// Identifier; `bool` is true when it contains a hyphen.
    Ident(String, bool),
    Str(String),
    Int(i64),
    Float(f64),
    Hex(Vec<u8>),
    Bin(Vec<u8>),
    Ts(i128),
    Bool(bool),
    Kw(Kw),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kw {
    And,
    Or,
    Not,
    FollowedBy,
    Like,
    Matches,
    IsSuperset,
    IsSubset,
    Exists,
    Last,
    In,
    Start,
    Stop,
    Seconds,
    Within,
    Repeats,
    Times,
}

impl Kw {
    fn from_ident(s: &str) -> Option<Kw> {
        Some(match s {
            "AND" => Kw::And,
            "OR" => Kw::Or,
            "NOT" => Kw::Not,
            "FOLLOWEDBY" => Kw::FollowedBy,
            "LIKE" => Kw::Like,
            "MATCHES" => Kw::Matches,
            "ISSUPERSET" => Kw::IsSuperset,
            "ISSUBSET" => Kw::IsSubset,
            "EXISTS" => Kw::Exists,
            "LAST" => Kw::Last,
            "IN" => Kw::In,
            "START" => Kw::Start,
            "STOP" => Kw::Stop,
            "SECONDS" => Kw::Seconds,
            "WITHIN" => Kw::Within,
            "REPEATS" => Kw::Repeats,
            "TIMES" => Kw::Times,
            _ => return None,
        })
    }
}

/// A token and the byte offset where it starts.
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub pos: usize,
}

fn err(pos: usize, msg: impl Into<String>) -> PatternError {
    PatternError {
        pos,
        msg: msg.into(),
    }
}

fn is_ws(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t'
            | '\r'
            | '\n'
            | '\u{0B}'
            | '\u{0C}'
            | '\u{85}'
            | '\u{A0}'
            | '\u{1680}'
            | '\u{2000}'
            ..='\u{200A}' | '\u{2028}' | '\u{2029}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
    )
}

/// Splits a pattern into tokens (at most `max_tokens`).
pub fn tokenize(src: &str, max_tokens: usize) -> Result<Vec<Token>, PatternError> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        // Whitespace (ASCII fast path, then the Unicode spaces the grammar skips).
        if c.is_ascii_whitespace() || c == 0x0B {
            i += 1;
            continue;
        }
        if c >= 0x80 {
            let ch = src[i..].chars().next().unwrap_or('\u{FFFD}');
            if is_ws(ch) {
                i += ch.len_utf8();
                continue;
            }
            return Err(err(i, format!("unexpected character '{ch}'")));
        }
        if c == b'/' && b.get(i + 1) == Some(&b'*') {
            match src[i + 2..].find("*/") {
                Some(end) => {
                    i += 2 + end + 2;
                    continue;
                }
                None => return Err(err(i, "unterminated comment")),
            }
        }
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' && b[i] != b'\r' {
                i += 1;
            }
            continue;
        }
        if out.len() >= max_tokens {
            return Err(err(i, format!("pattern has more than {max_tokens} tokens")));
        }
        let start = i;
        let tok = match c {
            b'[' => {
                i += 1;
                Tok::LBrack
            }
            b']' => {
                i += 1;
                Tok::RBrack
            }
            b'(' => {
                i += 1;
                Tok::LParen
            }
            b')' => {
                i += 1;
                Tok::RParen
            }
            b',' => {
                i += 1;
                Tok::Comma
            }
            b':' => {
                i += 1;
                Tok::Colon
            }
            b'*' => {
                i += 1;
                Tok::Star
            }
            b'=' => {
                i += if b.get(i + 1) == Some(&b'=') { 2 } else { 1 };
                Tok::Eq
            }
            b'!' if b.get(i + 1) == Some(&b'=') => {
                i += 2;
                Tok::Ne
            }
            b'<' => match b.get(i + 1) {
                Some(b'>') => {
                    i += 2;
                    Tok::Ne
                }
                Some(b'=') => {
                    i += 2;
                    Tok::Le
                }
                _ => {
                    i += 1;
                    Tok::Lt
                }
            },
            b'>' => {
                if b.get(i + 1) == Some(&b'=') {
                    i += 2;
                    Tok::Ge
                } else {
                    i += 1;
                    Tok::Gt
                }
            }
            b'\'' => {
                let (s, end) = lex_string(src, i)?;
                i = end;
                Tok::Str(s)
            }
            b'h' | b'b' | b't' if b.get(i + 1) == Some(&b'\'') => {
                let (s, end) = lex_string(src, i + 1)?;
                i = end;
                match c {
                    b'h' => Tok::Hex(decode_hex(&s).ok_or_else(|| {
                        err(
                            start,
                            "hex literal needs an even number of hexadecimal digits",
                        )
                    })?),
                    b'b' => Tok::Bin(
                        decode_base64(&s)
                            .ok_or_else(|| err(start, "binary literal is not valid base64"))?,
                    ),
                    _ => Tok::Ts(parse_timestamp(&s).map_err(|e| {
                        err(start, format!("invalid timestamp literal t'{s}': {e}"))
                    })?),
                }
            }
            b'.' if b.get(i + 1).is_some_and(u8::is_ascii_digit) => lex_number(b, &mut i)?,
            b'.' => {
                i += 1;
                Tok::Dot
            }
            b'+' | b'-' | b'0'..=b'9' => lex_number(b, &mut i)?,
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                let mut hyphen = false;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'-')
                {
                    hyphen |= b[i] == b'-';
                    i += 1;
                }
                let word = &src[start..i];
                if let Some(k) = Kw::from_ident(word) {
                    Tok::Kw(k)
                } else if word == "true" {
                    Tok::Bool(true)
                } else if word == "false" {
                    Tok::Bool(false)
                } else {
                    Tok::Ident(word.to_string(), hyphen)
                }
            }
            _ => {
                let ch = src[i..].chars().next().unwrap_or('?');
                return Err(err(i, format!("unexpected character '{ch}'")));
            }
        };
        out.push(Token { tok, pos: start });
    }
    Ok(out)
}

/// Lexes `'…'` starting at the quote at `q`; escapes are `\'` and `\\` only.
fn lex_string(src: &str, q: usize) -> Result<(String, usize), PatternError> {
    let b = src.as_bytes();
    let mut s = String::new();
    let mut i = q + 1;
    let mut run = i;
    loop {
        match b.get(i) {
            None => return Err(err(q, "unterminated string literal")),
            Some(b'\'') => {
                s.push_str(&src[run..i]);
                return Ok((s, i + 1));
            }
            Some(b'\\') => {
                s.push_str(&src[run..i]);
                match b.get(i + 1) {
                    Some(b'\'') => s.push('\''),
                    Some(b'\\') => s.push('\\'),
                    _ => {
                        return Err(err(
                            i,
                            "invalid escape in string literal (only \\' and \\\\ are allowed)",
                        ))
                    }
                }
                i += 2;
                run = i;
            }
            Some(_) => i += 1,
        }
    }
}

fn lex_number(b: &[u8], i: &mut usize) -> Result<Tok, PatternError> {
    let start = *i;
    let neg = b[*i] == b'-';
    if b[*i] == b'+' || b[*i] == b'-' {
        *i += 1;
    }
    let int_start = *i;
    while *i < b.len() && b[*i].is_ascii_digit() {
        *i += 1;
    }
    let int_end = *i;
    if *i < b.len() && b[*i] == b'.' && b.get(*i + 1).is_some_and(u8::is_ascii_digit) {
        *i += 1;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        let text = core::str::from_utf8(&b[start..*i]).map_err(|_| err(start, "bad number"))?;
        let v: f64 = text
            .parse()
            .map_err(|_| err(start, "invalid float literal"))?;
        return Ok(Tok::Float(v));
    }
    if int_end == int_start {
        return Err(err(start, "expected a number after sign"));
    }
    if b[int_start] == b'0' && int_end - int_start > 1 {
        return Err(err(start, "integer literal with leading zero"));
    }
    let text =
        core::str::from_utf8(&b[int_start..int_end]).map_err(|_| err(start, "bad number"))?;
    let mag: i128 = text
        .parse()
        .map_err(|_| err(start, "integer literal too large"))?;
    let v = if neg { -mag } else { mag };
    let v = i64::try_from(v).map_err(|_| err(start, "integer literal out of 64-bit range"))?;
    Ok(Tok::Int(v))
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    if (b.len() & 1) == 1 {
        return None;
    }
    let nib = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    b.chunks_exact(2)
        .map(|p| Some(nib(p[0])? << 4 | nib(p[1])?))
        .collect()
}

/// Strict RFC 4648 base64 (padding required, no whitespace).
pub fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    if (b.len() & 3) != 0 {
        return None;
    }
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        })
    };
    let mut out = Vec::with_capacity(b.len() / 4 * 3);
    let n = b.len() / 4;
    for (k, q) in b.chunks_exact(4).enumerate() {
        let last = k + 1 == n;
        let pad = q.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut acc = 0u32;
        for &c in &q[..4 - pad] {
            acc = acc << 6 | val(c)?;
        }
        acc <<= 6 * pad as u32;
        let bytes = [(acc >> 16) as u8, (acc >> 8) as u8, acc as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_positions() {
        let t = tokenize(
            "[file:size >= -12 AND x:y = h'ff00'] /* c */ WITHIN 1.5 SECONDS",
            100,
        )
        .unwrap();
        let kinds: Vec<_> = t.iter().map(|t| t.tok.clone()).collect();
        assert_eq!(kinds[0], Tok::LBrack);
        assert_eq!(kinds[1], Tok::Ident("file".into(), false));
        assert_eq!(kinds[4], Tok::Ge);
        assert_eq!(kinds[5], Tok::Int(-12));
        assert_eq!(kinds[11], Tok::Hex(vec![0xff, 0]));
        assert_eq!(kinds[13], Tok::Kw(Kw::Within));
        assert_eq!(kinds[14], Tok::Float(1.5));
        assert_eq!(t[5].pos, 14);
        assert_eq!(
            tokenize("'a\\'b\\\\'", 10).unwrap()[0].tok,
            Tok::Str("a'b\\".into())
        );
        assert_eq!(tokenize("'a\\nb'", 10).unwrap_err().pos, 2);
        assert!(tokenize("b'===='", 10).is_err());
        assert_eq!(
            tokenize("b'dGVzdA=='", 10).unwrap()[0].tok,
            Tok::Bin(b"test".to_vec())
        );
        assert_eq!(tokenize("'unterminated", 10).unwrap_err().pos, 0);
        assert!(tokenize("007", 10).is_err());
        assert!(tokenize("[a:b = 1]", 3).is_err());
    }
}
