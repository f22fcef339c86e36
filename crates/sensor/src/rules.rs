//! Suricata rules on the packet path: the loaded rule set
//! ([`LoadedRules`], shared by the workers and swapped whole on reload
//! through a [`RuleSlot`]), a worker's detection context ([`DetectCtx`])
//! and a flow's detection state ([`FlowDet`]).
//!
//! What is inspected, and when (the contract with `reefwatch-detect`):
//! * every packet of a flow goes to [`reefwatch_detect::Engine::inspect_packet`]
//!   (header, flow, flags, payload rules) when a loaded rule looks at
//!   packets; its alerts carry that packet's number;
//! * the sticky buffers and facts the parsers expose through
//!   `EventSink::buffer`/`fact` are kept per flow — only those a loaded
//!   rule inspects — until the transaction's event, then go to
//!   [`reefwatch_detect::Engine::inspect_tx`], once per direction that
//!   contributed;
//! * as Suricata (IDS mode) hands TCP data to its app layer only once the
//!   peer acknowledged it, an alert on a transaction waits until a packet
//!   of the other direction acknowledges the bytes it was found in, and
//!   carries that packet's number; UDP alerts are written at once; alerts
//!   still waiting when the flow ends are written then.
use crate::eve::{write_header, EveOut, FlowHdr};
use reefwatch_applayer::{BufferId, Fact, JsonBuilder};
use reefwatch_detect::parse::header::{Action, AppProto, Protocol};
use reefwatch_detect::{Alert, Classifications, Engine, FlowDetect, PacketView, Scratch, TxView};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// Bytes of sticky buffers one flow keeps while its transaction is open.
pub const MAX_TX_BYTES: usize = 256 << 10;
/// Buffer instances (and facts) one flow keeps while its transaction is open.
pub const MAX_TX_ITEMS: usize = 1024;
/// Alerts one flow keeps waiting for the acknowledgement of their bytes.
pub const MAX_PENDING: usize = 64;

/// A compiled rule set and what alerts need of each rule, rendered once.
pub struct LoadedRules {
    pub engine: Engine,
    /// Per rule: the members of the EVE `alert` object after `action`
    /// (`"gid":1,"signature_id":…,"rev":…,"signature":…,"category":…,
    /// "severity":…,"metadata":{…}`), as JSON text.
    alert_json: Vec<String>,
    /// Per registry protocol id: the rule language's name for it.
    app_ids: Vec<Option<AppProto>>,
    /// The same by the sensor's protocol name.
    app_names: Vec<(&'static str, AppProto)>,
}

impl LoadedRules {
    /// Compiles `rules`; `classes` gives categories; `app_names` are the
    /// sensor's protocol names by registry id.
    pub fn new(
        rules: Vec<reefwatch_detect::Rule>,
        classes: Option<&Classifications>,
        app_names: &[&'static str],
    ) -> LoadedRules {
        let alert_json = rules.iter().map(|r| render_rule(r, classes)).collect();
        let engine = Engine::new(rules);
        let app_ids: Vec<Option<AppProto>> = app_names
            .iter()
            .map(|n| match Protocol::parse(n) {
                Ok(Protocol::App(a)) => Some(a),
                _ => None,
            })
            .collect();
        let app_names = app_names
            .iter()
            .zip(&app_ids)
            .filter_map(|(n, a)| Some((*n, (*a)?)))
            .collect();
        LoadedRules {
            engine,
            alert_json,
            app_ids,
            app_names,
        }
    }

    pub fn len(&self) -> usize {
        self.engine.rules().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The rule language's protocol for registry id `id`.
    pub fn app_proto(&self, id: u16) -> Option<AppProto> {
        self.app_ids.get(id as usize).copied().flatten()
    }

    /// The rule language's protocol for the sensor's protocol `name`.
    pub fn app_proto_named(&self, name: &str) -> Option<AppProto> {
        self.app_names
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, a)| *a)
    }
}

/// An address of a flow key as `IpAddr`.
pub fn ip_addr(a: &[u8; 16], v6: bool) -> std::net::IpAddr {
    if v6 {
        std::net::IpAddr::from(*a)
    } else {
        std::net::IpAddr::from([a[0], a[1], a[2], a[3]])
    }
}

fn render_rule(r: &reefwatch_detect::Rule, classes: Option<&Classifications>) -> String {
    let m = &r.meta;
    let mut js = JsonBuilder::new_object();
    js.set_uint("gid", m.gid as u64)
        .set_uint("signature_id", m.sid as u64)
        .set_uint("rev", m.rev as u64)
        .set_str("signature", &m.msg);
    let class = m
        .classtype
        .as_deref()
        .and_then(|c| classes.and_then(|cl| cl.get(c)));
    if let Some(c) = class {
        js.set_str("category", &c.description);
    }
    // Suricata: the rule's priority, else its classtype's, else 3
    let sev = m.priority.or(class.map(|c| c.priority)).unwrap_or(3);
    js.set_uint("severity", sev as u64);
    if !m.metadata.is_empty() {
        // {"key":["v1","v2"]} in first-seen key order, as Suricata
        let mut keys: Vec<&str> = Vec::new();
        for (k, _) in &m.metadata {
            if !keys.contains(&k.as_str()) {
                keys.push(k);
            }
        }
        js.open_object("metadata");
        for k in keys {
            js.open_array(k);
            for (_, v) in m.metadata.iter().filter(|(kk, _)| kk == k) {
                js.append_str(v);
            }
            js.close();
        }
        js.close();
    }
    // the members only: drop the leading '{'
    js.as_str()[1..].to_string()
}

/// The rule set workers use, replaceable while they run: a reload builds
/// a new [`LoadedRules`] and [`RuleSlot::swap`]s it in; each worker picks
/// it up at its next batch (flows keep their detection state).
pub struct RuleSlot {
    cur: RwLock<Arc<LoadedRules>>,
    generation: AtomicU64,
}

impl RuleSlot {
    pub fn new(rules: LoadedRules) -> RuleSlot {
        RuleSlot {
            cur: RwLock::new(Arc::new(rules)),
            generation: AtomicU64::new(1),
        }
    }

