//! `reefwatch analyze …`
use clap::{Args, ValueEnum};
use reefwatch_sensor::eve::EveDest;
use reefwatch_sensor::{analyze, AnalyzeOptions, AppLayerMode, EngineConfig};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum SummaryFormat {
    Text,
    Json,
}

#[derive(Args, Debug)]
pub struct AnalyzeArgs {
    /// pcap / pcapng files (optionally .gz), directories (read in timestamp
    /// order), or `-` for stdin.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Where to write EVE JSON: a file, `-` for stdout, or `none`.
    #[arg(long, default_value = "eve.json")]
    pub eve: String,
    /// Threads in all: each reads parts of the input and owns the flows
    /// hashed to it. Flows and events are the same for any N, but for their
    /// order, flow ids, evictions under the flow and memory caps (split
    /// between threads), and a capture file still growing (read as it was
    /// when opened).
    #[arg(long, default_value_t = 1, value_parser = parse_threads)]
    pub threads: usize,
    /// Format of the end-of-run summary.
    #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
    pub summary: SummaryFormat,
    /// No progress bar and no summary.
    #[arg(long, short)]
    pub quiet: bool,
    /// TCP reassembly depth per direction in bytes (0 = unlimited).
    #[arg(long, default_value_t = 1 << 20)]
    pub stream_depth: u64,
    /// Maximum number of flows kept at once (oldest evicted past it).
    #[arg(long, default_value_t = 512 * 1024)]
    pub max_flows: usize,
    /// Reassembly memory cap in MiB (all workers together).
    #[arg(long, default_value_t = 256)]
    pub reassembly_memcap_mb: usize,
    /// Digests of transferred files to log in `fileinfo` (Suricata's
    /// `force-hash`): a list of md5, sha1, sha256, or `all` / `none`.
    /// Off by default, as in Suricata. Digests that loaded `--intel`
    /// indicators compare are computed whatever this says.
    #[arg(long, value_name = "LIST", default_value = "none")]
    pub file_hashes: String,
    /// Same as `--file-hashes none` (kept for older scripts).
    #[arg(long, hide = true)]
    pub no_file_hashes: bool,
    /// App-layer work: `full` parses every flow's transactions; `detect`
    /// only identifies each flow's protocol; `auto` parses when EVE or
    /// intel consumes transactions and only detects otherwise.
    #[arg(long, value_name = "MODE", default_value = "auto",
          value_parser = ["auto", "full", "detect"])]
    pub app_layer: String,
    /// Bytes of each HTTP body exposed to detection.
    #[arg(long, default_value_t = 100 * 1024)]
    pub http_body_depth: usize,
    /// Gzip/deflate-decode HTTP response bodies before inspection.
    #[arg(long)]
    pub http_decompress: bool,
    /// Threat intelligence to match: STIX 2.1 bundles (JSON) or plain IOC
    /// lists (one IP/CIDR/domain/URL/hash a line), files or directories, or
    /// a TAXII 2.1 collection URL (`https://hub/api1/collections/<id>/`;
    /// credentials from REEFWATCH_TAXII_TOKEN or REEFWATCH_TAXII_USER and
    /// REEFWATCH_TAXII_PASSWORD).
    #[arg(long = "intel", value_name = "FILE|DIR|URL")]
    pub intel: Vec<PathBuf>,
    /// PEM file of the CA(s) to trust for https TAXII URLs, or of the
    /// hub's own self-signed certificate.
    #[arg(long, value_name = "FILE")]
    pub intel_ca: Option<PathBuf>,
    /// Where to write the STIX bundle of sightings (with --intel).
    #[arg(long, default_value = "sightings.json")]
    pub sightings: PathBuf,
    /// This sensor's name or STIX identity id, for `where_sighted_refs`.
    #[arg(long, default_value = "reefwatch-sensor")]
    pub sensor_name: String,
    /// Suricata rule file to load (repeatable), as Suricata's `-S`.
    #[arg(short = 'S', long = "rule-file", value_name = "FILE")]
    pub rule_files: Vec<PathBuf>,
    /// Directory whose `*.rules` files are loaded (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    pub rules_dirs: Vec<PathBuf>,
    /// Rule variables: KEY=VALUE lines or a suricata.yaml `vars:` section
    /// (Suricata's defaults otherwise: HOME_NET, EXTERNAL_NET, HTTP_PORTS …).
    #[arg(long = "vars", value_name = "FILE")]
    pub vars: Option<PathBuf>,
    /// classification.config for alert categories and severities (else
    /// the one beside the first rule file, if any).
    #[arg(long = "classification", value_name = "FILE")]
    pub classification: Option<PathBuf>,
    /// Print every rule that did not load (file:line, sid, reason), not
    /// only their count.
    #[arg(long)]
    pub rules_verbose: bool,
}

