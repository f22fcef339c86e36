//! A pcap read in parts (`PcapParts`, the parallel reader of `--threads`)
//! gives exactly the records and the error the stream reader gives: on
//! every classic pcap of testdata, whole, cut short at many lengths and
//! with a corrupt record length, in parts of many sizes (records across
//! part ends, and past the slack read beyond them).

use reefwatch_capture::parts::PcapParts;
use reefwatch_capture::CaptureReader;
use std::path::{Path, PathBuf};

/// (bytes, ts_ns, orig_len, linktype, offset) of each packet, then the
/// error that ended the input.
type Read = (Vec<(Vec<u8>, i64, u32, u32, u64)>, Option<String>);

fn stream(path: &Path) -> Read {
    let mut r = CaptureReader::open(path).unwrap();
    let mut v = Vec::new();
    loop {
        match r.next_packet() {
            Ok(Some(p)) => v.push((p.data.to_vec(), p.ts_ns, p.orig_len, p.linktype, p.offset)),
            Ok(None) => return (v, None),
            Err(e) => return (v, Some(e.to_string())),
        }
    }
}

fn in_parts(path: &Path, part_len: u64, slack: usize) -> Read {
    let r = CaptureReader::open(path).unwrap();
    let Ok(parts) = PcapParts::from_reader(r, path) else {
        panic!("{}: a classic pcap file is read in parts", path.display());
    };
    let parts = parts.with_part_len(part_len, slack);
    let mut cur = parts.start();
    let mut v = Vec::new();
    let mut err = None;
    let mut spare = Vec::new();
    for k in 0..parts.parts() {
        let b = parts.read(k, spare);
        let (c, next, e) = parts.scan(b, cur);
        assert!(next.offset >= cur.offset && next.count == cur.count + c.len() as u64);
        for i in 0..c.len() {
            let p = c.get(i);
            assert_eq!(p.index, cur.count + 1 + i as u64);
            v.push((p.data.to_vec(), p.ts_ns, p.orig_len, p.linktype, p.offset));
        }
        if let Some(e) = e {
            assert!(err.is_none());
            err = Some(e.to_string());
        }
        cur = next;
        spare = c.into_buffer();
    }
    assert!(cur.done);
    (v, err)
}

fn classic_pcaps() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
    let mut out = Vec::new();
    let mut dirs = vec![root];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "pcap") {
                let head = std::fs::read(&p).unwrap();
                let magic = head.get(..4).unwrap_or(&[]);
                if [
                    [0xd4, 0xc3, 0xb2, 0xa1],
                    [0xa1, 0xb2, 0xc3, 0xd4],
                    [0x4d, 0x3c, 0xb2, 0xa1],
                    [0xa1, 0xb2, 0x3c, 0x4d],
                ]
                .iter()
                .any(|m| m == magic)
                {
                    out.push(p);
                }
            }
        }
    }
    out.sort();
    out
}

const SIZES: [(u64, usize); 6] = [
    (1, 0),
    (37, 0),
    (100, 16),
    (1000, 0),
    (4096, 512),
    (1 << 20, 64 << 10),
];

#[test]
fn parts_read_what_the_stream_reads() {
    let files = classic_pcaps();
    assert!(files.len() >= 20, "{}", files.len());
    let mut packets = 0;
    for f in &files {
        let want = stream(f);
        packets += want.0.len();
        for (len, slack) in SIZES {
            let got = in_parts(f, len, slack);
            assert!(
                got == want,
                "{} in parts of {len} (+{slack}): {} packets {:?}, stream {} packets {:?}",
                f.display(),
                got.0.len(),
                got.1,
                want.0.len(),
                want.1
            );
        }
    }
    assert!(packets > 1000);
}

#[test]
fn parts_of_damaged_files_end_as_the_stream_does() {
    let dir = std::env::temp_dir().join(format!("reefwatch-parts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut errors = 0;
    for (n, f) in classic_pcaps().iter().enumerate().take(12) {
        let bytes = std::fs::read(f).unwrap();
        if bytes.len() < 60 {
            continue;
        }
        let mut variants: Vec<Vec<u8>> = Vec::new();
        // cut short at several points, in headers and in packets
        for cut in [
            25,
            30,
            40,
            41,
            bytes.len() / 3,
            bytes.len() / 2,
            bytes.len() - 1,
        ] {
            if cut > 24 && cut < bytes.len() {
                variants.push(bytes[..cut].to_vec());
            }
        }
        // the second record's captured length made absurd
        let first_len = u32::from_le_bytes(bytes[32..36].try_into().unwrap()) as usize;
        let second = 24 + 16 + first_len;
        if second + 16 <= bytes.len() && bytes[..4] == [0xd4, 0xc3, 0xb2, 0xa1] {
            let mut b = bytes.clone();
            b[second + 8..second + 12].copy_from_slice(&0x7fff_fff0u32.to_le_bytes());
            variants.push(b);
        }
        for (i, b) in variants.iter().enumerate() {
            let p = dir.join(format!("{n}-{i}.pcap"));
            std::fs::write(&p, b).unwrap();
            let want = stream(&p);
            errors += want.1.is_some() as usize;
            for (len, slack) in SIZES {
                assert_eq!(
                    in_parts(&p, len, slack),
                    want,
                    "{} ({len}+{slack})",
                    p.display()
                );
            }
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    assert!(errors > 30, "{errors}");
}

#[test]
fn a_file_growing_while_read_is_read_as_it_was_when_opened() {
    // A capture still being written: when it is opened, it ends inside a
    // record; more records are appended before the parts are scanned. The
    // record cut by the end at open is read whole (reading on), nothing
    // after it is, and no error is made up.
    let f = classic_pcaps()
        .into_iter()
        .find(|p| stream(p).0.len() >= 12 && stream(p).1.is_none())
        .expect("a whole pcap with 12 packets");
    let bytes = std::fs::read(&f).unwrap();
    let want = stream(&f).0;
    // cut in the middle of the 7th record
    let cut = (want[6].4 + 20) as usize;
    let dir = std::env::temp_dir().join(format!("reefwatch-grow-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("growing.pcap");
    for part_len in [40u64, 300, 1 << 20] {
        std::fs::write(&p, &bytes[..cut]).unwrap();
        let r = CaptureReader::open(&p).unwrap();
        let parts = PcapParts::from_reader(r, &p)
            .ok()
            .unwrap()
            .with_part_len(part_len, 16);
        // the writer goes on
        std::fs::write(&p, &bytes).unwrap();
        let mut cur = parts.start();
        let mut got = Vec::new();
        for k in 0..parts.parts() {
            let (c, next, e) = parts.scan(parts.read(k, Vec::new()), cur);
            assert!(e.is_none(), "part {k} of {part_len}: {e:?}");
            assert!(next.offset >= cur.offset);
            for i in 0..c.len() {
                got.push(c.get(i).offset);
            }
            cur = next;
        }
        assert!(cur.done);
        let offsets: Vec<u64> = want[..7].iter().map(|w| w.4).collect();
        assert_eq!(got, offsets, "parts of {part_len}");
    }
    std::fs::remove_dir_all(&dir).ok();
}
