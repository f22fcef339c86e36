//! SSH per-side facts (banner, KEXINIT/HASSH) that make the flow's one `ssh` record; the state
//! fills them, the logger writes them.

#[derive(Default)]
pub struct Side {
    pub proto_version: Vec<u8>,
    pub software_version: Vec<u8>,
    pub hassh_string: Vec<u8>,
    pub hassh: String,
    pub banner_seen: bool,
    pub kex_seen: bool,
    pub(super) encrypted: bool,
    pub(super) pre_banner_lines: u32,
}
