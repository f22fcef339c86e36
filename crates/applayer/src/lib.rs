//! The contract between the flow engine and the application-layer parsers.
//!
//! A protocol is one [`ProtocolDef`]: a content probe (the port is only a
//! hint), and a constructor for a per-flow [`AppParser`]. The engine feeds
//! the parser in-order bytes per direction (TCP, after reassembly) or one
//! datagram per call (UDP). The parser answers with a [`ParseResult`] —
//! `Incomplete { needed }` when a message is split, as in sawp — and reports
//! what it saw through an [`EventSink`]:
//!
//! * [`EventSink::event`] writes one EVE record (`"event_type": "modbus"`,
//!   and the protocol's object) — the sink writes the common header
//!   (timestamp, flow_id, pcap_cnt, addresses) so parsers never do;
//! * [`EventSink::buffer`] exposes a sticky buffer by its typed id
//!   ([`BufferId::HttpUri`], [`BufferId::DnsQuery`], [`BufferId::TlsSni`] …,
//!   each with its Suricata keyword in one table) as a borrowed slice, for
//!   detection and intelligence matching without a copy;
//! * [`EventSink::fact`] reports a typed [`Fact`] (Modbus access, DNP3
//!   function, CIP service …) for rule keywords that are not buffers;
//! * [`EventSink::anomaly`] flags a parsed-but-odd or malformed message; the
//!   flow goes on.
//!
//! Parsers must be bounded: they keep at most [`MAX_TXS_PER_FLOW`] open
//! transactions and never buffer more than the engine hands them.
//!
//! Protocols carried straight on Ethernet (GOOSE, SV, PROFINET, LLDP …)
//! are an [`L2ProtocolDef`] instead: dispatched by EtherType, one
//! [`L2Parser`] per (source MAC, EtherType, stream id) "flow" (see [`l2`]).
//!
//! Parts every parser shares: [`TxTable`] (open transactions, bounded, with
//! per-flow ids), [`Anomalies`] (a protocol's anomaly bits, named in one
//! table) and [`bytes`] (bounds-checked readers and a cursor).
#![forbid(unsafe_code)]

pub mod anomaly;
pub mod buffer;
pub mod bytes;
pub mod fact;
pub mod fuzzing;
pub mod json;
pub mod l2;
pub mod tx;

pub use anomaly::Anomalies;
pub use buffer::BufferId;
pub use fact::{Fact, ModbusAccess, ModbusTable};
pub use json::JsonBuilder;
pub use l2::{L2Context, L2Frame, L2Parser, L2ProtocolDef};
pub use tx::TxTable;

/// Upper bound on open (unanswered) transactions a parser keeps per flow.
/// Past it the oldest is logged as unanswered and dropped.
pub const MAX_TXS_PER_FLOW: usize = 256;

/// Direction of data within a flow: the flow crate's type, so that the
/// flow table, reassembly and parsers share one definition.
pub use reefwatch_flow::Direction;

/// Transport a protocol runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transport {
    Tcp,
    Udp,
}

/// What a probe sees: the first bytes of one direction of a flow.
#[derive(Clone, Copy, Debug)]
pub struct ProbeInput<'a> {
    pub data: &'a [u8],
    pub dir: Direction,
    pub transport: Transport,
    /// Client and server ports (hints only: detection is by content).
    pub client_port: u16,
    pub server_port: u16,
}

/// Answer of a probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeResult {
    /// The bytes are this protocol.
    Match,
    /// The bytes are certainly not this protocol.
    NoMatch,
    /// Cannot tell yet; probe again with more bytes (bounded by the engine).
    NeedMore,
}

/// Outcome of one [`AppParser::parse`] call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseResult {
    /// Every byte handed in was consumed.
    Done,
    /// `consumed` bytes were used; the remainder is the start of a message
    /// that needs at least `needed` more bytes. The engine keeps the
    /// remainder (bounded) and calls again with it plus new data.
    Incomplete { consumed: usize, needed: usize },
    /// The stream cannot be parsed any further (not this protocol, or lost
    /// framing that cannot be recovered). The engine stops feeding this
    /// direction and records an `applayer` anomaly.
    Error,
}

/// Where parsers send what they observed. Implemented by the engine.
pub trait EventSink {
    /// Whether anything consumes events (EVE on). When false, parsers may
    /// skip building field values that are only logged.
    fn wants_events(&self) -> bool;

