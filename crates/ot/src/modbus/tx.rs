//! Modbus transactions: what is kept of an open request (no borrowed bytes), for the state to pair
//! and the logger to write.

use crate::common::Operation;

/// What is kept of an open request (no borrowed bytes).
#[derive(Debug, Clone, Copy, Default)]
pub struct PendingRequest {
    pub id: u64,
    pub transaction_id: u16,
    pub unit_id: u8,
    pub function: u8,
    pub read_address: Option<u16>,
    pub read_quantity: Option<u16>,
    pub write_address: Option<u16>,
    pub write_quantity: Option<u16>,
    pub subfunction: Option<u16>,
    pub mei_type: Option<u8>,
    pub umas_function: Option<u8>,
    pub operation: Option<Operation>,
}
