//! The ISO transport shared by the protocols on ISO-on-TCP (port 102):
//! TPKT framing ([`tpkt`], RFC 1006) and COTP TPDUs ([`cotp`], ISO 8073 /
//! X.224 class 0) with DT reassembly and the content walk probes begin
//! with. S7comm ([`crate::s7comm`]) and IEC 61850 MMS ([`crate::mms`]) both
//! sit on it; what the first DT carries (0x32 / 0x72 for S7, an ISO session
//! SPDU or an MMS PDU for MMS) tells them apart.

pub mod cotp;
pub mod tpkt;

pub use cotp::{Cotp, CotpHeader, Joined, Reassembly};
pub use tpkt::{Tpkt, TpktError, TpktRepr};
