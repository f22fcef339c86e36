//! Fuzz the matcher: the input's first line is rule options (put into a
//! tcp, udp and http rule), the rest is the payload, inspected as a packet
//! and as every sticky buffer the rule uses. Must never panic or hang
//! (the list evaluation is bounded).
#![no_main]

use libfuzzer_sys::fuzz_target;
use reefwatch_applayer::BufferId;
use reefwatch_detect::parse::header::AppProto;
use reefwatch_detect::{parse_rule, Engine, FlowDetect, PacketView, Scratch, TxView, Vars};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::OnceLock;

fn vars() -> &'static Vars {
    static V: OnceLock<Vars> = OnceLock::new();
    V.get_or_init(Vars::suricata_defaults)
}

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let opts = String::from_utf8_lossy(&data[..split]);
    let payload = data.get(split + 1..).unwrap_or(&[]);
    let rules: Vec<_> = ["tcp", "udp", "http"]
        .iter()
        .filter_map(|p| {
            parse_rule(&format!("alert {p} any any -> any any ({opts} sid:1;)"), vars(), None).ok()
        })
        .collect();
    if rules.is_empty() {
        return;
    }
    let e = Engine::new(rules);
    let mut s = Scratch::new(&e);
    let mut f = FlowDetect::default();
    let mut out = Vec::new();
    let mut p = PacketView {
        ts_ns: 1,
        src: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
        dst: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
        sport: 1024,
        dport: 80,
        ip_proto: 6,
        tcp_flags: Some(0x18),
        icmp: None,
        payload,
        to_server: Some(true),
        established: true,
        app_proto: None,
        stream_bytes: [payload.len() as u64, 0],
        flow_id: 1,
    };
    e.inspect_packet(&p, &mut f, &mut s, &mut out);
    p.ip_proto = 17;
    e.inspect_packet(&p, &mut f, &mut s, &mut out);
    p.ip_proto = 6;
    p.app_proto = Some(AppProto::Http);
    let bufs: Vec<(BufferId, &[u8])> = BufferId::all()
        .filter(|id| e.wants_buffer(*id))
        .map(|id| (id, payload))
        .collect();
    let tx = TxView { buffers: &bufs, facts: &[], to_server: true };
    e.inspect_tx(&p, &tx, &mut f, &mut s, &mut out);
    for a in &out {
        assert!((a.rule as usize) < e.rules().len());
    }
});
