//! TLS client/server fingerprints, written from the published definitions:
//!
//! * JA3 (Salesforce): `SSLVersion,Ciphers,Extensions,EllipticCurves,
//!   EllipticCurvePointFormats`, decimal values joined by `-`, GREASE
//!   (RFC 8701) removed; the hash is the MD5 of that string.
//! * JA3S: `SSLVersion,Cipher,Extensions` of the ServerHello.
//! * JA4 (FoxIO): `{t|q|d}{version}{d|i}{#ciphers:02}{#exts:02}{alpn}_`
//!   `{sha256(sorted ciphers)[..12]}_{sha256(sorted exts minus SNI/ALPN
//!   "_" sig algs in order)[..12]}`.

use super::parser::{extensions, is_grease, u16s, ClientHello, ServerHello, EXT_ALPN, EXT_SNI};
use core::fmt::Write;
use md5::{Digest, Md5};
use sha2::Sha256;

fn join_dec(out: &mut String, vals: impl Iterator<Item = u16>) {
    let mut first = true;
    for v in vals {
        if !first {
            out.push('-');
        }
        first = false;
        let _ = write!(out, "{v}");
    }
}

/// JA3 string of a ClientHello.
pub fn ja3_string(ch: &ClientHello<'_>) -> String {
    let mut s = String::with_capacity(256);
    let _ = write!(s, "{},", ch.version);
    join_dec(&mut s, u16s(ch.ciphers).filter(|&c| !is_grease(c)));
    s.push(',');
    join_dec(
        &mut s,
        extensions(ch.ext_block)
            .map(|e| e.ty)
            .filter(|&t| !is_grease(t)),
    );
    s.push(',');
    join_dec(&mut s, u16s(ch.groups).filter(|&g| !is_grease(g)));
    s.push(',');
    join_dec(&mut s, ch.point_formats.iter().map(|&p| p as u16));
    s
}

/// JA3S string of a ServerHello.
pub fn ja3s_string(sh: &ServerHello<'_>) -> String {
    let mut s = String::with_capacity(64);
    let _ = write!(s, "{},{},", sh.version, sh.cipher);
    join_dec(
        &mut s,
        extensions(sh.ext_block)
            .map(|e| e.ty)
            .filter(|&t| !is_grease(t)),
    );
    s
}

/// Lower-case hex MD5 of `s` (the JA3/JA3S hash).
pub fn md5_hex(s: &str) -> String {
    let d: [u8; 16] = Md5::digest(s.as_bytes()).into();
    let mut out = String::with_capacity(32);
    crate::util::hex_lower(&d, &mut out);
    out
}

fn sha256_12(s: &str) -> String {
    if s.is_empty() {
        return "000000000000".to_string();
    }
    let d: [u8; 32] = Sha256::digest(s.as_bytes()).into();
    let mut out = String::with_capacity(12);
    crate::util::hex_lower(&d[..6], &mut out);
    out
}

fn join_hex_sorted(vals: &mut [u16], out: &mut String) {
    vals.sort_unstable();
    for (i, v) in vals.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{v:04x}");
    }
}

