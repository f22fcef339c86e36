//! Fast-path tables for equality indicators: lookup cost does not depend on
//! how many indicators are loaded.
//!
//! * [`StrTable`]: tagged byte strings (domains, URLs, decoded digests,
//!   certificate fields …) kept in one arena, indexed by a
//!   `hashbrown::HashTable` of 12-byte slots hashed with foldhash.
//! * [`IpTable`]: exact IPv4/IPv6 addresses in hash maps, CIDR prefixes in
//!   one hash map per prefix length present (a lookup probes at most 33 / 129
//!   lengths, in practice the handful that occur).

use core::hash::{BuildHasher, Hasher};

use hashbrown::{HashMap, HashTable};

/// Fixed seed so tables are reproducible; the keys are not attacker-chosen
/// per process (indicator feeds), and probing is still bounded by hashbrown.
fn hasher_state() -> foldhash::fast::FixedState {
    foldhash::fast::FixedState::with_seed(0x7265_6566_7761_7463)
}

#[derive(Clone, Copy, Debug)]
struct Slot {
    off: u32,
    len: u16,
    tag: u8,
    entry: u32,
}

/// Tagged string → first entry index.
pub struct StrTable {
    arena: Vec<u8>,
    table: HashTable<Slot>,
    state: foldhash::fast::FixedState,
}

impl Default for StrTable {
    fn default() -> Self {
        StrTable {
            arena: Vec::new(),
            table: HashTable::new(),
            state: hasher_state(),
        }
    }
}

fn hash_key(state: &foldhash::fast::FixedState, tag: u8, key: &[u8]) -> u64 {
    let mut h = state.build_hasher();
    h.write_u8(tag);
    h.write(key);
    h.finish()
}

/// Why an insert was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum InsertError {
    TooLong,
    ArenaFull,
}

impl StrTable {
    /// Looks up `(tag, key)`; returns the entry index stored with it.
    #[inline]
    pub fn get(&self, tag: u8, key: &[u8]) -> Option<u32> {
        if self.table.is_empty() {
            return None;
        }
        let h = hash_key(&self.state, tag, key);
        self.table
            .find(h, |s| {
                s.tag == tag && usize::from(s.len) == key.len() && self.slice(s) == key
            })
            .map(|s| s.entry)
    }

    fn slice(&self, s: &Slot) -> &[u8] {
        let a = s.off as usize;
        self.arena.get(a..a + usize::from(s.len)).unwrap_or(&[])
    }

    /// Inserts `(tag, key) → entry` or, if present, returns the existing
    /// entry index (`Ok(Some(old))`) without changing it.
    pub fn insert(&mut self, tag: u8, key: &[u8], entry: u32) -> Result<Option<u32>, InsertError> {
        if key.len() > usize::from(u16::MAX) {
            return Err(InsertError::TooLong);
        }
        let off = self.arena.len();
        if off + key.len() > u32::MAX as usize {
            return Err(InsertError::ArenaFull);
        }
        // One hash and one probe: find-or-insert through the entry API.
        let h = hash_key(&self.state, tag, key);
        let StrTable {
            arena,
            table,
            state,
        } = self;
        let slice = |s: &Slot| {
            let a = s.off as usize;
            arena.get(a..a + usize::from(s.len)).unwrap_or(&[])
        };
        match table.entry(
            h,
            |s| s.tag == tag && usize::from(s.len) == key.len() && slice(s) == key,
            |s| hash_key(state, s.tag, slice(s)),
        ) {
            hashbrown::hash_table::Entry::Occupied(o) => Ok(Some(o.get().entry)),
            hashbrown::hash_table::Entry::Vacant(v) => {
                v.insert(Slot {
                    off: off as u32,
                    len: key.len() as u16,
                    tag,
                    entry,
                });
                arena.extend_from_slice(key);
                Ok(None)
            }
        }
    }

    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Bytes held (arena + table slots), for memory reporting.
    pub fn heap_bytes(&self) -> usize {
        self.arena.capacity() + self.table.capacity() * (core::mem::size_of::<Slot>() + 1)
    }

    pub fn shrink_to_fit(&mut self) {
        self.arena.shrink_to_fit();
        let arena = &self.arena;
        let state = &self.state;
        self.table.shrink_to_fit(|s| {
            let a = s.off as usize;
            hash_key(
                state,
                s.tag,
                arena.get(a..a + usize::from(s.len)).unwrap_or(&[]),
            )
        });
    }
}

type FxMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

/// Exact addresses and CIDR prefixes → first entry index.
#[derive(Default)]
pub struct IpTable {
    v4: FxMap<u32, u32>,
    v6: FxMap<u128, u32>,
    /// (prefix length, map of masked network → entry), sorted longest first.
    v4_nets: Vec<(u8, FxMap<u32, u32>)>,
    v6_nets: Vec<(u8, FxMap<u128, u32>)>,
}

pub(super) fn mask4(len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(len))
    }
}

pub(super) fn mask6(len: u8) -> u128 {
    if len == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(len))
    }
}

