//! What a Sampled Values stream keeps between frames (owned).

pub use crate::goose::tx::NameBuf;
use reefwatch_applayer::Anomalies;

/// A stream's counters and its last frame's values.
#[derive(Clone, Debug, Default)]
pub struct Stream {
    pub frames: u64,
    pub asdus: u64,
    /// smpCnt discontinuities (not +1, not a wrap to 0)
    pub smp_cnt_gaps: u64,
    /// samples skipped by those discontinuities (forward jumps)
    pub samples_missed: u64,
    /// frames since the last event
    pub frames_since_event: u64,
    pub first_ts_ns: i64,
    pub last_ts_ns: i64,
    pub last_event_ns: i64,
    pub last: Option<Last>,
    /// anomalies since the last event (logged with the next one)
    pub pending: Anomalies,
}

/// The last frame's first-ASDU values, and the last smpCnt.
#[derive(Clone, Debug)]
pub struct Last {
    pub sv_id: NameBuf,
    pub conf_rev: u64,
    pub smp_synch: u64,
    pub no_asdu: u64,
    /// smpCnt of the last ASDU
    pub smp_cnt: u64,
    pub sample_len: usize,
}

/// Why an event is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// the stream's first frame
    NewStream,
    /// svID, confRev, smpSynch or noASDU changed
    Change,
    /// every `SUMMARY_INTERVAL_NS` of capture time
    Summary,
    /// the stream ended
    End,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::NewStream => "new_stream",
            Kind::Change => "change",
            Kind::Summary => "summary",
            Kind::End => "end",
        }
    }
}
