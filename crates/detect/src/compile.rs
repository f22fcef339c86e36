//! Compile step: rule groups, fast-pattern choice, one multi-pattern
//! prefilter per (group, buffer).
//!
//! * A rule's group is its protocol (the application protocol when the
//!   header or its keywords name one, else the transport: ip, tcp, udp,
//!   icmp) and its direction (`flow:to_server` / `to_client`, else either).
//! * Its fast pattern is chosen as Suricata does: the content marked
//!   `fast_pattern`, else, among the non-negated contents of the buffers of
//!   the highest prefilter priority, the longest (the first on a tie).
//!   Short, low-entropy buffers (http.method, http.stat_code,
//!   http.protocol) rank below the others, as in Suricata. A rule with no
//!   usable content has no fast pattern: it is a candidate of every
//!   inspection of its group (`always`).
//! * Each (group, buffer) has up to two aho-corasick automata (exact and
//!   ASCII case-insensitive patterns), each pattern mapped to the rules it
//!   prefilters. The matcher then confirms each candidate rule in full.
use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use crate::keywords::buffer::{Buffer, BufferId};
use crate::keywords::content::Content;
use crate::parse::header::{AppProto, Direction, Protocol};
use crate::rule::{BufMatch, Rule};

/// The protocol part of a group key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProtoKey {
    Ip,
    Tcp,
    Udp,
    Icmp,
    App(AppProto),
}

/// The direction part of a group key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DirKey {
    ToServer,
    ToClient,
    Either,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupKey {
    pub proto: ProtoKey,
    pub dir: DirKey,
}

/// The group of a rule.
pub fn group_of(rule: &Rule) -> GroupKey {
    let proto = match (rule.app_proto, rule.header.protocol) {
        (Some(a), _) => ProtoKey::App(a),
        (None, Protocol::Tcp | Protocol::TcpPkt | Protocol::TcpStream) => ProtoKey::Tcp,
        (None, Protocol::Udp) => ProtoKey::Udp,
        (None, Protocol::Icmp | Protocol::Icmpv4 | Protocol::Icmpv6) => ProtoKey::Icmp,
        (None, _) => ProtoKey::Ip,
    };
    let dir = match (rule.flow(), rule.header.direction) {
        (_, Direction::Both) => DirKey::Either,
        (Some(f), _) if f.to_server => DirKey::ToServer,
        (Some(f), _) if f.to_client => DirKey::ToClient,
        _ => DirKey::Either,
    };
    GroupKey { proto, dir }
}

/// Prefilter priority of a buffer (higher is preferred).
pub fn buffer_priority(b: Buffer) -> u8 {
    match b {
        Buffer::App(BufferId::HttpMethod | BufferId::HttpStatCode | BufferId::HttpProtocol) => 1,
        _ => 2,
    }
}

/// Where a rule's fast pattern is: list index and match index.
pub fn choose_fast_pattern(rule: &Rule) -> Option<(usize, usize)> {
    let contents = || {
        rule.lists.iter().enumerate().flat_map(|(li, l)| {
            l.matches
                .iter()
                .enumerate()
                .filter_map(move |(mi, m)| match m {
                    BufMatch::Content(c) => Some((li, mi, l.buffer, c)),
                    _ => None,
                })
        })
    };
    if let Some((li, mi, _, c)) = contents().find(|(_, _, _, c)| c.fast_pattern.is_some()) {
        // an explicit fast_pattern on a negated content cannot prefilter
        return (!c.negated).then_some((li, mi));
    }
    let mut best: Option<(u8, usize, usize, usize)> = None;
    for (li, mi, b, c) in contents() {
        if c.negated {
            continue;
        }
        let key = (buffer_priority(b), c.fast_bytes().len());
        match best {
            Some((p, len, _, _)) if (p, len) >= key => {}
            _ => best = Some((key.0, key.1, li, mi)),
        }
    }
    best.map(|(_, _, li, mi)| (li, mi))
}

