//! Formatting and text helpers shared by the IT parsers (stack strings,
//! addresses, hex, decimal/hex numbers, BER), beside the applayer's
//! bounds-checked byte readers. Nothing here panics on any input.

use core::fmt::Write as _;

// The byte readers and the cursor are the applayer's, shared with the OT
// parsers; re-exported so the IT parsers reach them beside the text helpers.
pub use reefwatch_applayer::bytes::{be16, be24, be32, le16, le32, le64, slice, Cursor};

/// A fixed-capacity byte string on the stack (no allocation); pushes past
/// the capacity are dropped and remembered in `truncated`.
#[derive(Clone)]
pub struct StackBuf<const N: usize> {
    buf: [u8; N],
    len: usize,
    pub truncated: bool,
}

impl<const N: usize> Default for StackBuf<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> StackBuf<N> {
    pub const fn new() -> Self {
        StackBuf {
            buf: [0; N],
            len: 0,
            truncated: false,
        }
    }
    pub fn clear(&mut self) {
        self.len = 0;
        self.truncated = false;
    }
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    pub fn push(&mut self, b: u8) {
        if self.len < N {
            self.buf[self.len] = b;
            self.len += 1;
        } else {
            self.truncated = true;
        }
    }
    pub fn extend(&mut self, s: &[u8]) {
        let room = N - self.len;
        let n = s.len().min(room);
        self.buf[self.len..self.len + n].copy_from_slice(&s[..n]);
        self.len += n;
        if n < s.len() {
            self.truncated = true;
        }
    }
    pub fn as_str_lossy(&self) -> &str {
        core::str::from_utf8(self.as_bytes()).unwrap_or("")
    }
}

impl<const N: usize> core::fmt::Write for StackBuf<N> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.extend(s.as_bytes());
        Ok(())
    }
}

/// Dotted-quad text of an IPv4 address.
pub fn ipv4_str(a: [u8; 4]) -> StackBuf<16> {
    let mut s = StackBuf::new();
    let _ = write!(s, "{}.{}.{}.{}", a[0], a[1], a[2], a[3]);
    s
}

/// Compressed text (RFC 5952, as std formats it) of an IPv6 address.
pub fn ipv6_str(a: [u8; 16]) -> StackBuf<40> {
    let mut s = StackBuf::new();
    let _ = write!(s, "{}", std::net::Ipv6Addr::from(a));
    s
}

/// Lower-case hex of `b`.
pub fn hex_lower(b: &[u8], out: &mut String) {
    const H: &[u8; 16] = b"0123456789abcdef";
    for &x in b {
        out.push(H[(x >> 4) as usize] as char);
        out.push(H[(x & 15) as usize] as char);
    }
}

/// ASCII case-insensitive prefix test.
#[inline]
pub fn starts_with_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.len() >= needle.len() && hay[..needle.len()].eq_ignore_ascii_case(needle)
}

/// Trim ASCII spaces and tabs on both ends.
pub fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// Parse an unsigned decimal (no sign, no spaces), bounded to u64.
pub fn parse_dec(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 19 {
        return None;
    }
    let mut v: u64 = 0;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    Some(v)
}

/// Parse unsigned hex (chunk sizes), bounded to u64.
pub fn parse_hex(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 16 {
        return None;
    }
    let mut v: u64 = 0;
    for &c in s {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => return None,
        };
        v = (v << 4) | d as u64;
    }
    Some(v)
}

/// Whether `c` is an HTTP token character (RFC 9110 `tchar`).
pub fn is_token_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

/// One BER/DER TLV (single-byte tags, definite lengths up to 4 bytes):
/// (tag, contents, bytes used).
pub fn ber_tlv(b: &[u8]) -> Option<(u8, &[u8], usize)> {
    let tag = *b.first()?;
    let l0 = *b.get(1)?;
    let (len, hdr) = if l0 < 0x80 {
        (l0 as usize, 2)
    } else {
        let n = (l0 & 0x7f) as usize;
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | *b.get(2 + i)? as usize;
        }
        (len, 2 + n)
    };
    let body = b.get(hdr..hdr.checked_add(len)?)?;
    Some((tag, body, hdr + len))
}

/// Unsigned value of a BER INTEGER's contents (first 8 bytes at most).
pub fn ber_uint(v: &[u8]) -> u64 {
    v.iter().take(8).fold(0u64, |a, &b| (a << 8) | b as u64)
}

/// Dotted text of an OID's contents into `out`.
pub fn oid_to_string(oid: &[u8], out: &mut StackBuf<256>) {
    use core::fmt::Write;
    out.clear();
    let Some(&first) = oid.first() else {
        return;
    };
    let (a, b) = if first < 80 {
        (first / 40, first % 40)
    } else {
        (2, first - 80)
    };
    let _ = write!(out, "{a}.{b}");
    let mut v: u64 = 0;
    for &x in &oid[1..] {
        v = (v << 7) | (x & 0x7f) as u64;
        if x & 0x80 == 0 {
            let _ = write!(out, ".{v}");
            v = 0;
        }
        if v > (1 << 56) {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stackbuf_truncates() {
        let mut s: StackBuf<4> = StackBuf::new();
        s.extend(b"abcdef");
        assert_eq!(s.as_bytes(), b"abcd");
        assert!(s.truncated);
        assert_eq!(ipv4_str([10, 0, 0, 1]).as_bytes(), b"10.0.0.1");
        assert_eq!(
            ipv6_str([0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]).as_bytes(),
            b"2001:db8::1"
        );
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_dec(b"123"), Some(123));
        assert_eq!(parse_dec(b"99999999999999999999"), None);
        assert_eq!(parse_hex(b"1aF"), Some(0x1af));
        assert_eq!(parse_hex(b"x"), None);
        assert_eq!(trim_ows(b" \tab c\t "), b"ab c");
    }
}
