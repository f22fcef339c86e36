//! MELSEC MC protocol / SLMP transactions: what is kept of an open
//! request (no borrowed bytes).

use super::parser::{DeviceAccess, Frame, Kind, Route};
use crate::common::Operation;

/// What is kept of an open request.
#[derive(Debug, Clone, Copy)]
pub struct PendingRequest {
    pub id: u64,
    pub kind: Kind,
    pub ascii: bool,
    pub serial: Option<u16>,
    pub route: Route,
    pub timer: u16,
    pub command: u16,
    pub subcommand: u16,
    pub device: Option<DeviceAccess>,
    pub operation: Option<Operation>,
}

impl PendingRequest {
    pub fn new(id: u64, f: &Frame<'_>, device: Option<DeviceAccess>) -> Self {
        PendingRequest {
            id,
            kind: f.kind,
            ascii: f.ascii,
            serial: f.serial,
            route: f.route,
            timer: f.timer,
            command: f.command,
            subcommand: f.subcommand,
            device,
            operation: operation(f.command),
        }
    }
}

/// Security-relevant operation of a command.
pub fn operation(c: u16) -> Option<Operation> {
    Some(match c {
        0x1401 | 0x1402 | 0x1406 | 0x1601 | 0x1613 | 0x1005 => Operation::Write,
        0x1001 => Operation::Run,
        0x1002 | 0x1003 => Operation::Stop,
        0x1006 => Operation::Restart,
        0x0101 => Operation::Identify,
        0x1630 | 0x1631 => Operation::Auth,
        0x1617 => Operation::ConfigChange,
        0x1810..=0x182a | 0x0201..=0x0206 => Operation::FileOp,
        _ => return None,
    })
}
