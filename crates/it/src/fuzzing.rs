//! Fuzz and robustness drivers for the IT protocols: the generic driver
//! lives in [`reefwatch_applayer::fuzzing`]; this adds lookup by name.

pub use reefwatch_applayer::fuzzing::{drive, CheckSink};
use reefwatch_applayer::Transport;

/// Drive the protocol named `name` (first definition with that name and
/// `transport`).
pub fn drive_named(name: &str, transport: Transport, data: &[u8]) {
    if let Some(def) = crate::protocols()
        .iter()
        .find(|d| d.name == name && d.transports.contains(&transport))
    {
        drive(def, data);
    }
}
