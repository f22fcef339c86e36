//! Bounds-checked byte readers for parsers: every read is `Option`, none
//! panics on any input or offset (offsets near `usize::MAX` included).

/// `N` bytes at `off`.
#[inline]
fn array<const N: usize>(b: &[u8], off: usize) -> Option<[u8; N]> {
    b.get(off..off.checked_add(N)?)?.try_into().ok()
}

/// Big-endian u16 at `off`, or `None` when out of range.
#[inline]
pub fn be16(b: &[u8], off: usize) -> Option<u16> {
    array(b, off).map(u16::from_be_bytes)
}

/// Big-endian u24 at `off`.
#[inline]
pub fn be24(b: &[u8], off: usize) -> Option<u32> {
    let [x, y, z] = array(b, off)?;
    Some(u32::from_be_bytes([0, x, y, z]))
}

/// Big-endian u32 at `off`.
#[inline]
pub fn be32(b: &[u8], off: usize) -> Option<u32> {
    array(b, off).map(u32::from_be_bytes)
}

/// Little-endian u16 at `off`.
#[inline]
pub fn le16(b: &[u8], off: usize) -> Option<u16> {
    array(b, off).map(u16::from_le_bytes)
}

/// Little-endian u24 at `off`.
#[inline]
pub fn le24(b: &[u8], off: usize) -> Option<u32> {
    let [x, y, z] = array(b, off)?;
    Some(u32::from_le_bytes([x, y, z, 0]))
}

/// Little-endian u32 at `off`.
#[inline]
pub fn le32(b: &[u8], off: usize) -> Option<u32> {
    array(b, off).map(u32::from_le_bytes)
}

/// Little-endian u48 at `off` (DNP3 timestamps).
#[inline]
pub fn le48(b: &[u8], off: usize) -> Option<u64> {
    let [a, b1, c, d, e, f] = array(b, off)?;
    Some(u64::from_le_bytes([a, b1, c, d, e, f, 0, 0]))
}

/// Little-endian u64 at `off`.
#[inline]
pub fn le64(b: &[u8], off: usize) -> Option<u64> {
    array(b, off).map(u64::from_le_bytes)
}

/// `len` bytes at `off`.
#[inline]
pub fn slice(b: &[u8], off: usize, len: usize) -> Option<&[u8]> {
    b.get(off..off.checked_add(len)?)
}

/// A bounded cursor over a byte slice (big-endian reads). Every read is
/// checked; a failed read returns `None` and leaves the cursor where it was.
#[derive(Clone, Copy, Debug)]
pub struct Cursor<'a> {
    pub buf: &'a [u8],
    pub pos: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Cursor { buf, pos: 0 }
    }
    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }
    pub fn rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or(&[])
    }
    pub fn u8(&mut self) -> Option<u8> {
        let v = *self.buf.get(self.pos)?;
        self.pos += 1;
        Some(v)
    }
    pub fn be16(&mut self) -> Option<u16> {
        let v = be16(self.buf, self.pos)?;
        self.pos += 2;
        Some(v)
    }
    pub fn be24(&mut self) -> Option<u32> {
        let v = be24(self.buf, self.pos)?;
        self.pos += 3;
        Some(v)
    }
    pub fn be32(&mut self) -> Option<u32> {
        let v = be32(self.buf, self.pos)?;
        self.pos += 4;
        Some(v)
    }
    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let v = slice(self.buf, self.pos, n)?;
        self.pos += n;
        Some(v)
    }
    /// A vector prefixed by a one-byte length.
    pub fn vec8(&mut self) -> Option<&'a [u8]> {
        let save = self.pos;
        let n = self.u8()? as usize;
        self.take(n).or_else(|| {
            self.pos = save;
            None
        })
    }
    /// A vector prefixed by a two-byte length.
    pub fn vec16(&mut self) -> Option<&'a [u8]> {
        let save = self.pos;
        let n = self.be16()? as usize;
        self.take(n).or_else(|| {
            self.pos = save;
            None
        })
    }
    /// A vector prefixed by a three-byte length.
    pub fn vec24(&mut self) -> Option<&'a [u8]> {
        let save = self.pos;
        let n = self.be24()? as usize;
        self.take(n).or_else(|| {
            self.pos = save;
            None
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readers_are_bounded() {
        let b = [1u8, 2, 3];
        assert_eq!(be16(&b, 1), Some(0x0203));
        assert_eq!(be16(&b, 2), None);
        assert_eq!(be24(&b, 0), Some(0x010203));
        assert_eq!(le24(&b, 0), Some(0x030201));
        assert_eq!(be32(&b, 0), None);
        assert_eq!(le32(&b, 0), None);
        assert_eq!(be16(&b, usize::MAX), None);
        assert_eq!(le64(&b, usize::MAX - 1), None);
        assert_eq!(slice(&b, 1, usize::MAX), None);
        let w = [1u8, 2, 3, 4, 5, 6, 7, 8];
        assert_eq!(le16(&w, 0), Some(0x0201));
        assert_eq!(le32(&w, 4), Some(0x08070605));
        assert_eq!(le48(&w, 0), Some(0x060504030201));
        assert_eq!(le48(&w, 3), None);
        assert_eq!(le64(&w, 0), Some(0x0807060504030201));
        assert_eq!(be32(&w, 4), Some(0x05060708));
    }

    #[test]
    fn cursor_restores_on_failure() {
        let mut c = Cursor::new(&[2u8, 0xaa, 0xbb, 5]);
        assert_eq!(c.vec8(), Some(&[0xaa, 0xbb][..]));
        assert_eq!(c.vec8(), None);
        assert_eq!(c.pos, 3);
        assert_eq!(c.remaining(), 1);
        assert_eq!(c.u8(), Some(5));
        assert_eq!(c.be16(), None);
        assert_eq!(c.rest(), b"");
    }
}
