//! `--threads N`: N threads, each reading, scanning and working.
//!
//! Every thread (an *agent*) owns a [`Worker`] with the flows whose
//! address pair hashes to it. The input is cut into *units*,
//! claimed in order by whichever agent is free: a part of a classic pcap
//! file ([`PcapParts`], read with positioned reads, so the copies out of
//! the page cache run in parallel), or a whole other input (pcapng, gzip,
//! stdin), read as a stream. A unit's records are found, and published,
//! only by the holder of the *token*, which goes from unit to unit in
//! input order: the agent that claimed a unit reads its bytes at once, then
//! waits for the token (working meanwhile), scans its part from the
//! cursor the unit before left, hashes each packet to its agent, and sends
//! the chunk to every agent's inbox, its own included. As chunks enter all
//! inboxes in input order, each agent works through its share of every
//! chunk in input order, and its flow clock runs on all of them.
//!
//! Waits: for the token (an agent keeps working through its inbox while it
//! waits, and is woken by a message) and for inbox messages; nothing else
//! locks on the packet path.

use crate::summary::Summary;
use crate::worker::{Worker, WorkerTotals};
use crate::{app::Registry, eve::EveOut, AnalyzeOptions, EngineConfig};
use reefwatch_capture::parts::{PartBuf, PartCursor, PcapParts};
use reefwatch_capture::{CaptureError, CaptureReader, Chunk};
use reefwatch_decode::{fast_ethernet_ipv4, FastHdr};
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender, TryRecvError};
use std::sync::{Arc, Mutex};

/// A chunk with each agent's packets in it.
struct Published {
    chunk: Chunk,
    /// packet number of its first packet (over all inputs)
    first: u64,
    shares: Vec<Vec<u32>>,
    /// with detection only, each frame's header as the fast decoder reads
    /// it, decoded here while the bytes are in this thread's cache: the
    /// agent a packet goes to then touches its bytes only if its flow needs
    /// more than counting
    pre: Option<Vec<Option<FastHdr>>>,
}

enum Msg {
    Chunk(Arc<Published>),
    /// the token may have come to this agent's unit
    Token,
    /// nothing more will be published
    End,
}

/// An input, as opened by the agent that claimed its first unit.
enum Source {
    Parts(PcapParts),
    Stream(Mutex<Option<Box<CaptureReader>>>),
    /// could not be opened: the error is noted when the token gets here
    Failed(Mutex<Option<CaptureError>>),
}

/// One unit of input.
struct Unit {
    /// position in input order
    seq: u64,
    src: Arc<Source>,
    /// part number (parts), 0 otherwise
    part: u64,
    /// the last unit of its input
    last: bool,
}

/// What the token holder updates, in input order.
struct Ordered {
    /// where the next part starts (None: at the start of its file)
    cursor: Option<PartCursor>,
    /// packets published so far
    pcap_cnt: u64,
    /// bytes of finished inputs (progress bar)
    done_len: u64,
    files: u64,
    errors: Vec<CaptureError>,
}

struct Claims {
    next_file: usize,
    /// the input being cut into units, its next part and part count
    open: Option<(Arc<Source>, u64, u64)>,
    next_seq: u64,
    /// which agent holds the claimed units not yet scanned: (seq, agent)
    holders: VecDeque<(u64, usize)>,
}

/// Chunks an agent's inbox may hold before the others stop claiming units
/// (memory stays bounded however slow one agent is).
const BACKLOG: usize = 8;

struct Shared {
    files: Vec<PathBuf>,
    /// datagram key -> inner pair hash of tunnelled fragments in flight
    tunnel_frags: Mutex<std::collections::HashMap<u64, u64>>,
    /// transactions are parsed (else: headers are decoded ahead)
    parses: bool,
    read_part: u64,
    inboxes: Vec<Sender<Msg>>,
    /// chunks in each agent's inbox
    backlog: Vec<AtomicUsize>,
    /// seq of the unit whose turn it is; u64::MAX when stopped
    token: AtomicU64,
    claims: Mutex<Claims>,
    ordered: Mutex<Ordered>,
    bar: Option<indicatif::ProgressBar>,
}

