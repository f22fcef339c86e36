//! SMB2/3 over TCP (NetBIOS session framing): negotiate (dialects), session
//! setup (NTLMSSP user/domain/host), tree connect (share), create (file
//! names), with request/response pairing by message id. Large READ/WRITE
//! payloads are skipped, not buffered. SMB1 (still common on legacy OT
//! Windows hosts) is logged per command with its status and, for NEGOTIATE,
//! the client dialects; encrypted SMB3 messages are recognised, not decoded.

pub mod parser;

use parser::*;
use reefwatch_applayer::BufferId;
use reefwatch_applayer::{
    AppParser, Direction, EventSink, ParseResult, ProbeInput, ProbeResult, ProtocolDef, Transport,
    TxTable,
};

/// Most bytes of one message looked at; the rest is skipped.
const MAX_INSPECT: usize = 64 * 1024;
/// Most compounded commands followed in one message.
const MAX_COMPOUND: usize = 32;

#[derive(Default)]
struct Req {
    message_id: u64,
    command: u16,
    tree_id: u32,
    session_id: u64,
    dialects: Vec<u16>,
    filename: Option<String>,
    disposition: Option<u32>,
    share: Option<String>,
    ntlmssp: Option<(String, String, String)>,
    smb1_dialects: Vec<String>,
}

