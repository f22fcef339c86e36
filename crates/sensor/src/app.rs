//! Per-flow application-layer state: content-based protocol detection,
//! bounded buffering of split messages, and the [`EventSink`] the parsers
//! write through.

use crate::eve::{write_applayer_anomaly, write_header, EveOut, FlowHdr};
use crate::rules::{AlertOut, FlowDet, SinkDetect};
use reefwatch_applayer::{
    AppParser, BufferId, Direction, EventSink, Fact, JsonBuilder, ParseResult, ProbeInput,
    ProbeResult, ProtocolDef, Transport,
};

/// Bytes kept per direction while a probe says `NeedMore`.
pub const MAX_PROBE_BYTES: usize = 4096;
/// Bytes kept per direction for a message split across segments.
pub const MAX_PENDING_BYTES: usize = 1 << 20;

/// A parser stays on probation until it has produced this many events
/// (transactions) on a flow: until then a parse error, or
/// `PROBATION_ANOMALIES` anomalies outnumbering its events twice, mean the
/// probe claimed a flow that is not the parser's, and the flow fails over
/// to `failed` (no protocol) instead of filling EVE with anomalies.
pub const PROBATION_EVENTS: u32 = 2;
/// Anomalies that withdraw a parser on probation (when they are more than
/// twice its events).
pub const PROBATION_ANOMALIES: u32 = 6;

const PROTO_UNKNOWN: u16 = u16::MAX;
const PROTO_FAILED: u16 = u16::MAX - 1;

/// All protocols the sensor knows.
pub struct Registry {
    pub defs: Vec<&'static ProtocolDef>,
}

impl Registry {
    pub fn builtin() -> Self {
        let mut defs: Vec<&'static ProtocolDef> = Vec::new();
        defs.extend(reefwatch_ot::protocols().iter());
        defs.extend(reefwatch_it::protocols().iter());
        Registry { defs }
    }

    pub fn name(&self, id: u16) -> &'static str {
        match id {
            PROTO_UNKNOWN => "",
            PROTO_FAILED => "failed",
            i => self.defs.get(i as usize).map_or("", |d| d.name),
        }
    }

    /// Probe port-hinted protocols first, then the rest.
    fn probe(&self, input: &ProbeInput<'_>) -> (Option<u16>, bool) {
        let mut need_more = false;
        for pass in 0..2 {
            for (i, d) in self.defs.iter().enumerate() {
                if !d.transports.contains(&input.transport) {
                    continue;
                }
                let hinted = d.ports.contains(&input.server_port);
                if (pass == 0) != hinted {
                    continue;
                }
                match (d.probe)(input) {
                    ProbeResult::Match => return (Some(i as u16), false),
                    ProbeResult::NeedMore => need_more = true,
                    ProbeResult::NoMatch => {}
                }
            }
        }
        (None, need_more)
    }
}

/// Counters kept by the worker about app-layer activity.
#[derive(Default, Debug, Clone)]
pub struct AppCounters {
    pub parse_errors: u64,
    pub anomalies: Vec<(&'static str, u64)>,
    pub gaps: u64,
    pub buffer_overflows: u64,
    pub tx_events: u64,
    /// anomalies of all names (the sum over `anomalies`)
    pub anomalies_total: u64,
    /// events of parsers on probation that nothing consumes (EVE off):
    /// counted to judge the claim, not written
    pub trial_events: u64,
    /// flows whose parser was withdrawn during its probation (a probe
    /// claimed a flow the parser then could not read): app_proto "failed"
    pub failovers: u64,
}

impl AppCounters {
    /// (events, anomalies) so far, to judge a parser on probation.
    fn trial_marks(&self) -> (u64, u64) {
        (self.tx_events + self.trial_events, self.anomalies_total)
    }

