//! FTP EVE records with Suricata's field names.

use super::tx::Tx;
use reefwatch_applayer::JsonBuilder;

pub fn log_ftp(js: &mut JsonBuilder, tx: &Tx) {
    if tx.has_command {
        js.set_bytes_str("command", &tx.command);
        if !tx.command_data.is_empty() {
            js.set_bytes_str("command_data", &tx.command_data);
        }
    }
    if !tx.replies.is_empty() {
        js.open_array("reply");
        for r in &tx.replies {
            js.append_bytes_str(r);
        }
        js.close();
    }
    if !tx.codes.is_empty() {
        js.open_array("completion_code");
        for c in &tx.codes {
            js.append_bytes_str(c);
        }
        js.close();
    }
    if let Some(p) = tx.dynamic_port {
        js.set_uint("dynamic_port", p as u64);
    }
    if let Some(m) = tx.mode {
        js.set_str("mode", m);
    }
    js.set_str(
        "reply_received",
        if tx.reply_received { "yes" } else { "no" },
    );
}
