//! One worker: decoder, flow table, reassembly, app layer, EVE. With
//! `--threads N` each worker owns the flows hashed to it; nothing on this
//! path takes a lock except the EVE flush of a full 1 MiB block.

use crate::app::{AppCounters, AppState, Registry, Sink};
use crate::eve::{set_ip, EveOut};
use crate::eve::{write_header, FlowHdr};
use reefwatch_applayer::{Direction, Transport};
use reefwatch_decode::{
    fast_ethernet_ipv4, Decoder, FastHdr, Packet, TcpInfo, IPPROTO_ICMP, IPPROTO_ICMPV6,
    IPPROTO_TCP, IPPROTO_UDP, L3,
};
use reefwatch_flow::{
    EndReason, Flow, FlowConfig, FlowKey, FlowTable, MemBudget, PacketTuple, StreamConfig,
};
use std::sync::Arc;

mod detect_only;

/// How much of each flow's application layer the engine parses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AppLayerMode {
    /// Parse transactions when something consumes them (EVE, intel);
    /// otherwise only detect each flow's protocol.
    #[default]
    Auto,
    /// Always parse (app-layer anomalies are counted even with EVE off).
    Full,
    /// Detect protocols only: once a flow's protocol is known (or no
    /// probe matched) its bytes are no longer reassembled or parsed.
    Detect,
}

impl AppLayerMode {
    /// Whether transactions are parsed, given the consumers present.
    pub fn parses(self, eve: bool, intel: bool) -> bool {
        match self {
            AppLayerMode::Full => true,
            AppLayerMode::Detect => false,
            AppLayerMode::Auto => eve || intel,
        }
    }
}

/// Engine limits.
#[derive(Clone, Copy, Debug)]
pub struct EngineConfig {
    pub stream: StreamConfig,
    pub flow: FlowConfig,
    /// reassembly memory per worker
    pub reassembly_memcap: usize,
    pub app_layer: AppLayerMode,
    /// With `--threads N`, bytes of a pcap file per unit of reading (see
    /// `threads.rs`); smaller in tests, to cut files into many parts.
    pub read_part: u64,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            stream: StreamConfig::default(),
            flow: FlowConfig::default(),
            reassembly_memcap: 256 << 20,
            app_layer: AppLayerMode::Auto,
            read_part: reefwatch_capture::parts::PART_LEN,
        }
    }
}

/// Per app_proto totals (flows, packets, bytes).
#[derive(Clone, Debug, Default)]
pub struct ProtoShare {
    pub name: &'static str,
    pub flows: u64,
    pub pkts: u64,
    pub bytes: u64,
}

/// What a worker counted.
#[derive(Clone, Debug, Default)]
pub struct WorkerStats {
    pub pkts: u64,
    pub bytes: u64,
    pub non_ip: u64,
    pub flows: u64,
    pub flows_tcp: u64,
    pub flows_udp: u64,
    pub flows_icmp: u64,
    pub flows_other: u64,
    /// layer-2 streams (GOOSE, SV, PROFINET …; see `l2.rs`)
    pub flows_l2: u64,
    pub flows_evicted: u64,
    pub tcp_syn: u64,
    pub tcp_synack: u64,
    pub tcp_rst: u64,
    pub tcp_midstream: u64,
    pub tcp_gaps: u64,
    pub reassembly_refused: u64,
    pub by_proto: Vec<ProtoShare>,
    pub first_ts: Option<i64>,
    pub last_ts: i64,
    pub alerts: u64,
}