    pub(crate) fn bump(&mut self, name: &'static str) {
        self.anomalies_total += 1;
        if let Some(e) = self.anomalies.iter_mut().find(|(n, _)| *n == name) {
            e.1 += 1;
        } else if self.anomalies.len() < 512 {
            self.anomalies.push((name, 1));
        }
    }
}

/// The engine's [`EventSink`].
pub struct Sink<'a, 'h> {
    pub eve: &'a mut EveOut,
    pub hdr: FlowHdr<'h>,
    pub app_proto: &'static str,
    pub counters: &'a mut AppCounters,
    pub intel: Option<&'a mut crate::intel::IntelCtx>,
    /// parse transactions; when false, protocols are only detected
    pub parse: bool,
    /// rule detection and the flow's detection state (None: no rules
    /// loaded)
    pub det: Option<SinkDetect<'a>>,
    /// the direction of the bytes being parsed
    pub dir: Direction,
    /// the parser being called is on probation: it is told that events
    /// are wanted (they are counted, not written, when EVE is off), so
    /// that its claim is judged the same whatever the output
    pub probation: bool,
}

impl Sink<'_, '_> {
    /// Inspect the flow's open transaction with the rules: as it
    /// progresses (`event` None), or as its event `event_type` is being
    /// written by `body`.
    fn inspect_tx(&mut self, event: crate::rules::TxEvent<'_>) {
        let Some(sd) = self.det.as_mut() else {
            return;
        };
        let h = &self.hdr;
        let v6 = h.v6;
        let ip = |a: &[u8; 16]| crate::rules::ip_addr(a, v6);
        let ip_proto = h.ip_proto;
        let pv = reefwatch_detect::PacketView {
            ts_ns: h.ts_ns,
            src: ip(h.client),
            dst: ip(h.server),
            sport: h.cport,
            dport: h.sport,
            ip_proto,
            tcp_flags: None,
            icmp: None,
            payload: &[],
            to_server: Some(true),
            established: true,
            app_proto: sd.ctx.rules.app_proto_named(self.app_proto),
            stream_bytes: [0, 0],
            flow_id: h.flow_id,
        };
        let mut out = AlertOut {
            eve: self.eve,
            hdr: &self.hdr,
            app_proto: self.app_proto,
            flow: Some(sd.counts),
        };
        sd.ctx.on_tx(sd.flow, &pv, ip_proto == 6, event, &mut out);
    }

    /// Whether the flow's open transaction holds buffers or facts.
    fn has_tx(&self) -> bool {
        self.det.as_ref().is_some_and(|d| d.flow.has_tx())
    }

    /// The parser took a piece of data: inspect what it exposed.
    fn progress(&mut self) {
        if self.det.as_ref().is_some_and(|d| d.flow.is_dirty()) {
            self.inspect_tx(None);
        }
    }
}

impl EventSink for Sink<'_, '_> {
    fn wants_events(&self) -> bool {
        self.probation || self.eve.enabled() || self.intel.is_some()
    }

    fn event(&mut self, event_type: &'static str, body: &mut dyn FnMut(&mut JsonBuilder)) {
        if self.probation && !(self.eve.enabled() || self.intel.is_some()) {
            // asked only to judge the parser's claim
            self.counters.trial_events += 1;
            return;
        }
        self.counters.tx_events += 1;
        if let Some(i) = self.intel.as_mut() {
            i.on_transaction(self.eve, &self.hdr, self.app_proto);
        }
        if self.has_tx() {
            self.inspect_tx(Some((event_type, body)));
        }
        if !self.eve.enabled() {
            return;
        }
        self.eve.begin(self.hdr.ts_ns);
        write_header(&mut self.eve.js, &self.hdr, event_type, self.app_proto);
        self.eve.js.open_object(event_type);
        body(&mut self.eve.js);
        self.eve.js.close();
        self.eve.end();
    }

    fn event_toplevel(&mut self, event_type: &'static str, body: &mut dyn FnMut(&mut JsonBuilder)) {
        if self.probation && !(self.eve.enabled() || self.intel.is_some()) {
            // asked only to judge the parser's claim
            self.counters.trial_events += 1;
            return;
        }
        self.counters.tx_events += 1;
        if let Some(i) = self.intel.as_mut() {
            i.on_transaction(self.eve, &self.hdr, self.app_proto);
        }
        // a file's record comes before its transaction's event: the
        // transaction is inspected then
        if event_type != "fileinfo" && self.has_tx() {
            self.inspect_tx(Some((event_type, &mut |_: &mut JsonBuilder| {})));
        }
        if !self.eve.enabled() {
            return;
        }
        self.eve.begin(self.hdr.ts_ns);
        write_header(&mut self.eve.js, &self.hdr, event_type, self.app_proto);
        body(&mut self.eve.js);
        self.eve.end();
    }

