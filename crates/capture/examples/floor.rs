//! Read-only floor of the sensor: read every record of each capture and do
//! nothing else. Prints packets, bytes, seconds and Mpps / Gbit/s.
//!
//! `cargo run --release -p reefwatch-capture --example floor -- FILE...`

use std::path::Path;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        eprintln!("usage: floor FILE...");
        std::process::exit(2);
    }
    let mut status = 0;
    for a in &args {
        let t = Instant::now();
        match reefwatch_capture::read_floor(Path::new(a)) {
            Ok((packets, bytes)) => {
                let s = t.elapsed().as_secs_f64();
                println!(
                    "{a}: {packets} packets, {bytes} bytes in {s:.3} s: {:.2} Mpps, {:.2} Gbit/s",
                    packets as f64 / s / 1e6,
                    bytes as f64 * 8.0 / s / 1e9
                );
            }
            Err(e) => {
                eprintln!("{e}");
                status = 1;
            }
        }
    }
    std::process::exit(status);
}
