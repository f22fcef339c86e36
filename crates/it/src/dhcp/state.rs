//! DHCP is stateless per datagram: each message is one `dhcp` event.

use super::logger;
use super::parser::{Packet, OPT_HOSTNAME, OPT_VENDOR_CLASS};
use reefwatch_applayer::BufferId;
use reefwatch_applayer::{AppParser, Direction, EventSink, ParseResult};

#[derive(Default)]
pub struct DhcpState;

impl AppParser for DhcpState {
    fn parse(&mut self, _dir: Direction, data: &[u8], out: &mut dyn EventSink) -> ParseResult {
        let Ok(p) = Packet::new_checked(data) else {
            out.anomaly("dhcp.malformed_options");
            return ParseResult::Done;
        };
        if let Some(h) = p.option(OPT_HOSTNAME) {
            out.buffer(BufferId::DhcpHostname, h);
        }
        if let Some(v) = p.option(OPT_VENDOR_CLASS) {
            out.buffer(BufferId::DhcpVendorClass, v);
        }
        let mut o = p.options();
        for _ in o.by_ref() {}
        if o.truncated {
            out.anomaly("dhcp.truncated_options");
        }
        if out.wants_events() {
            out.event("dhcp", &mut |js| logger::log_dhcp(js, &p));
        }
        ParseResult::Done
    }
}
