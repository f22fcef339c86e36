//! The reefwatch sensor engine.
//!
//! Data path: [`reefwatch_capture`] reads records → [`worker::Worker`]
//! decodes ([`reefwatch_decode`]), finds the flow and reassembles TCP
//! ([`reefwatch_flow`]), detects the protocol by content and feeds its
//! parser ([`app`]), which writes EVE through the sink ([`eve`]).
//! With several threads, the reader hashes each packet's address pair to
//! a worker, so a flow (and its fragments) always lands on one worker.

pub mod app;
pub mod eve;
pub mod intel;
pub mod summary;
pub mod worker;

use app::Registry;
use eve::{EveDest, EveOut};
use reefwatch_capture::{CaptureError, CaptureReader};
pub use reefwatch_it::config as it_config;
use std::path::PathBuf;
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::Arc;
use std::time::Instant;
pub use summary::Summary;
use worker::Worker;
pub use worker::{AppLayerMode, EngineConfig};

/// Options of one analysis run.
pub struct AnalyzeOptions {
    pub inputs: Vec<PathBuf>,
    /// EVE destination (None = no EVE).
    pub eve: Option<EveDest>,
    pub threads: usize,
    pub engine: EngineConfig,
    /// Show a progress bar (the caller decides: terminal and not quiet).
    pub progress: bool,
    /// Loaded intelligence to match (None = no matching).
    pub intel: Option<intel::SharedIntel>,
}

