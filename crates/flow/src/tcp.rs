//! TCP connection tracking: handshake, FIN/RST, midstream pickup, and the
//! two reassembly streams.

use crate::dir::Direction;
use crate::stream::{Chunk, MemBudget, Stream, StreamConfig};

pub const FIN: u8 = 0x01;
pub const SYN: u8 = 0x02;
pub const RST: u8 = 0x04;
pub const ACK: u8 = 0x10;

/// Connection state, named as Suricata's `tcp.state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TcpState {
    #[default]
    None,
    SynSent,
    SynRecv,
    Established,
    FinWait1,
    FinWait2,
    TimeWait,
    CloseWait,
    LastAck,
    Closed,
}

impl TcpState {
    pub fn name(self) -> &'static str {
        match self {
            TcpState::None => "none",
            TcpState::SynSent => "syn_sent",
            TcpState::SynRecv => "syn_recv",
            TcpState::Established => "established",
            TcpState::FinWait1 => "fin_wait1",
            TcpState::FinWait2 => "fin_wait2",
            TcpState::TimeWait => "time_wait",
            TcpState::CloseWait => "close_wait",
            TcpState::LastAck => "last_ack",
            TcpState::Closed => "closed",
        }
    }
}

/// Per-flow TCP tracking. Index 0 = to server, 1 = to client.
/// `repr(C)`: the connection state (8 bytes) comes first, so a flow
/// record can keep it in its hot cache lines (see `Flow`). The two
/// reassembly streams live in one allocation made at the first SYN or
/// payload and dropped by [`release`](Self::release): a flow record stays
/// small (its memory is touched for every flow), and a flow that carries
/// no data or whose bytes nobody wants holds none.
#[derive(Debug, Default)]
#[repr(C)]
pub struct TcpTrack {
    pub state: TcpState,
    /// OR of flags seen per direction
    pub flags: [u8; 2],
    pub fin: [bool; 2],
    pub rst: bool,
    /// the flow was picked up without seeing the handshake
    pub midstream: bool,
    /// the capture lost segments of this flow (an ACK covered unseen data)
    pub lossy: bool,
    /// gaps per direction of streams already released
    released_gaps: [u32; 2],
    streams: Option<Box<[Stream; 2]>>,
    /// segments held back because they acknowledge peer bytes the capture
    /// has not shown yet (see [`Held`])
    held: Option<Box<Held>>,
}

/// Bounds on [`Held`]: segments, bytes, and later packets of the flow
/// waited for the peer's bytes before they are taken as lost.
const HOLD_SEGMENTS: usize = 16;
const HOLD_BYTES: usize = 64 << 10;
const HOLD_PACKETS: u32 = 16;

/// Data segments of one direction that acknowledge bytes of the other
/// direction not seen yet. A capture taken from a mirror port or two taps
/// often shows a response a moment before the request it answers; handed
/// to the parser in capture order, the response has no request and every
/// later response pairs with the request before its own. Such segments
/// wait (copied, within the flow's reassembly budget) until the peer's
/// bytes they acknowledge arrive, then go to the parser after them; if
/// those bytes do not come within [`HOLD_PACKETS`] packets of the flow,
/// or the hold is full, they were lost: the segments are delivered as
/// before, the flow marked lossy.
#[derive(Debug)]
struct Held {
    dir: Direction,
    /// the highest acknowledgement among the held segments
    ack: u32,
    waited: u32,
    bytes: usize,
    segs: Vec<HeldSeg>,
}

/// One segment as [`TcpTrack::on_segment`] takes it.
#[derive(Clone, Copy)]
struct Seg<'p> {
    dir: Direction,
    seq: u32,
    ack: u32,
    flags: u8,
    payload: &'p [u8],
    pkt: u64,
}

/// What reassembly writes to: limits, the worker's budget, the parser.
struct Io<'a> {
    cfg: &'a StreamConfig,
    mem: &'a mut MemBudget,
    out: &'a mut dyn FnMut(Direction, Chunk<'_>),
}

#[derive(Debug)]
struct HeldSeg {
    seq: u32,
    ack: u32,
    flags: u8,
    pkt: u64,
    data: Vec<u8>,
}

