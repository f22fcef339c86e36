//! Loading rule files: lines (with `\` continuations), comments, and the
//! report of every rule that did not load.
//!
//! A rule either loads whole or is skipped with its file, line, sid (when
//! one can be read from the text) and reason; nothing is half-loaded.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::ParseError;
use crate::parse::options::parse_rule;
use crate::rule::Rule;
use crate::vars::{Classifications, Vars};

/// Most bytes read from one rule file.
pub const MAX_FILE: u64 = 512 * 1024 * 1024;

/// A rule that did not load.
#[derive(Debug, Clone)]
pub struct Skipped {
    pub file: PathBuf,
    pub line: usize,
    pub sid: Option<u32>,
    pub error: ParseError,
}

/// Where a loaded rule came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    pub file: usize,
    pub line: usize,
}

/// Rules loaded from one or more files.
#[derive(Debug, Default)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    pub origins: Vec<Origin>,
    pub files: Vec<PathBuf>,
    pub skipped: Vec<Skipped>,
    /// Rules whose sid (with gid) was already loaded: skipped as Suricata does.
    pub duplicates: usize,
}

impl RuleSet {
    pub fn new() -> RuleSet {
        RuleSet::default()
    }

    /// Loads one file's text. Returns the number of rules loaded from it.
    pub fn load_str(
        &mut self,
        file: &Path,
        text: &str,
        vars: &Vars,
        classes: Option<&Classifications>,
    ) -> usize {
        let file_idx = self.files.len();
        self.files.push(file.to_path_buf());
        let mut loaded = 0;
        let mut seen: hashbrown::HashSet<(u32, u32), foldhash::fast::RandomState> = self
            .rules
            .iter()
            .map(|r| (r.meta.gid, r.meta.sid))
            .collect();
        for (line, rule) in logical_lines(text) {
            match parse_rule(&rule, vars, classes) {
                Ok(r) => {
                    if !seen.insert((r.meta.gid, r.meta.sid)) {
                        self.duplicates += 1;
                        self.skipped.push(Skipped {
                            file: file.to_path_buf(),
                            line,
                            sid: Some(r.meta.sid),
                            error: ParseError::new(format!(
                                "duplicate signature {}:{}",
                                r.meta.gid, r.meta.sid
                            ))
                            .at("sid"),
                        });
                        continue;
                    }
                    self.rules.push(r);
                    self.origins.push(Origin {
                        file: file_idx,
                        line,
                    });
                    loaded += 1;
                }
                Err(error) => self.skipped.push(Skipped {
                    file: file.to_path_buf(),
                    line,
                    sid: sniff_sid(&rule),
                    error,
                }),
            }
        }
        loaded
    }

    /// Reads and loads a file.
    pub fn load_file(
        &mut self,
        file: &Path,
        vars: &Vars,
        classes: Option<&Classifications>,
    ) -> std::io::Result<usize> {
        use std::io::Read;
        let mut buf = Vec::new();
        std::fs::File::open(file)?
            .take(MAX_FILE)
            .read_to_end(&mut buf)?;
        let text = String::from_utf8_lossy(&buf);
        Ok(self.load_str(file, &text, vars, classes))
    }

    /// Skip reasons with their counts, most frequent first.
    pub fn skip_summary(&self) -> Vec<(String, usize)> {
        let mut m: BTreeMap<String, usize> = BTreeMap::new();
        for s in &self.skipped {
            *m.entry(s.error.summary()).or_default() += 1;
        }
        let mut v: Vec<_> = m.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v
    }
}

/// The rules of a file as (first line number, text): blank lines and `#`
/// comments skipped, a line ending in `\` continued on the next.
pub fn logical_lines(text: &str) -> impl Iterator<Item = (usize, String)> + '_ {
    let mut lines = text.lines().enumerate();
    std::iter::from_fn(move || loop {
        let (n, l) = lines.next()?;
        let t = l.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let mut rule = String::new();
        let mut cur = t;
        loop {
            match cur.strip_suffix('\\') {
                Some(head) => {
                    rule.push_str(head);
                    match lines.next() {
                        Some((_, next)) => cur = next.trim(),
                        None => break,
                    }
                }
                None => {
                    rule.push_str(cur);
                    break;
                }
            }
            if rule.len() > crate::parse::MAX_RULE_LEN {
                break;
            }
        }
        return Some((n + 1, rule));
    })
}

/// The sid of a rule that did not parse, if its text shows one.
fn sniff_sid(rule: &str) -> Option<u32> {
    let mut from = 0;
    while let Some(i) = rule[from..].find("sid") {
        let at = from + i;
        from = at + 3;
        let before = rule[..at].trim_end();
        if !(before.ends_with(';') || before.ends_with('(')) {
            continue;
        }
        let rest = rule[at + 3..].trim_start();
        if let Some(v) = rest.strip_prefix(':') {
            let digits: String = v
                .trim_start()
                .chars()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            if let Ok(s) = digits.parse() {
                return Some(s);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuation_and_comments() {
        let t = "# c\n\nalert tcp any any -> any any (msg:\"a\"; \\\n  sid:1;)\n#alert x\nalert udp any any -> any any (sid:2;)\n";
        let v: Vec<_> = logical_lines(t).collect();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].0, 3);
        assert_eq!(v[0].1, "alert tcp any any -> any any (msg:\"a\"; sid:1;)");
        assert_eq!(v[1].0, 6);
    }

    #[test]
    fn sid_sniffing() {
        assert_eq!(
            sniff_sid("alert foo (msg:\"sid:9\"; sid: 42; rev:1;)"),
            Some(42)
        );
        assert_eq!(sniff_sid("alert tcp (msg:\"x\";)"), None);
    }
}
