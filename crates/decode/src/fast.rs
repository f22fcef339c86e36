//! The fast path: the frame most traffic is (untagged Ethernet, IPv4 that
//! is neither a fragment nor truncated, TCP or UDP not to a tunnel port),
//! decoded in one pass over the same per-layer views and "what comes
//! next" rules as the general path, with the same result.

use crate::ip::{ip_proto_next, IpNext};
use crate::link::{next_after_ethertype, EtherNext};
use crate::tcp::tcp_info;
use crate::udp::udp_tunnel;
use crate::wire::{EthernetFrame, Ipv4Packet, TcpSegment, UdpDatagram};
use crate::{Packet, TcpInfo, L3};

/// The frame most traffic is: Ethernet without VLAN tags, IPv4 that is
/// neither a fragment nor truncated, TCP or UDP (not to a tunnel port),
/// every length consistent. Decoded in one pass with the same wire views
/// and the same result as the general path (test
/// `fast_path_agrees_with_general_path`); any other frame, and any frame
/// the general path would flag, gives `None` and goes there. Pure: the
/// caller counts the frame ([`Decoder::count_fast`](crate::Decoder::count_fast)).
#[inline(always)]
pub fn fast_ethernet_ipv4(data: &[u8]) -> Option<FastV4<'_>> {
    let eth = EthernetFrame::new_checked(data)?;
    if next_after_ethertype(eth.ethertype()) != EtherNext::Ipv4 {
        return None;
    }
    let ip = Ipv4Packet::new_checked(eth.payload()).ok()?;
    if ip.truncated() || ip.is_fragment() {
        return None;
    }
    let proto = ip.protocol();
    let (sport, dport, tcp, payload) = match ip_proto_next(proto) {
        IpNext::Tcp => {
            let t = TcpSegment::new_checked(ip.payload()).ok()?;
            (t.src_port(), t.dst_port(), Some(tcp_info(&t)), t.payload())
        }
        IpNext::Udp => {
            let u = UdpDatagram::new_checked(ip.payload()).ok()?;
            let (sport, dport) = (u.src_port(), u.dst_port());
            if udp_tunnel(sport, dport).is_some() {
                return None;
            }
            (sport, dport, None, u.payload())
        }
        _ => return None,
    };
    Some(FastV4 {
        hdr: FastHdr {
            src: *ip.src(),
            dst: *ip.dst(),
            sport,
            dport,
            proto,
            tcp,
            has_payload: !payload.is_empty(),
        },
        payload,
    })
}

/// What [`fast_ethernet_ipv4`] reads of a frame: an untagged IPv4 TCP or
/// UDP packet, nothing odd about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FastV4<'a> {
    pub hdr: FastHdr,
    pub payload: &'a [u8],
}

/// What flow tracking needs of a [`FastV4`], without the bytes: small
/// and owned, so a thread that decoded a frame can hand it to another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FastHdr {
    pub src: [u8; 4],
    pub dst: [u8; 4],
    pub sport: u16,
    pub dport: u16,
    /// [`IPPROTO_TCP`] or [`IPPROTO_UDP`]
    pub proto: u8,
    /// `Some` for TCP
    pub tcp: Option<TcpInfo>,
    pub has_payload: bool,
}

impl<'a> FastV4<'a> {
    /// The same packet as the general decoder gives it.
    #[inline(always)]
    pub fn into_packet(self) -> Packet<'a> {
        let h = self.hdr;
        let mut p = Packet {
            l3: L3::Ipv4,
            proto: h.proto,
            sport: h.sport,
            dport: h.dport,
            tcp: h.tcp,
            payload: self.payload,
            ..Packet::default()
        };
        p.src[..4].copy_from_slice(&h.src);
        p.dst[..4].copy_from_slice(&h.dst);
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::{address_pair_hash, address_pair_hash_slow, v4_pair_hash};
    use crate::test_frames::VLAN_TCP;
    use crate::{linktype, Decoder, IPPROTO_UDP};

    /// The fast path and the general path give the same packet and the
    /// same counters (and the thread hash the same value), for every frame
    /// of every capture in testdata/ (read with the capture crate), and for
    /// the frames of a TCP and a UDP packet with each byte of their headers
    /// set to several values and cut at every length.
    #[test]
    fn fast_path_agrees_with_general_path() {
        fn check(lt: u32, data: &[u8], fast: &mut Decoder, slow: &mut Decoder, what: &str) {
            let a = format!("{:?}", fast.decode(lt, data, 0));
            let b = format!("{:?}", slow.decode_general(lt, data, 0));
            assert_eq!(a, b, "{what}");
            // the thread hash's fast path too, and its value from what the
            // fast decoder read
            let h = address_pair_hash(lt, data);
            assert_eq!(h, address_pair_hash_slow(lt, data), "{what}");
            if let (linktype::ETHERNET, Some(v)) = (lt, fast_ethernet_ipv4(data)) {
                assert_eq!(h, v4_pair_hash(v.hdr.src, v.hdr.dst), "{what}");
            }
            assert_eq!(
                format!("{:?}", fast.stats),
                format!("{:?}", slow.stats),
                "{what}"
            );
        }
        let (mut fast, mut slow) = (Decoder::new(), Decoder::new());
        // byte-level: Ethernet + IPv4 + TCP/UDP with every header byte varied
        let mut tcp = VLAN_TCP[..12].to_vec();
        tcp.extend_from_slice(&VLAN_TCP[16..]);
        let mut udp = tcp.clone();
        udp[14 + 9] = IPPROTO_UDP;
        udp[14 + 20 + 4..14 + 20 + 6].copy_from_slice(&[0, 12]);
        for (name, base) in [("tcp", &tcp), ("udp", &udp)] {
            for i in 0..14 + 20 + 20 {
                for v in [
                    0u8, 1, 2, 5, 6, 0x11, 0x12, 0x20, 0x45, 0x46, 0x50, 0x80, 0xff,
                ] {
                    let mut f = base.clone();
                    f[i] = v;
                    for cut in [f.len(), f.len() - 3, 14 + 20 + 8, 14 + 20 + 19, 14 + 19] {
                        let what = format!("{name}: byte {i} = {v:#x}, cut {cut}");
                        check(linktype::ETHERNET, &f[..cut], &mut fast, &mut slow, &what);
                    }
                }
            }
            // UDP to the tunnel ports, and Ethernet padding past the IP length
            for port in [4789u16, 6081, 4754, 53] {
                let mut f = base.clone();
                f[14 + 22..14 + 24].copy_from_slice(&port.to_be_bytes());
                f.extend_from_slice(&[0; 16]);
                check(
                    linktype::ETHERNET,
                    &f,
                    &mut fast,
                    &mut slow,
                    &format!("{name} port {port}"),
                );
            }
        }
        // every frame of the captures in testdata/
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
        fn walk(d: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out);
                } else if p
                    .extension()
                    .is_some_and(|x| x == "pcap" || x == "pcapng" || x == "gz")
                {
                    out.push(p);
                }
            }
        }
        let mut files = Vec::new();
        walk(&root, &mut files);
        let mut frames = 0u64;
        for f in &files {
            let Ok(mut r) = reefwatch_capture::CaptureReader::open(f) else {
                continue;
            };
            while let Ok(Some(p)) = r.next_packet() {
                frames += 1;
                let what = format!("{} packet {}", f.display(), p.index);
                check(p.linktype, p.data, &mut fast, &mut slow, &what);
            }
        }
        assert!(frames > 4_000, "only {frames} frames found under testdata/");
    }
}