    /// The current rules and their generation.
    pub fn load(&self) -> (Arc<LoadedRules>, u64) {
        let g = self.generation.load(Ordering::Acquire);
        let r = self.cur.read().unwrap_or_else(|p| p.into_inner()).clone();
        (r, g)
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Replace the rules (an atomic swap; workers still inspecting with
    /// the old set finish with it).
    pub fn swap(&self, rules: LoadedRules) {
        let mut w = self.cur.write().unwrap_or_else(|p| p.into_inner());
        *w = Arc::new(rules);
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
}

/// What a worker counted about detection.
#[derive(Debug, Default, Clone)]
pub struct DetectCounters {
    /// Alerts written (or, with EVE off, that would have been).
    pub alerts: u64,
    /// Per rule index: alerts raised (only with rules loaded).
    pub fired: Vec<u32>,
    /// Transactions handed to the engine.
    pub tx_inspected: u64,
    /// Packets handed to the engine.
    pub pkts_inspected: u64,
    /// Buffer bytes not kept because a flow's transaction held too much.
    pub tx_bytes_dropped: u64,
    /// Alerts written early because a flow had too many waiting.
    pub pending_overflow: u64,
}

impl DetectCounters {
    pub fn merge(&mut self, o: &DetectCounters) {
        self.alerts += o.alerts;
        self.tx_inspected += o.tx_inspected;
        self.pkts_inspected += o.pkts_inspected;
        self.tx_bytes_dropped += o.tx_bytes_dropped;
        self.pending_overflow += o.pending_overflow;
        if self.fired.len() < o.fired.len() {
            self.fired.resize(o.fired.len(), 0);
        }
        for (a, b) in self.fired.iter_mut().zip(&o.fired) {
            *a += b;
        }
    }

    /// Rules that raised at least one alert.
    pub fn rules_fired(&self) -> usize {
        self.fired.iter().filter(|&&n| n > 0).count()
    }
}

/// A worker's detection context.
pub struct DetectCtx {
    slot: Arc<RuleSlot>,
    generation: u64,
    pub rules: Arc<LoadedRules>,
    scratch: Scratch,
    alerts: Vec<Alert>,
    /// reused for `TxView::buffers` (always empty between calls)
    views: Vec<(BufferId, &'static [u8])>,
    facts: Vec<Fact>,
    app: JsonBuilder,
    pub counters: DetectCounters,
}

/// An empty vector of another lifetime, keeping the allocation.
fn recycle<'a>(mut v: Vec<(BufferId, &'static [u8])>) -> Vec<(BufferId, &'a [u8])> {
    v.clear();
    v.into_iter().map(|_| unreachable!()).collect()
}

fn recycle_back(mut v: Vec<(BufferId, &[u8])>) -> Vec<(BufferId, &'static [u8])> {
    v.clear();
    v.into_iter().map(|_| unreachable!()).collect()
}

impl DetectCtx {
    pub fn new(slot: Arc<RuleSlot>) -> DetectCtx {
        let (rules, generation) = slot.load();
        DetectCtx {
            scratch: Scratch::new(&rules.engine),
            counters: DetectCounters {
                fired: vec![0; rules.len()],
                ..Default::default()
            },
            slot,
            generation,
            rules,
            alerts: Vec::new(),
            views: Vec::new(),
            facts: Vec::new(),
            app: JsonBuilder::new_object(),
        }
    }

    /// Take up a reloaded rule set, if any (cheap when there is none).
    pub fn refresh(&mut self) {
        if self.slot.generation() == self.generation {
            return;
        }
        let (rules, generation) = self.slot.load();
        self.scratch = Scratch::new(&rules.engine);
        self.counters.fired = vec![0; rules.len()];
        self.rules = rules;
        self.generation = generation;
    }

    pub fn wants_buffer(&self, id: BufferId) -> bool {
        self.rules.engine.wants_buffer(id)
    }

    pub fn wants_facts(&self) -> bool {
        self.rules.engine.wants_facts()
    }

    pub fn wants_packets(&self) -> bool {
        self.rules.engine.wants_packets()
    }
}

/// A flow's packets and bytes [to server, to client] and its start, for
/// alerts.
pub type FlowCounts = ([u64; 2], [u64; 2], i64);

/// What the app-layer sink holds for detection while it serves one flow
/// for one packet: the worker's context and the flow's state, borrowed.
pub struct SinkDetect<'a> {
    pub ctx: &'a mut DetectCtx,
    pub flow: &'a mut FlowDet,
    pub counts: FlowCounts,
}

/// A transaction's event being written: its type and the writer of its
/// object.
pub type TxEvent<'b> = Option<(&'static str, &'b mut dyn FnMut(&mut JsonBuilder))>;

/// An alert of a transaction waiting for its bytes' acknowledgement.
struct Pending {
    rule: u32,
    to_server: bool,
    /// sequence number the peer must acknowledge (set after the packet
    /// that produced the alert)
    end_seq: Option<u32>,
    /// the peer acknowledged it: written with the next packet of the
    /// alert's own direction
    acked: bool,
    /// the transaction's app-layer object: (event type, JSON object)
    app: Option<(&'static str, String)>,
    /// which of the flow's transactions raised it
    tx: u32,
}

/// A flow's detection state: flowbits, the open transaction's buffers and
/// facts, alerts waiting for an acknowledgement. `Default` allocates
/// nothing.
#[derive(Default)]
pub struct FlowDet {
    pub fd: FlowDetect,
    pub alerted: bool,
    arena: Vec<u8>,
    /// (buffer, start, end in `arena`, to_server)
    bufs: Vec<(BufferId, u32, u32, bool)>,
    facts: Vec<(Fact, bool)>,
    pending: Vec<Pending>,
    /// [to server, to client]: something was kept since the last
    /// inspection
    dirty: [bool; 2],
    /// rules that alerted on the open transaction
    tx_alerted: Vec<u32>,
    /// the open transaction's number
    tx_seq: u32,
}

impl FlowDet {
    /// Nothing worth keeping: the flow record need not hold it.
    pub fn is_empty(&self) -> bool {
        !self.alerted
            && self.fd.flowbit_count() == 0
            && !self.fd.passed()
            && self.bufs.is_empty()
            && self.facts.is_empty()
            && self.pending.is_empty()
            && self.tx_alerted.is_empty()
    }

    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Whether the open transaction holds buffers or facts.
    pub fn has_tx(&self) -> bool {
        !self.bufs.is_empty() || !self.facts.is_empty()
    }