fn content_at(rule: &Rule, at: (usize, usize)) -> &Content {
    match &rule.lists[at.0].matches[at.1] {
        BufMatch::Content(c) => c,
        _ => unreachable!("fast pattern points at a content"),
    }
}

/// One automaton and, per pattern, the rules it prefilters.
#[derive(Debug)]
struct Automaton {
    ac: AhoCorasick,
    rules: Vec<Vec<u32>>,
}

impl Automaton {
    fn build(patterns: Vec<(Vec<u8>, Vec<u32>)>, nocase: bool) -> Option<Automaton> {
        if patterns.is_empty() {
            return None;
        }
        // small sets get a DFA (fastest scan); large ones the contiguous
        // NFA, whose build stays linear in the patterns' size
        let kind = if patterns.len() <= 64 {
            AhoCorasickKind::DFA
        } else {
            AhoCorasickKind::ContiguousNFA
        };
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .ascii_case_insensitive(nocase)
            .kind(Some(kind))
            .build(patterns.iter().map(|(p, _)| p))
            .ok()?;
        Some(Automaton {
            ac,
            rules: patterns.into_iter().map(|(_, r)| r).collect(),
        })
    }
}

/// The prefilter of one (group, buffer).
#[derive(Debug, Default)]
pub struct Prefilter {
    exact: Option<Automaton>,
    nocase: Option<Automaton>,
    pub patterns: usize,
}

/// The rules of one group.
#[derive(Debug, Default)]
pub struct Group {
    pub prefilters: HashMap<Buffer, Prefilter>,
    /// Rules without a fast pattern: candidates of every inspection.
    pub always: Vec<u32>,
    pub rules: usize,
}

/// A compiled, immutable rule set (swap the whole value to reload).
#[derive(Debug, Default)]
pub struct Compiled {
    pub groups: HashMap<GroupKey, Group>,
    /// Per rule: its fast pattern (list, match), if any.
    pub fast_patterns: Vec<Option<(usize, usize)>>,
}

impl Compiled {
    pub fn build(rules: &[Rule]) -> Compiled {
        type Pending = HashMap<(Vec<u8>, bool), Vec<u32>>;
        let mut pending: HashMap<(GroupKey, Buffer), Pending> = HashMap::new();
        let mut out = Compiled::default();
        for (i, r) in rules.iter().enumerate() {
            let g = group_of(r);
            let fp = choose_fast_pattern(r);
            out.fast_patterns.push(fp);
            let grp = out.groups.entry(g).or_default();
            grp.rules += 1;
            match fp {
                Some(at) => {
                    let c = content_at(r, at);
                    let buffer = r.lists[at.0].buffer;
                    let mut bytes = c.fast_bytes().to_vec();
                    if c.nocase {
                        bytes.make_ascii_lowercase();
                    }
                    pending
                        .entry((g, buffer))
                        .or_default()
                        .entry((bytes, c.nocase))
                        .or_default()
                        .push(i as u32);
                }
                None => grp.always.push(i as u32),
            }
        }
        for ((g, b), pats) in pending {
            let (mut exact, mut nocase) = (Vec::new(), Vec::new());
            for ((p, ci), rules) in pats {
                if ci {
                    nocase.push((p, rules));
                } else {
                    exact.push((p, rules));
                }
            }
            exact.sort();
            nocase.sort();
            let patterns = exact.len() + nocase.len();
            let pf = Prefilter {
                exact: Automaton::build(exact, false),
                nocase: Automaton::build(nocase, true),
                patterns,
            };
            if let Some(grp) = out.groups.get_mut(&g) {
                grp.prefilters.insert(b, pf);
            }
        }
        out
    }

    /// The groups a packet or buffer of `proto` in direction `dir` is
    /// inspected against (its own direction and either).
    pub fn groups_for(&self, proto: ProtoKey, to_server: bool) -> impl Iterator<Item = &Group> {
        let dir = if to_server {
            DirKey::ToServer
        } else {
            DirKey::ToClient
        };
        [dir, DirKey::Either]
            .into_iter()
            .filter_map(move |d| self.groups.get(&GroupKey { proto, dir: d }))
    }