/// Load `-S`/`--rules`: the compiled set, and how many did not load
/// (each reported on stderr with `--rules-verbose`, else counted).
fn load_rules(
    a: &AnalyzeArgs,
) -> Result<Option<(reefwatch_sensor::rules::LoadedRules, usize)>, String> {
    let mut paths = a.rule_files.clone();
    paths.extend(a.rules_dirs.iter().cloned());
    if paths.is_empty() {
        return Ok(None);
    }
    for d in &a.rules_dirs {
        if !d.is_dir() {
            return Err(format!("--rules {}: not a directory", d.display()));
        }
    }
    let l = crate::rules_load::load(&paths, a.vars.as_deref(), a.classification.as_deref())?;
    let skipped = l.set.skipped.len();
    if a.rules_verbose {
        for s in &l.set.skipped {
            let sid = s.sid.map_or("-".to_string(), |s| s.to_string());
            eprintln!("{}:{}: sid {sid}: {}", s.file.display(), s.line, s.error);
        }
    }
    let t0 = std::time::Instant::now();
    let n = l.set.rules.len();
    let names: Vec<&'static str> = reefwatch_sensor::app::Registry::builtin()
        .defs
        .iter()
        .map(|d| d.name)
        .collect();
    let loaded = reefwatch_sensor::rules::LoadedRules::new(l.set.rules, l.classes.as_ref(), &names);
    if !a.quiet {
        eprintln!(
            "reefwatch: rules: {n} loaded from {} file(s), {skipped} skipped{}, in {:.2} s              (parse {:.2} s, compile {:.2} s)",
            l.files.len(),
            if skipped > 0 && !a.rules_verbose {
                " (--rules-verbose or `reefwatch rules check` lists them)"
            } else {
                ""
            },
            (l.took + t0.elapsed()).as_secs_f64(),
            l.took.as_secs_f64(),
            t0.elapsed().as_secs_f64()
        );
    }
    Ok(Some((loaded, skipped)))
}

/// `--threads`: a count of at least 1.
fn parse_threads(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("'{s}' is not a thread count")),
    }
}

/// An EVE file's own descriptor, kept to commit its data at the end
/// (`fsync`): a file system that reports errors only at writeback (NFS,
/// quotas) reports them there, not lost in the final close.
struct EveSync {
    file: std::fs::File,
    name: String,
}

impl EveSync {
    fn commit(&self) -> Result<(), String> {
        self.file.sync_data().map_err(|e| {
            format!(
                "writing EVE to {} failed when its data was committed (fsync): {e}",
                self.name
            )
        })
    }
}

/// Open the EVE destination: `none`, `-` (stdout) or a file, and for a
/// regular file a second descriptor to commit it at the end.
fn open_eve(spec: &str) -> Result<(Option<EveDest>, Option<EveSync>), String> {
    use reefwatch_sensor::eve::EveWriter;
    let (file, name) = match spec {
        "none" => return Ok((None, None)),
        "-" => {
            use std::os::fd::AsFd;
            // stdout's own descriptor, unbuffered: the writer gathers
            // whole lines and can cut a regular file back to the last one
            let fd = std::io::stdout()
                .as_fd()
                .try_clone_to_owned()
                .map_err(|e| format!("cannot write EVE to stdout: {e}"))?;
            (std::fs::File::from(fd), "stdout")
        }
        path => match std::fs::File::create(path) {
            Ok(f) => (f, path),
            Err(e) => return Err(format!("cannot create EVE file {path}: {e}")),
        },
    };
    let sync = match file.metadata() {
        Ok(m) if m.is_file() => file.try_clone().ok().map(|f| EveSync {
            file: f,
            name: name.to_string(),
        }),
        _ => None,
    };
    let dest = Arc::new(Mutex::new(
        Box::new(EveWriter::new(file, name)) as Box<dyn Write + Send>
    ));
    Ok((Some(dest), sync))
}

