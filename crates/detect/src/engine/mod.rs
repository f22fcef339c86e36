//! The matcher: a compiled rule set ([`Engine`]) inspected against packets
//! ([`Engine::inspect_packet`]) and app-layer transactions
//! ([`Engine::inspect_tx`]), with per-flow ([`FlowDetect`]) and per-worker
//! ([`Scratch`]) state. The contract with the sensor is DETECT-API.md.
//!
//! An `Engine` is immutable and shared by worker threads (`Arc`); reload
//! builds a new one. Nothing here allocates per packet: candidate lists,
//! transform outputs and byte_extract values live in the worker's
//! `Scratch`, reused.
pub mod bufmatch;
pub mod facts;
pub mod threshold;
pub mod transform;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::OnceLock;

use reefwatch_applayer::{BufferId, Fact};
use regex_automata::meta::Regex;

use crate::compile::{Compiled, ProtoKey};
use crate::keywords::buffer::Buffer;
use crate::keywords::flow::{BitOp, StreamSide, StreamSize};
use crate::keywords::pcre::Pcre;
use crate::parse::header::{Action, AppProto, Direction as HDir, IpSet, Protocol};
use crate::rule::{BufMatch, BufferList, Condition, Rule};
use bufmatch::Ctx;

/// Most flowbits one flow holds (further sets are dropped).
pub const MAX_FLOWBITS: usize = 128;

/// Immutable compiled rules; `Arc`-shared by worker threads; swapped whole
/// on reload.
#[derive(Debug)]
pub struct Engine {
    rules: Vec<Rule>,
    compiled: Compiled,
    wants: [bool; BufferId::COUNT],
    wants_facts: bool,
    wants_packets: bool,
    /// Per rule, list, match: index into `regexes` (pcre only).
    pcre_at: Vec<Vec<Vec<u32>>>,
    /// Compiled on first use (most pcres never run), bounded size.
    regexes: Vec<(Pcre, OnceLock<Option<Regex>>)>,
    /// Flowbit names, interned.
    bits: HashMap<String, u32>,
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
            wants_facts |= has_fact_condition(r);
        }
        let mut regexes = Vec::new();
        let mut bits = HashMap::new();
        let pcre_at = rules
            .iter()
            .map(|r| {
                for c in &r.conditions {
                    if let Condition::Flowbits(f) = c {
                        for n in &f.names {
                            let id = bits.len() as u32;
                            bits.entry(n.clone()).or_insert(id);
                        }
                    }
                }
                r.lists
                    .iter()
                    .map(|l| {
                        l.matches
                            .iter()
                            .map(|m| match m {
                                BufMatch::Pcre(p) => {
                                    regexes.push((p.clone(), OnceLock::new()));
                                    (regexes.len() - 1) as u32
                                }
                                _ => u32::MAX,
                            })
                            .collect()
                    })
                    .collect()
            })
            .collect();
        Engine {
            rules,
            compiled,
            wants,
            wants_facts,
            wants_packets,
            pcre_at,
            regexes,
            bits,
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
        if flow.pass {
            return;
        }
        let Some(proto) = transport_key(p.ip_proto) else {
            return;
        };
        s.candidates.clear();
        let to_server = p.to_server.unwrap_or(true);
        let mut keys = [
            Some(proto),
            Some(ProtoKey::Ip),
            p.app_proto.map(ProtoKey::App),
        ];
        if proto == ProtoKey::Ip {
            keys[1] = None;
        }
        for k in keys.into_iter().flatten() {
            for g in self.compiled.groups_for(k, to_server) {
                g.candidates(Buffer::Payload, p.payload, &mut s.candidates);
            }
        }
        self.order(&mut s.candidates);
        let cands = std::mem::take(&mut s.candidates);
        for &ri in &cands {
            let r = &self.rules[ri as usize];
            // packet path: rules whose lists are all on the payload
            if r.lists.iter().any(|l| l.buffer != Buffer::Payload) {
                continue;
            }
            if r.app_proto.is_some() && r.app_proto != p.app_proto {
                continue;
            }
            if !self.header_ok(r, p) || !self.conditions_ok(r, p, None, flow) {
                continue;
            }
            let ok = r
                .lists
                .iter()
                .enumerate()
                .all(|(li, l)| self.list_ok(ri, li, l, p.payload, s));
            if ok && self.fire(ri, p, flow, s, false, out) {
                break;
            }
        }
        s.candidates = cands;
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
        if flow.pass {
            return;
        }
        let Some(app) = p.app_proto else { return };
        s.candidates.clear();
        for g in self.compiled.groups_for(ProtoKey::App(app), tx.to_server) {
            for (id, data) in tx.buffers {
                g.candidates(Buffer::App(*id), data, &mut s.candidates);
            }
            if tx.buffers.is_empty() {
                s.candidates.extend_from_slice(&g.always);
            }
        }
        self.order(&mut s.candidates);
        let cands = std::mem::take(&mut s.candidates);
        for &ri in &cands {
            let r = &self.rules[ri as usize];
            if !r.lists.iter().any(|l| l.buffer.is_app_layer()) && !has_fact_condition(r) {
                continue; // a packet rule: inspect_packet's
            }
            let mut pv = *p;
            pv.to_server = Some(tx.to_server);
            if !self.header_ok(r, &pv) || !self.conditions_ok(r, &pv, Some(tx), flow) {
                continue;
            }
            let ok = r.lists.iter().enumerate().all(|(li, l)| match l.buffer {
                Buffer::App(id) => tx
                    .buffers
                    .iter()
                    .filter(|(b, _)| *b == id)
                    .any(|(_, d)| self.list_ok(ri, li, l, d, s)),
                Buffer::Payload => self.list_ok(ri, li, l, p.payload, s),
                Buffer::Base64Data => false,
            });
            if ok && self.fire(ri, p, flow, s, true, out) {
                break;
            }
        }
        s.candidates = cands;
    }
}

