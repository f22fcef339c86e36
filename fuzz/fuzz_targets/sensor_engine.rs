#![no_main]
//! Arbitrary bytes as a capture file through the whole sensor: capture
//! reader, decoder, flows, reassembly, protocol probes and parsers, EVE.
use libfuzzer_sys::fuzz_target;
use reefwatch_sensor::{analyze, AnalyzeOptions, AppLayerMode, EngineConfig};
use std::io::Write;
use std::sync::{Arc, Mutex};

fuzz_target!(|data: &[u8]| {
    let path = std::env::temp_dir().join(format!("reefwatch-fuzz-{}.pcap", std::process::id()));
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let sink: Box<dyn Write + Send> = Box::new(std::io::sink());
    // the length picks the app-layer mode: full parse with EVE, detection
    // only (EVE off), detection only with EVE
    let (eve, app_layer) = match data.len() % 3 {
        0 => (true, AppLayerMode::Auto),
        1 => (false, AppLayerMode::Auto),
        _ => (true, AppLayerMode::Detect),
    };
    // one input in four through two threads, the file read in parts of
    // 64 to 1087 bytes (records across part ends)
    let threads = if data.len() % 4 == 3 { 2 } else { 1 };
    let read_part = 64 + (data.len() as u64 * 7) % 1024;
    let _ = analyze(AnalyzeOptions {
        inputs: vec![path],
        eve: eve.then(|| Arc::new(Mutex::new(sink)) as reefwatch_sensor::eve::EveDest),
        threads,
        engine: EngineConfig {
            app_layer,
            read_part,
            ..EngineConfig::default()
        },
        progress: false,
        intel: None,
        rules: None,
        rules_skipped: 0,
    });
});
