//! FTP per-flow state: one transaction per command, completed by its
//! final reply (1xx replies are preliminary). Bounded queue and reply lines.

use super::logger;
use super::parser::{epsv_port, pasv_port, port_cmd_port, Command, ReplyLine, MAX_LINE};
use super::tx::Tx;
use reefwatch_applayer::BufferId;
use reefwatch_applayer::{AppParser, Direction, EventSink, ParseResult, TxTable};

/// Reply lines kept per transaction.
pub const MAX_REPLY_LINES: usize = 64;

pub struct FtpState {
    /// Open transactions, oldest first; ids count from 0.
    txs: TxTable<Tx>,
    /// a USER was sent in cleartext: the next PASS is a credential
    user_seen: bool,
    /// AUTH TLS accepted (234): the rest of the control channel is TLS.
    tls: bool,
}

impl Default for FtpState {
    fn default() -> Self {
        FtpState {
            txs: TxTable::with_first_id(0),
            user_seen: false,
            tls: false,
        }
    }
}

fn lines(data: &[u8]) -> impl Iterator<Item = (usize, &[u8])> + '_ {
    let mut pos = 0;
    core::iter::from_fn(move || {
        let nl = memchr::memchr(b'\n', data.get(pos..)?)?;
        let line = &data[pos..pos + nl];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        pos += nl + 1;
        Some((pos, line))
    })
}

impl FtpState {
    fn log(tx: &Tx, out: &mut dyn EventSink) {
        if out.wants_events() {
            out.event("ftp", &mut |js| logger::log_ftp(js, tx));
        }
    }

    fn complete_front(&mut self, out: &mut dyn EventSink) {
        if let Some(tx) = self.txs.pop_oldest() {
            Self::log(&tx, out);
        }
    }

    /// Queue `tx`; when the table is full the oldest is logged and dropped.
    fn push(&mut self, tx: Tx, out: &mut dyn EventSink) {
        if let Some(old) = self.txs.push(tx) {
            Self::log(&old, out);
        }
    }

    fn on_command(&mut self, line: &[u8], out: &mut dyn EventSink) -> bool {
        let Some(c) = Command::parse(line) else {
            return false;
        };
        out.buffer(BufferId::FtpCommand, c.command);
        out.buffer(BufferId::FtpCommandData, c.data);
        if c.command.eq_ignore_ascii_case(b"USER") {
            self.user_seen = true;
        } else if c.command.eq_ignore_ascii_case(b"PASS") && self.user_seen {
            out.anomaly("ftp.cleartext_credentials");
        }
        let want = out.wants_events();
        let mut tx = Tx {
            id: self.txs.next_id(),
            has_command: true,
            ..Default::default()
        };
        if want {
            tx.command = c.command.to_vec();
            tx.command_data = c.data[..c.data.len().min(4096)].to_vec();
        }
        if c.command.eq_ignore_ascii_case(b"PORT") {
            tx.dynamic_port = port_cmd_port(c.data);
            tx.mode = Some("active");
        } else if c.command.eq_ignore_ascii_case(b"EPRT") {
            tx.mode = Some("active");
            let parts: Vec<&[u8]> = c.data.split(|&b| b == b'|').collect();
            tx.dynamic_port = parts
                .get(3)
                .and_then(|p| crate::util::parse_dec(p))
                .and_then(|v| u16::try_from(v).ok());
        }
        self.push(tx, out);
        true
    }

    fn on_reply(&mut self, line: &[u8], out: &mut dyn EventSink) {
        let r = ReplyLine::parse(line);
        if let Some(code) = r.code {
            out.buffer(BufferId::FtpCompletionCode, code);
        }
        out.buffer(BufferId::FtpReply, line);
        if self.txs.iter().all(|t| t.reply_received) || self.txs.is_empty() {
            // banner or unsolicited reply: a transaction without a command
            let tx = Tx {
                id: self.txs.next_id(),
                ..Default::default()
            };
            self.push(tx, out);
        }
        let want = out.wants_events();
        let Some(tx) = self.txs.find_mut(|t| !t.reply_received) else {
            return;
        };
        if want && tx.replies.len() < MAX_REPLY_LINES {
            let text = match r.code {
                Some(_) if line.len() > 4 => &line[4..],
                Some(_) => &[][..],
                None => line,
            };
            tx.replies.push(text[..text.len().min(4096)].to_vec());
            if let Some(c) = r.code {
                if r.last {
                    tx.codes.push([c[0], c[1], c[2]]);
                }
            }
        }
        if r.code.is_some() && !r.last {
            tx.in_multiline = true;
            return;
        }
        if !r.last {
            return;
        }
        tx.in_multiline = false;
        let Some(code) = r.code else { return };
        match code {
            b"227" => {
                tx.dynamic_port = pasv_port(line);
                tx.mode = Some("passive");
            }
            b"229" => {
                tx.dynamic_port = epsv_port(line);
                tx.mode = Some("passive");
            }
            _ => {}
        }
        if code[0] == b'1' {
            return; // preliminary
        }
        if code == b"234" {
            self.tls = true;
        }
        tx.reply_received = true;
        // log completed transactions in order
        while self.txs.oldest().is_some_and(|t| t.reply_received) {
            self.complete_front(out);
        }
    }
}

impl AppParser for FtpState {
    fn parse(&mut self, dir: Direction, data: &[u8], out: &mut dyn EventSink) -> ParseResult {
        if self.tls {
            return ParseResult::Done;
        }
        let mut used = 0;
        for (end, line) in lines(data) {
            match dir {
                Direction::ToServer => {
                    if !self.on_command(line, out) && !line.is_empty() {
                        out.anomaly("ftp.invalid_command");
                        if self.txs.peek_next_id() == 0 {
                            return ParseResult::Error;
                        }
                    }
                }
                Direction::ToClient => self.on_reply(line, out),
            }
            used = end;
            if self.tls {
                return ParseResult::Done;
            }
        }
        if used == data.len() {
            return ParseResult::Done;
        }
        if data.len() - used > MAX_LINE {
            out.anomaly("ftp.line_too_long");
            return ParseResult::Error;
        }
        ParseResult::Incomplete {
            consumed: used,
            needed: 1,
        }
    }

    fn on_close(&mut self, out: &mut dyn EventSink) {
        while !self.txs.is_empty() {
            self.complete_front(out);
        }
    }
}
