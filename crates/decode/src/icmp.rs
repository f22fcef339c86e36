//! ICMP (RFC 792) and ICMPv6 (RFC 4443): type(0) code(1) checksum(2..4),
//! then the body. Nothing is decoded after it.

use crate::decoder::Ctx;
use crate::{Anomaly, Packet};

/// An ICMP or ICMPv6 message's fixed header.
pub struct IcmpHeader<'a>(&'a [u8]);
impl<'a> IcmpHeader<'a> {
    pub const LEN: usize = 4;
    pub fn new_checked(b: &'a [u8]) -> Option<Self> {
        (b.len() >= Self::LEN).then_some(IcmpHeader(b))
    }
    pub fn msg_type(&self) -> u8 {
        self.0[0]
    }
    pub fn code(&self) -> u8 {
        self.0[1]
    }
    /// What follows type, code and checksum.
    pub fn body(&self) -> &'a [u8] {
        &self.0[Self::LEN..]
    }
}

impl Ctx<'_> {
    pub(crate) fn icmp<'a>(&mut self, v6: bool, data: &'a [u8], p: &mut Packet<'a>) {
        let Some(h) = IcmpHeader::new_checked(data) else {
            let a = if v6 {
                Anomaly::Icmpv6PktTooSmall
            } else {
                Anomaly::Icmpv4PktTooSmall
            };
            self.anomaly(p, a);
            return;
        };
        if v6 {
            self.stats.icmpv6 += 1;
        } else {
            self.stats.icmpv4 += 1;
        }
        p.icmp_type = h.msg_type();
        p.icmp_code = h.code();
        p.payload = h.body();
    }
}

#[cfg(test)]
mod tests {
    use crate::{linktype, Anomaly, Decoder, IPPROTO_ICMP};

    #[test]
    fn echo_request_and_short() {
        // ipv4 10.0.0.1 -> 10.0.0.2, proto ICMP; echo request (8/0),
        // checksum, id 1, seq 1
        let mut v = vec![
            0x45, 0, 0, 28, 0, 0, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 8, 0, 0, 0, 0, 1, 0,
            1,
        ];
        let mut d = Decoder::new();
        let p = d.decode(linktype::IPV4, &v, 0);
        assert_eq!((p.proto, p.icmp_type, p.icmp_code), (IPPROTO_ICMP, 8, 0));
        assert_eq!(p.payload, &[0, 1, 0, 1]);
        assert_eq!(d.stats.icmpv4, 1);
        v.truncate(23);
        v[3] = 23;
        let p = d.decode(linktype::IPV4, &v, 0);
        assert_eq!(
            p.anomalies.iter().collect::<Vec<_>>(),
            [Anomaly::Icmpv4PktTooSmall]
        );
        assert_eq!(d.stats.icmpv4, 1);
    }
}