impl IpTable {
    /// Inserts an address (full-length prefix) or a network; returns the
    /// existing entry if that exact key is present.
    pub fn insert_v4(&mut self, addr: u32, len: u8, entry: u32) -> Option<u32> {
        if len >= 32 {
            return insert_or_get(&mut self.v4, addr, entry);
        }
        let net = addr & mask4(len);
        let i = match self.v4_nets.iter().position(|(l, _)| *l == len) {
            Some(i) => i,
            None => {
                self.v4_nets.push((len, FxMap::with_hasher(hasher_state())));
                self.v4_nets.sort_by_key(|x| core::cmp::Reverse(x.0));
                self.v4_nets
                    .iter()
                    .position(|(l, _)| *l == len)
                    .unwrap_or(0)
            }
        };
        insert_or_get(&mut self.v4_nets[i].1, net, entry)
    }

    pub fn insert_v6(&mut self, addr: u128, len: u8, entry: u32) -> Option<u32> {
        if len >= 128 {
            return insert_or_get(&mut self.v6, addr, entry);
        }
        let net = addr & mask6(len);
        let i = match self.v6_nets.iter().position(|(l, _)| *l == len) {
            Some(i) => i,
            None => {
                self.v6_nets.push((len, FxMap::with_hasher(hasher_state())));
                self.v6_nets.sort_by_key(|x| core::cmp::Reverse(x.0));
                self.v6_nets
                    .iter()
                    .position(|(l, _)| *l == len)
                    .unwrap_or(0)
            }
        };
        insert_or_get(&mut self.v6_nets[i].1, net, entry)
    }

    /// Calls `f(entry, prefix_len)` for each address or network covering `addr`.
    #[inline]
    pub fn lookup_v4(&self, addr: u32, mut f: impl FnMut(u32, u8)) {
        if let Some(e) = self.v4.get(&addr) {
            f(*e, 32);
        }
        for (len, m) in &self.v4_nets {
            if let Some(e) = m.get(&(addr & mask4(*len))) {
                f(*e, *len);
            }
        }
    }

    /// Calls `f(entry, prefix_len)` for each address or network covering `addr`.
    #[inline]
    pub fn lookup_v6(&self, addr: u128, mut f: impl FnMut(u32, u8)) {
        if let Some(e) = self.v6.get(&addr) {
            f(*e, 128);
        }
        for (len, m) in &self.v6_nets {
            if let Some(e) = m.get(&(addr & mask6(*len))) {
                f(*e, *len);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.v4.len()
            + self.v6.len()
            + self.v4_nets.iter().map(|(_, m)| m.len()).sum::<usize>()
            + self.v6_nets.iter().map(|(_, m)| m.len()).sum::<usize>()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn heap_bytes(&self) -> usize {
        self.v4.capacity() * 9
            + self.v6.capacity() * 21
            + self
                .v4_nets
                .iter()
                .map(|(_, m)| m.capacity() * 9)
                .sum::<usize>()
            + self
                .v6_nets
                .iter()
                .map(|(_, m)| m.capacity() * 21)
                .sum::<usize>()
    }

    pub fn shrink_to_fit(&mut self) {
        self.v4.shrink_to_fit();
        self.v6.shrink_to_fit();
        for (_, m) in &mut self.v4_nets {
            m.shrink_to_fit();
        }
        for (_, m) in &mut self.v6_nets {
            m.shrink_to_fit();
        }
    }
}

fn insert_or_get<K: core::hash::Hash + Eq>(m: &mut FxMap<K, u32>, k: K, entry: u32) -> Option<u32> {
    match m.entry(k) {
        hashbrown::hash_map::Entry::Occupied(o) => Some(*o.get()),
        hashbrown::hash_map::Entry::Vacant(v) => {
            v.insert(entry);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn str_table() {
        let mut t = StrTable::default();
        assert_eq!(t.insert(1, b"evil.example", 7), Ok(None));
        assert_eq!(t.insert(2, b"evil.example", 8), Ok(None));
        assert_eq!(t.insert(1, b"evil.example", 9), Ok(Some(7)));
        for i in 0..10_000u32 {
            t.insert(3, format!("k{i}").as_bytes(), i).unwrap();
        }
        t.shrink_to_fit();
        assert_eq!(t.get(1, b"evil.example"), Some(7));
        assert_eq!(t.get(2, b"evil.example"), Some(8));
        assert_eq!(t.get(3, b"k9999"), Some(9999));
        assert_eq!(t.get(3, b"k10000"), None);
        assert_eq!(t.get(1, b"evil.exampl"), None);
    }

    #[test]
    fn ip_table_prefixes() {
        let mut t = IpTable::default();
        t.insert_v4(u32::from_be_bytes([10, 0, 0, 1]), 32, 1);
        t.insert_v4(u32::from_be_bytes([10, 1, 0, 0]), 16, 2);
        t.insert_v4(u32::from_be_bytes([10, 1, 2, 0]), 24, 3);
        t.insert_v4(0, 0, 4);
        let mut got = Vec::new();
        t.lookup_v4(u32::from_be_bytes([10, 1, 2, 3]), |e, _| got.push(e));
        got.sort();
        assert_eq!(got, vec![2, 3, 4]);
        got.clear();
        t.lookup_v4(u32::from_be_bytes([10, 0, 0, 1]), |e, l| {
            got.push(e * 100 + u32::from(l))
        });
        got.sort();
        assert_eq!(got, vec![132, 400]);
        t.insert_v6(1u128 << 120, 8, 5);
        let mut g6 = Vec::new();
        t.lookup_v6((1u128 << 120) | 77, |e, l| g6.push((e, l)));
        assert_eq!(g6, vec![(5, 8)]);
    }
}
