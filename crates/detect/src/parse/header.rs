//! The rule header: `action proto src sport dir dst dport`.
//!
//! Addresses and ports are resolved at load time into interval sets
//! ([`IpSet`], [`PortSet`]) with Suricata's group semantics: `[a,!b]` is
//! a minus b, a group of negations alone is everything minus them, `any`
//! is everything, `!any` and a group that negates everything are errors,
//! `$VAR` expands (recursively, bounded) from [`Vars`].
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::error::{ErrorKind, ParseError, Result};
use crate::parse::short;
use crate::vars::Vars;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Alert,
    Pass,
    Drop,
    Reject,
    RejectSrc,
    RejectDst,
    RejectBoth,
}

impl Action {
    pub fn parse(s: &str) -> Result<Action> {
        Ok(match s {
            "alert" => Action::Alert,
            "pass" => Action::Pass,
            "drop" => Action::Drop,
            "reject" => Action::Reject,
            "rejectsrc" => Action::RejectSrc,
            "rejectdst" => Action::RejectDst,
            "rejectboth" => Action::RejectBoth,
            "config" => {
                return Err(ParseError::kind(
                    ErrorKind::Unsupported,
                    "action 'config' is not supported",
                )
                .at("action"))
            }
            _ => return Err(ParseError::new(format!("unknown action '{}'", short(s))).at("action")),
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Alert => "alert",
            Action::Pass => "pass",
            Action::Drop => "drop",
            Action::Reject => "reject",
            Action::RejectSrc => "rejectsrc",
            Action::RejectDst => "rejectdst",
            Action::RejectBoth => "rejectboth",
        }
    }
}

/// The application-layer protocols a rule header may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AppProto {
    Http,
    Http1,
    Http2,
    Ftp,
    FtpData,
    Smtp,
    Tls,
    Ssh,
    Imap,
    Pop3,
    Smb,
    Dcerpc,
    Dns,
    Modbus,
    Dnp3,
    Enip,
    Nfs,
    Ntp,
    Tftp,
    Ike,
    Krb5,
    Dhcp,
    Snmp,
    Sip,
    Rfb,
    Mqtt,
    Rdp,
    Pgsql,
    Telnet,
    Quic,
    Websocket,
    Ldap,
    Bittorrent,
    /// IEC 60870-5-104 (no Suricata parser; reefwatch's `iec104.*` keywords).
    Iec104,
    /// S7comm (no Suricata parser; reefwatch's `s7comm.*` keywords).
    S7comm,
}

/// The protocol field of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    /// `ip`: any IP packet.
    Ip,
    Ipv4,
    Ipv6,
    Tcp,
    /// `tcp-pkt`: TCP packets only, never the reassembled stream.
    TcpPkt,
    /// `tcp-stream`: the reassembled stream only.
    TcpStream,
    Udp,
    /// `icmp`: ICMPv4 and ICMPv6.
    Icmp,
    Icmpv4,
    Icmpv6,
    Sctp,
    /// An application-layer protocol (`alert http …`).
    App(AppProto),
}

