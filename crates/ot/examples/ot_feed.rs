//! Development harness, not the engine: reads payload records (see
//! `reefwatch_ot::feed`) on stdin and prints EVE-like JSON lines with
//! `pcap_cnt` = the frame that completed each event. Used by
//! `scripts/conformance-tshark.sh --feed` before/without the engine.

use std::io::{Read, Write};

fn main() {
    let mut text = String::new();
    let _ = std::io::stdin().read_to_string(&mut text);
    let recs = reefwatch_ot::feed::parse_records(&text);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    reefwatch_ot::feed::run(&recs, true, &mut |e| {
        let _ = writeln!(
            out,
            "{{\"pcap_cnt\":{},\"event_type\":\"{}\",\"app_proto\":\"{}\",\"{}\":{}}}",
            e.frame, e.event_type, e.app_proto, e.event_type, e.json
        );
    });
}
