//! IP address and CIDR parsing shared by validation, the pattern evaluator
//! (ISSUBSET / ISSUPERSET) and the IOC loader.

use std::net::{Ipv4Addr, Ipv6Addr};

/// Parses `a.b.c.d` or `a.b.c.d/n` (0 ≤ n ≤ 32). A bare address is /32.
pub fn parse_ipv4_cidr(s: &str) -> Option<(Ipv4Addr, u8)> {
    let (a, p) = match s.split_once('/') {
        Some((a, p)) => (a, parse_prefix(p, 32)?),
        None => (s, 32),
    };
    Some((a.parse().ok()?, p))
}

/// Parses an IPv6 address with optional `/n` (0 ≤ n ≤ 128). Bare is /128.
pub fn parse_ipv6_cidr(s: &str) -> Option<(Ipv6Addr, u8)> {
    let (a, p) = match s.split_once('/') {
        Some((a, p)) => (a, parse_prefix(p, 128)?),
        None => (s, 128),
    };
    Some((a.parse().ok()?, p))
}

fn parse_prefix(p: &str, max: u8) -> Option<u8> {
    if p.is_empty() || p.len() > 3 || !p.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let n: u8 = p.parse().ok()?;
    (n <= max).then_some(n)
}

/// A network as (address bits masked to the prefix, prefix length, is_v6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Net {
    pub bits: u128,
    pub len: u8,
    pub v6: bool,
}

impl Net {
    /// Parses an IPv4 or IPv6 address or CIDR; host bits are masked off.
    pub fn parse(s: &str) -> Option<Net> {
        if let Some((a, l)) = parse_ipv4_cidr(s) {
            let bits = u128::from(u32::from(a));
            return Some(Net {
                bits: bits & mask(l, 32),
                len: l,
                v6: false,
            });
        }
        let (a, l) = parse_ipv6_cidr(s)?;
        Some(Net {
            bits: u128::from(a) & mask(l, 128),
            len: l,
            v6: true,
        })
    }

    /// True if `other` lies entirely within `self` (same family).
    pub fn contains(&self, other: &Net) -> bool {
        self.v6 == other.v6
            && other.len >= self.len
            && other.bits & mask(self.len, if self.v6 { 128 } else { 32 }) == self.bits
    }
}

/// Mask of the top `len` bits of a `width`-bit address, in the low bits of a u128.
pub fn mask(len: u8, width: u8) -> u128 {
    if len == 0 {
        return 0;
    }
    let all: u128 = if width >= 128 {
        u128::MAX
    } else {
        (1u128 << width) - 1
    };
    let host = u32::from(width.saturating_sub(len));
    if host >= 128 {
        0
    } else {
        all & !((1u128 << host).wrapping_sub(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_containment() {
        let n = Net::parse("192.168.0.1/24").unwrap();
        assert_eq!(n.bits, u128::from(u32::from(Ipv4Addr::new(192, 168, 0, 0))));
        assert!(n.contains(&Net::parse("192.168.0.77").unwrap()));
        assert!(!n.contains(&Net::parse("192.168.1.1").unwrap()));
        assert!(!n.contains(&Net::parse("192.168.0.0/16").unwrap()));
        assert!(Net::parse("0.0.0.0/0").unwrap().contains(&n));
        let v6 = Net::parse("2001:db8:dead:beef::/64").unwrap();
        assert!(v6.contains(&Net::parse("2001:db8:dead:beef::1").unwrap()));
        assert!(!v6.contains(&n));
        assert!(Net::parse("1.2.3.4/33").is_none());
        assert!(Net::parse("1.2.3.4/").is_none());
        assert!(Net::parse("::/0").unwrap().contains(&v6));
    }
}
