//! What the OT parsers share beyond the applayer parts
//! ([`reefwatch_applayer::TxTable`], [`reefwatch_applayer::Anomalies`],
//! [`reefwatch_applayer::bytes`]): security-relevant operation names and
//! padded identity strings.

use reefwatch_applayer::JsonBuilder;

/// Security-relevant operations, written as `"operation": "<name>"` in the
/// protocol object of an event. Detection and asset work key on these names;
/// they are stable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// Writes to process values, coils, registers, variables, attributes.
    Write,
    /// Program/block/configuration transferred *to* the device.
    ProgramDownload,
    /// Program/block transferred *from* the device.
    ProgramUpload,
    /// Put the device/CPU in run mode (start, warm/hot restart of the program).
    Run,
    /// Put the device/CPU in stop mode.
    Stop,
    /// Restart/reset of the device or its communication stack.
    Restart,
    /// Clock set or synchronised.
    TimeSync,
    /// File transfer, directory listing, file delete.
    FileOp,
    /// Firmware update.
    FirmwareUpdate,
    /// Device identity read (Modbus MEI, S7 SZL module id, ENIP ListIdentity,
    /// CIP Identity object): asset inventory.
    Identify,
    /// Session/password/authentication exchange.
    Auth,
    /// Configuration change (communication parameters, unsolicited/class
    /// assignment, interrogation parameters).
    ConfigChange,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Write => "write",
            Operation::ProgramDownload => "program_download",
            Operation::ProgramUpload => "program_upload",
            Operation::Run => "run",
            Operation::Stop => "stop",
            Operation::Restart => "restart",
            Operation::TimeSync => "time_sync",
            Operation::FileOp => "file_op",
            Operation::FirmwareUpdate => "firmware_update",
            Operation::Identify => "identify",
            Operation::Auth => "auth",
            Operation::ConfigChange => "config_change",
        }
    }
}

/// Write a byte string as JSON string, trimming trailing NULs/spaces (device
/// identity strings are often padded).
pub fn set_trimmed(js: &mut JsonBuilder, key: &str, v: &[u8]) {
    let mut end = v.len();
    while end > 0 && (v[end - 1] == 0 || v[end - 1] == b' ') {
        end -= 1;
    }
    let mut start = 0;
    while start < end && v[start] == b' ' {
        start += 1;
    }
    js.set_bytes_str(key, &v[start..end]);
}
