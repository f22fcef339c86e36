//! UDP (RFC 768): the datagram view, its checks (length field) and the one
//! rule for what a datagram's ports announce ([`udp_tunnel`]): the
//! decoder, its fast path and the thread hash must agree on what is
//! unwrapped.

use crate::decoder::Ctx;
use crate::tunnel::MAX_TUNNEL_DEPTH;
use crate::wire::{be16, h16};
use crate::{Anomaly, Packet};

/// UDP: sport(0..2) dport(2..4) len(4..6) csum(6..8)
pub struct UdpDatagram<'a> {
    hdr: &'a [u8; 8],
    buf: &'a [u8],
    end: usize,
}
impl<'a> UdpDatagram<'a> {
    pub const LEN: usize = 8;
    pub fn new_checked(b: &'a [u8]) -> Result<Self, Anomaly> {
        if b.len() < Self::LEN {
            return Err(Anomaly::UdpPktTooSmall);
        }
        let len = be16(b, 4) as usize;
        if len != 0 && len < Self::LEN {
            return Err(Anomaly::UdpHlenInvalid);
        }
        // len 0 (jumbo / offload) or longer than captured: use what we have
        let end = if len == 0 || len > b.len() {
            b.len()
        } else {
            len
        };
        let hdr = b.first_chunk::<8>().ok_or(Anomaly::UdpPktTooSmall)?;
        Ok(UdpDatagram { hdr, buf: b, end })
    }
    #[inline]
    pub fn src_port(&self) -> u16 {
        h16(self.hdr, 0)
    }
    #[inline]
    pub fn dst_port(&self) -> u16 {
        h16(self.hdr, 2)
    }
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        &self.buf[Self::LEN..self.end]
    }
}

pub(crate) const VXLAN_PORT: u16 = 4789;
pub(crate) const GENEVE_PORT: u16 = 6081;
pub(crate) const GRE_IN_UDP_PORT: u16 = 4754;
/// AYIYA ("anything in anything", draft-massar-v6ops-ayiya-02; SixXS's
/// IPv6 tunnels): a tunnel server's port, on either side of the datagram.
pub(crate) const AYIYA_PORT: u16 = 5072;

/// A tunnel the decoder looks for inside UDP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum UdpTunnel {
    Vxlan,
    Geneve,
    GreInUdp,
    Ayiya,
}

/// The tunnel a UDP datagram's ports announce: by the destination port,
/// then AYIYA's on either side. The one rule for the decoder, its fast
/// path and the thread hash (which must agree on what is unwrapped).
#[inline(always)]
pub(crate) fn udp_tunnel(sport: u16, dport: u16) -> Option<UdpTunnel> {
    match dport {
        VXLAN_PORT => Some(UdpTunnel::Vxlan),
        GENEVE_PORT => Some(UdpTunnel::Geneve),
        GRE_IN_UDP_PORT => Some(UdpTunnel::GreInUdp),
        AYIYA_PORT => Some(UdpTunnel::Ayiya),
        _ if sport == AYIYA_PORT => Some(UdpTunnel::Ayiya),
        _ => None,
    }
}

impl Ctx<'_> {
    pub(crate) fn udp<'a>(&mut self, data: &'a [u8], p: &mut Packet<'a>) {
        match UdpDatagram::new_checked(data) {
            Ok(u) => {
                self.stats.udp += 1;
                p.sport = u.src_port();
                p.dport = u.dst_port();
                p.payload = u.payload();
                if p.tunnel_depth < MAX_TUNNEL_DEPTH {
                    if let Some(t) = udp_tunnel(p.sport, p.dport) {
                        self.udp_tunnel(t, u.payload(), p);
                    }
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
    fn datagram_checks() {
        // sport 53, dport 5353, length 10, checksum; 2 bytes of data, then
        // 2 bytes of padding past the length
        let d = [0, 53, 0x14, 0xe9, 0, 10, 0, 0, 0xab, 0xcd, 0, 0];
        let u = UdpDatagram::new_checked(&d).unwrap();
        assert_eq!(
            (u.src_port(), u.dst_port(), u.payload()),
            (53, 5353, &d[8..10])
        );
        // length 0 (offload) or longer than captured: what was captured
        let mut z = d;
        z[5] = 0;
        assert_eq!(UdpDatagram::new_checked(&z).unwrap().payload(), &d[8..]);
        z[5] = 200;
        assert_eq!(UdpDatagram::new_checked(&z).unwrap().payload(), &d[8..]);
        z[5] = 7;
        assert_eq!(
            UdpDatagram::new_checked(&z).err(),
            Some(Anomaly::UdpHlenInvalid)
        );
        assert_eq!(
            UdpDatagram::new_checked(&d[..7]).err(),
            Some(Anomaly::UdpPktTooSmall)
        );
    }

    #[test]
    fn tunnel_ports() {
        assert_eq!(udp_tunnel(1, VXLAN_PORT), Some(UdpTunnel::Vxlan));
        assert_eq!(udp_tunnel(1, GENEVE_PORT), Some(UdpTunnel::Geneve));
        assert_eq!(udp_tunnel(1, GRE_IN_UDP_PORT), Some(UdpTunnel::GreInUdp));
        assert_eq!(udp_tunnel(1, AYIYA_PORT), Some(UdpTunnel::Ayiya));
        // the server's AYIYA replies: its port is the source
        assert_eq!(udp_tunnel(AYIYA_PORT, 53796), Some(UdpTunnel::Ayiya));
        // the destination port decides first
        assert_eq!(udp_tunnel(AYIYA_PORT, VXLAN_PORT), Some(UdpTunnel::Vxlan));
        assert_eq!(udp_tunnel(VXLAN_PORT, 53), None);
    }
}
