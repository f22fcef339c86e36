//! reefwatch's detection engine: Suricata rules loaded unchanged.
#![forbid(unsafe_code)]

pub mod error;
pub mod keywords;
pub mod parse;
pub mod vars;

pub use error::{ErrorKind, ParseError};
pub use vars::{Classifications, Vars};