    /// Whether something was kept since the transaction was last inspected.
    pub fn is_dirty(&self) -> bool {
        self.dirty[0] || self.dirty[1]
    }

    /// Keep a sticky buffer of the open transaction.
    pub fn keep_buffer(&mut self, id: BufferId, data: &[u8], to_server: bool, c: &mut DetectCtx) {
        let room = MAX_TX_BYTES.saturating_sub(self.arena.len());
        if room < data.len() || self.bufs.len() >= MAX_TX_ITEMS {
            c.counters.tx_bytes_dropped += data.len() as u64;
            return;
        }
        let start = self.arena.len() as u32;
        self.dirty[usize::from(!to_server)] = true;
        self.arena.extend_from_slice(data);
        self.bufs
            .push((id, start, self.arena.len() as u32, to_server));
    }

    pub fn keep_fact(&mut self, f: Fact, to_server: bool) {
        if self.facts.len() < MAX_TX_ITEMS {
            self.dirty[usize::from(!to_server)] = true;
            self.facts.push((f, to_server));
        }
    }

    fn clear_tx(&mut self) {
        self.dirty = [false; 2];
        self.arena.clear();
        self.bufs.clear();
        self.facts.clear();
        if self.arena.capacity() > 64 << 10 {
            self.arena = Vec::new();
        }
    }
}

/// Where an alert is written: EVE, the flow's header, counters.
pub struct AlertOut<'e, 'h> {
    pub eve: &'e mut EveOut,
    pub hdr: &'e FlowHdr<'h>,
    pub app_proto: &'static str,
    pub flow: Option<FlowCounts>,
}

impl DetectCtx {
    /// Inspect the flow's open transaction with what it holds so far (as
    /// Suricata inspects a transaction as it progresses), once per
    /// direction that contributed something new; a rule alerts once per
    /// transaction. `event`: the transaction's event is being written
    /// (`event_type`, its object by `body`): alerts get that object, and
    /// the transaction is closed. `tcp`: alerts wait for the
    /// acknowledgement (see the module doc); else they are written.
    #[allow(clippy::too_many_arguments)]
    pub fn on_tx(
        &mut self,
        flow: &mut FlowDet,
        p: &PacketView<'_>,
        tcp: bool,
        mut event: TxEvent<'_>,
        out: &mut AlertOut<'_, '_>,
    ) {
        if flow.fd.passed() {
            flow.clear_tx();
            return;
        }
        for to_server in [true, false] {
            if !flow.dirty[usize::from(!to_server)] {
                continue;
            }
            flow.dirty[usize::from(!to_server)] = false;
            let mut views = recycle(std::mem::take(&mut self.views));
            for &(id, s, e, d) in &flow.bufs {
                if d == to_server {
                    views.push((id, &flow.arena[s as usize..e as usize]));
                }
            }
            self.facts.clear();
            self.facts
                .extend(flow.facts.iter().filter(|f| f.1 == to_server).map(|f| f.0));
            let tx = TxView {
                buffers: &views,
                facts: &self.facts,
                to_server,
            };
            // `p` is oriented client → server; a response's the other way
            let pv = if to_server { *p } else { p.reversed() };
            self.alerts.clear();
            self.counters.tx_inspected += 1;
            self.rules.engine.inspect_tx(
                &pv,
                &tx,
                &mut flow.fd,
                &mut self.scratch,
                &mut self.alerts,
            );
            self.views = recycle_back(views);
            let alerts = std::mem::take(&mut self.alerts);
            for a in &alerts {
                if a.action == Action::Pass || flow.tx_alerted.contains(&a.rule) {
                    continue;
                }
                if flow.tx_alerted.len() < MAX_TX_ITEMS {
                    flow.tx_alerted.push(a.rule);
                }
                if tcp && flow.pending.len() < MAX_PENDING {
                    flow.pending.push(Pending {
                        rule: a.rule,
                        to_server,
                        end_seq: None,
                        acked: false,
                        app: None,
                        tx: flow.tx_seq,
                    });
                } else {
                    if tcp {
                        self.counters.pending_overflow += 1;
                    }
                    // written now: with the object, if the event is here
                    let app_s = match event.as_mut() {
                        Some((t, body)) => {
                            self.app.reset_object();
                            body(&mut self.app);
                            self.app.close_all();
                            Some((*t, self.app.as_str().to_string()))
                        }
                        None => None,
                    };
                    let app = app_s.as_ref().map(|(t, j)| (*t, j.as_str()));
                    self.write(a.rule, to_server, app, flow, out);
                }
            }
            self.alerts = alerts;
        }
        let Some((event_type, body)) = event else {
            return;
        };
        // the transaction's alerts still waiting get its object
        let tx = flow.tx_seq;
        if flow.pending.iter().any(|p| p.tx == tx && p.app.is_none()) {
            self.app.reset_object();
            body(&mut self.app);
            self.app.close_all();
            let app = self.app.as_str().to_string();
            for p in flow
                .pending
                .iter_mut()
                .filter(|p| p.tx == tx && p.app.is_none())
            {
                p.app = Some((event_type, app.clone()));
            }
        }
        flow.clear_tx();
        flow.tx_alerted.clear();
        flow.tx_seq = flow.tx_seq.wrapping_add(1);
    }

