//! Telnet (RFC 854): option negotiation is stripped, login and password
//! prompts are followed so that a cleartext login is flagged
//! (`telnet.cleartext_credentials`, common on OT devices) and the user name
//! exposed as the `telnet.username` buffer. Suricata has no Telnet EVE
//! record, so none is written.

use crate::util::StackBuf;
use reefwatch_applayer::BufferId;
use reefwatch_applayer::{
    AppParser, Direction, EventSink, ParseResult, ProbeInput, ProbeResult, ProtocolDef, Transport,
};

pub const IAC: u8 = 255;
pub const SB: u8 = 250;
pub const SE: u8 = 240;

/// IAC stripping state, kept across calls.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Iac {
    #[default]
    Data,
    Cmd,
    /// WILL/WONT/DO/DONT: one option byte follows
    Opt,
    Sub,
    SubEsc,
}

/// Feed bytes; calls `f` with each data byte (commands removed).
fn strip(st: &mut Iac, data: &[u8], mut f: impl FnMut(u8)) {
    for &b in data {
        *st = match (*st, b) {
            (Iac::Data, IAC) => Iac::Cmd,
            (Iac::Data, _) => {
                f(b);
                Iac::Data
            }
            (Iac::Cmd, IAC) => {
                f(IAC);
                Iac::Data
            }
            (Iac::Cmd, SB) => Iac::Sub,
            (Iac::Cmd, 251..=254) => Iac::Opt,
            (Iac::Cmd, _) => Iac::Data,
            (Iac::Opt, _) => Iac::Data,
            (Iac::Sub, IAC) => Iac::SubEsc,
            (Iac::Sub, _) => Iac::Sub,
            (Iac::SubEsc, SE) => Iac::Data,
            (Iac::SubEsc, _) => Iac::Sub,
        };
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Expect {
    #[default]
    Nothing,
    User,
    Password,
}

#[derive(Default)]
struct TelnetState {
    iac: [Iac; 2],
    /// last bytes of server text (prompt detection)
    server_tail: StackBuf<64>,
    client_line: StackBuf<256>,
    expect: Expect,
    user_seen: bool,
    flagged: bool,
}

fn ends_with_prompt(tail: &[u8], prompt: &[u8]) -> bool {
    let t = crate::util::trim_ows(tail);
    t.len() >= prompt.len() && t[t.len() - prompt.len()..].eq_ignore_ascii_case(prompt)
}

impl AppParser for TelnetState {
    fn parse(&mut self, dir: Direction, data: &[u8], out: &mut dyn EventSink) -> ParseResult {
        let d = dir.index();
        let mut st = self.iac[d];
        match dir {
            Direction::ToClient => {
                let tail = &mut self.server_tail;
                strip(&mut st, data, |b| {
                    if tail.len() == 64 {
                        // keep the most recent half
                        let keep: StackBuf<64> = {
                            let mut k = StackBuf::new();
                            k.extend(&tail.as_bytes()[32..]);
                            k
                        };
                        *tail = keep;
                    }
                    tail.push(b);
                });
                let t = self.server_tail.as_bytes();
                if ends_with_prompt(t, b"password:") {
                    self.expect = Expect::Password;
                } else if ends_with_prompt(t, b"login:") || ends_with_prompt(t, b"username:") {
                    self.expect = Expect::User;
                }
            }
            Direction::ToServer => {
                let mut lines: [Option<StackBuf<256>>; 4] = Default::default();
                let mut n = 0;
                let line = &mut self.client_line;
                strip(&mut st, data, |b| match b {
                    b'\r' | b'\n' | 0 => {
                        if !line.is_empty() && n < lines.len() {
                            lines[n] = Some(line.clone());
                            n += 1;
                        }
                        line.clear();
                    }
                    0x08 | 0x7f => {
                        // backspace: drop the last byte
                        let keep = line.len().saturating_sub(1);
                        let mut k = StackBuf::<256>::new();
                        k.extend(&line.as_bytes()[..keep]);
                        *line = k;
                    }
                    _ => line.push(b),
                });
                for l in lines.iter().flatten() {
                    match self.expect {
                        Expect::User => {
                            out.buffer(BufferId::TelnetUsername, l.as_bytes());
                            self.user_seen = true;
                        }
                        Expect::Password => {
                            if !self.flagged {
                                out.anomaly("telnet.cleartext_credentials");
                                self.flagged = true;
                            }
                        }
                        Expect::Nothing => {}
                    }
                    self.expect = Expect::Nothing;
                    self.server_tail.clear();
                }
            }
        }
        self.iac[d] = st;
        ParseResult::Done
    }
}

fn probe(i: &ProbeInput<'_>) -> ProbeResult {
    match i.data {
        [] | [IAC] => ProbeResult::NeedMore,
        [IAC, 251..=254, ..] => ProbeResult::Match,
        _ => ProbeResult::NoMatch,
    }
}

fn new_parser() -> Box<dyn AppParser> {
    Box::new(TelnetState::default())
}

pub const TELNET: ProtocolDef = ProtocolDef {
    name: "telnet",
    transports: &[Transport::Tcp],
    ports: &[23],
    probe,
    new_parser,
};

#[cfg(test)]
mod tests {
    use super::*;
    use reefwatch_applayer::TestSink;

    #[test]
    fn login_flagged() {
        let mut p = new_parser();
        let mut sink = TestSink::default();
        let neg = [IAC, 253, 24, IAC, 250, 24, 1, IAC, 240];
        let i = ProbeInput {
            data: &neg,
            dir: Direction::ToClient,
            transport: Transport::Tcp,
            client_port: 1,
            server_port: 2323,
        };
        assert_eq!(probe(&i), ProbeResult::Match);
        p.parse(Direction::ToClient, &neg, &mut sink);
        p.parse(Direction::ToClient, b"\r\nPLC-7 login: ", &mut sink);
        // character-at-a-time input with echo
        for c in b"admin\r\n" {
            p.parse(Direction::ToServer, &[*c], &mut sink);
        }
        p.parse(Direction::ToClient, b"Password: ", &mut sink);
        p.parse(Direction::ToServer, b"hunter2\r\n", &mut sink);
        assert_eq!(
            sink.buffers,
            vec![(BufferId::TelnetUsername, b"admin".to_vec())]
        );
        assert_eq!(
            sink.anomalies,
            vec!["telnet.cleartext_credentials".to_string()]
        );
        assert!(sink.events.is_empty());
    }
}