    fn buffer(&mut self, id: BufferId, data: &[u8]) {
        if let Some(i) = self.intel.as_mut() {
            i.on_buffer(id, data);
        }
        if let Some(sd) = self.det.as_mut() {
            if sd.ctx.wants_buffer(id) {
                let to_server = self.dir == Direction::ToServer;
                sd.flow.keep_buffer(id, data, to_server, sd.ctx);
            }
        }
    }

    fn wants_buffer(&self, id: BufferId) -> bool {
        self.intel.is_some() || self.det.as_ref().is_some_and(|d| d.ctx.wants_buffer(id))
    }

    fn wants_facts(&self) -> bool {
        self.det.as_ref().is_some_and(|d| d.ctx.wants_facts())
    }

    fn fact(&mut self, fact: Fact) {
        if let Some(sd) = self.det.as_mut() {
            if sd.ctx.wants_facts() {
                sd.flow.keep_fact(fact, self.dir == Direction::ToServer);
            }
        }
    }

    fn anomaly(&mut self, name: &'static str) {
        self.counters.bump(name);
        if !self.eve.enabled() {
            return;
        }
        self.eve.begin(self.hdr.ts_ns);
        write_header(&mut self.eve.js, &self.hdr, "anomaly", self.app_proto);
        write_applayer_anomaly(&mut self.eve.js, self.app_proto, name);
        self.eve.end();
    }
}

/// Application-layer state of one flow: its protocol, and while the
/// protocol is being detected or a parser runs, the parser and buffers
/// ([`AppWork`], allocated with the flow's first data and dropped when
/// nothing more is wanted). The flow record holds 16 bytes of it.
pub struct AppState {
    pub proto: u16,
    pub saw_data: bool,
    work: Option<Box<AppWork>>,
}

impl Default for AppState {
    fn default() -> Self {
        AppState {
            proto: PROTO_UNKNOWN,
            saw_data: false,
            work: None,
        }
    }
}

/// What a flow's app layer holds while it detects or parses.
#[derive(Default)]
struct AppWork {
    parser: Option<Box<dyn AppParser>>,
    /// Per direction: before detection the bytes kept for the probe
    /// (`probe_buf`), after it the start of a message split across
    /// segments (`pending`). One buffer serves both.
    buf: [Vec<u8>; 2],
    /// Per direction, while the probe asks for more: where each piece of
    /// `buf` ends and the packet that carried it, so that once detected
    /// the pieces reach the parser in packet order with their own
    /// `pcap_cnt` and time (the events they complete belong to those
    /// packets)
    pieces: [Vec<Piece>; 2],
    probe_failed: [bool; 2],
    need: [u32; 2],
    dead: [bool; 2],
    /// the parser's probation: events and anomalies it produced so far
    /// while on it (it ends with `PROBATION_EVENTS` events)
    trial: Trial,
    /// rule detection state (flowbits, the open transaction, alerts
    /// waiting for an acknowledgement)
    detect: FlowDet,
}

/// What a parser on probation produced so far.
#[derive(Default, Clone, Copy)]
struct Trial {
    /// the direction the probe matched on: a parse error there, before
    /// any event, disproves the claim (one in the other direction may be
    /// the parser's own limit, e.g. an SSLv2 server hello)
    claimed: Option<Direction>,
    events: u32,
    anomalies: u32,
    /// the parser is withdrawn: its flow fails over to `failed`
    withdrawn: bool,
}

impl Trial {
    fn on_probation(&self) -> bool {
        !self.withdrawn && self.events < PROBATION_EVENTS
    }

