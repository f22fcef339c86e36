//! `reefwatch hub …` (owned by the hub work).
use clap::Args;

#[derive(Args, Debug)]
pub struct HubArgs {}

pub fn run(_args: HubArgs) -> i32 {
    eprintln!("reefwatch hub: not built yet");
    2
}
