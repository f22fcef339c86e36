//! IEC 60870-5-104 transactions: an open command awaiting its confirmation, for the state to pair
//! and the logger to write.

use crate::common::Operation;

#[derive(Debug, Clone, Copy)]
pub struct PendingCommand {
    pub id: u64,
    pub type_id: u8,
    pub common_address: u16,
    pub ioa: u32,
    pub cause: u8,
    pub confirmed: bool,
    pub operation: Option<Operation>,
}