/// Run `opts` on `threads` (≥ 2) agents; the caller's thread is agent 0.
pub(crate) fn run(
    opts: &AnalyzeOptions,
    reg: Arc<Registry>,
    files: Vec<PathBuf>,
    threads: usize,
    live: bool,
    bar: Option<indicatif::ProgressBar>,
    summary: &mut Summary,
) {
    // the limits are for the whole run: each agent has its share
    let cfg = EngineConfig {
        reassembly_memcap: opts.engine.reassembly_memcap / threads,
        flow: reefwatch_flow::FlowConfig {
            max_flows: (opts.engine.flow.max_flows / threads).max(1),
            ..opts.engine.flow
        },
        ..opts.engine
    };
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..threads).map(|_| channel::<Msg>()).unzip();
    let shared = Arc::new(Shared {
        files,
        tunnel_frags: Mutex::new(std::collections::HashMap::new()),
        parses: opts.engine.app_layer.parses(
            opts.eve.is_some(),
            opts.intel.is_some() || opts.rules.is_some(),
        ),
        read_part: opts.engine.read_part,
        inboxes: txs,
        backlog: (0..threads).map(|_| AtomicUsize::new(0)).collect(),
        token: AtomicU64::new(0),
        claims: Mutex::new(Claims {
            next_file: 0,
            open: None,
            next_seq: 0,
            holders: VecDeque::new(),
        }),
        ordered: Mutex::new(Ordered {
            cursor: None,
            pcap_cnt: 0,
            done_len: 0,
            files: 0,
            errors: Vec::new(),
        }),
        bar,
    });
    if shared.files.is_empty() {
        for tx in &shared.inboxes {
            let _ = tx.send(Msg::End);
        }
    }
    let mut handles = Vec::new();
    let mut rxs = rxs.into_iter();
    let rx0 = rxs.next().expect("threads >= 2");
    for (me, rx) in rxs.enumerate() {
        let sh = shared.clone();
        let w = Worker::with_intel(
            reg.clone(),
            EveOut::new(opts.eve.clone()).live(live),
            cfg,
            opts.intel.clone(),
        )
        .with_rules(opts.rules.clone());
        handles.push(std::thread::spawn(move || agent(&sh, me + 1, rx, w)));
    }
    let w0 = Worker::with_intel(
        reg,
        EveOut::new(opts.eve.clone()).live(live),
        cfg,
        opts.intel.clone(),
    )
    .with_rules(opts.rules.clone());
    // agent 0 runs on the caller's thread: a panic there is reported as
    // one in any other
    let a0 = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| agent(&shared, 0, rx0, w0)));
    let mut results = vec![a0];
    results.extend(handles.into_iter().map(|h| h.join()));
    {
        let o = shared.ordered.lock().unwrap_or_else(|e| e.into_inner());
        summary.files += o.files;
        for e in &o.errors {
            summary.note_error(e);
        }
    }
    for r in results {
        match r {
            Ok(t) => summary.add_worker(t),
            Err(_) => summary.errors.push("a worker thread panicked".to_string()),
        }
    }
}

/// If an agent panics, stop the others instead of leaving them waiting.
struct StopOnPanic<'a>(&'a Shared);

impl Drop for StopOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.token.store(u64::MAX, Ordering::Release);
            for tx in &self.0.inboxes {
                let _ = tx.send(Msg::End);
            }
        }
    }
}

