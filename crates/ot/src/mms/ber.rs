//! Bounded BER (X.690) reading for the OSI upper layers and MMS: one
//! definite-length TLV at a time, zero-copy. Indefinite lengths, tags past
//! [`MAX_TAG_OCTETS`] and lengths past [`MAX_LEN_OCTETS`] are errors, and
//! every recursive walk over these TLVs stops at [`MAX_DEPTH`].
//!
//! ```text
//! identifier: CLASS(2 bits) P/C(1) TAG(5)   TAG 31: high-tag octets, 7 bits each, MSB = more
//! length:     0xxxxxxx (short) | 1nnnnnnn + n octets (long) | 0x80 (indefinite: refused)
//! ```

/// Deepest nesting of constructed values any walk descends (MMS Data
/// structures, presentation/ACSE wrappers).
pub const MAX_DEPTH: usize = 16;
/// Long-form length octets accepted (lengths up to 2^32 - 1).
pub const MAX_LEN_OCTETS: usize = 4;
/// High-tag-number octets accepted after the identifier (tags < 2^28).
pub const MAX_TAG_OCTETS: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Universal,
    Application,
    Context,
    Private,
}

/// Why a TLV could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BerError {
    /// The identifier, length or value runs past the data.
    Truncated,
    /// Length octet 0x80 (indefinite form).
    Indefinite,
    /// More than [`MAX_LEN_OCTETS`] length octets, or 0xff.
    LengthTooLong,
    /// More than [`MAX_TAG_OCTETS`] high-tag octets.
    TagTooLong,
}

/// One TLV: identifier, and the value octets it announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    pub class: Class,
    pub constructed: bool,
    pub tag: u32,
    pub value: &'a [u8],
    /// Octets of identifier and length.
    pub header_len: usize,
}

impl<'a> Tlv<'a> {
    /// Context-specific with tag `n` (either form).
    pub fn is_ctx(&self, n: u32) -> bool {
        self.class == Class::Context && self.tag == n
    }
    /// Universal with tag `n`.
    pub fn is_univ(&self, n: u32) -> bool {
        self.class == Class::Universal && self.tag == n
    }
    /// Iterator over the TLVs of a constructed value.
    pub fn children(&self) -> Iter<'a> {
        Iter::new(self.value)
    }
    /// Unsigned integer value (INTEGER or Unsigned32 content): `None` past
    /// 8 significant octets, or empty.
    pub fn uint(&self) -> Option<u64> {
        uint(self.value)
    }
    /// Signed integer value (two's complement, at most 8 octets).
    pub fn int(&self) -> Option<i64> {
        int(self.value)
    }
    /// BOOLEAN: any non-zero octet is true.
    pub fn boolean(&self) -> Option<bool> {
        self.value.first().map(|&b| b != 0)
    }
}

pub fn uint(v: &[u8]) -> Option<u64> {
    if v.is_empty() {
        return None;
    }
    let v = match v.iter().position(|&b| b != 0) {
        Some(p) => &v[p..],
        None => return Some(0),
    };
    if v.len() > 8 {
        return None;
    }
    Some(v.iter().fold(0u64, |a, &b| (a << 8) | b as u64))
}

pub fn int(v: &[u8]) -> Option<i64> {
    if v.is_empty() || v.len() > 8 {
        return None;
    }
    let neg = v[0] & 0x80 != 0;
    let mut x: u64 = if neg { u64::MAX } else { 0 };
    for &b in v {
        x = (x << 8) | b as u64;
    }
    Some(x as i64)
}

/// Reads the TLV at the start of `b`; returns it and what follows it.
pub fn read(b: &[u8]) -> Result<(Tlv<'_>, &[u8]), BerError> {
    let id = *b.first().ok_or(BerError::Truncated)?;
    let class = match id >> 6 {
        0 => Class::Universal,
        1 => Class::Application,
        2 => Class::Context,
        _ => Class::Private,
    };
    let constructed = id & 0x20 != 0;
    let mut p = 1;
    let mut tag = (id & 0x1f) as u32;
    if tag == 0x1f {
        tag = 0;
        loop {
            if p > MAX_TAG_OCTETS {
                return Err(BerError::TagTooLong);
            }
            let o = *b.get(p).ok_or(BerError::Truncated)?;
            p += 1;
            tag = (tag << 7) | (o & 0x7f) as u32;
            if o & 0x80 == 0 {
                break;
            }
        }
    }
    let l0 = *b.get(p).ok_or(BerError::Truncated)?;
    p += 1;
    let len = if l0 < 0x80 {
        l0 as usize
    } else if l0 == 0x80 {
        return Err(BerError::Indefinite);
    } else {
        let n = (l0 & 0x7f) as usize;
        if n > MAX_LEN_OCTETS {
            return Err(BerError::LengthTooLong);
        }
        let o = b.get(p..p + n).ok_or(BerError::Truncated)?;
        p += n;
        o.iter().fold(0usize, |a, &x| (a << 8) | x as usize)
    };
    let end = p.checked_add(len).ok_or(BerError::Truncated)?;
    let value = b.get(p..end).ok_or(BerError::Truncated)?;
    Ok((
        Tlv {
            class,
            constructed,
            tag,
            value,
            header_len: p,
        },
        &b[end..],
    ))
}

