//! Parsing all of ET Open (../shared/rules/et-open-2024-all.rules, 24,827
//! rules) into a RuleSet; skipped when ../shared is absent. The fixture
//! sample (testdata/rules) is always measured.
//! `cargo bench -p reefwatch-detect --bench load`
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use reefwatch_detect::{Classifications, RuleSet, Vars};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn bench_file(c: &mut Criterion, name: &str, path: &Path, classes: &Classifications) {
    let Ok(text) = std::fs::read_to_string(path) else {
        eprintln!("{name}: {} absent, skipped", path.display());
        return;
    };
    let vars = Vars::suricata_defaults();
    let n = reefwatch_detect::load::logical_lines(&text).count() as u64;
    let mut g = c.benchmark_group("load");
    g.sample_size(10);
    g.throughput(Throughput::Elements(n));
    g.bench_function(name, |b| {
        b.iter(|| {
            let mut set = RuleSet::new();
            set.load_str(path, &text, &vars, Some(classes));
            set.rules.len()
        })
    });
    g.finish();
}

fn load(c: &mut Criterion) {
    let ct = std::fs::read_to_string(root().join("testdata/rules/classification.config"))
        .unwrap_or_default();
    let (classes, _) = Classifications::parse(&ct);
    bench_file(
        c,
        "et_sample",
        &root().join("testdata/rules/et-open-sample.rules"),
        &classes,
    );
    bench_file(
        c,
        "et_open_all",
        &root().join("../shared/rules/et-open-2024-all.rules"),
        &classes,
    );
}

criterion_group!(benches, load);
criterion_main!(benches);
