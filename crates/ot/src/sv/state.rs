//! A Sampled Values stream (one source MAC and APPID): smpCnt continuity,
//! changes of svID/confRev/smpSynch, the sender of an svID, and when an
//! event is written (see logger.rs). Anomalies reach the sink once per
//! summary interval per kind, so a stream of 4000 frames/s with a fault
//! does not write 4000 anomaly events a second.

use super::logger::{log_frame, log_summary, FrameEvent};
use super::parser::*;
use super::tx::{Kind, Last, NameBuf, Stream};
use reefwatch_applayer::{Anomalies, EventSink, L2Context, L2Frame, L2Parser};

/// Capture time between two summaries of a stream.
pub const SUMMARY_INTERVAL_NS: i64 = 60_000_000_000;

#[derive(Default)]
pub struct SvState {
    s: Stream,
    /// anomalies already handed to the sink in this interval
    reported: Anomalies,
}

impl SvState {
    pub fn new() -> Self {
        Self::default()
    }

    /// smpCnt continuity over the frame's ASDUs.
    fn count_samples(&mut self, p: &SavPdu<'_>, an: &mut Anomalies) -> u64 {
        let mut last = self.s.last.as_ref().map(|l| l.smp_cnt);
        for a in p.decoded() {
            let Some(c) = a.smp_cnt else { continue };
            if let Some(l) = last {
                let expected = (l + 1) & 0xffff;
                if c != expected && c != 0 {
                    an.set(A_SMPCNT_GAP);
                    self.s.smp_cnt_gaps += 1;
                    if c > expected {
                        self.s.samples_missed += c - expected;
                    }
                }
            }
            last = Some(c);
        }
        last.unwrap_or(0)
    }

    /// Hand the anomalies not yet reported this interval to the sink.
    fn report(&mut self, an: Anomalies, out: &mut dyn EventSink) {
        let new = Anomalies(an.0 & !self.reported.0);
        self.reported.merge(an);
        new.report(ANOMALY_NAMES, out);
    }

    fn summary(&mut self, kind: Kind, out: &mut dyn EventSink) {
        let s = &self.s;
        out.event("sv", &mut |js| log_summary(js, kind, s));
        self.s.frames_since_event = 0;
        self.s.pending = Anomalies::default();
        self.reported = Anomalies::default();
    }
}

impl L2Parser for SvState {
    fn parse(&mut self, f: &L2Frame<'_>, ctx: &mut dyn L2Context, out: &mut dyn EventSink) {
        if self.s.frames == 0 {
            self.s.first_ts_ns = f.ts_ns;
            self.s.last_event_ns = f.ts_ns;
        }
        self.s.frames += 1;
        self.s.frames_since_event += 1;
        self.s.last_ts_ns = f.ts_ns;
        let mut an = Anomalies::default();
        let parsed = parse(f.payload, &mut an);
        let mut kind = None;
        let mut previous_src_mac = None;
        if let Some((h, p)) = &parsed {
            self.s.asdus += p.asdu_count as u64;
            let first = p.decoded().first().copied().unwrap_or_default();
            let sv_id = first.sv_id.unwrap_or(b"");
            let smp_cnt = self.count_samples(p, &mut an);
            match &self.s.last {
                None => {
                    kind = Some(Kind::NewStream);
                    previous_src_mac = ctx.claim(sv_id, f.src_mac);
                }
                Some(l) => {
                    let id_changed = *l.sv_id.as_bytes() != sv_id[..sv_id.len().min(MAX_NAME)];
                    if id_changed {
                        an.set(A_SVID_CHANGED);
                        previous_src_mac = ctx.claim(sv_id, f.src_mac);
                    }
                    if first.conf_rev.is_some_and(|c| c != l.conf_rev) {
                        an.set(A_CONFREV_CHANGED);
                    }
                    let synch = first.smp_synch.unwrap_or(0);
                    if l.smp_synch != 0 && synch == 0 {
                        an.set(A_SYNCH_LOST);
                    }
                    if id_changed
                        || first.conf_rev.is_some_and(|c| c != l.conf_rev)
                        || synch != l.smp_synch
                        || p.no_asdu.is_some_and(|n| n != l.no_asdu)
                    {
                        kind = Some(Kind::Change);
                    }
                }
            }
            if previous_src_mac.is_some() {
                an.set(A_NEW_SOURCE_MAC);
            }
            self.s.last = Some(Last {
                sv_id: NameBuf::new(sv_id),
                conf_rev: first.conf_rev.unwrap_or(0),
                smp_synch: first.smp_synch.unwrap_or(0),
                no_asdu: p.no_asdu.unwrap_or(0),
                smp_cnt,
                sample_len: first.sample.map_or(0, |s| s.len()),
            });
            if let Some(k) = kind {
                let e = FrameEvent {
                    kind: k,
                    header: h,
                    pdu: p,
                    stream: &self.s,
                    previous_src_mac,
                    anomalies: an,
                };
                out.event("sv", &mut |js| log_frame(js, &e));
                self.s.frames_since_event = 0;
                self.s.last_event_ns = f.ts_ns;
            }
        }
        self.s.pending.merge(an);
        self.report(an, out);
        if f.ts_ns.saturating_sub(self.s.last_event_ns) >= SUMMARY_INTERVAL_NS {
            self.s.last_event_ns = f.ts_ns;
            self.summary(Kind::Summary, out);
        }
    }

