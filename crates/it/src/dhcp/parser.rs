//! DHCP / BOOTP (RFC 2131/2132): a zero-copy view of the fixed header and
//! an iterator over options.

use crate::util::{be16, be32};

mod field {
    pub type Field = core::ops::Range<usize>;
    pub const OP: usize = 0;
    pub const HTYPE: usize = 1;
    pub const HLEN: usize = 2;
    pub const XID: Field = 4..8;
    pub const SECS: Field = 8..10;
    pub const CIADDR: Field = 12..16;
    pub const YIADDR: Field = 16..20;
    pub const SIADDR: Field = 20..24;
    pub const GIADDR: Field = 24..28;
    pub const CHADDR: Field = 28..44;
    pub const COOKIE: Field = 236..240;
    pub const OPTIONS: usize = 240;
}

pub const MAGIC: u32 = 0x6382_5363;

pub const OPT_PAD: u8 = 0;
pub const OPT_SUBNET_MASK: u8 = 1;
pub const OPT_ROUTERS: u8 = 3;
pub const OPT_DNS: u8 = 6;
pub const OPT_HOSTNAME: u8 = 12;
pub const OPT_REQUESTED_IP: u8 = 50;
pub const OPT_LEASE_TIME: u8 = 51;
pub const OPT_MSG_TYPE: u8 = 53;
pub const OPT_PARAMS: u8 = 55;
pub const OPT_RENEWAL: u8 = 58;
pub const OPT_REBINDING: u8 = 59;
pub const OPT_VENDOR_CLASS: u8 = 60;
pub const OPT_CLIENT_ID: u8 = 61;
pub const OPT_END: u8 = 255;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    Truncated,
    BadCookie,
}

/// View of one DHCP message; the 240-byte fixed part is checked once.
#[derive(Clone, Copy, Debug)]
pub struct Packet<'a> {
    buf: &'a [u8],
}

fn ip(b: &[u8], f: field::Field) -> [u8; 4] {
    let mut a = [0u8; 4];
    if let Some(s) = b.get(f) {
        a.copy_from_slice(s);
    }
    a
}

impl<'a> Packet<'a> {
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, Error> {
        if buf.len() < field::OPTIONS {
            return Err(Error::Truncated);
        }
        if be32(buf, field::COOKIE.start) != Some(MAGIC) {
            return Err(Error::BadCookie);
        }
        Ok(Packet { buf })
    }
    pub fn op(&self) -> u8 {
        self.buf[field::OP]
    }
    pub fn htype(&self) -> u8 {
        self.buf[field::HTYPE]
    }
    pub fn hlen(&self) -> u8 {
        self.buf[field::HLEN]
    }
    pub fn xid(&self) -> u32 {
        be32(self.buf, field::XID.start).unwrap_or(0)
    }
    pub fn secs(&self) -> u16 {
        be16(self.buf, field::SECS.start).unwrap_or(0)
    }
    pub fn ciaddr(&self) -> [u8; 4] {
        ip(self.buf, field::CIADDR)
    }
    pub fn yiaddr(&self) -> [u8; 4] {
        ip(self.buf, field::YIADDR)
    }
    pub fn siaddr(&self) -> [u8; 4] {
        ip(self.buf, field::SIADDR)
    }
    pub fn giaddr(&self) -> [u8; 4] {
        ip(self.buf, field::GIADDR)
    }
    /// Client hardware address (hlen bytes, at most 16).
    pub fn chaddr(&self) -> &'a [u8] {
        let n = (self.hlen() as usize).min(16);
        &self.buf[field::CHADDR.start..field::CHADDR.start + n]
    }
    pub fn options(&self) -> Options<'a> {
        Options {
            buf: &self.buf[field::OPTIONS..],
            pos: 0,
            truncated: false,
        }
    }
    /// First option with code `code`.
    pub fn option(&self, code: u8) -> Option<&'a [u8]> {
        self.options().find(|o| o.0 == code).map(|o| o.1)
    }
}