impl WorkerStats {
    /// Add another worker's counts (shares merged by app_proto, largest
    /// byte share first).
    pub fn merge(&mut self, o: &WorkerStats) {
        self.pkts += o.pkts;
        self.bytes += o.bytes;
        self.non_ip += o.non_ip;
        self.flows += o.flows;
        self.flows_tcp += o.flows_tcp;
        self.flows_udp += o.flows_udp;
        self.flows_icmp += o.flows_icmp;
        self.flows_other += o.flows_other;
        self.flows_l2 += o.flows_l2;
        self.flows_evicted += o.flows_evicted;
        self.tcp_syn += o.tcp_syn;
        self.tcp_synack += o.tcp_synack;
        self.tcp_rst += o.tcp_rst;
        self.tcp_midstream += o.tcp_midstream;
        self.tcp_gaps += o.tcp_gaps;
        self.reassembly_refused += o.reassembly_refused;
        self.alerts += o.alerts;
        if let Some(f) = o.first_ts {
            self.first_ts = Some(self.first_ts.map_or(f, |x| x.min(f)));
        }
        self.last_ts = self.last_ts.max(o.last_ts);
        for p in &o.by_proto {
            let sh = self.share(p.name);
            sh.flows += p.flows;
            sh.pkts += p.pkts;
            sh.bytes += p.bytes;
        }
        self.by_proto
            .sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.name.cmp(b.name)));
    }

    pub(crate) fn share(&mut self, name: &'static str) -> &mut ProtoShare {
        let pos = match self.by_proto.iter().position(|p| p.name == name) {
            Some(p) => p,
            None => {
                self.by_proto.push(ProtoShare {
                    name,
                    ..ProtoShare::default()
                });
                self.by_proto.len() - 1
            }
        };
        &mut self.by_proto[pos]
    }
}

struct Outs {
    reg: Arc<Registry>,
    eve: EveOut,
    mem: MemBudget,
    cfg: EngineConfig,
    app: AppCounters,
    stats: WorkerStats,
    intel: Option<crate::intel::IntelCtx>,
    /// number of the packet being processed (events written when a flow
    /// ends carry it, as Suricata's do)
    cur_pcap_cnt: u64,
    /// parse transactions (else detect protocols only)
    parse: bool,
    /// rule detection (None: no rules loaded)
    det: Option<crate::rules::DetectCtx>,
    /// the layer-2 path's streams
    l2: crate::l2::L2Table,
}

pub struct Worker {
    decoder: Decoder,
    table: FlowTable<AppState>,
    outs: Outs,
    next_expire: i64,
}

/// The engine's sink over a worker's outputs, for one flow's events;
/// `$fl` is the flow's detection state taken for the packet (None without
/// rules), `$counts` its counters (evaluated only with rules).
macro_rules! sink {
    ($outs:ident, $hdr:expr, $app_proto:expr, $fl:expr, $counts:expr) => {
        Sink {
            eve: &mut $outs.eve,
            hdr: $hdr,
            app_proto: $app_proto,
            counters: &mut $outs.app,
            intel: $outs.intel.as_mut(),
            parse: $outs.parse,
            det: match ($outs.det.as_mut(), $fl) {
                (Some(ctx), Some(flow)) => Some(crate::rules::SinkDetect {
                    ctx,
                    flow,
                    counts: $counts,
                }),
                _ => None,
            },
            dir: Direction::ToServer,
            probation: false,
        }
    };
}

/// The layer-2 table and what it writes to, from a worker's outputs.
macro_rules! l2_out {
    ($outs:ident, $l2:ident, $out:ident) => {
        let Outs {
            l2: $l2,
            eve,
            app,
            stats,
            parse,
            cur_pcap_cnt,
            ..
        } = &mut *$outs;
        let mut $out = crate::l2::L2Out {
            eve,
            counters: app,
            stats,
            parse: *parse,
            pcap_cnt: *cur_pcap_cnt,
        };
    };
}

pub fn proto_name(p: u8) -> &'static str {
    match p {
        IPPROTO_TCP => "TCP",
        IPPROTO_UDP => "UDP",
        IPPROTO_ICMP => "ICMP",
        IPPROTO_ICMPV6 => "IPv6-ICMP",
        47 => "GRE",
        50 => "ESP",
        51 => "AH",
        132 => "SCTP",
        2 => "IGMP",
        89 => "OSPF",
        103 => "PIM",
        112 => "VRRP",
        _ => "other",
    }
}

/// A frame's header as decoded ahead by the thread that published it.
#[derive(Clone, Copy)]
enum Pre {
    /// not decoded ahead
    NotDone,
    /// not a frame the fast decoder takes
    NotFast,
    Fast(FastHdr),
}