    /// Packet rules for one packet of the flow; alerts written at once.
    pub fn on_packet(
        &mut self,
        flow: &mut FlowDet,
        p: &PacketView<'_>,
        out: &mut AlertOut<'_, '_>,
    ) {
        if flow.fd.passed() {
            return;
        }
        self.alerts.clear();
        self.counters.pkts_inspected += 1;
        self.rules
            .engine
            .inspect_packet(p, &mut flow.fd, &mut self.scratch, &mut self.alerts);
        if self.alerts.is_empty() {
            return;
        }
        let alerts = std::mem::take(&mut self.alerts);
        let to_server = p.to_server.unwrap_or(true);
        for a in &alerts {
            if a.action != Action::Pass {
                self.write(a.rule, to_server, None, flow, out);
            }
        }
        self.alerts = alerts;
    }

    /// After a TCP packet: alerts waiting without a sequence number get
    /// `next_seq(to_server)` (what reassembly delivered so far that way);
    /// those the packet (direction `pkt_to_server`, acknowledgement `ack`)
    /// acknowledges become due, and due alerts of the packet's own
    /// direction are written with its number. This is when Suricata (IDS
    /// mode) raises them: its app layer takes TCP bytes once acknowledged,
    /// and a transaction is inspected for a direction's rules on a packet
    /// of that direction.
    pub fn on_ack(
        &mut self,
        flow: &mut FlowDet,
        pkt_to_server: bool,
        ack: Option<u32>,
        next_seq: &dyn Fn(bool) -> Option<u32>,
        out: &mut AlertOut<'_, '_>,
    ) {
        if flow.pending.is_empty() {
            return;
        }
        for p in flow.pending.iter_mut() {
            if p.end_seq.is_none() {
                p.end_seq = next_seq(p.to_server);
            }
        }
        let mut i = 0;
        while i < flow.pending.len() {
            let p = &mut flow.pending[i];
            if !p.acked {
                p.acked = p.to_server != pkt_to_server
                    && match (p.end_seq, ack) {
                        (Some(e), Some(a)) => (a.wrapping_sub(e) as i32) >= 0,
                        // no sequence known: the first packet the other way
                        (None, _) => true,
                        (Some(_), None) => false,
                    };
                i += 1;
                continue;
            }
            if p.to_server == pkt_to_server {
                let p = flow.pending.remove(i);
                let app = p.app.as_ref().map(|(t, j)| (*t, j.as_str()));
                self.write(p.rule, p.to_server, app, flow, out);
            } else {
                i += 1;
            }
        }
    }

