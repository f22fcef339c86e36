//! MMS transactions: what is kept of an open request (no borrowed bytes).

use crate::common::Operation;

/// Open confirmed request, cancel, initiate or conclude.
#[derive(Debug, Clone, Copy)]
pub struct Pending {
    pub id: u64,
    /// PDU kind of the request (0 confirmed, 5 cancel, 8 initiate, 11 conclude).
    pub kind: u32,
    pub invoke_id: Option<u64>,
    pub service: Option<u32>,
    pub operation: Option<Operation>,
}