/// JA4 version part from the highest supported_versions entry (GREASE
/// skipped), else the legacy version.
fn ja4_version(ch: &ClientHello<'_>) -> &'static str {
    let v = u16s(ch.supported_versions)
        .filter(|&v| !is_grease(v))
        .max()
        .unwrap_or(ch.version);
    match v {
        0x0304 => "13",
        0x0303 => "12",
        0x0302 => "11",
        0x0301 => "10",
        0x0300 => "s3",
        0x0002 => "s2",
        0xfeff => "d1",
        0xfefd => "d2",
        0xfefc => "d3",
        _ => "00",
    }
}

/// JA4 ALPN part: first and last character of the first ALPN value; its
/// hex's first and last character when either is not alphanumeric.
fn ja4_alpn(ch: &ClientHello<'_>, out: &mut String) {
    match ch.alpns().next() {
        Some(a) if !a.is_empty() => {
            let (f, l) = (a[0], a[a.len() - 1]);
            if f.is_ascii_alphanumeric() && l.is_ascii_alphanumeric() {
                out.push(f as char);
                out.push(l as char);
            } else {
                const H: &[u8; 16] = b"0123456789abcdef";
                out.push(H[(f >> 4) as usize] as char);
                out.push(H[(l & 15) as usize] as char);
            }
        }
        _ => out.push_str("00"),
    }
}

/// JA4 of a ClientHello; `transport` is `'t'` (TCP), `'q'` (QUIC) or `'d'` (DTLS).
/// Returns (ja4, ja4_r).
pub fn ja4(ch: &ClientHello<'_>, transport: char) -> (String, String) {
    let mut ciphers: Vec<u16> = u16s(ch.ciphers).filter(|&c| !is_grease(c)).collect();
    let all_exts: Vec<u16> = extensions(ch.ext_block)
        .map(|e| e.ty)
        .filter(|&t| !is_grease(t))
        .collect();
    let mut a = String::with_capacity(10);
    a.push(transport);
    a.push_str(ja4_version(ch));
    a.push(if ch.sni.is_some() || all_exts.contains(&EXT_SNI) {
        'd'
    } else {
        'i'
    });
    let _ = write!(
        a,
        "{:02}{:02}",
        ciphers.len().min(99),
        all_exts.len().min(99)
    );
    ja4_alpn(ch, &mut a);
    let mut b = String::with_capacity(ciphers.len() * 5);
    join_hex_sorted(&mut ciphers, &mut b);
    let mut exts: Vec<u16> = all_exts
        .into_iter()
        .filter(|&t| t != EXT_SNI && t != EXT_ALPN)
        .collect();
    let mut c = String::with_capacity(exts.len() * 5 + 64);
    join_hex_sorted(&mut exts, &mut c);
    let sigs: Vec<u16> = u16s(ch.sig_algs).filter(|&s| !is_grease(s)).collect();
    if !sigs.is_empty() {
        c.push('_');
        for (i, s) in sigs.iter().enumerate() {
            if i > 0 {
                c.push(',');
            }
            let _ = write!(c, "{s:04x}");
        }
    }
    let hb = if ciphers.is_empty() {
        "000000000000".to_string()
    } else {
        sha256_12(&b)
    };
    let hc = if exts.is_empty() {
        "000000000000".to_string()
    } else {
        sha256_12(&c)
    };
    let ja4 = format!("{a}_{hb}_{hc}");
    let ja4_r = format!("{a}_{b}_{c}");
    (ja4, ja4_r)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Build a ClientHello body from lists (for the published examples).
    fn hello(ciphers: &[u16], exts: &[(u16, Vec<u8>)]) -> Vec<u8> {
        let mut b = vec![0x03, 0x03];
        b.extend_from_slice(&[0u8; 32]);
        b.push(0);
        b.extend_from_slice(&((ciphers.len() * 2) as u16).to_be_bytes());
        for c in ciphers {
            b.extend_from_slice(&c.to_be_bytes());
        }
        b.extend_from_slice(&[1, 0]);
        let mut e = Vec::new();
        for (t, body) in exts {
            e.extend_from_slice(&t.to_be_bytes());
            e.extend_from_slice(&(body.len() as u16).to_be_bytes());
            e.extend_from_slice(body);
        }
        b.extend_from_slice(&(e.len() as u16).to_be_bytes());
        b.extend_from_slice(&e);
        b
    }

    fn list16(vals: &[u16]) -> Vec<u8> {
        let mut v = ((vals.len() * 2) as u16).to_be_bytes().to_vec();
        for x in vals {
            v.extend_from_slice(&x.to_be_bytes());
        }
        v
    }

    /// FoxIO's published JA4 example (JA4_ro ordering from the spec):
    /// t13d1516h2_8daaf6152771_e5627efa2ab1.
    #[test]
    fn ja4_published_example() {
        let ciphers = [
            0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014,
            0x009c, 0x009d, 0x002f, 0x0035,
        ];
        let sigs = [
            0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
        ];
        let mut sni = vec![0x00, 0x0e, 0x00, 0x00, 0x0b];
        sni.extend_from_slice(b"example.com");
        let exts: Vec<(u16, Vec<u8>)> = vec![
            (0x0000, sni),
            (0x0033, vec![]),
            (0x000d, list16(&sigs)),
            (0x0023, vec![]),
            (0x000b, vec![1, 0]),
            (0xff01, vec![0]),
            (0x000a, list16(&[0x001d])),
            (0x001b, vec![]),
            (0x4469, vec![]),
            (0x0012, vec![]),
            (0x002d, vec![]),
            (0x0010, vec![0x00, 0x03, 0x02, b'h', b'2']),
            (0x0005, vec![]),
            (0x002b, vec![0x04, 0x03, 0x04, 0x03, 0x03]),
            (0x0017, vec![]),
            (0x0015, vec![]),
        ];
        // with GREASE sprinkled in: must not change anything
        let mut g_ciphers = vec![0x5a5a];
        g_ciphers.extend_from_slice(&ciphers);
        let mut g_exts = vec![(0x8a8a, vec![])];
        g_exts.extend(exts.iter().cloned());
        for body in [hello(&ciphers, &exts), hello(&g_ciphers, &g_exts)] {
            let ch = ClientHello::parse(&body).unwrap();
            let (j, r) = ja4(&ch, 't');
            assert_eq!(j, "t13d1516h2_8daaf6152771_e5627efa2ab1");
            assert_eq!(
                r,
                "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601"
            );
        }
    }

    /// Salesforce's published JA3 examples (string -> MD5).
    #[test]
    fn ja3_published_examples() {
        assert_eq!(
            md5_hex("769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0"),
            "ada70206e40642a3e4461f35503241d5"
        );
        assert_eq!(
            md5_hex("769,4-5-10-9-100-98-3-6-19-18-99,,,"),
            "de350869b8c85de67a350c8d186f11e6"
        );
        // and the string builder produces the first from its hello
        let body = {
            let mut b = vec![0x03, 0x01];
            b.extend_from_slice(&[0u8; 32]);
            b.push(0);
            let cs = [47u16, 53, 5, 10, 49161, 49162, 49171, 49172, 50, 56, 19, 4];
            b.extend_from_slice(&((cs.len() * 2) as u16).to_be_bytes());
            for c in cs {
                b.extend_from_slice(&c.to_be_bytes());
            }
            b.extend_from_slice(&[1, 0]);
            let mut e = vec![0, 0, 0, 0]; // SNI, empty body
            e.extend_from_slice(&[0, 10, 0, 8, 0, 6, 0, 23, 0, 24, 0, 25]);
            e.extend_from_slice(&[0, 11, 0, 2, 1, 0]);
            b.extend_from_slice(&(e.len() as u16).to_be_bytes());
            b.extend_from_slice(&e);
            b
        };
        let ch = ClientHello::parse(&body).unwrap();
        assert_eq!(
            ja3_string(&ch),
            "769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0"
        );
    }

    #[test]
    fn ja4_alpn_and_empty_cases() {
        let body = hello(&[], &[(0x0010, vec![0x00, 0x04, 0x03, 0xab, b'x', 0xcd])]);
        let ch = ClientHello::parse(&body).unwrap();
        let (j, _) = ja4(&ch, 't');
        // no SNI, 0 ciphers, 1 extension, ALPN non-alnum -> hex first/last chars
        assert!(j.starts_with("t12i0001ad_000000000000_"), "{j}");
        assert!(j.ends_with("_000000000000"), "{j}");
    }
}
