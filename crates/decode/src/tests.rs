//! Decoder tests over annotated byte arrays.
use super::*;

/// Ethernet + 802.1Q(vlan 100) + IPv4 + TCP SYN|ACK with 4 bytes payload.
const VLAN_TCP: &[u8] = &[
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
fn truncated_everywhere_never_panics() {
    let mut d = Decoder::new();
    for n in 0..VLAN_TCP.len() {
        let p = d.decode(linktype::ETHERNET, &VLAN_TCP[..n], 0);
        assert!(p.payload.len() <= 4);
    }
    // every link type over every prefix and some garbage
    let garbage: Vec<u8> = (0..200u32).map(|i| (i * 37 % 251) as u8).collect();
    for lt in [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 9999] {
        for n in 0..garbage.len() {
            let _ = d.decode(lt, &garbage[..n], 0);
            let _ = d.decode(lt, &VLAN_TCP[..n.min(VLAN_TCP.len())], 0);
        }
    }
}

/// Raw IPv6 + hop-by-hop ext header + UDP 53 → 5353
const IPV6_HBH_UDP: &[u8] = &[
    // ver 6, tc, flow; payload len 8+8+2 = 18; next header 0 (HBH); hop 64
    0x60, 0, 0, 0, 0, 18, 0, 64, // src ::1
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, // dst ::2
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
    // HBH: next header UDP, len 0 (8 bytes), padding
    17, 0, 1, 4, 0, 0, 0, 0, // udp: sport 53, dport 5353, len 10, csum
    0, 53, 0x14, 0xe9, 0, 10, 0, 0, // payload
    0xab, 0xcd,
];

#[test]
fn raw_ipv6_ext_udp() {
    let mut d = Decoder::new();
    let p = d.decode(linktype::RAW, IPV6_HBH_UDP, 0);
    assert_eq!(p.l3, L3::Ipv6);
    assert_eq!((p.sport, p.dport, p.proto), (53, 5353, IPPROTO_UDP));
    assert_eq!(p.payload, &[0xab, 0xcd]);
    assert_eq!(p.src[15], 1);
}

#[test]
fn ipv4_fragments_reassemble() {
    // UDP datagram of 8+24 bytes split in two fragments of 16
    let udp: Vec<u8> = {
        let mut u = vec![0x30, 0x39, 0x00, 0x35, 0, 32, 0, 0];
        u.extend((0..24u8).map(|i| b'A' + i));
        u
    };
    let frag = |off: usize, more: bool, body: &[u8]| {
        let mut f = vec![
            0x45, 0, 0, 0, 0xbe, 0xef, 0, 0, 64, 17, 0, 0, 192, 168, 0, 1, 192, 168, 0, 2,
        ];
        let total = (20 + body.len()) as u16;
        f[2..4].copy_from_slice(&total.to_be_bytes());
        let ff = ((off / 8) as u16) | if more { 0x2000 } else { 0 };
        f[6..8].copy_from_slice(&ff.to_be_bytes());
        f.extend_from_slice(body);
        f
    };
    let f1 = frag(16, false, &udp[16..]);
    let f0 = frag(0, true, &udp[..16]);
    let mut d = Decoder::new();
    let p = d.decode(linktype::IPV4, &f1, 0);
    assert!(p.fragment_pending);
    assert!(p.tcp.is_none() && p.sport == 0);
    let p = d.decode(linktype::IPV4, &f0, 0);
    assert!(p.reassembled);
    assert_eq!((p.sport, p.dport), (12345, 53));
    assert_eq!(p.payload, &udp[8..]);
}

#[test]
fn null_loopback_and_sll() {
    let ip = &VLAN_TCP[18..];
    let mut null = vec![2, 0, 0, 0];
    null.extend_from_slice(ip);
    let mut d = Decoder::new();
    let p = d.decode(linktype::NULL, &null, 0);
    assert_eq!(p.dport, 502);
    // SLL: 14 bytes then protocol 0x0800
    let mut sll = vec![0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00];
    sll.extend_from_slice(ip);
    assert_eq!(d.decode(linktype::LINUX_SLL, &sll, 0).dport, 502);
    // SLL2: protocol first
    let mut sll2 = vec![
        0x08, 0x00, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0,
    ];
    sll2.extend_from_slice(ip);
    assert_eq!(d.decode(linktype::LINUX_SLL2, &sll2, 0).dport, 502);
}

#[test]
fn gre_and_vxlan_unwrap() {
    let inner_ip = &VLAN_TCP[18..];
    // outer IPv4 (proto GRE) + GRE(ethertype IPv4) + inner IP
    let mut pkt = vec![
        0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 47, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
    ];
    let total = (20 + 4 + inner_ip.len()) as u16;
    pkt[2..4].copy_from_slice(&total.to_be_bytes());
    pkt.extend_from_slice(&[0, 0, 0x08, 0x00]);
    pkt.extend_from_slice(inner_ip);
    let mut d = Decoder::new();
    let p = d.decode(linktype::IPV4, &pkt, 0);
    assert_eq!(p.tunnel_depth, 1);
    assert_eq!(&p.src[..4], &[10, 0, 0, 1]);
    assert_eq!(p.dport, 502);
    assert_eq!(p.payload, b"abcd");
}

#[test]
fn ayiya_unwraps_forwarded_packets_only() {
    let inner_ip = &VLAN_TCP[18..];
    let frame = |hdr: &[u8], body: &[u8], ports: [u8; 4]| {
        let mut udp = ports.to_vec();
        udp.extend_from_slice(&((8 + hdr.len() + body.len()) as u16).to_be_bytes());
        udp.extend_from_slice(&[0, 0]);
        udp.extend_from_slice(hdr);
        udp.extend_from_slice(body);
        // ipv4 1.1.1.1 -> 2.2.2.2, proto UDP
        let mut v = vec![
            0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
        ];
        v[2..4].copy_from_slice(&((20 + udp.len()) as u16).to_be_bytes());
        v.extend_from_slice(&udp);
        v
    };
    let to_server = [0xd2, 0x24, 0x13, 0xd0]; // 53796 -> 5072
                                              // identity 2^4 = 16 bytes, signature 5 words (20 bytes), as the SixXS
                                              // captures have it: a 44-byte header, then IPv4 (next header 4)
    let mut hdr = vec![0x41, 0x52, 0x11, 4, 0x4a, 0xf6, 0x4b, 0xfd];
    hdr.extend_from_slice(&[0xaa; 36]);
    let mut d = Decoder::new();
    let fwd = frame(&hdr, inner_ip, to_server);
    let p = d.decode(linktype::IPV4, &fwd, 0);
    assert_eq!(
        (p.tunnel_depth, &p.src[..4], p.dport),
        (1, &[10u8, 0, 0, 1][..], 502)
    );
    assert_eq!(p.payload, b"abcd");
    assert_eq!(d.stats.ayiya, 1);
    assert_eq!(
        address_pair_hash(linktype::IPV4, &fwd),
        address_pair_hash(linktype::IPV4, inner_ip)
    );
    // not forwarded (opcode 0, a heartbeat), nothing after the header, an
    // unknown next header, a header longer than the datagram: plain UDP
    let mut heartbeat = hdr.clone();
    heartbeat[2] = 0x10;
    let mut other = hdr.clone();
    other[3] = 59;
    for (name, f) in [
        ("heartbeat", frame(&heartbeat, inner_ip, to_server)),
        ("header only", frame(&hdr, &[], to_server)),
        ("next header 59", frame(&other, inner_ip, to_server)),
        ("short", frame(&hdr[..30], &[], to_server)),
        (
            "other ports",
            frame(&hdr, inner_ip, [0xd2, 0x24, 0x13, 0xd1]),
        ),
    ] {
        let p = d.decode(linktype::IPV4, &f, 0);
        assert_eq!(
            (p.tunnel_depth, p.proto, &p.src[..4]),
            (0, 17, &[1u8, 1, 1, 1][..]),
            "{name}"
        );
        assert!(p.anomalies.is_empty(), "{name}");
        assert_eq!(
            address_pair_hash(linktype::IPV4, &f),
            address_pair_hash(linktype::IPV4, &f[..20]),
            "{name}"
        );
    }
    assert_eq!(d.stats.ayiya, 1);
}

#[test]
fn nflog_ppp_and_wifi() {
    let ip = &VLAN_TCP[18..];
    // NFLOG: family 2, version 0, resource id; one TLV of type 9 (payload)
    let mut nf = vec![2, 0, 0, 0];
    let len = (4 + ip.len()) as u16;
    nf.extend_from_slice(&len.to_le_bytes());
    nf.extend_from_slice(&9u16.to_le_bytes());
    nf.extend_from_slice(ip);
    let mut d = Decoder::new();
    assert_eq!(d.decode(linktype::NFLOG, &nf, 0).dport, 502);
    // PPP with address/control and protocol 0x0021
    let mut ppp = vec![0xff, 0x03, 0x00, 0x21];
    ppp.extend_from_slice(ip);
    assert_eq!(d.decode(linktype::PPP, &ppp, 0).dport, 502);
    // radiotap (8 bytes) + 802.11 data frame (24) + LLC/SNAP + IPv4
    let mut wifi = vec![0, 0, 8, 0, 0, 0, 0, 0];
    wifi.extend_from_slice(&[0x08, 0x01]); // data frame, to-DS
    wifi.extend_from_slice(&[0u8; 22]);
    wifi.extend_from_slice(&[0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00]);
    wifi.extend_from_slice(ip);
    let p = d.decode(linktype::IEEE802_11_RADIOTAP, &wifi, 0);
    assert_eq!((p.sport, p.dport), (1234, 502));
    // GENEVE: UDP 6081 carrying Ethernet
    let mut g = vec![
        0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
    ];
    let inner = VLAN_TCP;
    let udp_len = (8 + 8 + inner.len()) as u16;
    let total = 20 + udp_len;
    g[2..4].copy_from_slice(&total.to_be_bytes());
    g.extend_from_slice(&[0x30, 0x39, 0x17, 0xc1]);
    g.extend_from_slice(&udp_len.to_be_bytes());
    g.extend_from_slice(&[0, 0]);
    g.extend_from_slice(&[0, 0, 0x65, 0x58, 0, 0, 1, 0]);
    g.extend_from_slice(inner);
    let p = d.decode(linktype::IPV4, &g, 0);
    assert_eq!(p.tunnel_depth, 1);
    assert_eq!(p.vlan, [100, 0]);
    assert_eq!(p.payload, b"abcd");
}

#[test]
fn address_pair_hash_is_symmetric() {
    let fwd = VLAN_TCP.to_vec();
    let mut rev = fwd.clone();
    // swap IPv4 src/dst (ethernet 14 + vlan 4 + 12)
    let (s, d) = (30, 34);
    for i in 0..4 {
        rev.swap(s + i, d + i);
    }
    let h1 = address_pair_hash(linktype::ETHERNET, &fwd);
    let h2 = address_pair_hash(linktype::ETHERNET, &rev);
    assert_eq!(h1, h2);
    assert_ne!(h1, 0);
    assert_eq!(address_pair_hash(linktype::IPV4, &fwd[18..]), h1);
    assert_eq!(address_pair_hash(linktype::ETHERNET, &fwd[..10]), 0);
}

#[test]
fn tunnels_hash_as_the_flow_inside() {
    // The decoder keys a tunnelled packet's flow by the inner packet, so
    // the hash that spreads packets over workers must too: the inner packet
    // alone, in GRE, in VXLAN and in GENEVE (each with outer addresses of
    // its own) hash alike; cut short or fragmented, the outer pair decides.
    let inner_ip = &VLAN_TCP[18..];
    let plain = address_pair_hash(linktype::IPV4, inner_ip);
    let outer = |proto: u8, src: u8, body: &[u8]| {
        // ipv4: total length, proto, src src.src.src.src, dst 9.9.9.9
        let mut v = vec![
            0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, proto, 0, 0, src, src, src, src, 9, 9, 9, 9,
        ];
        let total = (20 + body.len()) as u16;
        v[2..4].copy_from_slice(&total.to_be_bytes());
        v.extend_from_slice(body);
        v
    };
    let udp = |dport: u16, body: &[u8]| {
        // udp: sport 12345, dport, length, checksum
        let mut v = vec![0x30, 0x39];
        v.extend_from_slice(&dport.to_be_bytes());
        v.extend_from_slice(&((8 + body.len()) as u16).to_be_bytes());
        v.extend_from_slice(&[0, 0]);
        v.extend_from_slice(body);
        v
    };
    // GRE: flags/version 0, ethertype IPv4
    let mut gre = vec![0, 0, 0x08, 0x00];
    gre.extend_from_slice(inner_ip);
    // GRE with key and sequence (8 more bytes)
    let mut gre_ks = vec![0x30, 0, 0x08, 0x00, 0, 0, 0, 7, 0, 0, 0, 1];
    gre_ks.extend_from_slice(inner_ip);
    // VXLAN: flags (I), reserved, VNI, reserved; then the whole Ethernet frame
    let mut vxlan = vec![0x08, 0, 0, 0, 0, 0, 1, 0];
    vxlan.extend_from_slice(VLAN_TCP);
    // GENEVE: no options, protocol transparent Ethernet bridging
    let mut geneve = vec![0, 0, 0x65, 0x58, 0, 0, 1, 0];
    geneve.extend_from_slice(VLAN_TCP);
    // AYIYA: identity 2^1 = 2 bytes (type integer), signature 1 word (hash
    // SHA1), auth none / opcode forward, next header IPv4, epoch; identity;
    // signature; then the inner IP packet
    let mut ayiya = vec![
        0x11, 0x12, 0x01, 4, 0x4a, 0xf6, 0x4b, 0xfd, 0, 7, 1, 2, 3, 4,
    ];
    ayiya.extend_from_slice(inner_ip);
    // from the tunnel server: its port is the source
    let mut ayiya_back = udp(1, &ayiya);
    ayiya_back[0..4].copy_from_slice(&[0x13, 0xd0, 0xd2, 0x24]); // 5072 -> 53796
    let cases = [
        ("gre", outer(47, 1, &gre)),
        ("gre key+seq", outer(47, 2, &gre_ks)),
        ("vxlan", outer(17, 3, &udp(4789, &vxlan))),
        ("geneve", outer(17, 4, &udp(6081, &geneve))),
        ("gre in udp", outer(17, 5, &udp(4754, &gre))),
        ("ayiya", outer(17, 6, &udp(5072, &ayiya))),
        ("ayiya from the server", outer(17, 7, &ayiya_back)),
    ];
    let mut d = Decoder::new();
    for (name, pkt) in &cases {
        let p = d.decode(linktype::IPV4, pkt, 0);
        assert_eq!(
            (p.tunnel_depth, &p.src[..4]),
            (1, &[10u8, 0, 0, 1][..]),
            "{name}"
        );
        assert_eq!(address_pair_hash(linktype::IPV4, pkt), plain, "{name}");
        // cut inside the tunnel header: the decoder keeps the outer packet
        let cut = &pkt[..22];
        assert_eq!(
            address_pair_hash(linktype::IPV4, cut),
            address_pair_hash(linktype::IPV4, &outer(47, pkt[12], &[])),
            "{name} cut"
        );
    }
    // MPLS (two labels, the second the bottom of the stack), as the decoder
    // reads it: by the IP packet under the labels
    let mut mpls = vec![0u8; 12];
    mpls.extend_from_slice(&[0x88, 0x47, 0, 0x01, 0x00, 64, 0, 0x02, 0x01, 64]);
    mpls.extend_from_slice(inner_ip);
    let p = d.decode(linktype::ETHERNET, &mpls, 0);
    assert_eq!((p.dport, &p.src[..4]), (502, &[10u8, 0, 0, 1][..]));
    assert_eq!(address_pair_hash(linktype::ETHERNET, &mpls), plain);
    // IPv6 with an authentication header (length 4 -> 24 bytes), then GRE
    let mut v6 = vec![0x60, 0, 0, 0, 0, 0, 51, 64];
    v6.extend_from_slice(&[0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    v6.extend_from_slice(&[0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    let mut ah = vec![47, 4, 0, 0];
    ah.extend_from_slice(&[0u8; 20]);
    ah.extend_from_slice(&gre);
    let plen = ah.len() as u16;
    v6[4..6].copy_from_slice(&plen.to_be_bytes());
    v6.extend_from_slice(&ah);
    let p = d.decode(linktype::IPV6, &v6, 0);
    assert_eq!((p.tunnel_depth, p.dport), (1, 502));
    assert_eq!(address_pair_hash(linktype::IPV6, &v6), plain);
    // trailing bytes past the UDP length are not the tunnel's
    let mut padded = cases[2].1.clone();
    padded.extend_from_slice(&[0xff; 16]);
    assert_eq!(address_pair_hash(linktype::IPV4, &padded), plain);
    // an outer fragment: its inner packet is not known yet
    let mut frag = cases[0].1.clone();
    frag[6] = 0x20; // more fragments
    assert_ne!(address_pair_hash(linktype::IPV4, &frag), plain);
    // ... but the first fragment shows the tunnel: every fragment of the
    // datagram can go by the inner pair (the threads remember it)
    let gre_pkt = &cases[0].1;
    let mut first = gre_pkt[..20 + 8].to_vec(); // outer header + 8 bytes
    first[6] = 0x20; // more fragments, offset 0
    let mut second = gre_pkt[..20].to_vec();
    second[6..8].copy_from_slice(&1u16.to_be_bytes()); // offset 8, last
    second.extend_from_slice(&gre_pkt[28..]);
    let f1 = tunnel_fragment(linktype::IPV4, &first).expect("fragment");
    let f2 = tunnel_fragment(linktype::IPV4, &second).expect("fragment");
    assert_eq!(
        (f1.first, f1.last, f2.first, f2.last),
        (true, false, false, true)
    );
    assert_eq!(f1.key, f2.key);
    // 8 bytes of GRE + inner IP are not enough to show the inner pair
    assert_eq!(f1.inner, None);
    let mut first = gre_pkt[..20 + 4 + 20].to_vec(); // GRE + inner IP header
    first[6] = 0x20;
    let f1 = tunnel_fragment(linktype::IPV4, &first).expect("fragment");
    assert_eq!(f1.inner, Some(plain));
    assert_eq!(
        tunnel_fragment(linktype::IPV4, gre_pkt),
        None,
        "not a fragment"
    );
    assert_eq!(
        tunnel_fragment(linktype::IPV4, inner_ip),
        None,
        "not a tunnel"
    );
    // a tunnel the decoder does not unwrap (PPTP's enhanced GRE, version 1)
    let mut pptp = cases[0].1.clone();
    pptp[21] = 1;
    assert_ne!(address_pair_hash(linktype::IPV4, &pptp), plain);
}

/// The fast path and the general path give the same packet and the same
/// counters (and the thread hash the same value), for every frame of every capture in testdata/ (read with the
/// capture crate), and for the frames of a TCP and a UDP packet with each
/// byte of their headers set to several values and cut at every length.
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