impl Protocol {
    pub fn parse(s: &str) -> Result<Protocol> {
        use AppProto as A;
        let p = match s.to_ascii_lowercase().as_str() {
            "ip" | "pkthdr" => Protocol::Ip,
            "ipv4" | "ip4" => Protocol::Ipv4,
            "ipv6" | "ip6" => Protocol::Ipv6,
            "tcp" => Protocol::Tcp,
            "tcp-pkt" => Protocol::TcpPkt,
            "tcp-stream" => Protocol::TcpStream,
            "udp" => Protocol::Udp,
            "icmp" => Protocol::Icmp,
            "icmpv4" => Protocol::Icmpv4,
            "icmpv6" => Protocol::Icmpv6,
            "sctp" => Protocol::Sctp,
            "http" => Protocol::App(A::Http),
            "http1" => Protocol::App(A::Http1),
            "http2" => Protocol::App(A::Http2),
            "ftp" => Protocol::App(A::Ftp),
            "ftp-data" => Protocol::App(A::FtpData),
            "smtp" => Protocol::App(A::Smtp),
            "tls" | "ssl" => Protocol::App(A::Tls),
            "ssh" => Protocol::App(A::Ssh),
            "imap" => Protocol::App(A::Imap),
            "pop3" => Protocol::App(A::Pop3),
            "smb" => Protocol::App(A::Smb),
            "dcerpc" => Protocol::App(A::Dcerpc),
            "dns" => Protocol::App(A::Dns),
            "modbus" => Protocol::App(A::Modbus),
            "dnp3" => Protocol::App(A::Dnp3),
            "enip" | "cip" => Protocol::App(A::Enip),
            "nfs" => Protocol::App(A::Nfs),
            "ntp" => Protocol::App(A::Ntp),
            "tftp" => Protocol::App(A::Tftp),
            "ike" | "ikev2" => Protocol::App(A::Ike),
            "krb5" => Protocol::App(A::Krb5),
            "dhcp" => Protocol::App(A::Dhcp),
            "snmp" => Protocol::App(A::Snmp),
            "sip" => Protocol::App(A::Sip),
            "rfb" => Protocol::App(A::Rfb),
            "mqtt" => Protocol::App(A::Mqtt),
            "rdp" => Protocol::App(A::Rdp),
            "pgsql" => Protocol::App(A::Pgsql),
            "telnet" => Protocol::App(A::Telnet),
            "quic" => Protocol::App(A::Quic),
            "websocket" => Protocol::App(A::Websocket),
            "ldap" => Protocol::App(A::Ldap),
            "bittorrent-dht" => Protocol::App(A::Bittorrent),
            "iec104" => Protocol::App(A::Iec104),
            "s7comm" => Protocol::App(A::S7comm),
            _ => {
                return Err(ParseError {
                    kind: ErrorKind::UnsupportedProtocol,
                    keyword: Some("protocol".into()),
                    message: format!("unsupported protocol '{}'", short(s)),
                })
            }
        };
        Ok(p)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `->`
    ToDst,
    /// `<>`: either way.
    Both,
}

/// A set of IPv4 and IPv6 addresses as sorted, disjoint, inclusive intervals.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct IpSet {
    pub v4: Vec<(u32, u32)>,
    pub v6: Vec<(u128, u128)>,
}

impl IpSet {
    pub fn any() -> IpSet {
        IpSet {
            v4: vec![(0, u32::MAX)],
            v6: vec![(0, u128::MAX)],
        }
    }
    pub fn is_any(&self) -> bool {
        self.v4 == [(0, u32::MAX)] && self.v6 == [(0, u128::MAX)]
    }
    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }
    pub fn contains_v4(&self, a: Ipv4Addr) -> bool {
        contains(&self.v4, u32::from(a))
    }
    pub fn contains_v6(&self, a: Ipv6Addr) -> bool {
        contains(&self.v6, u128::from(a))
    }
    fn union(mut self, o: &IpSet) -> IpSet {
        self.v4.extend_from_slice(&o.v4);
        self.v6.extend_from_slice(&o.v6);
        self.v4 = normalize(self.v4);
        self.v6 = normalize(self.v6);
        self
    }
    fn minus(&self, o: &IpSet) -> IpSet {
        IpSet {
            v4: minus(&self.v4, &o.v4),
            v6: minus(&self.v6, &o.v6),
        }
    }
}

/// A set of ports as sorted, disjoint, inclusive intervals.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct PortSet {
    pub ranges: Vec<(u16, u16)>,
}

impl PortSet {
    pub fn any() -> PortSet {
        PortSet {
            ranges: vec![(0, u16::MAX)],
        }
    }
    pub fn is_any(&self) -> bool {
        self.ranges == [(0, u16::MAX)]
    }
    pub fn contains(&self, p: u16) -> bool {
        contains(&self.ranges, p)
    }
}

/// Integer types the interval helpers work on.
pub trait Bound: Copy + Ord {
    const MIN: Self;
    const MAX: Self;
    fn succ(self) -> Self;
    fn pred(self) -> Self;
}
macro_rules! bound {
    ($($t:ty),*) => {$(
        impl Bound for $t {
            const MIN: Self = <$t>::MIN;
            const MAX: Self = <$t>::MAX;
            fn succ(self) -> Self { self.saturating_add(1) }
            fn pred(self) -> Self { self.saturating_sub(1) }
        }
    )*};
}
bound!(u16, u32, u128);

