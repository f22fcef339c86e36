//! FTP transactions: one command and its replies, for the state to fill and the logger to write.

#[derive(Default)]
pub struct Tx {
    pub id: u64,
    pub command: Vec<u8>,
    pub command_data: Vec<u8>,
    pub has_command: bool,
    pub replies: Vec<Vec<u8>>,
    pub codes: Vec<[u8; 3]>,
    pub dynamic_port: Option<u16>,
    pub mode: Option<&'static str>,
    pub reply_received: bool,
    pub(super) in_multiline: bool,
}
