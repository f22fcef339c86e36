//! Recursive-descent parser for STIX 2.1 patterns.

use super::lexer::{tokenize, Kw, Tok, Token};
use super::*;

/// How strictly to parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strictness {
    /// The grammar plus the OASIS pattern validator's extra rules: one
    /// qualifier of each type directly on a `[ … ]`, and well-formed digests
    /// in comparisons on `hashes.MD5`, `hashes.'SHA-256'` …. Used to
    /// validate patterns (`validate_object`, `reefwatch intel
    /// validate-pattern`).
    Validator,
    /// The grammar only, as the OASIS reference matcher accepts. Used to
    /// evaluate patterns (`reefwatch intel match`, the sensor).
    Grammar,
}

/// Parses a STIX 2.1 pattern with the validator's rules ([`Strictness::Validator`]).
pub fn parse(src: &str) -> Result<Pattern, PatternError> {
    parse_with(src, Strictness::Validator)
}

/// Parses a STIX 2.1 pattern with the given strictness.
pub fn parse_with(src: &str, strictness: Strictness) -> Result<Pattern, PatternError> {
    if src.len() > MAX_PATTERN_LEN {
        return Err(PatternError {
            pos: MAX_PATTERN_LEN,
            msg: format!("pattern longer than {MAX_PATTERN_LEN} bytes"),
        });
    }
    let toks = tokenize(src, MAX_TOKENS)?;
    let mut p = Parser {
        toks: &toks,
        i: 0,
        depth: 0,
        end: src.len(),
        strict: strictness == Strictness::Validator,
    };
    if p.toks.is_empty() {
        return Err(p.err_here("empty pattern: expected '[' or '('"));
    }
    let root = p.obs_followedby()?;
    if p.i < p.toks.len() {
        return Err(p.err_here(format!(
            "unexpected {} after the end of the pattern",
            p.describe()
        )));
    }
    Ok(Pattern { root })
}

struct Parser<'a> {
    toks: &'a [Token],
    i: usize,
    depth: usize,
    end: usize,
    strict: bool,
}

