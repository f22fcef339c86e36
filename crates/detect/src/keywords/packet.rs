//! Packet-header keywords: flags, ip_proto (dsize, itype, icode use
//! [`UintCmp`](crate::parse::value::UintCmp) directly), and the
//! application-layer state keywords ssl_state, ssl_version, tls.version,
//! app-layer-event, asn1.
use crate::error::{ParseError, Result};
use crate::parse::value::{comma_list, parse_uint, UintCmp};

/// TCP flag bits as on the wire: the decoder's one table.
pub use reefwatch_decode::wire::tcp_flags as tcp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlagsMode {
    /// exactly these (after the ignore mask)
    Exact,
    /// `+`: these and possibly others
    All,
    /// `*`: any of these
    Any,
    /// `!`: none of these
    Not,
}

/// `flags:[+*!]<FSRPAUCE0>[,<ignore>]` (`1`/`2` are the old names of C/E).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Flags {
    pub mode: FlagsMode,
    pub flags: u8,
    pub ignore: u8,
}

fn flag_bits(s: &str) -> Result<u8> {
    let mut v = 0u8;
    for c in s.chars() {
        v |= match c.to_ascii_uppercase() {
            'F' => tcp::FIN,
            'S' => tcp::SYN,
            'R' => tcp::RST,
            'P' => tcp::PSH,
            'A' => tcp::ACK,
            'U' => tcp::URG,
            'C' | '1' => tcp::CWR,
            'E' | '2' => tcp::ECE,
            '0' => 0,
            c => return Err(ParseError::new(format!("unknown TCP flag '{c}'"))),
        };
    }
    Ok(v)
}

impl Flags {
    pub fn parse(v: &str) -> Result<Flags> {
        let (f, ignore) = match v.split_once(',') {
            Some((f, i)) => (f.trim(), flag_bits(i.trim())?),
            None => (v.trim(), 0),
        };
        let mut mode = FlagsMode::Exact;
        let mut body = String::new();
        for c in f.chars() {
            match c {
                '+' => mode = FlagsMode::All,
                '*' => mode = FlagsMode::Any,
                '!' => mode = FlagsMode::Not,
                c if c.is_whitespace() => {}
                c => body.push(c),
            }
        }
        if body.is_empty() {
            return Err(ParseError::new("no flags"));
        }
        Ok(Flags {
            mode,
            flags: flag_bits(&body)?,
            ignore,
        })
    }

    pub fn matches(&self, tcp_flags: u8) -> bool {
        let f = tcp_flags & !self.ignore;
        match self.mode {
            FlagsMode::Exact => f == self.flags,
            FlagsMode::All => f & self.flags == self.flags,
            FlagsMode::Any => f & self.flags != 0,
            FlagsMode::Not => f & self.flags == 0,
        }
    }
}

/// `ip_proto:[!<>]<number|name>`.
pub fn parse_ip_proto(v: &str) -> Result<UintCmp> {
    let v = v.trim();
    let (prefix, name) = match v.find(|c: char| c.is_ascii_alphanumeric()) {
        Some(i) => v.split_at(i),
        None => return Err(ParseError::new("missing protocol")),
    };
    let num = match name.to_ascii_lowercase().as_str() {
        "icmp" => 1,
        "igmp" => 2,
        "ipip" => 4,
        "tcp" => 6,
        "udp" => 17,
        "ipv6" => 41,
        "gre" => 47,
        "esp" => 50,
        "ah" => 51,
        "ipv6-icmp" | "icmpv6" => 58,
        "sctp" => 132,
        n => parse_uint(n, 255)?,
    };
    UintCmp::parse(&format!("{prefix}{num}"), 255)
}

/// TLS handshake states of `ssl_state`.
pub mod ssl_state {
    pub const CLIENT_HELLO: u8 = 0x01;
    pub const SERVER_HELLO: u8 = 0x02;
    pub const CLIENT_KEYX: u8 = 0x04;
    pub const SERVER_KEYX: u8 = 0x08;
    pub const UNKNOWN: u8 = 0x10;
}

