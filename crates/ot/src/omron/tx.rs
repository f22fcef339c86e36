//! Omron FINS transactions: what is kept of an open command (no borrowed
//! bytes), for the state to pair and the logger to write.

use super::parser::{Addr, MemArea, Message};
use crate::common::Operation;

/// Bytes of a file name kept (FINS file names are 8.3, 12 bytes).
pub const FILE_NAME_LEN: usize = 12;

/// What is kept of an open command.
#[derive(Debug, Clone, Copy, Default)]
pub struct PendingRequest {
    pub id: u64,
    pub icf: u8,
    pub gct: u8,
    pub dst: Addr,
    pub src: Addr,
    pub sid: u8,
    pub command: u16,
    pub mem: Option<MemArea>,
    pub mem_to: Option<MemArea>,
    pub items: u16,
    pub param: Option<(u16, u16, u16)>,
    pub program: Option<(u16, u32, u16)>,
    pub mode: Option<u8>,
    pub clock: Option<[u8; 7]>,
    pub file_name: [u8; FILE_NAME_LEN],
    pub file_name_len: u8,
    pub operation: Option<Operation>,
}

impl PendingRequest {
    pub fn from_message(id: u64, m: &Message<'_>) -> Self {
        let mut file_name = [0u8; FILE_NAME_LEN];
        let n = m.file_name.len().min(FILE_NAME_LEN);
        file_name[..n].copy_from_slice(&m.file_name[..n]);
        PendingRequest {
            id,
            icf: m.icf,
            gct: m.gct,
            dst: m.dst,
            src: m.src,
            sid: m.sid,
            command: m.command,
            mem: m.mem,
            mem_to: m.mem_to,
            items: m.items,
            param: m.param,
            program: m.program,
            mode: m.mode,
            clock: m.clock,
            file_name,
            file_name_len: n as u8,
            operation: operation(m.command),
        }
    }
    pub fn file_name(&self) -> &[u8] {
        &self.file_name[..self.file_name_len as usize]
    }
}

/// Security-relevant operation of a command.
pub fn operation(command: u16) -> Option<Operation> {
    Some(match command {
        0x0102 | 0x0103 | 0x0105 | 0x2301 | 0x2302 => Operation::Write,
        0x0202 | 0x0203 | 0x0221 | 0x2101 | 0x2103 => Operation::ConfigChange,
        0x0306 => Operation::ProgramUpload,
        0x0307 | 0x0308 => Operation::ProgramDownload,
        0x0304 | 0x0305 | 0x0c01 | 0x0c02 | 0x0c03 => Operation::Auth,
        0x0401 => Operation::Run,
        0x0402 => Operation::Stop,
        0x0501 | 0x0502 => Operation::Identify,
        0x0702 => Operation::TimeSync,
        0x2201..=0x2215 => Operation::FileOp,
        _ => return None,
    })
}
