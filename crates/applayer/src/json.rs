//! A small append-only JSON writer in the spirit of Suricata's `JsonBuilder`:
//! one reused buffer, no intermediate values, no allocation once warm.
//!
//! Keys are trusted `&str` literals (written verbatim); values are escaped.
//! Nesting is tracked in two bitmasks, so depth is bounded at 64.

const MAX_DEPTH: u32 = 64;

#[derive(Clone, Debug)]
pub struct JsonBuilder {
    buf: Vec<u8>,
    /// bit i set: level i already has a member (next one needs a comma)
    has_member: u64,
    /// bit i set: level i is an array (else an object)
    is_array: u64,
    depth: u32,
    /// opens refused past MAX_DEPTH; their closes are swallowed
    overflow: u32,
}

impl Default for JsonBuilder {
    fn default() -> Self {
        Self::new_object()
    }
}

static HEX: &[u8; 16] = b"0123456789abcdef";

/// "00" to "99": the two digits of each number below 100.
static DIGITS2: [u8; 200] = {
    let mut t = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        t[i * 2] = b'0' + (i / 10) as u8;
        t[i * 2 + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    t
};

/// 0: copy as is; 1: needs escaping
static NEEDS_ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = 1;
        i += 1;
    }
    t[b'"' as usize] = 1;
    t[b'\\' as usize] = 1;
    t[0x7f] = 1;
    t
};

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Whether some byte of `x` is below `n` (`n` ≤ 128; exact).
#[inline(always)]
fn has_less(x: u64, n: u8) -> bool {
    x.wrapping_sub(ONES * n as u64) & !x & HIGHS != 0
}

/// Whether some byte of `x` is `c` (exact).
#[inline(always)]
fn has_byte(x: u64, c: u8) -> bool {
    has_less(x ^ (ONES * c as u64), 1)
}

/// Whether `val` is written as it is: ASCII with nothing to escape (no
/// control byte, DEL, quote or backslash). Eight bytes at a time, as
/// most values are clean.
#[inline]
fn copies_as_is(val: &[u8]) -> bool {
    let mut words = val.chunks_exact(8);
    for w in &mut words {
        let mut b = [0u8; 8];
        b.copy_from_slice(w);
        let x = u64::from_le_bytes(b);
        if x & HIGHS != 0
            || has_less(x, 0x20)
            || has_byte(x, 0x7f)
            || has_byte(x, b'"')
            || has_byte(x, b'\\')
        {
            return false;
        }
    }
    words
        .remainder()
        .iter()
        .all(|&b| b < 0x80 && NEEDS_ESCAPE[b as usize] == 0)
}

impl JsonBuilder {
    /// A builder holding `{` (an open top-level object).
    pub fn new_object() -> Self {
        let mut b = JsonBuilder {
            buf: Vec::with_capacity(512),
            has_member: 0,
            is_array: 0,
            depth: 0,
            overflow: 0,
        };
        b.reset_object();
        b
    }

