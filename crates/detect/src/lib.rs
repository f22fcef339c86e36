//! reefwatch's detection engine: Suricata rules loaded unchanged.
//!
//! Pipeline: text → [`parse_rule`] (header + typed keywords, Suricata's
//! escaping and list semantics) → [`RuleSet`] (files, line numbers, every
//! skipped rule with its reason) → [`compile::Compiled`] (rule groups by
//! protocol and direction, Suricata's fast-pattern choice, one
//! aho-corasick prefilter per (group, buffer)).
//!
//! The matcher is [`engine`] ([`Engine`], contract in DETECT-API.md): it is fed
//! what the sensor already has — packets (their payload is
//! [`keywords::buffer::Buffer::Payload`]), reassembled stream chunks (the
//! same buffer for stream rules), and the sticky buffers the app-layer
//! parsers expose through `EventSink::buffer` (each maps to one `Buffer`).
//! A `Compiled` set is immutable, shared by worker threads and replaced
//! whole on reload. Only buffers some loaded rule inspects need to be
//! built: `Compiled::groups` lists the buffers that have prefilters.
//! Nothing here allocates per packet beyond the caller's candidate vector.
#![forbid(unsafe_code)]

pub mod compile;
pub mod engine;
pub mod error;
pub mod keywords;
pub mod load;
pub mod parse;
pub mod rule;
pub mod vars;

pub use engine::{Alert, Engine, FlowDetect, PacketView, Scratch, TxView};
pub use error::{ErrorKind, ParseError};
pub use load::{RuleSet, Skipped};
pub use parse::options::parse_rule;
pub use rule::Rule;
pub use vars::{Classifications, Vars};
