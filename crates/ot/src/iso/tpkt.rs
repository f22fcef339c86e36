//! TPKT (RFC 1006 §6): the 4-byte header that frames ISO transport TPDUs on
//! TCP (ISO-on-TCP, port 102).
//!
//! ```text
//! 0        1        2        3
//! +--------+--------+--------+--------+------------------
//! | vrsn 3 | rsvd 0 |  length (be16)  | TPDU (COTP) ...
//! +--------+--------+--------+--------+------------------
//! length counts the whole packet, header included (minimum 7 by the RFC;
//! 6 accepted: a 2-byte COTP header is the least a TPDU can be).
//! ```

/// Byte ranges of the header.
pub mod field {
    use core::ops::{Range, RangeFrom};
    pub const VERSION: usize = 0;
    pub const RESERVED: usize = 1;
    pub const LENGTH: Range<usize> = 2..4;
    pub const PAYLOAD: RangeFrom<usize> = 4..;
}

/// Header length.
pub const HEADER_LEN: usize = field::PAYLOAD.start;
/// The only TPKT version (RFC 1006).
pub const VERSION: u8 = 3;
/// Smallest packet length accepted: header and a 2-byte TPDU header.
pub const MIN_LEN: usize = HEADER_LEN + 2;

/// Why a buffer is not (yet) a TPKT packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TpktError {
    /// The packet needs this many bytes in all (header or announced length).
    Truncated(usize),
    /// Not a TPKT header (version not 3, or a length below [`MIN_LEN`]).
    Bad,
}

/// Zero-copy view of one TPKT packet; lengths checked once by
/// [`Tpkt::new_checked`].
#[derive(Debug, Clone, Copy)]
pub struct Tpkt<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Tpkt<T> {
    /// Checks the version, the length field and that the whole packet is in
    /// `buffer` (which may hold more after it).
    pub fn new_checked(buffer: T) -> Result<Self, TpktError> {
        let b = buffer.as_ref();
        if let Some(&v) = b.get(field::VERSION) {
            if v != VERSION {
                return Err(TpktError::Bad);
            }
        }
        if b.len() < HEADER_LEN {
            return Err(TpktError::Truncated(HEADER_LEN));
        }
        let len = u16::from_be_bytes([b[field::LENGTH.start], b[field::LENGTH.start + 1]]) as usize;
        if len < MIN_LEN {
            return Err(TpktError::Bad);
        }
        if b.len() < len {
            return Err(TpktError::Truncated(len));
        }
        Ok(Tpkt { buffer })
    }

    /// The reserved octet (0 on the wire; not checked).
    pub fn reserved(&self) -> u8 {
        self.buffer.as_ref()[field::RESERVED]
    }

    /// Length of the whole packet, header included.
    pub fn total_len(&self) -> usize {
        let b = self.buffer.as_ref();
        u16::from_be_bytes([b[field::LENGTH.start], b[field::LENGTH.start + 1]]) as usize
    }

    /// The TPDU: the bytes after the header up to the announced length.
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[HEADER_LEN..self.total_len()]
    }
}

/// High-level representation of a TPKT header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TpktRepr {
    /// Length of the TPDU carried (the packet less its header).
    pub payload_len: usize,
}

impl TpktRepr {
    pub fn parse<T: AsRef<[u8]>>(t: &Tpkt<T>) -> TpktRepr {
        TpktRepr {
            payload_len: t.total_len() - HEADER_LEN,
        }
    }

    /// Writes the header into `buf` (at least [`HEADER_LEN`] bytes); `None`
    /// when the packet would not fit the 16-bit length.
    pub fn emit(&self, buf: &mut [u8]) -> Option<()> {
        let total = u16::try_from(self.payload_len + HEADER_LEN).ok()?;
        let h = buf.get_mut(..HEADER_LEN)?;
        h[field::VERSION] = VERSION;
        h[field::RESERVED] = 0;
        h[field::LENGTH].copy_from_slice(&total.to_be_bytes());
        Some(())
    }
}

/// After a bad header at the start of `rest`: how many bytes to skip to the
/// next `03 00` (a plausible header), or all of them.
pub fn resync_skip(rest: &[u8]) -> usize {
    rest.get(1..)
        .and_then(|r| r.windows(2).position(|w| w == [VERSION, 0]))
        .map(|p| p + 1)
        .unwrap_or(rest.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    // ITI s7comm snap7_s300_setupCommunication: TPKT around a COTP DT and an
    // S7 setup-communication job.
    static SETUP: [u8; 25] = [
        0x03, 0x00, 0x00, 0x19, // TPKT v3, reserved, length 25
        0x02, 0xf0, 0x80, // COTP: LI 2, DT, EOT
        0x32, 0x01, 0x00, 0x00, 0x04, 0x00, 0x00, 0x08, 0x00, 0x00, // S7 job header
        0xf0, 0x00, 0x00, 0x01, 0x00, 0x01, 0x01, 0xe0, // setup communication
    ];

    #[test]
    fn view_and_repr() {
        let t = Tpkt::new_checked(&SETUP[..]).unwrap();
        assert_eq!(t.total_len(), 25);
        assert_eq!(t.reserved(), 0);
        assert_eq!(t.payload(), &SETUP[4..]);
        let r = TpktRepr::parse(&t);
        assert_eq!(r.payload_len, 21);
        let mut h = [0u8; 4];
        r.emit(&mut h).unwrap();
        assert_eq!(h, SETUP[..4]);
        // more bytes after the packet: the view stops at its length
        let mut two = SETUP.to_vec();
        two.extend_from_slice(&SETUP);
        assert_eq!(Tpkt::new_checked(&two[..]).unwrap().payload().len(), 21);
        assert_eq!(
            TpktRepr {
                payload_len: 65_532
            }
            .emit(&mut h),
            None
        );
    }

    #[test]
    fn errors() {
        assert_eq!(
            Tpkt::new_checked(&SETUP[..10]).unwrap_err(),
            TpktError::Truncated(25)
        );
        assert_eq!(
            Tpkt::new_checked(&SETUP[..2]).unwrap_err(),
            TpktError::Truncated(4)
        );
        assert_eq!(
            Tpkt::new_checked(&[][..]).unwrap_err(),
            TpktError::Truncated(4)
        );
        // version 4
        assert_eq!(
            Tpkt::new_checked(&[4u8, 0, 0, 7][..]).unwrap_err(),
            TpktError::Bad
        );
        // length 5: shorter than a header and a 2-byte TPDU
        assert_eq!(
            Tpkt::new_checked(&[3u8, 0, 0, 5, 0][..]).unwrap_err(),
            TpktError::Bad
        );
    }

    #[test]
    fn resync() {
        // ff | 03 07 (not a header) | 03 00 ...
        assert_eq!(resync_skip(&[0xff, 0x03, 0x07, 0x03, 0x00]), 3);
        assert_eq!(resync_skip(&[0xff, 0x03, 0x00]), 1);
        assert_eq!(resync_skip(&[0xff, 0xff]), 2);
        assert_eq!(resync_skip(&[0xff]), 1);
    }
}