    /// Total prefilter patterns.
    pub fn pattern_count(&self) -> usize {
        self.groups
            .values()
            .flat_map(|g| g.prefilters.values())
            .map(|p| p.patterns)
            .sum()
    }
}

impl Group {
    /// Appends to `out` the rules whose fast pattern occurs in `data`
    /// (inspected as `buffer`), then the group's rules without one. The
    /// same rule may appear twice; callers sort and dedup.
    pub fn candidates(&self, buffer: Buffer, data: &[u8], out: &mut Vec<u32>) {
        if let Some(pf) = self.prefilters.get(&buffer) {
            for a in [&pf.exact, &pf.nocase].into_iter().flatten() {
                for m in a.ac.find_overlapping_iter(data) {
                    out.extend_from_slice(&a.rules[m.pattern().as_usize()]);
                }
            }
        }
        out.extend_from_slice(&self.always);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{parse_rule, Vars};

    fn rule(s: &str) -> Rule {
        parse_rule(s, &Vars::suricata_defaults(), None).unwrap()
    }

    #[test]
    fn fast_pattern_choice() {
        // longest content of the highest-priority buffer; http.method ranks low
        let r = rule("alert http any any -> any any (http.method; content:\"POSTING\"; http.uri; content:\"/a.php\"; sid:1;)");
        assert_eq!(
            r.lists[choose_fast_pattern(&r).unwrap().0].buffer,
            Buffer::App(BufferId::HttpUri)
        );
        let r = rule("alert tcp any any -> any any (content:\"ab\"; content:\"abcd\"; content:\"wxyz\"; sid:2;)");
        assert_eq!(choose_fast_pattern(&r), Some((0, 1)));
        // an explicit fast_pattern wins
        let r = rule("alert tcp any any -> any any (content:\"ab\"; fast_pattern; content:\"abcdef\"; sid:3;)");
        assert_eq!(choose_fast_pattern(&r), Some((0, 0)));
        // negated contents never prefilter
        let r = rule("alert tcp any any -> any any (content:!\"abcdef\"; sid:4;)");
        assert_eq!(choose_fast_pattern(&r), None);
    }

    #[test]
    fn prefilter_finds_candidates() {
        let rules = vec![
            rule("alert tcp any any -> any any (flow:to_server; content:\"EVIL\"; nocase; sid:1;)"),
            rule("alert tcp any any -> any any (flow:to_server; content:\"Exact\"; sid:2;)"),
            rule("alert tcp any any -> any any (flow:to_client; content:\"EVIL\"; sid:3;)"),
            rule("alert tcp any any -> any any (dsize:>10; sid:4;)"),
            rule("alert http any any -> any any (http.uri; content:\"/x.php\"; fast_pattern:1,4; sid:5;)"),
        ];
        let c = Compiled::build(&rules);
        let mut out = Vec::new();
        for g in c.groups_for(ProtoKey::Tcp, true) {
            g.candidates(Buffer::Payload, b"xx evil EXACT exact", &mut out);
        }
        out.sort_unstable();
        out.dedup();
        assert_eq!(out, vec![0, 3]);
        out.clear();
        for g in c.groups_for(ProtoKey::Tcp, true) {
            g.candidates(Buffer::Payload, b"Exact", &mut out);
        }
        out.sort_unstable();
        assert_eq!(out, vec![1, 3]);
        out.clear();
        for g in c.groups_for(ProtoKey::App(AppProto::Http), true) {
            g.candidates(Buffer::App(BufferId::HttpUri), b"/y/x.ph", &mut out);
        }
        assert_eq!(out, vec![4]); // the slice "x.ph" is the fast pattern
        assert_eq!(c.pattern_count(), 4);
    }
}
