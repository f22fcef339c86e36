//! The end-of-run summary (text for people, JSON for scripts) and the
//! final EVE `stats` event.

use crate::eve::{EveDest, EveOut};
use crate::worker::{WorkerStats, WorkerTotals};
use reefwatch_applayer::JsonBuilder;
use reefwatch_capture::CaptureError;
use reefwatch_decode::{Anomaly, DecodeStats};

#[derive(Default, Debug)]
pub struct Summary {
    pub files: u64,
    /// inputs that could not be read at all (exit status 2)
    pub errors: Vec<String>,
    /// truncated / corrupt inputs: everything before the problem was used
    pub warnings: Vec<String>,
    /// packets, flows and shares, summed over the workers
    pub traffic: WorkerStats,
    pub wall_secs: f64,
    pub threads: usize,
    pub decoder: DecodeStats,
    /// app-layer anomalies by name
    pub app_anomalies: Vec<(&'static str, u64)>,
    pub parse_errors: u64,
    /// flows whose probe claim was withdrawn (their parser could not
    /// read them): logged with app_proto `failed`
    pub app_failovers: u64,
    pub app_events: u64,
    pub eve_events: u64,
    pub eve_write_error: Option<String>,
    /// false: app-layer transactions were not parsed (protocols were only
    /// detected), so there are no app-layer anomaly counts
    pub app_layer_parsed: bool,
    /// Rules loaded (None: no rules given).
    pub rules_loaded: Option<usize>,
    /// Rules that did not load (set by the caller that loaded them).
    pub rules_skipped: usize,
    /// Rule detection counters, summed over the workers.
    pub detect: Option<crate::rules::DetectCounters>,
}

impl Summary {
    pub fn note_error(&mut self, e: &CaptureError) {
        if crate::is_fatal_input_error(e) {
            self.errors.push(e.to_string());
        } else {
            self.warnings.push(e.to_string());
        }
    }

    /// 0 when every input was readable; 2 when an input was not a capture
    /// or could not be opened; 1 when EVE could not be written.
    pub fn exit_code(&self) -> i32 {
        if !self.errors.is_empty() {
            2
        } else if self.eve_write_error.is_some() {
            1
        } else {
            0
        }
    }

    pub fn add_worker(&mut self, t: WorkerTotals) {
        let (w, app, d) = (&t.stats, &t.app, &t.decode);
        self.traffic.merge(w);
        self.decoder.merge(d);
        for (n, c) in &app.anomalies {
            match self.app_anomalies.iter_mut().find(|(m, _)| m == n) {
                Some(e) => e.1 += c,
                None => self.app_anomalies.push((n, *c)),
            }
        }
        self.parse_errors += app.parse_errors;
        self.app_failovers += app.failovers;
        self.app_events += app.tx_events;
        self.eve_events += t.eve_events;
        if let Some(d) = &t.detect {
            self.detect.get_or_insert_with(Default::default).merge(d);
        }
        if self.eve_write_error.is_none() {
            self.eve_write_error = t.eve_write_error;
        }
    }

    /// Decoder anomalies with their Suricata names and counts.
    pub fn decode_anomalies(&self) -> Vec<(&'static str, u64)> {
        ALL_ANOMALIES
            .iter()
            .filter_map(|a| {
                let c = self.decoder.anomalies[*a as usize & 31];
                (c > 0).then(|| (a.name(), c))
            })
            .collect()
    }

    pub fn capture_secs(&self) -> f64 {
        self.traffic
            .first_ts
            .map_or(0.0, |f| (self.traffic.last_ts - f) as f64 / 1e9)
    }

    /// The text summary, with its warnings and errors.
    pub fn to_text(&self) -> String {
        self.to_text_with(true)
    }