/// Run an analysis to the end and return its summary.
pub fn analyze(opts: AnalyzeOptions) -> Summary {
    let started = Instant::now();
    let reg = Arc::new(Registry::builtin());
    let mut summary = Summary::default();
    let (files, errors) = reefwatch_capture::expand_inputs(&opts.inputs);
    for e in errors {
        summary.note_error(&e);
    }
    let total_len: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok().map(|m| m.len()))
        .sum();
    let bar = if opts.progress && total_len > 0 {
        let b = indicatif::ProgressBar::new(total_len);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:40} {bytes}/{total_bytes} {msg} (eta {eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(b)
    } else {
        None
    };
    let threads = opts.threads.max(1);
    let mut pcap_cnt: u64 = 0;
    let mut done_len: u64 = 0;

    if threads == 1 {
        let mut w = Worker::with_intel(
            reg.clone(),
            EveOut::new(opts.eve.clone()),
            opts.engine,
            opts.intel.clone(),
        );
        for_each_input(&files, &mut summary, &mut done_len, |rd, summary, done| {
            loop {
                match rd.next_batch(reefwatch_capture::BATCH) {
                    Ok(b) if b.is_empty() => break,
                    Ok(b) => {
                        let first = pcap_cnt + 1;
                        pcap_cnt += b.len() as u64;
                        w.process_batch(&b, first);
                        if (first - 1) >> 16 != pcap_cnt >> 16 {
                            if let Some(bar) = bar.as_ref() {
                                bar.set_position(done + rd.input_position());
                            }
                        }
                    }
                    Err(e) => {
                        summary.note_error(&e);
                        break;
                    }
                }
            }
            true
        });
        let dstats = w.decoder_stats().clone();
        let (ws, app, eve) = w.finish();
        summary.add_worker(&ws, &app, &dstats, eve.events, eve.write_error.clone());
    } else {
        // This thread reads (files or stdin) and is worker 0; workers
        // 1..N run on threads of their own, so N threads share N cores.
        // Each worker takes the packets whose address pair hashes to it. The
        // reader hands its whole buffer per chunk to the workers (no copy),
        // works on its own share while they work on theirs, and goes on in a
        // buffer they are done with.
        let split = Split::new(
            threads,
            opts.engine
                .app_layer
                .parses(opts.eve.is_some(), opts.intel.is_some()),
        );
        let cfg = EngineConfig {
            reassembly_memcap: opts.engine.reassembly_memcap / threads,
            ..opts.engine
        };
        type Work = (Arc<reefwatch_capture::Chunk>, u64, Vec<u32>);
        let mut txs: Vec<SyncSender<Work>> = Vec::new();
        let mut handles = Vec::new();
        for _ in 1..threads {
            let (tx, rx) = sync_channel::<Work>(4);
            txs.push(tx);
            let reg = reg.clone();
            let eve = EveOut::new(opts.eve.clone());
            let intel = opts.intel.clone();
            handles.push(std::thread::spawn(move || {
                let mut w = Worker::with_intel(reg, eve, cfg, intel);
                while let Ok((c, first, mine)) = rx.recv() {
                    w.process_chunk(&c, first, &mine);
                }
                let dstats = w.decoder_stats().clone();
                let (ws, app, eve) = w.finish();
                (ws, app, dstats, eve.events, eve.write_error.clone())
            }));
        }
        let mut w0 = Worker::with_intel(
            reg.clone(),
            EveOut::new(opts.eve.clone()),
            cfg,
            opts.intel.clone(),
        );
        let mut own: Vec<u32> = Vec::new();
        // chunks the workers may still hold, oldest first, and buffers they
        // are done with: the one freed last (still warm in cache) is reused
        // first and at most two are kept, so few buffers are ever written
        let mut in_flight: std::collections::VecDeque<Arc<reefwatch_capture::Chunk>> =
            std::collections::VecDeque::new();
        let mut free: Vec<Vec<u8>> = Vec::new();
        for_each_input(&files, &mut summary, &mut done_len, |rd, summary, done| {
            loop {
                while in_flight.front().is_some_and(|c| Arc::strong_count(c) == 1) {
                    if let Some(c) = in_flight.pop_front().and_then(|c| Arc::try_unwrap(c).ok()) {
                        free.push(c.into_buffer());
                    }
                }
                if free.len() > 2 {
                    free.drain(..free.len() - 2);
                }
                match rd.next_chunk(free.pop().unwrap_or_default()) {
                    Ok(Some(c)) => {
                        let first = pcap_cnt + 1;
                        pcap_cnt += c.len() as u64;
                        // which packets go to which worker, hashed once here
                        own.clear();
                        let mut shares: Vec<Vec<u32>> = (1..threads)
                            .map(|_| Vec::with_capacity(c.len() / threads + 8))
                            .collect();
                        for i in 0..c.len() {
                            let p = c.get(i);
                            let h = reefwatch_decode::address_pair_hash(p.linktype, p.data);
                            match split.worker(h) {
                                0 => own.push(i as u32),
                                k => shares[k - 1].push(i as u32),
                            }
                        }
                        let c = Arc::new(c);
                        for (tx, mine) in txs.iter().zip(shares) {
                            if tx.send((c.clone(), first, mine)).is_err() {
                                summary.errors.push("a worker thread stopped".to_string());
                                return false;
                            }
                        }
                        w0.process_chunk(&c, first, &own);
                        in_flight.push_back(c);
                        if let Some(b) = bar.as_ref() {
                            b.set_position(done + rd.input_position());
                        }
                    }
                    Ok(None) => return true,
                    Err(e) => {
                        summary.note_error(&e);
                        return true;
                    }
                }
            }
        });
        drop(txs);
        let dstats = w0.decoder_stats().clone();
        let (ws, app, eve) = w0.finish();
        summary.add_worker(&ws, &app, &dstats, eve.events, eve.write_error.clone());
        for h in handles {
            match h.join() {
                Ok((ws, app, dstats, events, err)) => {
                    summary.add_worker(&ws, &app, &dstats, events, err);
                }
                Err(_) => summary.errors.push("a worker thread panicked".to_string()),
            }
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    summary.wall_secs = started.elapsed().as_secs_f64();
    summary.threads = threads;
    summary.app_layer_parsed = opts
        .engine
        .app_layer
        .parses(opts.eve.is_some(), opts.intel.is_some());
    if let Some(d) = &opts.eve {
        summary.write_stats_event(d);
    }
    summary
}

/// How packets are spread over `threads` workers by their address pair
/// hash: worker 0, the reading thread, also reads and hashes every packet,
/// so it takes a smaller share of the flows than the others: a quarter of
/// an equal share when only protocols are detected (reading is then most
/// of the work: `bench/run.sh`, smallflows, 2 threads), three quarters when
/// transactions are parsed.
#[derive(Clone, Copy, Debug)]
pub struct Split {
    threads: u64,
    /// hash buckets (of [`Split::BUCKETS`]) that go to worker 0
    own: u64,
}

impl Split {
    pub const BUCKETS: u64 = 64;

    pub fn new(threads: usize, parses: bool) -> Split {
        let threads = threads.max(1) as u64;
        let equal = Self::BUCKETS / threads;
        let own = if threads == 1 {
            Self::BUCKETS
        } else if parses {
            equal * 3 / 4
        } else {
            equal / 4
        };
        Split {
            threads,
            own: own.max(1),
        }
    }

    /// The worker (0..threads) of a packet with this address pair hash.
    #[inline]
    pub fn worker(&self, h: u64) -> usize {
        if self.threads == 1 || (h >> 40) % Self::BUCKETS < self.own {
            0
        } else {
            1 + (h % (self.threads - 1)) as usize
        }
    }
}

/// Open each input in turn (one that cannot be opened is noted and
/// skipped), count it, and let `read` drain it; `read` gets the bytes of
/// the inputs before it (for the progress bar) and returns false to stop.
fn for_each_input(
    files: &[PathBuf],
    summary: &mut Summary,
    done_len: &mut u64,
    mut read: impl FnMut(&mut CaptureReader, &mut Summary, u64) -> bool,
) {
    for path in files {
        let mut rd = match CaptureReader::open(path) {
            Ok(r) => r,
            Err(e) => {
                summary.note_error(&e);
                continue;
            }
        };
        summary.files += 1;
        let go_on = read(&mut rd, summary, *done_len);
        *done_len += rd.input_len().unwrap_or(0);
        if !go_on {
            break;
        }
    }
}

/// Whether an error means "this input is not usable at all" (exit 2).
pub fn is_fatal_input_error(e: &CaptureError) -> bool {
    !matches!(
        e,
        CaptureError::Truncated { .. } | CaptureError::Corrupt { .. }
    )
}

#[cfg(test)]
mod split_tests {
    use super::Split;

    /// Spread of many well-mixed hashes: every worker gets some, none is
    /// out of range, and worker 0 gets about its buckets' share.
    fn shares(threads: usize, parses: bool) -> Vec<u64> {
        let s = Split::new(threads, parses);
        let mut n = vec![0u64; threads];
        let mut h: u64 = 0x243f_6a88_85a3_08d3;
        for _ in 0..64_000 {
            // splitmix64
            h = h.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = h;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            n[s.worker(z ^ (z >> 31))] += 1;
        }
        n
    }

    #[test]
    fn one_thread_takes_everything() {
        assert_eq!(shares(1, false), vec![64_000]);
        assert_eq!(shares(1, true), vec![64_000]);
    }

    #[test]
    fn reader_takes_a_smaller_share() {
        // 2 threads, detection only: 8 of 64 buckets = 1/8 to the reader
        let n = shares(2, false);
        assert!((7_000..9_000).contains(&n[0]), "{n:?}");
        // parsing: 24 of 64 = 3/8
        let n = shares(2, true);
        assert!((23_000..25_000).contains(&n[0]), "{n:?}");
        // 4 threads, parsing: 12 of 64 to the reader, the rest in thirds
        let n = shares(4, true);
        assert!((11_000..13_000).contains(&n[0]), "{n:?}");
        for k in 1..4 {
            assert!((16_000..18_000).contains(&n[k]), "{n:?}");
        }
        // more threads than buckets: each still gets packets
        let n = shares(80, false);
        assert!(n.iter().all(|&k| k > 0), "{n:?}");
    }
}
