//! `reefwatch analyze …`
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct AnalyzeArgs {
    /// pcap / pcapng files (optionally .gz), directories, or `-` for stdin.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

pub fn run(_args: AnalyzeArgs) -> i32 {
    eprintln!("reefwatch analyze: not built yet");
    2
}
