//! HTTP/1.0 and 1.1 (detected by content on any port).

pub mod body;
pub mod logger;
pub mod parser;
pub mod state;
pub mod tx;

use reefwatch_applayer::{AppParser, Direction, ProbeInput, ProbeResult, ProtocolDef, Transport};

fn probe(i: &ProbeInput<'_>) -> ProbeResult {
    let r = match i.dir {
        Direction::ToServer => parser::probe_request(i.data),
        Direction::ToClient => parser::probe_response(i.data),
    };
    match r {
        Some(true) => ProbeResult::Match,
        Some(false) => ProbeResult::NoMatch,
        None => ProbeResult::NeedMore,
    }
}

fn new_parser() -> Box<dyn AppParser> {
    Box::new(state::HttpState::new())
}

pub const HTTP: ProtocolDef = ProtocolDef {
    name: "http",
    transports: &[Transport::Tcp],
    ports: &[80, 8080, 8000, 8008, 8888, 3128],
    probe,
    new_parser,
};

#[cfg(test)]
mod tests;
