//! The STIX 2.1 patterning language (STIX 2.1 part 9): a hand-written
//! tokenizer and recursive-descent parser producing a [`Pattern`] tree, and
//! an evaluator over observed-data ([`eval`]).
//!
//! Precedence, lowest first: `FOLLOWEDBY`, `OR`, `AND` between observation
//! expressions (left-associative); qualifiers (`WITHIN`, `REPEATS`,
//! `START … STOP`) are postfix and bind to the observation expression
//! before them; inside `[ … ]`, `OR` binds looser than `AND`.
//!
//! Limits (bad input must stay cheap): [`MAX_PATTERN_LEN`] bytes,
//! [`MAX_TOKENS`] tokens, [`MAX_DEPTH`] nested brackets/parentheses, regular
//! expressions compiled with bounded size ([`REGEX_SIZE_LIMIT`]).
//!
//! `MATCHES` uses PCRE syntax in the spec; we compile with the Rust `regex`
//! crate, which has the same syntax for everything but look-around,
//! back-references and atomic groups: [`Strictness::Validator`] accepts them
//! (valid STIX), [`Strictness::Grammar`] — used for evaluation — rejects them
//! with an error, so they are never mis-evaluated. `$` is translated to
//! Python/PCRE semantics (end, or before a final newline) as the reference
//! matcher uses.

mod lexer;
mod parser;

pub mod eval;

pub use lexer::decode_base64;
pub use parser::{parse, parse_with, Strictness};

/// Longest pattern accepted, in bytes.
pub const MAX_PATTERN_LEN: usize = 64 * 1024;
/// Most tokens in one pattern.
pub const MAX_TOKENS: usize = 8192;
/// Deepest nesting of `[`/`(`.
pub const MAX_DEPTH: usize = 64;
/// Largest compiled regex (bytes of program) for MATCHES and LIKE.
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;
/// Most operands of one run of `FOLLOWEDBY` (it nests to the left).
pub const MAX_CHAIN: usize = 256;
/// Most qualifiers chained on one observation expression.
pub const MAX_QUALIFIERS: usize = 16;
/// Largest `REPEATS n TIMES` accepted.
pub const MAX_REPEATS: u32 = 1000;

/// A pattern error, with the byte offset in the pattern where it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatternError {
    /// Byte offset into the pattern text.
    pub pos: usize,
    pub msg: String,
}

impl core::fmt::Display for PatternError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "at position {}: {}", self.pos, self.msg)
    }
}

impl std::error::Error for PatternError {}

/// A parsed pattern.
#[derive(Clone, Debug)]
pub struct Pattern {
    pub root: ObsExpr,
}

/// Observation expression.
#[derive(Clone, Debug)]
pub enum ObsExpr {
    /// `[ comparison ]`: one observation (observed-data) satisfying it.
    Simple(CompExpr),
    /// All operands matched by pairwise distinct observations.
    And(Vec<ObsExpr>),
    /// Any operand.
    Or(Vec<ObsExpr>),
    /// Left then right: every left observation no later than every right one.
    FollowedBy(Box<ObsExpr>, Box<ObsExpr>),
    /// All observations of one match within this many nanoseconds.
    Within(Box<ObsExpr>, i128),
    /// The inner expression matched this many times by distinct observations.
    Repeats(Box<ObsExpr>, u32),
    /// Observations whose time interval overlaps [start, stop) (ns).
    StartStop(Box<ObsExpr>, i128, i128),
}

/// Comparison expression (inside `[ ]`).
#[derive(Clone, Debug)]
pub enum CompExpr {
    And(Vec<CompExpr>),
    Or(Vec<CompExpr>),
    Test(Box<Comparison>),
}

/// A literal constant.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// `b'…'` or `h'…'`.
    Bin(Vec<u8>),
    /// `t'…'`, nanoseconds since the epoch.
    Ts(i128),
}

/// One step of an object path after the object type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(i64),
    Star,
}

/// `type:prop.sub[0].x`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectPath {
    pub obj_type: String,
    pub steps: Vec<Step>,
}

impl core::fmt::Display for ObjectPath {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}:", self.obj_type)?;
        for (i, s) in self.steps.iter().enumerate() {
            match s {
                Step::Key(k) => {
                    let plain = k.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
                        && k.bytes().next().is_some_and(|c| !c.is_ascii_digit());
                    let dot = if i == 0 { "" } else { "." };
                    if plain {
                        write!(f, "{dot}{k}")?
                    } else {
                        write!(f, "{dot}'{}'", k.replace('\\', "\\\\").replace('\'', "\\'"))?
                    }
                }
                Step::Index(n) => write!(f, "[{n}]")?,
                Step::Star => f.write_str("[*]")?,
            }
        }
        Ok(())
    }
}

/// Comparison operator with its operand.
#[derive(Clone, Debug)]
pub enum Op {
    Eq(Literal),
    Ne(Literal),
    Lt(Literal),
    Le(Literal),
    Gt(Literal),
    Ge(Literal),
    In(Vec<Literal>),
    Like(String, Box<regex::Regex>),
    /// Source regex, compiled for text, and compiled for binary values.
    Matches(String, Box<regex::Regex>, Option<Box<regex::bytes::Regex>>),
    IsSubset(String),
    IsSuperset(String),
    Exists,
}

/// `path [NOT] op value`.
#[derive(Clone, Debug)]
pub struct Comparison {
    pub path: ObjectPath,
    pub negated: bool,
    pub op: Op,
    /// Byte offset of the path in the pattern.
    pub pos: usize,
}

/// Validation hook used by [`crate::validate`]: parses the pattern and
/// returns the error text with its position.
pub fn check_pattern(p: &str) -> Result<(), String> {
    parse(p).map(|_| ()).map_err(|e| e.to_string())
}
