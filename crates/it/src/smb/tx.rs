//! SMB transactions: what is kept of a request (SMB2/3 or SMB1) until its
//! response, for the state to pair and the logger to write.

/// An open request. SMB1 requests carry their multiplex id with the top
/// bit set, so they never pair with an SMB2 message id.
#[derive(Default)]
pub struct Req {
    pub message_id: u64,
    pub command: u16,
    pub tree_id: u32,
    pub session_id: u64,
    pub dialects: Vec<u16>,
    pub filename: Option<String>,
    pub disposition: Option<u32>,
    pub share: Option<String>,
    pub ntlmssp: Option<(String, String, String)>,
    pub smb1_dialects: Vec<String>,
}