/// `ssl_state:[!]state[,|[!]state…]`: `,` is AND, `|` is OR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SslState {
    /// bits that must be seen (OR within one `|` group is folded: any of `any`)
    pub all: u8,
    pub any: u8,
    pub not: u8,
}

impl SslState {
    pub fn parse(v: &str) -> Result<SslState> {
        let mut s = SslState {
            all: 0,
            any: 0,
            not: 0,
        };
        let or = v.contains('|');
        for p in v.split([',', '|']).map(str::trim) {
            let (neg, name) = match p.strip_prefix('!') {
                Some(n) => (true, n.trim()),
                None => (false, p),
            };
            let bit = match name {
                "client_hello" => ssl_state::CLIENT_HELLO,
                "server_hello" => ssl_state::SERVER_HELLO,
                "client_keyx" => ssl_state::CLIENT_KEYX,
                "server_keyx" => ssl_state::SERVER_KEYX,
                "unknown" => ssl_state::UNKNOWN,
                n => return Err(ParseError::new(format!("unknown ssl state '{n}'"))),
            };
            match (neg, or) {
                (true, _) => s.not |= bit,
                (false, true) => s.any |= bit,
                (false, false) => s.all |= bit,
            }
        }
        Ok(s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SslVersion {
    Ssl2,
    Ssl3,
    Tls10,
    Tls11,
    Tls12,
    Tls13,
}

/// `ssl_version:[!]v[,[!]v…]`: matches any listed version (not the negated).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SslVersions {
    pub versions: Vec<(bool, SslVersion)>,
}

impl SslVersions {
    pub fn parse(v: &str) -> Result<SslVersions> {
        let mut versions = Vec::new();
        for p in comma_list(v) {
            let (neg, name) = match p.strip_prefix('!') {
                Some(n) => (true, n.trim()),
                None => (false, p),
            };
            let ver = match name.to_ascii_lowercase().as_str() {
                "sslv2" => SslVersion::Ssl2,
                "sslv3" => SslVersion::Ssl3,
                "tls1.0" => SslVersion::Tls10,
                "tls1.1" => SslVersion::Tls11,
                "tls1.2" => SslVersion::Tls12,
                "tls1.3" => SslVersion::Tls13,
                n => return Err(ParseError::new(format!("unknown ssl version '{n}'"))),
            };
            versions.push((neg, ver));
        }
        Ok(SslVersions { versions })
    }
}

/// `tls.version:1.2` or a raw `0x0303` value.
pub fn parse_tls_version(v: &str) -> Result<u16> {
    Ok(match v.trim() {
        "1.0" => 0x0301,
        "1.1" => 0x0302,
        "1.2" => 0x0303,
        "1.3" => 0x0304,
        x if x.starts_with("0x") => parse_uint(x, 0xffff)? as u16,
        x => return Err(ParseError::new(format!("unknown TLS version '{x}'"))),
    })
}

/// `app-layer-event:[!]<proto>.<event>` (or a decoder/stream event).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AppLayerEvent {
    pub negated: bool,
    pub protocol: String,
    pub event: String,
}

impl AppLayerEvent {
    pub fn parse(v: &str) -> Result<AppLayerEvent> {
        let v = v.trim();
        let (negated, v) = match v.strip_prefix('!') {
            Some(r) => (true, r.trim()),
            None => (false, v),
        };
        let (p, e) = v
            .split_once('.')
            .ok_or_else(|| ParseError::new("expected <protocol>.<event>"))?;
        let ok = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        };
        if !ok(p) || !ok(e) {
            return Err(ParseError::new(format!("bad event '{v}'")));
        }
        Ok(AppLayerEvent {
            negated,
            protocol: p.to_string(),
            event: e.to_string(),
        })
    }
}

