//! One flow's record, why flows end, and the timeout classes.

use crate::key::FlowKey;
use crate::tcp::{TcpState, TcpTrack};

pub(crate) const NIL: u32 = u32::MAX;

/// Why a flow ended, as Suricata's `flow.reason`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndReason {
    Timeout,
    /// evicted to stay within the flow cap
    Forced,
    /// end of input
    Shutdown,
}

impl EndReason {
    pub fn name(self) -> &'static str {
        match self {
            EndReason::Timeout => "timeout",
            EndReason::Forced => "forced",
            EndReason::Shutdown => "shutdown",
        }
    }
}

/// Timeout classes; each has its own LRU list.
pub const CLASS_TCP_NEW: usize = 0;
pub const CLASS_TCP_EST: usize = 1;
pub const CLASS_TCP_CLOSED: usize = 2;
pub const CLASS_NEW: usize = 3;
pub const CLASS_EST: usize = 4;
pub(crate) const N_CLASSES: usize = 5;

#[derive(Clone, Copy, Debug)]
pub struct FlowConfig {
    pub max_flows: usize,
    /// timeout per class, nanoseconds
    pub timeouts_ns: [i64; N_CLASSES],
}

impl Default for FlowConfig {
    fn default() -> Self {
        const S: i64 = 1_000_000_000;
        FlowConfig {
            max_flows: 512 * 1024,
            // Suricata's defaults: tcp new 60, est 600, closed 60;
            // udp/other new 30, est 300
            timeouts_ns: [60 * S, 600 * S, 60 * S, 30 * S, 300 * S],
        }
    }
}

/// One flow. `repr(C)` keeps the fields every packet reads in the order
/// written, in the record's first two cache lines: the key the lookup
/// compares, the direction, the timeout-list links and `last_ns` in the
/// first; the counters, `track_only` and the TCP connection state (the
/// head of [`TcpTrack`]) in the second. The reassembly streams' pointer,
/// ids and the app-layer state follow; a flow whose bytes nobody wants
/// reads none of them. Small on purpose (three lines with the engine's
/// app state): every flow's record is memory the kernel zeroes on first
/// touch, and one more record per cache line less to miss.
#[repr(C, align(64))]
pub struct Flow<T> {
    pub key: FlowKey,
    /// endpoint `a` of the key is the client
    pub client_is_a: bool,
    pub(crate) class: u8,
    pub(crate) prev: u32,
    pub(crate) next: u32,
    pub last_ns: i64,
    /// `last_ns` when the flow was last put at the front of its list: the
    /// lists are ordered by it, and `last_ns - moved_ns < TOUCH_GRAIN_NS`
    /// holds after every [`crate::FlowTable::touch`].
    pub(crate) moved_ns: i64,
    /// [to server, to client]
    pub pkts: [u64; 2],
    pub bytes: [u64; 2],
    /// Nothing wants this flow's bytes any more (its protocol is known and
    /// nothing consumes transactions): track TCP state and counters only.
    /// Set by the engine.
    pub track_only: bool,
    pub tcp: TcpTrack,
    pub id: u64,
    pub start_ns: i64,
    pub data: T,
}

impl<T: Default> Flow<T> {
    /// What a free slot holds.
    pub(crate) fn vacant() -> Self {
        Flow {
            key: FlowKey::default(),
            client_is_a: false,
            class: 0,
            prev: NIL,
            next: NIL,
            last_ns: 0,
            moved_ns: 0,
            pkts: [0; 2],
            bytes: [0; 2],
            track_only: false,
            tcp: TcpTrack::default(),
            id: 0,
            start_ns: 0,
            data: T::default(),
        }
    }
}

impl<T> Flow<T> {
    pub fn client(&self) -> (&[u8; 16], u16) {
        if self.client_is_a {
            (&self.key.a, self.key.pa)
        } else {
            (&self.key.b, self.key.pb)
        }
    }
    pub fn server(&self) -> (&[u8; 16], u16) {
        if self.client_is_a {
            (&self.key.b, self.key.pb)
        } else {
            (&self.key.a, self.key.pa)
        }
    }
    /// Suricata's `flow.state`.
    pub fn state_name(&self) -> &'static str {
        if self.key.proto == 6 {
            match self.tcp.state {
                TcpState::None | TcpState::SynSent | TcpState::SynRecv => "new",
                TcpState::Closed | TcpState::TimeWait => "closed",
                _ => "established",
            }
        } else if self.pkts[0] > 0 && self.pkts[1] > 0 {
            "established"
        } else {
            "new"
        }
    }
    pub(crate) fn class_now(&self) -> usize {
        if self.key.proto == 6 {
            match self.tcp.state {
                TcpState::None | TcpState::SynSent | TcpState::SynRecv => CLASS_TCP_NEW,
                TcpState::Closed | TcpState::TimeWait => CLASS_TCP_CLOSED,
                _ => CLASS_TCP_EST,
            }
        } else if self.pkts[0] > 0 && self.pkts[1] > 0 {
            CLASS_EST
        } else {
            CLASS_NEW
        }
    }
}
