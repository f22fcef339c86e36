//! One direction of TCP reassembly.
//!
//! Offsets are kept as 64-bit positions relative to the first byte of the
//! stream, so sequence-number wrap never confuses ordering.
//!
//! Policy (documented in ARCHITECTURE.md): **first wins**. Bytes already
//! delivered or already queued are never replaced; a retransmission or an
//! overlapping segment only contributes bytes that fill holes. When a hole
//! cannot be filled — the out-of-order queue is over its bounds, the peer
//! acknowledged past the hole, or the flow ends — the stream skips to the
//! next queued byte and reports a [`Chunk::Gap`] so the parser can
//! resynchronise. Past `depth` bytes nothing more is delivered.

/// Reassembly limits.
#[derive(Clone, Copy, Debug)]
pub struct StreamConfig {
    /// Bytes per direction delivered to the parser (0 = unlimited).
    /// Like Suricata's `stream.reassembly.depth` (default 1 MiB).
    pub depth: u64,
    /// Out-of-order bytes kept per direction before a gap is forced.
    pub max_ooo_bytes: usize,
    /// Out-of-order segments kept per direction.
    pub max_ooo_segments: usize,
}

impl Default for StreamConfig {
    fn default() -> Self {
        StreamConfig {
            depth: 1 << 20,
            max_ooo_bytes: 256 << 10,
            max_ooo_segments: 64,
        }
    }
}

/// Global reassembly memory, shared by all streams of one worker.
#[derive(Debug)]
pub struct MemBudget {
    pub cap: usize,
    pub used: usize,
    /// times a segment was refused for lack of budget
    pub refused: u64,
}

impl MemBudget {
    pub fn new(cap: usize) -> Self {
        MemBudget {
            cap,
            used: 0,
            refused: 0,
        }
    }
    pub(crate) fn take(&mut self, n: usize) -> bool {
        if self.used + n > self.cap {
            self.refused += 1;
            false
        } else {
            self.used += n;
            true
        }
    }
    pub(crate) fn give(&mut self, n: usize) {
        self.used = self.used.saturating_sub(n);
    }
}

/// What the stream hands to the parser.
#[derive(Debug, PartialEq, Eq)]
pub enum Chunk<'a> {
    /// In-order bytes, with the number of the packet that carried them
    /// (the caller's packet counter as given to [`Stream::on_segment`]).
    /// Bytes queued behind a hole keep their own packet's number, so an
    /// event they complete is attributed to the packet that carried it,
    /// not to the later packet that filled or gave up the hole.
    Data(&'a [u8], u64),
    /// `n` bytes were lost.
    Gap(u64),
}

#[derive(Debug)]
struct Seg {
    off: u64,
    /// packet that carried these bytes
    pkt: u64,
    data: Vec<u8>,
}

/// One direction's reassembly state.
#[derive(Debug, Default)]
pub struct Stream {
    /// sequence number of stream offset 0 (None until known)
    isn: Option<u32>,
    /// next offset to deliver
    next: u64,
    ooo: Vec<Seg>,
    ooo_bytes: usize,
    pub gaps: u32,
    pub depth_reached: bool,
    /// bytes skipped in gaps
    pub gap_bytes: u64,
}

impl Stream {
    /// Offset (relative) of the next byte to deliver.
    pub fn delivered(&self) -> u64 {
        self.next
    }

    /// Sequence number of the next byte to deliver, once the start is known.
    pub fn next_seq(&self) -> Option<u32> {
        self.isn.map(|i| i.wrapping_add(self.next as u32))
    }

    /// Whether segments wait behind a hole.
    pub fn has_queued(&self) -> bool {
        !self.ooo.is_empty()
    }

    pub fn queued_bytes(&self) -> usize {
        self.ooo_bytes
    }

    pub fn is_started(&self) -> bool {
        self.isn.is_some()
    }

    /// The SYN (or SYN-ACK) with sequence `seq` fixes the stream start.
    pub fn on_syn(&mut self, seq: u32) {
        if self.isn.is_none() {
            self.isn = Some(seq.wrapping_add(1));
        }
    }

