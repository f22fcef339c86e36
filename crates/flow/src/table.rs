//! The flow table.

use crate::dir::Direction;
use crate::index::Index;
use crate::key::{hash_parts, tag, v4_word, FlowKey, PacketTuple, V4Probe};
use crate::record::{
    EndReason, Flow, FlowConfig, CLASS_EST, CLASS_NEW, CLASS_TCP_CLOSED, CLASS_TCP_EST,
    CLASS_TCP_NEW, NIL, N_CLASSES,
};
use crate::tcp::TcpTrack;
use core::hash::{BuildHasher, Hash, Hasher};

/// Flow slots whose address space a table reserves when created (more
/// are allocated as needed).
const MAX_RESERVED_FLOWS: usize = 1 << 18;

/// A flow's place in its timeout list is refreshed at most once per this
/// much capture time (and on every change of timeout class). Touching the
/// list on every packet would write the two neighbours' slots, cold cache
/// lines, per packet; this way a flow ends at most this late.
pub const TOUCH_GRAIN_NS: i64 = 1_000_000_000;

/// Result of [`FlowTable::lookup`].
#[derive(Clone, Copy, Debug)]
pub struct Lookup {
    pub idx: u32,
    pub dir: Direction,
    pub new: bool,
}

pub struct FlowTable<T> {
    cfg: FlowConfig,
    /// slot indices, hashed by their flow's key: 4 bytes per bucket, and
    /// the key compare touches the slot the caller needs anyway
    map: Index,
    seed: u64,
    /// flows by slot index; a slot not in `map` is free (listed in `free`)
    slots: Vec<Flow<T>>,
    free: Vec<u32>,
    head: [u32; N_CLASSES],
    tail: [u32; N_CLASSES],
    pub created: u64,
    pub evicted: u64,
}

