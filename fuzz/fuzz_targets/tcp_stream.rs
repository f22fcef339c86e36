#![no_main]
//! Hostile segment sequences against one reassembly stream: memory must
//! stay within the configured bounds whatever arrives.
use libfuzzer_sys::fuzz_target;
use reefwatch_flow::{MemBudget, Stream, StreamConfig};

fuzz_target!(|data: &[u8]| {
    let cfg = StreamConfig {
        depth: 64 << 10,
        max_ooo_bytes: 16 << 10,
        max_ooo_segments: 16,
    };
    let mut mem = MemBudget::new(32 << 10);
    let mut s = Stream::default();
    s.on_syn(0);
    // each record: 4-byte seq, 1-byte len, then len bytes
    let mut rest = data;
    while rest.len() >= 5 {
        let seq = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]);
        let n = (rest[4] as usize).min(rest.len() - 5);
        let seg = &rest[5..5 + n];
        s.on_segment(seq, seg, 0, &cfg, &mut mem, &mut |_| {});
        assert!(mem.used <= mem.cap);
        assert!(s.queued_bytes() <= cfg.max_ooo_bytes + 255);
        rest = &rest[5 + n..];
    }
    s.flush(&cfg, &mut mem, &mut |_| {});
    s.release(&mut mem);
    assert_eq!(mem.used, 0);
});