    /// Account for one parse call: the counters before it, the counters
    /// after it and whether it failed.
    fn judge(&mut self, d: Direction, before: (u64, u64), after: (u64, u64), error: bool) {
        if !self.on_probation() {
            return;
        }
        self.events = self
            .events
            .saturating_add((after.0 - before.0).min(u32::MAX as u64) as u32);
        self.anomalies = self
            .anomalies
            .saturating_add((after.1 - before.1).min(u32::MAX as u64) as u32);
        let noisy =
            self.anomalies >= PROBATION_ANOMALIES && self.anomalies > self.events.saturating_mul(2);
        let disproved = error && self.events == 0 && self.claimed.is_none_or(|c| c == d);
        if disproved || noisy {
            self.withdrawn = true;
        }
    }
}

/// End offset in the probe buffer, packet number and time of one piece.
#[derive(Clone, Copy)]
struct Piece {
    end: u32,
    pkt: u64,
    ts_ns: i64,
}

impl AppState {
    pub fn detected(&self) -> bool {
        self.work.as_ref().is_some_and(|w| w.parser.is_some())
    }

    /// The protocol is decided (known, or no probe matched either
    /// direction) and no parser takes bytes: with detection only, nothing
    /// more is wanted from the flow.
    pub fn decided(&self) -> bool {
        !self.detected() && self.proto != PROTO_UNKNOWN
    }

    /// Name to log as `app_proto` ("" when nothing was seen).
    pub fn app_proto(&self, reg: &Registry) -> &'static str {
        if self.proto == PROTO_UNKNOWN && self.saw_data {
            return "failed";
        }
        reg.name(self.proto)
    }

    /// The flow's detection state, taken out for a packet (default when
    /// it has none); give it back with [`AppState::put_detect`].
    pub fn take_detect(&mut self) -> FlowDet {
        self.work
            .as_mut()
            .map(|w| std::mem::take(&mut w.detect))
            .unwrap_or_default()
    }

    /// Keep the flow's detection state (allocating the flow's app-layer
    /// work only when there is state worth keeping).
    pub fn put_detect(&mut self, fd: FlowDet) {
        match self.work.as_mut() {
            Some(w) => w.detect = fd,
            None if fd.is_empty() => {}
            None => {
                self.work = Some(Box::new(AppWork {
                    detect: fd,
                    ..Default::default()
                }))
            }
        }
    }

    /// Bytes held by this flow's app-layer buffers.
    pub fn memuse(&self) -> usize {
        self.work
            .as_ref()
            .map_or(0, |w| w.buf.iter().map(|v| v.capacity()).sum())
    }

    /// New in-order data (TCP) or a datagram (UDP) in direction `d`.
    pub fn on_data(
        &mut self,
        reg: &Registry,
        d: Direction,
        data: &[u8],
        transport: Transport,
        sink: &mut Sink<'_, '_>,
    ) {
        if data.is_empty() {
            return;
        }
        self.saw_data = true;
        if self.detected() {
            if let Some(w) = self.work.as_mut() {
                w.feed(d, data, transport, sink);
            }
            self.fail_over(sink);
            return;
        }
        if self.proto != PROTO_UNKNOWN {
            return;
        }
        let w = self.work.get_or_insert_with(Default::default);
        if w.probe_failed[d] {
            return;
        }
        w.detect(&mut self.proto, reg, d, data, transport, sink);
        self.fail_over(sink);
        if self.decided() {
            // known without a parser (detection only), or no probe
            // matched: nothing more to buffer
            self.work = None;
        }
    }

    /// A parser withdrawn on probation leaves its flow without protocol
    /// (`failed`); no probe runs again (as Suricata, a flow gets one
    /// protocol decision).
    fn fail_over(&mut self, sink: &mut Sink<'_, '_>) {
        if self.work.as_ref().is_some_and(|w| w.trial.withdrawn) && self.proto != PROTO_FAILED {
            self.proto = PROTO_FAILED;
            sink.app_proto = "failed";
        }
    }

    /// One piece of a TCP stream from reassembly: data or a gap.
    pub fn on_chunk(
        &mut self,
        reg: &Registry,
        d: Direction,
        c: reefwatch_flow::Chunk<'_>,
        sink: &mut Sink<'_, '_>,
    ) {
        match c {
            reefwatch_flow::Chunk::Data(b, pkt) => {
                // events these bytes complete belong to the packet that
                // carried them (it differs from the current packet when
                // they waited behind a hole)
                let cur = sink.hdr.pcap_cnt;
                if pkt != 0 {
                    sink.hdr.pcap_cnt = pkt;
                }
                self.on_data(reg, d, b, Transport::Tcp, sink);
                sink.hdr.pcap_cnt = cur;
            }
            reefwatch_flow::Chunk::Gap(_) => self.on_gap(d, sink),
        }
    }

