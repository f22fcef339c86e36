//! SSH per-flow state: banners of both sides, KEXINIT (HASSH), then
//! nothing more once keys are in use. One `ssh` event per flow.

use super::logger;
use super::parser::{packet, Banner, KexInit, MAX_BANNER_LEN, MSG_KEXINIT, MSG_NEWKEYS};
use super::tx::Side;
use reefwatch_applayer::BufferId;
use reefwatch_applayer::{AppParser, Direction, EventSink, ParseResult};

#[derive(Default)]
pub struct SshState {
    pub sides: [Side; 2],
    logged: bool,
    stopped: [bool; 2],
}

impl SshState {
    fn maybe_log(&mut self, out: &mut dyn EventSink, force: bool) {
        if self.logged {
            return;
        }
        let done = self.sides.iter().all(|s| s.kex_seen || s.encrypted);
        if done || force {
            self.logged = true;
            if out.wants_events() && self.sides.iter().any(|s| s.banner_seen) {
                let sides = &self.sides;
                out.event("ssh", &mut |js| logger::log_ssh(js, sides));
            }
        }
    }
}

impl AppParser for SshState {
    fn parse(&mut self, dir: Direction, data: &[u8], out: &mut dyn EventSink) -> ParseResult {
        let d = dir.index();
        if self.stopped[d] {
            return ParseResult::Done;
        }
        let mut pos = 0;
        while pos < data.len() {
            let rest = &data[pos..];
            let side = &mut self.sides[d];
            if side.encrypted {
                return ParseResult::Done;
            }
            if !side.banner_seen {
                let Some(nl) = memchr::memchr(b'\n', &rest[..rest.len().min(MAX_BANNER_LEN + 2)])
                else {
                    if rest.len() > MAX_BANNER_LEN {
                        out.anomaly("ssh.long_banner");
                        self.stopped[d] = true;
                        return if pos == 0 && !self.sides[d ^ 1].banner_seen {
                            ParseResult::Error
                        } else {
                            ParseResult::Done
                        };
                    }
                    return ParseResult::Incomplete {
                        consumed: pos,
                        needed: 1,
                    };
                };
                let line = &rest[..nl];
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                pos += nl + 1;
                match Banner::parse(line) {
                    Some(b) => {
                        out.buffer(BufferId::SshProto, b.proto_version);
                        out.buffer(BufferId::SshSoftware, b.software_version);
                        side.banner_seen = true;
                        side.proto_version = b.proto_version.to_vec();
                        side.software_version = b.software_version.to_vec();
                    }
                    None => {
                        // servers may send other lines first (RFC 4253 §4.2)
                        side.pre_banner_lines += 1;
                        if dir == Direction::ToServer || side.pre_banner_lines > 16 {
                            out.anomaly("ssh.invalid_banner");
                            self.stopped[d] = true;
                            return ParseResult::Error;
                        }
                    }
                }
                continue;
            }
            match packet(rest) {
                Ok((total, payload)) => {
                    pos += total;
                    match payload.first() {
                        Some(&MSG_KEXINIT) if !side.kex_seen => {
                            if let Some(k) = KexInit::parse(payload) {
                                let client = dir == Direction::ToServer;
                                let s = k.hassh_string(client);
                                let h = crate::tls::ja::md5_hex(&String::from_utf8_lossy(&s));
                                out.buffer(
                                    if client {
                                        BufferId::SshHasshString
                                    } else {
                                        BufferId::SshHasshServerString
                                    },
                                    &s,
                                );
                                out.buffer(
                                    if client {
                                        BufferId::SshHassh
                                    } else {
                                        BufferId::SshHasshServer
                                    },
                                    h.as_bytes(),
                                );
                                side.hassh_string = s;
                                side.hassh = h;
                            } else {
                                out.anomaly("ssh.invalid_kexinit");
                            }
                            side.kex_seen = true;
                        }
                        Some(&MSG_NEWKEYS) => side.encrypted = true,
                        _ => {}
                    }
                    self.maybe_log(out, false);
                }
                Err(Some(needed)) => {
                    return ParseResult::Incomplete {
                        consumed: pos,
                        needed,
                    }
                }
                Err(None) => {
                    // encrypted or not SSH framing any more
                    side.encrypted = true;
                    self.maybe_log(out, false);
                    return ParseResult::Done;
                }
            }
        }
        ParseResult::Done
    }

    fn on_gap(&mut self, dir: Direction, _out: &mut dyn EventSink) {
        self.stopped[dir.index()] = true;
    }

    fn on_close(&mut self, out: &mut dyn EventSink) {
        self.maybe_log(out, true);
    }
}