    /// Clear and start a new top-level object, keeping the allocation.
    pub fn reset_object(&mut self) {
        self.buf.clear();
        self.buf.push(b'{');
        self.depth = 1;
        self.overflow = 0;
        self.has_member = 0;
        self.is_array = 0;
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    pub fn as_str(&self) -> &str {
        // Only valid UTF-8 is ever written: keys are &str, values are escaped.
        core::str::from_utf8(&self.buf).unwrap_or("")
    }

    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Current nesting depth (1 = inside the top-level object).
    pub fn depth(&self) -> u32 {
        self.depth
    }

    #[inline(always)]
    fn level_bit(&self) -> u64 {
        1u64 << (self.depth.saturating_sub(1) & 63)
    }

    #[inline(always)]
    fn sep(&mut self) {
        let bit = self.level_bit();
        if self.has_member & bit != 0 {
            self.buf.push(b',');
        } else {
            self.has_member |= bit;
        }
    }

    #[inline(always)]
    fn key(&mut self, key: &str) {
        self.sep();
        self.buf.push(b'"');
        self.buf.extend_from_slice(key.as_bytes());
        self.buf.extend_from_slice(b"\":");
    }

    /// Returns false (and writes nothing) when nesting is at the bound: the
    /// members then land in the current level and the matching close() is
    /// swallowed, so the output stays valid JSON.
    fn can_nest(&mut self) -> bool {
        if self.depth >= MAX_DEPTH {
            self.overflow += 1;
            return false;
        }
        true
    }

    fn push_level(&mut self, array: bool) {
        self.depth += 1;
        let bit = self.level_bit();
        self.has_member &= !bit;
        if array {
            self.is_array |= bit;
        } else {
            self.is_array &= !bit;
        }
    }

    /// Open `"key": {`.
    pub fn open_object(&mut self, key: &str) -> &mut Self {
        if self.can_nest() {
            self.key(key);
            self.buf.push(b'{');
            self.push_level(false);
        }
        self
    }

    /// Open `"key": [`.
    pub fn open_array(&mut self, key: &str) -> &mut Self {
        if self.can_nest() {
            self.key(key);
            self.buf.push(b'[');
            self.push_level(true);
        }
        self
    }

    /// Inside an array: open an object element.
    pub fn start_object(&mut self) -> &mut Self {
        if self.can_nest() {
            self.sep();
            self.buf.push(b'{');
            self.push_level(false);
        }
        self
    }

    /// Inside an array: open an array element.
    pub fn start_array(&mut self) -> &mut Self {
        if self.can_nest() {
            self.sep();
            self.buf.push(b'[');
            self.push_level(true);
        }
        self
    }

    /// Close the innermost open object or array.
    pub fn close(&mut self) -> &mut Self {
        if self.overflow > 0 {
            self.overflow -= 1;
            return self;
        }
        if self.depth == 0 {
            return self;
        }
        let bit = self.level_bit();
        self.buf
            .push(if self.is_array & bit != 0 { b']' } else { b'}' });
        self.depth -= 1;
        self
    }

    /// Close every open level, including the top-level object.
    pub fn close_all(&mut self) -> &mut Self {
        while self.depth > 0 {
            self.close();
        }
        self
    }

    #[inline(always)]
    pub fn set_str(&mut self, key: &str, val: &str) -> &mut Self {
        self.key(key);
        self.write_escaped(val.as_bytes());
        self
    }

    /// A string value from raw bytes: valid UTF-8 is kept, other bytes are
    /// written as `\u00XX` (the byte's value), as Suricata does.
    pub fn set_bytes_str(&mut self, key: &str, val: &[u8]) -> &mut Self {
        self.key(key);
        self.write_escaped(val);
        self
    }

    #[inline(always)]
    pub fn set_uint(&mut self, key: &str, val: u64) -> &mut Self {
        self.key(key);
        self.write_uint(val);
        self
    }

    #[inline(always)]
    pub fn set_int(&mut self, key: &str, val: i64) -> &mut Self {
        self.key(key);
        self.write_int(val);
        self
    }

    pub fn set_float(&mut self, key: &str, val: f64) -> &mut Self {
        self.key(key);
        self.write_float(val);
        self
    }

    #[inline(always)]
    pub fn set_bool(&mut self, key: &str, val: bool) -> &mut Self {
        self.key(key);
        self.buf
            .extend_from_slice(if val { b"true" } else { b"false" });
        self
    }

    pub fn set_null(&mut self, key: &str) -> &mut Self {
        self.key(key);
        self.buf.extend_from_slice(b"null");
        self
    }

    /// Lower-case hex string of `val`.
    pub fn set_hex(&mut self, key: &str, val: &[u8]) -> &mut Self {
        self.key(key);
        self.write_hex(val, None);
        self
    }

    /// Hex bytes separated by `sep` (e.g. `':'` for fingerprints).
    pub fn set_hex_sep(&mut self, key: &str, val: &[u8], sep: u8) -> &mut Self {
        self.key(key);
        self.write_hex(val, Some(sep));
        self
    }

    /// A value that is already valid JSON (caller's responsibility).
    pub fn set_raw(&mut self, key: &str, raw_json: &str) -> &mut Self {
        self.key(key);
        self.buf.extend_from_slice(raw_json.as_bytes());
        self
    }

    /// A value formatted with `core::fmt` (written as a JSON string).
    pub fn set_fmt(&mut self, key: &str, args: core::fmt::Arguments<'_>) -> &mut Self {
        self.key(key);
        let start = self.buf.len();
        self.buf.push(b'"');
        let _ = std::io::Write::write_fmt(&mut self.buf, args);
        // escape in place if needed (rare): rewrite the formatted part
        let body_start = start + 1;
        if self.buf[body_start..]
            .iter()
            .any(|&b| NEEDS_ESCAPE[b as usize] != 0)
        {
            let body = self.buf.split_off(body_start);
            self.buf.truncate(start);
            self.write_escaped(&body);
        } else {
            self.buf.push(b'"');
        }
        self
    }

    pub fn append_str(&mut self, val: &str) -> &mut Self {
        self.sep();
        self.write_escaped(val.as_bytes());
        self
    }

    pub fn append_bytes_str(&mut self, val: &[u8]) -> &mut Self {
        self.sep();
        self.write_escaped(val);
        self
    }

    #[inline(always)]
    pub fn append_uint(&mut self, val: u64) -> &mut Self {
        self.sep();
        self.write_uint(val);
        self
    }

    pub fn append_int(&mut self, val: i64) -> &mut Self {
        self.sep();
        self.write_int(val);
        self
    }

    pub fn append_float(&mut self, val: f64) -> &mut Self {
        self.sep();
        self.write_float(val);
        self
    }

    pub fn append_bool(&mut self, val: bool) -> &mut Self {
        self.sep();
        self.buf
            .extend_from_slice(if val { b"true" } else { b"false" });
        self
    }

    pub fn append_hex(&mut self, val: &[u8]) -> &mut Self {
        self.sep();
        self.write_hex(val, None);
        self
    }

    /// Append raw bytes to the buffer verbatim (for the engine's header).
    pub fn push_raw(&mut self, raw: &[u8]) {
        self.buf.extend_from_slice(raw);
    }

    /// Mark the current level as having a member (after `push_raw` of one).
    pub fn mark_member(&mut self) {
        self.has_member |= self.level_bit();
    }

    /// Truncate to a previous `len()` (roll back a partially written member).
    /// The caller must restore the same nesting it had at that point.
    pub fn truncate(&mut self, len: usize) {
        self.buf.truncate(len);
    }

    /// Decimal digits of `v`. Most numbers in events are small (ids,
    /// codes, flags, counts): those take one or two pushes; longer ones
    /// are written two digits at a time from a table.
    #[inline(always)]
    fn write_uint(&mut self, v: u64) {
        if v < 10 {
            self.buf.push(b'0' + v as u8);
        } else if v < 100 {
            let d = &DIGITS2[v as usize * 2..v as usize * 2 + 2];
            self.buf.extend_from_slice(&[d[0], d[1]]);
        } else {
            self.write_uint_long(v);
        }
    }

    #[inline(never)]
    fn write_uint_long(&mut self, mut v: u64) {
        let mut tmp = [0u8; 20];
        let mut i = tmp.len();
        while v >= 100 {
            let d = (v % 100) as usize * 2;
            v /= 100;
            i -= 2;
            tmp[i] = DIGITS2[d];
            tmp[i + 1] = DIGITS2[d + 1];
        }
        if v >= 10 {
            let d = v as usize * 2;
            i -= 2;
            tmp[i] = DIGITS2[d];
            tmp[i + 1] = DIGITS2[d + 1];
        } else {
            i -= 1;
            tmp[i] = b'0' + v as u8;
        }
        self.buf.extend_from_slice(&tmp[i..]);
    }

    fn write_int(&mut self, v: i64) {
        if v < 0 {
            self.buf.push(b'-');
        }
        self.write_uint(v.unsigned_abs());
    }

    fn write_float(&mut self, v: f64) {
        if v.is_finite() {
            let _ = std::io::Write::write_fmt(&mut self.buf, format_args!("{v}"));
        } else {
            self.buf.extend_from_slice(b"null");
        }
    }

    fn write_hex(&mut self, val: &[u8], sep: Option<u8>) {
        self.buf.push(b'"');
        for (i, &b) in val.iter().enumerate() {
            if let (Some(s), true) = (sep, i > 0) {
                self.buf.push(s);
            }
            self.buf.push(HEX[(b >> 4) as usize]);
            self.buf.push(HEX[(b & 15) as usize]);
        }
        self.buf.push(b'"');
    }

    fn write_escaped(&mut self, val: &[u8]) {
        self.buf.push(b'"');
        if copies_as_is(val) {
            self.buf.extend_from_slice(val);
        } else {
            let utf8 = core::str::from_utf8(val).is_ok();
            for &b in val {
                if b >= 0x80 {
                    if utf8 {
                        self.buf.push(b);
                    } else {
                        self.escape_u(b);
                    }
                    continue;
                }
                if NEEDS_ESCAPE[b as usize] == 0 {
                    self.buf.push(b);
                    continue;
                }
                match b {
                    b'"' => self.buf.extend_from_slice(b"\\\""),
                    b'\\' => self.buf.extend_from_slice(b"\\\\"),
                    b'\n' => self.buf.extend_from_slice(b"\\n"),
                    b'\r' => self.buf.extend_from_slice(b"\\r"),
                    b'\t' => self.buf.extend_from_slice(b"\\t"),
                    _ => self.escape_u(b),
                }
            }
        }
        self.buf.push(b'"');
    }

    fn escape_u(&mut self, b: u8) {
        self.buf.extend_from_slice(b"\\u00");
        self.buf.push(HEX[(b >> 4) as usize]);
        self.buf.push(HEX[(b & 15) as usize]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The word-at-a-time check agrees with the byte table for every byte
    /// value at every place of a word, and on random strings.
    #[test]
    fn clean_check_agrees_with_the_byte_table() {
        let by_byte = |v: &[u8]| v.iter().all(|&b| b < 0x80 && NEEDS_ESCAPE[b as usize] == 0);
        for len in [8usize, 11, 16] {
            for at in 0..len {
                for b in 0..=255u8 {
                    let mut v = vec![b'a'; len];
                    v[at] = b;
                    assert_eq!(
                        copies_as_is(&v),
                        by_byte(&v),
                        "byte {b:#x} at {at} of {len}"
                    );
                }
            }
        }
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..20_000 {
            let mut v = Vec::new();
            for _ in 0..(x % 40) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                // mostly printable, sometimes anything
                v.push(if x.is_multiple_of(7) {
                    (x >> 8) as u8
                } else {
                    0x20 + (x >> 8) as u8 % 0x5f
                });
            }
            assert_eq!(copies_as_is(&v), by_byte(&v), "{v:?}");
        }
    }

    #[test]
    fn numbers_are_written_as_std_formats_them() {
        let mut vals: Vec<u64> = vec![0, 9, 10, 99, 100, 101, 999, 1000, 65535, u32::MAX as u64];
        vals.extend([u64::MAX, u64::MAX - 1, 10u64.pow(19), 10u64.pow(19) - 1]);
        for p in 0..20 {
            vals.push(10u64.pow(p));
            vals.push(10u64.pow(p).saturating_sub(1));
            vals.push(10u64.pow(p) + 7);
        }
        for v in vals {
            let mut b = JsonBuilder::new_object();
            b.set_uint("n", v)
                .set_int("m", -(v as i128).min(i64::MAX as i128) as i64);
            b.close();
            let m = -(v as i128).min(i64::MAX as i128);
            assert_eq!(b.as_str(), format!("{{\"n\":{v},\"m\":{m}}}"));
        }
        for m in [i64::MIN, i64::MIN + 1, -1, 0, i64::MAX] {
            let mut b = JsonBuilder::new_object();
            b.set_int("m", m).close();
            assert_eq!(b.as_str(), format!("{{\"m\":{m}}}"));
        }
    }

    #[test]
    fn nested_objects_and_arrays() {
        let mut js = JsonBuilder::new_object();
        js.set_str("a", "x\"y\n").set_uint("n", 42).set_int("m", -7);
        js.open_array("list").append_uint(1).append_str("two");
        js.start_object().set_bool("t", true).close();
        js.close();
        js.open_object("o").set_hex("h", &[0xde, 0xad]).close();
        js.set_hex_sep("fp", &[1, 2, 0xff], b':');
        js.close();
        assert_eq!(
            js.as_str(),
            r#"{"a":"x\"y\n","n":42,"m":-7,"list":[1,"two",{"t":true}],"o":{"h":"dead"},"fp":"01:02:ff"}"#
        );
    }

    #[test]
    fn bytes_escaping() {
        let mut js = JsonBuilder::new_object();
        js.set_bytes_str("b", b"ok\xff\x01")
            .set_bytes_str("u", "é".as_bytes());
        js.close();
        assert_eq!(js.as_str(), "{\"b\":\"ok\\u00ff\\u0001\",\"u\":\"é\"}");
        // Every output parses as JSON.
        assert!(js.as_str().starts_with('{') && js.as_str().ends_with('}'));
    }

    #[test]
    fn reset_reuses_buffer() {
        let mut js = JsonBuilder::new_object();
        js.set_uint("a", 1).close();
        js.reset_object();
        js.set_uint("b", u64::MAX).close();
        assert_eq!(js.as_str(), r#"{"b":18446744073709551615}"#);
    }

    #[test]
    fn depth_is_bounded() {
        let mut js = JsonBuilder::new_object();
        for _ in 0..200 {
            js.open_object("x");
        }
        js.close_all();
        let s = js.as_str();
        assert_eq!(s.matches('{').count(), s.matches('}').count());
    }

    #[test]
    fn fmt_values() {
        let mut js = JsonBuilder::new_object();
        js.set_fmt("ip", format_args!("{}.{}", 10, "a\"b")).close();
        assert_eq!(js.as_str(), r#"{"ip":"10.a\"b"}"#);
    }
}
