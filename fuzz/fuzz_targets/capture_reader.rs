//! Feed arbitrary bytes (pcap, pcapng, gzip of either, or garbage) through
//! `CaptureReader::from_read` and drain it: no panic, bounded records,
//! consecutive indices, finished after an error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reefwatch_capture::{CaptureReader, MAX_CAPLEN};

fuzz_target!(|data: &[u8]| {
    let src = Box::new(std::io::Cursor::new(data.to_vec()));
    let Ok(mut r) = CaptureReader::from_read("fuzz", src) else {
        return;
    };
    let mut n = 0u64;
    // Bounded: every record consumes at least 12 bytes of (decompressed)
    // input; gzip expansion is bounded by the decoder's ratio.
    loop {
        match r.next_packet() {
            Ok(Some(p)) => {
                n += 1;
                assert_eq!(p.index, n);
                assert!(p.data.len() <= MAX_CAPLEN as usize);
            }
            Ok(None) => break,
            Err(e) => {
                let _ = e.to_string();
                assert!(matches!(r.next_packet(), Ok(None)));
                break;
            }
        }
    }
    let _ = (r.input_position(), r.input_len(), r.name());
});
