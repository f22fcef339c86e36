//! MPLS label stacks (RFC 3032): 4 bytes per label — label (20 bits),
//! traffic class (3), bottom of stack (1), TTL (8). What the bottom label
//! carries is guessed from its first nibble (4, 6: IP; 0: a pseudowire
//! control word, then Ethernet).

use crate::decoder::Ctx;
use crate::{Anomaly, Packet};

/// Labels beyond this many (without the bottom of the stack) are an anomaly.
pub(crate) const MAX_LABELS: usize = 8;

/// What the bottom of a label stack carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MplsNext<'a> {
    Ipv4(&'a [u8]),
    Ipv6(&'a [u8]),
    /// an Ethernet frame after the pseudowire control word
    Ethernet(&'a [u8]),
    /// nothing the decoder reads
    Unknown,
}

/// The one rule for what follows a label stack: down to the bottom label,
/// then by the first nibble.
pub(crate) fn mpls_next(mut data: &[u8]) -> Result<MplsNext<'_>, Anomaly> {
    for _ in 0..MAX_LABELS {
        if data.len() < 4 {
            return Err(Anomaly::MplsPktTooSmall);
        }
        let bottom = data[2] & 0x01 != 0;
        data = &data[4..];
        if bottom {
            return Ok(match data.first().map(|b| b >> 4) {
                Some(4) => MplsNext::Ipv4(data),
                Some(6) => MplsNext::Ipv6(data),
                Some(0) if data.len() > 4 => MplsNext::Ethernet(&data[4..]),
                _ => MplsNext::Unknown,
            });
        }
    }
    Err(Anomaly::MplsTooManyLabels)
}

impl Ctx<'_> {
    pub(crate) fn mpls<'a>(&mut self, data: &'a [u8], p: &mut Packet<'a>) {
        match mpls_next(data) {
            Ok(next) => {
                self.stats.mpls += 1;
                match next {
                    MplsNext::Ipv4(d) => self.ipv4(d, p),
                    MplsNext::Ipv6(d) => self.ipv6(d, p),
                    MplsNext::Ethernet(d) => self.ethernet(d, p),
                    MplsNext::Unknown => {}
                }
            }
            Err(a) => self.anomaly(p, a),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_stack() {
        // label 16 (not bottom), label 17 (bottom), then IPv4's first byte
        let two = [0, 1, 0x00, 64, 0, 1, 0x11, 64, 0x45];
        assert_eq!(mpls_next(&two), Ok(MplsNext::Ipv4(&[0x45][..])));
        // bottom label, control word (first nibble 0), then Ethernet
        let pw = [0, 1, 0x01, 64, 0, 0, 0, 0, 0xaa];
        assert_eq!(mpls_next(&pw), Ok(MplsNext::Ethernet(&[0xaa][..])));
        // bottom label with nothing known after it
        assert_eq!(mpls_next(&[0, 1, 0x01, 64]), Ok(MplsNext::Unknown));
        assert_eq!(mpls_next(&two[..6]), Err(Anomaly::MplsPktTooSmall));
        let deep = [0u8, 1, 0, 64].repeat(MAX_LABELS + 1);
        assert_eq!(mpls_next(&deep), Err(Anomaly::MplsTooManyLabels));
    }
}