/// What one worker counted and wrote, once its input is over
/// ([`Worker::finish`]).
#[derive(Debug, Default)]
pub struct WorkerTotals {
    pub stats: WorkerStats,
    pub app: AppCounters,
    pub decode: reefwatch_decode::DecodeStats,
    /// EVE events written
    pub eve_events: u64,
    /// the first EVE write error, if any
    pub eve_write_error: Option<String>,
    /// rule detection counters (None: no rules loaded)
    pub detect: Option<crate::rules::DetectCounters>,
}

/// Per-packet context the flow callbacks need.
#[derive(Clone, Copy)]
struct PktCtx {
    ts_ns: i64,
    pcap_cnt: u64,
}

impl Worker {
    pub fn new(reg: Arc<Registry>, eve: EveOut, cfg: EngineConfig) -> Self {
        Self::with_intel(reg, eve, cfg, None)
    }

    pub fn with_intel(
        reg: Arc<Registry>,
        eve: EveOut,
        cfg: EngineConfig,
        intel: Option<crate::intel::SharedIntel>,
    ) -> Self {
        let parse = cfg.app_layer.parses(eve.enabled(), intel.is_some());
        Worker {
            decoder: Decoder::new(),
            table: FlowTable::new(cfg.flow),
            outs: Outs {
                reg,
                eve,
                mem: MemBudget::new(cfg.reassembly_memcap),
                cfg,
                app: AppCounters::default(),
                stats: WorkerStats::default(),
                intel: intel.map(crate::intel::IntelCtx::new),
                cur_pcap_cnt: 0,
                parse,
                det: None,
                l2: crate::l2::L2Table::new(crate::l2::builtin()),
            },
            next_expire: i64::MIN,
        }
    }

    /// Inspect with `rules` (transactions are then parsed whatever the
    /// app-layer mode `auto` would decide).
    pub fn with_rules(mut self, rules: Option<Arc<crate::rules::RuleSlot>>) -> Self {
        if let Some(r) = rules {
            self.outs.det = Some(crate::rules::DetectCtx::new(r));
            if self.outs.cfg.app_layer == AppLayerMode::Auto {
                self.outs.parse = true;
            }
        }
        self
    }

    /// Process a batch of frames (packet numbers from `first_cnt`).
    pub fn process_batch(&mut self, b: &reefwatch_capture::Batch<'_>, first_cnt: u64) {
        self.process_frames((0..b.len()).map(|i| (b.get(i), first_cnt + i as u64, Pre::NotDone)));
    }

    /// Process frames `mine` (ascending) of a chunk (packet numbers from
    /// `first_cnt`): this worker's share with `--threads N`.
    ///
    /// The flow clock runs on every packet of the chunk, not only on this
    /// worker's: flows time out at the packet where they would with one
    /// thread (the first whose time reaches the next expiry check, whoever
    /// it goes to), so flow counts and flow events do not depend on the
    /// number of threads.
    pub fn process_chunk(
        &mut self,
        c: &reefwatch_capture::Chunk,
        first_cnt: u64,
        mine: &[u32],
        pre: Option<&[Option<FastHdr>]>,
    ) {
        let n = c.len();
        let own = |w: &mut Worker, ks: &[u32]| {
            w.process_frames(ks.iter().map(|&i| {
                let i = i as usize;
                let p = match pre.and_then(|p| p.get(i)) {
                    Some(Some(h)) => Pre::Fast(*h),
                    Some(None) => Pre::NotFast,
                    None => Pre::NotDone,
                };
                (c.get(i), first_cnt + i as u64, p)
            }))
        };
        let (mut j, mut k) = (0usize, 0usize);
        while j < n {
            // the next packet at or past the next expiry check; own packets
            // before it move the clock past none
            let mut t = j;
            while t < n && c.ts_ns(t) < self.next_expire {
                t += 1;
            }
            let end = k + mine[k..].partition_point(|&i| (i as usize) < t);
            own(self, &mine[k..end]);
            k = end;
            if t == n {
                break;
            }
            if mine.get(k) == Some(&(t as u32)) {
                // this worker's: it runs the check itself
                own(self, &mine[k..k + 1]);
                k += 1;
            } else {
                self.outs.cur_pcap_cnt = first_cnt + t as u64;
                self.expire(c.ts_ns(t));
            }
            j = t + 1;
        }
        debug_assert_eq!(k, mine.len());
        // as with one thread, events written later (flows still open at the
        // end of input) carry the number of the last packet read
        if n > 0 {
            self.outs.cur_pcap_cnt = self.outs.cur_pcap_cnt.max(first_cnt + n as u64 - 1);
        }
    }

