//! `reefwatch intel …`: STIX 2.1 tools.
//!
//! * `validate-pattern PATTERN...` — checks patterns with the rules of the
//!   OASIS pattern validator; prints `valid` / `invalid` with the error and
//!   its position; exit 1 if any is invalid.
//! * `match -p PATTERNS -f OBSERVED.json` — the same inputs and output as
//!   `stix2-matcher -s 2.1`: one pattern a line (blank lines and `#` lines
//!   skipped), a JSON list of bundles of observed-data (a single object is
//!   taken as a list of one); prints `MATCH:  pattern` or `NO MATCH:
//!   pattern` per pattern (non-ASCII escaped as Python's unicode_escape
//!   does); exit 0 if all match, 1 if any does not, 2 on an error.
//! * `validate FILE...` — validates STIX 2.1 JSON (bundles or objects) with
//!   the hub's acceptance rules (`reefwatch_stix::validate_object`, the one
//!   implementation both use: what it reports, the hub refuses) and prints
//!   each problem as `object id: property: reason`.
use std::io::Write;
use std::path::PathBuf;

use clap::Subcommand;
use reefwatch_stix::pattern::{self, eval, Strictness};
use reefwatch_stix::serde_json;

#[derive(Subcommand, Debug)]
pub enum IntelCmd {
    /// Validate STIX 2.1 patterns (OASIS validator rules); exit 1 if any is invalid.
    ValidatePattern {
        /// Patterns to check (quote each one).
        #[arg(required = true)]
        patterns: Vec<String>,
    },
    /// Match patterns against observed data, like `stix2-matcher -s 2.1`.
    Match {
        /// File with one STIX pattern per line (`#` comments, blank lines skipped).
        #[arg(short = 'p', long = "patterns")]
        patterns: PathBuf,
        /// JSON list of STIX 2.1 bundles holding observed-data and their SCOs.
        #[arg(short = 'f', long = "file")]
        file: PathBuf,
        /// STIX version of the input; only 2.1 is supported.
        #[arg(short = 's', long = "stix_version", default_value = "2.1")]
        stix_version: String,
        /// Input encoding; only UTF-8 is supported.
        #[arg(short = 'e', long = "encoding", default_value = "utf8")]
        encoding: String,
        /// -q: print only NO MATCH lines; -qq: print no match output.
        #[arg(short = 'q', long = "quiet", action = clap::ArgAction::Count)]
        quiet: u8,
    },
    /// Validate STIX 2.1 JSON files (bundles or single objects) with the hub's acceptance rules.
    Validate {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

pub fn run(cmd: IntelCmd) -> i32 {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let code = match cmd {
        IntelCmd::ValidatePattern { patterns } => validate_patterns(&patterns, &mut out),
        IntelCmd::Match {
            patterns,
            file,
            stix_version,
            encoding,
            quiet,
        } => {
            if stix_version != "2.1" {
                eprintln!(
                    "reefwatch intel match: only STIX 2.1 is supported (got -s {stix_version})"
                );
                return 2;
            }
            if !matches!(encoding.to_ascii_lowercase().as_str(), "utf8" | "utf-8") {
                eprintln!(
                    "reefwatch intel match: only UTF-8 input is supported (got -e {encoding})"
                );
                return 2;
            }
            match_cmd(&patterns, &file, quiet, &mut out)
        }
        IntelCmd::Validate { files } => validate_files(&files, &mut out),
    };
    let _ = out.flush();
    code
}

fn validate_patterns(patterns: &[String], out: &mut impl Write) -> i32 {
    let mut bad = 0;
    for p in patterns {
        match pattern::parse(p) {
            Ok(_) => {
                let _ = writeln!(out, "valid: {p}");
            }
            Err(e) => {
                bad += 1;
                let col = p
                    .get(..e.pos.min(p.len()))
                    .map_or(e.pos, |s| s.chars().count());
                let _ = writeln!(out, "invalid: {p}");
                // Position in characters (the error's byte offset is
                // converted so non-ASCII patterns point at the right place).
                let _ = writeln!(out, "  error at position {col}: {}", e.msg);
                if !p.contains('\n') {
                    let _ = writeln!(out, "  {p}");
                    let _ = writeln!(out, "  {}^", " ".repeat(col));
                }
            }
        }
    }
    i32::from(bad > 0)
}

/// Escapes like Python's `str.encode("unicode_escape").decode("ascii")`.
pub fn py_unicode_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        let n = c as u32;
        match c {
            '\\' => o.push_str("\\\\"),
            '\t' => o.push_str("\\t"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            ' '..='~' => o.push(c),
            _ if n < 0x100 => o.push_str(&format!("\\x{n:02x}")),
            _ if n < 0x10000 => o.push_str(&format!("\\u{n:04x}")),
            _ => o.push_str(&format!("\\U{n:08x}")),
        }
    }
    o
}

fn match_cmd(patterns: &PathBuf, file: &PathBuf, quiet: u8, out: &mut impl Write) -> i32 {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("reefwatch intel match: {}: {e}", file.display());
            return 2;
        }
    };
    let json: serde_json::Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            eprintln!(
                "reefwatch intel match: {}: invalid JSON: {e}",
                file.display()
            );
            return 2;
        }
    };
    let items = match json {
        serde_json::Value::Array(a) => a,
        v => vec![v],
    };
    let obs = match eval::Observations::from_json(&items) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("reefwatch intel match: {}: {e}", file.display());
            return 2;
        }
    };
    let pats = match std::fs::read_to_string(patterns) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("reefwatch intel match: {}: {e}", patterns.display());
            return 2;
        }
    };
    let mut code = 0;
    for line in pats.lines() {
        let p = line.trim();
        if p.is_empty() || p.starts_with('#') {
            continue;
        }
        let shown = py_unicode_escape(p);
        let result = pattern::parse_with(p, Strictness::Grammar)
            .map_err(|e| e.to_string())
            .and_then(|pat| eval::matches(&pat, &obs).map_err(|e| e.to_string()));
        match result {
            Ok(true) => {
                if quiet < 1 {
                    let _ = writeln!(out, "\nMATCH:  {shown}");
                }
            }
            Ok(false) => {
                if quiet < 2 {
                    let _ = writeln!(out, "\nNO MATCH:  {shown}");
                }
                code = code.max(1);
            }
            Err(e) => {
                eprintln!("ERROR: {shown}: {e}");
                code = 2;
            }
        }
    }
    code
}

fn validate_files(files: &[PathBuf], out: &mut impl Write) -> i32 {
    let mut code = 0;
    for f in files {
        let v: serde_json::Value = match std::fs::read(f)
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
        {
            Ok(v) => v,
            Err(e) => {
                let _ = writeln!(out, "{}: {e}", f.display());
                code = 1;
                continue;
            }
        };
        let list = match v {
            serde_json::Value::Array(a) => a,
            v => vec![v],
        };
        let mut n_err = 0;
        for obj in &list {
            if let Err(errs) = reefwatch_stix::validate_object(obj) {
                for e in errs {
                    n_err += 1;
                    let _ = writeln!(out, "{}: {e}", f.display());
                }
            }
        }
        if n_err == 0 {
            let _ = writeln!(out, "{}: valid", f.display());
        } else {
            code = 1;
        }
    }
    code
}
