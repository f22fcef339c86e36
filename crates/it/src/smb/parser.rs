//! SMB2/3 over NetBIOS session service (MS-SMB2): zero-copy view of the
//! 64-byte header and the few request/response bodies that carry names
//! (negotiate, session setup's NTLMSSP, tree connect, create).

use crate::util::{le16, le32, le64, slice};

pub const NBSS_HEADER_LEN: usize = 4;
pub const SMB2_HEADER_LEN: usize = 64;
/// Largest NetBIOS message accepted (SMB2 max transact is 8 MiB).
pub const MAX_NBSS_LEN: usize = 16 * 1024 * 1024;

pub const CMD_NEGOTIATE: u16 = 0;
pub const CMD_SESSION_SETUP: u16 = 1;
pub const CMD_TREE_CONNECT: u16 = 3;
pub const CMD_CREATE: u16 = 5;

/// NetBIOS session message: type 0, 17-bit length. Returns the body length.
pub fn nbss_len(b: &[u8]) -> Option<(u8, usize)> {
    let t = *b.first()?;
    let len = ((*b.get(1)? as usize & 1) << 16) | (*b.get(2)? as usize) << 8 | *b.get(3)? as usize;
    Some((t, len))
}

/// SMB2 header view (length checked once).
#[derive(Clone, Copy, Debug)]
pub struct Header<'a> {
    buf: &'a [u8],
}

impl<'a> Header<'a> {
    pub fn new_checked(buf: &'a [u8]) -> Option<Header<'a>> {
        if buf.len() < SMB2_HEADER_LEN || &buf[..4] != b"\xfeSMB" {
            return None;
        }
        Some(Header { buf })
    }
    pub fn bytes(&self) -> &'a [u8] {
        self.buf
    }
    pub fn status(&self) -> u32 {
        le32(self.buf, 8).unwrap_or(0)
    }
    pub fn command(&self) -> u16 {
        le16(self.buf, 12).unwrap_or(0)
    }
    pub fn flags(&self) -> u32 {
        le32(self.buf, 16).unwrap_or(0)
    }
    pub fn is_response(&self) -> bool {
        self.flags() & 1 != 0
    }
    pub fn is_async(&self) -> bool {
        self.flags() & 2 != 0
    }
    pub fn next_command(&self) -> u32 {
        le32(self.buf, 20).unwrap_or(0)
    }
    pub fn message_id(&self) -> u64 {
        le64(self.buf, 24).unwrap_or(0)
    }
    pub fn tree_id(&self) -> u32 {
        if self.is_async() {
            0
        } else {
            le32(self.buf, 36).unwrap_or(0)
        }
    }
    pub fn session_id(&self) -> u64 {
        le64(self.buf, 40).unwrap_or(0)
    }
    /// The command body (after the header).
    pub fn body(&self) -> &'a [u8] {
        &self.buf[SMB2_HEADER_LEN..]
    }
    /// A buffer addressed by an offset from the start of the header.
    pub fn at(&self, off: u16, len: u16) -> Option<&'a [u8]> {
        slice(self.buf, off as usize, len as usize)
    }
}

/// NEGOTIATE request: the dialect list.
pub fn negotiate_dialects<'a>(h: &Header<'a>) -> impl Iterator<Item = u16> + 'a {
    let b = h.body();
    let n = le16(b, 2).unwrap_or(0) as usize;
    let list = slice(b, 36, n.min(64) * 2).unwrap_or(&[]);
    list.chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
}

/// NEGOTIATE response: (dialect, server GUID).
pub fn negotiate_response<'a>(h: &Header<'a>) -> Option<(u16, &'a [u8])> {
    let b = h.body();
    Some((le16(b, 4)?, slice(b, 8, 16)?))
}

/// TREE_CONNECT request: the UNC path (UTF-16LE).
pub fn tree_connect_path<'a>(h: &Header<'a>) -> Option<&'a [u8]> {
    let b = h.body();
    h.at(le16(b, 4)?, le16(b, 6)?)
}

/// TREE_CONNECT response: share type (1 disk, 2 pipe, 3 print).
pub fn tree_connect_share_type(h: &Header<'_>) -> Option<u8> {
    h.body().get(2).copied()
}