fn contains<T: Bound>(r: &[(T, T)], x: T) -> bool {
    let i = r.partition_point(|&(_, hi)| hi < x);
    i < r.len() && r[i].0 <= x
}

fn normalize<T: Bound>(mut v: Vec<(T, T)>) -> Vec<(T, T)> {
    v.sort_unstable();
    let mut out: Vec<(T, T)> = Vec::with_capacity(v.len());
    for (lo, hi) in v {
        if let Some(last) = out.last_mut() {
            if last.1 == T::MAX || lo <= last.1.succ() {
                if hi > last.1 {
                    last.1 = hi;
                }
                continue;
            }
        }
        out.push((lo, hi));
    }
    out
}

fn minus<T: Bound>(a: &[(T, T)], b: &[(T, T)]) -> Vec<(T, T)> {
    let mut out = Vec::new();
    for &(lo, hi) in a {
        let mut cur = Some(lo);
        for &(blo, bhi) in b {
            let Some(c) = cur else { break };
            if bhi < c || blo > hi {
                continue;
            }
            if blo > c {
                out.push((c, blo.pred()));
            }
            cur = if bhi >= hi { None } else { Some(bhi.succ()) };
        }
        if let Some(c) = cur {
            out.push((c, hi));
        }
    }
    out
}

/// Most `$VAR` expansions nested in one address or port group.
const MAX_VAR_DEPTH: usize = 16;
/// Longest group text after expansion, and most elements in one group.
const MAX_GROUP_ELEMS: usize = 4096;

/// Splits `[a, [b, c], d]`'s inside on top-level commas.
fn split_group(s: &str) -> Result<Vec<&str>> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        match b {
            b'[' => depth += 1,
            b']' => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| ParseError::new("unbalanced ']'"))?
            }
            b',' if depth == 0 => {
                out.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err(ParseError::new("unbalanced '['"));
    }
    out.push(s[start..].trim());
    if out.len() > MAX_GROUP_ELEMS {
        return Err(ParseError::new("group too large"));
    }
    Ok(out)
}

/// What a group element resolves to: a set of values of one kind.
trait GroupSet: Sized + Clone {
    fn full() -> Self;
    fn is_empty(&self) -> bool;
    fn union(self, o: &Self) -> Self;
    fn minus(&self, o: &Self) -> Self;
    fn atom(s: &str) -> Result<Self>;
    fn var<'v>(vars: &'v Vars, name: &str) -> Option<&'v str>;
}

impl GroupSet for IpSet {
    fn full() -> Self {
        IpSet::any()
    }
    fn is_empty(&self) -> bool {
        IpSet::is_empty(self)
    }
    fn union(self, o: &Self) -> Self {
        IpSet::union(self, o)
    }
    fn minus(&self, o: &Self) -> Self {
        IpSet::minus(self, o)
    }
    fn atom(s: &str) -> Result<Self> {
        parse_ip_atom(s)
    }
    fn var<'v>(vars: &'v Vars, name: &str) -> Option<&'v str> {
        vars.address(name)
    }
}

impl GroupSet for PortSet {
    fn full() -> Self {
        PortSet::any()
    }
    fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }
    fn union(mut self, o: &Self) -> Self {
        self.ranges.extend_from_slice(&o.ranges);
        self.ranges = normalize(self.ranges);
        self
    }
    fn minus(&self, o: &Self) -> Self {
        PortSet {
            ranges: minus(&self.ranges, &o.ranges),
        }
    }
    fn atom(s: &str) -> Result<Self> {
        parse_port_atom(s)
    }
    fn var<'v>(vars: &'v Vars, name: &str) -> Option<&'v str> {
        vars.port(name)
    }
}