/// Iterator over `(code, value)`; stops at END or on a truncated option.
pub struct Options<'a> {
    buf: &'a [u8],
    pos: usize,
    pub truncated: bool,
}

impl<'a> Iterator for Options<'a> {
    type Item = (u8, &'a [u8]);
    fn next(&mut self) -> Option<(u8, &'a [u8])> {
        loop {
            let code = *self.buf.get(self.pos)?;
            match code {
                OPT_PAD => self.pos += 1,
                OPT_END => return None,
                _ => {
                    let Some(&len) = self.buf.get(self.pos + 1) else {
                        self.truncated = true;
                        return None;
                    };
                    let start = self.pos + 2;
                    let Some(v) = self.buf.get(start..start + len as usize) else {
                        self.truncated = true;
                        return None;
                    };
                    self.pos = start + len as usize;
                    return Some((code, v));
                }
            }
        }
    }
}

pub fn msg_type_str(t: u8) -> &'static str {
    match t {
        1 => "discover",
        2 => "offer",
        3 => "request",
        4 => "decline",
        5 => "ack",
        6 => "nak",
        7 => "release",
        8 => "inform",
        _ => "unknown",
    }
}

/// Suricata's names for parameter-request-list codes.
pub fn param_str(c: u8) -> Option<&'static str> {
    Some(match c {
        1 => "subnet_mask",
        2 => "time_offset",
        3 => "router",
        6 => "dns_server",
        12 => "hostname",
        15 => "domain",
        26 => "interface_mtu",
        28 => "broadcast_address",
        31 => "router_discovery",
        33 => "static_route",
        42 => "ntp_server",
        44 => "netbios_name_server",
        46 => "netbios_node_type",
        47 => "netbios_scope",
        119 => "domain_search",
        121 => "classless_static_route",
        249 => "private_classless_static_route",
        252 => "private_proxy_autodiscovery",
        _ => return None,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A DHCPREQUEST from 00:11:22:33:44:55 asking for 192.168.1.10,
    /// hostname "plc-01", vendor class "MSFT 5.0".
    pub fn request() -> Vec<u8> {
        let mut b = vec![0u8; 240];
        b[0] = 1; // op: BOOTREQUEST
        b[1] = 1; // htype: ethernet
        b[2] = 6; // hlen
        b[4..8].copy_from_slice(&0xdead_beefu32.to_be_bytes()); // xid
        b[28..34].copy_from_slice(&[0x00, 0x11, 0x22, 0x33, 0x44, 0x55]); // chaddr
        b[236..240].copy_from_slice(&MAGIC.to_be_bytes());
        b.extend_from_slice(&[53, 1, 3]); // msg type request
        b.extend_from_slice(&[50, 4, 192, 168, 1, 10]); // requested ip
        b.extend_from_slice(&[12, 6]);
        b.extend_from_slice(b"plc-01");
        b.extend_from_slice(&[60, 8]);
        b.extend_from_slice(b"MSFT 5.0");
        b.extend_from_slice(&[61, 7, 1, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55]); // client id
        b.extend_from_slice(&[55, 4, 1, 3, 6, 200]); // params
        b.extend_from_slice(&[0, 0, 255]);
        b
    }

    #[test]
    fn fields_and_options() {
        let m = request();
        let p = Packet::new_checked(&m).unwrap();
        assert_eq!(p.xid(), 0xdeadbeef);
        assert_eq!(p.chaddr(), &[0x00, 0x11, 0x22, 0x33, 0x44, 0x55]);
        assert_eq!(p.option(OPT_MSG_TYPE), Some(&[3u8][..]));
        assert_eq!(p.option(OPT_HOSTNAME), Some(&b"plc-01"[..]));
        assert_eq!(p.options().count(), 6);
        let mut bad = m.clone();
        bad[236] = 0;
        assert_eq!(Packet::new_checked(&bad).unwrap_err(), Error::BadCookie);
        for n in 240..m.len() {
            let p = Packet::new_checked(&m[..n]).unwrap();
            let _ = p.options().count();
        }
    }
}
