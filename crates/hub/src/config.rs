//! Configuration: command-line options, `hub.toml`, and the effective
//! [`Config`]; the commented `hub.toml` a first start writes.

use crate::error::{HubError, HubResult};
use crate::{server, stixv};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Options from the command line (flags override the config file).
#[derive(Clone, Debug, Default)]
pub struct HubOptions {
    pub data: PathBuf,
    pub config: Option<PathBuf>,
    pub listen: Option<String>,
    pub backend: Option<String>,
    pub postgres_url: Option<String>,
    pub postgres_schema: Option<String>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub allow_plain_http: bool,
}

/// `hub.toml` (in the data directory, or `--config FILE`).
#[derive(Clone, Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<String>,
    /// `sqlite` (default) or `postgres`.
    pub backend: Option<String>,
    pub postgres_url: Option<String>,
    pub postgres_schema: Option<String>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// Allow plain HTTP on a non-loopback address (TAXII requires HTTPS).
    pub allow_plain_http: Option<bool>,
    pub max_content_length: Option<usize>,
    /// TLP level of objects that carry no TLP marking (`clear`, `green`, …).
    pub default_tlp: Option<String>,
    /// Reader connections to the database.
    pub readers: Option<usize>,
    /// Hours a TAXII status resource stays readable (default 168, 7 days;
    /// at least 1): older ones are deleted as new ones are stored.
    pub status_retention_hours: Option<u64>,
}

/// Effective configuration.
#[derive(Clone, Debug)]
pub struct Config {
    pub data: PathBuf,
    pub listen: String,
    pub backend: String,
    pub postgres_url: String,
    pub postgres_schema: String,
    pub tls: Option<(PathBuf, PathBuf)>,
    pub allow_plain_http: bool,
    pub settings: server::Settings,
    pub readers: usize,
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:9443";
pub const DEFAULT_PG_URL: &str = "postgresql://postgres@127.0.0.1:5432/test";
pub const DEFAULT_READERS: usize = 4;

fn rel(data: &Path, p: PathBuf) -> PathBuf {
    if p.is_absolute() {
        p
    } else {
        data.join(p)
    }
}

pub fn load_config(o: &HubOptions) -> HubResult<Config> {
    let file = match &o.config {
        Some(p) => Some(p.clone()),
        None => {
            let p = o.data.join("hub.toml");
            p.exists().then_some(p)
        }
    };
    let fc: FileConfig = match file {
        Some(p) => {
            let s = std::fs::read_to_string(&p).map_err(|e| HubError::io(&p, e))?;
            toml::from_str(&s).map_err(|e| toml_error(&p, &s, e))?
        }
        None => FileConfig::default(),
    };
    let mut settings = server::Settings::default();
    if let Some(m) = fc.max_content_length {
        settings.max_content_length = m.clamp(1024, 1 << 30);
    }
    if let Some(h) = fc.status_retention_hours {
        if h == 0 {
            return Err(HubError::config(
                "must be at least 1",
                "status_retention_hours",
            ));
        }
        settings.status_retention_us = server::retention_us(h);
    }
    if let Some(t) = &fc.default_tlp {
        settings.default_tlp = stixv::tlp_from_label(t)
            .ok_or_else(|| HubError::config(format!("unknown TLP level {t:?}"), "default_tlp"))?;
    }
    let tls = match (
        o.tls_cert.clone().or(fc.tls_cert),
        o.tls_key.clone().or(fc.tls_key),
    ) {
        (Some(c), Some(k)) => Some((rel(&o.data, c), rel(&o.data, k))),
        (None, None) => None,
        _ => {
            return Err(HubError::config(
                "needs both a certificate and a key",
                "tls_cert/tls_key",
            ))
        }
    };
    let backend = o.backend.clone().or(fc.backend).unwrap_or_else(|| {
        if o.postgres_url.is_some() {
            "postgres".into()
        } else {
            "sqlite".into()
        }
    });
    if backend != "sqlite" && backend != "postgres" {
        return Err(HubError::config(
            format!("unknown backend {backend:?} (sqlite or postgres)"),
            "backend",
        ));
    }
    Ok(Config {
        data: o.data.clone(),
        listen: o
            .listen
            .clone()
            .or(fc.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.into()),
        backend,
        postgres_url: o
            .postgres_url
            .clone()
            .or(fc.postgres_url)
            .or_else(|| std::env::var("REEFWATCH_PG_URL").ok())
            .unwrap_or_else(|| DEFAULT_PG_URL.into()),
        postgres_schema: o
            .postgres_schema
            .clone()
            .or(fc.postgres_schema)
            .unwrap_or_else(|| "reefwatch".into()),
        tls,
        allow_plain_http: o.allow_plain_http || fc.allow_plain_http.unwrap_or(false),
        settings,
        readers: fc.readers.unwrap_or(DEFAULT_READERS).clamp(1, 64),
    })
}

/// A TOML error as one line: the file and line, then what is wrong (the
/// toml crate's own message repeats the source line and a caret).
fn toml_error(path: &Path, src: &str, e: toml::de::Error) -> HubError {
    let place = match e.span() {
        Some(sp) => {
            let start = sp.start.min(src.len());
            let n = src[..start].matches('\n').count() + 1;
            let text = src.lines().nth(n - 1).unwrap_or("");
            match text.split_once('=') {
                Some((key, _)) => format!("{} line {n} ({})", path.display(), key.trim()),
                None => format!("{} line {n}", path.display()),
            }
        }
        None => path.display().to_string(),
    };
    HubError::config(e.message().trim().replace('\n', " "), place)
}

/// The `hub.toml` a first start writes into the data directory: every
/// setting at its default, commented out.
pub fn default_hub_toml() -> String {
    let d = server::Settings::default();
    format!(
        "# reefwatch hub configuration (written by the first start; every line\n\
         # below is a default: uncomment to change it). Command-line flags win.\n\
         \n\
         # Listen address. Off loopback, TAXII requires HTTPS (tls_cert/tls_key).\n\
         # listen = \"{DEFAULT_LISTEN}\"\n\
         # Storage: \"sqlite\" (hub.sqlite in this directory) or \"postgres\".\n\
         # backend = \"sqlite\"\n\
         # postgres_url = \"{DEFAULT_PG_URL}\"\n\
         # postgres_schema = \"reefwatch\"\n\
         # TLS certificate chain and private key (PEM; relative to this directory).\n\
         # tls_cert = \"cert.pem\"\n\
         # tls_key = \"key.pem\"\n\
         # Allow plain HTTP on a non-loopback address (lab use only).\n\
         # allow_plain_http = false\n\
         # Largest accepted request body, in bytes.\n\
         # max_content_length = {}\n\
         # TLP level of objects that carry no TLP marking.\n\
         # default_tlp = \"{}\"\n\
         # Reader connections to the database.\n\
         # readers = {DEFAULT_READERS}\n\
         # Hours a TAXII status resource stays readable (at least 1).\n\
         # status_retention_hours = {}\n",
        d.max_content_length,
        stixv::tlp_label(d.default_tlp),
        server::DEFAULT_STATUS_RETENTION_HOURS,
    )
}

#[cfg(test)]
mod config_tests {
    use super::*;