impl Engine {
    /// Records the match of rule `ri`: flowbit actions, pass, the alert.
    /// True when detection stops (pass).
    fn fire(
        &self,
        ri: u32,
        p: &PacketView,
        flow: &mut FlowDetect,
        s: &mut Scratch,
        tx: bool,
        out: &mut Vec<Alert>,
    ) -> bool {
        let r = &self.rules[ri as usize];
        for c in &r.conditions {
            if let Condition::Flowbits(f) = c {
                for n in &f.names {
                    let Some(&id) = self.bits.get(n.as_str()) else {
                        continue;
                    };
                    match f.op {
                        BitOp::Set => flow.set(id),
                        BitOp::Unset => flow.unset(id),
                        BitOp::Toggle => {
                            if flow.isset(id) {
                                flow.unset(id)
                            } else {
                                flow.set(id)
                            }
                        }
                        BitOp::IsSet | BitOp::IsNotSet => {}
                    }
                }
            }
        }
        let action = r.header.action;
        let limited = match (&r.threshold, &r.detection_filter) {
            (Some(t), _) => !s
                .thresholds
                .check(t, false, ri, p.src, p.dst, p.flow_id, p.ts_ns),
            (None, Some(t)) => !s
                .thresholds
                .check(t, true, ri, p.src, p.dst, p.flow_id, p.ts_ns),
            (None, None) => false,
        };
        if !r.noalert && !limited && !out.iter().any(|a| a.rule == ri && a.tx == tx) {
            out.push(Alert {
                rule: ri,
                action,
                tx,
            });
        }
        if action == Action::Pass {
            flow.pass = true;
            return true;
        }
        false
    }

    /// Dedups the candidates and orders them as Suricata's default
    /// action-order: pass, drop, reject, alert; rule order within.
    fn order(&self, c: &mut Vec<u32>) {
        c.sort_unstable();
        c.dedup();
        let rank = |ri: &u32| match self.rules[*ri as usize].header.action {
            Action::Pass => 0u8,
            Action::Drop => 1,
            Action::Reject | Action::RejectSrc | Action::RejectDst | Action::RejectBoth => 2,
            Action::Alert => 3,
        };
        // unstable sort (no allocation) on (action rank, rule index)
        c.sort_unstable_by_key(|ri| (rank(ri), *ri));
    }

    fn list_ok(&self, ri: u32, li: usize, l: &BufferList, data: &[u8], s: &mut Scratch) -> bool {
        let at = &self.pcre_at[ri as usize][li];
        let regex = |i: usize| -> Option<&Regex> {
            let (p, cell) = self.regexes.get(*at.get(i)? as usize)?;
            cell.get_or_init(|| bufmatch::compile_pcre(p)).as_ref()
        };
        if l.transforms.is_empty() {
            let mut ctx = Ctx {
                vars: &mut s.vars,
                regex: &regex,
                budget: 0,
            };
            return bufmatch::list_matches(&l.matches, data, &mut ctx);
        }
        let mut buf = std::mem::take(&mut s.xform);
        let ok = transform::apply(&l.transforms, data, &mut buf)
            && bufmatch::list_matches(
                &l.matches,
                &buf,
                &mut Ctx {
                    vars: &mut s.vars,
                    regex: &regex,
                    budget: 0,
                },
            );
        s.xform = buf;
        ok
    }

    fn header_ok(&self, r: &Rule, p: &PacketView) -> bool {
        let h = &r.header;
        match h.protocol {
            Protocol::Ipv4 | Protocol::Icmpv4 if !p.src.is_ipv4() => return false,
            Protocol::Ipv6 | Protocol::Icmpv6 if p.src.is_ipv4() => return false,
            _ => {}
        }
        let ip = |set: &IpSet, a: IpAddr| match a {
            IpAddr::V4(v) => set.contains_v4(v),
            IpAddr::V6(v) => set.contains_v6(v),
        };
        let fwd = ip(&h.src, p.src)
            && h.src_ports.contains(p.sport)
            && ip(&h.dst, p.dst)
            && h.dst_ports.contains(p.dport);
        fwd || (h.direction == HDir::Both
            && ip(&h.src, p.dst)
            && h.src_ports.contains(p.dport)
            && ip(&h.dst, p.src)
            && h.dst_ports.contains(p.sport))
    }

