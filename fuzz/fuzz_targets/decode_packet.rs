#![no_main]
//! Arbitrary bytes as a frame of every link type, through the decoder
//! (with fragment reassembly state carried across inputs) and the hash
//! that spreads packets over threads (tunnels unwrapped).
use libfuzzer_sys::fuzz_target;
use reefwatch_decode::Decoder;
use std::cell::RefCell;

thread_local! {
    static DEC: RefCell<Decoder> = RefCell::new(Decoder::new());
}

fuzz_target!(|data: &[u8]| {
    DEC.with(|d| {
        let mut d = d.borrow_mut();
        for lt in [0u32, 1, 101, 108, 113, 228, 229, 276] {
            let p = d.decode(lt, data, 0);
            assert!(p.payload.len() <= data.len() + 65_535);
            let _ = reefwatch_decode::address_pair_hash(lt, data);
        }
        assert!(d.defrag_memuse() <= 32 << 20);
    });
});
