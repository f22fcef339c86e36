//! `reefwatch`: one binary: `analyze` (the sensor), `intel` (STIX tools),
//! `rules` (Suricata rule tools) and `hub` (the TAXII exchange). Each subcommand's options and
//! dispatch live in their own module.
#![forbid(unsafe_code)]

use clap::{Parser, Subcommand};

mod analyze_cmd;
mod hub_cmd;
mod intel_cmd;
mod rules_cmd;
mod rules_load;

#[derive(Parser, Debug)]
#[command(
    name = "reefwatch",
    version,
    about = "OT/IT network sensor and threat-intelligence hub"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Analyse captures (pcap, pcapng, .gz, `-`, directories) and write EVE JSON.
    Analyze(analyze_cmd::AnalyzeArgs),
    /// STIX 2.1 tools: validate patterns, match observed data.
    #[command(subcommand)]
    Intel(intel_cmd::IntelCmd),
    /// Suricata rule tools: check that rule files load.
    #[command(subcommand)]
    Rules(rules_cmd::RulesCmd),
    /// Run the TAXII 2.1 hub, or administer it.
    Hub(hub_cmd::HubArgs),
}

fn main() {
    let cli = Cli::parse();
    let code = match cli.cmd {
        Cmd::Analyze(a) => analyze_cmd::run(a),
        Cmd::Intel(c) => intel_cmd::run(c),
        Cmd::Rules(c) => rules_cmd::run(c),
        Cmd::Hub(h) => hub_cmd::run(h),
    };
    std::process::exit(code);
}
