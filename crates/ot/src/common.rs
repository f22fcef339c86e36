//! Helpers shared by the OT parsers: bounded transaction tables, anomaly
//! bit sets, security-relevant operation names and byte readers that cannot
//! panic.

use reefwatch_applayer::{EventSink, JsonBuilder, MAX_TXS_PER_FLOW};
use std::collections::VecDeque;

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

/// A set of anomaly flags; each protocol names its bits in a table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Anomalies(pub u32);

impl Anomalies {
    #[inline]
    pub fn set(&mut self, bit: u32) {
        self.0 |= 1 << bit;
    }
    #[inline]
    pub fn has(self, bit: u32) -> bool {
        self.0 & (1 << bit) != 0
    }
    #[inline]
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// Report every flag to the sink and write `"anomalies": [...]`.
    pub fn log(self, names: &[&'static str], js: &mut JsonBuilder) {
        if self.0 == 0 {
            return;
        }
        js.open_array("anomalies");
        for (i, n) in names.iter().enumerate() {
            if self.has(i as u32) {
                js.append_str(n);
            }
        }
        js.close();
    }
    pub fn report(self, names: &[&'static str], out: &mut dyn EventSink) {
        if self.0 == 0 {
            return;
        }
        for (i, n) in names.iter().enumerate() {
            if self.has(i as u32) {
                out.anomaly(n);
            }
        }
    }
}

/// Open transactions of one flow, oldest first, bounded by
/// [`MAX_TXS_PER_FLOW`].
#[derive(Debug)]
pub struct TxTable<T> {
    q: VecDeque<T>,
    next_id: u64,
}

impl<T> Default for TxTable<T> {
    fn default() -> Self {
        TxTable {
            q: VecDeque::new(),
            next_id: 1,
        }
    }
}

impl<T> TxTable<T> {
    /// Allocate the next transaction id (1-based, per flow).
    pub fn next_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }
    /// Add an open transaction; returns the evicted oldest one when full.
    pub fn push(&mut self, tx: T) -> Option<T> {
        let ev = if self.q.len() >= MAX_TXS_PER_FLOW {
            self.q.pop_front()
        } else {
            None
        };
        self.q.push_back(tx);
        ev
    }
    /// Remove and return the oldest open transaction matching `pred`.
    pub fn take(&mut self, pred: impl Fn(&T) -> bool) -> Option<T> {
        let pos = self.q.iter().position(pred)?;
        self.q.remove(pos)
    }
    pub fn len(&self) -> usize {
        self.q.len()
    }
    pub fn is_empty(&self) -> bool {
        self.q.is_empty()
    }
    pub fn drain(&mut self) -> impl Iterator<Item = T> + '_ {
        self.q.drain(..)
    }
}

#[inline]
pub fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([
        *b.get(at)?,
        *b.get(at.checked_add(1)?)?,
    ]))
}
#[inline]
pub fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes([
        *b.get(at)?,
        *b.get(at.checked_add(1)?)?,
    ]))
}
#[inline]
pub fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}
#[inline]
pub fn le32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}
#[inline]
pub fn le24(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(3)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], 0]))
}
#[inline]
pub fn le64(b: &[u8], at: usize) -> Option<u64> {
    let s = b.get(at..at.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(s);
    Some(u64::from_le_bytes(a))
}
#[inline]
pub fn le48(b: &[u8], at: usize) -> Option<u64> {
    let s = b.get(at..at.checked_add(6)?)?;
    let mut a = [0u8; 8];
    a[..6].copy_from_slice(s);
    Some(u64::from_le_bytes(a))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tx_table_is_bounded_and_fifo() {
        let mut t = TxTable::default();
        for i in 0..MAX_TXS_PER_FLOW {
            assert!(t.push(i).is_none());
        }
        assert_eq!(t.push(9999), Some(0));
        assert_eq!(t.len(), MAX_TXS_PER_FLOW);
        assert_eq!(t.take(|x| *x == 5), Some(5));
        assert_eq!(t.take(|x| *x == 5), None);
    }

    #[test]
    fn readers_do_not_panic() {
        assert_eq!(be16(&[1], 0), None);
        assert_eq!(be16(&[1, 2], 0), Some(0x0102));
        assert_eq!(le32(&[1, 2, 3], 0), None);
        assert_eq!(le24(&[1, 2, 3], 0), Some(0x030201));
        assert_eq!(be16(&[1, 2], usize::MAX - 1), None);
    }
}
