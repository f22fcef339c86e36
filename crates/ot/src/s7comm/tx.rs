//! S7comm transactions: what is kept of an open request, for the state to pair and the logger to
//! write.

use crate::common::Operation;

#[derive(Debug, Clone, Copy)]
pub struct PendingRequest {
    pub id: u64,
    pub pdu_ref: u16,
    pub rosctr: u8,
    pub function: u8,
    pub group: u8,
    pub subfunction: u8,
    pub szl_id: Option<u16>,
    pub operation: Option<Operation>,
}
