//! The flow table's index: open addressing with linear probing over one
//! array of 8-byte entries, each a 32-bit hash tag and a slot number.
//!
//! Why not `hashbrown`: its control bytes and its buckets live in two
//! arrays, so a lookup touches two cold cache lines before the flow
//! record; here the tag and the slot number share one, and a tag mismatch
//! never touches the record. Deletion shifts the following entries back
//! (no tombstones), so probe sequences stay short however many flows come
//! and go. Growth rehashes from the stored tags alone.

/// An empty entry.
const EMPTY: u64 = 0;

#[derive(Debug)]
pub(crate) struct Index {
    /// `tag << 32 | (slot + 1)`, or [`EMPTY`]
    ents: Vec<u64>,
    mask: usize,
    len: usize,
}

#[inline]
fn pack(tag: u32, slot: u32) -> u64 {
    (tag as u64) << 32 | (slot as u64 + 1)
}

#[inline]
fn tag_of(e: u64) -> u32 {
    (e >> 32) as u32
}

#[inline]
fn slot_of(e: u64) -> u32 {
    (e as u32).wrapping_sub(1)
}

impl Index {
    pub(crate) fn new() -> Self {
        Index {
            ents: vec![EMPTY; 64],
            mask: 63,
            len: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[inline]
    fn home(&self, tag: u32) -> usize {
        tag as usize & self.mask
    }

    /// The slot whose entry has `tag` and for which `eq` holds.
    #[inline(always)]
    pub(crate) fn find(&self, tag: u32, mut eq: impl FnMut(u32) -> bool) -> Option<u32> {
        let mut i = self.home(tag);
        loop {
            let e = self.ents[i];
            if e == EMPTY {
                return None;
            }
            if tag_of(e) == tag && eq(slot_of(e)) {
                return Some(slot_of(e));
            }
            i = (i + 1) & self.mask;
        }
    }

    /// Add `slot` under `tag` (the caller knows it is not there yet).
    pub(crate) fn insert(&mut self, tag: u32, slot: u32) {
        debug_assert!(slot < u32::MAX);
        if (self.len + 1) * 2 > self.ents.len() {
            self.grow();
        }
        self.put(pack(tag, slot));
        self.len += 1;
    }

    fn put(&mut self, e: u64) {
        let mut i = self.home(tag_of(e));
        while self.ents[i] != EMPTY {
            i = (i + 1) & self.mask;
        }
        self.ents[i] = e;
    }

    fn grow(&mut self) {
        let bigger = vec![EMPTY; self.ents.len() * 2];
        advise_huge(bigger.as_ptr() as *const u8, bigger.len() * 8);
        let old = std::mem::replace(&mut self.ents, bigger);
        self.mask = self.ents.len() - 1;
        for e in old {
            if e != EMPTY {
                self.put(e);
            }
        }
    }

    /// Remove `slot`'s entry (stored under `tag`); false if absent.
    pub(crate) fn remove(&mut self, tag: u32, slot: u32) -> bool {
        let want = pack(tag, slot);
        let mut i = self.home(tag);
        loop {
            let e = self.ents[i];
            if e == EMPTY {
                return false;
            }
            if e == want {
                break;
            }
            i = (i + 1) & self.mask;
        }
        // backward shift: pull later entries of the run into the hole
        // when the hole lies between their home and where they sit
        let mut hole = i;
        let mut j = i;
        loop {
            j = (j + 1) & self.mask;
            let e = self.ents[j];
            if e == EMPTY {
                break;
            }
            let home = self.home(tag_of(e));
            if (j.wrapping_sub(home) & self.mask) >= (j.wrapping_sub(hole) & self.mask) {
                self.ents[hole] = e;
                hole = j;
            }
        }
        self.ents[hole] = EMPTY;
        self.len -= 1;
        true
    }

    /// Remove every entry.
    pub(crate) fn clear(&mut self) {
        self.ents.fill(EMPTY);
        self.len = 0;
    }

    /// Every slot, in no particular order.
    pub(crate) fn slots(&self) -> impl Iterator<Item = u32> + '_ {
        self.ents
            .iter()
            .filter(|&&e| e != EMPTY)
            .map(|&e| slot_of(e))
    }
}

/// Ask the kernel to back `[p, p + len)` with transparent huge pages
/// (Linux `madvise(MADV_HUGEPAGE)`, honoured when THP is `madvise` or
/// `always`): random lookups over a large table otherwise pay a page walk
/// (a TLB miss) on top of each cache miss. Only whole 2 MiB pages inside
/// the range are advised; untouched memory stays unbacked either way.
pub(crate) fn advise_huge(p: *const u8, len: usize) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let start = (p as usize).div_ceil(HUGE) * HUGE;
        let end = (p as usize).saturating_add(len) / HUGE * HUGE;
        if end > start {
            // SAFETY: madvise only changes how the kernel backs pages of
            // this process's own mapping (the range lies inside one live
            // allocation); it reads and writes no memory.
            #[allow(unsafe_code)]
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (p, len);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Random inserts and removes against a list, with tags forced to
    /// collide (few distinct homes) so runs wrap and shift.
    #[test]
    fn agrees_with_a_map_under_churn() {
        let mut idx = Index::new();
        let mut model: Vec<(u32, u32)> = Vec::new(); // (slot, tag)
        let mut x: u64 = 0x9e3779b97f4a7c15;
        let mut next_slot = 0u32;
        for step in 0..200_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let tag = (x as u32) % 97 * 0x0101_0101; // collisions on purpose
            if !x.is_multiple_of(3) || model.is_empty() {
                idx.insert(tag, next_slot);
                model.push((next_slot, tag));
                next_slot += 1;
            } else {
                let (k, t) = model.swap_remove((x >> 40) as usize % model.len());
                assert!(idx.remove(t, k), "step {step}");
                assert!(!idx.remove(t, k));
            }
            if step.is_multiple_of(10_000) || step == 199_999 {
                assert_eq!(idx.len(), model.len());
                for &(s, t) in &model {
                    assert_eq!(idx.find(t, |c| c == s), Some(s), "step {step}");
                }
                let mut all: Vec<u32> = idx.slots().collect();
                all.sort_unstable();
                let mut want: Vec<u32> = model.iter().map(|m| m.0).collect();
                want.sort_unstable();
                assert_eq!(all, want);
            }
        }
    }
}