enum Postfix {
    None,
    /// After a `[ … ]`: qualifier kinds applied directly so far.
    Simple {
        within: bool,
        repeats: bool,
        startstop: bool,
    },
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&'a Tok> {
        self.toks.get(self.i).map(|t| &t.tok)
    }

    fn pos(&self) -> usize {
        self.toks.get(self.i).map_or(self.end, |t| t.pos)
    }

    fn describe(&self) -> String {
        match self.peek() {
            None => "end of pattern".into(),
            Some(t) => describe_tok(t),
        }
    }

    fn err_here(&self, msg: impl Into<String>) -> PatternError {
        PatternError {
            pos: self.pos(),
            msg: msg.into(),
        }
    }

    fn expected(&self, what: &str) -> PatternError {
        self.err_here(format!("expected {what}, found {}", self.describe()))
    }

    fn eat(&mut self, t: &Tok) -> bool {
        if self.peek() == Some(t) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn eat_kw(&mut self, k: Kw) -> bool {
        self.eat(&Tok::Kw(k))
    }

    fn enter(&mut self) -> Result<(), PatternError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err_here(format!("nesting deeper than {MAX_DEPTH}")));
        }
        Ok(())
    }

    // ---- observation expressions ----

    fn obs_followedby(&mut self) -> Result<ObsExpr, PatternError> {
        let mut lhs = self.obs_or()?;
        let mut n = 0;
        while self.eat_kw(Kw::FollowedBy) {
            // FOLLOWEDBY nests to the left: bound the tree depth.
            n += 1;
            if n >= MAX_CHAIN {
                return Err(self.err_here(format!(
                    "more than {MAX_CHAIN} FOLLOWEDBY operands in a row"
                )));
            }
            let rhs = self.obs_or()?;
            lhs = ObsExpr::FollowedBy(Box::new(lhs), Box::new(rhs));
        }
        Ok(lhs)
    }

    fn obs_or(&mut self) -> Result<ObsExpr, PatternError> {
        let first = self.obs_and()?;
        if self.peek() != Some(&Tok::Kw(Kw::Or)) {
            return Ok(first);
        }
        let mut v = vec![first];
        while self.eat_kw(Kw::Or) {
            v.push(self.obs_and()?);
        }
        Ok(ObsExpr::Or(v))
    }

    fn obs_and(&mut self) -> Result<ObsExpr, PatternError> {
        let first = self.obs_qualified()?;
        if self.peek() != Some(&Tok::Kw(Kw::And)) {
            return Ok(first);
        }
        let mut v = vec![first];
        while self.eat_kw(Kw::And) {
            v.push(self.obs_qualified()?);
        }
        Ok(ObsExpr::And(v))
    }

    fn obs_qualified(&mut self) -> Result<ObsExpr, PatternError> {
        let (mut e, mut post) = self.obs_primary()?;
        let mut quals = 0;
        loop {
            let qpos = self.pos();
            let kind = match self.peek() {
                Some(Tok::Kw(Kw::Within)) => 0,
                Some(Tok::Kw(Kw::Repeats)) => 1,
                Some(Tok::Kw(Kw::Start)) => 2,
                _ => break,
            };
            // Like the OASIS validator: a qualifier type may be applied only
            // once directly to a `[ … ]` (wrap in parentheses to repeat it).
            if let (
                true,
                Postfix::Simple {
                    within,
                    repeats,
                    startstop,
                },
            ) = (self.strict, &mut post)
            {
                let seen = match kind {
                    0 => within,
                    1 => repeats,
                    _ => startstop,
                };
                if *seen {
                    return Err(PatternError {
                        pos: qpos,
                        msg: "duplicate qualifier type on one observation expression (use parentheses)".into(),
                    });
                }
                *seen = true;
            }
            quals += 1;
            if quals > MAX_QUALIFIERS {
                return Err(PatternError {
                    pos: qpos,
                    msg: format!("more than {MAX_QUALIFIERS} qualifiers on one expression"),
                });
            }
            self.i += 1;
            e = match kind {
                0 => {
                    let npos = self.pos();
                    let ns = match self.peek() {
                        Some(Tok::Int(n)) if *n > 0 => i128::from(*n) * 1_000_000_000,
                        Some(Tok::Float(f)) if *f > 0.0 && f.is_finite() && *f < 1e12 => {
                            (*f * 1e9) as i128
                        }
                        Some(Tok::Int(_)) | Some(Tok::Float(_)) => {
                            return Err(PatternError {
                                pos: npos,
                                msg: "WITHIN needs a positive number of seconds".into(),
                            })
                        }
                        _ => return Err(self.expected("a number of seconds after WITHIN")),
                    };
                    if ns <= 0 {
                        return Err(PatternError {
                            pos: npos,
                            msg: "WITHIN duration rounds to zero".into(),
                        });
                    }
                    self.i += 1;
                    if !self.eat_kw(Kw::Seconds) {
                        return Err(self.expected("SECONDS"));
                    }
                    ObsExpr::Within(Box::new(e), ns)
                }
                1 => {
                    let npos = self.pos();
                    let n = match self.peek() {
                        Some(Tok::Int(n)) if *n > 0 && *n <= i64::from(MAX_REPEATS) => *n as u32,
                        Some(Tok::Int(n)) if *n > 0 => {
                            return Err(PatternError {
                                pos: npos,
                                msg: format!("REPEATS count above the limit of {MAX_REPEATS}"),
                            })
                        }
                        Some(Tok::Int(_)) => {
                            return Err(PatternError {
                                pos: npos,
                                msg: "REPEATS needs a positive integer".into(),
                            })
                        }
                        _ => return Err(self.expected("a positive integer after REPEATS")),
                    };
                    self.i += 1;
                    if !self.eat_kw(Kw::Times) {
                        return Err(self.expected("TIMES"));
                    }
                    ObsExpr::Repeats(Box::new(e), n)
                }
                _ => {
                    let start = match self.peek() {
                        Some(Tok::Ts(t)) => *t,
                        _ => return Err(self.expected("a timestamp literal t'…' after START")),
                    };
                    self.i += 1;
                    if !self.eat_kw(Kw::Stop) {
                        return Err(self.expected("STOP"));
                    }
                    let stop_pos = self.pos();
                    let stop = match self.peek() {
                        Some(Tok::Ts(t)) => *t,
                        _ => return Err(self.expected("a timestamp literal t'…' after STOP")),
                    };
                    self.i += 1;
                    let _ = stop_pos;
                    ObsExpr::StartStop(Box::new(e), start, stop)
                }
            };
        }
        Ok(e)
    }

    fn obs_primary(&mut self) -> Result<(ObsExpr, Postfix), PatternError> {
        match self.peek() {
            Some(Tok::LBrack) => {
                self.i += 1;
                self.enter()?;
                let c = self.comp_or()?;
                if !self.eat(&Tok::RBrack) {
                    return Err(self.expected("']' or AND/OR"));
                }
                self.depth -= 1;
                Ok((
                    ObsExpr::Simple(c),
                    Postfix::Simple {
                        within: false,
                        repeats: false,
                        startstop: false,
                    },
                ))
            }
            Some(Tok::LParen) => {
                self.i += 1;
                self.enter()?;
                let e = self.obs_followedby()?;
                if !self.eat(&Tok::RParen) {
                    return Err(self.expected("')' or AND/OR/FOLLOWEDBY"));
                }
                self.depth -= 1;
                Ok((e, Postfix::None))
            }
            _ => Err(self.expected("'[' or '(' to start an observation expression")),
        }
    }

    // ---- comparison expressions ----

    fn comp_or(&mut self) -> Result<CompExpr, PatternError> {
        let first = self.comp_and()?;
        if self.peek() != Some(&Tok::Kw(Kw::Or)) {
            return Ok(first);
        }
        let mut v = vec![first];
        while self.eat_kw(Kw::Or) {
            v.push(self.comp_and()?);
        }
        Ok(CompExpr::Or(v))
    }

    fn comp_and(&mut self) -> Result<CompExpr, PatternError> {
        let first = self.prop_test()?;
        if self.peek() != Some(&Tok::Kw(Kw::And)) {
            return Ok(first);
        }
        let mut v = vec![first];
        while self.eat_kw(Kw::And) {
            v.push(self.prop_test()?);
        }
        Ok(CompExpr::And(v))
    }

    fn prop_test(&mut self) -> Result<CompExpr, PatternError> {
        if self.eat(&Tok::LParen) {
            self.enter()?;
            let c = self.comp_or()?;
            if !self.eat(&Tok::RParen) {
                return Err(self.expected("')' or AND/OR"));
            }
            self.depth -= 1;
            return Ok(c);
        }
        let pos = self.pos();
        if self.eat_kw(Kw::Exists) {
            let path = self.object_path()?;
            return Ok(CompExpr::Test(Box::new(Comparison {
                path,
                negated: false,
                op: Op::Exists,
                pos,
            })));
        }
        let path = self.object_path()?;
        let negated = self.eat_kw(Kw::Not);
        let op_pos = self.pos();
        let tok = self.peek().cloned();
        let op = match tok {
            Some(Tok::Eq) | Some(Tok::Ne) => {
                self.i += 1;
                let lit = self.primitive_literal()?;
                if tok == Some(Tok::Eq) {
                    Op::Eq(lit)
                } else {
                    Op::Ne(lit)
                }
            }
            Some(Tok::Lt) | Some(Tok::Le) | Some(Tok::Gt) | Some(Tok::Ge) => {
                self.i += 1;
                let lpos = self.pos();
                let lit = self.primitive_literal()?;
                if matches!(lit, Literal::Bool(_)) {
                    return Err(PatternError {
                        pos: lpos,
                        msg: "booleans cannot be ordered (<, >, <=, >=)".into(),
                    });
                }
                match tok {
                    Some(Tok::Lt) => Op::Lt(lit),
                    Some(Tok::Le) => Op::Le(lit),
                    Some(Tok::Gt) => Op::Gt(lit),
                    _ => Op::Ge(lit),
                }
            }
            Some(Tok::Kw(Kw::In)) => {
                self.i += 1;
                Op::In(self.set_literal()?)
            }
            Some(Tok::Kw(k @ (Kw::Like | Kw::Matches | Kw::IsSubset | Kw::IsSuperset))) => {
                self.i += 1;
                let spos = self.pos();
                let s = match self.peek() {
                    Some(Tok::Str(s)) => s.clone(),
                    _ => return Err(self.expected("a string literal")),
                };
                self.i += 1;
                match k {
                    Kw::Like => {
                        let re = like_regex(&super::eval::nfc_string(&s))
                            .map_err(|m| PatternError { pos: spos, msg: m })?;
                        Op::Like(s, Box::new(re))
                    }
                    Kw::Matches => match compile_matches(&super::eval::nfc_string(&s)) {
                        Ok((t, b)) => Op::Matches(s, Box::new(t), b.map(Box::new)),
                        // Valid PCRE that the Rust engine cannot run is still
                        // a valid pattern: validation accepts it (with a regex
                        // that matches nothing); evaluation (Grammar) rejects.
                        Err(m) if self.strict && m.starts_with(UNSUPPORTED) => {
                            let never =
                                regex::Regex::new(r"[^\s\S]").map_err(|e| PatternError {
                                    pos: spos,
                                    msg: e.to_string(),
                                })?;
                            Op::Matches(s, Box::new(never), None)
                        }
                        Err(m) => return Err(PatternError { pos: spos, msg: m }),
                    },
                    Kw::IsSubset => Op::IsSubset(s),
                    _ => Op::IsSuperset(s),
                }
            }
            _ => {
                return Err(PatternError {
                    pos: op_pos,
                    msg: format!("expected a comparison operator, found {}", self.describe()),
                })
            }
        };
        if self.strict {
            check_hash_literal(&path, &op).map_err(|m| PatternError {
                pos: op_pos,
                msg: m,
            })?;
        }
        Ok(CompExpr::Test(Box::new(Comparison {
            path,
            negated,
            op,
            pos,
        })))
    }

    fn object_path(&mut self) -> Result<ObjectPath, PatternError> {
        let obj_type = match self.peek() {
            Some(Tok::Ident(s, _)) => s.clone(),
            _ => return Err(self.expected("an object type (e.g. file, ipv4-addr)")),
        };
        self.i += 1;
        if !self.eat(&Tok::Colon) {
            return Err(self.expected("':' after the object type"));
        }
        let mut steps = Vec::new();
        match self.peek() {
            Some(Tok::Ident(s, false)) => steps.push(Step::Key(s.clone())),
            Some(Tok::Str(s)) => steps.push(Step::Key(s.clone())),
            Some(Tok::Ident(_, true)) => {
                return Err(self.err_here("property names with '-' must be quoted ('like-this')"))
            }
            _ => return Err(self.expected("a property name")),
        }
        self.i += 1;
        loop {
            match self.peek() {
                Some(Tok::Dot) => {
                    self.i += 1;
                    match self.peek() {
                        Some(Tok::Ident(s, false)) => steps.push(Step::Key(s.clone())),
                        Some(Tok::Str(s)) => steps.push(Step::Key(s.clone())),
                        Some(Tok::Ident(_, true)) => {
                            return Err(self
                                .err_here("property names with '-' must be quoted ('like-this')"))
                        }
                        _ => return Err(self.expected("a property name after '.'")),
                    }
                    self.i += 1;
                }
                // A float token such as `.5` cannot follow a path; a number
                // right after a path is a syntax error reported by the caller.
                Some(Tok::LBrack) => {
                    self.i += 1;
                    match self.peek() {
                        Some(Tok::Int(n)) => steps.push(Step::Index(*n)),
                        Some(Tok::Star) => steps.push(Step::Star),
                        _ => return Err(self.expected("a list index or '*'")),
                    }
                    self.i += 1;
                    if !self.eat(&Tok::RBrack) {
                        return Err(self.expected("']' after the list index"));
                    }
                }
                _ => break,
            }
            if steps.len() > 256 {
                return Err(self.err_here("object path longer than 256 steps"));
            }
        }
        Ok(ObjectPath { obj_type, steps })
    }

    fn primitive_literal(&mut self) -> Result<Literal, PatternError> {
        let lit = match self.peek() {
            Some(Tok::Str(s)) => Literal::Str(s.clone()),
            Some(Tok::Int(n)) => Literal::Int(*n),
            Some(Tok::Float(f)) => Literal::Float(*f),
            Some(Tok::Bool(b)) => Literal::Bool(*b),
            Some(Tok::Hex(b)) | Some(Tok::Bin(b)) => Literal::Bin(b.clone()),
            Some(Tok::Ts(t)) => Literal::Ts(*t),
            _ => return Err(self.expected("a literal (string, number, boolean, b'', h'', t'')")),
        };
        self.i += 1;
        Ok(lit)
    }

    fn set_literal(&mut self) -> Result<Vec<Literal>, PatternError> {
        if !self.eat(&Tok::LParen) {
            return Err(self.expected("'(' to start a set"));
        }
        let mut v = Vec::new();
        if self.eat(&Tok::RParen) {
            return Ok(v);
        }
        let first_pos = self.pos();
        loop {
            let lpos = self.pos();
            let lit = self.primitive_literal()?;
            if let Some(first) = v.first() {
                if !same_kind(first, &lit) {
                    return Err(PatternError {
                        pos: lpos,
                        msg: "set members must all be of one type".into(),
                    });
                }
            }
            v.push(lit);
            if self.eat(&Tok::RParen) {
                break;
            }
            if !self.eat(&Tok::Comma) {
                return Err(self.expected("',' or ')' in a set"));
            }
        }
        let _ = first_pos;
        Ok(v)
    }
}

