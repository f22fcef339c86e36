//! Panic-free fixed-width integer reads with a run-time byte order.

/// `u32` at `off`, or 0 when out of range (callers check lengths first;
/// this only guarantees no panic).
#[inline(always)]
pub(crate) fn u32_at(b: &[u8], off: usize, be: bool) -> u32 {
    match b.get(off..off + 4) {
        Some(&[a, b1, c, d]) => {
            let v = [a, b1, c, d];
            if be {
                u32::from_be_bytes(v)
            } else {
                u32::from_le_bytes(v)
            }
        }
        _ => 0,
    }
}

#[inline(always)]
pub(crate) fn u16_at(b: &[u8], off: usize, be: bool) -> u16 {
    match b.get(off..off + 2) {
        Some(&[a, b1]) => {
            if be {
                u16::from_be_bytes([a, b1])
            } else {
                u16::from_le_bytes([a, b1])
            }
        }
        _ => 0,
    }
}

#[inline(always)]
pub(crate) fn u64_at(b: &[u8], off: usize, be: bool) -> u64 {
    match b.get(off..off + 8) {
        Some(s) => {
            let mut v = [0u8; 8];
            v.copy_from_slice(s);
            if be {
                u64::from_be_bytes(v)
            } else {
                u64::from_le_bytes(v)
            }
        }
        None => 0,
    }
}
