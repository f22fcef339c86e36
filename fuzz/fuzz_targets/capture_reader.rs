//! Feed arbitrary bytes (pcap, pcapng, gzip of either, or garbage) through
//! `CaptureReader::from_read` and drain it, a packet at a time and in
//! batches: no panic, bounded records, consecutive indices, finished after
//! an error, and both ways give the same packets and the same error. A
//! classic pcap is also read from a file in parts (`PcapParts`, what
//! `--threads` reads), of sizes the input picks: the same again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reefwatch_capture::parts::PcapParts;
use reefwatch_capture::{CaptureReader, MAX_CAPLEN};

type Seen = (i64, u32, u64, u64, Vec<u8>);

fuzz_target!(|data: &[u8]| {
    let open = || CaptureReader::from_read("fuzz", Box::new(std::io::Cursor::new(data.to_vec())));
    let Ok(mut r) = open() else {
        return;
    };
    let mut single: Vec<Seen> = Vec::new();
    let mut single_err = None;
    // Bounded: every record consumes at least 12 bytes of (decompressed)
    // input; gzip expansion is bounded by the decoder's ratio.
    loop {
        match r.next_packet() {
            Ok(Some(p)) => {
                assert_eq!(p.index, single.len() as u64 + 1);
                assert!(p.data.len() <= MAX_CAPLEN as usize);
                single.push((p.ts_ns, p.linktype, p.index, p.offset, p.data.to_vec()));
            }
            Ok(None) => break,
            Err(e) => {
                single_err = Some(e.to_string());
                assert!(matches!(r.next_packet(), Ok(None)));
                break;
            }
        }
    }
    let _ = (r.input_position(), r.input_len(), r.name());

    let Ok(mut r) = open() else {
        panic!("opened once, not twice");
    };
    let max = 1 + data.len() % 40;
    let mut batched: Vec<Seen> = Vec::new();
    let mut batched_err = None;
    loop {
        match r.next_batch(max) {
            Ok(b) if b.is_empty() => break,
            Ok(b) => {
                assert!(b.len() <= max);
                for i in 0..b.len() {
                    let p = b.get(i);
                    batched.push((p.ts_ns, p.linktype, p.index, p.offset, p.data.to_vec()));
                }
            }
            Err(e) => {
                batched_err = Some(e.to_string());
                break;
            }
        }
    }
    assert_eq!(single, batched);
    assert_eq!(single_err, batched_err);

    let path = std::env::temp_dir().join(format!("reefwatch-fuzz-parts-{}", std::process::id()));
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let Ok(r) = CaptureReader::open(&path) else {
        return;
    };
    let Ok(parts) = PcapParts::from_reader(r, &path) else {
        return;
    };
    let parts = parts.with_part_len(1 + (data.len() % 200) as u64, data.len() % 50);
    let name = path.display().to_string();
    let mut cur = parts.start();
    let mut in_parts: Vec<Seen> = Vec::new();
    let mut parts_err = None;
    for k in 0..parts.parts() {
        let (c, next, e) = parts.scan(parts.read(k, Vec::new()), cur);
        for i in 0..c.len() {
            let p = c.get(i);
            in_parts.push((p.ts_ns, p.linktype, p.index, p.offset, p.data.to_vec()));
        }
        if let Some(e) = e {
            assert!(parts_err.is_none());
            parts_err = Some(e.to_string().replacen(&name, "fuzz", 1));
        }
        cur = next;
    }
    assert_eq!(single, in_parts);
    assert_eq!(single_err, parts_err);
});