impl TcpTrack {
    /// Update state with one segment in direction `dir` (0/1), carried by
    /// packet number `pkt`, and feed its payload to that direction's
    /// stream. `out` receives in-order chunks.
    #[allow(clippy::too_many_arguments)]
    pub fn on_segment(
        &mut self,
        dir: Direction,
        seq: u32,
        ack: u32,
        flags: u8,
        payload: &[u8],
        pkt: u64,
        cfg: &StreamConfig,
        mem: &mut MemBudget,
        out: &mut dyn FnMut(Direction, Chunk<'_>),
    ) {
        self.flags[dir] |= flags;
        if flags & SYN != 0 {
            self.streams_mut()[dir].on_syn(seq);
        }
        self.advance_state(dir, flags);
        let seg = Seg {
            dir,
            seq,
            ack,
            flags,
            payload,
            pkt,
        };
        let io = &mut Io { cfg, mem, out };
        if self.held.is_some() {
            self.on_segment_while_held(seg, io);
        } else if !(self.should_hold(&seg) && self.hold(&seg, io.mem)) {
            self.feed(seg, io);
        }
    }

    /// Whether a data segment acknowledges bytes of the peer that the
    /// capture has not shown (yet), on a flow not known to be lossy.
    fn should_hold(&self, s: &Seg<'_>) -> bool {
        !s.payload.is_empty()
            && s.flags & (ACK | SYN | RST) == ACK
            && !self.lossy
            && self.streams.as_ref().is_some_and(|st| {
                let peer = &st[s.dir.flip()];
                peer.is_started() && peer.acks_unseen(s.ack)
            })
    }

    /// Hold a segment back (see [`Held`]); false when the hold is full or
    /// the budget refuses the copy.
    fn hold(&mut self, s: &Seg<'_>, mem: &mut MemBudget) -> bool {
        let h = self.held.get_or_insert_with(|| {
            Box::new(Held {
                dir: s.dir,
                ack: s.ack,
                waited: 0,
                bytes: 0,
                segs: Vec::new(),
            })
        });
        if h.dir != s.dir
            || h.segs.len() >= HOLD_SEGMENTS
            || h.bytes + s.payload.len() > HOLD_BYTES
            || !mem.take(s.payload.len())
        {
            if h.segs.is_empty() {
                self.held = None;
            }
            return false;
        }
        if s.ack.wrapping_sub(h.ack) as i32 > 0 {
            h.ack = s.ack;
        }
        h.bytes += s.payload.len();
        h.segs.push(HeldSeg {
            seq: s.seq,
            ack: s.ack,
            flags: s.flags,
            pkt: s.pkt,
            data: s.payload.to_vec(),
        });
        true
    }

    /// A segment of a flow with held segments: the peer's bytes it brings
    /// may release them; one of the held direction joins them; any other
    /// counts towards the wait.
    fn on_segment_while_held(&mut self, s: Seg<'_>, io: &mut Io<'_>) {
        let Some((held_dir, held_ack)) = self.held.as_ref().map(|h| (h.dir, h.ack)) else {
            return self.feed(s, io);
        };
        let ends = s.flags & (FIN | RST | SYN) != 0;
        if s.dir == held_dir {
            // behind the held ones, in order; FIN and RST release the hold
            if !ends && (s.payload.is_empty() || self.hold(&s, io.mem)) {
                return self.count_wait(io);
            }
            self.release_held(true, io);
            return self.feed(s, io);
        }
        // the peer's bytes arrive with a hole before them: a loss, not a
        // reordering; the held segments go first, as captured
        let hole = !s.payload.is_empty()
            && self
                .streams
                .as_ref()
                .is_some_and(|st| !st[s.dir].continues_at(s.seq));
        if hole || ends {
            self.release_held(true, io);
            return self.feed(s, io);
        }
        self.feed(s, io);
        let arrived = self
            .streams
            .as_ref()
            .is_none_or(|st| st[s.dir].delivered_to(held_ack));
        if arrived {
            self.release_held(false, io);
        } else {
            self.count_wait(io);
        }
    }

    fn count_wait(&mut self, io: &mut Io<'_>) {
        if let Some(h) = self.held.as_mut() {
            h.waited += 1;
            if h.waited >= HOLD_PACKETS {
                self.release_held(true, io);
            }
        }
    }

    /// Deliver the held segments in their order; `lost`: the peer's bytes
    /// they acknowledge did not come (the capture lost them).
    fn release_held(&mut self, lost: bool, io: &mut Io<'_>) {
        let Some(h) = self.held.take() else {
            return;
        };
        if lost {
            self.lossy = true;
        }
        for s in h.segs {
            io.mem.give(s.data.len());
            let seg = Seg {
                dir: h.dir,
                seq: s.seq,
                ack: s.ack,
                flags: s.flags,
                payload: &s.data,
                pkt: s.pkt,
            };
            self.feed(seg, io);
        }
    }

    /// Reassembly of one segment whose flags are already accounted.
    fn feed(&mut self, s: Seg<'_>, io: &mut Io<'_>) {
        let Seg {
            dir,
            seq,
            ack,
            flags,
            payload,
            pkt,
        } = s;
        let cfg = io.cfg;
        let mem = &mut *io.mem;
        let out = &mut *io.out;
        if !payload.is_empty() {
            if self.state == TcpState::None {
                self.midstream = true;
                self.state = TcpState::Established;
            }
            // SYN may carry data (TFO): it starts at seq+1
            let dseq = if flags & SYN != 0 {
                seq.wrapping_add(1)
            } else {
                seq
            };
            // This segment acknowledges peer data the capture never showed:
            // the capture is lossy here, so a hole before this segment is a
            // loss too. Deliver now rather than wait for an ACK that would
            // attribute this data to a later packet.
            // Once the capture has lost data of this flow (a gap was given
            // up), later holes are treated as losses at once too.
            let streams = self.streams.get_or_insert_with(Default::default);
            if (flags & ACK != 0 && streams[dir.flip()].acks_unseen(ack))
                || streams[0].gaps > 0
                || streams[1].gaps > 0
            {
                self.lossy = true;
            }
            if self.lossy {
                streams[dir].gap_to(dseq, cfg, mem, &mut |c| out(dir, c));
            }
            streams[dir].on_segment(dseq, payload, pkt, cfg, mem, &mut |c| out(dir, c));
        }
        // a stream not allocated yet is a default one: nothing queued, so
        // a peer's ACK has nothing to act on
        if let (true, Some(streams)) = (flags & ACK != 0, self.streams.as_mut()) {
            let other = dir.flip();
            streams[other].on_peer_ack(ack, cfg, mem, &mut |c| out(other, c));
        }
    }

    fn streams_mut(&mut self) -> &mut [Stream; 2] {
        self.streams.get_or_insert_with(Default::default)
    }

    /// Gaps the stream of direction `dir` reported (released or not).
    pub fn gaps(&self, dir: Direction) -> u32 {
        match &self.streams {
            Some(s) => s[dir].gaps,
            None => self.released_gaps[dir],
        }
    }

    /// Stream bytes delivered in direction `dir` so far (0 once the
    /// streams are released).
    pub fn delivered(&self, dir: Direction) -> u64 {
        self.streams.as_ref().map_or(0, |s| s[dir].delivered())
    }

    /// The sequence number of the next byte reassembly will deliver in
    /// direction `dir`: what a peer's ACK must reach to acknowledge all
    /// delivered bytes (`None` before the stream start is known).
    pub fn next_seq(&self, dir: Direction) -> Option<u32> {
        self.streams.as_ref().and_then(|s| s[dir].next_seq())
    }

    /// [`on_segment`](Self::on_segment) for a segment without payload
    /// while nothing is queued for reassembly (see
    /// [`has_queued`](Self::has_queued)): then a peer's ACK has nothing to
    /// release, so only flags, the stream start (SYN) and the state change.
    #[inline]
    pub fn on_segment_no_payload(&mut self, dir: Direction, seq: u32, flags: u8) {
        debug_assert!(!self.has_queued());
        self.flags[dir] |= flags;
        if flags & SYN != 0 {
            self.streams_mut()[dir].on_syn(seq);
        }
        self.advance_state(dir, flags);
    }

    /// Whether either stream holds segments waiting behind a hole, or
    /// segments are held for the peer's bytes.
    pub fn has_queued(&self) -> bool {
        self.held.is_some()
            || self
                .streams
                .as_ref()
                .is_some_and(|s| s.iter().any(|x| x.has_queued()))
    }

    /// Connection state only, for a flow whose bytes nobody wants any
    /// more (its protocol is known and nothing consumes its transactions):
    /// flags, handshake, FIN/RST and midstream pickup as
    /// [`on_segment`](Self::on_segment) tracks them, without reassembly.
    /// Call [`release`](Self::release) once when switching to this.
    #[inline]
    pub fn on_segment_state_only(&mut self, dir: Direction, flags: u8, has_payload: bool) {
        self.flags[dir] |= flags;
        self.advance_state(dir, flags);
        // the state test first: it is almost always false, while whether
        // a segment carries data is a coin toss (a mispredicted branch)
        if self.state == TcpState::None && has_payload {
            self.midstream = true;
            self.state = TcpState::Established;
        }
    }

    fn advance_state(&mut self, dir: Direction, flags: u8) {
        use TcpState::*;
        if flags & RST != 0 {
            self.rst = true;
            self.state = Closed;
            return;
        }
        if flags & SYN != 0 {
            self.state = match (self.state, flags & ACK != 0) {
                (None, false) => SynSent,
                (None, true) | (SynSent, true) => SynRecv,
                (s, _) => s,
            };
            return;
        }
        if flags & FIN != 0 {
            self.fin[dir] = true;
            self.state = if self.fin[0] && self.fin[1] {
                TimeWait
            } else if dir == Direction::ToServer {
                FinWait1
            } else {
                CloseWait
            };
            return;
        }
        if flags & ACK != 0 {
            self.state = match self.state {
                SynRecv => Established,
                None => {
                    self.midstream = true;
                    Established
                }
                TimeWait if self.fin[0] && self.fin[1] => Closed,
                s => s,
            };
        }
    }

    /// Flow end: deliver what is queued behind holes.
    pub fn flush(
        &mut self,
        cfg: &StreamConfig,
        mem: &mut MemBudget,
        out: &mut dyn FnMut(Direction, Chunk<'_>),
    ) {
        self.release_held(true, &mut Io { cfg, mem, out });
        if let Some(streams) = self.streams.as_mut() {
            for (dir, s) in Direction::BOTH.into_iter().zip(streams.iter_mut()) {
                s.flush(cfg, mem, &mut |c| out(dir, c));
            }
        }
    }

    /// Give back the streams' queued memory and drop them (their gap
    /// counts are kept).
    pub fn release(&mut self, mem: &mut MemBudget) {
        if let Some(h) = self.held.take() {
            mem.give(h.bytes);
        }
        if let Some(mut streams) = self.streams.take() {
            for (dir, s) in Direction::BOTH.into_iter().zip(streams.iter_mut()) {
                s.release(mem);
                self.released_gaps[dir] = s.gaps;
            }
        }
    }

    pub fn is_closed(&self) -> bool {
        matches!(self.state, TcpState::Closed | TcpState::TimeWait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(i: usize) -> Direction {
        Direction::BOTH[i]
    }

    /// Handshake of a client at seq 100 and a server at 500; returns the
    /// order in which (direction, bytes, packet) reached the parser.
    fn replay(segs: &[(usize, u32, u32, u8, &[u8])]) -> (Vec<(usize, Vec<u8>, u64)>, TcpTrack) {
        let cfg = StreamConfig::default();
        let mut mem = MemBudget::new(1 << 20);
        let mut t = TcpTrack::default();
        let mut got = Vec::new();
        let mut sink = |d: Direction, c: Chunk<'_>| match c {
            Chunk::Data(b, pkt) => got.push((d.index(), b.to_vec(), pkt)),
            Chunk::Gap(n) => got.push((d.index(), format!("gap {n}").into_bytes(), 0)),
        };
        let hs: [(usize, u32, u32, u8, &[u8]); 3] = [
            (0, 100, 0, SYN, b""),
            (1, 500, 101, SYN | ACK, b""),
            (0, 101, 501, ACK, b""),
        ];
        for (n, &(dd, seq, ack, fl, data)) in hs.iter().chain(segs).enumerate() {
            t.on_segment(
                d(dd),
                seq,
                ack,
                fl,
                data,
                n as u64 + 1,
                &cfg,
                &mut mem,
                &mut sink,
            );
        }
        t.flush(&cfg, &mut mem, &mut sink);
        assert_eq!(mem.used, 0, "the hold gave its budget back");
        (got, t)
    }

    #[test]
    fn a_response_captured_before_its_request_reaches_the_parser_after_it() {
        // packet 5, the response, acknowledges the request (packet 6) that
        // the capture shows after it (a mirror port's reordering)
        let (got, t) = replay(&[
            (0, 101, 501, ACK, b"req1"),
            (1, 501, 105, ACK, b"resp1"),
            (1, 506, 109, ACK, b"resp2"),
            (0, 105, 506, ACK, b"req2"),
            (0, 109, 511, FIN | ACK, b""),
        ]);
        let order: Vec<_> = got.iter().map(|(d, b, p)| (*d, b.as_slice(), *p)).collect();
        assert_eq!(
            order,
            [
                (0, &b"req1"[..], 4),
                (1, &b"resp1"[..], 5),
                (0, &b"req2"[..], 7),
                // keeps its own packet number
                (1, &b"resp2"[..], 6),
            ]
        );
        assert!(!t.lossy, "a reordering is not a loss");
    }

    #[test]
    fn bytes_lost_for_good_release_the_hold_as_captured() {
        // the request acknowledged by packet 5 never comes: after the
        // bounded wait the response is delivered and the flow is lossy
        let mut segs: Vec<(usize, u32, u32, u8, &[u8])> = vec![(1, 501, 105, ACK, b"resp")];
        for _ in 0..HOLD_PACKETS {
            segs.push((0, 105, 505, ACK, b""));
        }
        let (got, t) = replay(&segs);
        assert_eq!(got, [(1, b"resp".to_vec(), 4)]);
        assert!(t.lossy);
        // both directions with holes (a capture that lost segments of each):
        // delivered in capture order, as without the hold
        let (got, t) = replay(&[(0, 113, 520, ACK, b"job"), (1, 520, 152, ACK, b"ack")]);
        let order: Vec<_> = got
            .iter()
            .map(|(d, b, _)| (*d, String::from_utf8_lossy(b).into_owned()))
            .collect();
        assert_eq!(
            order,
            [
                (0, "gap 12".to_string()),
                (0, "job".to_string()),
                (1, "gap 19".to_string()),
                (1, "ack".to_string()),
            ]
        );
        assert!(t.lossy);
    }

    #[test]
    fn handshake_data_fin() {
        let cfg = StreamConfig::default();
        let mut mem = MemBudget::new(1 << 20);
        let mut t = TcpTrack::default();
        let mut got: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
        let mut sink = |d: Direction, c: Chunk<'_>| {
            if let Chunk::Data(b, _) = c {
                got[d].extend_from_slice(b)
            }
        };
        t.on_segment(d(0), 100, 0, SYN, b"", 0, &cfg, &mut mem, &mut sink);
        assert_eq!(t.state, TcpState::SynSent);
        t.on_segment(d(1), 500, 101, SYN | ACK, b"", 0, &cfg, &mut mem, &mut sink);
        assert_eq!(t.state, TcpState::SynRecv);
        t.on_segment(d(0), 101, 501, ACK, b"", 0, &cfg, &mut mem, &mut sink);
        assert_eq!(t.state, TcpState::Established);
        t.on_segment(d(0), 101, 501, ACK, b"req", 0, &cfg, &mut mem, &mut sink);
        t.on_segment(d(1), 501, 104, ACK, b"resp", 0, &cfg, &mut mem, &mut sink);
        t.on_segment(d(0), 104, 505, FIN | ACK, b"", 0, &cfg, &mut mem, &mut sink);
        t.on_segment(d(1), 505, 105, FIN | ACK, b"", 0, &cfg, &mut mem, &mut sink);
        assert!(t.is_closed());
        assert!(!t.midstream);
        assert_eq!(got[0], b"req");
        assert_eq!(got[1], b"resp");
    }

    #[test]
    fn state_only_tracks_like_on_segment() {
        let cfg = StreamConfig::default();
        let mut mem = MemBudget::new(1 << 20);
        // (dir, flags, payload)
        let script: &[(usize, u8, &[u8])] = &[
            (0, SYN, b""),
            (1, SYN | ACK, b""),
            (0, ACK, b"req"),
            (1, ACK, b"resp"),
            (0, FIN | ACK, b""),
            (1, FIN | ACK, b""),
            (0, ACK, b""),
        ];
        for start in 0..script.len() {
            let (mut full, mut lite) = (TcpTrack::default(), TcpTrack::default());
            for (i, &(dd, f, p)) in script[start..].iter().enumerate() {
                let seq = 100 + i as u32;
                full.on_segment(d(dd), seq, 1, f, p, 0, &cfg, &mut mem, &mut |_, _| {});
                lite.on_segment_state_only(d(dd), f, !p.is_empty());
                assert_eq!(full.state, lite.state, "from {start}, step {i}");
                assert_eq!(full.flags, lite.flags);
                assert_eq!(full.midstream, lite.midstream);
                assert_eq!(full.fin, lite.fin);
                assert_eq!(full.rst, lite.rst);
            }
        }
    }

    #[test]
    fn no_payload_path_tracks_like_on_segment() {
        // with nothing queued, a segment without payload changes the same
        // state (and stream start) either way
        let cfg = StreamConfig::default();
        let mut mem = MemBudget::new(1 << 20);
        let script: &[(usize, u8)] = &[
            (0, SYN),
            (1, SYN | ACK),
            (0, ACK),
            (1, ACK),
            (0, FIN | ACK),
            (1, ACK),
            (1, FIN | ACK),
            (0, ACK),
            (0, RST),
        ];
        for start in 0..script.len() {
            let (mut full, mut lite) = (TcpTrack::default(), TcpTrack::default());
            for (i, &(dd, f)) in script[start..].iter().enumerate() {
                let seq = 1000 * (dd as u32 + 1) + i as u32;
                full.on_segment(d(dd), seq, 7, f, b"", 0, &cfg, &mut mem, &mut |_, _| {});
                assert!(!lite.has_queued());
                lite.on_segment_no_payload(d(dd), seq, f);
                assert_eq!(
                    format!("{full:?}"),
                    format!("{lite:?}"),
                    "from {start}, step {i}"
                );
            }
        }
        // data after the handshake is delivered the same way afterwards
        let mut t = TcpTrack::default();
        t.on_segment_no_payload(d(0), 99, SYN);
        t.on_segment_no_payload(d(1), 499, SYN | ACK);
        let mut got = Vec::new();
        t.on_segment(
            d(0),
            100,
            500,
            ACK,
            b"hi",
            0,
            &cfg,
            &mut mem,
            &mut |_, c| {
                if let Chunk::Data(b, _) = c {
                    got.extend_from_slice(b)
                }
            },
        );
        assert_eq!(got, b"hi");
        assert!(!t.midstream);
    }

    #[test]
    fn midstream_pickup() {
        let cfg = StreamConfig::default();
        let mut mem = MemBudget::new(1 << 20);
        let mut t = TcpTrack::default();
        let mut got = Vec::new();
        t.on_segment(
            d(0),
            7777,
            1,
            ACK,
            b"mid",
            0,
            &cfg,
            &mut mem,
            &mut |_, c| {
                if let Chunk::Data(b, _) = c {
                    got.extend_from_slice(b)
                }
            },
        );
        assert!(t.midstream);
        assert_eq!(t.state, TcpState::Established);
        assert_eq!(got, b"mid");
    }
}