    #[inline(always)]
    fn process_frames<'p>(
        &mut self,
        frames: impl Iterator<Item = (reefwatch_capture::Packet<'p>, u64, Pre)>,
    ) {
        if let Some(d) = self.outs.det.as_mut() {
            d.refresh();
        }
        if self.outs.parse {
            for (r, cnt, _) in frames {
                self.process(r.linktype, r.data, r.ts_ns, cnt);
            }
            return;
        }
        self.process_frames_detect_only(frames);
    }

    /// Per-packet bookkeeping before decoding: totals, capture clock,
    /// timeouts.
    #[inline(always)]
    fn begin(&mut self, caplen: usize, ts_ns: i64, pcap_cnt: u64) {
        let outs = &mut self.outs;
        outs.cur_pcap_cnt = pcap_cnt;
        outs.stats.pkts += 1;
        outs.stats.bytes += caplen as u64;
        if outs.stats.first_ts.is_none() {
            outs.stats.first_ts = Some(ts_ns);
        }
        if ts_ns > outs.stats.last_ts {
            outs.stats.last_ts = ts_ns;
        }
        if ts_ns >= self.next_expire {
            self.expire(ts_ns);
        }
    }

    /// The flow clock reached `ts_ns` (at or past the next check): end the
    /// flows (and drop the fragments) idle too long.
    #[inline(never)]
    fn expire(&mut self, ts_ns: i64) {
        let outs = &mut self.outs;
        self.table.expire(ts_ns, &mut |f, r| end_flow(outs, f, r));
        l2_out!(outs, l2, out);
        l2.expire(ts_ns, &mut out);
        self.decoder.expire(ts_ns);
        self.next_expire = ts_ns.saturating_add(1_000_000_000);
    }

    /// Process one captured frame.
    #[inline]
    pub fn process(&mut self, linktype: u32, data: &[u8], ts_ns: i64, pcap_cnt: u64) {
        self.begin(data.len(), ts_ns, pcap_cnt);
        let p = self.decoder.decode(linktype, data, ts_ns);
        on_packet(
            &mut self.table,
            &mut self.outs,
            p,
            data.len(),
            ts_ns,
            pcap_cnt,
        );
    }

    /// End of input: end every flow, flush output, and hand over what the
    /// summary needs of this worker (the same with one thread or many).
    pub fn finish(mut self) -> WorkerTotals {
        let outs = &mut self.outs;
        // events are written oldest flow first, as Suricata does; with
        // nothing written, a sequential pass
        let ordered = outs.parse || outs.eve.enabled();
        self.table
            .drain_ordered(ordered, &mut |f, r| end_flow(outs, f, r));
        {
            l2_out!(outs, l2, out);
            l2.drain(&mut out);
        }
        outs.stats.flows_evicted = self.table.evicted + outs.l2.evicted;
        outs.stats.reassembly_refused = outs.mem.refused;
        outs.stats.alerts = outs.intel.as_ref().map_or(0, |i| i.alerts);
        let Outs {
            stats,
            app,
            mut eve,
            det,
            ..
        } = self.outs;
        eve.flush();
        WorkerTotals {
            stats,
            app,
            decode: self.decoder.stats,
            eve_events: eve.events,
            eve_write_error: eve.write_error.take(),
            detect: det.map(|d| d.counters),
        }
    }
}