/// Set members must be homogeneous; ints and floats count as one kind.
fn same_kind(a: &Literal, b: &Literal) -> bool {
    use Literal::*;
    matches!(
        (a, b),
        (Str(_), Str(_))
            | (Int(_) | Float(_), Int(_) | Float(_))
            | (Bool(_), Bool(_))
            | (Bin(_), Bin(_))
            | (Ts(_), Ts(_))
    )
}

fn describe_tok(t: &Tok) -> String {
    match t {
        Tok::LBrack => "'['".into(),
        Tok::RBrack => "']'".into(),
        Tok::LParen => "'('".into(),
        Tok::RParen => "')'".into(),
        Tok::Comma => "','".into(),
        Tok::Colon => "':'".into(),
        Tok::Dot => "'.'".into(),
        Tok::Star => "'*'".into(),
        Tok::Eq => "'='".into(),
        Tok::Ne => "'!='".into(),
        Tok::Lt => "'<'".into(),
        Tok::Le => "'<='".into(),
        Tok::Gt => "'>'".into(),
        Tok::Ge => "'>='".into(),
        Tok::Ident(s, _) => format!("identifier '{s}'"),
        Tok::Str(_) => "string literal".into(),
        Tok::Int(n) => format!("integer {n}"),
        Tok::Float(f) => format!("number {f}"),
        Tok::Hex(_) => "hex literal".into(),
        Tok::Bin(_) => "binary literal".into(),
        Tok::Ts(_) => "timestamp literal".into(),
        Tok::Bool(b) => format!("{b}"),
        Tok::Kw(k) => format!("keyword {}", format!("{k:?}").to_ascii_uppercase()),
    }
}