    fn on_close(&mut self, out: &mut dyn EventSink) {
        if self.s.frames > 0 {
            self.summary(Kind::End, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sv::parser::tests::frame;
    use reefwatch_applayer::l2::NoContext;
    use reefwatch_applayer::TestSink;

    /// Frames are counted, not logged one by one: a new-stream event, a
    /// change event when confRev changes, a summary per interval, the end;
    /// an smpCnt jump is counted and reported once.
    #[test]
    fn counted_per_stream() {
        let mut s = SvState::new();
        let mut out = TestSink::default();
        let mut ctx = NoContext;
        let mut feed = |cnt: u16, rev: u32, ms: i64, s: &mut SvState, out: &mut TestSink| {
            let f = frame(0x4000, b"MU01", &[cnt], rev, 2);
            let fr = L2Frame {
                src_mac: [0, 0, 0, 0, 0, 1],
                dst_mac: [1, 0x0c, 0xcd, 4, 0, 1],
                ethertype: ETHERTYPE_SV,
                vlan: [0, 0],
                payload: &f,
                ts_ns: ms * 1_000_000,
            };
            s.parse(&fr, &mut ctx, out);
        };
        for c in 0..100u16 {
            feed(c, 1, c as i64, &mut s, &mut out);
        }
        feed(110, 1, 101, &mut s, &mut out); // 10 samples missed
        feed(111, 1, 102, &mut s, &mut out);
        feed(115, 1, 103, &mut s, &mut out); // another gap: counted, not reported again
        feed(116, 2, 104, &mut s, &mut out); // confRev changed
        feed(117, 2, 61_000, &mut s, &mut out); // a summary is due
        s.on_close(&mut out);
        let ev: Vec<serde_json::Value> = out
            .events
            .iter()
            .map(|(_, j)| serde_json::from_str(j).unwrap())
            .collect();
        let kinds: Vec<&str> = ev.iter().map(|e| e["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["new_stream", "change", "summary", "end"]);
        assert_eq!(ev[0]["asdus"][0]["sv_id"], "MU01");
        assert_eq!(ev[0]["asdus"][0]["sample_len"], 64);
        assert_eq!(ev[2]["frames"], 105);
        assert_eq!(
            (
                ev[2]["smp_cnt_gaps"].as_u64(),
                ev[2]["samples_missed"].as_u64()
            ),
            (Some(2), Some(13))
        );
        assert_eq!(ev[3]["frames"], 105);
        assert_eq!(out.anomalies, ["sv.smpcnt_gap", "sv.confrev_changed"]);
    }
}
