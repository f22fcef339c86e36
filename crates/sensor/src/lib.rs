//! The reefwatch sensor engine.
//!
//! Data path: [`reefwatch_capture`] reads records → [`worker::Worker`]
//! decodes ([`reefwatch_decode`]), finds the flow and reassembles TCP
//! ([`reefwatch_flow`]), detects the protocol by content and feeds its
//! parser ([`app`]), which writes EVE through the sink ([`eve`]).
//! With several threads, the reader hashes each packet's address pair to
//! a worker, so a flow (and its fragments) always lands on one worker.
#![forbid(unsafe_code)]

pub mod app;
pub mod eve;
pub mod intel;
pub mod l2;
pub mod rules;
pub mod summary;
mod threads;
pub mod worker;

use app::Registry;
use eve::{EveDest, EveOut};
use reefwatch_capture::{CaptureError, CaptureReader};
pub use reefwatch_it::config as it_config;
use std::path::PathBuf;
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
    /// Loaded Suricata rules (None = no rule detection).
    pub rules: Option<Arc<rules::RuleSlot>>,
    /// Rules that did not load (for the summary and the stats event).
    pub rules_skipped: usize,
}

/// How often EVE of a live run is flushed.
const LIVE_FLUSH: std::time::Duration = std::time::Duration::from_millis(500);

/// Flush `dest` every [`LIVE_FLUSH`] until the returned sender is dropped.
fn spawn_flusher(dest: EveDest) -> (std::sync::mpsc::Sender<()>, std::thread::JoinHandle<()>) {
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let h = std::thread::spawn(move || {
        while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(LIVE_FLUSH) {
            let mut w = dest.lock().unwrap_or_else(|p| p.into_inner());
            // an error is kept by the writer and reported at the end
            let _ = w.flush();
        }
    });
    (tx, h)
}

/// Run an analysis to the end and return its summary.
pub fn analyze(opts: AnalyzeOptions) -> Summary {
    let started = Instant::now();
    let reg = Arc::new(Registry::builtin());
    let mut summary = Summary::default();
    let found = reefwatch_capture::expand_inputs_reporting(&opts.inputs);
    let files = found.files;
    for e in found.errors {
        summary.note_error(&e);
    }
    for e in found.skipped {
        summary.warnings.push(format!("skipped {e}"));
    }
    // a stream or live input (stdin, a FIFO): EVE handed out as made and
    // flushed at least every second, not held until the end
    let live = files
        .iter()
        .any(|f| f.as_os_str() == "-" || !std::fs::metadata(f).is_ok_and(|m| m.is_file()));
    let flusher = match &opts.eve {
        Some(d) if live => Some(spawn_flusher(d.clone())),
        _ => None,
    };
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
            EveOut::new(opts.eve.clone()).live(live),
            opts.engine,
            opts.intel.clone(),
        )
        .with_rules(opts.rules.clone());
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
        summary.add_worker(w.finish());
    } else {
        threads::run(&opts, reg, files, threads, live, bar.clone(), &mut summary);
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    summary.wall_secs = started.elapsed().as_secs_f64();
    summary.threads = threads;
    summary.app_layer_parsed = opts.engine.app_layer.parses(
        opts.eve.is_some(),
        opts.intel.is_some() || opts.rules.is_some(),
    );
    if let Some(r) = &opts.rules {
        summary.rules_loaded = Some(r.load().0.len());
        summary.rules_skipped = opts.rules_skipped;
    }
    if let Some((stop, h)) = flusher {
        drop(stop);
        let _ = h.join();
    }
    if let Some(d) = &opts.eve {
        summary.write_stats_event(d);
        // the final flush: a failure here is as much an error as any
        let mut w = d.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(e) = w.flush() {
            summary.eve_write_error = Some(e.to_string());
        }
    }
    summary
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
