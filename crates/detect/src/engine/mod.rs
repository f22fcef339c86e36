//! The matcher: a compiled rule set ([`Engine`]) inspected against packets
//! ([`Engine::inspect_packet`]) and app-layer transactions
//! ([`Engine::inspect_tx`]), with per-flow ([`FlowDetect`]) and per-worker
//! ([`Scratch`]) state. The contract with the sensor is DETECT-API.md.
//!
//! An `Engine` is immutable and shared by worker threads (`Arc`); reload
//! builds a new one. Nothing here allocates per packet: candidate lists,
//! transform outputs and byte_extract values live in the worker's
//! `Scratch`, reused.
use std::net::IpAddr;

use reefwatch_applayer::{BufferId, Fact};

use crate::compile::Compiled;
use crate::keywords::buffer::Buffer;
use crate::parse::header::{Action, AppProto};
use crate::rule::Rule;

/// Immutable compiled rules; `Arc`-shared by worker threads; swapped whole
/// on reload.
#[derive(Debug)]
pub struct Engine {
    rules: Vec<Rule>,
    compiled: Compiled,
    wants: [bool; BufferId::COUNT],
    wants_facts: bool,
    wants_packets: bool,
}

impl Engine {
    /// Compiles `rules` (groups, prefilters).
    pub fn new(rules: Vec<Rule>) -> Engine {
        let compiled = Compiled::build(&rules);
        let mut wants = [false; BufferId::COUNT];
        let mut wants_facts = false;
        let mut wants_packets = false;
        for r in &rules {
            for l in &r.lists {
                match l.buffer {
                    Buffer::App(id) => wants[id.index()] = true,
                    Buffer::Payload | Buffer::Base64Data => wants_packets = true,
                }
            }
            if r.lists.iter().all(|l| l.buffer == Buffer::Payload) && r.app_proto.is_none() {
                wants_packets = true;
            }
            use crate::rule::Condition as C;
            wants_facts |= r.conditions.iter().any(|c| {
                matches!(
                    c,
                    C::Modbus(_)
                        | C::Dnp3Func(_)
                        | C::Dnp3Ind(_)
                        | C::Dnp3Obj { .. }
                        | C::EnipCommand(_)
                        | C::CipService(_)
                        | C::SslState(_)
                        | C::SslVersion(_)
                        | C::TlsVersion(_)
                        | C::AppLayerEvent(_)
                )
            });
        }
        Engine {
            rules,
            compiled,
            wants,
            wants_facts,
            wants_packets,
        }
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Only-needed buffers: does any loaded rule inspect `id`? (The sensor
    /// skips building it if not.)
    pub fn wants_buffer(&self, id: BufferId) -> bool {
        self.wants[id.index()]
    }

    /// Does any rule test a typed [`Fact`]?
    pub fn wants_facts(&self) -> bool {
        self.wants_facts
    }

    /// Does any rule inspect packet payload, stream or headers (so the
    /// sensor may skip the call)?
    pub fn wants_packets(&self) -> bool {
        self.wants_packets
    }

    /// The compiled groups and prefilters.
    pub fn compiled(&self) -> &Compiled {
        &self.compiled
    }

    /// Packet (and stream) rules: header, flow, flags, dsize, payload
    /// contents, …. Appends to `out` one [`Alert`] per rule that matched
    /// and is to be logged.
    pub fn inspect_packet(
        &self,
        p: &PacketView,
        flow: &mut FlowDetect,
        s: &mut Scratch,
        out: &mut Vec<Alert>,
    ) {
        // matcher: next commit (contract first, so the sensor side can build)
        s.candidates.clear();
        let _ = (p, flow, out);
    }

    /// App-layer rules for one transaction (called when the parser emits
    /// its event).
    pub fn inspect_tx(
        &self,
        p: &PacketView,
        tx: &TxView,
        flow: &mut FlowDetect,
        s: &mut Scratch,
        out: &mut Vec<Alert>,
    ) {
        s.candidates.clear();
        let _ = (p, tx, flow, out);
    }
}

/// Per-flow detection state (flowbits, flowints, pass). Small; `Default`.
#[derive(Debug, Default, Clone)]
pub struct FlowDetect {
    /// Set flowbits, by the engine's interned id; sorted, bounded.
    bits: Vec<u32>,
    /// A `pass` rule matched this flow: no more inspection.
    pass: bool,
}

impl FlowDetect {
    /// Whether a `pass` rule matched the flow (Suricata then skips
    /// detection for the flow's remaining packets).
    pub fn passed(&self) -> bool {
        self.pass
    }
    /// Number of flowbits set.
    pub fn flowbit_count(&self) -> usize {
        self.bits.len()
    }
}

/// Per-worker state: threshold/detection_filter tables (bounded), scratch
/// vectors. One per worker thread; `Scratch::new(&engine)`.
#[derive(Debug)]
pub struct Scratch {
    candidates: Vec<u32>,
}

impl Scratch {
    pub fn new(engine: &Engine) -> Scratch {
        Scratch {
            candidates: Vec::with_capacity(engine.rules.len().min(4096)),
        }
    }
}

/// What the sensor knows about the packet being inspected.
#[derive(Debug, Clone, Copy)]
pub struct PacketView<'a> {
    /// Packet time, ns since the epoch.
    pub ts_ns: i64,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub sport: u16,
    pub dport: u16,
    pub ip_proto: u8,
    pub tcp_flags: Option<u8>,
    /// ICMP type and code.
    pub icmp: Option<(u8, u8)>,
    /// This packet's L4 payload.
    pub payload: &'a [u8],
    /// `None` when the flow direction is unknown.
    pub to_server: Option<bool>,
    pub established: bool,
    /// detect's AppProto, once known.
    pub app_proto: Option<AppProto>,
    /// Bytes seen so far `[to_server, to_client]` (stream_size).
    pub stream_bytes: [u64; 2],
    pub flow_id: u64,
}

/// The sticky buffers and facts of one transaction (filled by the sensor
/// from `EventSink::buffer`/`fact`). Several instances of one id are
/// allowed (dns.query per name, tls.certs per cert): a list matches if one
/// instance matches, as in Suricata.
#[derive(Debug, Clone, Copy)]
pub struct TxView<'a> {
    pub buffers: &'a [(BufferId, &'a [u8])],
    pub facts: &'a [Fact],
    pub to_server: bool,
}

/// A rule that matched and is to be logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alert {
    /// Index into [`Engine::rules`].
    pub rule: u32,
    pub action: Action,
    /// Matched on a transaction (`inspect_tx`), not a packet.
    pub tx: bool,
}