    fn conditions_ok(
        &self,
        r: &Rule,
        p: &PacketView,
        tx: Option<&TxView>,
        flow: &FlowDetect,
    ) -> bool {
        r.conditions.iter().all(|c| match c {
            Condition::Flow(f) => {
                (!f.to_server || p.to_server == Some(true))
                    && (!f.to_client || p.to_server == Some(false))
                    && (!f.established || p.established)
                    && (!f.not_established || !p.established)
            }
            Condition::Flowbits(f) => {
                let set = |n: &String| self.bits.get(n.as_str()).is_some_and(|&i| flow.isset(i));
                match f.op {
                    BitOp::IsSet => f.names.iter().any(set),
                    BitOp::IsNotSet => f.names.iter().any(|n| !set(n)),
                    _ => true,
                }
            }
            Condition::Dsize(cmp) => tx.is_none() && cmp.matches(p.payload.len() as u64),
            Condition::Flags(f) => p.tcp_flags.is_some_and(|t| f.matches(t)),
            Condition::Itype(cmp) => p.icmp.is_some_and(|(t, _)| cmp.matches(t as u64)),
            Condition::Icode(cmp) => p.icmp.is_some_and(|(_, c)| cmp.matches(c as u64)),
            Condition::IpProto(cmp) => cmp.matches(p.ip_proto as u64),
            Condition::StreamSize(ss) => stream_size_ok(ss, p),
            Condition::Urilen { cmp, raw } => tx.is_some_and(|t| {
                let id = if *raw {
                    BufferId::HttpUriRaw
                } else {
                    BufferId::HttpUri
                };
                t.buffers
                    .iter()
                    .any(|(b, d)| *b == id && cmp.matches(d.len() as u64))
            }),
            other => tx.is_some_and(|t| facts::condition_ok(other, t.facts)),
        })
    }
}

fn stream_size_ok(ss: &StreamSize, p: &PacketView) -> bool {
    use crate::parse::value::CmpOp;
    let cmp = |x: u64| {
        let v = ss.value as u64;
        match ss.op {
            CmpOp::Eq => x == v,
            CmpOp::Ne => x != v,
            CmpOp::Lt => x < v,
            CmpOp::Le => x <= v,
            CmpOp::Gt => x > v,
            CmpOp::Ge => x >= v,
            CmpOp::Range | CmpOp::NotRange => false,
        }
    };
    let [to_srv, to_cli] = p.stream_bytes;
    // server: bytes the server sent (to_client); client: the client's
    match ss.side {
        StreamSide::Server => cmp(to_cli),
        StreamSide::Client => cmp(to_srv),
        StreamSide::Both => cmp(to_srv) && cmp(to_cli),
        StreamSide::Either => cmp(to_srv) || cmp(to_cli),
    }
}

fn has_fact_condition(r: &Rule) -> bool {
    r.conditions.iter().any(facts::is_fact_condition)
}

fn transport_key(ip_proto: u8) -> Option<ProtoKey> {
    Some(match ip_proto {
        6 => ProtoKey::Tcp,
        17 => ProtoKey::Udp,
        1 | 58 => ProtoKey::Icmp,
        _ => ProtoKey::Ip,
    })
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
    fn isset(&self, id: u32) -> bool {
        self.bits.binary_search(&id).is_ok()
    }
    fn set(&mut self, id: u32) {
        if let Err(i) = self.bits.binary_search(&id) {
            if self.bits.len() < MAX_FLOWBITS {
                self.bits.insert(i, id);
            }
        }
    }
    fn unset(&mut self, id: u32) {
        if let Ok(i) = self.bits.binary_search(&id) {
            self.bits.remove(i);
        }
    }
}

/// Per-worker state: threshold/detection_filter tables (bounded), scratch
/// vectors. One per worker thread; `Scratch::new(&engine)`.
#[derive(Debug)]
pub struct Scratch {
    candidates: Vec<u32>,
    vars: [u64; 64],
    xform: Vec<u8>,
    thresholds: threshold::Table,
}

impl Scratch {
    pub fn new(engine: &Engine) -> Scratch {
        Scratch {
            candidates: Vec::with_capacity(engine.rules.len().min(4096)),
            vars: [0; 64],
            xform: Vec::with_capacity(4096),
            thresholds: threshold::Table::default(),
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
    /// This packet's L4 payload. For ICMP, as Suricata: what follows the
    /// 8-byte header (reefwatch-decode's ICMP payload starts after 4
    /// bytes: skip 4 more).
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

impl PacketView<'_> {
    /// The same view seen the other way (source and destination swapped).
    pub fn reversed(&self) -> Self {
        PacketView {
            src: self.dst,
            dst: self.src,
            sport: self.dport,
            dport: self.sport,
            ..*self
        }
    }
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