    /// The flow ended: write what still waits.
    pub fn flush_pending(&mut self, flow: &mut FlowDet, out: &mut AlertOut<'_, '_>) {
        for p in std::mem::take(&mut flow.pending) {
            let app = p.app.as_ref().map(|(t, j)| (*t, j.as_str()));
            self.write(p.rule, p.to_server, app, flow, out);
        }
    }

    fn write(
        &mut self,
        rule: u32,
        to_server: bool,
        app: Option<(&str, &str)>,
        flow: &mut FlowDet,
        out: &mut AlertOut<'_, '_>,
    ) {
        self.counters.alerts += 1;
        if let Some(n) = self.counters.fired.get_mut(rule as usize) {
            *n += 1;
        }
        flow.alerted = true;
        if !out.eve.enabled() {
            return;
        }
        let members = &self.rules.alert_json[rule as usize];
        write_alert(
            out.eve,
            out.hdr,
            to_server,
            out.app_proto,
            // IDS mode: Suricata writes `allowed` for drop and reject
            // rules too when it does not block
            "allowed",
            members,
            app,
            out.flow,
        );
    }
}

/// Write one EVE `alert` event: the flow header oriented as the alert
/// (`to_server`: client → server), `alert` with `action` and the rule's
/// pre-rendered `members`, the app-layer object, the flow counters.
/// The one writer of alerts (intelligence matches use it too).
#[allow(clippy::too_many_arguments)]
pub fn write_alert(
    eve: &mut EveOut,
    hdr: &FlowHdr<'_>,
    to_server: bool,
    app_proto: &str,
    action: &str,
    members: &str,
    app: Option<(&str, &str)>,
    flow: Option<FlowCounts>,
) {
    eve.begin(hdr.ts_ns);
    let h = if to_server { *hdr } else { hdr.reversed() };
    write_header(&mut eve.js, &h, "alert", app_proto);
    eve.js.set_str(
        "direction",
        if to_server { "to_server" } else { "to_client" },
    );
    eve.js.open_object("alert").set_str("action", action);
    if !members.is_empty() {
        // the rule's members, rendered once at load
        eve.js.push_raw(b",");
        eve.js.push_raw(members.as_bytes());
    }
    eve.js.close();
    if let Some((t, j)) = app {
        if j.len() > 2 {
            eve.js.set_raw(t, j);
        }
    }
    if let Some((pkts, bytes, start)) = flow {
        eve.js
            .open_object("flow")
            .set_uint("pkts_toserver", pkts[0])
            .set_uint("pkts_toclient", pkts[1])
            .set_uint("bytes_toserver", bytes[0])
            .set_uint("bytes_toclient", bytes[1]);
        eve.set_ts("start", start);
        eve.js.close();
    }
    eve.end();
}

#[cfg(test)]
mod tests {
    use super::*;
    use reefwatch_detect::{RuleSet, Vars};