impl<T: Default> FlowTable<T> {
    pub fn new(cfg: FlowConfig) -> Self {
        FlowTable {
            cfg,
            map: Index::new(),
            seed: {
                use std::hash::BuildHasher;
                std::collections::hash_map::RandomState::new().hash_one(0xf10u64) | 1
            },
            slots: {
                // address space for the flow cap up front (pages are backed
                // only as flows fill them), so records never move and can
                // live on huge pages
                let v: Vec<Flow<T>> = Vec::with_capacity(cfg.max_flows.min(MAX_RESERVED_FLOWS));
                let bytes = v.capacity() * std::mem::size_of::<Flow<T>>();
                crate::index::advise_huge(v.as_ptr() as *const u8, bytes);
                v
            },
            free: Vec::new(),
            head: [NIL; N_CLASSES],
            tail: [NIL; N_CLASSES],
            created: 0,
            evicted: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.len() == 0
    }

    pub fn get_mut(&mut self, idx: u32) -> &mut Flow<T> {
        // idx always comes from lookup() on a live slot
        &mut self.slots[idx as usize]
    }

    fn unlink(&mut self, idx: u32) {
        let (prev, next, class) = {
            let f = &self.slots[idx as usize];
            (f.prev, f.next, f.class as usize)
        };
        if prev != NIL {
            self.slots[prev as usize].next = next;
        } else {
            self.head[class] = next;
        }
        if next != NIL {
            self.slots[next as usize].prev = prev;
        } else {
            self.tail[class] = prev;
        }
    }

    fn push_front(&mut self, idx: u32, class: usize) {
        let old = self.head[class];
        {
            let f = &mut self.slots[idx as usize];
            f.moved_ns = f.last_ns;
            f.prev = NIL;
            f.next = old;
            f.class = class as u8;
        }
        if old != NIL {
            self.slots[old as usize].prev = idx;
        } else {
            self.tail[class] = idx;
        }
        self.head[class] = idx;
    }

    fn remove(&mut self, idx: u32) -> Flow<T> {
        self.unlink(idx);
        let f = std::mem::replace(&mut self.slots[idx as usize], Flow::vacant());
        self.map
            .remove(tag(f.key.as_packet(true).hash(self.seed)), idx);
        self.free.push(idx);
        f
    }

    /// Find or create the flow of a packet, given its key. `src_is_a` comes from
    /// [`FlowKey::new`]. `syn_ack` marks a TCP SYN+ACK: if it creates the
    /// flow, its destination is the client.
    #[inline]
    pub fn lookup(
        &mut self,
        key: &FlowKey,
        src_is_a: bool,
        ts_ns: i64,
        syn_ack: bool,
        make: impl FnOnce() -> T,
        ended: &mut dyn FnMut(Flow<T>, EndReason),
    ) -> Lookup {
        self.lookup_packet(&key.as_packet(src_is_a), ts_ns, syn_ack, make, ended)
    }

    /// Find or create the flow of a packet from its fields as decoded
    /// (either direction): hashed and compared from the fields, so the
    /// packet's key is built only for a new flow. `syn_ack` marks a TCP
    /// SYN+ACK: if it creates the flow, its destination is the client.
    #[inline]
    pub fn lookup_packet(
        &mut self,
        t: &PacketTuple<'_>,
        ts_ns: i64,
        syn_ack: bool,
        make: impl FnOnce() -> T,
        ended: &mut dyn FnMut(Flow<T>, EndReason),
    ) -> Lookup {
        // find_v4 relies on it: an IPv4 packet's 16-byte addresses end in zeros
        debug_assert!(t.v6 || (t.src[4..] == [0; 12] && t.dst[4..] == [0; 12]));
        let h = if !t.v6 && t.vlan == [0, 0] {
            // most packets: the 4-byte path (same hash, same flows)
            let v4 = |a: &[u8; 16]| [a[0], a[1], a[2], a[3]];
            let pr = self.probe_v4(v4(t.src), t.sport, v4(t.dst), t.dport, t.proto);
            if let Some(l) = self.find_v4(&pr, ts_ns) {
                return l;
            }
            pr.tag
        } else {
            let h = tag(t.hash(self.seed));
            let found = self.find_by(h, ts_ns, |k| match k.side_of(t) {
                Some(a) => (true, a),
                None => (false, false),
            });
            if let Some(l) = found {
                return l;
            }
            h
        };
        let (key, src_is_a) = FlowKey::new(t.src, t.dst, t.sport, t.dport, t.proto, t.v6, t.vlan);
        self.create(&key, h, src_is_a, ts_ns, syn_ack, make(), ended)
    }

    /// Hash an untagged IPv4 packet's flow fields for
    /// [`find_v4`](Self::find_v4).
    #[inline(always)]
    pub fn probe_v4(
        &self,
        src: [u8; 4],
        sport: u16,
        dst: [u8; 4],
        dport: u16,
        proto: u8,
    ) -> V4Probe {
        // an IPv4 key holds zeros after the address (lookup_packet's
        // debug_assert), and an untagged IPv4 packet's protocol word is
        // its protocol number alone: the hash lookup_packet computes
        let tag = tag(hash_parts(
            [v4_word(src), 0, sport as u64],
            [v4_word(dst), 0, dport as u64],
            proto as u64,
            self.seed,
        ));
        V4Probe {
            src: u32::from_ne_bytes(src),
            dst: u32::from_ne_bytes(dst),
            sport,
            dport,
            proto,
            tag,
        }
    }

    /// The flow of an untagged IPv4 packet, if there is one (none is
    /// created): [`lookup_packet`](Self::lookup_packet) when it finds the
    /// flow, with the same effect (`last_ns`): the same walk over the index
    /// ([`find_by`](Self::find_by)), comparing 4-byte addresses.
    #[inline(always)]
    pub fn find_v4(&mut self, p: &V4Probe, ts_ns: i64) -> Option<Lookup> {
        // packed so that both directions compare without branches: which
        // one matched is a coin toss per packet, a branch on it would be
        // mispredicted half the time
        let addrs = (p.src as u64) << 32 | p.dst as u64;
        let ports = (p.sport as u32) << 16 | p.dport as u32;
        self.find_by(p.tag, ts_ns, |k| {
            let a = u32::from_ne_bytes([k.a[0], k.a[1], k.a[2], k.a[3]]);
            let b = u32::from_ne_bytes([k.b[0], k.b[1], k.b[2], k.b[3]]);
            let k_addrs = (a as u64) << 32 | b as u64;
            let k_ports = (k.pa as u32) << 16 | k.pb as u32;
            let fwd = (k_addrs == addrs) & (k_ports == ports);
            let rev = (k_addrs == addrs.rotate_left(32)) & (k_ports == ports.rotate_left(16));
            let same_kind = (k.proto == p.proto) & !k.v6 & (k.vlan == [0, 0]);
            (same_kind & (fwd | rev), fwd)
        })
    }

    /// The one walk over the index, for [`find_v4`](Self::find_v4) and
    /// [`lookup_packet`](Self::lookup_packet): the flow under `tag` whose
    /// key `side` accepts (it says whether the key is the packet's and
    /// whether the packet's source is the key's side a), its `last_ns`
    /// moved on to `ts_ns`.
    #[inline(always)]
    fn find_by(
        &mut self,
        tag: u32,
        ts_ns: i64,
        mut side: impl FnMut(&FlowKey) -> (bool, bool),
    ) -> Option<Lookup> {
        let slots = &self.slots;
        let mut src_is_a = false;
        let idx = self.map.find(tag, |i| {
            let (is_it, a) = side(&slots[i as usize].key);
            src_is_a = a;
            is_it
        })?;
        let f = &mut self.slots[idx as usize];
        let dir = if f.client_is_a == src_is_a {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        if ts_ns > f.last_ns {
            f.last_ns = ts_ns;
        }
        Some(Lookup {
            idx,
            dir,
            new: false,
        })
    }

    /// [`lookup`](Self::lookup)'s rare part: a new flow.
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn create(
        &mut self,
        key: &FlowKey,
        h: u32,
        src_is_a: bool,
        ts_ns: i64,
        syn_ack: bool,
        data: T,
        ended: &mut dyn FnMut(Flow<T>, EndReason),
    ) -> Lookup {
        if self.map.len() >= self.cfg.max_flows {
            self.evict_one(ended);
        }
        let client_is_a = if syn_ack { !src_is_a } else { src_is_a };
        let id = {
            let mut h = foldhash::fast::FixedState::with_seed(0x1d).build_hasher();
            key.hash(&mut h);
            ts_ns.hash(&mut h);
            self.created.hash(&mut h);
            h.finish() & ((1u64 << 51) - 1)
        };
        let flow = Flow {
            key: *key,
            client_is_a,
            class: 0,
            prev: NIL,
            next: NIL,
            last_ns: ts_ns,
            moved_ns: ts_ns,
            pkts: [0; 2],
            bytes: [0; 2],
            track_only: false,
            tcp: TcpTrack::default(),
            id,
            start_ns: ts_ns,
            data,
        };
        let idx = match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = flow;
                i
            }
            None => {
                self.slots.push(flow);
                (self.slots.len() - 1) as u32
            }
        };
        let class = self.slots[idx as usize].class_now();
        self.push_front(idx, class);
        self.map.insert(h, idx);
        self.created += 1;
        let dir = if client_is_a == src_is_a {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        Lookup {
            idx,
            dir,
            new: true,
        }
    }

    /// After a packet updated the flow: move it to the front of its
    /// (possibly new) timeout class, when the class changed or its place
    /// is older than [`TOUCH_GRAIN_NS`].
    #[inline(always)]
    pub fn touch(&mut self, idx: u32) {
        let Some(f) = self.slots.get_mut(idx as usize) else {
            return;
        };
        let class = f.class_now();
        if class == f.class as usize && f.last_ns - f.moved_ns < TOUCH_GRAIN_NS {
            return;
        }
        self.requeue(idx, class);
    }

    /// [`touch`](Self::touch) for a caller that knows whether this packet
    /// may have changed what the flow's timeout class depends on (its TCP
    /// state; for other flows, whether both directions have been seen).
    /// After every touch the flow's class is current, so when nothing it
    /// depends on changed only the grain is checked.
    #[inline(always)]
    pub fn touch_hinted(&mut self, idx: u32, class_may_change: bool) {
        if class_may_change {
            return self.touch(idx);
        }
        let Some(f) = self.slots.get(idx as usize) else {
            return;
        };
        debug_assert_eq!(f.class as usize, f.class_now());
        if f.last_ns - f.moved_ns >= TOUCH_GRAIN_NS {
            self.requeue(idx, f.class as usize);
        }
    }

    /// [`touch`](Self::touch)'s rare part: the flow changed class or its
    /// place in the list is a grain old.
    #[inline(never)]
    fn requeue(&mut self, idx: u32, class: usize) {
        let f = &mut self.slots[idx as usize];
        if class == f.class as usize && self.head[class] == idx {
            f.moved_ns = f.last_ns;
            return;
        }
        self.unlink(idx);
        self.push_front(idx, class);
    }

    fn evict_one(&mut self, ended: &mut dyn FnMut(Flow<T>, EndReason)) {
        // oldest flow among the class tails, preferring new/closed flows
        let order = [
            CLASS_TCP_CLOSED,
            CLASS_TCP_NEW,
            CLASS_NEW,
            CLASS_EST,
            CLASS_TCP_EST,
        ];
        for c in order {
            let t = self.tail[c];
            if t != NIL {
                let f = self.remove(t);
                self.evicted += 1;
                ended(f, EndReason::Forced);
                return;
            }
        }
    }

    /// End flows idle for longer than their class timeout (at most
    /// [`TOUCH_GRAIN_NS`] late, never early). Cost is proportional to the
    /// number of flows ended.
    pub fn expire(&mut self, now_ns: i64, ended: &mut dyn FnMut(Flow<T>, EndReason)) {
        for c in 0..N_CLASSES {
            let timeout = self.cfg.timeouts_ns[c];
            loop {
                let t = self.tail[c];
                if t == NIL {
                    break;
                }
                // the list is ordered by moved_ns, and every flow's last
                // packet is less than a grain after its moved_ns: once the
                // tail is within timeout + grain, no flow behind it is over
                let moved = self.slots[t as usize].moved_ns;
                if now_ns - moved <= timeout.saturating_add(TOUCH_GRAIN_NS) {
                    break;
                }
                let last = self.slots[t as usize].last_ns;
                if now_ns - last <= timeout {
                    // not idle after all (a packet without a touch): requeue
                    self.unlink(t);
                    self.push_front(t, c);
                    continue;
                }
                let f = self.remove(t);
                ended(f, EndReason::Timeout);
            }
        }
    }

    /// End every flow (end of input), oldest first.
    pub fn drain(&mut self, ended: &mut dyn FnMut(Flow<T>, EndReason)) {
        self.drain_ordered(true, ended);
    }

    /// End every flow (end of input): oldest first, or (`oldest_first`
    /// false, for a caller to whom the order makes no difference) in slot
    /// order, a sequential pass over the records.
    pub fn drain_ordered(&mut self, oldest_first: bool, ended: &mut dyn FnMut(Flow<T>, EndReason)) {
        let mut idxs: Vec<u32> = self.map.slots().collect();
        if oldest_first {
            idxs.sort_unstable_by_key(|&i| (self.slots[i as usize].start_ns, i));
        } else {
            idxs.sort_unstable();
        }
        // every flow goes: no list or index upkeep per flow, the table is
        // emptied at once after
        for i in idxs {
            let f = std::mem::replace(&mut self.slots[i as usize], Flow::vacant());
            ended(f, EndReason::Shutdown);
        }
        self.map.clear();
        self.slots.clear();
        self.free.clear();
        self.head = [NIL; N_CLASSES];
        self.tail = [NIL; N_CLASSES];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> [u8; 16] {
        let mut a = [0u8; 16];
        a[0] = 10;
        a[3] = last;
        a
    }

    #[test]
    fn both_directions_same_flow() {
        let mut t: FlowTable<()> = FlowTable::new(FlowConfig::default());
        let mut ended = |_f: Flow<()>, _r: EndReason| {};
        let (k1, a1) = FlowKey::new(&ip(1), &ip(2), 40000, 502, 6, false, [0; 2]);
        let l1 = t.lookup(&k1, a1, 0, false, || (), &mut ended);
        let (k2, a2) = FlowKey::new(&ip(2), &ip(1), 502, 40000, 6, false, [0; 2]);
        assert_eq!(k1, k2);
        let l2 = t.lookup(&k2, a2, 1, false, || (), &mut ended);
        assert!(l1.new && !l2.new);
        assert_eq!(l1.idx, l2.idx);
        assert_eq!((l1.dir, l2.dir), (Direction::ToServer, Direction::ToClient));
        assert_eq!(t.get_mut(l1.idx).client().1, 40000);
    }

    #[test]
    fn key_hash_is_symmetric_in_the_endpoints() {
        let seed = FlowTable::<()>::new(FlowConfig::default()).seed;
        let (a, b) = (ip(1), ip(2));
        let h = |x: &[u8; 16], sport, y: &[u8; 16], dport| {
            let t = PacketTuple {
                src: x,
                sport,
                dst: y,
                dport,
                proto: 17,
                v6: false,
                vlan: [3, 4],
            };
            t.hash(seed)
        };
        assert_eq!(h(&a, 40000, &b, 502), h(&b, 502, &a, 40000));
        assert_ne!(h(&a, 40000, &b, 502), h(&a, 502, &b, 40000));
        for (s, d, sp, dp) in [(a, b, 40000, 502), (b, a, 502, 40000), (a, a, 1, 2)] {
            let (k, _) = FlowKey::new(&s, &d, sp, dp, 17, false, [3, 4]);
            assert_eq!(k.as_packet(true).hash(seed), h(&s, sp, &d, dp));
            assert_eq!(k.as_packet(false).hash(seed), h(&s, sp, &d, dp));
        }
    }

    #[test]
    fn per_packet_fields_share_the_first_128_bytes() {
        use std::mem::{align_of, offset_of, size_of};
        type F = Flow<[u64; 2]>;
        assert_eq!(align_of::<F>(), 64);
        assert!(offset_of!(F, last_ns) + 8 <= 64);
        assert!(offset_of!(F, bytes) + 16 <= 128);
        assert!(offset_of!(F, track_only) < 128);
        // the connection state heads TcpTrack (8 bytes)
        assert!(offset_of!(F, tcp) + 8 <= 128);
        // three cache lines with a 16-byte app state (the engine's)
        assert_eq!(size_of::<F>(), 192);
    }

    #[test]
    fn lookups_agree_with_a_model() {
        // by key, by packet fields, and by find_v4 then packet fields, in
        // turn, against a map of keys to (slot, client is a): same slot,
        // direction and novelty, and the slot holds the key. find_v4 finds
        // exactly the known IPv4 flows of untagged packets (an IPv6 flow
        // with the same address bytes is not its flow).
        use std::collections::HashMap;
        let mut t: FlowTable<()> = FlowTable::new(FlowConfig::default());
        let mut model: HashMap<FlowKey, (u32, bool)> = HashMap::new();
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut found_v4 = 0;
        for i in 0..30_000i64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // few addresses and ports: same-address and same-port pairs,
            // both directions, TCP and UDP, two VLANs, two families
            let (s, d) = (ip((x % 5) as u8), ip((x >> 8) as u8 % 5));
            let (sp, dp) = ((x >> 16) as u16 % 4, (x >> 24) as u16 % 4);
            let proto = if x >> 32 & 1 == 0 { 6 } else { 17 };
            let vlan = [(x >> 33) as u16 & 1, 0];
            let syn_ack = x >> 34 & 7 == 0;
            let v6 = x >> 37 & 3 == 0;
            let (k, a) = FlowKey::new(&s, &d, sp, dp, proto, v6, vlan);
            let known = model.contains_key(&k);
            let p = PacketTuple {
                src: &s,
                sport: sp,
                dst: &d,
                dport: dp,
                proto,
                v6,
                vlan,
            };
            let l = match i % 3 {
                0 => t.lookup(&k, a, i, syn_ack, || (), &mut |_, _| {}),
                1 => t.lookup_packet(&p, i, syn_ack, || (), &mut |_, _| {}),
                // find_v4 is for untagged IPv4 packets (what the decoder's
                // fast path takes)
                _ if vlan != [0, 0] || v6 => t.lookup_packet(&p, i, syn_ack, || (), &mut |_, _| {}),
                _ => {
                    let v4 = |a: &[u8; 16]| [a[0], a[1], a[2], a[3]];
                    let pr = t.probe_v4(v4(&s), sp, v4(&d), dp, proto);
                    match t.find_v4(&pr, i) {
                        Some(l) => {
                            assert!(known, "step {i}");
                            found_v4 += 1;
                            l
                        }
                        None => {
                            assert!(!known, "step {i}");
                            t.lookup_packet(&p, i, syn_ack, || (), &mut |_, _| {})
                        }
                    }
                }
            };
            let (idx, client_is_a) = *model
                .entry(k)
                .or_insert((l.idx, if syn_ack { !a } else { a }));
            assert_eq!(l.new, !known, "step {i}");
            assert_eq!(l.idx, idx, "step {i}");
            assert_eq!(
                l.dir.index(),
                if client_is_a == a { 0 } else { 1 },
                "step {i}"
            );
            assert_eq!(t.get_mut(l.idx).key, k, "step {i}");
            assert_eq!(t.get_mut(l.idx).last_ns, i, "step {i}");
        }
        assert_eq!(t.created as usize, model.len());
        assert!(found_v4 > 2_000, "{found_v4}");
    }

    #[test]
    fn syn_ack_first_makes_dst_client() {
        let mut t: FlowTable<()> = FlowTable::new(FlowConfig::default());
        let (k, a) = FlowKey::new(&ip(2), &ip(1), 80, 50000, 6, false, [0; 2]);
        let l = t.lookup(&k, a, 0, true, || (), &mut |_, _| {});
        assert_eq!(l.dir, Direction::ToClient);
        assert_eq!(t.get_mut(l.idx).server().1, 80);
    }

    #[test]
    fn expiry_is_never_early_and_at_most_a_grain_late() {
        const S: i64 = 1_000_000_000;
        let mut t: FlowTable<u32> = FlowTable::new(FlowConfig::default());
        let (k, a) = FlowKey::new(&ip(1), &ip(2), 1000, 53, 17, false, [0; 2]);
        let mut ended = Vec::new();
        // packets at 0 s and 0.9 s: the second does not move the flow in
        // its list (within the grain), yet counts for its idle time
        for ts in [0, 9 * S / 10] {
            let l = t.lookup(&k, a, ts, false, || 7, &mut |f, _| ended.push(f.data));
            t.get_mut(l.idx).pkts[l.dir] += 1;
            t.touch(l.idx);
        }
        // UDP new-flow timeout is 30 s: idle 29.9 s at 30.8 s, not over
        t.expire(30 * S + 8 * S / 10, &mut |f, _| ended.push(f.data));
        assert!(ended.is_empty());
        // idle 30.1 s at 31.0 s: over, but still within a grain of its
        // place in the list (moved at 0 s), so it ends late, not early
        t.expire(31 * S, &mut |f, _| ended.push(f.data));
        assert!(ended.is_empty());
        // a grain later at the latest, it has ended
        t.expire(31 * S + 1, &mut |f, _| ended.push(f.data));
        assert_eq!(ended, vec![7]);
        assert!(t.is_empty());
    }

    #[test]
    fn drain_in_either_order_ends_every_live_flow_once() {
        // flows created at t = i s, some ended by timeout first (their
        // slots free, some reused): both drains end exactly the live ones
        let build = || {
            let mut t: FlowTable<u32> = FlowTable::new(FlowConfig::default());
            const S: i64 = 1_000_000_000;
            for i in 0..300u32 {
                let (k, a) = FlowKey::new(&ip(1), &ip(2), i as u16 + 1, 53, 17, false, [0; 2]);
                let now = i as i64 * S;
                let l = t.lookup(&k, a, now, false, || i, &mut |_, _| {});
                t.touch(l.idx);
                if i == 100 {
                    // flows 0..=68 are over 30 s idle (UDP new)
                    t.expire(now, &mut |_, _| {});
                }
            }
            t
        };
        let (mut t1, mut t2) = (build(), build());
        let live = t1.len();
        assert!(live < 300 && live > 200, "{live}");
        let mut ordered = Vec::new();
        t1.drain_ordered(true, &mut |f, r| {
            assert_eq!(r, EndReason::Shutdown);
            ordered.push((f.start_ns, f.data));
        });
        let mut unordered = Vec::new();
        t2.drain_ordered(false, &mut |f, _| unordered.push((f.start_ns, f.data)));
        assert_eq!(ordered.len(), live);
        assert!(ordered.windows(2).all(|w| w[0] <= w[1]), "oldest first");
        unordered.sort();
        assert_eq!(ordered, unordered);
        assert!(t1.is_empty() && t2.is_empty());
        // still usable
        let (k, a) = FlowKey::new(&ip(1), &ip(2), 9, 53, 17, false, [0; 2]);
        assert!(t2.lookup(&k, a, 0, false, || 0, &mut |_, _| {}).new);
    }

    #[test]
    fn timeouts_and_cap() {
        let cfg = FlowConfig {
            max_flows: 100,
            ..FlowConfig::default()
        };
        let mut t: FlowTable<u32> = FlowTable::new(cfg);
        let mut ended = Vec::new();
        for i in 0..1000u32 {
            let (k, a) = FlowKey::new(
                &ip(1),
                &ip(2),
                (i % 60000) as u16 + 1,
                53,
                17,
                false,
                [0; 2],
            );
            let l = t.lookup(&k, a, i as i64 * 1_000_000, false, || i, &mut |f, r| {
                ended.push((f.data, r))
            });
            t.get_mut(l.idx).pkts[l.dir] += 1;
            t.touch(l.idx);
            assert!(t.len() <= 100);
        }
        assert_eq!(ended.len(), 900);
        assert!(ended.iter().all(|(_, r)| *r == EndReason::Forced));
        // oldest first
        assert_eq!(ended[0].0, 0);
        ended.clear();
        t.expire(1_000_000_000 + 31_000_000_000, &mut |f, r| {
            ended.push((f.data, r))
        });
        assert_eq!(ended.len(), 100);
        assert!(t.is_empty());
    }
}