    /// Relative offset of `seq`, given the delivery point (handles wrap).
    fn rel(&self, seq: u32) -> Option<u64> {
        let isn = self.isn?;
        let next_seq = isn.wrapping_add(self.next as u32);
        let diff = seq.wrapping_sub(next_seq) as i32 as i64;
        let r = self.next as i64 + diff;
        (r >= 0).then_some(r as u64)
    }

    fn depth_left(&self, cfg: &StreamConfig) -> u64 {
        if cfg.depth == 0 {
            u64::MAX
        } else {
            cfg.depth.saturating_sub(self.next)
        }
    }

    /// Add a data segment, carried by packet number `pkt`, and deliver
    /// what became in order.
    #[allow(clippy::too_many_arguments)]
    pub fn on_segment(
        &mut self,
        seq: u32,
        data: &[u8],
        pkt: u64,
        cfg: &StreamConfig,
        mem: &mut MemBudget,
        out: &mut dyn FnMut(Chunk<'_>),
    ) {
        if data.is_empty() || self.depth_reached {
            return;
        }
        if self.isn.is_none() {
            // midstream pickup: this segment starts the stream
            self.isn = Some(seq);
        }
        let Some(start) = self.rel(seq) else {
            // entirely before the stream start: old retransmission
            return;
        };
        let end = start + data.len() as u64;
        if end <= self.next {
            return; // retransmission of delivered bytes
        }
        if start <= self.next {
            // In order (maybe with an already-delivered prefix): delivered
            // zero copy, except where queued bytes (which came first) win.
            let mut cur_off = self.next;
            loop {
                let cur = &data[(cur_off - start) as usize..];
                let limit = self.ooo.first().map_or(u64::MAX, |f| f.off);
                if cur_off < limit {
                    let n = ((limit - cur_off) as usize).min(cur.len());
                    self.deliver(&cur[..n], pkt, cfg, out);
                }
                self.drain(cfg, mem, out);
                if self.depth_reached || end <= self.next {
                    break;
                }
                cur_off = self.next;
            }
            return;
        }
        // out of order: queue the parts not already queued (first wins)
        self.queue(start, data, pkt, cfg, mem);
        while !self.ooo.is_empty()
            && (self.ooo.len() > cfg.max_ooo_segments || self.ooo_bytes > cfg.max_ooo_bytes)
        {
            self.force_gap(cfg, mem, out);
        }
    }

    /// The peer acknowledged up to `ack`: a hole below it will never fill.
    pub fn on_peer_ack(
        &mut self,
        ack: u32,
        cfg: &StreamConfig,
        mem: &mut MemBudget,
        out: &mut dyn FnMut(Chunk<'_>),
    ) {
        if self.ooo.is_empty() {
            return;
        }
        if let Some(a) = self.rel(ack) {
            if a > self.next && a >= self.ooo[0].off && a < self.next + (1 << 30) {
                self.force_gap(cfg, mem, out);
            }
        }
    }

    /// Whether a segment starting at `seq` continues the delivered bytes
    /// (no hole before it).
    pub fn continues_at(&self, seq: u32) -> bool {
        self.rel(seq).is_some_and(|r| r <= self.next)
    }

    /// Whether every byte below `ack` (from the peer) has been delivered.
    pub fn delivered_to(&self, ack: u32) -> bool {
        self.rel(ack).is_some_and(|a| a <= self.next)
    }

    /// Whether `ack` (from the peer) acknowledges bytes of this direction
    /// that the capture never showed: the capture lost them.
    pub fn acks_unseen(&self, ack: u32) -> bool {
        let Some(a) = self.rel(ack) else {
            return false;
        };
        let seen = self
            .ooo
            .last()
            .map_or(self.next, |s| self.next.max(s.off + s.data.len() as u64));
        a > seen && a - seen < (1 << 30)
    }

    /// The bytes before `seq` are known lost: deliver what is queued below
    /// it, report the holes as gaps, and continue from `seq`.
    pub fn gap_to(
        &mut self,
        seq: u32,
        cfg: &StreamConfig,
        mem: &mut MemBudget,
        out: &mut dyn FnMut(Chunk<'_>),
    ) {
        let Some(target) = self.rel(seq) else {
            return;
        };
        if target <= self.next || target - self.next >= (1 << 30) {
            return;
        }
        while self.ooo.first().is_some_and(|f| f.off < target) {
            self.force_gap(cfg, mem, out);
        }
        if target > self.next {
            let lost = target - self.next;
            self.gaps += 1;
            self.gap_bytes += lost;
            out(Chunk::Gap(lost));
            self.next = target;
            self.drain(cfg, mem, out);
        }
    }

    /// Flow end: skip holes and deliver everything queued.
    pub fn flush(
        &mut self,
        cfg: &StreamConfig,
        mem: &mut MemBudget,
        out: &mut dyn FnMut(Chunk<'_>),
    ) {
        while !self.ooo.is_empty() {
            self.force_gap(cfg, mem, out);
        }
    }

    /// Release all queued memory (flow dropped).
    pub fn release(&mut self, mem: &mut MemBudget) {
        for s in self.ooo.drain(..) {
            mem.give(s.data.len());
        }
        self.ooo_bytes = 0;
    }

    fn deliver(
        &mut self,
        data: &[u8],
        pkt: u64,
        cfg: &StreamConfig,
        out: &mut dyn FnMut(Chunk<'_>),
    ) {
        let left = self.depth_left(cfg);
        let n = (data.len() as u64).min(left) as usize;
        if n > 0 {
            out(Chunk::Data(&data[..n], pkt));
        }
        self.next += data.len() as u64;
        if n < data.len() || (cfg.depth != 0 && self.next >= cfg.depth) {
            self.depth_reached = true;
        }
    }

    fn drain(&mut self, cfg: &StreamConfig, mem: &mut MemBudget, out: &mut dyn FnMut(Chunk<'_>)) {
        while let Some(first) = self.ooo.first() {
            if first.off > self.next {
                break;
            }
            let seg = self.ooo.remove(0);
            self.ooo_bytes -= seg.data.len();
            mem.give(seg.data.len());
            let end = seg.off + seg.data.len() as u64;
            if end > self.next && !self.depth_reached {
                let skip = (self.next - seg.off) as usize;
                self.deliver(&seg.data[skip..], seg.pkt, cfg, out);
            }
        }
        if self.depth_reached {
            self.release(mem);
        }
    }

    fn force_gap(
        &mut self,
        cfg: &StreamConfig,
        mem: &mut MemBudget,
        out: &mut dyn FnMut(Chunk<'_>),
    ) {
        if let Some(first) = self.ooo.first() {
            if first.off > self.next {
                let lost = first.off - self.next;
                self.gaps += 1;
                self.gap_bytes += lost;
                out(Chunk::Gap(lost));
                self.next = first.off;
            }
        }
        self.drain(cfg, mem, out);
    }

    fn queue(
        &mut self,
        start: u64,
        data: &[u8],
        pkt: u64,
        cfg: &StreamConfig,
        mem: &mut MemBudget,
    ) {
        let end = start + data.len() as u64;
        // do not queue beyond depth
        let limit = if cfg.depth == 0 { u64::MAX } else { cfg.depth };
        let end = end.min(limit.max(self.next));
        let mut pos = start;
        let mut i = 0;
        while pos < end {
            while i < self.ooo.len() && self.ooo[i].off + self.ooo[i].data.len() as u64 <= pos {
                i += 1;
            }
            let piece_end = if i < self.ooo.len() {
                let s = &self.ooo[i];
                if s.off <= pos {
                    // covered: skip (first wins)
                    pos = s.off + s.data.len() as u64;
                    continue;
                }
                s.off.min(end)
            } else {
                end
            };
            let a = (pos - start) as usize;
            let b = (piece_end - start) as usize;
            let n = b - a;
            if !mem.take(n) {
                return;
            }
            self.ooo.insert(
                i,
                Seg {
                    off: pos,
                    pkt,
                    data: data[a..b].to_vec(),
                },
            );
            self.ooo_bytes += n;
            i += 1;
            pos = piece_end;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(stream: &mut Stream, segs: &[(u32, &[u8])], cfg: &StreamConfig) -> (Vec<u8>, u64) {
        let mut mem = MemBudget::new(1 << 30);
        let mut out = Vec::new();
        let mut gaps = 0;
        for (seq, d) in segs {
            stream.on_segment(*seq, d, 0, cfg, &mut mem, &mut |c| match c {
                Chunk::Data(b, _) => out.extend_from_slice(b),
                Chunk::Gap(n) => gaps += n,
            });
        }
        stream.flush(cfg, &mut mem, &mut |c| match c {
            Chunk::Data(b, _) => out.extend_from_slice(b),
            Chunk::Gap(n) => gaps += n,
        });
        assert_eq!(mem.used, 0);
        (out, gaps)
    }

    #[test]
    fn in_order_out_of_order_and_retransmit() {
        let cfg = StreamConfig::default();
        let mut s = Stream::default();
        s.on_syn(999);
        let (out, gaps) = collect(
            &mut s,
            &[
                (1006, b"world"),
                (1000, b"hello "),
                (1000, b"HELLO "),
                (1003, b"lo wo"),
            ],
            &cfg,
        );
        assert_eq!(out, b"hello world");
        assert_eq!(gaps, 0);
    }

    #[test]
    fn gap_is_reported_and_skipped() {
        let cfg = StreamConfig::default();
        let mut s = Stream::default();
        s.on_syn(0);
        let (out, gaps) = collect(&mut s, &[(1, b"ab"), (10, b"xyz")], &cfg);
        assert_eq!(out, b"abxyz");
        assert_eq!(gaps, 7);
    }

    #[test]
    fn sequence_wraps() {
        let cfg = StreamConfig::default();
        let mut s = Stream::default();
        s.on_syn(u32::MAX - 2);
        let (out, _) = collect(
            &mut s,
            &[(0, b"ab"), (u32::MAX - 1, b"01"), (2, b"cd")],
            &cfg,
        );
        assert_eq!(out, b"01abcd");
    }

    #[test]
    fn first_wins_over_in_order_overlap() {
        let cfg = StreamConfig::default();
        let mut s = Stream::default();
        s.on_syn(0);
        // "XY" queued at offsets 2..4 first; then in-order "abcdef" 0..6
        let (out, gaps) = collect(&mut s, &[(3, b"XY"), (1, b"abcdef")], &cfg);
        assert_eq!(out, b"abXYef");
        assert_eq!(gaps, 0);
    }

    #[test]
    fn gap_to_skips_a_known_loss() {
        let cfg = StreamConfig::default();
        let mut mem = MemBudget::new(1 << 20);
        let mut s = Stream::default();
        s.on_syn(0);
        let mut out = Vec::new();
        let mut gaps = 0;
        let mut sink = |c: Chunk<'_>| match c {
            Chunk::Data(b, _) => out.extend_from_slice(b),
            Chunk::Gap(n) => gaps += n,
        };
        s.on_segment(1, b"ab", 1, &cfg, &mut mem, &mut sink);
        assert!(!s.acks_unseen(3));
        assert!(s.acks_unseen(10));
        s.gap_to(8, &cfg, &mut mem, &mut sink);
        s.on_segment(8, b"xy", 2, &cfg, &mut mem, &mut sink);
        assert_eq!(out, b"abxy");
        assert_eq!(gaps, 5);
        assert_eq!(s.queued_bytes(), 0);
    }

    #[test]
    fn queued_bytes_keep_their_packet_number() {
        let cfg = StreamConfig::default();
        let mut mem = MemBudget::new(1 << 20);
        let mut s = Stream::default();
        s.on_syn(0);
        let mut got: Vec<(Vec<u8>, u64)> = Vec::new();
        let mut sink = |c: Chunk<'_>| {
            if let Chunk::Data(b, p) = c {
                got.push((b.to_vec(), p))
            }
        };
        // packet 1: "ab" at offset 0, in order
        s.on_segment(1, b"ab", 1, &cfg, &mut mem, &mut sink);
        // packet 2: "ef" at offset 4, behind a hole (offsets 2..4)
        s.on_segment(5, b"ef", 2, &cfg, &mut mem, &mut sink);
        // packet 3: "cd" fills the hole; "ef" still belongs to packet 2
        s.on_segment(3, b"cd", 3, &cfg, &mut mem, &mut sink);
        // packet 4: "hi" behind a hole that packet 5 (the peer's ACK) gives up
        s.on_segment(9, b"hi", 4, &cfg, &mut mem, &mut sink);
        s.on_peer_ack(11, &cfg, &mut mem, &mut sink);
        assert_eq!(
            got,
            vec![
                (b"ab".to_vec(), 1),
                (b"cd".to_vec(), 3),
                (b"ef".to_vec(), 2),
                (b"hi".to_vec(), 4)
            ]
        );
    }

    #[test]
    fn depth_limit() {
        let cfg = StreamConfig {
            depth: 4,
            ..StreamConfig::default()
        };
        let mut s = Stream::default();
        s.on_syn(0);
        let (out, _) = collect(&mut s, &[(1, b"abc"), (4, b"defg"), (8, b"hij")], &cfg);
        assert_eq!(out, b"abcd");
        assert!(s.depth_reached);
    }

    #[test]
    fn hostile_holes_stay_bounded() {
        let cfg = StreamConfig::default();
        let mut s = Stream::default();
        s.on_syn(0);
        let mut mem = MemBudget::new(1 << 20);
        let junk = [0x41u8; 1000];
        // endless holes: every other kilobyte, far ahead
        for i in 0..100_000u32 {
            let seq = 1 + 2000 * (i + 1);
            s.on_segment(seq, &junk, i as u64, &cfg, &mut mem, &mut |_| {});
            assert!(s.queued_bytes() <= cfg.max_ooo_bytes + junk.len());
            assert!(mem.used <= mem.cap);
        }
    }

    /// Tiny deterministic PRNG for the property test.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n.max(1)
        }
    }

    /// Property: any segmentation, any order, any duplication (with the
    /// same bytes) yields exactly the original stream, without gaps.
    #[test]
    fn property_any_segmentation_order_duplication() {
        let cfg = StreamConfig {
            depth: 0,
            max_ooo_bytes: 1 << 20,
            max_ooo_segments: 100_000,
        };
        let mut rng = Rng(0x9e3779b97f4a7c15);
        for case in 0..500 {
            let len = 1 + rng.below(3000) as usize;
            let data: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            let isn = rng.next() as u32; // includes wrap cases
                                         // segments
            let mut segs: Vec<(usize, usize)> = Vec::new();
            let mut pos = 0;
            while pos < len {
                let n = 1 + rng.below(200) as usize;
                let e = (pos + n).min(len);
                segs.push((pos, e));
                pos = e;
            }
            // duplicates and overlapping re-segmentations
            let extra = rng.below(segs.len() as u64 + 1);
            for _ in 0..extra {
                let a = rng.below(len as u64) as usize;
                let b = (a + 1 + rng.below(300) as usize).min(len);
                segs.push((a, b));
            }
            // shuffle, but the first byte's segment must not be lost:
            for i in (1..segs.len()).rev() {
                let j = rng.below(i as u64 + 1) as usize;
                segs.swap(i, j);
            }
            let mut s = Stream::default();
            s.on_syn(isn.wrapping_sub(1));
            let mut mem = MemBudget::new(1 << 30);
            let mut out = Vec::new();
            let mut gaps = 0u64;
            for &(a, b) in &segs {
                let seq = isn.wrapping_add(a as u32);
                s.on_segment(seq, &data[a..b], 0, &cfg, &mut mem, &mut |c| match c {
                    Chunk::Data(d, _) => out.extend_from_slice(d),
                    Chunk::Gap(n) => gaps += n,
                });
            }
            s.flush(&cfg, &mut mem, &mut |c| match c {
                Chunk::Data(d, _) => out.extend_from_slice(d),
                Chunk::Gap(n) => gaps += n,
            });
            assert_eq!(gaps, 0, "case {case}");
            assert_eq!(out, data, "case {case}");
            assert_eq!(mem.used, 0);
        }
    }
}
