//! The data directory: created owner-only (0700), its database and config
//! owner-only (0600) since they hold password and token hashes (and
//! perhaps a database URL with a password); looser modes found on start
//! are tightened and logged. A first start writes a commented `hub.toml`.

use crate::config::{default_hub_toml, Config};
use crate::error::{HubError, HubResult};
use std::path::Path;

/// Files of the data directory that must be owner-only.
pub const PRIVATE_FILES: [&str; 4] = ["hub.sqlite", "hub.sqlite-wal", "hub.sqlite-shm", "hub.toml"];

/// Prepare `cfg.data` for a store: create it (0700), write `hub.toml` if
/// there is none and no `--config` was given, create `hub.sqlite` 0600
/// for the SQLite backend, tighten what is looser. Returns what it did,
/// one line each, for the log.
pub fn prepare(cfg: &Config, explicit_config: bool) -> HubResult<Vec<String>> {
    let mut log = Vec::new();
    let dir = &cfg.data;
    if !dir.exists() {
        create_private_dir(dir)?;
        log.push(format!("created data directory {} (0700)", dir.display()));
    } else {
        tighten(dir, 0o700, &mut log)?;
    }
    let toml = dir.join("hub.toml");
    if !explicit_config && !toml.exists() {
        write_private(&toml, default_hub_toml().as_bytes())?;
        log.push(format!(
            "wrote {} (the defaults, commented out)",
            toml.display()
        ));
    }
    if cfg.backend == "sqlite" {
        let db = dir.join("hub.sqlite");
        if !db.exists() {
            // an empty file is an empty SQLite database; SQLite gives its
            // -wal and -shm files the mode of this one
            write_private(&db, b"")?;
        }
    }
    for f in PRIVATE_FILES {
        let p = dir.join(f);
        if p.exists() {
            tighten(&p, 0o600, &mut log)?;
        }
    }
    Ok(log)
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> HubResult<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| HubError::io(dir, e))
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> HubResult<()> {
    std::fs::create_dir_all(dir).map_err(|e| HubError::io(dir, e))
}

fn write_private(p: &Path, data: &[u8]) -> HubResult<()> {
    use std::io::Write;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut f = o.open(p).map_err(|e| HubError::io(p, e))?;
    f.write_all(data)
        .and_then(|()| f.sync_all())
        .map_err(|e| HubError::io(p, e))
}

/// Clear the group and other bits of `p` beyond `mode`.
#[cfg(unix)]
fn tighten(p: &Path, mode: u32, log: &mut Vec<String>) -> HubResult<()> {
    use std::os::unix::fs::PermissionsExt;
    let m = std::fs::metadata(p).map_err(|e| HubError::io(p, e))?;
    let cur = m.permissions().mode() & 0o777;
    if cur & !mode == 0 {
        return Ok(());
    }
    let new = cur & mode;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(new))
        .map_err(|e| HubError::io(p, e))?;
    log.push(format!(
        "tightened permissions of {} from {cur:04o} to {new:04o} (owner-only: the hub's data holds password and token hashes)",
        p.display()
    ));
    Ok(())
}

#[cfg(not(unix))]
fn tighten(_p: &Path, _mode: u32, _log: &mut Vec<String>) -> HubResult<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::config::{load_config, HubOptions};
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn created_private_and_loose_modes_tightened() {
        let dir = std::env::temp_dir().join(format!("reefwatch-datadir-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let o = HubOptions {
            data: dir.clone(),
            ..HubOptions::default()
        };
        let cfg = load_config(&o).unwrap();
        let log = prepare(&cfg, false).unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("hub.sqlite")), 0o600);
        assert_eq!(mode(&dir.join("hub.toml")), 0o600);
        assert!(log.iter().any(|l| l.contains("wrote")), "{log:?}");
        // loosened by hand (or an older hub): tightened and said
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(
            dir.join("hub.sqlite"),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
        std::fs::write(dir.join("hub.sqlite-wal"), b"").unwrap();
        std::fs::set_permissions(
            dir.join("hub.sqlite-wal"),
            std::fs::Permissions::from_mode(0o664),
        )
        .unwrap();
        let log = prepare(&load_config(&o).unwrap(), false).unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("hub.sqlite")), 0o600);
        assert_eq!(mode(&dir.join("hub.sqlite-wal")), 0o600);
        assert_eq!(log.len(), 3, "{log:?}");
        assert!(log[0].contains("from 0755 to 0700"), "{log:?}");
        // nothing to do: nothing said
        assert!(prepare(&load_config(&o).unwrap(), false)
            .unwrap()
            .is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
