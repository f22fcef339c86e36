//! byte_test, byte_jump, byte_extract, isdataat, base64_decode.
//!
//! Grammars (Suricata documentation):
//! * `byte_test:<nbytes>, [!]<op>, <value>, <offset> [,relative] [,big|little|dce]
//!   [,string[,hex|dec|oct]] [,bitmask <mask>]`, op one of `< > = <= >= & ^`
//!   (`!` alone means not-equal);
//! * `byte_jump:<nbytes>, <offset> [,relative] [,multiplier <n>] [,big|little|dce]
//!   [,string[,hex|dec|oct]] [,align] [,from_beginning|from_end] [,post_offset <n>]
//!   [,bitmask <mask>]`;
//! * `byte_extract:<nbytes>, <offset>, <name> [,relative] [,multiplier <n>]
//!   [,big|little|dce] [,string[,hex|dec|oct]] [,align <2|4>]`;
//! * `isdataat:[!]<n>[,relative][,rawbytes]`; `base64_decode[:bytes <n>][,offset <n>][,relative]`.
//!
//! `nbytes` is 1–8 for binary reads, up to 23 digits with `string`. Values
//! and offsets may name a `byte_extract` variable of the same rule.
use crate::error::{ParseError, Result};
use crate::keywords::content::Num;
use crate::parse::value::{comma_list, parse_int, parse_uint};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Endian {
    #[default]
    Big,
    Little,
    /// Taken from the DCE/RPC header.
    Dce,
}

/// How the bytes are converted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Base {
    #[default]
    Binary,
    StringDec,
    StringHex,
    StringOct,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ByteOp {
    Lt,
    Gt,
    Eq,
    Le,
    Ge,
    And,
    Xor,
}

/// Options shared by the three byte keywords.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ByteRead {
    pub nbytes: u8,
    pub offset: Num,
    pub relative: bool,
    pub endian: Endian,
    pub base: Base,
    pub bitmask: Option<u64>,
}