    /// The text summary; `with_problems`: list the warnings and errors
    /// (false when they were just printed on the same screen: then only
    /// their count is given).
    pub fn to_text_with(&self, with_problems: bool) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let mbps = if self.wall_secs > 0.0 {
            self.traffic.bytes as f64 * 8.0 / self.wall_secs / 1e6
        } else {
            0.0
        };
        let pps = if self.wall_secs > 0.0 {
            self.traffic.pkts as f64 / self.wall_secs
        } else {
            0.0
        };
        let _ = writeln!(
            s,
            "reefwatch analyze: {} file(s), {} thread(s)",
            self.files, self.threads
        );
        let _ = writeln!(
            s,
            "  packets   {:>12}   bytes {:>14}   non-IP {}",
            self.traffic.pkts, self.traffic.bytes, self.traffic.non_ip
        );
        let _ = writeln!(
            s,
            "  flows     {:>12}   (tcp {}, udp {}, icmp {}, other {}{}; evicted {})",
            self.traffic.flows,
            self.traffic.flows_tcp,
            self.traffic.flows_udp,
            self.traffic.flows_icmp,
            self.traffic.flows_other,
            match self.traffic.flows_l2 {
                0 => String::new(),
                n => format!(", layer-2 streams {n}"),
            },
            self.traffic.flows_evicted
        );
        let _ = writeln!(
            s,
            "  time      {:>10.3} s   {:.0} pkt/s   {:.1} Mbit/s",
            self.wall_secs, pps, mbps
        );
        if let Some(first) = self.traffic.first_ts {
            let _ = writeln!(
                s,
                "  captured  {} to {} ({})",
                utc(first),
                utc(self.traffic.last_ts),
                human_duration(self.capture_secs())
            );
        }
        if self.eve_events > 0 {
            let _ = writeln!(
                s,
                "  events    {:>12}   (app-layer {}, intel alerts {})",
                self.eve_events, self.app_events, self.traffic.alerts
            );
        } else {
            let _ = writeln!(
                s,
                "  events    EVE off          (intel alerts {})",
                self.traffic.alerts
            );
        }
        if let Some(n) = self.rules_loaded {
            let d = self.detect.clone().unwrap_or_default();
            let _ = writeln!(
                s,
                "  rules     {n} loaded, {} skipped; {} fired, {} alerts",
                self.rules_skipped,
                d.rules_fired(),
                d.alerts
            );
        }
        if !self.traffic.by_proto.is_empty() {
            let _ = writeln!(
                s,
                "  protocols (app_proto)        flows      packets   pkt%        bytes  byte%"
            );
            for p in &self.traffic.by_proto {
                let pp = if self.traffic.pkts > 0 {
                    p.pkts as f64 * 100.0 / self.traffic.pkts as f64
                } else {
                    0.0
                };
                let bp = if self.traffic.bytes > 0 {
                    p.bytes as f64 * 100.0 / self.traffic.bytes as f64
                } else {
                    0.0
                };
                let _ = writeln!(
                    s,
                    "    {:<22} {:>9} {:>12} {:>6.2} {:>12} {:>6.2}",
                    summary_label(p.name),
                    p.flows,
                    p.pkts,
                    pp,
                    p.bytes,
                    bp
                );
            }
        }
        if !self.app_layer_parsed && self.traffic.pkts > 0 {
            let _ = writeln!(
                s,
                "  app layer protocols detected, transactions not parsed: nothing consumes them \
                 (--app-layer full parses and counts their anomalies)"
            );
        }
        let da = self.decode_anomalies();
        if !da.is_empty() || !self.app_anomalies.is_empty() {
            let _ = writeln!(s, "  anomalies");
            for (n, c) in da.iter().chain(self.app_anomalies.iter()) {
                let _ = writeln!(s, "    {:<40} {:>10}", n, c);
            }
        }
        if self.app_failovers > 0 {
            let _ = writeln!(
                s,
                "  app layer {} flow(s) claimed by a probe that their parser could not read: \
                 logged as unknown",
                self.app_failovers
            );
        }
        if self.traffic.tcp_gaps > 0 || self.traffic.tcp_midstream > 0 {
            let _ = writeln!(
                s,
                "  tcp       midstream pickups {}, reassembly gaps {}, segments refused by memcap {}",
                self.traffic.tcp_midstream, self.traffic.tcp_gaps, self.traffic.reassembly_refused
            );
        }
        let n_err = self.errors.len() + usize::from(self.eve_write_error.is_some());
        if with_problems {
            for w in &self.warnings {
                let _ = writeln!(s, "  warning: {w}");
            }
            for e in self.errors.iter().chain(self.eve_write_error.iter()) {
                let _ = writeln!(s, "  error: {e}");
            }
        } else if n_err + self.warnings.len() > 0 {
            let _ = writeln!(
                s,
                "  problems  {} warning(s), {} error(s), printed above",
                self.warnings.len(),
                n_err
            );
        }
        s
    }

