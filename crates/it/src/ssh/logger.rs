//! SSH EVE records with Suricata's field names.

use super::tx::Side;
use reefwatch_applayer::JsonBuilder;

fn side(js: &mut JsonBuilder, key: &str, s: &Side) {
    if !s.banner_seen {
        return;
    }
    js.open_object(key);
    js.set_bytes_str("proto_version", &s.proto_version);
    js.set_bytes_str("software_version", &s.software_version);
    if s.kex_seen && !s.hassh.is_empty() {
        js.open_object("hassh");
        js.set_str("hash", &s.hassh);
        js.set_bytes_str("string", &s.hassh_string);
        js.close();
    }
    js.close();
}

/// The flow's `ssh` object from the client's and the server's side.
pub fn log_ssh(js: &mut JsonBuilder, sides: &[Side; 2]) {
    side(js, "client", &sides[0]);
    side(js, "server", &sides[1]);
}
