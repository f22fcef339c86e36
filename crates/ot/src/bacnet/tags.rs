//! BACnet's BER-like tags (ASHRAE 135 clause 20.2.1).
//!
//! ```text
//!  bit  7 6 5 4   3     2 1 0
//!      +-------+-----+-------+
//!      | tag # |class|  LVT  |   tag # 15: the number is in the next byte
//!      +-------+-----+-------+   LVT 5: length in the next byte (254: u16
//!                                follows, 255: u32); context class LVT 6/7:
//!                                opening/closing tag; application boolean:
//!                                LVT is the value, no content
//! ```
//! [`TagReader::next`] checks a tag's length against the buffer once and
//! hands out the content as a slice, so no accessor can index out of range.

use reefwatch_applayer::bytes::{be16, be32};

/// Application tag numbers.
pub const APP_NULL: u8 = 0;
pub const APP_BOOLEAN: u8 = 1;
pub const APP_UNSIGNED: u8 = 2;
pub const APP_SIGNED: u8 = 3;
pub const APP_REAL: u8 = 4;
pub const APP_DOUBLE: u8 = 5;
pub const APP_OCTET_STRING: u8 = 6;
pub const APP_CHAR_STRING: u8 = 7;
pub const APP_BIT_STRING: u8 = 8;
pub const APP_ENUMERATED: u8 = 9;
pub const APP_DATE: u8 = 10;
pub const APP_TIME: u8 = 11;
pub const APP_OBJECT_ID: u8 = 12;

pub fn app_tag_name(t: u8) -> &'static str {
    match t {
        0 => "null",
        1 => "boolean",
        2 => "unsigned",
        3 => "signed",
        4 => "real",
        5 => "double",
        6 => "octet_string",
        7 => "character_string",
        8 => "bit_string",
        9 => "enumerated",
        10 => "date",
        11 => "time",
        12 => "object_identifier",
        _ => "reserved",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A primitive value (`data` is its content; for an application boolean
    /// `data` is empty and the value is `lvt`).
    Value,
    Open,
    Close,
}

/// One decoded tag, its content borrowed from the buffer.
#[derive(Debug, Clone, Copy)]
pub struct Tag<'a> {
    pub number: u8,
    pub context: bool,
    pub kind: Kind,
    /// Raw length/value/type field (the boolean value for application
    /// booleans).
    pub lvt: u32,
    pub data: &'a [u8],
}

impl<'a> Tag<'a> {
    pub fn is_ctx(&self, n: u8) -> bool {
        self.context && self.number == n && self.kind == Kind::Value
    }
    pub fn is_open(&self, n: u8) -> bool {
        self.context && self.number == n && self.kind == Kind::Open
    }
    pub fn is_close(&self, n: u8) -> bool {
        self.context && self.number == n && self.kind == Kind::Close
    }
    pub fn is_app(&self, n: u8) -> bool {
        !self.context && self.number == n && self.kind == Kind::Value
    }
    /// Unsigned content (1..=4 bytes, big-endian; longer: `None`).
    pub fn uint(&self) -> Option<u32> {
        if self.data.is_empty() || self.data.len() > 4 {
            return None;
        }
        Some(self.data.iter().fold(0u32, |a, &b| (a << 8) | b as u32))
    }
    /// Signed content (1..=4 bytes, two's complement).
    pub fn int(&self) -> Option<i32> {
        let n = self.data.len();
        let u = self.uint()?;
        let shift = 32 - 8 * n as u32;
        Some(((u << shift) as i32) >> shift)
    }
    /// Object identifier: (type, instance).
    pub fn object_id(&self) -> Option<ObjectId> {
        if self.data.len() != 4 {
            return None;
        }
        let v = be32(self.data, 0)?;
        Some(ObjectId {
            object_type: (v >> 22) as u16,
            instance: v & 0x3f_ffff,
        })
    }
    /// Boolean: an application boolean's LVT, or a context tag's one byte.
    pub fn boolean(&self) -> Option<bool> {
        if !self.context && self.number == APP_BOOLEAN {
            return Some(self.lvt != 0);
        }
        match self.data {
            [b] => Some(*b != 0),
            _ => None,
        }
    }
}

/// A BACnet object identifier.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ObjectId {
    pub object_type: u16,
    pub instance: u32,
}

/// Reads tags one after another; every read is bounds-checked.
#[derive(Debug, Clone, Copy)]
pub struct TagReader<'a> {
    buf: &'a [u8],
    pub pos: usize,
    /// A tag header or length did not fit the buffer (the reader stops).
    pub bad: bool,
}

