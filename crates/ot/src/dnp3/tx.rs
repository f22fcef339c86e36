//! DNP3 transactions: the open request and the link-layer facts of a message, for the state to pair
//! and the logger to write.

use crate::common::Operation;

#[derive(Debug, Clone, Copy)]
pub struct PendingRequest {
    pub id: u64,
    pub seq: u8,
    pub function: u8,
    pub operation: Option<Operation>,
}

/// Link-layer facts of the frame that completed a message.
#[derive(Debug, Clone, Copy)]
pub struct LinkInfo {
    pub control: u8,
    pub src: u16,
    pub dst: u16,
    pub crc_ok: bool,
    pub transport: Option<u8>,
    pub segments: u32,
}
