//! FTP control channel (RFC 959): command and reply lines, zero-copy.

/// Longest control line accepted before the stream is declared not FTP.
pub const MAX_LINE: usize = 8192;

/// `COMMAND [SP args]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Command<'a> {
    pub command: &'a [u8],
    pub data: &'a [u8],
}

impl<'a> Command<'a> {
    pub fn parse(line: &'a [u8]) -> Option<Command<'a>> {
        let (command, data) = match memchr::memchr(b' ', line) {
            Some(i) => (&line[..i], &line[i + 1..]),
            None => (line, &[][..]),
        };
        if command.is_empty()
            || command.len() > 16
            || !command.iter().all(|c| c.is_ascii_alphabetic())
        {
            return None;
        }
        Some(Command { command, data })
    }
}

/// One reply line: `NNN SP text` (final) or `NNN-text` (continued), or a
/// continuation line of a multi-line reply (no code).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplyLine<'a> {
    pub code: Option<&'a [u8]>,
    /// True for `NNN SP` (the last line of a reply).
    pub last: bool,
    pub line: &'a [u8],
}

impl<'a> ReplyLine<'a> {
    pub fn parse(line: &'a [u8]) -> ReplyLine<'a> {
        if line.len() >= 3 && line[..3].iter().all(|c| c.is_ascii_digit()) {
            let sep = line.get(3).copied();
            if sep != Some(b'-') {
                return ReplyLine {
                    code: Some(&line[..3]),
                    last: true,
                    line,
                };
            }
            return ReplyLine {
                code: Some(&line[..3]),
                last: false,
                line,
            };
        }
        ReplyLine {
            code: None,
            last: false,
            line,
        }
    }
}

/// `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)` -> port.
pub fn pasv_port(text: &[u8]) -> Option<u16> {
    let open = memchr::memchr(b'(', text).map(|i| i + 1).or_else(|| {
        // some servers omit the parentheses: take the first digit run
        text.iter()
            .skip(4)
            .position(|c| c.is_ascii_digit())
            .map(|p| p + 4)
    })?;
    let body = &text[open..];
    let end = body
        .iter()
        .position(|c| !(c.is_ascii_digit() || *c == b','))
        .unwrap_or(body.len());
    let nums: Vec<u16> = body[..end]
        .split(|&c| c == b',')
        .filter_map(|n| crate::util::parse_dec(n).and_then(|v| u16::try_from(v).ok()))
        .collect();
    if nums.len() != 6 || nums[4] > 255 || nums[5] > 255 {
        return None;
    }
    Some(nums[4] * 256 + nums[5])
}

/// `229 Entering Extended Passive Mode (|||port|)` -> port.
pub fn epsv_port(text: &[u8]) -> Option<u16> {
    let i = memchr::memmem::find(text, b"|||")?;
    let rest = &text[i + 3..];
    let end = memchr::memchr(b'|', rest)?;
    crate::util::parse_dec(&rest[..end]).and_then(|v| u16::try_from(v).ok())
}

/// `PORT h1,h2,h3,h4,p1,p2` -> port.
pub fn port_cmd_port(args: &[u8]) -> Option<u16> {
    let nums: Vec<u16> = args
        .split(|&c| c == b',')
        .filter_map(|n| {
            crate::util::parse_dec(crate::util::trim_ows(n)).and_then(|v| u16::try_from(v).ok())
        })
        .collect();
    if nums.len() != 6 || nums[4] > 255 || nums[5] > 255 {
        return None;
    }
    Some(nums[4] * 256 + nums[5])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        let c = Command::parse(b"USER anonymous").unwrap();
        assert_eq!((c.command, c.data), (&b"USER"[..], &b"anonymous"[..]));
        assert!(Command::parse(b"\x16\x03").is_none());
        let r = ReplyLine::parse(b"230-Welcome");
        assert_eq!((r.code, r.last), (Some(&b"230"[..]), false));
        let r = ReplyLine::parse(b"230 Login successful.");
        assert!(r.last);
        assert_eq!(
            pasv_port(b"227 Entering Passive Mode (192,168,1,2,19,137)."),
            Some(19 * 256 + 137)
        );
        assert_eq!(
            epsv_port(b"229 Entering Extended Passive Mode (|||50123|)"),
            Some(50123)
        );
        assert_eq!(port_cmd_port(b"10,0,0,1,4,1"), Some(1025));
        assert_eq!(pasv_port(b"227 garbage"), None);
    }
}
