//! ADS transactions: what is kept of an AMS message (no borrowed bytes),
//! for the state to pair by invoke id and the logger to write.

use super::parser::Body;
use crate::common::Operation;
use reefwatch_applayer::Anomalies;

/// An AMS address: net id and port.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Addr {
    pub net_id: [u8; 6],
    pub port: u16,
}

/// One AMS message as kept.
#[derive(Debug, Clone, Copy, Default)]
pub struct Msg {
    pub target: Addr,
    pub source: Addr,
    pub command: u16,
    pub state_flags: u16,
    /// AMS/TCP length (AMS header + data).
    pub length: u32,
    /// The AMS header's data length field.
    pub data_len: u32,
    pub error_code: u32,
    pub invoke_id: u32,
    pub body: Body,
    /// ReadDeviceInfo response: the device name (NUL-padded field).
    pub device_name: [u8; super::parser::DEVICE_NAME_LEN],
    pub has_device_name: bool,
    pub anomalies: Anomalies,
}

/// An open request.
#[derive(Debug, Clone, Copy, Default)]
pub struct Pending {
    pub id: u64,
    pub req: Msg,
    pub operation: Option<Operation>,
}
