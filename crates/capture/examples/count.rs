//! Print `<packets>\t<first ts ns>\t<last ts ns>\t<error or ->` per file
//! (used to compare with capinfos).

use reefwatch_capture::CaptureReader;
use std::path::Path;

fn main() {
    for a in std::env::args().skip(1) {
        let mut n = 0u64;
        let mut first = None;
        let mut last = None;
        let err = match CaptureReader::open(Path::new(&a)) {
            Err(e) => Some(e),
            Ok(mut r) => loop {
                match r.next_packet() {
                    Ok(Some(p)) => {
                        n += 1;
                        first.get_or_insert(p.ts_ns);
                        last = Some(p.ts_ns);
                    }
                    Ok(None) => break None,
                    Err(e) => break Some(e),
                }
            },
        };
        let f = |t: Option<i64>| t.map(|t| t.to_string()).unwrap_or("-".into());
        println!(
            "{a}\t{n}\t{}\t{}\t{}",
            f(first),
            f(last),
            err.map(|e| e.to_string()).unwrap_or("-".into())
        );
    }
}
