//! Read every capture under /work/shared/pcaps and /work/shared/pcaps-it
//! (the `shared/` folder beside the workspace; `REEFWATCH_SHARED` overrides)
//! and compare packet counts with MANIFEST.tsv `frames` and, when
//! `capinfos` is installed, with what capinfos can read. Skipped (passes
//! with a note) when the folder is absent.

use reefwatch_capture::{CaptureError, CaptureReader};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn shared_dir() -> Option<PathBuf> {
    let p = match std::env::var_os("REEFWATCH_SHARED") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    };
    p.join("pcaps").is_dir().then_some(p)
}

/// (file relative to its collection, frames) from a MANIFEST.tsv with a
/// `frames` column, or just the files when it has none.
fn manifest(dir: &Path) -> Vec<(String, Option<u64>)> {
    let Ok(text) = std::fs::read_to_string(dir.join("MANIFEST.tsv")) else {
        return Vec::new();
    };
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name);
    let (Some(fcol), frames) = (col("file"), col("frames")) else {
        return Vec::new();
    };
    lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let cells: Vec<&str> = l.split('\t').collect();
            let frames = frames
                .and_then(|c| cells.get(c))
                .and_then(|v| v.parse().ok());
            (cells.get(fcol).unwrap_or(&"").to_string(), frames)
        })
        .collect()
}

/// Packet counts capinfos reports (it keeps going after a read error and
/// reports what it could read), in one process for all files.
fn capinfos_counts(files: &[PathBuf]) -> Option<HashMap<PathBuf, u64>> {
    let out = Command::new("capinfos")
        .args(["-c", "-M", "-T", "-r"])
        .args(files)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut m = HashMap::new();
    for line in text.lines() {
        let mut cells = line.rsplitn(2, '\t');
        let (Some(n), Some(f)) = (cells.next(), cells.next()) else {
            continue;
        };
        if let Ok(n) = n.trim().parse() {
            m.insert(PathBuf::from(f), n);
        }
    }
    Some(m)
}

fn count(path: &Path) -> (u64, Option<CaptureError>) {
    let mut r = match CaptureReader::open(path) {
        Ok(r) => r,
        Err(e) => return (0, Some(e)),
    };
    let mut n = 0;
    loop {
        match r.next_packet() {
            Ok(Some(_)) => n += 1,
            Ok(None) => return (n, None),
            Err(e) => return (n, Some(e)),
        }
    }
}

#[test]
fn shared_corpus_counts_match() {
    let Some(shared) = shared_dir() else {
        eprintln!("shared captures not present: skipped");
        return;
    };
    let mut files = Vec::new();
    let mut expected = HashMap::new();
    for coll in ["pcaps", "pcaps-it"] {
        let dir = shared.join(coll);
        for (f, frames) in manifest(&dir) {
            let p = dir.join(&f);
            if let Some(n) = frames {
                expected.insert(p.clone(), n);
            }
            files.push(p);
        }
    }
    assert!(files.len() > 100, "manifests list {} files", files.len());
    let capinfos = capinfos_counts(&files);
    match &capinfos {
        None => eprintln!("capinfos not installed: comparing with MANIFEST frames only"),
        // capinfos must have answered for (nearly) every file, else the
        // comparison below would be empty.
        Some(m) => assert!(
            m.len() + 5 >= files.len(),
            "capinfos counted {} files",
            m.len()
        ),
    }
    let mut failures = Vec::new();
    let mut errors = 0;
    for f in &files {
        let (n, err) = count(f);
        if let Some(e) = &err {
            errors += 1;
            if !matches!(
                e,
                CaptureError::Truncated { .. } | CaptureError::Corrupt { .. }
            ) {
                failures.push(format!("{}: unexpected error {e}", f.display()));
            }
        }
        if let Some(&want) = expected.get(f) {
            if want != n {
                failures.push(format!(
                    "{}: {n} packets, MANIFEST frames {want}",
                    f.display()
                ));
            }
        }
        if let Some(c) = capinfos.as_ref().and_then(|m| m.get(f)) {
            if *c != n {
                failures.push(format!("{}: {n} packets, capinfos {c}", f.display()));
            }
        }
    }
    eprintln!(
        "{} files read, {errors} ended with a reported error",
        files.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