pub fn run(a: AnalyzeArgs) -> i32 {
    let to_stdout = a.eve == "-";
    let (eve, eve_sync) = match open_eve(&a.eve) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("reefwatch: {e}");
            return 2;
        }
    };
    use reefwatch_sensor::it_config::FileHashes;
    let logged_hashes = match FileHashes::parse(&a.file_hashes) {
        // fileinfo is an EVE event: with EVE off nobody reads them
        Ok(h) if !a.no_file_hashes && a.eve != "none" => h,
        Ok(_) => FileHashes::NONE,
        Err(e) => {
            eprintln!("reefwatch: --file-hashes: {e}");
            return 2;
        }
    };
    let mut engine = EngineConfig::default();
    engine.stream.depth = a.stream_depth;
    engine.flow.max_flows = a.max_flows.max(16);
    engine.reassembly_memcap = a.reassembly_memcap_mb.max(1) << 20;
    engine.app_layer = match a.app_layer.as_str() {
        "full" => AppLayerMode::Full,
        "detect" => AppLayerMode::Detect,
        _ => AppLayerMode::Auto,
    };
    // digests that indicators compare (file:hashes.*), as Suricata computes
    // the hashes its rules use
    let mut intel_hashes = FileHashes::NONE;
    let intel = if a.intel.is_empty() {
        None
    } else {
        let t0 = std::time::Instant::now();
        let is_url = |p: &PathBuf| {
            let s = p.to_string_lossy();
            s.starts_with("http://") || s.starts_with("https://")
        };
        let files: Vec<PathBuf> = a.intel.iter().filter(|p| !is_url(p)).cloned().collect();
        // files and TAXII collections first, then one finish_loading
        let mut set = reefwatch_stix::intel::IntelSet::new();
        let mut warnings = Vec::new();
        for f in &files {
            set.load_path(f, 0, &mut warnings);
        }
        let auth = reefwatch_hub::client::TaxiiAuth::from_env(a.intel_ca.clone());
        for url in a.intel.iter().filter(|p| is_url(p)) {
            let url = url.to_string_lossy().into_owned();
            match reefwatch_hub::client::fetch_collection(&url, &auth) {
                Ok(objs) => {
                    let src: std::sync::Arc<str> = std::sync::Arc::from(url.as_str());
                    let n = objs.len();
                    set.load_stix_value(
                        &serde_json::Value::Array(objs),
                        &src,
                        std::path::Path::new(&url),
                        &mut warnings,
                    );
                    if !a.quiet {
                        eprintln!("reefwatch: intel: {n} objects read from {url}");
                    }
                }
                Err(e) => {
                    eprintln!("reefwatch: intel: cannot read {e}");
                    return 2;
                }
            }
        }
        set.finish_loading();
        for w in warnings.iter().take(20) {
            eprintln!("reefwatch: intel: skipped {w}");
        }
        if warnings.len() > 20 {
            eprintln!(
                "reefwatch: intel: … and {} more skipped",
                warnings.len() - 20
            );
        }
        let st = set.stats();
        if !a.quiet {
            eprintln!(
                "reefwatch: intel: {} indicators loaded in {:.2} s: {} matched by lookup, \
                 {} by full pattern evaluation ({} lookup keys)",
                st.indicators,
                t0.elapsed().as_secs_f64(),
                st.indicators.saturating_sub(st.complex),
                st.complex,
                st.fast_keys
            );
        }
        let (md5, sha1, sha256) = set.file_hashes_used();
        intel_hashes = FileHashes { md5, sha1, sha256 };
        Some(Arc::new(Mutex::new(set)))
    };
    reefwatch_sensor::it_config::configure(reefwatch_sensor::it_config::ItConfig {
        http_request_body_depth: a.http_body_depth,
        http_response_body_depth: a.http_body_depth,
        http_decompress: a.http_decompress,
        file_hashes: logged_hashes.union(intel_hashes),
    });
    let (rules, rules_skipped) = match load_rules(&a) {
        Ok(Some((r, n))) => (Some(Arc::new(reefwatch_sensor::rules::RuleSlot::new(r))), n),
        Ok(None) => (None, 0),
        Err(e) => {
            eprintln!("reefwatch: rules: {e}");
            return 2;
        }
    };
    let opts = AnalyzeOptions {
        rules,
        rules_skipped,
        inputs: a.paths,
        eve: eve.clone(),
        threads: a.threads.max(1),
        engine,
        progress: !a.quiet && std::io::stderr().is_terminal(),
        intel: intel.clone(),
    };
    let mut summary = analyze(opts);
    // the last reference: the file is closed here, once its data is
    // committed (what close(2) could still report, fsync reports)
    drop(eve);
    if let (Some(s), None) = (&eve_sync, &summary.eve_write_error) {
        if let Err(e) = s.commit() {
            summary.eve_write_error = Some(e);
        }
    }
    let mut code = summary.exit_code();
    if let Some(set) = intel {
        let bundle = match set.lock() {
            Ok(s) => s.sightings_bundle(&a.sensor_name),
            Err(p) => p.into_inner().sightings_bundle(&a.sensor_name),
        };
        let text = serde_json::to_string_pretty(&bundle).unwrap_or_default();
        if let Err(e) = std::fs::write(&a.sightings, text + "\n") {
            eprintln!(
                "reefwatch: cannot write sightings to {}: {e}",
                a.sightings.display()
            );
            code = code.max(1);
        } else if !a.quiet {
            eprintln!(
                "reefwatch: intel: sightings written to {}",
                a.sightings.display()
            );
        }
    }
    // problems always reach stderr, whatever happens to stdout
    for w in &summary.warnings {
        eprintln!("reefwatch: warning: {w}");
    }
    for e in &summary.errors {
        eprintln!("reefwatch: error: {e}");
    }
    if let Some(e) = &summary.eve_write_error {
        eprintln!("reefwatch: error: {e}");
    }
    if !a.quiet {
        // on one terminal the problems just printed are not repeated
        let same_screen =
            to_stdout || (std::io::stdout().is_terminal() && std::io::stderr().is_terminal());
        let text = match a.summary {
            SummaryFormat::Text => summary.to_text_with(!same_screen),
            SummaryFormat::Json => summary.to_json() + "\n",
        };
        if to_stdout {
            eprint!("{text}");
        } else {
            print!("{text}");
        }
    }
    code
}
