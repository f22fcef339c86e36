//! SSH EVE records with Suricata's field names.

use super::state::{Side, SshState};
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

pub fn log_ssh(js: &mut JsonBuilder, st: &SshState) {
    side(js, "client", &st.sides[0]);
    side(js, "server", &st.sides[1]);
}