/// A decoded packet through flow tracking, reassembly and the app layer.
#[inline(always)]
fn on_packet(
    table: &mut FlowTable<AppState>,
    outs: &mut Outs,
    p: Packet<'_>,
    caplen: usize,
    ts_ns: i64,
    pcap_cnt: u64,
) {
    let caplen = caplen as u64;
    if !p.anomalies.is_empty() && outs.eve.enabled() {
        for a in p.anomalies.iter() {
            outs.eve.begin(ts_ns);
            let js = &mut outs.eve.js;
            js.set_uint("pcap_cnt", pcap_cnt);
            js.set_str("event_type", "anomaly");
            if p.has_ip() {
                let v6 = p.is_ipv6();
                set_ip(js, "src_ip", &p.src, v6);
                js.set_uint("src_port", p.sport as u64);
                set_ip(js, "dest_ip", &p.dst, v6);
                js.set_uint("dest_port", p.dport as u64);
                js.set_str("proto", proto_name(p.proto));
            }
            js.open_object("anomaly")
                .set_str("type", "decode")
                .set_str("event", a.name())
                .close();
            outs.eve.end();
        }
    }
    if !p.has_ip() || p.fragment_pending {
        if !matches!(p.l3, L3::Ipv4 | L3::Ipv6) {
            outs.stats.non_ip += 1;
            if let L3::Other(et) = p.l3 {
                if outs.l2.wants(et) {
                    on_l2_frame(outs, &p, et, caplen as usize, ts_ns);
                }
            }
        }
        return;
    }
    let (sport, dport) = match p.proto {
        IPPROTO_TCP | IPPROTO_UDP => (p.sport, p.dport),
        _ => (0, 0),
    };
    let syn_ack = p.tcp.is_some_and(|t| t.flags & 0x12 == 0x12);
    let tuple = PacketTuple {
        src: &p.src,
        sport,
        dst: &p.dst,
        dport,
        proto: p.proto,
        v6: p.is_ipv6(),
        vlan: p.vlan,
    };
    let lk = table.lookup_packet(&tuple, ts_ns, syn_ack, AppState::default, &mut |f, r| {
        end_flow(outs, f, r)
    });
    let ctx = PktCtx { ts_ns, pcap_cnt };
    let f = table.get_mut(lk.idx);
    if lk.new {
        if let Some(i) = outs.intel.as_mut() {
            let hdr = make_hdr(&f.key, f.client_is_a, f.id, ctx);
            i.on_new_flow(&mut outs.eve, &hdr);
        }
    }
    if f.track_only {
        // nothing wants this flow's bytes: the rule the detection-only
        // path applies too
        let tcp = p.tcp.filter(|_| p.proto == IPPROTO_TCP);
        on_tracked(
            &mut outs.stats,
            f,
            lk.dir,
            caplen,
            tcp,
            !p.payload.is_empty(),
            true,
        );
        table.touch(lk.idx);
        return;
    }
    f.pkts[lk.dir] += 1;
    f.bytes[lk.dir] += caplen;
    // the flow's detection state, for this packet (with rules only)
    let mut fl = outs.det.is_some().then(|| f.data.take_detect());
    match p.proto {
        IPPROTO_TCP => {
            if let Some(t) = p.tcp {
                count_tcp_flags(&mut outs.stats, t.flags);
                let Flow {
                    tcp,
                    data: app,
                    key,
                    client_is_a,
                    id,
                    track_only,
                    pkts,
                    bytes,
                    start_ns,
                    ..
                } = f;
                let hdr = make_hdr(key, *client_is_a, *id, ctx);
                let reg: &Registry = &outs.reg;
                let mut sink = sink!(
                    outs,
                    hdr,
                    reg.name(app.proto),
                    fl.as_mut(),
                    (*pkts, *bytes, *start_ns)
                );
                tcp.on_segment(
                    lk.dir,
                    t.seq,
                    t.ack,
                    t.flags,
                    p.payload,
                    pcap_cnt,
                    &outs.cfg.stream,
                    &mut outs.mem,
                    &mut |d, c| app.on_chunk(reg, d, c, &mut sink),
                );
                // FIN from both sides or RST: the stream is over, so
                // flush and close the parser now (its last events get
                // this packet's number, as in Suricata)
                if tcp.is_closed() && app.detected() {
                    tcp.flush(&outs.cfg.stream, &mut outs.mem, &mut |d, c| {
                        app.on_chunk(reg, d, c, &mut sink)
                    });
                    app.on_close(&mut sink);
                }
                if !outs.parse && app.decided() {
                    // nothing wants this flow's bytes any more
                    tcp.release(&mut outs.mem);
                    *track_only = true;
                }
            }
        }
        IPPROTO_UDP if !p.payload.is_empty() => {
            let Flow {
                data: app,
                key,
                client_is_a,
                id,
                track_only,
                pkts,
                bytes,
                start_ns,
                ..
            } = f;
            let hdr = make_hdr(key, *client_is_a, *id, ctx);
            let reg: &Registry = &outs.reg;
            let mut sink = sink!(
                outs,
                hdr,
                reg.name(app.proto),
                fl.as_mut(),
                (*pkts, *bytes, *start_ns)
            );
            app.on_data(reg, lk.dir, p.payload, Transport::Udp, &mut sink);
            *track_only = !outs.parse && app.decided();
        }
        _ => {}
    }
    if let Some(mut fl) = fl {
        detect_packet(outs, f, lk.dir, &p, ctx, &mut fl);
        f.data.put_detect(fl);
    }
    table.touch(lk.idx);
}

