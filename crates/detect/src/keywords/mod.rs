//! Typed keyword values, one module per family. The parser
//! ([`crate::parse::options`]) dispatches on the keyword name and builds
//! these; nothing downstream sees option text.
pub mod buffer;
pub mod byte;
pub mod content;
pub mod flow;
pub mod ics;
pub mod packet;
pub mod pcre;