    pub fn to_json(&self) -> String {
        let mut js = JsonBuilder::new_object();
        js.set_uint("files", self.files)
            .set_uint("threads", self.threads as u64)
            .set_bool("app_layer_parsed", self.app_layer_parsed)
            .set_uint("packets", self.traffic.pkts)
            .set_uint("bytes", self.traffic.bytes)
            .set_uint("non_ip", self.traffic.non_ip)
            .set_float("wall_seconds", self.wall_secs)
            .set_float("capture_seconds", self.capture_secs());
        if let Some(first) = self.traffic.first_ts {
            js.set_str("first_packet", &utc(first))
                .set_str("last_packet", &utc(self.traffic.last_ts));
        }
        js.open_object("flows")
            .set_uint("total", self.traffic.flows)
            .set_uint("tcp", self.traffic.flows_tcp)
            .set_uint("udp", self.traffic.flows_udp)
            .set_uint("icmp", self.traffic.flows_icmp)
            .set_uint("other", self.traffic.flows_other)
            .set_uint("layer2", self.traffic.flows_l2)
            .set_uint("evicted", self.traffic.flows_evicted)
            .close();
        js.set_uint("eve_events", self.eve_events);
        js.set_uint("alerts", self.traffic.alerts);
        if let Some(n) = self.rules_loaded {
            let d = self.detect.clone().unwrap_or_default();
            js.open_object("rules")
                .set_uint("loaded", n as u64)
                .set_uint("skipped", self.rules_skipped as u64)
                .set_uint("fired", d.rules_fired() as u64)
                .set_uint("alerts", d.alerts)
                .set_uint("transactions_inspected", d.tx_inspected)
                .set_uint("packets_inspected", d.pkts_inspected)
                .set_uint("tx_bytes_not_kept", d.tx_bytes_dropped)
                .set_uint("alerts_written_unacknowledged", d.pending_overflow)
                .close();
        }
        js.open_array("protocols");
        for p in &self.traffic.by_proto {
            js.start_object()
                .set_str("app_proto", summary_label(p.name))
                .set_uint("flows", p.flows)
                .set_uint("packets", p.pkts)
                .set_uint("bytes", p.bytes)
                .close();
        }
        js.close();
        js.set_uint("app_parse_errors", self.parse_errors)
            .set_uint("app_failovers", self.app_failovers);
        js.open_object("anomalies");
        for (n, c) in self
            .decode_anomalies()
            .iter()
            .chain(self.app_anomalies.iter())
        {
            js.set_uint(n, *c);
        }
        js.close();
        js.open_array("warnings");
        for w in &self.warnings {
            js.append_str(w);
        }
        js.close();
        js.open_array("errors");
        for e in self.errors.iter().chain(self.eve_write_error.iter()) {
            js.append_str(e);
        }
        js.close();
        js.close();
        js.as_str().to_string()
    }

    /// Append the final `stats` event, with Suricata's counter names.
    pub fn write_stats_event(&self, dest: &EveDest) {
        let mut eve = EveOut::new(Some(dest.clone()));
        eve.begin(self.traffic.last_ts);
        let js = &mut eve.js;
        js.set_str("event_type", "stats");
        js.open_object("stats");
        js.set_uint("uptime", self.wall_secs as u64);
        js.open_object("capture")
            .set_uint("kernel_packets", self.traffic.pkts)
            .close();
        let d = &self.decoder;
        js.open_object("decoder")
            .set_uint("pkts", d.pkts)
            .set_uint("bytes", d.bytes)
            .set_uint("invalid", d.invalid)
            .set_uint("ipv4", d.ipv4)
            .set_uint("ipv6", d.ipv6)
            .set_uint("ethernet", d.pkts)
            .set_uint("arp", d.arp)
            .set_uint("unknown_ethertype", d.other_l3)
            .set_uint("tcp", d.tcp)
            .set_uint("udp", d.udp)
            .set_uint("icmpv4", d.icmpv4)
            .set_uint("icmpv6", d.icmpv6)
            .set_uint("vlan", d.vlan)
            .set_uint("vlan_qinq", d.vlan_qinq)
            .set_uint("gre", d.gre)
            .set_uint("vxlan", d.vxlan)
            .set_uint("mpls", d.mpls)
            .set_uint("geneve", d.geneve);
        // (AYIYA packets, `d.ayiya`, have no counter here: Suricata's
        // stats schema has none, and tools validate against it)
        js.open_object("event");
        for (n, c) in self.decode_anomalies() {
            js.set_uint(n.trim_start_matches("decoder."), c);
        }
        js.close();
        js.close();
        js.open_object("defrag")
            .open_object("ipv4")
            .set_uint("fragments", d.frag_ipv4)
            .close()
            .open_object("ipv6")
            .set_uint("fragments", d.frag_ipv6)
            .close()
            .set_uint("reassembled", d.reassembled)
            .close();
        js.open_object("flow")
            .set_uint("total", self.traffic.flows)
            .set_uint("tcp", self.traffic.flows_tcp)
            .set_uint("udp", self.traffic.flows_udp)
            .set_uint("icmpv4", self.traffic.flows_icmp)
            .close();
        js.open_object("tcp")
            .set_uint("syn", self.traffic.tcp_syn)
            .set_uint("synack", self.traffic.tcp_synack)
            .set_uint("rst", self.traffic.tcp_rst)
            .set_uint("midstream_pickups", self.traffic.tcp_midstream)
            .set_uint("reassembly_gap", self.traffic.tcp_gaps)
            .set_uint("segment_memcap_drop", self.traffic.reassembly_refused)
            .close();
        if let Some(n) = self.rules_loaded {
            let d = self.detect.clone().unwrap_or_default();
            js.open_object("detect");
            js.open_array("engines")
                .start_object()
                .set_uint("id", 0)
                .set_uint("rules_loaded", n as u64)
                .set_uint("rules_failed", self.rules_skipped as u64)
                .set_uint("rules_skipped", 0)
                .close()
                .close();
            js.set_uint("alert", d.alerts)
                .set_uint("alert_queue_overflow", 0)
                .close();
        }
        js.open_object("app_layer").open_object("flow");
        for p in &self.traffic.by_proto {
            if !p.name.contains(' ') {
                js.set_uint(p.name, p.flows);
            }
        }
        js.close().close();
        js.close();
        eve.end();
        eve.flush();
    }
}