/// One agent's loop: claim and read a unit, work through the inbox until
/// the token comes, scan and publish the unit; at the end work through
/// the inbox to `End`.
fn agent(sh: &Shared, me: usize, rx: Receiver<Msg>, mut w: Worker) -> WorkerTotals {
    let _guard = StopOnPanic(sh);
    let mut pending: Option<(Unit, Option<PartBuf>)> = None;
    let mut claims_over = false;
    // chunks this agent published (their buffers come back when every
    // agent is done with them) and buffers ready for reuse
    let mut held: VecDeque<Arc<Published>> = VecDeque::new();
    let mut free: Vec<Vec<u8>> = Vec::new();
    loop {
        if stopped(sh) {
            break;
        }
        // first its turn (the others wait for it), then its inbox (what is
        // there was read last and is still in cache), then reading ahead
        if let Some((u, _)) = &pending {
            if sh.token.load(Ordering::Acquire) == u.seq {
                let (u, buf) = pending.take().expect("pending");
                take_turn(sh, me, &mut w, &rx, u, buf, &mut held, &mut free);
                continue;
            }
        }
        let msg = match rx.try_recv() {
            Ok(m) => Some(m),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => break,
        };
        let msg = match msg {
            Some(m) => m,
            None if pending.is_none() && !claims_over && may_claim(sh) => {
                match claim(sh, me) {
                    Some(u) => {
                        reclaim(&mut held, &mut free);
                        let buf = match &*u.src {
                            Source::Parts(p) => {
                                Some(p.read(u.part, free.pop().unwrap_or_default()))
                            }
                            _ => None,
                        };
                        pending = Some((u, buf));
                    }
                    None => claims_over = true,
                }
                continue;
            }
            // nothing to do until a message comes
            None => match rx.recv() {
                Ok(m) => m,
                Err(_) => break,
            },
        };
        match msg {
            Msg::Chunk(p) => work(sh, me, &mut w, &p),
            Msg::Token => {}
            Msg::End => break,
        }
    }
    w.finish()
}

/// An agent panicked: the others stop.
fn stopped(sh: &Shared) -> bool {
    sh.token.load(Ordering::Acquire) == u64::MAX
}

/// Whether no agent's inbox is so full that reading on would only pile up
/// chunks.
fn may_claim(sh: &Shared) -> bool {
    sh.backlog
        .iter()
        .all(|b| b.load(Ordering::Acquire) <= BACKLOG)
}

/// This agent's share of a chunk; when its inbox gets back to the limit,
/// the others (which may have stopped claiming) are woken.
fn work(sh: &Shared, me: usize, w: &mut Worker, p: &Published) {
    w.process_chunk(&p.chunk, p.first, &p.shares[me], p.pre.as_deref());
    if sh.backlog[me].fetch_sub(1, Ordering::AcqRel) == BACKLOG + 1 {
        for (a, tx) in sh.inboxes.iter().enumerate() {
            if a != me {
                let _ = tx.send(Msg::Token);
            }
        }
    }
}

/// Buffers of published chunks every agent has dropped.
fn reclaim(held: &mut VecDeque<Arc<Published>>, free: &mut Vec<Vec<u8>>) {
    while held.front().is_some_and(|c| Arc::strong_count(c) == 1) {
        if let Some(p) = held.pop_front().and_then(|c| Arc::try_unwrap(c).ok()) {
            free.push(p.chunk.into_buffer());
        }
    }
    // the one freed last is reused first; a few are kept
    if free.len() > 4 {
        free.drain(..free.len() - 4);
    }
}

/// The next unit in input order, opening the next input as needed; None
/// when every input has been claimed.
fn claim(sh: &Shared, me: usize) -> Option<Unit> {
    let mut c = sh.claims.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        if let Some((src, next, parts)) = &mut c.open {
            if *next < *parts {
                let unit = Unit {
                    seq: 0,
                    src: src.clone(),
                    part: *next,
                    last: *next + 1 == *parts,
                };
                *next += 1;
                if unit.last {
                    c.open = None;
                }
                let seq = c.next_seq;
                c.next_seq += 1;
                c.holders.push_back((seq, me));
                return Some(Unit { seq, ..unit });
            }
            c.open = None;
        }
        let path = sh.files.get(c.next_file)?.clone();
        c.next_file += 1;
        let (src, parts) = match CaptureReader::open(&path) {
            Err(e) => (Source::Failed(Mutex::new(Some(e))), 1),
            Ok(r) => match PcapParts::from_reader(r, &path) {
                // a file with only its header is one (empty) unit
                Ok(p) => {
                    let p = p.with_part_len(sh.read_part, reefwatch_capture::parts::SLACK);
                    let n = p.parts().max(1);
                    (Source::Parts(p), n)
                }
                Err(r) => (Source::Stream(Mutex::new(Some(r))), 1),
            },
        };
        c.open = Some((Arc::new(src), 0, parts));
    }
}

