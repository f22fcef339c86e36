//! SMB per-flow state: NetBIOS session framing, SMB2/3 compounds and SMB1
//! messages, request/response pairing by message id (bounded), large
//! READ/WRITE payloads skipped, not buffered.

use super::logger;
use super::parser::*;
use super::tx::Req;
use reefwatch_applayer::BufferId;
use reefwatch_applayer::{AppParser, Direction, EventSink, ParseResult, TxTable};

/// Most bytes of one message looked at; the rest is skipped.
const MAX_INSPECT: usize = 64 * 1024;
/// Most compounded commands followed in one message.
const MAX_COMPOUND: usize = 32;

#[derive(Default)]
pub struct SmbState {
    /// Requests awaiting their response (the oldest drops out when full).
    reqs: TxTable<Req>,
    dialect: Option<u16>,
    smb1_dialect: Option<String>,
    /// tree id -> share name (bounded)
    trees: Vec<(u32, String)>,
    skip: [usize; 2],
    tx: u64,
    messages: u64,
}

impl SmbState {
    fn request(&mut self, h: &Header<'_>, out: &mut dyn EventSink) {
        let mut r = Req {
            message_id: h.message_id(),
            command: h.command(),
            tree_id: h.tree_id(),
            session_id: h.session_id(),
            ..Default::default()
        };
        match h.command() {
            CMD_NEGOTIATE => r.dialects = negotiate_dialects(h).collect(),
            CMD_SESSION_SETUP => {
                if let Some((d, u, host)) = session_setup_blob(h).and_then(ntlmssp_auth) {
                    let (d, u, host) = (utf16(d), utf16(u), utf16(host));
                    out.buffer(BufferId::SmbNtlmsspUser, u.as_bytes());
                    out.buffer(BufferId::SmbNtlmsspDomain, d.as_bytes());
                    r.ntlmssp = Some((d, u, host));
                }
            }
            CMD_TREE_CONNECT => {
                if let Some(p) = tree_connect_path(h) {
                    let s = utf16(p);
                    out.buffer(BufferId::SmbShare, s.as_bytes());
                    r.share = Some(s);
                }
            }
            CMD_CREATE => {
                if let Some((name, disp)) = create_request(h) {
                    let s = utf16(name);
                    if self
                        .trees
                        .iter()
                        .any(|(t, sh)| *t == r.tree_id && sh.ends_with("IPC$"))
                    {
                        out.buffer(BufferId::SmbNamedPipe, s.as_bytes());
                    }
                    out.buffer(BufferId::FileName, s.as_bytes());
                    r.filename = Some(s);
                    r.disposition = Some(disp);
                }
            }
            _ => {}
        }
        let _ = self.reqs.push(r);
    }

    fn response(&mut self, h: &Header<'_>, out: &mut dyn EventSink) {
        if h.status() == 0x0000_0103 && h.is_async() {
            return; // interim STATUS_PENDING
        }
        let req = self
            .reqs
            .take(|r| r.message_id == h.message_id() && r.command == h.command())
            .unwrap_or_else(|| Req {
                message_id: h.message_id(),
                command: h.command(),
                tree_id: h.tree_id(),
                session_id: h.session_id(),
                ..Default::default()
            });
        let mut server_guid: Option<&[u8]> = None;
        let mut share_type = None;
        let mut create = None;
        match h.command() {
            CMD_NEGOTIATE => {
                if let Some((d, guid)) = negotiate_response(h) {
                    self.dialect = Some(d);
                    server_guid = Some(guid);
                }
            }
            CMD_TREE_CONNECT => {
                share_type = tree_connect_share_type(h);
                if h.status() == 0 {
                    if let Some(s) = &req.share {
                        if self.trees.len() >= 64 {
                            self.trees.remove(0);
                        }
                        self.trees.push((h.tree_id(), s.clone()));
                    }
                }
            }
            CMD_CREATE if h.status() == 0 => create = create_response(h),
            _ => {}
        }
        let id = self.tx;
        self.tx += 1;
        if !out.wants_events() {
            return;
        }
        let dialect = self.dialect;
        let tree_share = self
            .trees
            .iter()
            .find(|(t, _)| *t == req.tree_id)
            .map(|(_, s)| s.clone());
        let tree_share = tree_share.as_deref();
        let rec = logger::Smb2Response {
            id,
            dialect,
            header: h,
            req: &req,
            server_guid,
            share_type,
            tree_share,
            create,
        };
        out.event("smb", &mut |js| logger::log_smb2(js, &rec));
    }