/// Like the OASIS validator: `x:hashes.MD5 = '…'` (and the other well-known
/// algorithms) must be a well-formed digest.
fn check_hash_literal(path: &ObjectPath, op: &Op) -> Result<(), String> {
    let lit = match op {
        Op::Eq(Literal::Str(s)) | Op::Ne(Literal::Str(s)) => s,
        _ => return Ok(()),
    };
    let n = path.steps.len();
    if n < 2 || !path.steps[..n - 1].contains(&Step::Key("hashes".into())) {
        return Ok(());
    }
    let Some(Step::Key(alg)) = path.steps.last() else {
        return Ok(());
    };
    let norm: String = alg
        .chars()
        .filter(|c| *c != '-')
        .collect::<String>()
        .to_ascii_uppercase();
    let hexlen: &[usize] = match norm.as_str() {
        "MD5" => &[32],
        "SHA1" | "RIPEMD160" => &[40],
        "SHA224" | "SHA3224" => &[56],
        "SHA256" | "SHA3256" => &[64],
        "SHA384" | "SHA3384" => &[96],
        "SHA512" | "SHA3512" | "WHIRLPOOL" => &[128],
        "SSDEEP" => {
            let ok = (1..=128).contains(&lit.len())
                && lit
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || b"/+:.".contains(&c));
            return if ok {
                Ok(())
            } else {
                Err(format!("'{lit}' is not a valid SSDEEP hash"))
            };
        }
        _ => return Ok(()),
    };
    if hexlen.contains(&lit.len()) && lit.bytes().all(|c| c.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(format!("'{lit}' is not a valid {alg} hash"))
    }
}

