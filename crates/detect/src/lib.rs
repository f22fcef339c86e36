//! reefwatch's detection engine: Suricata rules loaded unchanged.
#![forbid(unsafe_code)]

pub mod error;
pub mod keywords;
pub mod load;
pub mod parse;
pub mod rule;
pub mod vars;

pub use error::{ErrorKind, ParseError};
pub use load::{RuleSet, Skipped};
pub use parse::options::parse_rule;
pub use rule::Rule;
pub use vars::{Classifications, Vars};
