//! Why a rule did not load.
use std::fmt;

/// The class of a parse failure, for the skip-reason summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorKind {
    /// A keyword this engine does not implement (the rule may be valid Suricata).
    UnsupportedKeyword,
    /// A protocol in the header this engine does not implement.
    UnsupportedProtocol,
    /// A construct this engine cannot evaluate (e.g. pcre look-around).
    Unsupported,
    /// Text that is not a valid rule (Suricata rejects it too).
    Invalid,
}

/// A rule that did not parse: what and why, with the keyword involved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub kind: ErrorKind,
    /// The keyword (or header field) the error is about, if any.
    pub keyword: Option<String>,
    pub message: String,
}

impl ParseError {
    pub fn new(message: impl Into<String>) -> ParseError {
        ParseError {
            kind: ErrorKind::Invalid,
            keyword: None,
            message: message.into(),
        }
    }
    pub fn kind(kind: ErrorKind, message: impl Into<String>) -> ParseError {
        ParseError {
            kind,
            keyword: None,
            message: message.into(),
        }
    }
    pub fn unsupported_keyword(name: &str) -> ParseError {
        ParseError {
            kind: ErrorKind::UnsupportedKeyword,
            keyword: Some(name.to_string()),
            message: format!("unsupported keyword '{name}'"),
        }
    }
    /// Attaches the keyword the error is about (kept if already set).
    pub fn at(mut self, keyword: &str) -> ParseError {
        if self.keyword.is_none() {
            self.keyword = Some(keyword.to_string());
        }
        self
    }
    /// A short class for summaries: `unsupported keyword 'xbits'`,
    /// `invalid content`, …
    pub fn summary(&self) -> String {
        match (self.kind, &self.keyword) {
            (ErrorKind::UnsupportedKeyword, _) | (ErrorKind::UnsupportedProtocol, _) => {
                self.message.clone()
            }
            (ErrorKind::Unsupported, Some(k)) if self.message.starts_with(k.as_str()) => {
                format!("unsupported {}", self.message)
            }
            (ErrorKind::Unsupported, Some(k)) => format!("unsupported {k}"),
            (ErrorKind::Unsupported, None) => "unsupported construct".into(),
            (ErrorKind::Invalid, Some(k)) => format!("invalid {k}"),
            (ErrorKind::Invalid, None) => "invalid rule".into(),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.keyword {
            Some(k) if !self.message.contains(k.as_str()) => write!(f, "{k}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ParseError {}

pub type Result<T> = std::result::Result<T, ParseError>;
