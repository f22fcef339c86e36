//! `reefwatch rules …`: Suricata rule tools.
//!
//! * `check FILE|DIR…` — loads the rules (a directory: its `*.rules` files,
//!   sorted) with Suricata's default variables (or `--vars`) and the
//!   `classification.config` given with `--classification` (else the one
//!   beside the first file, if any); prints every skipped rule as
//!   `file:line: sid N: reason`, then loaded/skipped counts and the skip
//!   reasons by frequency, and what the compile step built (groups,
//!   prefilter patterns). Exit 0 when every rule loaded, 1 when some were
//!   skipped, 2 on an error (unreadable file or vars).
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Subcommand;

#[derive(Subcommand, Debug)]
pub enum RulesCmd {
    /// Load rule files and report what loaded and what was skipped (and why).
    Check {
        /// Rule files or directories of *.rules files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Variables: KEY=VALUE lines or a suricata.yaml-style `vars:` section.
        #[arg(long = "vars")]
        vars: Option<PathBuf>,
        /// classification.config (severities, known classtypes).
        #[arg(long = "classification")]
        classification: Option<PathBuf>,
        /// Print only the counts and the summary, not each skipped rule.
        #[arg(short = 'q', long = "quiet")]
        quiet: bool,
    },
}

pub fn run(cmd: RulesCmd) -> i32 {
    match cmd {
        RulesCmd::Check {
            files,
            vars,
            classification,
            quiet,
        } => check(&files, vars.as_deref(), classification.as_deref(), quiet),
    }
}

fn check(paths: &[PathBuf], vars: Option<&Path>, class: Option<&Path>, quiet: bool) -> i32 {
    let crate::rules_load::Loaded {
        set,
        files,
        classes,
        class_path,
        took,
    } = match crate::rules_load::load(paths, vars, class) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{e}");
            return 2;
        }
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let t1 = Instant::now();
    let compiled = reefwatch_detect::compile::Compiled::build(&set.rules);
    let compile_took = t1.elapsed();
    if !quiet {
        for s in &set.skipped {
            let sid = s.sid.map_or("-".to_string(), |s| s.to_string());
            let _ = writeln!(
                out,
                "{}:{}: sid {sid}: {}",
                s.file.display(),
                s.line,
                s.error
            );
        }
    }
    let loaded = set.rules.len();
    let skipped = set.skipped.len();
    let total = loaded + skipped;
    let pct = if total == 0 {
        0.0
    } else {
        loaded as f64 * 100.0 / total as f64
    };
    let _ = writeln!(
        out,
        "{} files, {total} rules: {loaded} loaded ({pct:.2}%), {skipped} skipped, in {:.3} s",
        files.len(),
        took.as_secs_f64()
    );
    let _ =
        writeln!(
        out,
        "compiled: {} groups, {} prefilter patterns, {} rules without a fast pattern, in {:.3} s",
        compiled.groups.len(),
        compiled.pattern_count(),
        compiled.groups.values().map(|g| g.always.len()).sum::<usize>(),
        compile_took.as_secs_f64()
    );
    if let Some(p) = &class_path {
        let n = classes.as_ref().map_or(0, |c| c.len());
        let _ = writeln!(out, "classifications: {n} from {}", p.display());
    }
    if skipped > 0 {
        let _ = writeln!(out, "skip reasons:");
        for (why, n) in set.skip_summary() {
            let _ = writeln!(out, "  {n:6}  {why}");
        }
    }
    if skipped > 0 {
        1
    } else {
        0
    }
}