/// A frame of an EtherType a layer-2 protocol owns.
#[inline(never)]
fn on_l2_frame(outs: &mut Outs, p: &Packet<'_>, et: u16, caplen: usize, ts_ns: i64) {
    let f = reefwatch_applayer::L2Frame {
        src_mac: p.src_mac(),
        dst_mac: p.dst_mac(),
        ethertype: et,
        vlan: p.vlan,
        payload: p.payload,
        ts_ns,
    };
    l2_out!(outs, l2, out);
    l2.on_frame(&f, caplen, &mut out);
}

/// Packet rules for one packet of flow `f`, and the transaction alerts
/// it acknowledges (see `rules.rs`).
fn detect_packet(
    outs: &mut Outs,
    f: &mut Flow<AppState>,
    dir: Direction,
    p: &Packet<'_>,
    ctx: PktCtx,
    fl: &mut crate::rules::FlowDet,
) {
    let Some(d) = outs.det.as_mut() else {
        return;
    };
    {
        let hdr = make_hdr(&f.key, f.client_is_a, f.id, ctx);
        let mut out = crate::rules::AlertOut {
            eve: &mut outs.eve,
            hdr: &hdr,
            app_proto: outs.reg.name(f.data.proto),
            flow: Some((f.pkts, f.bytes, f.start_ns)),
        };
        let to_server = dir == Direction::ToServer;
        if d.wants_packets() {
            let v6 = p.is_ipv6();
            let icmp = matches!(p.proto, IPPROTO_ICMP | IPPROTO_ICMPV6);
            let established = match p.proto {
                IPPROTO_TCP => matches!(
                    f.tcp.state,
                    reefwatch_flow::TcpState::Established
                        | reefwatch_flow::TcpState::FinWait1
                        | reefwatch_flow::TcpState::FinWait2
                        | reefwatch_flow::TcpState::CloseWait
                        | reefwatch_flow::TcpState::LastAck
                        | reefwatch_flow::TcpState::TimeWait
                        | reefwatch_flow::TcpState::Closed
                ),
                _ => f.pkts[0] > 0 && f.pkts[1] > 0,
            };
            let pv = reefwatch_detect::PacketView {
                ts_ns: ctx.ts_ns,
                src: crate::rules::ip_addr(&p.src, v6),
                dst: crate::rules::ip_addr(&p.dst, v6),
                sport: p.sport,
                dport: p.dport,
                ip_proto: p.proto,
                tcp_flags: p.tcp.map(|t| t.flags),
                icmp: icmp.then_some((p.icmp_type, p.icmp_code)),
                // Suricata's ICMP payload follows the 8-byte header; the
                // decoder's follows the first 4
                payload: if icmp {
                    &p.payload[p.payload.len().min(4)..]
                } else {
                    p.payload
                },
                to_server: Some(to_server),
                established,
                app_proto: d.rules.app_proto(f.data.proto),
                stream_bytes: [
                    f.tcp.delivered(Direction::ToServer),
                    f.tcp.delivered(Direction::ToClient),
                ],
                flow_id: f.id,
            };
            d.on_packet(fl, &pv, &mut out);
        }
        if p.proto == IPPROTO_TCP && fl.has_pending() {
            let ack = p.tcp.filter(|t| t.flags & 0x10 != 0).map(|t| t.ack);
            let tcp = &f.tcp;
            let next = |ts: bool| {
                tcp.next_seq(if ts {
                    Direction::ToServer
                } else {
                    Direction::ToClient
                })
            };
            d.on_ack(fl, to_server, ack, &next, &mut out);
        }
    }
}

