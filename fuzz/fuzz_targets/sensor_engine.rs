#![no_main]
//! Arbitrary bytes as a capture file through the whole sensor: capture
//! reader, decoder, flows, reassembly, protocol probes and parsers, EVE.
use libfuzzer_sys::fuzz_target;
use reefwatch_sensor::{analyze, AnalyzeOptions, EngineConfig};
use std::io::Write;
use std::sync::{Arc, Mutex};

fuzz_target!(|data: &[u8]| {
    let path = std::env::temp_dir().join(format!("reefwatch-fuzz-{}.pcap", std::process::id()));
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let sink: Box<dyn Write + Send> = Box::new(std::io::sink());
    let _ = analyze(AnalyzeOptions {
        inputs: vec![path],
        eve: Some(Arc::new(Mutex::new(sink))),
        threads: 1,
        engine: EngineConfig::default(),
        progress: false,
        intel: None,
    });
});