    /// Bytes were lost in direction `d`.
    pub fn on_gap(&mut self, d: Direction, sink: &mut Sink<'_, '_>) {
        sink.counters.gaps += 1;
        let Some(w) = self.work.as_mut() else {
            return;
        };
        w.buf[d].clear();
        w.need[d] = 0;
        if let Some(p) = w.parser.as_mut() {
            p.on_gap(d, sink);
        }
    }

    /// The flow ended.
    pub fn on_close(&mut self, sink: &mut Sink<'_, '_>) {
        if let Some(p) = self.work.as_mut().and_then(|w| w.parser.as_mut()) {
            p.on_close(sink);
        }
        self.work = None;
    }
}

impl AppWork {
    fn detect(
        &mut self,
        proto: &mut u16,
        reg: &Registry,
        d: Direction,
        data: &[u8],
        transport: Transport,
        sink: &mut Sink<'_, '_>,
    ) {
        let buffered = !self.buf[d].is_empty();
        if buffered {
            let room = MAX_PROBE_BYTES.saturating_sub(self.buf[d].len());
            self.buf[d].extend_from_slice(&data[..data.len().min(room)]);
            self.pieces[d].push(Piece {
                end: self.buf[d].len() as u32,
                pkt: sink.hdr.pcap_cnt,
                ts_ns: sink.hdr.ts_ns,
            });
        }
        let (result, need_more) = {
            let bytes: &[u8] = if buffered { &self.buf[d] } else { data };
            let input = ProbeInput {
                data: bytes,
                dir: d,
                transport,
                client_port: sink.hdr.cport,
                server_port: sink.hdr.sport,
            };
            reg.probe(&input)
        };
        match result {
            Some(id) => {
                *proto = id;
                sink.app_proto = reg.name(id);
                if !sink.parse {
                    // detection only: no parser (the caller drops this
                    // work once the protocol is decided)
                    return;
                }
                self.parser = Some((reg.defs[id as usize].new_parser)());
                self.trial.claimed = Some(d);
                if buffered || !self.buf[d.flip()].is_empty() {
                    self.replay_pieces(d, transport, sink);
                }
                if !buffered {
                    self.feed(d, data, transport, sink);
                }
            }
            None => {
                let len = if buffered {
                    self.buf[d].len()
                } else {
                    data.len()
                };
                if need_more && transport == Transport::Tcp && len < MAX_PROBE_BYTES {
                    if !buffered {
                        self.buf[d].extend_from_slice(&data[..data.len().min(MAX_PROBE_BYTES)]);
                        self.pieces[d].push(Piece {
                            end: self.buf[d].len() as u32,
                            pkt: sink.hdr.pcap_cnt,
                            ts_ns: sink.hdr.ts_ns,
                        });
                    }
                } else {
                    self.probe_failed[d] = true;
                    self.buf[d] = Vec::new();
                    self.pieces[d] = Vec::new();
                    if self.probe_failed[0] && self.probe_failed[1] {
                        *proto = PROTO_FAILED;
                    }
                }
            }
        }
    }

