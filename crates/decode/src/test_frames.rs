//! Annotated frames several layers' tests share.

/// Ethernet + 802.1Q(vlan 100) + IPv4 + TCP SYN|ACK with 4 bytes payload.
pub(crate) const VLAN_TCP: &[u8] = &[
    // ethernet: dst, src, ethertype 802.1Q
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x81, 0x00,
    // vlan: tci (id 100), inner ethertype IPv4
    0x00, 0x64, 0x08, 0x00,
    // ipv4: ver/ihl, tos, total len 44, id, flags/frag, ttl, proto TCP, csum
    0x45, 0, 0, 44, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0, // src 10.0.0.1, dst 10.0.0.2
    10, 0, 0, 1, 10, 0, 0, 2, // tcp: sport 1234, dport 502, seq 1, ack 2
    0x04, 0xd2, 0x01, 0xf6, 0, 0, 0, 1, 0, 0, 0, 2,
    // data offset 5, flags PSH|ACK, window 8192, csum, urg
    0x50, 0x18, 0x20, 0x00, 0, 0, 0, 0, // payload
    b'a', b'b', b'c', b'd',
];
