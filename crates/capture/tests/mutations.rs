//! Deterministic mutation run over the fixtures (a small, always-on cousin
//! of the `capture_reader` fuzz target): flipped bytes, overwritten length
//! fields, truncations. The reader must never panic, must stay within its
//! bounds, and must be finished after an error.

use reefwatch_capture::{CaptureReader, MAX_CAPLEN};
use std::io::Cursor;
use std::path::PathBuf;

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn drain(bytes: Vec<u8>) -> u64 {
    let Ok(mut r) = CaptureReader::from_read("mut", Box::new(Cursor::new(bytes))) else {
        return 0;
    };
    let mut n = 0;
    loop {
        match r.next_packet() {
            Ok(Some(p)) => {
                n += 1;
                assert_eq!(p.index, n);
                assert!(p.data.len() <= MAX_CAPLEN as usize);
            }
            Ok(None) => return n,
            Err(e) => {
                assert!(!e.to_string().is_empty());
                assert!(matches!(r.next_packet(), Ok(None)));
                return n;
            }
        }
    }
}

#[test]
fn mutated_fixtures_never_panic() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/capture");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e != "txt") && p.file_name().unwrap() != "NOTICE")
        .collect();
    names.sort();
    assert!(names.len() >= 10);
    let mut runs = 0;
    for path in &names {
        let orig = std::fs::read(path).unwrap();
        for _ in 0..150 {
            let mut b = orig.clone();
            match rng.below(4) {
                0 => {
                    for _ in 0..1 + rng.below(8) {
                        let i = rng.below(b.len());
                        b[i] ^= 1 << rng.below(8);
                    }
                }
                1 => {
                    // Overwrite an aligned u32 with an extreme value.
                    let i = rng.below(b.len() / 4) * 4;
                    let v: u32 =
                        [0, 1, 11, 12, 13, 0xffff_fff0, 0x8000_0000, 262_145][rng.below(8)];
                    if i + 4 <= b.len() {
                        b[i..i + 4].copy_from_slice(&v.to_le_bytes());
                    }
                }
                2 => b.truncate(rng.below(b.len() + 1)),
                _ => {
                    let i = rng.below(b.len());
                    let j = rng.below(b.len());
                    let chunk = b[i.min(j)..i.max(j)].to_vec();
                    b.splice(i..i, chunk);
                }
            }
            drain(b);
            runs += 1;
        }
    }
    assert!(runs >= 1500);
}
