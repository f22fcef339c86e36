//! `next_batch` (what the sensor reads, many records per call, pcapng
//! blocks too) gives the packets and the error `next_packet` gives, on
//! every capture of testdata, whole and cut short at many points.

use reefwatch_capture::CaptureReader;
use std::io::Cursor;
use std::path::PathBuf;

type Seen = (Vec<(Vec<u8>, i64, u32, u64, u64)>, Option<String>);

fn one_by_one(bytes: &[u8]) -> Option<Seen> {
    let mut r = CaptureReader::from_read("t", Box::new(Cursor::new(bytes.to_vec()))).ok()?;
    let mut v = Vec::new();
    loop {
        match r.next_packet() {
            Ok(Some(p)) => v.push((p.data.to_vec(), p.ts_ns, p.linktype, p.index, p.offset)),
            Ok(None) => return Some((v, None)),
            Err(e) => return Some((v, Some(e.to_string()))),
        }
    }
}

fn batched(bytes: &[u8], max: usize) -> Seen {
    let mut r = CaptureReader::from_read("t", Box::new(Cursor::new(bytes.to_vec()))).unwrap();
    let mut v = Vec::new();
    let mut batches = 0;
    loop {
        match r.next_batch(max) {
            Ok(b) if b.is_empty() => break,
            Ok(b) => {
                batches += 1;
                assert!(b.len() <= max);
                for i in 0..b.len() {
                    let p = b.get(i);
                    v.push((p.data.to_vec(), p.ts_ns, p.linktype, p.index, p.offset));
                }
            }
            Err(e) => return (v, Some(e.to_string())),
        }
    }
    // whole blocks are batched: far fewer calls than packets
    if max > 1 && v.len() > 4 {
        assert!(
            batches < v.len(),
            "{batches} batches for {} packets",
            v.len()
        );
    }
    (v, None)
}

#[test]
fn batches_read_what_single_packets_read() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
    let mut dirs = vec![root];
    let mut files = Vec::new();
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "pcap" || x == "pcapng") {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut pcapng = 0;
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        pcapng += (f.extension().unwrap() == "pcapng") as usize;
        let mut cuts = vec![bytes.len()];
        for k in 1..8 {
            cuts.push(bytes.len() * k / 8 + k);
        }
        for cut in cuts {
            let b = &bytes[..cut.min(bytes.len())];
            let Some(want) = one_by_one(b) else {
                continue;
            };
            for max in [1, 7, 32, usize::MAX] {
                assert_eq!(
                    batched(b, max),
                    want,
                    "{} cut at {cut}, batches of {max}",
                    f.display()
                );
            }
        }
    }
    assert!(pcapng >= 3, "{pcapng}");
}