/// Translates a LIKE operand into an anchored regex (`%` any run, `_` one
/// character), with Python `re.match(...$)` end semantics.
fn like_regex(like: &str) -> Result<regex::Regex, String> {
    let mut r = String::with_capacity(like.len() * 2 + 8);
    r.push('^');
    for c in like.chars() {
        match c {
            '%' => r.push_str(".*"),
            '_' => r.push('.'),
            c => {
                let mut buf = [0u8; 4];
                r.push_str(&regex::escape(c.encode_utf8(&mut buf)));
            }
        }
    }
    r.push_str("\\n?\\z");
    regex::RegexBuilder::new(&r)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| format!("LIKE pattern too complex: {e}"))
}

/// Rewrites a PCRE/Python regex into Rust `regex` syntax: `$` (outside a
/// class) also matches before a final newline, `\Z` is `\z`, `\uXXXX` and
/// `\UXXXXXXXX` become `\x{…}`. For the binary form, characters U+0080-U+00FF
/// become byte escapes (Python matches them as Latin-1 bytes); `None` if the
/// regex has characters above U+00FF (then it never matches binary values).
fn translate_regex(src: &str, binary: bool) -> Option<String> {
    let mut out = String::with_capacity(src.len() + 16);
    let mut chars = src.chars().peekable();
    let mut in_class = false;
    let mut class_start = false;
    while let Some(c) = chars.next() {
        let at_class_start = class_start;
        class_start = false;
        match c {
            '\\' => {
                let Some(n) = chars.next() else {
                    out.push('\\');
                    break;
                };
                match n {
                    'Z' if !in_class => out.push_str("\\z"),
                    'u' | 'U' => {
                        let want = if n == 'u' { 4 } else { 8 };
                        let mut hex = String::new();
                        while hex.len() < want {
                            match chars.peek() {
                                Some(h) if h.is_ascii_hexdigit() => {
                                    hex.push(*h);
                                    chars.next();
                                }
                                _ => break,
                            }
                        }
                        if hex.len() != want {
                            // Let the regex compiler report it.
                            out.push('\\');
                            out.push(n);
                            out.push_str(&hex);
                        } else {
                            let cp = u32::from_str_radix(&hex, 16).ok()?;
                            if binary && cp > 0xFF {
                                return None;
                            }
                            if binary {
                                out.push_str(&format!("\\x{cp:02X}"));
                            } else {
                                out.push_str(&format!("\\x{{{hex}}}"));
                            }
                        }
                    }
                    n => {
                        if binary && (n as u32) > 0x7F {
                            if (n as u32) > 0xFF {
                                return None;
                            }
                            out.push_str(&format!("\\x{:02X}", n as u32));
                        } else {
                            out.push('\\');
                            out.push(n);
                        }
                    }
                }
            }
            '[' if !in_class => {
                in_class = true;
                class_start = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    chars.next();
                    out.push('^');
                }
            }
            ']' if in_class && !at_class_start => {
                in_class = false;
                out.push(']');
            }
            ']' if in_class => out.push_str("\\]"),
            '[' if in_class => out.push_str("\\["),
            '$' if !in_class => out.push_str("(?:\\n?\\z)"),
            c if binary && (c as u32) > 0x7F => {
                if (c as u32) > 0xFF {
                    return None;
                }
                out.push_str(&format!("\\x{:02X}", c as u32));
            }
            c => out.push(c),
        }
    }
    Some(out)
}

