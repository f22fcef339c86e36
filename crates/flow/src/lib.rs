//! Flows and TCP streams.
//!
//! * [`table::FlowTable`]: bidirectional 5-tuple (+VLAN) table with
//!   per-state timeouts kept in O(1) LRU lists (one list per timeout class,
//!   so expiry never scans live flows), a hard cap on flows with eviction of
//!   the oldest, and TCP state tracking.
//! * [`stream::Stream`]: one direction of TCP reassembly, bounded in depth
//!   and memory, delivering in-order bytes zero-copy when segments arrive in
//!   order and reporting gaps.
// One documented exception: the madvise block in index.rs (`allow(unsafe_code)` there).
#![deny(unsafe_code)]

mod dir;
mod index;
mod key;
mod record;
pub mod stream;
pub mod table;
pub mod tcp;

pub use dir::Direction;
pub use key::{FlowKey, PacketTuple, V4Probe};
pub use record::{EndReason, Flow, FlowConfig};
pub use stream::{Chunk, MemBudget, Stream, StreamConfig};
pub use table::{FlowTable, Lookup};
pub use tcp::{TcpState, TcpTrack};