    /// The bytes both directions kept for the probe, to the new parser:
    /// piece by piece in packet order (the other direction's first on a
    /// tie, as it was buffered first), each with its packet's number and
    /// time.
    fn replay_pieces(&mut self, d: Direction, transport: Transport, sink: &mut Sink<'_, '_>) {
        let bufs = [
            std::mem::take(&mut self.buf[0]),
            std::mem::take(&mut self.buf[1]),
        ];
        let marks = [
            std::mem::take(&mut self.pieces[0]),
            std::mem::take(&mut self.pieces[1]),
        ];
        // (piece, mine: the current direction after the other on a tie,
        // direction, start); bytes past the last mark are the current
        // packet's
        let now = Piece {
            end: 0,
            pkt: sink.hdr.pcap_cnt,
            ts_ns: sink.hdr.ts_ns,
        };
        let mut order: Vec<(Piece, bool, Direction, usize)> = Vec::new();
        for dir in Direction::BOTH {
            let mut start = 0usize;
            for &m in &marks[dir] {
                let end = (m.end as usize).min(bufs[dir].len());
                if end > start {
                    order.push((
                        Piece {
                            end: end as u32,
                            ..m
                        },
                        dir == d,
                        dir,
                        start,
                    ));
                }
                start = end;
            }
            if start < bufs[dir].len() {
                let end = bufs[dir].len() as u32;
                order.push((Piece { end, ..now }, dir == d, dir, start));
            }
        }
        order.sort_by_key(|&(p, mine, ..)| (p.pkt, mine));
        for (p, _, dir, start) in order {
            if p.pkt != 0 {
                (sink.hdr.pcap_cnt, sink.hdr.ts_ns) = (p.pkt, p.ts_ns);
            }
            self.feed(dir, &bufs[dir][start..p.end as usize], transport, sink);
            (sink.hdr.pcap_cnt, sink.hdr.ts_ns) = (now.pkt, now.ts_ns);
        }
    }

    fn feed(&mut self, d: Direction, data: &[u8], transport: Transport, sink: &mut Sink<'_, '_>) {
        if self.dead[d] {
            return;
        }
        let Some(parser) = self.parser.as_mut() else {
            return;
        };
        let dir = d;
        sink.dir = d;
        let before = sink.counters.trial_marks();
        sink.probation = self.trial.on_probation();
        if transport == Transport::Udp {
            let error = parser.parse(dir, data, sink) == ParseResult::Error;
            if error {
                sink.counters.parse_errors += 1;
                sink.anomaly("applayer.parser_error");
            }
            sink.progress();
            self.judge(before, error, sink);
            return;
        }
        let pending = &mut self.buf[d];
        let result;
        if pending.is_empty() {
            result = parser.parse(dir, data, sink);
            if let ParseResult::Incomplete { consumed, needed } = result {
                let rest = &data[consumed.min(data.len())..];
                if rest.len() <= MAX_PENDING_BYTES {
                    pending.extend_from_slice(rest);
                    self.need[d] = (rest.len() + needed).min(u32::MAX as usize) as u32;
                } else {
                    sink.counters.buffer_overflows += 1;
                    sink.anomaly("applayer.buffer_overflow");
                    parser.on_gap(dir, sink);
                }
            }
        } else {
            if pending.len() + data.len() > MAX_PENDING_BYTES {
                sink.counters.buffer_overflows += 1;
                sink.anomaly("applayer.buffer_overflow");
                pending.clear();
                self.need[d] = 0;
                parser.on_gap(dir, sink);
                return;
            }
            pending.extend_from_slice(data);
            if pending.len() < self.need[d] as usize {
                return;
            }
            let mut buf = std::mem::take(pending);
            result = parser.parse(dir, &buf, sink);
            if let ParseResult::Incomplete { consumed, needed } = result {
                let c = consumed.min(buf.len());
                buf.drain(..c);
                self.need[d] = (buf.len() + needed).min(u32::MAX as usize) as u32;
                self.buf[d] = buf;
            } else {
                buf.clear();
                self.buf[d] = buf; // keep the allocation
                self.need[d] = 0;
            }
        }
        sink.progress();
        let error = result == ParseResult::Error;
        if error {
            self.dead[d] = true;
            self.buf[d] = Vec::new();
            sink.counters.parse_errors += 1;
            sink.anomaly("applayer.parser_error");
        }
        self.judge(before, error, sink);
    }

    /// Judge a parse call of a parser on probation (`before`: the event
    /// and anomaly counters before it); a withdrawn parser is dropped
    /// with what it buffered, without its `on_close` (a parser that was
    /// never the flow's has nothing to report).
    fn judge(&mut self, before: (u64, u64), error: bool, sink: &mut Sink<'_, '_>) {
        sink.probation = false;
        let after = sink.counters.trial_marks();
        self.trial.judge(sink.dir, before, after, error);
        if self.trial.withdrawn && self.parser.is_some() {
            self.parser = None;
            self.buf = [Vec::new(), Vec::new()];
            self.pieces = [Vec::new(), Vec::new()];
            sink.counters.failovers += 1;
        }
    }
}

#[cfg(test)]
mod failover_tests;