fn compile_matches(src: &str) -> Result<(regex::Regex, Option<regex::bytes::Regex>), String> {
    let text_src = translate_regex(src, false).unwrap_or_else(|| src.to_string());
    let text = regex::RegexBuilder::new(&text_src)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| regex_error(src, e))?;
    let bin = match translate_regex(src, true) {
        Some(b) => Some(
            regex::bytes::RegexBuilder::new(&b)
                .unicode(false)
                .size_limit(REGEX_SIZE_LIMIT)
                .dfa_size_limit(REGEX_SIZE_LIMIT)
                .build()
                .map_err(|e| regex_error(src, e))?,
        ),
        None => None,
    };
    Ok((text, bin))
}

/// Prefix of errors for PCRE features the Rust regex engine lacks.
const UNSUPPORTED: &str = "MATCHES regex uses";

fn regex_error(src: &str, e: regex::Error) -> String {
    let look = ["(?=", "(?!", "(?<=", "(?<!", "(?>"];
    if look.iter().any(|l| src.contains(l)) {
        return format!(
            "{UNSUPPORTED} look-around or atomic groups, which reefwatch does not evaluate"
        );
    }
    let text = e.to_string();
    if text.contains("backreferences are not supported") || text.contains("look-around") {
        return format!(
            "{UNSUPPORTED} back-references or look-around, which reefwatch does not evaluate"
        );
    }
    match e {
        regex::Error::CompiledTooBig(n) => format!("MATCHES regex too large (limit {n} bytes)"),
        e => {
            let first = e.to_string();
            let last = first
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            format!(
                "invalid MATCHES regex: {}",
                last.trim().trim_start_matches("error: ")
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err_pos(p: &str) -> usize {
        parse(p).unwrap_err().pos
    }

    #[test]
    fn precedence() {
        let p = parse("[a:b = 1] AND [a:c = 2] OR [a:d = 3] FOLLOWEDBY [a:e = 4]").unwrap();
        let ObsExpr::FollowedBy(l, _) = p.root else {
            panic!("not FOLLOWEDBY at top")
        };
        let ObsExpr::Or(v) = *l else { panic!("not OR") };
        assert!(matches!(v[0], ObsExpr::And(_)));
        let p = parse("[a:b = 1 OR a:c = 2 AND a:d = 3]").unwrap();
        let ObsExpr::Simple(CompExpr::Or(v)) = p.root else {
            panic!()
        };
        assert!(matches!(v[1], CompExpr::And(_)));
    }

    #[test]
    fn qualifiers_and_paths() {
        let p = parse("([x:y[*].'a-b'[-1] != 'q'] REPEATS 2 TIMES WITHIN 1.5 SECONDS) START t'2016-01-01T00:00:00Z' STOP t'2016-01-02T00:00:00Z'").unwrap();
        let ObsExpr::StartStop(inner, a, b) = p.root else {
            panic!()
        };
        assert!(b > a);
        let ObsExpr::Within(inner, ns) = *inner else {
            panic!()
        };
        assert_eq!(ns, 1_500_000_000);
        let ObsExpr::Repeats(inner, 2) = *inner else {
            panic!()
        };
        let ObsExpr::Simple(CompExpr::Test(c)) = *inner else {
            panic!()
        };
        assert_eq!(
            c.path.steps,
            vec![
                Step::Key("y".into()),
                Step::Star,
                Step::Key("a-b".into()),
                Step::Index(-1)
            ]
        );
        assert_eq!(c.path.to_string(), "x:y[*].'a-b'[-1]");
    }

    #[test]
    fn errors_carry_positions() {
        assert_eq!(err_pos("[file:size = ]"), 13);
        assert_eq!(err_pos("file:size = 1280"), 0);
        assert_eq!(err_pos("[file.size = 1280]"), 5);
        assert_eq!(err_pos("[a:b = 1] WITHIN 5 HOURS"), 19);
        assert_eq!(err_pos("[a:b = 1] WITHIN 1 SECONDS WITHIN 2 SECONDS"), 27);
        assert!(parse("([a:b = 1] WITHIN 1 SECONDS) WITHIN 2 SECONDS").is_ok());
        assert_eq!(err_pos("[a:b = 1"), 8);
        assert_eq!(err_pos("[file:hashes.'SHA-256' = 'f00']"), 23);
        assert_eq!(err_pos("[some-type:needs-quotes = 1]"), 11);
        assert_eq!(err_pos("[a:b IN (1, 'x')]"), 12);
        // Valid PCRE the engine cannot run: valid STIX, but not evaluable.
        assert!(parse("[a:b MATCHES '(?=x)']").is_ok());
        assert!(parse("[a:b MATCHES '(a)\\\\1']").is_ok());
        let e = parse_with("[a:b MATCHES '(?=x)']", Strictness::Grammar).unwrap_err();
        assert!(e.msg.contains("look-around"), "{e}");
        assert!(parse_with("[a:b MATCHES '(a)\\\\1']", Strictness::Grammar).is_err());
        assert!(
            parse("[a:b MATCHES '(']").is_err(),
            "a broken regex is invalid"
        );
    }

    #[test]
    fn limits() {
        let chain = vec!["[a:b = 1]"; 300].join(" FOLLOWEDBY ");
        assert!(parse(&chain).unwrap_err().msg.contains("FOLLOWEDBY"));
        assert!(parse(&vec!["[a:b = 1]"; 200].join(" FOLLOWEDBY ")).is_ok());
        let quals = format!("[a:b = 1]{}", " WITHIN 1 SECONDS".repeat(40));
        assert!(parse_with(&quals, Strictness::Grammar)
            .unwrap_err()
            .msg
            .contains("qualifiers"));
        let deep = format!("{}[a:b = 1]{}", "(".repeat(100), ")".repeat(100));
        assert!(parse(&deep).unwrap_err().msg.contains("nesting"));
        let long = format!("[a:b = '{}']", "x".repeat(MAX_PATTERN_LEN));
        assert!(parse(&long).is_err());
        let many = format!("[{}]", vec!["a:b = 1"; 3000].join(" OR "));
        assert!(parse(&many).unwrap_err().msg.contains("tokens"));
    }

    #[test]
    fn regex_translation() {
        assert_eq!(translate_regex("a$", false).unwrap(), "a(?:\\n?\\z)");
        assert_eq!(translate_regex("[$]\\$", false).unwrap(), "[$]\\$");
        assert_eq!(
            translate_regex("[]a]\\u00e9", false).unwrap(),
            "[\\]a]\\x{00e9}"
        );
        assert_eq!(translate_regex("é", true).unwrap(), "\\xE9");
        assert!(translate_regex("€", true).is_none());
    }
}
