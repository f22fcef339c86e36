//! The layer-2 contract: protocols carried straight on Ethernet (IEC
//! 61850 GOOSE and Sampled Values, PROFINET RT/DCP, LLDP, EtherCAT …),
//! found by EtherType rather than by a content probe of a TCP/UDP flow.
//!
//! A protocol is one [`L2ProtocolDef`]: the EtherTypes it owns, how its
//! stream id is read from a frame (GOOSE/SV APPID, PROFINET frame id) and a
//! constructor for the per-stream [`L2Parser`]. The engine keys its layer-2
//! "flows" by (source MAC, EtherType, stream id), keeps them in a bounded
//! table and hands each parser one [`L2Frame`] per call; parsers write
//! through the same [`EventSink`] as TCP/UDP parsers (the engine writes the
//! event header: timestamp, `pcap_cnt`, `ether` addresses, `vlan`).
//!
//! A check across streams (a GOOSE control block or a station name now
//! sent from another MAC address) goes through [`L2Context::claim`]: the
//! engine keeps a bounded map of identities to the MAC that sent them first.

use crate::EventSink;

/// One frame of the layer-2 path.
#[derive(Clone, Copy, Debug)]
pub struct L2Frame<'a> {
    pub src_mac: [u8; 6],
    pub dst_mac: [u8; 6],
    /// EtherType past any VLAN tags.
    pub ethertype: u16,
    /// VLAN ids, outer first (0 = none or priority-tagged).
    pub vlan: [u16; 2],
    /// The bytes after the EtherType (and VLAN tags).
    pub payload: &'a [u8],
    /// Capture time (ns since the epoch).
    pub ts_ns: i64,
}

/// What the engine offers a parser beyond its own stream.
pub trait L2Context {
    /// Claim `id` (a GOOSE gocbRef, an SV svID, a PROFINET station name)
    /// for `mac`, within the calling protocol. Returns the MAC address that
    /// claimed it before if that is another one (it keeps the first
    /// claimant); `None` if `id` is new or `mac` already holds it. Bounded
    /// by the engine (identities past its cap are not remembered).
    fn claim(&mut self, id: &[u8], mac: [u8; 6]) -> Option<[u8; 6]>;
}

/// A context remembering nothing (tests, fuzzing): every claim is new.
#[derive(Default, Debug)]
pub struct NoContext;

impl L2Context for NoContext {
    fn claim(&mut self, _id: &[u8], _mac: [u8; 6]) -> Option<[u8; 6]> {
        None
    }
}

/// Per-stream parser state for one layer-2 protocol.
pub trait L2Parser: Send {
    /// One frame of the stream (its payload starts after the EtherType).
    fn parse(&mut self, f: &L2Frame<'_>, ctx: &mut dyn L2Context, out: &mut dyn EventSink);

    /// The stream ended (idle past the engine's timeout, evicted, or end
    /// of input): write what is still open (counts, a summary).
    fn on_close(&mut self, _out: &mut dyn EventSink) {}
}

/// A protocol the engine dispatches by EtherType.
#[derive(Clone, Copy)]
pub struct L2ProtocolDef {
    /// `app_proto` / `event_type` (`"goose"`, `"sv"`, `"pn_dcp"` …).
    pub name: &'static str,
    /// EtherTypes it owns (after VLAN tags).
    pub ethertypes: &'static [u16],
    /// Whether a frame of one of its EtherTypes is this protocol, and its
    /// stream id (the third part of the flow key), read from the payload.
    /// `None`: not this protocol (several may share an EtherType: the
    /// first answering `Some` takes the frame).
    pub stream_id: fn(&[u8]) -> Option<u16>,
    pub new_parser: fn() -> Box<dyn L2Parser>,
}

impl core::fmt::Debug for L2ProtocolDef {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("L2ProtocolDef")
            .field("name", &self.name)
            .field("ethertypes", &self.ethertypes)
            .finish()
    }
}

/// Write a MAC address as `"key":"aa:bb:cc:dd:ee:ff"` (Suricata's form).
pub fn set_mac(js: &mut crate::JsonBuilder, key: &str, mac: &[u8; 6]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = [0u8; 17];
    for (i, b) in mac.iter().enumerate() {
        s[i * 3] = HEX[(b >> 4) as usize];
        s[i * 3 + 1] = HEX[(b & 15) as usize];
        if i < 5 {
            s[i * 3 + 2] = b':';
        }
    }
    js.set_str(key, core::str::from_utf8(&s).unwrap_or(""));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_as_suricata_writes_them() {
        let mut js = crate::JsonBuilder::new_object();
        set_mac(&mut js, "src_mac", &[0x00, 0x17, 0xa4, 0xdd, 0x98, 0x1e]);
        js.close();
        assert_eq!(js.as_str(), r#"{"src_mac":"00:17:a4:dd:98:1e"}"#);
    }
}
