//! `reefwatch intel …` (owned by the STIX work).
use clap::Subcommand;

#[derive(Subcommand, Debug)]
pub enum IntelCmd {
    /// Validate STIX patterns.
    ValidatePattern { patterns: Vec<String> },
}

pub fn run(cmd: IntelCmd) -> i32 {
    match cmd {
        IntelCmd::ValidatePattern { .. } => {
            eprintln!("reefwatch intel: not built yet");
            2
        }
    }
}