/// CREATE request: (file name UTF-16LE, create disposition).
pub fn create_request<'a>(h: &Header<'a>) -> Option<(&'a [u8], u32)> {
    let b = h.body();
    let disp = le32(b, 36)?;
    let name = h.at(le16(b, 44)?, le16(b, 46)?)?;
    Some((name, disp))
}

/// CREATE response: (create action, end of file, file id).
pub fn create_response<'a>(h: &Header<'a>) -> Option<(u32, u64, &'a [u8])> {
    let b = h.body();
    Some((le32(b, 4)?, le64(b, 48)?, slice(b, 64, 16)?))
}

/// SESSION_SETUP request: the security buffer.
pub fn session_setup_blob<'a>(h: &Header<'a>) -> Option<&'a [u8]> {
    let b = h.body();
    h.at(le16(b, 12)?, le16(b, 14)?)
}

/// NTLMSSP AUTHENTICATE (type 3) found inside a security blob:
/// (domain, user, host), each UTF-16LE.
pub fn ntlmssp_auth(blob: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let at = memchr::memmem::find(blob, b"NTLMSSP\0")?;
    let m = &blob[at..];
    if le32(m, 8)? != 3 {
        return None;
    }
    let field = |off: usize| -> Option<&[u8]> {
        let len = le16(m, off)? as usize;
        let o = le32(m, off + 4)? as usize;
        slice(m, o, len)
    };
    Some((field(28)?, field(36)?, field(44)?))
}

/// UTF-16LE to a String (lossy, bounded).
pub fn utf16(b: &[u8]) -> String {
    let units = b
        .chunks_exact(2)
        .take(4096)
        .map(|c| u16::from_le_bytes([c[0], c[1]]));
    char::decode_utf16(units)
        .map(|c| c.unwrap_or('\u{fffd}'))
        .collect()
}

/// SMB1 header view (32 bytes, `\xffSMB`), length checked once.
#[derive(Clone, Copy, Debug)]
pub struct Smb1Header<'a> {
    buf: &'a [u8],
}

impl<'a> Smb1Header<'a> {
    pub const LEN: usize = 32;
    pub fn new_checked(buf: &'a [u8]) -> Option<Smb1Header<'a>> {
        if buf.len() < Self::LEN || &buf[..4] != b"\xffSMB" {
            return None;
        }
        Some(Smb1Header { buf })
    }
    pub fn command(&self) -> u8 {
        self.buf[4]
    }
    pub fn status(&self) -> u32 {
        le32(self.buf, 5).unwrap_or(0)
    }
    pub fn is_response(&self) -> bool {
        self.buf[9] & 0x80 != 0
    }
    pub fn tree_id(&self) -> u16 {
        le16(self.buf, 24).unwrap_or(0)
    }
    pub fn user_id(&self) -> u16 {
        le16(self.buf, 28).unwrap_or(0)
    }
    pub fn multiplex_id(&self) -> u16 {
        le16(self.buf, 30).unwrap_or(0)
    }
    /// Parameter words and data after the header: (words, data).
    pub fn words_and_data(&self) -> (&'a [u8], &'a [u8]) {
        let b = &self.buf[Self::LEN..];
        let wc = b.first().copied().unwrap_or(0) as usize;
        let words = b.get(1..1 + 2 * wc).unwrap_or(&[]);
        let bc = le16(b, 1 + 2 * wc).unwrap_or(0) as usize;
        let data = b
            .get(3 + 2 * wc..(3 + 2 * wc + bc).min(b.len()))
            .unwrap_or(&[]);
        (words, data)
    }
}

/// SMB1 NEGOTIATE request dialect strings (`\x02name\0` each).
pub fn smb1_dialects(data: &[u8]) -> impl Iterator<Item = &[u8]> + '_ {
    data.split(|&b| b == 0)
        .filter_map(|s| s.strip_prefix(b"\x02"))
        .take(32)
}

