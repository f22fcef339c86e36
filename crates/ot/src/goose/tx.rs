//! What a GOOSE stream keeps between frames (owned: no borrowed bytes),
//! and what one frame's event says about the stream.

use super::parser::MAX_NAME;

/// The state (stNum) a stream is in and how it got there.
#[derive(Clone, Debug, Default)]
pub struct Stream {
    /// frames seen
    pub frames: u64,
    /// state changes seen (stNum changes, the first frame included)
    pub states: u64,
    /// frames that repeated the current state (same stNum)
    pub retransmissions: u64,
    /// retransmissions of the current state
    pub state_retransmissions: u64,
    /// the last frame's values (None before the first decoded frame)
    pub last: Option<Last>,
}

/// The last decoded frame's values the next frame is checked against.
#[derive(Clone, Debug)]
pub struct Last {
    pub st_num: u64,
    pub sq_num: u64,
    /// ms
    pub ttl_ms: u64,
    pub conf_rev: u64,
    pub ts_ns: i64,
    /// gocbRef (at most [`MAX_NAME`] octets)
    pub gocb_ref: NameBuf,
}

/// A visible string of at most [`MAX_NAME`] octets, inline.
#[derive(Clone, Debug)]
pub struct NameBuf {
    len: u8,
    buf: [u8; MAX_NAME],
}

impl NameBuf {
    pub fn new(s: &[u8]) -> Self {
        let n = s.len().min(MAX_NAME);
        let mut buf = [0; MAX_NAME];
        buf[..n].copy_from_slice(&s[..n]);
        NameBuf { len: n as u8, buf }
    }
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len as usize]
    }
}

/// Why a frame gets an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// the stream's first frame
    NewStream,
    /// stNum changed
    StateChange,
    /// same state, but the frame has an anomaly
    Anomaly,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::NewStream => "new_stream",
            Kind::StateChange => "state_change",
            Kind::Anomaly => "anomaly",
        }
    }
}
