//! The one error type of this crate.
//!
//! Every error names the input, and — when it happened while reading
//! records — the byte offset of the failing record within the (decompressed)
//! input and the 1-based number the failing packet would have had.

use std::fmt;
use std::io;

/// Why reading a capture stopped.
///
/// `Display` renders `"<file>: <what> at byte offset N (packet M)"`. For
/// errors that happen before any byte could be read (opening the file) the
/// position part is left out: `"<file>: <what>"`.
#[derive(Debug)]
pub enum CaptureError {
    /// The operating system (or the gzip decoder, for a non-format problem)
    /// failed to deliver bytes.
    Io {
        file: String,
        /// Offset of the record being read, `None` when opening failed.
        offset: Option<u64>,
        packet: u64,
        source: io::Error,
    },
    /// Not a capture file: unknown magic, empty file, or a compressed format
    /// other than gzip. The CLI exits with status 2 on this.
    NotACapture { file: String, what: String },
    /// The input ends in the middle of a header or record. Every complete
    /// packet before `offset` has been delivered.
    Truncated {
        file: String,
        what: String,
        offset: u64,
        packet: u64,
    },
    /// A header or record is malformed (absurd length, mismatched pcapng
    /// block lengths, unknown interface, corrupt gzip stream, ...).
    Corrupt {
        file: String,
        what: String,
        offset: u64,
        packet: u64,
    },
}

impl CaptureError {
    /// Name of the input the error is about.
    pub fn file(&self) -> &str {
        match self {
            CaptureError::Io { file, .. }
            | CaptureError::NotACapture { file, .. }
            | CaptureError::Truncated { file, .. }
            | CaptureError::Corrupt { file, .. } => file,
        }
    }

    /// Byte offset (in the decompressed input) of the record that failed.
    pub fn offset(&self) -> Option<u64> {
        match self {
            CaptureError::Io { offset, .. } => *offset,
            CaptureError::NotACapture { .. } => Some(0),
            CaptureError::Truncated { offset, .. } | CaptureError::Corrupt { offset, .. } => {
                Some(*offset)
            }
        }
    }

    /// 1-based number the failing packet would have had (1 + packets
    /// delivered before the error).
    pub fn packet(&self) -> u64 {
        match self {
            CaptureError::NotACapture { .. } => 1,
            CaptureError::Io { packet, .. }
            | CaptureError::Truncated { packet, .. }
            | CaptureError::Corrupt { packet, .. } => *packet,
        }
    }

    /// True for [`CaptureError::NotACapture`].
    pub fn is_not_a_capture(&self) -> bool {
        matches!(self, CaptureError::NotACapture { .. })
    }
}

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaptureError::Io {
                file,
                offset: None,
                source,
                ..
            } => write!(f, "{file}: {source}"),
            CaptureError::Io {
                file,
                offset: Some(offset),
                packet,
                source,
            } => write!(
                f,
                "{file}: read error: {source} at byte offset {offset} (packet {packet})"
            ),
            CaptureError::NotACapture { file, what } => {
                write!(f, "{file}: not a capture file: {what}")
            }
            CaptureError::Truncated {
                file,
                what,
                offset,
                packet,
            } => write!(
                f,
                "{file}: truncated: {what} at byte offset {offset} (packet {packet})"
            ),
            CaptureError::Corrupt {
                file,
                what,
                offset,
                packet,
            } => write!(
                f,
                "{file}: corrupt: {what} at byte offset {offset} (packet {packet})"
            ),
        }
    }
}

impl std::error::Error for CaptureError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CaptureError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Error without the file name and packet number, filled in by the reader.
#[derive(Debug)]
pub(crate) enum RawError {
    Io(io::Error),
    Truncated(String),
    Corrupt(String),
}

impl RawError {
    pub(crate) fn into_capture(self, file: &str, offset: u64, packet: u64) -> CaptureError {
        let file = file.to_string();
        match self {
            // Errors from the gzip decoder come through the io::Read
            // interface; give them their real meaning.
            RawError::Io(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                CaptureError::Truncated {
                    file,
                    what: format!("gzip stream ({e})"),
                    offset,
                    packet,
                }
            }
            RawError::Io(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput
                ) =>
            {
                CaptureError::Corrupt {
                    file,
                    what: format!("gzip stream ({e})"),
                    offset,
                    packet,
                }
            }
            RawError::Io(source) => CaptureError::Io {
                file,
                offset: Some(offset),
                packet,
                source,
            },
            RawError::Truncated(what) => CaptureError::Truncated {
                file,
                what,
                offset,
                packet,
            },
            RawError::Corrupt(what) => CaptureError::Corrupt {
                file,
                what,
                offset,
                packet,
            },
        }
    }
}

impl From<io::Error> for RawError {
    fn from(e: io::Error) -> Self {
        RawError::Io(e)
    }
}
