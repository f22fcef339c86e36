//! EtherNet/IP transactions: what is kept of an open request, for the state to pair and the logger
//! to write.

use crate::common::Operation;

#[derive(Debug, Clone, Copy)]
pub struct PendingRequest {
    pub id: u64,
    pub command: u16,
    pub context: [u8; 8],
    pub seq: Option<u16>,
    pub service: Option<u8>,
    pub class: Option<u32>,
    pub operation: Option<Operation>,
}