fn eval_group<S: GroupSet>(s: &str, vars: &Vars, depth: usize) -> Result<S> {
    if depth > MAX_VAR_DEPTH {
        return Err(ParseError::new("variables nested too deep (a cycle?)"));
    }
    let s = s.trim();
    if s.is_empty() {
        return Err(ParseError::new("empty address or port"));
    }
    if let Some(inner) = s.strip_prefix('!') {
        let neg = eval_group::<S>(inner, vars, depth + 1)?;
        let r = S::full().minus(&neg);
        if r.is_empty() {
            return Err(ParseError::new(format!(
                "'{}' negates everything",
                short(s)
            )));
        }
        return Ok(r);
    }
    if let Some(name) = s.strip_prefix('$') {
        let v = S::var(vars, name)
            .ok_or_else(|| ParseError::new(format!("undefined variable ${}", short(name))))?;
        return eval_group(v, vars, depth + 1);
    }
    if s.starts_with('[') {
        let inner = s
            .strip_suffix(']')
            .and_then(|t| t.strip_prefix('['))
            .ok_or_else(|| ParseError::new(format!("bad group '{}'", short(s))))?;
        let mut pos: Option<S> = None;
        let mut neg: Option<S> = None;
        for e in split_group(inner)? {
            if let Some(n) = e.strip_prefix('!') {
                let x = eval_group::<S>(n, vars, depth + 1)?;
                neg = Some(match neg {
                    Some(a) => a.union(&x),
                    None => x,
                });
            } else {
                let x = eval_group::<S>(e, vars, depth + 1)?;
                pos = Some(match pos {
                    Some(a) => a.union(&x),
                    None => x,
                });
            }
        }
        let pos = pos.unwrap_or_else(S::full);
        let r = match neg {
            Some(n) => pos.minus(&n),
            None => pos,
        };
        if r.is_empty() {
            return Err(ParseError::new(format!(
                "group '{}' matches nothing",
                short(s)
            )));
        }
        return Ok(r);
    }
    if s.eq_ignore_ascii_case("any") {
        return Ok(S::full());
    }
    S::atom(s)
}

/// Resolves an address field (`any`, `$HOME_NET`, `[10.0.0.0/8,!10.1.0.0/16]`, …).
pub fn parse_addresses(s: &str, vars: &Vars) -> Result<IpSet> {
    eval_group(s, vars, 0)
}

/// Resolves a port field (`any`, `80`, `1024:`, `[80,443,8000:8100]`, `!$HTTP_PORTS`, …).
pub fn parse_ports(s: &str, vars: &Vars) -> Result<PortSet> {
    eval_group(s, vars, 0)
}

fn parse_v4_mask(m: &str) -> Result<u32> {
    if let Ok(n) = m.parse::<u8>() {
        if n <= 32 {
            return Ok(n as u32);
        }
    }
    if let Ok(mask) = m.parse::<Ipv4Addr>() {
        let v = u32::from(mask);
        if v.leading_ones() + v.trailing_zeros() == 32 {
            return Ok(v.leading_ones());
        }
    }
    Err(ParseError::new(format!("bad netmask '{}'", short(m))))
}

fn parse_ip_atom(s: &str) -> Result<IpSet> {
    let bad = || ParseError::new(format!("bad address '{}'", short(s)));
    if let Some((a, b)) = s.split_once('-') {
        if let (Ok(a), Ok(b)) = (a.trim().parse::<Ipv4Addr>(), b.trim().parse::<Ipv4Addr>()) {
            let (a, b) = (u32::from(a), u32::from(b));
            if a > b {
                return Err(bad());
            }
            return Ok(IpSet {
                v4: vec![(a, b)],
                v6: vec![],
            });
        }
        if let (Ok(a), Ok(b)) = (a.trim().parse::<Ipv6Addr>(), b.trim().parse::<Ipv6Addr>()) {
            let (a, b) = (u128::from(a), u128::from(b));
            if a > b {
                return Err(bad());
            }
            return Ok(IpSet {
                v4: vec![],
                v6: vec![(a, b)],
            });
        }
        return Err(bad());
    }
    let (addr, mask) = match s.split_once('/') {
        Some((a, m)) => (a, Some(m)),
        None => (s, None),
    };
    if let Ok(a) = addr.parse::<Ipv4Addr>() {
        let bits = match mask {
            Some(m) => parse_v4_mask(m)?,
            None => 32,
        };
        let m: u32 = if bits == 0 {
            0
        } else {
            u32::MAX << (32 - bits)
        };
        let lo = u32::from(a) & m;
        return Ok(IpSet {
            v4: vec![(lo, lo | !m)],
            v6: vec![],
        });
    }
    if let Ok(a) = addr.parse::<Ipv6Addr>() {
        let bits = match mask {
            Some(m) => match m.parse::<u8>() {
                Ok(n) if n <= 128 => n as u32,
                _ => return Err(bad()),
            },
            None => 128,
        };
        let m: u128 = if bits == 0 {
            0
        } else {
            u128::MAX << (128 - bits)
        };
        let lo = u128::from(a) & m;
        return Ok(IpSet {
            v4: vec![],
            v6: vec![(lo, lo | !m)],
        });
    }
    Err(bad())
}

