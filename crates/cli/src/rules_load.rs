//! Loading Suricata rules as `rules check` and `analyze -S/--rules` both
//! do: rule files (a directory: its `*.rules`, sorted), variables
//! (Suricata's defaults, then `--vars`), and `classification.config`
//! (`--classification`, else the one beside the first file, if any).
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use reefwatch_detect::{Classifications, RuleSet, Vars};

/// What was loaded, and how long it took.
pub struct Loaded {
    pub set: RuleSet,
    pub files: Vec<PathBuf>,
    pub classes: Option<Classifications>,
    pub class_path: Option<PathBuf>,
    pub took: Duration,
}

/// The rule files named by `paths` (a directory: its `*.rules`, sorted).
pub fn rule_files(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut v: Vec<PathBuf> = std::fs::read_dir(p)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "rules"))
                .collect();
            v.sort();
            out.extend(v);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// Load rules. An unreadable file (rules, vars, classification) is an
/// error naming it; rules that do not parse are in `set.skipped`. Lines of
/// the classification file that do not parse are printed to stderr.
pub fn load(
    paths: &[PathBuf],
    vars: Option<&Path>,
    class: Option<&Path>,
) -> Result<Loaded, String> {
    let mut v = Vars::suricata_defaults();
    if let Some(f) = vars {
        let t = std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
        v.load_str(&t)
            .map_err(|e| format!("{}: {e}", f.display()))?;
    }
    let files = rule_files(paths).map_err(|e| e.to_string())?;
    let class_path = class.map(Path::to_path_buf).or_else(|| {
        let first = paths.first()?;
        let dir = if first.is_dir() {
            first.clone()
        } else {
            first.parent()?.to_path_buf()
        };
        let c = dir.join("classification.config");
        c.exists().then_some(c)
    });
    let classes = match &class_path {
        Some(p) => {
            let t = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
            let (c, bad) = Classifications::parse(&t);
            for (line, why) in bad {
                eprintln!("{}:{line}: {why}", p.display());
            }
            Some(c)
        }
        None => None,
    };
    let t0 = Instant::now();
    let mut set = RuleSet::new();
    for f in &files {
        set.load_file(f, &v, classes.as_ref())
            .map_err(|e| format!("{}: {e}", f.display()))?;
    }
    Ok(Loaded {
        set,
        files,
        classes,
        class_path,
        took: t0.elapsed(),
    })
}
