//! Rule text → [`Rule`](crate::Rule): splitting a line into header and
//! options with Suricata's escaping rules, then the header
//! ([`header`]) and the options ([`options`]).
//!
//! Suricata's lexical rules, kept here:
//! * a rule is `action proto src sport dir dst dport (opt; opt: value; …)`;
//!   the option list starts at the first `(` and must end with `)`;
//! * each option ends at the first `;` not escaped by a backslash (quotes do
//!   not protect a `;`: `msg:"a\;b"`), the name runs to the first `:`;
//! * every option, the last one included, ends with `;`.

pub mod header;
pub mod options;
pub mod value;

use crate::error::ParseError;

/// Longest rule accepted (Suricata's own limit on a signature is 64 KiB).
pub const MAX_RULE_LEN: usize = 64 * 1024;
/// Most options one rule may carry.
pub const MAX_OPTIONS: usize = 1024;

/// One `name[:value]` option as written, value trimmed, escapes untouched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawOption<'a> {
    pub name: &'a str,
    pub value: Option<&'a str>,
}

/// Splits a rule into its header text and its option body (between the
/// outer parentheses).
pub fn split_rule(text: &str) -> Result<(&str, &str), ParseError> {
    if text.len() > MAX_RULE_LEN {
        return Err(ParseError::new(format!(
            "rule longer than {MAX_RULE_LEN} bytes"
        )));
    }
    let text = text.trim();
    let open = text
        .find('(')
        .ok_or_else(|| ParseError::new("no option list: '(' missing"))?;
    let header = text[..open].trim();
    let rest = text[open + 1..].trim_end();
    let body = rest
        .strip_suffix(')')
        .ok_or_else(|| ParseError::new("option list does not end with ')'"))?;
    Ok((header, body))
}

/// Splits the option body into options; every option must end with an
/// unescaped `;`.
pub fn split_options(body: &str) -> Result<Vec<RawOption<'_>>, ParseError> {
    let mut out = Vec::new();
    let bytes = body.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= bytes.len() {
            break;
        }
        let start = i;
        let mut escaped = false;
        let mut end = None;
        while i < bytes.len() {
            let b = bytes[i];
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b';' {
                end = Some(i);
                break;
            }
            i += 1;
        }
        let end = end.ok_or_else(|| {
            ParseError::new(format!(
                "option '{}' has no terminating ';'",
                short(&body[start..])
            ))
        })?;
        let opt = &body[start..end];
        i = end + 1;
        let (name, value) = match opt.find(':') {
            Some(c) => (opt[..c].trim(), Some(opt[c + 1..].trim())),
            None => (opt.trim(), None),
        };
        if name.is_empty() {
            return Err(ParseError::new("empty option name"));
        }
        if !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        {
            return Err(ParseError::new(format!(
                "invalid option name '{}'",
                short(name)
            )));
        }
        out.push(RawOption { name, value });
        if out.len() > MAX_OPTIONS {
            return Err(ParseError::new(format!("more than {MAX_OPTIONS} options")));
        }
    }
    Ok(out)
}

/// The first 40 characters of `s`, for error messages.
pub(crate) fn short(s: &str) -> String {
    let mut t: String = s.chars().take(40).collect();
    if t.len() < s.len() {
        t.push('…');
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_header_and_body() {
        let (h, b) = split_rule("alert tcp any any -> any any (msg:\"x\"; sid:1;)").unwrap();
        assert_eq!(h, "alert tcp any any -> any any");
        assert_eq!(b, "msg:\"x\"; sid:1;");
        assert!(split_rule("alert tcp any any -> any any msg").is_err());
        assert!(split_rule("alert tcp any any -> any any (sid:1;").is_err());
    }

    #[test]
    fn escaped_semicolon_stays_in_value() {
        let o = split_options(r#"msg:"a\;b"; content:"|3b|"; nocase; sid:1;"#).unwrap();
        assert_eq!(o.len(), 4);
        assert_eq!(o[0].name, "msg");
        assert_eq!(o[0].value, Some(r#""a\;b""#));
        assert_eq!(
            o[2],
            RawOption {
                name: "nocase",
                value: None
            }
        );
        // an escaped backslash does not escape the following ';'
        let o = split_options(r#"content:"a\\"; sid:2;"#).unwrap();
        assert_eq!(o[0].value, Some(r#""a\\""#));
        assert_eq!(o.len(), 2);
    }

    #[test]
    fn last_option_needs_semicolon() {
        assert!(split_options("msg:\"x\"; sid:1").is_err());
        assert!(split_options(": x;").is_err());
        assert!(split_options("a b;").is_err());
    }
}