fn parse_port_atom(s: &str) -> Result<PortSet> {
    let num = |t: &str| -> Result<u16> {
        t.trim()
            .parse::<u16>()
            .map_err(|_| ParseError::new(format!("bad port '{}'", short(s))))
    };
    let (lo, hi) = match s.split_once(':') {
        Some((a, b)) => {
            let lo = if a.trim().is_empty() { 0 } else { num(a)? };
            let hi = if b.trim().is_empty() {
                u16::MAX
            } else {
                num(b)?
            };
            (lo, hi)
        }
        None => {
            let p = num(s)?;
            (p, p)
        }
    };
    if lo > hi {
        return Err(ParseError::new(format!("bad port range '{}'", short(s))));
    }
    Ok(PortSet {
        ranges: vec![(lo, hi)],
    })
}

/// The parsed header of a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub action: Action,
    pub protocol: Protocol,
    pub src: IpSet,
    pub src_ports: PortSet,
    pub direction: Direction,
    pub dst: IpSet,
    pub dst_ports: PortSet,
}

/// Splits the header on whitespace outside brackets.
fn header_fields(h: &str) -> Result<Vec<&str>> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start: Option<usize> = None;
    for (i, b) in h.bytes().enumerate() {
        match b {
            b'[' => depth += 1,
            b']' => depth -= 1,
            _ => {}
        }
        if b.is_ascii_whitespace() && depth <= 0 {
            if let Some(s) = start.take() {
                out.push(&h[s..i]);
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        out.push(&h[s..]);
    }
    Ok(out)
}

/// Parses `action proto src sport dir dst dport`.
pub fn parse_header(h: &str, vars: &Vars) -> Result<Header> {
    let f = header_fields(h)?;
    if f.len() != 7 {
        return Err(ParseError::new(format!(
            "header has {} fields, expected 7 (action proto src sport dir dst dport)",
            f.len()
        ))
        .at("header"));
    }
    let action = Action::parse(f[0])?;
    let protocol = Protocol::parse(f[1])?;
    let direction = match f[4] {
        "->" => Direction::ToDst,
        "<>" => Direction::Both,
        "=>" => {
            return Err(ParseError::kind(
                ErrorKind::Unsupported,
                "transactional rules ('=>') are not supported",
            )
            .at("direction"))
        }
        d => return Err(ParseError::new(format!("bad direction '{}'", short(d))).at("direction")),
    };
    Ok(Header {
        action,
        protocol,
        src: parse_addresses(f[2], vars).map_err(|e| e.at("source address"))?,
        src_ports: parse_ports(f[3], vars).map_err(|e| e.at("source port"))?,
        direction,
        dst: parse_addresses(f[5], vars).map_err(|e| e.at("destination address"))?,
        dst_ports: parse_ports(f[6], vars).map_err(|e| e.at("destination port"))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    #[test]
    fn default_home_and_external() {
        let vars = Vars::suricata_defaults();
        let home = parse_addresses("$HOME_NET", &vars).unwrap();
        assert!(home.contains_v4(v4("192.168.1.1")) && home.contains_v4(v4("10.2.3.4")));
        assert!(home.contains_v4(v4("172.31.255.255")) && !home.contains_v4(v4("172.32.0.0")));
        let ext = parse_addresses("$EXTERNAL_NET", &vars).unwrap();
        assert!(ext.contains_v4(v4("8.8.8.8")) && !ext.contains_v4(v4("10.0.0.1")));
        assert!(ext.contains_v6("2001:db8::1".parse().unwrap()));
    }

    #[test]
    fn groups_and_negation() {
        let vars = Vars::suricata_defaults();
        let s = parse_addresses("[10.0.0.0/8,!10.1.0.0/16, 192.0.2.1]", &vars).unwrap();
        assert!(s.contains_v4(v4("10.0.0.1")) && !s.contains_v4(v4("10.1.2.3")));
        assert!(s.contains_v4(v4("192.0.2.1")) && !s.contains_v4(v4("192.0.2.2")));
        let s = parse_addresses("[!1.1.1.1]", &vars).unwrap();
        assert!(!s.contains_v4(v4("1.1.1.1")) && s.contains_v4(v4("1.1.1.2")));
        let s = parse_addresses("1.1.1.1-1.1.1.3", &vars).unwrap();
        assert_eq!(s.v4.len(), 1);
        let s = parse_addresses("10.0.0.0/255.0.0.0", &vars).unwrap();
        assert!(s.contains_v4(v4("10.255.0.1")));
        assert!(parse_addresses("!any", &vars).is_err());
        assert!(parse_addresses("[1.1.1.1,!1.1.1.1]", &vars).is_err());
        assert!(parse_addresses("$NOPE", &vars).is_err());
        assert!(parse_addresses("[1.1.1.1", &vars).is_err());
        assert!(parse_addresses("300.1.1.1", &vars).is_err());
        assert!(parse_addresses("1.1.1.1/33", &vars).is_err());
    }

    #[test]
    fn ports() {
        let vars = Vars::suricata_defaults();
        let p = parse_ports("[80,443,8000:8100]", &vars).unwrap();
        assert!(p.contains(80) && p.contains(8050) && !p.contains(81));
        let p = parse_ports("1024:", &vars).unwrap();
        assert!(p.contains(65535) && !p.contains(1023));
        let p = parse_ports(":1023", &vars).unwrap();
        assert!(p.contains(0) && !p.contains(1024));
        let p = parse_ports("!$HTTP_PORTS", &vars).unwrap();
        assert!(!p.contains(80) && p.contains(81));
        let p = parse_ports("$SHELLCODE_PORTS", &vars).unwrap();
        assert!(!p.contains(80));
        assert!(parse_ports("70000", &vars).is_err());
        assert!(parse_ports("90:80", &vars).is_err());
        assert!(parse_ports("!any", &vars).is_err());
    }

    #[test]
    fn cyclic_vars_are_bounded() {
        let mut vars = Vars::suricata_defaults();
        vars.set_address("A", "$B");
        vars.set_address("B", "[$A]");
        assert!(parse_addresses("$A", &vars).is_err());
    }

    #[test]
    fn header_fields_and_direction() {
        let vars = Vars::suricata_defaults();
        let h = parse_header(
            "alert http $HOME_NET any -> $EXTERNAL_NET $HTTP_PORTS",
            &vars,
        )
        .unwrap();
        assert_eq!(h.protocol, Protocol::App(AppProto::Http));
        assert_eq!(h.direction, Direction::ToDst);
        let h = parse_header("drop tcp [1.1.1.1, 2.2.2.2] any <> any [80, 81]", &vars).unwrap();
        assert_eq!(h.action, Action::Drop);
        assert_eq!(h.direction, Direction::Both);
        assert!(parse_header("alert tcp any any <- any any", &vars).is_err());
        assert!(parse_header("alert tcp any any -> any", &vars).is_err());
        let e = parse_header("alert foo any any -> any any", &vars).unwrap_err();
        assert_eq!(e.kind, ErrorKind::UnsupportedProtocol);
        assert!(parse_header("block tcp any any -> any any", &vars).is_err());
    }
}