    fn smb1(&mut self, dir: Direction, h: &Smb1Header<'_>, out: &mut dyn EventSink) {
        match (dir, h.is_response()) {
            (Direction::ToServer, false) => {
                let mut r = Req {
                    message_id: h.multiplex_id() as u64 | 1 << 63,
                    command: h.command() as u16,
                    tree_id: h.tree_id() as u32,
                    session_id: h.user_id() as u64,
                    ..Default::default()
                };
                if h.command() == 0x72 {
                    let (_, data) = h.words_and_data();
                    r.smb1_dialects = smb1_dialects(data)
                        .map(|d| String::from_utf8_lossy(d).into_owned())
                        .collect();
                }
                let _ = self.reqs.push(r);
            }
            (Direction::ToClient, true) => {
                let mid = h.multiplex_id() as u64 | 1 << 63;
                let req = self
                    .reqs
                    .take(|r| r.message_id == mid && r.command == h.command() as u16)
                    .unwrap_or_default();
                if h.command() == 0x72 {
                    // negotiate response: index of the chosen dialect
                    let (words, _) = h.words_and_data();
                    if let Some(d) =
                        crate::util::le16(words, 0).and_then(|i| req.smb1_dialects.get(i as usize))
                    {
                        self.smb1_dialect = Some(d.clone());
                    }
                }
                let id = self.tx;
                self.tx += 1;
                if !out.wants_events() {
                    return;
                }
                let dl = self.smb1_dialect.as_deref();
                out.event("smb", &mut |js| logger::log_smb1(js, id, dl, h, &req));
            }
            _ => out.anomaly("smb.unexpected_direction"),
        }
    }

    fn message(&mut self, dir: Direction, msg: &[u8], out: &mut dyn EventSink) {
        self.messages += 1;
        match msg.get(..4) {
            Some(b"\xfeSMB") => {}
            Some(b"\xffSMB") => {
                if let Some(h) = Smb1Header::new_checked(msg) {
                    self.smb1(dir, &h, out);
                }
                return;
            }
            Some(b"\xfdSMB") => return, // SMB3 transform (encrypted)
            _ => {
                out.anomaly("smb.invalid_protocol");
                return;
            }
        }
        let mut off = 0usize;
        for _ in 0..MAX_COMPOUND {
            let Some(h) = msg.get(off..).and_then(Header::new_checked) else {
                break;
            };
            let next = h.next_command() as usize;
            // bound the view of this command to its compound element
            let view = if next >= SMB2_HEADER_LEN {
                msg.get(off..off + next)
                    .and_then(Header::new_checked)
                    .unwrap_or(h)
            } else {
                h
            };
            match (dir, view.is_response()) {
                (Direction::ToServer, false) => self.request(&view, out),
                (Direction::ToClient, true) => self.response(&view, out),
                _ => out.anomaly("smb.unexpected_direction"),
            }
            if next < SMB2_HEADER_LEN {
                break;
            }
            off += next;
        }
    }
}

impl AppParser for SmbState {
    fn parse(&mut self, dir: Direction, data: &[u8], out: &mut dyn EventSink) -> ParseResult {
        let d = dir.index();
        let mut pos = 0;
        while pos < data.len() {
            if self.skip[d] > 0 {
                let n = self.skip[d].min(data.len() - pos);
                self.skip[d] -= n;
                pos += n;
                continue;
            }
            let rest = &data[pos..];
            let Some((t, len)) = nbss_len(rest) else {
                return ParseResult::Incomplete {
                    consumed: pos,
                    needed: NBSS_HEADER_LEN - rest.len(),
                };
            };
            if t != 0 {
                // keep-alive (0x85) and session service messages
                if !matches!(t, 0x81..=0x85) {
                    out.anomaly("smb.invalid_nbss");
                    return if self.messages == 0 {
                        ParseResult::Error
                    } else {
                        ParseResult::Done
                    };
                }
                self.skip[d] = NBSS_HEADER_LEN + len;
                continue;
            }
            let total = NBSS_HEADER_LEN + len;
            if rest.len() >= total {
                self.message(dir, &rest[NBSS_HEADER_LEN..total], out);
                pos += total;
            } else if len > MAX_INSPECT && rest.len() >= NBSS_HEADER_LEN + 1024 {
                // big READ/WRITE: look at the head, skip the payload
                self.message(dir, &rest[NBSS_HEADER_LEN..], out);
                self.skip[d] = total - rest.len();
                pos = data.len();
            } else if len > MAX_NBSS_LEN {
                out.anomaly("smb.record_too_large");
                return ParseResult::Error;
            } else {
                let needed = if len > MAX_INSPECT {
                    NBSS_HEADER_LEN + 1024 - rest.len()
                } else {
                    total - rest.len()
                };
                return ParseResult::Incomplete {
                    consumed: pos,
                    needed,
                };
            }
        }
        ParseResult::Done
    }

    fn on_gap(&mut self, dir: Direction, _out: &mut dyn EventSink) {
        self.skip[dir.index()] = 0;
    }
}