/// The hash every fragment of a tunnelled datagram goes by: its inner pair,
/// which only the first fragment shows (remembered until the last; the
/// decoder keys the reassembled packet's flow by it). None when unknown
/// (fragments before the first, or no tunnel in it): the outer pair then.
fn tunnel_fragment_hash(sh: &Shared, f: reefwatch_decode::TunnelFragment) -> Option<u64> {
    let mut m = sh.tunnel_frags.lock().unwrap_or_else(|e| e.into_inner());
    let h = match f.inner {
        Some(h) => {
            if !f.last {
                if m.len() >= 1 << 16 {
                    m.clear();
                }
                m.insert(f.key, h);
            }
            Some(h)
        }
        None => m.get(&f.key).copied(),
    };
    if f.last && !f.first {
        m.remove(&f.key);
    }
    h
}

/// The agent (of `n`) a packet with this address pair hash goes to: from
/// the hash's high bits (its low bits depend little on the higher address).
#[inline]
fn agent_of(h: u64, n: usize) -> usize {
    ((h as u128 * n as u128) >> 64) as usize
}

/// Send a chunk to every agent (this one included), in input order.
fn publish(sh: &Shared, chunk: Chunk, held: &mut VecDeque<Arc<Published>>) {
    if chunk.is_empty() {
        return;
    }
    let first = {
        let mut o = sh.ordered.lock().unwrap_or_else(|e| e.into_inner());
        let first = o.pcap_cnt + 1;
        o.pcap_cnt += chunk.len() as u64;
        first
    };
    let n = sh.inboxes.len();
    let mut shares: Vec<Vec<u32>> = (0..n)
        .map(|_| Vec::with_capacity(chunk.len() / n + 8))
        .collect();
    let mut pre = (!sh.parses).then(|| Vec::with_capacity(chunk.len()));
    for i in 0..chunk.len() {
        let p = chunk.get(i);
        // with detection only, the common frame is decoded once, for its
        // hash and its header (when transactions are parsed the agent
        // decodes it anyway: only the hash is taken here)
        let fast = (pre.is_some() && p.linktype == reefwatch_decode::linktype::ETHERNET)
            .then(|| fast_ethernet_ipv4(p.data))
            .flatten()
            .map(|v| v.hdr);
        let h = match fast {
            Some(f) => reefwatch_decode::v4_pair_hash(f.src, f.dst),
            None => {
                let h = reefwatch_decode::address_pair_hash(p.linktype, p.data);
                reefwatch_decode::tunnel_fragment(p.linktype, p.data)
                    .and_then(|f| tunnel_fragment_hash(sh, f))
                    .unwrap_or(h)
            }
        };
        shares[agent_of(h, n)].push(i as u32);
        if let Some(pre) = pre.as_mut() {
            pre.push(fast);
        }
    }
    let p = Arc::new(Published {
        chunk,
        first,
        shares,
        pre,
    });
    for (tx, b) in sh.inboxes.iter().zip(&sh.backlog) {
        b.fetch_add(1, Ordering::AcqRel);
        if tx.send(Msg::Chunk(p.clone())).is_err() {
            // that agent has stopped (a panic): nothing waits on it
            b.fetch_sub(1, Ordering::AcqRel);
        }
    }
    held.push_back(p);
}