#[derive(Default)]
struct SmbState {
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
        out.event("smb", &mut |js| {
            js.set_uint("id", id);
            if let Some(d) = dialect {
                js.set_str("dialect", &dialect_str(d));
            }
            js.set_str("command", command_str(h.command()));
            match status_str(h.status()) {
                Some(s) => js.set_str("status", s),
                None => js.set_fmt("status", format_args!("0x{:x}", h.status())),
            };
            js.set_fmt("status_code", format_args!("0x{:x}", h.status()));
            js.set_uint("session_id", h.session_id().max(req.session_id));
            js.set_uint("tree_id", req.tree_id.max(h.tree_id()) as u64);
            if !req.dialects.is_empty() {
                js.open_array("client_dialects");
                for d in &req.dialects {
                    js.append_str(&dialect_str(*d));
                }
                js.close();
            }
            if let Some(g) = server_guid {
                // GUID text: little-endian first three groups
                let f = |r: core::ops::Range<usize>, le: bool| -> String {
                    let mut b = g[r].to_vec();
                    if le {
                        b.reverse();
                    }
                    b.iter().map(|x| format!("{x:02x}")).collect()
                };
                js.set_fmt(
                    "server_guid",
                    format_args!(
                        "{}-{}-{}-{}-{}",
                        f(0..4, true),
                        f(4..6, true),
                        f(6..8, true),
                        f(8..10, false),
                        f(10..16, false)
                    ),
                );
            }
            if let Some((d, u, host)) = &req.ntlmssp {
                js.open_object("ntlmssp");
                js.set_str("domain", d)
                    .set_str("user", u)
                    .set_str("host", host);
                js.close();
            }
            if let Some(s) = &req.share {
                js.set_str("share", s);
                if let Some(t) = share_type {
                    js.set_str(
                        "share_type",
                        match t {
                            1 => "FILE",
                            2 => "PIPE",
                            3 => "PRINT",
                            _ => "UNKNOWN",
                        },
                    );
                }
            }
            if let Some(f) = &req.filename {
                js.set_str("filename", f);
                if let Some(s) = &tree_share {
                    js.set_str("share", s);
                }
                if let Some(d) = req.disposition {
                    js.set_str("disposition", disposition_str(d));
                }
            }
            if let Some((_action, size, fid)) = create {
                js.set_uint("size", size);
                js.set_hex("fuid", fid);
            }
        });
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
                out.event("smb", &mut |js| {
                    js.set_uint("id", id);
                    if let Some(d) = dl {
                        js.set_str("dialect", d);
                    }
                    js.set_str("command", smb1_command_str(h.command()));
                    match status_str(h.status()) {
                        Some(s) => js.set_str("status", s),
                        None => js.set_fmt("status", format_args!("0x{:x}", h.status())),
                    };
                    js.set_fmt("status_code", format_args!("0x{:x}", h.status()));
                    js.set_uint("session_id", h.user_id() as u64);
                    js.set_uint("tree_id", h.tree_id() as u64);
                    if !req.smb1_dialects.is_empty() {
                        js.open_array("client_dialects");
                        for d in &req.smb1_dialects {
                            js.append_str(d);
                        }
                        js.close();
                    }
                });
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

fn probe(i: &ProbeInput<'_>) -> ProbeResult {
    let d = i.data;
    if d.len() < 8 {
        return if d.first().is_some_and(|&b| b != 0) {
            ProbeResult::NoMatch
        } else {
            ProbeResult::NeedMore
        };
    }
    if d[0] == 0 && (&d[4..8] == b"\xfeSMB" || &d[4..8] == b"\xffSMB" || &d[4..8] == b"\xfdSMB") {
        ProbeResult::Match
    } else {
        ProbeResult::NoMatch
    }
}

fn new_parser() -> Box<dyn AppParser> {
    Box::new(SmbState::default())
}

pub const SMB: ProtocolDef = ProtocolDef {
    name: "smb",
    transports: &[Transport::Tcp],
    ports: &[445, 139],
    probe,
    new_parser,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::Feeder;
    use reefwatch_applayer::TestSink;

    fn nbss(m: &[u8]) -> Vec<u8> {
        let mut v = vec![0, 0, 0, 0];
        v[1..4].copy_from_slice(&(m.len() as u32).to_be_bytes()[1..]);
        v.extend_from_slice(m);
        v
    }

    #[test]
    fn tree_connect_pair() {
        let req = nbss(&parser::tests::tree_connect());
        let mut resp_m = parser::tests::header(3, true, 5, 0);
        resp_m.extend_from_slice(&[16, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        let resp = nbss(&resp_m);
        let i = ProbeInput {
            data: &req,
            dir: Direction::ToServer,
            transport: Transport::Tcp,
            client_port: 1,
            server_port: 8445,
        };
        assert_eq!(probe(&i), ProbeResult::Match);
        let mut p = new_parser();
        let mut sink = TestSink::default();
        let mut f = Feeder::default();
        f.feed(p.as_mut(), Direction::ToServer, &req, 7, &mut sink);
        f.feed(p.as_mut(), Direction::ToClient, &resp, 7, &mut sink);
        assert_eq!(sink.events.len(), 1);
        assert_eq!(
            sink.events[0].1,
            r#"{"id":0,"command":"SMB2_COMMAND_TREE_CONNECT","status":"STATUS_SUCCESS","status_code":"0x0","session_id":4386,"tree_id":7,"share":"\\\\srv\\C$","share_type":"FILE"}"#
        );
        assert!(sink.buffers.iter().any(|b| b.0 == BufferId::SmbShare));
    }

    #[test]
    fn smb1_negotiate() {
        let mut req = vec![0xff, b'S', b'M', b'B', 0x72, 0, 0, 0, 0, 0x18, 0x01, 0x28];
        req.resize(30, 0);
        req.extend_from_slice(&7u16.to_le_bytes()); // mid
        req.push(0); // word count
        let dialects = b"\x02PC NETWORK PROGRAM 1.0\0\x02NT LM 0.12\0";
        req.extend_from_slice(&(dialects.len() as u16).to_le_bytes());
        req.extend_from_slice(dialects);
        let mut resp = vec![0xff, b'S', b'M', b'B', 0x72, 0, 0, 0, 0, 0x98, 0x01, 0x28];
        resp.resize(30, 0);
        resp.extend_from_slice(&7u16.to_le_bytes());
        resp.extend_from_slice(&[1, 1, 0, 0, 0]); // 1 word: dialect index 1, byte count 0
        let mut p = new_parser();
        let mut sink = TestSink::default();
        assert_eq!(
            p.parse(Direction::ToServer, &nbss(&req), &mut sink),
            ParseResult::Done
        );
        assert_eq!(
            p.parse(Direction::ToClient, &nbss(&resp), &mut sink),
            ParseResult::Done
        );
        assert_eq!(
            sink.events[0].1,
            r#"{"id":0,"dialect":"NT LM 0.12","command":"SMB1_COMMAND_NEGOTIATE_PROTOCOL","status":"STATUS_SUCCESS","status_code":"0x0","session_id":0,"tree_id":0,"client_dialects":["PC NETWORK PROGRAM 1.0","NT LM 0.12"]}"#
        );
    }

    #[test]
    fn large_write_is_skipped_not_buffered() {
        let mut w = parser::tests::header(9, false, 9, 0);
        w.resize(64 + 200_000, 0x41);
        let msg = nbss(&w);
        let mut p = new_parser();
        let mut sink = TestSink::default();
        let r = p.parse(Direction::ToServer, &msg[..5000], &mut sink);
        assert_eq!(r, ParseResult::Done);
        assert_eq!(
            p.parse(Direction::ToServer, &msg[5000..], &mut sink),
            ParseResult::Done
        );
        // then a normal message parses
        assert_eq!(
            p.parse(
                Direction::ToServer,
                &nbss(&parser::tests::tree_connect()),
                &mut sink
            ),
            ParseResult::Done
        );
        assert!(sink.buffers.iter().any(|b| b.0 == BufferId::SmbShare));
    }
}