impl Default for Num {
    fn default() -> Num {
        Num::Lit(0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ByteTest {
    pub read: ByteRead,
    pub negated: bool,
    pub op: ByteOp,
    pub value: Num,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ByteJump {
    pub read: ByteRead,
    pub multiplier: u32,
    pub align: bool,
    pub from_beginning: bool,
    pub from_end: bool,
    pub post_offset: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ByteExtract {
    pub read: ByteRead,
    /// Index of the variable it sets in the rule's `byte_vars`.
    pub var: u8,
    pub multiplier: u32,
    pub align: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IsDataAt {
    pub negated: bool,
    pub at: Num,
    pub relative: bool,
    pub rawbytes: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Base64Decode {
    pub bytes: Option<u32>,
    pub offset: u32,
    pub relative: bool,
}

type VarFn<'a> = &'a dyn Fn(&str) -> Option<u8>;

fn num_or_var(s: &str, var: VarFn, min: i64, max: i64) -> Result<Num> {
    let s = s.trim();
    match s.as_bytes().first() {
        Some(b) if b.is_ascii_digit() || *b == b'-' => {
            if s.starts_with("0x") || s.starts_with("0X") {
                Ok(Num::Lit(parse_uint(s, max as u64)? as i64))
            } else {
                parse_int(s, min, max).map(Num::Lit)
            }
        }
        Some(_) => var(s)
            .map(Num::Var)
            .ok_or_else(|| ParseError::new(format!("unknown byte_extract variable '{s}'"))),
        None => Err(ParseError::new("missing value")),
    }
}

/// Parses the trailing flag list shared by the byte keywords; `extra`
/// handles the keyword's own words and returns false if unknown.
fn parse_flags<'a>(
    read: &mut ByteRead,
    parts: impl Iterator<Item = &'a str>,
    mut extra: impl FnMut(&str, Option<&str>) -> Result<bool>,
) -> Result<()> {
    let mut string = false;
    let mut endian_set = false;
    for p in parts {
        let (word, arg) = match p.split_once(char::is_whitespace) {
            Some((w, a)) => (w, Some(a.trim())),
            None => (p, None),
        };
        let mut set_endian = |e: Endian| -> Result<()> {
            if endian_set {
                return Err(ParseError::new("endianness given twice"));
            }
            endian_set = true;
            read.endian = e;
            Ok(())
        };
        match (word, arg) {
            ("relative", None) => read.relative = true,
            ("big", None) => set_endian(Endian::Big)?,
            ("little", None) => set_endian(Endian::Little)?,
            ("dce", None) => set_endian(Endian::Dce)?,
            ("string", None) => {
                string = true;
                if read.base == Base::Binary {
                    read.base = Base::StringDec;
                }
            }
            ("dec", None) | ("hex", None) | ("oct", None) => {
                if !string {
                    return Err(ParseError::new(format!(
                        "'{word}' needs 'string' before it"
                    )));
                }
                read.base = match word {
                    "dec" => Base::StringDec,
                    "hex" => Base::StringHex,
                    _ => Base::StringOct,
                };
            }
            ("bitmask", Some(m)) => {
                let m = parse_uint(m, u64::MAX)?;
                if m == 0 {
                    return Err(ParseError::new("bitmask 0"));
                }
                read.bitmask = Some(m);
            }
            _ => {
                if !extra(word, arg)? {
                    return Err(ParseError::new(format!("unknown option '{p}'")));
                }
            }
        }
    }
    // Suricata 8 loads `byte_test:0,=,0,0,string,dec` (ET uses it), so 0 is
    // accepted with string.
    let max = if string { 23 } else { 8 };
    if (read.nbytes == 0 && !string) || read.nbytes > max {
        return Err(ParseError::new(format!(
            "nbytes {} out of range 1-{max}",
            read.nbytes
        )));
    }
    if string && read.endian != Endian::Big && endian_set {
        return Err(ParseError::new(
            "string cannot be combined with an endianness",
        ));
    }
    Ok(())
}

fn nbytes(s: &str) -> Result<u8> {
    Ok(parse_uint(s, 64)? as u8)
}

impl ByteTest {
    pub fn parse(value: &str, var: VarFn) -> Result<ByteTest> {
        let parts: Vec<&str> = comma_list(value).collect();
        if parts.len() < 4 {
            return Err(ParseError::new("expected nbytes, op, value, offset"));
        }
        let mut read = ByteRead {
            nbytes: nbytes(parts[0])?,
            offset: num_or_var(parts[3], var, -65535, 65535)?,
            ..ByteRead::default()
        };
        let op_s = parts[1].trim();
        let (negated, op_s) = match op_s.strip_prefix('!') {
            Some(r) => (true, r.trim()),
            None => (false, op_s),
        };
        let op = match op_s {
            "<" => ByteOp::Lt,
            ">" => ByteOp::Gt,
            "=" | "" if negated || op_s == "=" => ByteOp::Eq,
            "<=" => ByteOp::Le,
            ">=" => ByteOp::Ge,
            "&" => ByteOp::And,
            "^" => ByteOp::Xor,
            o => return Err(ParseError::new(format!("unknown operator '{o}'"))),
        };
        let value = num_or_var(parts[2], var, 0, i64::MAX)?;
        parse_flags(&mut read, parts[4..].iter().copied(), |_, _| Ok(false))?;
        Ok(ByteTest {
            read,
            negated,
            op,
            value,
        })
    }
}

impl ByteJump {
    pub fn parse(value: &str, var: VarFn) -> Result<ByteJump> {
        let parts: Vec<&str> = comma_list(value).collect();
        if parts.len() < 2 {
            return Err(ParseError::new("expected nbytes, offset"));
        }
        let mut read = ByteRead {
            nbytes: nbytes(parts[0])?,
            offset: num_or_var(parts[1], var, -65535, 65535)?,
            ..ByteRead::default()
        };
        let mut j = ByteJump {
            read,
            multiplier: 1,
            align: false,
            from_beginning: false,
            from_end: false,
            post_offset: 0,
        };
        parse_flags(&mut read, parts[2..].iter().copied(), |w, a| {
            match (w, a) {
                ("multiplier", Some(m)) => {
                    j.multiplier = parse_uint(m, 65535)? as u32;
                    if j.multiplier == 0 {
                        return Err(ParseError::new("multiplier 0"));
                    }
                }
                ("align", None) => j.align = true,
                ("from_beginning", None) => j.from_beginning = true,
                ("from_end", None) => j.from_end = true,
                ("post_offset", Some(o)) => j.post_offset = parse_int(o, -65535, 65535)? as i32,
                _ => return Ok(false),
            }
            Ok(true)
        })?;
        if j.from_beginning && j.from_end {
            return Err(ParseError::new("from_beginning and from_end together"));
        }
        j.read = read;
        Ok(j)
    }
}

impl ByteExtract {
    /// `define` registers the variable name and returns its index.
    pub fn parse(
        value: &str,
        var: VarFn,
        define: &mut dyn FnMut(&str) -> Result<u8>,
    ) -> Result<ByteExtract> {
        let parts: Vec<&str> = comma_list(value).collect();
        if parts.len() < 3 {
            return Err(ParseError::new("expected nbytes, offset, name"));
        }
        let mut read = ByteRead {
            nbytes: nbytes(parts[0])?,
            offset: num_or_var(parts[1], var, -65535, 65535)?,
            ..ByteRead::default()
        };
        let name = parts[2];
        if name.is_empty()
            || name.as_bytes()[0].is_ascii_digit()
            || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err(ParseError::new(format!("bad variable name '{name}'")));
        }
        let mut multiplier = 1;
        let mut align = 0;
        parse_flags(&mut read, parts[3..].iter().copied(), |w, a| {
            match (w, a) {
                ("multiplier", Some(m)) => {
                    multiplier = parse_uint(m, 65535)? as u32;
                    if multiplier == 0 {
                        return Err(ParseError::new("multiplier 0"));
                    }
                }
                ("align", Some(n)) => {
                    align = parse_uint(n, 4)? as u8;
                    if align != 2 && align != 4 {
                        return Err(ParseError::new("align must be 2 or 4"));
                    }
                }
                _ => return Ok(false),
            }
            Ok(true)
        })?;
        Ok(ByteExtract {
            read,
            var: define(name)?,
            multiplier,
            align,
        })
    }
}

impl IsDataAt {
    pub fn parse(value: &str, var: VarFn) -> Result<IsDataAt> {
        let mut parts = comma_list(value);
        let first = parts.next().unwrap_or("");
        let (negated, n) = match first.strip_prefix('!') {
            Some(r) => (true, r.trim()),
            None => (false, first),
        };
        let mut d = IsDataAt {
            negated,
            at: num_or_var(n, var, 0, 65535)?,
            relative: false,
            rawbytes: false,
        };
        for p in parts {
            match p {
                "relative" => d.relative = true,
                "rawbytes" => d.rawbytes = true,
                o => return Err(ParseError::new(format!("unknown option '{o}'"))),
            }
        }
        Ok(d)
    }
}

impl Base64Decode {
    pub fn parse(value: Option<&str>) -> Result<Base64Decode> {
        let mut d = Base64Decode::default();
        let Some(v) = value else { return Ok(d) };
        for p in comma_list(v) {
            let (w, a) = match p.split_once(char::is_whitespace) {
                Some((w, a)) => (w, Some(a.trim())),
                None => (p, None),
            };
            match (w, a) {
                ("bytes", Some(n)) => {
                    let n = parse_uint(n, u32::MAX as u64)? as u32;
                    if n == 0 {
                        return Err(ParseError::new("bytes 0"));
                    }
                    d.bytes = Some(n);
                }
                ("offset", Some(n)) => d.offset = parse_uint(n, u32::MAX as u64)? as u32,
                ("relative", None) => d.relative = true,
                _ => return Err(ParseError::new(format!("unknown option '{p}'"))),
            }
        }
        Ok(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str) -> Option<u8> {
        None
    }

    #[test]
    fn byte_test_doc_forms() {
        // docs: byte_test:2, =, 0x01, 0;  byte_test:3, =, 8, 0, string, dec;
        let t = ByteTest::parse("2, =, 0x01, 0", &none).unwrap();
        assert_eq!((t.read.nbytes, t.op, t.value), (2, ByteOp::Eq, Num::Lit(1)));
        let t = ByteTest::parse("3, =, 8, 0, string, dec", &none).unwrap();
        assert_eq!(t.read.base, Base::StringDec);
        let t = ByteTest::parse("4,!&,0x80,4,relative,little,bitmask 0xff", &none).unwrap();
        assert!(t.negated && t.read.relative);
        assert_eq!(t.op, ByteOp::And);
        assert_eq!(t.read.endian, Endian::Little);
        assert_eq!(t.read.bitmask, Some(0xff));
        let t = ByteTest::parse("1,!,5,-2,relative", &none).unwrap();
        assert!(t.negated && t.op == ByteOp::Eq && t.read.offset == Num::Lit(-2));
        assert!(ByteTest::parse("9, =, 1, 0", &none).is_err());
        assert!(ByteTest::parse("10, =, 1, 0, string, dec", &none).is_ok());
        assert!(ByteTest::parse("2, ~, 1, 0", &none).is_err());
        assert!(ByteTest::parse("2, =, 1", &none).is_err());
        assert!(ByteTest::parse("2, =, 1, 0, hex", &none).is_err());
        assert!(ByteTest::parse("2, =, 1, 0, big, little", &none).is_err());
    }

    #[test]
    fn byte_jump_and_extract() {
        let j = ByteJump::parse("4,0,relative,little,align,post_offset -1", &none).unwrap();
        assert!(j.read.relative && j.align && j.post_offset == -1);
        let j = ByteJump::parse("2,1,multiplier 2,from_beginning", &none).unwrap();
        assert!(j.multiplier == 2 && j.from_beginning);
        assert!(ByteJump::parse("4,0,from_beginning,from_end", &none).is_err());
        assert!(ByteJump::parse("4", &none).is_err());
        let mut names = Vec::new();
        let mut def = |n: &str| {
            names.push(n.to_string());
            Ok((names.len() - 1) as u8)
        };
        let e = ByteExtract::parse("2,0,len,relative,little", &none, &mut def).unwrap();
        assert_eq!(e.var, 0);
        assert!(ByteExtract::parse("2,0,1x", &none, &mut def).is_err());
        assert!(ByteExtract::parse("2,0,x,align 3", &none, &mut def).is_err());
        let vars = |n: &str| (n == "len").then_some(0u8);
        let t = ByteTest::parse("1,>,len,0", &vars).unwrap();
        assert_eq!(t.value, Num::Var(0));
    }

    #[test]
    fn isdataat_and_base64() {
        let d = IsDataAt::parse("!1,relative", &none).unwrap();
        assert!(d.negated && d.relative && d.at == Num::Lit(1));
        assert!(IsDataAt::parse("x", &none).is_err());
        assert!(IsDataAt::parse("1,foo", &none).is_err());
        let b = Base64Decode::parse(Some("bytes 10, offset 2, relative")).unwrap();
        assert_eq!((b.bytes, b.offset, b.relative), (Some(10), 2, true));
        assert_eq!(Base64Decode::parse(None).unwrap(), Base64Decode::default());
        assert!(Base64Decode::parse(Some("bytes 0")).is_err());
    }
}