pub fn smb1_command_str(c: u8) -> &'static str {
    match c {
        0x04 => "SMB1_COMMAND_CLOSE",
        0x06 => "SMB1_COMMAND_DELETE",
        0x07 => "SMB1_COMMAND_RENAME",
        0x24 => "SMB1_COMMAND_LOCKING_ANDX",
        0x25 => "SMB1_COMMAND_TRANS",
        0x2b => "SMB1_COMMAND_ECHO",
        0x2d => "SMB1_COMMAND_OPEN_ANDX",
        0x2e => "SMB1_COMMAND_READ_ANDX",
        0x2f => "SMB1_COMMAND_WRITE_ANDX",
        0x32 => "SMB1_COMMAND_TRANS2",
        0x33 => "SMB1_COMMAND_TRANS2_SECONDARY",
        0x34 => "SMB1_COMMAND_FIND_CLOSE2",
        0x71 => "SMB1_COMMAND_TREE_DISCONNECT",
        0x72 => "SMB1_COMMAND_NEGOTIATE_PROTOCOL",
        0x73 => "SMB1_COMMAND_SESSION_SETUP_ANDX",
        0x74 => "SMB1_COMMAND_LOGOFF_ANDX",
        0x75 => "SMB1_COMMAND_TREE_CONNECT_ANDX",
        0xa0 => "SMB1_COMMAND_NT_TRANS",
        0xa1 => "SMB1_COMMAND_NT_TRANS_SECONDARY",
        0xa2 => "SMB1_COMMAND_NT_CREATE_ANDX",
        0xa4 => "SMB1_COMMAND_NT_CANCEL",
        _ => "SMB1_COMMAND_UNKNOWN",
    }
}

pub fn command_str(c: u16) -> &'static str {
    match c {
        0 => "SMB2_COMMAND_NEGOTIATE_PROTOCOL",
        1 => "SMB2_COMMAND_SESSION_SETUP",
        2 => "SMB2_COMMAND_SESSION_LOGOFF",
        3 => "SMB2_COMMAND_TREE_CONNECT",
        4 => "SMB2_COMMAND_TREE_DISCONNECT",
        5 => "SMB2_COMMAND_CREATE",
        6 => "SMB2_COMMAND_CLOSE",
        7 => "SMB2_COMMAND_FLUSH",
        8 => "SMB2_COMMAND_READ",
        9 => "SMB2_COMMAND_WRITE",
        10 => "SMB2_COMMAND_LOCK",
        11 => "SMB2_COMMAND_IOCTL",
        12 => "SMB2_COMMAND_CANCEL",
        13 => "SMB2_COMMAND_KEEPALIVE",
        14 => "SMB2_COMMAND_QUERY_DIRECTORY",
        15 => "SMB2_COMMAND_CHANGE_NOTIFY",
        16 => "SMB2_COMMAND_QUERY_INFO",
        17 => "SMB2_COMMAND_SET_INFO",
        18 => "SMB2_COMMAND_OPLOCK_BREAK",
        _ => "SMB2_COMMAND_UNKNOWN",
    }
}

pub fn status_str(s: u32) -> Option<&'static str> {
    Some(match s {
        0x0000_0000 => "STATUS_SUCCESS",
        0x0000_0103 => "STATUS_PENDING",
        0x8000_0005 => "STATUS_BUFFER_OVERFLOW",
        0x8000_0006 => "STATUS_NO_MORE_FILES",
        0xc000_0016 => "STATUS_MORE_PROCESSING_REQUIRED",
        0xc000_000d => "STATUS_INVALID_PARAMETER",
        0xc000_000f => "STATUS_NO_SUCH_FILE",
        0xc000_0022 => "STATUS_ACCESS_DENIED",
        0xc000_0034 => "STATUS_OBJECT_NAME_NOT_FOUND",
        0xc000_0035 => "STATUS_OBJECT_NAME_COLLISION",
        0xc000_003a => "STATUS_OBJECT_PATH_NOT_FOUND",
        0xc000_006d => "STATUS_LOGON_FAILURE",
        0xc000_00bb => "STATUS_NOT_SUPPORTED",
        0xc000_00cc => "STATUS_BAD_NETWORK_NAME",
        0xc000_0011 => "STATUS_END_OF_FILE",
        0xc000_0043 => "STATUS_SHARING_VIOLATION",
        0xc000_0120 => "STATUS_CANCELLED",
        0xc000_00ba => "STATUS_FILE_IS_A_DIRECTORY",
        0xc000_0103 => "STATUS_NOT_A_DIRECTORY",
        0xc000_0128 => "STATUS_FILE_CLOSED",
        0xc000_0225 => "STATUS_NOT_FOUND",
        0xc000_0203 => "STATUS_USER_SESSION_DELETED",
        0xc000_035c => "STATUS_NETWORK_SESSION_EXPIRED",
        _ => return None,
    })
}