/// This agent holds the token for `u`: scan (or read) it, publish, and
/// pass the token on.
#[allow(clippy::too_many_arguments)]
fn take_turn(
    sh: &Shared,
    me: usize,
    w: &mut Worker,
    rx: &Receiver<Msg>,
    u: Unit,
    buf: Option<PartBuf>,
    held: &mut VecDeque<Arc<Published>>,
    free: &mut Vec<Vec<u8>>,
) {
    let mut input_len = 0;
    match (&*u.src, buf) {
        (Source::Parts(p), Some(b)) => {
            let cur = {
                let o = sh.ordered.lock().unwrap_or_else(|e| e.into_inner());
                o.cursor.unwrap_or_else(|| p.start())
            };
            let (chunk, next, err) = p.scan(b, cur);
            publish(sh, chunk, held);
            let mut o = sh.ordered.lock().unwrap_or_else(|e| e.into_inner());
            if u.part == 0 {
                o.files += 1;
            }
            o.errors.extend(err);
            o.cursor = (!u.last).then_some(next);
            if let Some(bar) = &sh.bar {
                bar.set_position(o.done_len + next.offset.min(p.file_len()));
            }
            input_len = p.file_len();
        }
        (Source::Stream(r), _) => {
            let taken = r.lock().unwrap_or_else(|e| e.into_inner()).take();
            if let Some(mut rd) = taken {
                sh.ordered.lock().unwrap_or_else(|e| e.into_inner()).files += 1;
                loop {
                    reclaim(held, free);
                    match rd.next_chunk(free.pop().unwrap_or_default()) {
                        Ok(Some(c)) => {
                            publish(sh, c, held);
                            // keep this agent's own inbox short while it
                            // reads, and wait while another's is full (it
                            // wakes this one when it is not)
                            while let Ok(m) = rx.try_recv() {
                                match m {
                                    Msg::Chunk(p) => work(sh, me, w, &p),
                                    Msg::Token => {}
                                    Msg::End => break,
                                }
                            }
                            while !may_claim(sh) && !stopped(sh) {
                                match rx.recv() {
                                    Ok(Msg::Chunk(p)) => work(sh, me, w, &p),
                                    Ok(Msg::Token) => {}
                                    Ok(Msg::End) | Err(_) => break,
                                }
                            }
                            if stopped(sh) {
                                break;
                            }
                            if let Some(bar) = &sh.bar {
                                let o = sh.ordered.lock().unwrap_or_else(|e| e.into_inner());
                                bar.set_position(o.done_len + rd.input_position());
                            }
                        }
                        Ok(None) => break,
                        Err(e) => {
                            sh.ordered
                                .lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .errors
                                .push(e);
                            break;
                        }
                    }
                }
                input_len = rd.input_len().unwrap_or(0);
            }
        }
        (Source::Failed(e), _) => {
            if let Some(e) = e.lock().unwrap_or_else(|e| e.into_inner()).take() {
                sh.ordered
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .errors
                    .push(e);
            }
        }
        (Source::Parts(_), None) => unreachable!("a part is read when claimed"),
    }
    if u.last {
        let mut o = sh.ordered.lock().unwrap_or_else(|e| e.into_inner());
        o.done_len += input_len;
        o.cursor = None;
    }
    pass_token(sh, u.seq);
}

/// The token goes to unit `seq + 1` (or, after the last input, every agent
/// is told that nothing more comes).
fn pass_token(sh: &Shared, seq: u64) {
    let mut c = sh.claims.lock().unwrap_or_else(|e| e.into_inner());
    while c.holders.front().is_some_and(|&(s, _)| s <= seq) {
        c.holders.pop_front();
    }
    // (not over a stop)
    if sh
        .token
        .compare_exchange(seq, seq + 1, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        return;
    }
    let all_claimed = c.open.is_none() && c.next_file >= sh.files.len();
    match c.holders.front() {
        Some(&(s, agent)) if s == seq + 1 => {
            let _ = sh.inboxes[agent].send(Msg::Token);
        }
        None if all_claimed && c.next_seq == seq + 1 => {
            for tx in &sh.inboxes {
                let _ = tx.send(Msg::End);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::agent_of;
    use reefwatch_decode::{address_pair_hash, linktype};

    /// Many clients of one server spread evenly over 2, 3, 4 and 8 agents
    /// (with the hash's low bits, 4 agents got 66 / 65 / 65341 / 64).
    #[test]
    fn one_server_many_clients_spread_evenly() {
        let frame = |x: u8, y: u8| {
            // ethernet (IPv4), ipv4 10.0.x.y -> 10.1.0.1 TCP, tcp header
            let mut f = vec![0u8; 12];
            f.extend_from_slice(&[0x08, 0x00]);
            f.extend_from_slice(&[0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0]);
            f.extend_from_slice(&[10, 0, x, y, 10, 1, 0, 1]);
            f.extend_from_slice(&[
                0xc3, 0x50, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0x20, 0, 0, 0, 0, 0,
            ]);
            f
        };
        for n in [2usize, 3, 4, 8] {
            let mut count = vec![0usize; n];
            for x in 0..=255u8 {
                for y in 0..=255u8 {
                    count[agent_of(address_pair_hash(linktype::ETHERNET, &frame(x, y)), n)] += 1;
                }
            }
            let even = 65_536 / n;
            assert!(
                count
                    .iter()
                    .all(|&c| c > even * 9 / 10 && c < even * 11 / 10),
                "{n} agents: {count:?}"
            );
        }
    }
}
