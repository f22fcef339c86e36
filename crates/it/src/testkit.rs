//! Test helpers: feed a parser like the engine does (keeping the
//! remainder of `Incomplete`), in pieces of a given size.

use reefwatch_applayer::{AppParser, Direction, EventSink, ParseResult};

/// Per-direction pending remainder, as the engine keeps it.
#[derive(Default)]
pub struct Feeder {
    pending: [Vec<u8>; 2],
    pub errors: usize,
}

impl Feeder {
    pub fn feed(
        &mut self,
        p: &mut dyn AppParser,
        dir: Direction,
        data: &[u8],
        piece: usize,
        out: &mut dyn EventSink,
    ) {
        for chunk in data.chunks(piece.max(1)) {
            let buf = &mut self.pending[dir.index()];
            buf.extend_from_slice(chunk);
            let input = std::mem::take(buf);
            match p.parse(dir, &input, out) {
                ParseResult::Done => {}
                ParseResult::Incomplete { consumed, .. } => {
                    self.pending[dir.index()] = input[consumed.min(input.len())..].to_vec();
                }
                ParseResult::Error => self.errors += 1,
            }
        }
    }
}