/// The summary's name for an `app_proto`: EVE says `failed`, as
/// Suricata does, for a flow with data whose protocol was not recognised;
/// a person reads that as "unknown".
fn summary_label(app_proto: &str) -> &str {
    match app_proto {
        "failed" => "unknown",
        p => p,
    }
}

/// A packet time as an RFC 3339 UTC timestamp (milliseconds).
fn utc(ts_ns: i64) -> String {
    reefwatch_stix::time::format_timestamp(i128::from(ts_ns))
}

/// A duration for people: `3.2 s`, `4 min 12 s`, `2 h 5 min`, `20 y 147 d`.
fn human_duration(secs: f64) -> String {
    let s = secs.max(0.0);
    if s < 60.0 {
        return format!("{s:.3} s");
    }
    let t = s as u64;
    let (y, d, h, m, sec) = (
        t / 31_557_600,
        (t % 31_557_600) / 86_400,
        (t % 86_400) / 3600,
        (t % 3600) / 60,
        t % 60,
    );
    if y > 0 {
        format!("{y} y {d} d")
    } else if d > 0 {
        format!("{d} d {h} h")
    } else if h > 0 {
        format!("{h} h {m} min")
    } else {
        format!("{m} min {sec} s")
    }
}

const ALL_ANOMALIES: &[Anomaly] = &[
    Anomaly::EthernetPktTooSmall,
    Anomaly::VlanHeaderTooSmall,
    Anomaly::VlanTooMany,
    Anomaly::SllPktTooSmall,
    Anomaly::NullPktTooSmall,
    Anomaly::UnsupportedLinktype,
    Anomaly::Ipv4PktTooSmall,
    Anomaly::Ipv4HlenTooSmall,
    Anomaly::Ipv4IplenSmallerThanHlen,
    Anomaly::Ipv4TruncPkt,
    Anomaly::Ipv4WrongIpVer,
    Anomaly::Ipv4FragOverlap,
    Anomaly::Ipv4FragTooLarge,
    Anomaly::Ipv6PktTooSmall,
    Anomaly::Ipv6TruncPkt,
    Anomaly::Ipv6ExthdrTooMany,
    Anomaly::Ipv6FragOverlap,
    Anomaly::TcpPktTooSmall,
    Anomaly::TcpHlenTooSmall,
    Anomaly::UdpPktTooSmall,
    Anomaly::UdpHlenInvalid,
    Anomaly::Icmpv4PktTooSmall,
    Anomaly::Icmpv6PktTooSmall,
    Anomaly::ArpPktTooSmall,
    Anomaly::GrePktTooSmall,
    Anomaly::VxlanPktTooSmall,
    Anomaly::TunnelTooDeep,
    Anomaly::FragMemcapReached,
    Anomaly::MplsPktTooSmall,
    Anomaly::MplsTooManyLabels,
    Anomaly::WifiPktTooSmall,
    Anomaly::NflogPktTooSmall,
    Anomaly::PppPktTooSmall,
];