pub fn dialect_str(d: u16) -> String {
    match d {
        0x0202 => "2.02".into(),
        0x0210 => "2.10".into(),
        0x0222 => "2.22".into(),
        0x0224 => "2.24".into(),
        0x02ff => "2.??".into(),
        0x0300 => "3.00".into(),
        0x0302 => "3.02".into(),
        0x0310 => "3.10".into(),
        0x0311 => "3.11".into(),
        _ => format!("0x{d:04x}"),
    }
}

pub fn disposition_str(d: u32) -> &'static str {
    match d {
        0 => "FILE_SUPERSEDE",
        1 => "FILE_OPEN",
        2 => "FILE_CREATE",
        3 => "FILE_OPEN_IF",
        4 => "FILE_OVERWRITE",
        5 => "FILE_OVERWRITE_IF",
        _ => "UNKNOWN",
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An SMB2 header for `command`, request or response.
    pub fn header(command: u16, response: bool, msg_id: u64, status: u32) -> Vec<u8> {
        let mut h = vec![0u8; 64];
        h[..4].copy_from_slice(b"\xfeSMB");
        h[4] = 64; // structure size
        h[8..12].copy_from_slice(&status.to_le_bytes());
        h[12..14].copy_from_slice(&command.to_le_bytes());
        h[16..20].copy_from_slice(&(response as u32).to_le_bytes());
        h[24..32].copy_from_slice(&msg_id.to_le_bytes());
        h[36..40].copy_from_slice(&7u32.to_le_bytes()); // tree id
        h[40..48].copy_from_slice(&0x1122u64.to_le_bytes()); // session id
        h
    }

    pub fn utf16le(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect()
    }

    /// TREE_CONNECT request for \\srv\C$.
    pub fn tree_connect() -> Vec<u8> {
        let mut m = header(3, false, 5, 0);
        let path = utf16le("\\\\srv\\C$");
        m.extend_from_slice(&9u16.to_le_bytes()); // structure size
        m.extend_from_slice(&0u16.to_le_bytes()); // flags
        m.extend_from_slice(&72u16.to_le_bytes()); // path offset
        m.extend_from_slice(&(path.len() as u16).to_le_bytes());
        m.extend_from_slice(&path);
        m
    }

    #[test]
    fn header_and_tree_connect() {
        let m = tree_connect();
        let h = Header::new_checked(&m).unwrap();
        assert_eq!(h.command(), CMD_TREE_CONNECT);
        assert_eq!(h.message_id(), 5);
        assert_eq!(utf16(tree_connect_path(&h).unwrap()), "\\\\srv\\C$");
        assert!(Header::new_checked(&m[..63]).is_none());
        for n in 64..m.len() {
            let h = Header::new_checked(&m[..n]).unwrap();
            let _ = tree_connect_path(&h);
            let _ = create_request(&h);
            let _ = negotiate_dialects(&h).count();
        }
    }

    #[test]
    fn ntlmssp() {
        let mut blob = b"xxNTLMSSP\0".to_vec();
        let base = blob.len() - 8;
        blob.extend_from_slice(&3u32.to_le_bytes());
        blob.resize(base + 64, 0);
        let dom = utf16le("CORP");
        let user = utf16le("alice");
        let host = utf16le("WS1");
        let mut off = 64u32;
        for (i, f) in [&dom, &user, &host].iter().enumerate() {
            let p = base + 28 + i * 8;
            blob[p..p + 2].copy_from_slice(&(f.len() as u16).to_le_bytes());
            blob[p + 4..p + 8].copy_from_slice(&off.to_le_bytes());
            off += f.len() as u32;
        }
        blob.extend_from_slice(&dom);
        blob.extend_from_slice(&user);
        blob.extend_from_slice(&host);
        let (d, u, h) = ntlmssp_auth(&blob).unwrap();
        assert_eq!(
            (utf16(d), utf16(u), utf16(h)),
            ("CORP".into(), "alice".into(), "WS1".into())
        );
    }
}