    /// Write one EVE event of type `event_type`. The sink writes the common
    /// header (timestamp, flow_id, pcap_cnt, src/dest ip and port, proto,
    /// event_type, app_proto), then `"<event_type>": {` , calls `body` to
    /// write the protocol object's fields, and closes it.
    fn event(&mut self, event_type: &'static str, body: &mut dyn FnMut(&mut JsonBuilder));

    /// Like [`EventSink::event`] but `body` writes top-level members itself
    /// (for events such as `fileinfo` that carry several objects).
    fn event_toplevel(&mut self, event_type: &'static str, body: &mut dyn FnMut(&mut JsonBuilder));

    /// Expose a sticky buffer of the transaction being parsed, e.g.
    /// `(BufferId::HttpUri, b"/index.html")`. Borrowed: never copied by the
    /// parser. [`BufferId::name`] is Suricata's keyword. Called before the
    /// transaction's event.
    fn buffer(&mut self, _id: BufferId, _data: &[u8]) {}

    /// Whether anything consumes buffer `id` (a loaded rule or an
    /// indicator inspects it): buffers that must be built, not just
    /// borrowed, are built only then.
    fn wants_buffer(&self, _id: BufferId) -> bool {
        true
    }

    /// Report a typed fact of the transaction being parsed (a Modbus
    /// access, a DNP3 function, …; see [`Fact`]) for rule keywords that are
    /// not byte buffers. Called before the transaction's event, like
    /// [`EventSink::buffer`]. Default: ignored.
    fn fact(&mut self, _fact: Fact) {}

    /// Whether anything consumes [`EventSink::fact`] (a loaded rule tests
    /// a typed fact). Parsers build and report facts only when it is true,
    /// so they cost nothing otherwise. The transaction boundary stays
    /// [`EventSink::event`]: a sink that wants facts answers
    /// [`EventSink::wants_events`] true as well. Default: false.
    fn wants_facts(&self) -> bool {
        false
    }

    /// Record a protocol anomaly (short snake_case name, e.g.
    /// `"modbus.invalid_length"`). Parsing continues.
    fn anomaly(&mut self, name: &'static str);
}

/// Per-flow parser state for one protocol.
pub trait AppParser: Send {
    /// Parse `data` flowing in `dir`. For TCP, `data` is in-order stream
    /// bytes (possibly a remainder from an earlier `Incomplete` followed by
    /// new bytes); for UDP it is one whole datagram payload.
    fn parse(&mut self, dir: Direction, data: &[u8], out: &mut dyn EventSink) -> ParseResult;

    /// Bytes were lost in `dir` (a gap in the TCP stream). The parser must
    /// drop any partial message in that direction and resynchronise.
    fn on_gap(&mut self, _dir: Direction, _out: &mut dyn EventSink) {}

    /// The flow ended (or was evicted): log whatever is still open
    /// (requests without responses, unsolicited state) and release it.
    fn on_close(&mut self, _out: &mut dyn EventSink) {}
}

/// A protocol the engine can detect and parse.
#[derive(Clone, Copy)]
pub struct ProtocolDef {
    /// `app_proto` value as Suricata writes it in EVE (`"modbus"`, `"dnp3"`,
    /// `"http"`, `"tls"` …).
    pub name: &'static str,
    pub transports: &'static [Transport],
    /// Well-known server ports: probed first, never required.
    pub ports: &'static [u16],
    pub probe: fn(&ProbeInput<'_>) -> ProbeResult,
    pub new_parser: fn() -> Box<dyn AppParser>,
}

impl core::fmt::Debug for ProtocolDef {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ProtocolDef")
            .field("name", &self.name)
            .finish()
    }
}

/// A sink that collects events as JSON strings, and every buffer and fact
/// (it wants facts); for parser unit tests.
#[derive(Default, Debug)]
pub struct TestSink {
    /// `(event_type, json of the protocol object)`
    pub events: Vec<(String, String)>,
    pub buffers: Vec<(BufferId, Vec<u8>)>,
    pub facts: Vec<Fact>,
    pub anomalies: Vec<String>,
}

impl EventSink for TestSink {
    fn wants_events(&self) -> bool {
        true
    }
    fn event(&mut self, event_type: &'static str, body: &mut dyn FnMut(&mut JsonBuilder)) {
        let mut js = JsonBuilder::new_object();
        body(&mut js);
        js.close();
        self.events
            .push((event_type.to_string(), js.as_str().to_string()));
    }
    fn event_toplevel(&mut self, event_type: &'static str, body: &mut dyn FnMut(&mut JsonBuilder)) {
        self.event(event_type, body)
    }
    fn buffer(&mut self, id: BufferId, data: &[u8]) {
        self.buffers.push((id, data.to_vec()));
    }
    fn fact(&mut self, fact: Fact) {
        self.facts.push(fact);
    }
    fn wants_facts(&self) -> bool {
        true
    }
    fn anomaly(&mut self, name: &'static str) {
        self.anomalies.push(name.to_string());
    }
}