/// `asn1:` checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Asn1 {
    pub bitstring_overflow: bool,
    pub double_overflow: bool,
    pub oversize_length: Option<u32>,
    pub absolute_offset: Option<u32>,
    pub relative_offset: Option<i32>,
}

impl Asn1 {
    pub fn parse(v: &str) -> Result<Asn1> {
        let mut a = Asn1::default();
        for p in comma_list(v) {
            let (k, arg) = match p.split_once(char::is_whitespace) {
                Some((k, x)) => (k, Some(x.trim())),
                None => (p, None),
            };
            match (k, arg) {
                ("bitstring_overflow", None) => a.bitstring_overflow = true,
                ("double_overflow", None) => a.double_overflow = true,
                ("oversize_length", Some(n)) => {
                    a.oversize_length = Some(parse_uint(n, u32::MAX as u64)? as u32)
                }
                ("absolute_offset", Some(n)) => {
                    a.absolute_offset = Some(parse_uint(n, 65535)? as u32)
                }
                ("relative_offset", Some(n)) => {
                    a.relative_offset =
                        Some(crate::parse::value::parse_int(n, -65535, 65535)? as i32)
                }
                _ => return Err(ParseError::new(format!("unknown asn1 option '{p}'"))),
            }
        }
        if a.absolute_offset.is_some() && a.relative_offset.is_some() {
            return Err(ParseError::new(
                "absolute_offset and relative_offset together",
            ));
        }
        Ok(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_flags() {
        // docs: flags:SA (exactly SYN+ACK), flags:S,CE (ignore CWR/ECE)
        let f = Flags::parse("SA").unwrap();
        assert!(f.matches(tcp::SYN | tcp::ACK) && !f.matches(tcp::SYN));
        let f = Flags::parse("S,12").unwrap();
        assert!(f.matches(tcp::SYN | tcp::CWR | tcp::ECE) && !f.matches(tcp::SYN | tcp::ACK));
        let f = Flags::parse("S,CE").unwrap();
        assert_eq!(f.ignore, tcp::CWR | tcp::ECE);
        assert!(Flags::parse("+S").unwrap().matches(tcp::SYN | tcp::ACK));
        assert!(Flags::parse("*SF").unwrap().matches(tcp::FIN));
        assert!(!Flags::parse("!R").unwrap().matches(tcp::RST));
        assert!(Flags::parse("0").unwrap().matches(0));
        assert!(Flags::parse("SX").is_err());
    }

    #[test]
    fn proto_and_tls() {
        assert!(parse_ip_proto("tcp").unwrap().matches(6));
        assert!(parse_ip_proto("!17").unwrap().matches(6));
        assert!(parse_ip_proto(">50").unwrap().matches(51));
        assert!(parse_ip_proto("nope").is_err());
        assert_eq!(parse_tls_version("1.2").unwrap(), 0x0303);
        assert_eq!(parse_tls_version("0x0301").unwrap(), 0x0301);
        assert!(parse_tls_version("2.0").is_err());
        let s = SslState::parse("client_hello").unwrap();
        assert_eq!(s.all, ssl_state::CLIENT_HELLO);
        let s = SslState::parse("client_keyx|server_keyx").unwrap();
        assert_eq!(s.any, ssl_state::CLIENT_KEYX | ssl_state::SERVER_KEYX);
        assert!(SslState::parse("bogus").is_err());
        let v = SslVersions::parse("sslv2,!tls1.3").unwrap();
        assert_eq!(
            v.versions,
            vec![(false, SslVersion::Ssl2), (true, SslVersion::Tls13)]
        );
        let e = AppLayerEvent::parse("http.invalid_transfer_encoding_value_in_request").unwrap();
        assert_eq!(e.protocol, "http");
        assert!(AppLayerEvent::parse("nodot").is_err());
        let a = Asn1::parse("bitstring_overflow, oversize_length 4096, absolute_offset 0").unwrap();
        assert_eq!(a.oversize_length, Some(4096));
    }
}
