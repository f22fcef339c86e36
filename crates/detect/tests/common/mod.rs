//! Shared by the ICS keyword tests: one replayed parser event through
//! `Engine::inspect_tx`.
use std::net::IpAddr;

use reefwatch_applayer::BufferId;
use reefwatch_detect::parse::header::AppProto;
use reefwatch_detect::{Alert, Engine, FlowDetect, PacketView, Scratch, TxView};
use reefwatch_ot::feed::Event;

/// Inspect event `ev` of protocol `app` seen from `src:sport` to
/// `dst:dport` (already oriented as the event's direction); `out` gets
/// the alerts.
#[allow(clippy::too_many_arguments)]
pub fn inspect_event(
    e: &Engine,
    s: &mut Scratch,
    fd: &mut FlowDetect,
    ev: &Event,
    app: AppProto,
    (src, sport): (IpAddr, u16),
    (dst, dport): (IpAddr, u16),
    out: &mut Vec<Alert>,
) {
    let pv = PacketView {
        ts_ns: 0,
        src,
        dst,
        sport,
        dport,
        ip_proto: 6,
        tcp_flags: Some(0x18),
        icmp: None,
        payload: &[],
        to_server: Some(ev.to_server),
        established: true,
        app_proto: Some(app),
        stream_bytes: [0, 0],
        flow_id: 1,
    };
    let bufs: Vec<(BufferId, &[u8])> = ev.buffers.iter().map(|(b, d)| (*b, d.as_slice())).collect();
    let tx = TxView {
        buffers: &bufs,
        facts: &ev.facts,
        to_server: ev.to_server,
    };
    out.clear();
    e.inspect_tx(&pv, &tx, fd, s, out);
}