    fn with_file(toml: &str) -> HubResult<Config> {
        let dir = std::env::temp_dir().join(format!(
            "reefwatch-hub-config-{}-{}",
            std::process::id(),
            toml.len()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("hub.toml"), toml).unwrap();
        let r = load_config(&HubOptions {
            data: dir.clone(),
            ..HubOptions::default()
        });
        let _ = std::fs::remove_dir_all(&dir);
        r
    }

    #[test]
    fn status_retention_from_the_config_file() {
        let d = with_file("").unwrap();
        assert_eq!(d.settings.status_retention_us, 7 * 24 * 3_600_000_000);
        let c = with_file("status_retention_hours = 2\n").unwrap();
        assert_eq!(c.settings.status_retention_us, 2 * 3_600_000_000);
        let e = with_file("status_retention_hours = 0\n").unwrap_err();
        assert!(e.to_string().contains("status_retention_hours"), "{e}");
    }
}

#[cfg(test)]
mod default_file_tests {
    use super::*;

    /// The file the first start writes: every setting, commented out, at
    /// its default; it parses, and uncommented it still parses and gives
    /// the defaults.
    #[test]
    fn default_hub_toml_is_valid_and_states_the_defaults() {
        let t = default_hub_toml();
        let fc: FileConfig = toml::from_str(&t).unwrap();
        assert!(fc.listen.is_none(), "all commented out");
        let uncommented: String = t
            .lines()
            .filter(|l| l.starts_with("# ") && l.contains(" = "))
            .map(|l| format!("{}\n", &l[2..]))
            .collect();
        let fc: FileConfig =
            toml::from_str(&uncommented).unwrap_or_else(|e| panic!("{e}\n{uncommented}"));
        assert_eq!(fc.listen.as_deref(), Some(DEFAULT_LISTEN));
        assert_eq!(
            fc.status_retention_hours,
            Some(server::DEFAULT_STATUS_RETENTION_HOURS)
        );
        assert_eq!(
            fc.max_content_length,
            Some(server::Settings::default().max_content_length)
        );
        assert_eq!(fc.readers, Some(DEFAULT_READERS));
    }

    #[test]
    fn a_toml_error_is_stated_once_with_its_place() {
        let p = Path::new("/x/hub.toml");
        let src = "listen = 5\n";
        let e = toml::from_str::<FileConfig>(src).unwrap_err();
        let msg = toml_error(p, src, e).to_string();
        assert_eq!(msg.lines().count(), 1, "{msg}");
        assert!(msg.starts_with("/x/hub.toml line 1 (listen):"), "{msg}");
        assert!(msg.contains("listen"), "{msg}");
    }
}