/// The identifier and length at the start of `b` when the value is not
/// all there yet: `(header length, value length)`. For probes.
pub fn header(b: &[u8]) -> Result<(usize, usize), BerError> {
    match read(b) {
        Ok((t, _)) => Ok((t.header_len, t.value.len())),
        Err(BerError::Truncated) => {
            // re-read identifier and length alone
            let mut p = 1;
            if b.first().ok_or(BerError::Truncated)? & 0x1f == 0x1f {
                while b.get(p).ok_or(BerError::Truncated)? & 0x80 != 0 {
                    p += 1;
                    if p > MAX_TAG_OCTETS {
                        return Err(BerError::TagTooLong);
                    }
                }
                p += 1;
            }
            let l0 = *b.get(p).ok_or(BerError::Truncated)?;
            p += 1;
            if l0 < 0x80 {
                return Ok((p, l0 as usize));
            }
            let n = (l0 & 0x7f) as usize;
            let o = b.get(p..p + n).ok_or(BerError::Truncated)?;
            Ok((p + n, o.iter().fold(0usize, |a, &x| (a << 8) | x as usize)))
        }
        Err(e) => Err(e),
    }
}

/// Sibling TLVs of one constructed value; stops at the first error, which
/// [`Iter::error`] then tells.
#[derive(Debug, Clone)]
pub struct Iter<'a> {
    rest: &'a [u8],
    err: Option<BerError>,
}

impl<'a> Iter<'a> {
    pub fn new(b: &'a [u8]) -> Self {
        Iter { rest: b, err: None }
    }
    pub fn error(&self) -> Option<BerError> {
        self.err
    }
}

impl<'a> Iterator for Iter<'a> {
    type Item = Tlv<'a>;
    fn next(&mut self) -> Option<Tlv<'a>> {
        if self.rest.is_empty() || self.err.is_some() {
            return None;
        }
        match read(self.rest) {
            Ok((t, r)) => {
                self.rest = r;
                Some(t)
            }
            Err(e) => {
                self.err = Some(e);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_long_and_high_tags() {
        // a0 03 | 02 01 05 : [0] constructed, INTEGER 5 inside
        let b = [0xa0, 0x03, 0x02, 0x01, 0x05, 0xff];
        let (t, rest) = read(&b).unwrap();
        assert!(t.is_ctx(0) && t.constructed);
        assert_eq!(t.value, &[0x02, 0x01, 0x05]);
        assert_eq!(rest, &[0xff]);
        let i = t.children().next().unwrap();
        assert!(i.is_univ(2));
        assert_eq!(i.uint(), Some(5));
        // bf 2c 00 : [44] constructed (kill), high-tag form, empty
        let (t, _) = read(&[0xbf, 0x2c, 0x00]).unwrap();
        assert_eq!((t.tag, t.header_len), (44, 3));
        // 9f 81 48 00 : [200] primitive, two tag octets
        assert_eq!(read(&[0x9f, 0x81, 0x48, 0x00]).unwrap().0.tag, 200);
        // 04 81 02 aa bb : long form length 2
        let (t, _) = read(&[0x04, 0x81, 0x02, 0xaa, 0xbb]).unwrap();
        assert_eq!(t.value, &[0xaa, 0xbb]);
        assert_eq!(t.header_len, 3);
        // 61 82 00 01 00 : two length octets
        assert_eq!(read(&[0x61, 0x82, 0x00, 0x01, 0x00]).unwrap().0.value, &[0]);
    }

    #[test]
    fn errors_never_panic() {
        assert_eq!(read(&[]), Err(BerError::Truncated));
        assert_eq!(read(&[0x30]), Err(BerError::Truncated));
        assert_eq!(read(&[0x30, 0x05, 0x00]), Err(BerError::Truncated));
        assert_eq!(read(&[0x30, 0x80, 0x00, 0x00]), Err(BerError::Indefinite));
        assert_eq!(
            read(&[0x30, 0x85, 1, 2, 3, 4, 5]),
            Err(BerError::LengthTooLong)
        );
        assert_eq!(read(&[0x30, 0xff]), Err(BerError::LengthTooLong));
        assert_eq!(
            read(&[0x3f, 0x81, 0x81, 0x81, 0x81, 0x01, 0x00]),
            Err(BerError::TagTooLong)
        );
        assert_eq!(
            read(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]),
            Err(BerError::Truncated)
        );
        let mut it = Iter::new(&[0x02, 0x01, 0x01, 0x02, 0x05]);
        assert_eq!(it.next().unwrap().uint(), Some(1));
        assert!(it.next().is_none());
        assert_eq!(it.error(), Some(BerError::Truncated));
    }

    #[test]
    fn integers() {
        assert_eq!(int(&[0xff]), Some(-1));
        assert_eq!(int(&[0x00, 0x80]), Some(128));
        assert_eq!(int(&[0x80, 0x00]), Some(-32768));
        assert_eq!(int(&[0; 9]), None);
        assert_eq!(uint(&[0x00, 0xff, 0xff, 0xff, 0xff]), Some(0xffff_ffff));
        assert_eq!(uint(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 1]), Some(1));
        assert_eq!(uint(&[1, 0, 0, 0, 0, 0, 0, 0, 0]), None);
        assert_eq!(uint(&[]), None);
    }

    #[test]
    fn header_of_a_cut_value() {
        // a0 82 01 00 + 3 of 256 octets
        assert_eq!(header(&[0xa0, 0x82, 0x01, 0x00, 1, 2, 3]), Ok((4, 256)));
        assert_eq!(header(&[0xa0, 0x05, 1]), Ok((2, 5)));
        assert_eq!(header(&[0xa0, 0x82, 0x01]), Err(BerError::Truncated));
        assert_eq!(header(&[0xa0, 0x80]), Err(BerError::Indefinite));
    }
}
