//! Sampled Values EVE output (`event_type: sv`): counted per stream, not
//! one event per frame. A stream's first frame and any frame changing
//! svID, confRev, smpSynch or noASDU get a frame event; every
//! `SUMMARY_INTERVAL_NS` of capture time and at the stream's end a summary
//! gives the counts.
//!
//! ```text
//! {"kind":"new_stream"|"change","appid":16384,"length":107,"no_asdu":1,
//!  "asdus":[{"sv_id":"MU01","smp_cnt":1,"conf_rev":1,"smp_synch":2,"sample_len":64,…}],
//!  "asdu_count":1,"asdus_omitted":0,"frames":1,"anomalies":[…]}
//! {"kind":"summary"|"end","sv_id":"MU01","conf_rev":1,"smp_synch":2,"smp_cnt":3999,
//!  "frames":4000,"asdus":4000,"frames_since_last_event":3999,"smp_cnt_gaps":0,
//!  "samples_missed":0,"duration_ms":999,"anomalies":[…]}
//! ```

use super::parser::{SavPdu, ANOMALY_NAMES};
use super::tx::{Kind, Stream};
use crate::goose::parser::Header;
use crate::mms::logger::utc_time;
use reefwatch_applayer::l2::set_mac;
use reefwatch_applayer::{Anomalies, JsonBuilder};

pub struct FrameEvent<'a> {
    pub kind: Kind,
    pub header: &'a Header<'a>,
    pub pdu: &'a SavPdu<'a>,
    pub stream: &'a Stream,
    pub previous_src_mac: Option<[u8; 6]>,
    pub anomalies: Anomalies,
}

pub fn log_frame(js: &mut JsonBuilder, e: &FrameEvent<'_>) {
    let p = e.pdu;
    js.set_str("kind", e.kind.as_str());
    js.set_uint("appid", e.header.appid() as u64);
    js.set_uint("length", e.header.length() as u64);
    if e.header.simulated() {
        js.set_bool("simulated_frame", true);
    }
    if let Some(n) = p.no_asdu {
        js.set_uint("no_asdu", n);
    }
    if p.security {
        js.set_bool("security", true);
    }
    js.open_array("asdus");
    for a in p.decoded() {
        js.start_object();
        if let Some(s) = a.sv_id {
            js.set_bytes_str("sv_id", s);
        }
        if let Some(s) = a.dat_set {
            js.set_bytes_str("dat_set", s);
        }
        for (k, v) in [
            ("smp_cnt", a.smp_cnt),
            ("conf_rev", a.conf_rev),
            ("smp_synch", a.smp_synch),
            ("smp_rate", a.smp_rate),
            ("smp_mod", a.smp_mod),
        ] {
            if let Some(v) = v {
                js.set_uint(k, v);
            }
        }
        if let Some(t) = a.refr_tm {
            utc_time(js, "refr_tm", t);
        }
        if let Some(s) = a.sample {
            js.set_uint("sample_len", s.len() as u64);
        }
        js.close();
    }
    js.close();
    js.set_uint("asdu_count", p.asdu_count as u64);
    js.set_uint("asdus_omitted", (p.asdu_count - p.decoded().len()) as u64);
    js.set_uint("frames", e.stream.frames);
    if let Some(m) = e.previous_src_mac {
        set_mac(js, "previous_src_mac", &m);
    }
    e.anomalies.log(ANOMALY_NAMES, js);
}

/// A summary (`kind` Summary or End) of the stream so far.
pub fn log_summary(js: &mut JsonBuilder, kind: Kind, s: &Stream) {
    js.set_str("kind", kind.as_str());
    if let Some(l) = &s.last {
        js.set_bytes_str("sv_id", l.sv_id.as_bytes());
        js.set_uint("conf_rev", l.conf_rev);
        js.set_uint("smp_synch", l.smp_synch);
        js.set_uint("no_asdu", l.no_asdu);
        js.set_uint("smp_cnt", l.smp_cnt);
        js.set_uint("sample_len", l.sample_len as u64);
    }
    js.set_uint("frames", s.frames);
    js.set_uint("asdus", s.asdus);
    js.set_uint("frames_since_last_event", s.frames_since_event);
    js.set_uint("smp_cnt_gaps", s.smp_cnt_gaps);
    js.set_uint("samples_missed", s.samples_missed);
    js.set_int(
        "duration_ms",
        s.last_ts_ns.saturating_sub(s.first_ts_ns) / 1_000_000,
    );
    s.pending.log(ANOMALY_NAMES, js);
}
