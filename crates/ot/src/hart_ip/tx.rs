//! HART-IP transactions: what is kept of an open request (no borrowed
//! bytes).

use super::parser::Address;
use crate::common::Operation;

/// What is kept of an open request.
#[derive(Debug, Clone, Copy)]
pub struct PendingRequest {
    pub id: u64,
    pub msg_id: u8,
    pub seq: u16,
    /// Pass-through: HART command and device address.
    pub command: Option<u16>,
    pub address: Option<Address>,
    pub operation: Option<Operation>,
}

/// Security-relevant operation of a HART command.
pub fn command_operation(c: u16) -> Option<Operation> {
    Some(match c {
        0 | 11 | 13 | 20 | 21 => Operation::Identify,
        6 | 17 | 18 | 19 | 22 | 34..=38 | 44 | 47 | 49 | 51 | 53 | 59 => Operation::ConfigChange,
        40 | 43 | 45 | 46 | 79 => Operation::Write,
        42 => Operation::Restart,
        89 => Operation::TimeSync,
        _ => return None,
    })
}
