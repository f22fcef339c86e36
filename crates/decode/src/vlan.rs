//! VLAN tags: IEEE 802.1Q, 802.1ad (QinQ) and the old 0x9100, up to three
//! deep. tag: TCI (priority 3 bits, DEI 1, VLAN id 12) (0..2), EtherType
//! of what follows (2..4).

use crate::link::{next_after_ethertype, EtherNext};
use crate::wire::be16;
use crate::Anomaly;

/// Tags beyond this many are an anomaly.
const MAX_TAGS: usize = 3;

/// Past the VLAN tags an EtherType announces (none: `et` and `data` as
/// they are): the EtherType and bytes after them, and how many tags there
/// were. The ids of the first two go into `ids`, outer first. The one rule
/// for the decoder and the thread hash.
#[inline]
pub(crate) fn strip_tags<'a>(
    mut et: u16,
    mut data: &'a [u8],
    ids: &mut [u16; 2],
) -> Result<(u16, &'a [u8], usize), Anomaly> {
    let mut tags = 0;
    while next_after_ethertype(et) == EtherNext::Vlan {
        if data.len() < 4 {
            return Err(Anomaly::VlanHeaderTooSmall);
        }
        if tags < ids.len() {
            ids[tags] = be16(data, 0) & 0x0fff;
        }
        tags += 1;
        if tags > MAX_TAGS {
            return Err(Anomaly::VlanTooMany);
        }
        et = be16(data, 2);
        data = &data[4..];
    }
    Ok((et, data, tags))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_frames::VLAN_TCP;
    use crate::{linktype, Decoder, IPPROTO_TCP, L3};

    #[test]
    fn vlan_ipv4_tcp() {
        let mut d = Decoder::new();
        let p = d.decode(linktype::ETHERNET, VLAN_TCP, 0);
        assert_eq!(p.l3, L3::Ipv4);
        assert_eq!(p.vlan, [100, 0]);
        assert_eq!(&p.src[..4], &[10, 0, 0, 1]);
        assert_eq!(&p.dst[..4], &[10, 0, 0, 2]);
        assert_eq!((p.sport, p.dport, p.proto), (1234, 502, IPPROTO_TCP));
        let t = p.tcp.unwrap();
        assert_eq!((t.seq, t.ack, t.flags, t.window), (1, 2, 0x18, 8192));
        assert_eq!(p.payload, b"abcd");
        assert!(p.anomalies.is_empty());
        assert_eq!(d.stats.vlan, 1);
    }

    #[test]
    fn tags_three_deep_then_too_many() {
        // three tags (ids 1, 2, 3) then IPv4; a fourth is one too many
        let tag = |id: u8, next: u16| {
            let mut t = vec![0, id];
            t.extend_from_slice(&next.to_be_bytes());
            t
        };
        let mut three = tag(1, 0x8100);
        three.extend(tag(2, 0x8100));
        three.extend(tag(3, 0x0800));
        three.extend_from_slice(&[0x45; 4]);
        let mut ids = [0; 2];
        let (et, rest, n) = strip_tags(0x88a8, &three, &mut ids).unwrap();
        assert_eq!((et, rest, n, ids), (0x0800, &[0x45u8; 4][..], 3, [1, 2]));
        let mut four = tag(9, 0x8100);
        four.extend_from_slice(&three);
        assert_eq!(
            strip_tags(0x8100, &four, &mut ids),
            Err(Anomaly::VlanTooMany)
        );
        assert_eq!(
            strip_tags(0x8100, &three[..3], &mut ids),
            Err(Anomaly::VlanHeaderTooSmall)
        );
        // not a tag: left as it is
        assert_eq!(
            strip_tags(0x0806, &three, &mut ids),
            Ok((0x0806, &three[..], 0))
        );
    }
}