/// The one rule for a packet of a flow that is only tracked (no parser
/// wants its bytes; the general path and the detection-only path's
/// `track_fast` both go by it): its counters, and its TCP state from the
/// flags (`state_only`), or (a detection-only flow whose protocol is not
/// decided yet, for a segment without payload while nothing waits for
/// reassembly) as a segment without payload. Whether what decides the
/// flow's timeout class may have changed: its TCP state, or (UDP) whether
/// both directions have been seen.
#[inline(always)]
fn on_tracked(
    stats: &mut WorkerStats,
    f: &mut Flow<AppState>,
    dir: Direction,
    caplen: u64,
    tcp: Option<TcpInfo>,
    has_payload: bool,
    state_only: bool,
) -> bool {
    f.pkts[dir] += 1;
    f.bytes[dir] += caplen;
    match tcp {
        Some(t) => {
            count_tcp_flags(stats, t.flags);
            let before = f.tcp.state;
            if state_only {
                f.tcp.on_segment_state_only(dir, t.flags, has_payload);
            } else {
                f.tcp.on_segment_no_payload(dir, t.seq, t.flags);
            }
            f.tcp.state != before
        }
        None => f.pkts[dir] == 1,
    }
}

/// SYN, SYN+ACK and RST counters.
#[inline(always)]
fn count_tcp_flags(stats: &mut WorkerStats, flags: u8) {
    if flags & 0x02 != 0 {
        if flags & 0x10 != 0 {
            stats.tcp_synack += 1;
        } else {
            stats.tcp_syn += 1;
        }
    }
    if flags & 0x04 != 0 {
        stats.tcp_rst += 1;
    }
}

fn make_hdr(key: &FlowKey, client_is_a: bool, id: u64, ctx: PktCtx) -> FlowHdr<'_> {
    let (client, cport, server, sport) = if client_is_a {
        (&key.a, key.pa, &key.b, key.pb)
    } else {
        (&key.b, key.pb, &key.a, key.pa)
    };
    FlowHdr {
        flow_id: id,
        client,
        server,
        cport,
        sport,
        v6: key.v6,
        ip_proto: key.proto,
        ts_ns: ctx.ts_ns,
        pcap_cnt: ctx.pcap_cnt,
    }
}