impl<'a> TagReader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        TagReader {
            buf,
            pos: 0,
            bad: false,
        }
    }
    pub fn at_end(&self) -> bool {
        self.pos >= self.buf.len()
    }
    /// The next tag, without consuming it.
    pub fn peek(&self) -> Option<Tag<'a>> {
        self.clone().next()
    }
    /// The next tag (consumed). `None` at the end or on a bad length (then
    /// [`TagReader::bad`] is set and the reader stays at the end).
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Option<Tag<'a>> {
        if self.at_end() {
            return None;
        }
        match decode(self.buf, self.pos) {
            Some((t, end)) => {
                self.pos = end;
                Some(t)
            }
            None => {
                self.bad = true;
                self.pos = self.buf.len();
                None
            }
        }
    }
    /// The next tag without consuming it; a tag that does not fit marks
    /// the reader bad.
    fn look(&mut self) -> Option<Tag<'a>> {
        let t = self.peek();
        if t.is_none() && !self.at_end() {
            self.bad = true;
            self.pos = self.buf.len();
        }
        t
    }
    /// Consume the next tag if it is context value tag `n`.
    pub fn ctx(&mut self, n: u8) -> Option<Tag<'a>> {
        let t = self.look()?;
        if t.is_ctx(n) {
            self.next()
        } else {
            None
        }
    }
    /// Consume the next tag if it is application tag `n`.
    pub fn app(&mut self, n: u8) -> Option<Tag<'a>> {
        let t = self.look()?;
        if t.is_app(n) {
            self.next()
        } else {
            None
        }
    }
    /// Consume an opening tag `n` if it is next.
    pub fn open(&mut self, n: u8) -> bool {
        match self.look() {
            Some(t) if t.is_open(n) => {
                self.next();
                true
            }
            _ => false,
        }
    }
    /// Consume a closing tag `n` if it is next.
    pub fn close(&mut self, n: u8) -> bool {
        match self.look() {
            Some(t) if t.is_close(n) => {
                self.next();
                true
            }
            _ => false,
        }
    }
    /// Skip to just after the closing tag that matches an opening tag `n`
    /// already consumed (nesting counted, at most [`MAX_TAGS`] tags);
    /// whether it was found and numbered `n`.
    pub fn skip_to_close(&mut self, n: u8) -> bool {
        let mut depth = 1u32;
        for _ in 0..MAX_TAGS {
            let Some(t) = self.next() else {
                return false;
            };
            match t.kind {
                Kind::Open => depth += 1,
                Kind::Close => {
                    depth -= 1;
                    if depth == 0 {
                        return t.number == n;
                    }
                }
                Kind::Value => {}
            }
        }
        false
    }
}

/// Tags walked per construct at most (bounds the work on hostile input).
pub const MAX_TAGS: usize = 4096;

/// Decode the tag at `off`: the tag and the offset after its content.
pub fn decode(b: &[u8], off: usize) -> Option<(Tag<'_>, usize)> {
    let first = *b.get(off)?;
    let mut p = off + 1;
    let mut number = first >> 4;
    let context = first & 0x08 != 0;
    let lvt = (first & 0x07) as u32;
    if number == 15 {
        number = *b.get(p)?;
        p += 1;
    }
    if context && lvt == 6 {
        return Some((tag(number, true, Kind::Open, lvt, &[]), p));
    }
    if context && lvt == 7 {
        return Some((tag(number, true, Kind::Close, lvt, &[]), p));
    }
    if !context && number == APP_BOOLEAN {
        return Some((tag(number, false, Kind::Value, lvt, &[]), p));
    }
    let len = if lvt == 5 {
        let l = *b.get(p)? as u32;
        p += 1;
        match l {
            254 => {
                let v = be16(b, p)? as u32;
                p += 2;
                v
            }
            255 => {
                let v = be32(b, p)?;
                p += 4;
                v
            }
            l => l,
        }
    } else {
        lvt
    };
    let end = p.checked_add(len as usize)?;
    let data = b.get(p..end)?;
    Some((tag(number, context, Kind::Value, len, data), end))
}

fn tag(number: u8, context: bool, kind: Kind, lvt: u32, data: &[u8]) -> Tag<'_> {
    Tag {
        number,
        context,
        kind,
        lvt,
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_from_the_spec() {
        // 20.2.1 examples: context 0 object id (0x0c + 4 bytes: device 1234)
        let b = [
            0x0c, 0x02, 0x00, 0x04, 0xd2, 0x19, 0x55, 0x3e, 0x44, 0x42, 0x90, 0, 0, 0x3f,
        ];
        let mut r = TagReader::new(&b);
        let t = r.next().unwrap();
        assert!(t.is_ctx(0));
        assert_eq!(
            t.object_id(),
            Some(ObjectId {
                object_type: 8,
                instance: 1234
            })
        );
        // context 1, length 1: property 85 (present-value)
        assert_eq!(r.ctx(1).unwrap().uint(), Some(85));
        assert!(r.open(3));
        // application real 72.0
        let v = r.app(APP_REAL).unwrap();
        assert_eq!(v.data, &[0x42, 0x90, 0, 0]);
        assert!(r.close(3));
        assert!(r.at_end() && !r.bad);
    }

    #[test]
    fn extended_lengths_and_numbers() {
        // octet string, LVT 5, length 254 -> u16 length 3
        let b = [0x65, 254, 0, 3, 1, 2, 3];
        let (t, end) = decode(&b, 0).unwrap();
        assert_eq!((t.data, end), (&[1u8, 2, 3][..], 7));
        // extended tag number 33, context, length 1
        let b = [0xf9, 33, 7];
        let (t, _) = decode(&b, 0).unwrap();
        assert!(t.is_ctx(33) && t.uint() == Some(7));
        // signed -1 in one byte
        let (t, _) = decode(&[0x31, 0xff], 0).unwrap();
        assert_eq!(t.int(), Some(-1));
        // application boolean true: value in LVT, no content
        let (t, end) = decode(&[0x11], 0).unwrap();
        assert_eq!((t.boolean(), end), (Some(true), 1));
    }

    #[test]
    fn lengths_past_the_buffer_are_refused() {
        for b in [
            &[0x65, 255, 0xff, 0xff, 0xff, 0xff, 0][..],
            &[0x65, 254, 0][..],
            &[0x24, 1, 2][..],
            &[0xf9][..],
            &[0x75][..],
        ] {
            assert!(decode(b, 0).is_none(), "{b:?}");
            let mut r = TagReader::new(b);
            assert!(r.next().is_none() && r.bad && r.at_end());
        }
        assert!(decode(&[0x21, 5], usize::MAX).is_none());
        // 5-byte unsigned is not a u32
        let (t, _) = decode(&[0x25, 5, 1, 2, 3, 4, 5], 0).unwrap();
        assert_eq!(t.uint(), None);
    }
}