    fn loaded(text: &str) -> LoadedRules {
        let mut set = RuleSet::new();
        set.load_str(
            std::path::Path::new("t.rules"),
            text,
            &Vars::suricata_defaults(),
            None,
        );
        assert!(set.skipped.is_empty(), "{:?}", set.skipped);
        LoadedRules::new(set.rules, None, &["modbus", "http"])
    }

    #[test]
    fn alert_members_are_suricatas() {
        let r = loaded(
            "alert tcp any any -> any any (msg:\"a \\\"q\\\"\"; content:\"x\"; \
             metadata: former_category X, created_at 2020, created_at 2021; sid:7; rev:3;)",
        );
        let j = &r.alert_json[0];
        let v: serde_json::Value = serde_json::from_str(&format!("{{{j}}}")).unwrap();
        assert_eq!(v["signature_id"], 7);
        assert_eq!(v["rev"], 3);
        assert_eq!(v["signature"], "a \"q\"");
        assert_eq!(v["severity"], 3);
        assert_eq!(v["metadata"]["created_at"][1], "2021");
        assert_eq!(r.app_proto(0), Some(AppProto::Modbus));
        assert_eq!(r.app_proto(5), None);
    }

    #[test]
    fn a_swapped_rule_set_reaches_the_worker() {
        let slot = Arc::new(RuleSlot::new(loaded(
            "alert tcp any any -> any any (content:\"x\"; sid:1;)",
        )));
        let mut ctx = DetectCtx::new(slot.clone());
        assert_eq!(ctx.rules.len(), 1);
        ctx.refresh();
        assert_eq!(ctx.rules.len(), 1);
        slot.swap(loaded(
            "alert tcp any any -> any any (content:\"x\"; sid:1;)\n\
             alert udp any any -> any any (content:\"y\"; sid:2;)",
        ));
        ctx.refresh();
        assert_eq!(ctx.rules.len(), 2);
        assert_eq!(ctx.counters.fired.len(), 2);
    }

    #[test]
    fn a_flows_open_transaction_is_bounded() {
        let slot = Arc::new(RuleSlot::new(loaded(
            "alert http any any -> any any (http.uri; content:\"x\"; sid:1;)",
        )));
        let mut ctx = DetectCtx::new(slot);
        let mut f = FlowDet::default();
        assert!(f.is_empty());
        let big = vec![b'a'; 100 << 10];
        for _ in 0..4 {
            f.keep_buffer(BufferId::HttpUri, &big, true, &mut ctx);
        }
        assert_eq!(f.arena.len(), 200 << 10);
        assert_eq!(ctx.counters.tx_bytes_dropped, 200 << 10);
        for _ in 0..(MAX_TX_ITEMS + 5) {
            f.keep_fact(Fact::EnipCommand(1), true);
        }
        assert_eq!(f.facts.len(), MAX_TX_ITEMS);
    }
}
