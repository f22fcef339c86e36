//! GOOSE EVE output (`event_type: goose`): one event per state change
//! (the stream's first frame, a new stNum) or per frame with an anomaly,
//! not one per frame; retransmissions of a state are counted, and the
//! stream's end writes its totals.
//!
//! ```text
//! {"kind":"state_change","appid":1,"length":145,"gocb_ref":"…","time_allowed_to_live":40000,
//!  "dat_set":"…","go_id":"…","t":"2000-01-02T02:46:11.258165Z","st_num":2,"sq_num":0,
//!  "simulation":false,"conf_rev":1,"nds_com":false,"num_dat_set_entries":8,
//!  "values":[{"type":"boolean","value":false},…],"value_count":8,"values_omitted":0,
//!  "frames":14,"retransmissions":12,"previous_src_mac":"…","anomalies":[…]}
//! {"kind":"end","gocb_ref":"…","st_num":2,"sq_num":40,"frames":54,"states":2,"retransmissions":52}
//! ```
//! `retransmissions` in a state-change event counts the frames that
//! repeated the state before it; in an anomaly event, those of the
//! current state so far.

use super::parser::{GoosePdu, Header, ANOMALY_NAMES};
use super::tx::{Kind, Stream};
use crate::mms::logger::{utc_time, values};
use reefwatch_applayer::l2::set_mac;
use reefwatch_applayer::{Anomalies, JsonBuilder};

/// One frame's event (`body` of the sink's `goose` event).
pub struct FrameEvent<'a> {
    pub kind: Kind,
    pub header: &'a Header<'a>,
    pub pdu: &'a GoosePdu<'a>,
    pub stream: &'a Stream,
    pub retransmissions: u64,
    pub previous_src_mac: Option<[u8; 6]>,
    pub anomalies: Anomalies,
}

pub fn log_frame(js: &mut JsonBuilder, e: &FrameEvent<'_>) {
    let g = e.pdu;
    js.set_str("kind", e.kind.as_str());
    js.set_uint("appid", e.header.appid() as u64);
    js.set_uint("length", e.header.length() as u64);
    if e.header.simulated() {
        js.set_bool("simulated_frame", true);
    }
    if let Some(s) = g.gocb_ref {
        js.set_bytes_str("gocb_ref", s);
    }
    if let Some(v) = g.time_allowed_to_live {
        js.set_uint("time_allowed_to_live", v);
    }
    if let Some(s) = g.dat_set {
        js.set_bytes_str("dat_set", s);
    }
    if let Some(s) = g.go_id {
        js.set_bytes_str("go_id", s);
    }
    if let Some(t) = g.t {
        utc_time(js, "t", t);
    }
    for (k, v) in [("st_num", g.st_num), ("sq_num", g.sq_num)] {
        if let Some(v) = v {
            js.set_uint(k, v);
        }
    }
    if let Some(b) = g.simulation {
        js.set_bool("simulation", b);
    }
    if let Some(v) = g.conf_rev {
        js.set_uint("conf_rev", v);
    }
    if let Some(b) = g.nds_com {
        js.set_bool("nds_com", b);
    }
    if let Some(v) = g.num_dat_set_entries {
        js.set_uint("num_dat_set_entries", v);
    }
    if let Some(d) = g.all_data {
        values(js, d, false);
    }
    if g.security {
        js.set_bool("security", true);
    }
    js.set_uint("frames", e.stream.frames);
    js.set_uint("retransmissions", e.retransmissions);
    if let Some(m) = e.previous_src_mac {
        set_mac(js, "previous_src_mac", &m);
    }
    e.anomalies.log(ANOMALY_NAMES, js);
}

/// A GSE management frame (GetGoReference …): recognised only.
pub fn log_management(js: &mut JsonBuilder, h: &Header<'_>, an: Anomalies) {
    js.set_str("kind", "management");
    js.set_uint("appid", h.appid() as u64);
    js.set_uint("length", h.length() as u64);
    an.log(ANOMALY_NAMES, js);
}

/// The stream's totals when it ends.
pub fn log_end(js: &mut JsonBuilder, s: &Stream) {
    js.set_str("kind", "end");
    if let Some(l) = &s.last {
        js.set_bytes_str("gocb_ref", l.gocb_ref.as_bytes());
        js.set_uint("st_num", l.st_num);
        js.set_uint("sq_num", l.sq_num);
    }
    js.set_uint("frames", s.frames);
    js.set_uint("states", s.states);
    js.set_uint("retransmissions", s.retransmissions);
}
