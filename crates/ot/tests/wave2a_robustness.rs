//! Omron FINS, HART-IP and MELSEC under hostile bytes: real payloads
//! (testdata/ot feeds; MELSEC: frames built from the SLMP layout) as one
//! stream, bytes flipped, cut and repeated, through the probe and the
//! parser as the engine and the ot_omron / ot_hart_ip / ot_melsec fuzz
//! targets drive them (`reefwatch_applayer::fuzzing::drive`: every event
//! built and checked as JSON). Must never panic or hang.

use reefwatch_applayer::ProtocolDef;
use reefwatch_ot::feed;
use std::path::PathBuf;

/// Payloads of a fixture's feed, concatenated (at most `max` bytes).
fn payloads(rel: &str, max: usize) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/ot")
        .join(format!("{rel}.feed.tsv"));
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let mut out = Vec::new();
    for r in feed::parse_records(&text) {
        out.extend_from_slice(&r.data);
        if out.len() >= max {
            break;
        }
    }
    out
}

fn hex(s: &str) -> Vec<u8> {
    let s = s.replace(' ', "");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn mutate(def: &ProtocolDef, base: &[u8], rounds: usize) -> usize {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut events = 0;
    for _ in 0..rounds {
        let mut d = vec![next() as u8, next() as u8];
        d.extend_from_slice(base);
        for _ in 0..(next() % 8) {
            let i = (next() as usize) % d.len();
            d[i] = next() as u8;
        }
        if next() % 4 == 0 {
            let cut = (next() as usize) % d.len();
            d.truncate(cut.max(2));
        }
        if next() % 5 == 0 {
            let a = 2 + (next() as usize) % (d.len() - 1).max(1);
            let tail = d[a.min(d.len())..].to_vec();
            d.extend_from_slice(&tail);
        }
        events += reefwatch_applayer::fuzzing::drive(def, &d);
    }
    events
}

#[test]
fn omron_mutations_never_panic() {
    let mut base = payloads(
        "omron-fins/icsnpp-fins__testing__traces__omron_fins_tcp_commands_responses.pcap",
        4096,
    );
    let udp = payloads("omron-fins/icsnpp-fins__testing__traces__omron.pcap", 2048);
    assert!(mutate(&reefwatch_ot::omron::PROTOCOL, &base, 3000) > 0);
    base.clear();
    base.extend_from_slice(&udp);
    assert!(mutate(&reefwatch_ot::omron::PROTOCOL, &base, 2000) > 0);
}

#[test]
fn hart_ip_mutations_never_panic() {
    let base = payloads("hart-ip/iti__pcaps__hart__hart_ip.pcap", 4096);
    assert!(mutate(&reefwatch_ot::hart_ip::PROTOCOL, &base, 4000) > 0);
}

#[test]
fn melsec_mutations_never_panic() {
    let mut base = hex(concat!(
        "500000ffff03000c00100001040000640000a80a00",
        "d00000ffff0300160000 0100020003000400050006000700080009000a00",
        "54003412000000ffff03000e001000011401000000009003001010",
        "d4003412000000ffff030002000000",
        "500000ffff03000600100001010000",
        "d00000ffff03000b0059c000ffff030001040000",
    ));
    base.extend_from_slice(b"500000FF03FF000018001004010000D*000100000A");
    base.extend_from_slice(b"D00000FF03FF00000C00000001000200");
    assert!(mutate(&reefwatch_ot::melsec::PROTOCOL, &base, 4000) > 0);
}