fn end_flow(outs: &mut Outs, mut f: Flow<AppState>, reason: EndReason) {
    let counts = (f.pkts, f.bytes, f.start_ns);
    let mut fl = outs.det.is_some().then(|| f.data.take_detect());
    let ctx = PktCtx {
        ts_ns: f.last_ns,
        pcap_cnt: outs.cur_pcap_cnt,
    };
    {
        let Flow {
            tcp,
            data: app,
            key,
            client_is_a,
            id,
            ..
        } = &mut f;
        let hdr = make_hdr(key, *client_is_a, *id, ctx);
        let reg: &Registry = &outs.reg;
        let mut sink = sink!(outs, hdr, reg.name(app.proto), fl.as_mut(), counts);
        if key.proto == IPPROTO_TCP {
            tcp.flush(&outs.cfg.stream, &mut outs.mem, &mut |d, c| {
                app.on_chunk(reg, d, c, &mut sink)
            });
            tcp.release(&mut outs.mem);
        }
        app.on_close(&mut sink);
        if let Some(sd) = sink.det.as_mut() {
            let mut out = crate::rules::AlertOut {
                eve: sink.eve,
                hdr: &sink.hdr,
                app_proto: sink.app_proto,
                flow: Some(sd.counts),
            };
            sd.ctx.flush_pending(sd.flow, &mut out);
        }
    }
    let alerted = fl.is_some_and(|fl| fl.alerted);
    let app_proto = f.data.app_proto(&outs.reg);
    // statistics
    let st = &mut outs.stats;
    st.flows += 1;
    match f.key.proto {
        IPPROTO_TCP => {
            st.flows_tcp += 1;
            if f.tcp.midstream {
                st.tcp_midstream += 1;
            }
            st.tcp_gaps +=
                (f.tcp.gaps(Direction::ToServer) + f.tcp.gaps(Direction::ToClient)) as u64;
        }
        IPPROTO_UDP => st.flows_udp += 1,
        IPPROTO_ICMP | IPPROTO_ICMPV6 => st.flows_icmp += 1,
        _ => st.flows_other += 1,
    }
    let share_name = if app_proto.is_empty() {
        match f.key.proto {
            IPPROTO_TCP => "tcp (no payload)",
            IPPROTO_UDP => "udp (no payload)",
            _ => proto_name(f.key.proto),
        }
    } else {
        app_proto
    };
    let sh = st.share(share_name);
    sh.flows += 1;
    sh.pkts += f.pkts[0] + f.pkts[1];
    sh.bytes += f.bytes[0] + f.bytes[1];
    if !outs.eve.enabled() {
        return;
    }
    let hdr = make_hdr(
        &f.key,
        f.client_is_a,
        f.id,
        PktCtx {
            ts_ns: f.start_ns,
            pcap_cnt: 0,
        },
    );
    let eve = &mut outs.eve;
    eve.begin(f.start_ns);
    write_header(&mut eve.js, &hdr, "flow", app_proto);
    eve.js
        .open_object("flow")
        .set_uint("pkts_toserver", f.pkts[0])
        .set_uint("pkts_toclient", f.pkts[1])
        .set_uint("bytes_toserver", f.bytes[0])
        .set_uint("bytes_toclient", f.bytes[1]);
    eve.set_ts("start", f.start_ns);
    eve.set_ts("end", f.last_ns);
    let js = &mut eve.js;
    js.set_int("age", (f.last_ns - f.start_ns).div_euclid(1_000_000_000))
        .set_str("state", f.state_name())
        .set_str("reason", reason.name())
        .set_bool("alerted", alerted)
        .close();
    if f.key.proto == IPPROTO_TCP {
        let t = &f.tcp;
        let all = t.flags[0] | t.flags[1];
        js.open_object("tcp");
        js.set_fmt("tcp_flags", format_args!("{all:02x}"));
        js.set_fmt("tcp_flags_ts", format_args!("{:02x}", t.flags[0]));
        js.set_fmt("tcp_flags_tc", format_args!("{:02x}", t.flags[1]));
        for (bit, name) in [
            (0x01, "fin"),
            (0x02, "syn"),
            (0x04, "rst"),
            (0x08, "psh"),
            (0x10, "ack"),
            (0x20, "urg"),
            (0x40, "ecn"),
            (0x80, "cwr"),
        ] {
            if all & bit != 0 {
                js.set_bool(name, true);
            }
        }
        if t.gaps(Direction::ToServer) > 0 {
            js.set_bool("ts_gap", true);
        }
        if t.gaps(Direction::ToClient) > 0 {
            js.set_bool("tc_gap", true);
        }
        js.set_str("state", t.state.name());
        js.close();
    }
    eve.end();
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_engines_flow_record_is_three_cache_lines() {
        // what ARCHITECTURE.md and the flow crate's layout test promise
        // for the record this engine keeps (16 bytes of app state)
        assert_eq!(std::mem::size_of::<crate::app::AppState>(), 16);
        assert_eq!(
            std::mem::size_of::<reefwatch_flow::Flow<crate::app::AppState>>(),
            192
        );
    }
}
