//! A minimal, bounded X.509 DER walker: serial, issuer, subject, validity
//! and the SHA-1 fingerprint — what Suricata's `tls` event logs. Only the
//! few TLVs needed are visited; nesting is never followed more than a few
//! levels deep.

use core::fmt::Write;
use sha1::{Digest, Sha1};

/// One DER TLV: tag, contents, and total length consumed (shared with SNMP's BER).
use crate::util::ber_tlv as tlv;

/// Iterate the TLVs inside a constructed value.
fn children(mut b: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    let mut n = 0;
    core::iter::from_fn(move || {
        n += 1;
        if n > 64 {
            return None;
        }
        let (t, body, used) = tlv(b)?;
        b = &b[used..];
        Some((t, body))
    })
}

/// Certificate fields logged by Suricata.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CertInfo {
    pub subject: String,
    pub issuer: String,
    /// `00:AB:…` upper-case, as Suricata writes it.
    pub serial: String,
    /// `ab:cd:…` lower-case SHA-1 of the DER.
    pub fingerprint: String,
    pub not_before: String,
    pub not_after: String,
}

fn oid_name(oid: &[u8]) -> Option<&'static str> {
    Some(match oid {
        [0x55, 0x04, 0x03] => "CN",
        [0x55, 0x04, 0x06] => "C",
        [0x55, 0x04, 0x07] => "L",
        [0x55, 0x04, 0x08] => "ST",
        [0x55, 0x04, 0x09] => "street",
        [0x55, 0x04, 0x0a] => "O",
        [0x55, 0x04, 0x0b] => "OU",
        [0x55, 0x04, 0x05] => "serialNumber",
        [0x55, 0x04, 0x04] => "SN",
        [0x55, 0x04, 0x2a] => "GN",
        [0x55, 0x04, 0x0c] => "title",
        [0x55, 0x04, 0x11] => "postalCode",
        [0x55, 0x04, 0x2e] => "dnQualifier",
        [0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19] => "DC",
        [0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01] => "UID",
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01] => "emailAddress",
        _ => return None,
    })
}

/// Dotted text of an OID (for attribute types without a short name).
fn oid_dotted(oid: &[u8], out: &mut String) {
    let Some(&first) = oid.first() else {
        return;
    };
    let _ = write!(out, "{}.{}", first / 40, first % 40);
    let mut v: u64 = 0;
    for &b in &oid[1..] {
        v = (v << 7) | (b & 0x7f) as u64;
        if b & 0x80 == 0 {
            let _ = write!(out, ".{v}");
            v = 0;
        }
    }
}

/// Text of a directory string value (UTF8, Printable, IA5, T61, BMP).
fn push_string(tag: u8, v: &[u8], out: &mut String) {
    match tag {
        0x1e => {
            // BMPString: UCS-2 big endian
            let units = v.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]]));
            for ch in char::decode_utf16(units) {
                out.push(ch.unwrap_or('\u{fffd}'));
            }
        }
        0x14 => {
            // T61: treat as Latin-1
            for &b in v {
                out.push(b as char);
            }
        }
        _ => out.push_str(&String::from_utf8_lossy(v)),
    }
}

/// `C=US, O=Example, CN=host` in encoding order.
fn name_string(name: &[u8]) -> String {
    let mut out = String::new();
    for (set_tag, set) in children(name) {
        if set_tag != 0x31 {
            continue;
        }
        for (seq_tag, atv) in children(set) {
            if seq_tag != 0x30 {
                continue;
            }
            let mut it = children(atv);
            let (Some((0x06, oid)), Some((vt, val))) = (it.next(), it.next()) else {
                continue;
            };
            if !out.is_empty() {
                out.push_str(", ");
            }
            match oid_name(oid) {
                Some(n) => out.push_str(n),
                None => oid_dotted(oid, &mut out),
            }
            out.push('=');
            push_string(vt, val, &mut out);
        }
    }
    out
}

/// `YYYY-MM-DDTHH:MM:SS` from UTCTime (0x17) or GeneralizedTime (0x18).
fn time_string(tag: u8, v: &[u8]) -> String {
    let digits = |s: &[u8]| s.iter().all(|c| c.is_ascii_digit());
    let (year, rest): (String, &[u8]) = match tag {
        0x17 if v.len() >= 12 && digits(&v[..12]) => {
            let yy = (v[0] - b'0') as u32 * 10 + (v[1] - b'0') as u32;
            let y = if yy >= 50 { 1900 + yy } else { 2000 + yy };
            (y.to_string(), &v[2..12])
        }
        0x18 if v.len() >= 14 && digits(&v[..14]) => {
            (String::from_utf8_lossy(&v[..4]).into_owned(), &v[4..14])
        }
        _ => return String::new(),
    };
    let s = |i: usize| core::str::from_utf8(&rest[i..i + 2]).unwrap_or("00");
    format!("{}-{}-{}T{}:{}:{}", year, s(0), s(2), s(4), s(6), s(8))
}

/// (serial, issuer, validity, subject) contents of a TBSCertificate.
type TbsFields<'a> = (&'a [u8], &'a [u8], &'a [u8], &'a [u8]);

/// The fields [`parse_cert`] reads: (serial, issuer, validity, subject),
/// or None when the certificate is not the expected DER structure. Cheap:
/// no strings, no hash. The TLS parser uses it alone when nothing consumes
/// certificate fields, so the anomaly it raises does not depend on output.
fn tbs_fields(der: &[u8]) -> Option<TbsFields<'_>> {
    let (0x30, cert, _) = tlv(der)? else {
        return None;
    };
    let (0x30, tbs, _) = tlv(cert)? else {
        return None;
    };
    let mut it = children(tbs);
    let mut cur = it.next()?;
    if cur.0 == 0xa0 {
        cur = it.next()?; // explicit version
    }
    let (0x02, serial) = cur else {
        return None;
    };
    let _sig_alg = it.next()?;
    let (0x30, issuer) = it.next()? else {
        return None;
    };
    let (0x30, validity) = it.next()? else {
        return None;
    };
    let (0x30, subject) = it.next()? else {
        return None;
    };
    Some((serial, issuer, validity, subject))
}

/// Whether `der` has the structure [`parse_cert`] needs.
pub fn is_wellformed(der: &[u8]) -> bool {
    tbs_fields(der).is_some()
}

/// Parse the fields Suricata logs from one DER certificate.
pub fn parse_cert(der: &[u8]) -> Option<CertInfo> {
    let (serial, issuer, validity, subject) = tbs_fields(der)?;
    let mut v = children(validity);
    let (nb, na) = (v.next(), v.next());
    let mut info = CertInfo {
        subject: name_string(subject),
        issuer: name_string(issuer),
        ..Default::default()
    };
    for (i, b) in serial.iter().enumerate() {
        if i > 0 {
            info.serial.push(':');
        }
        let _ = write!(info.serial, "{b:02X}");
    }
    let fp: [u8; 20] = Sha1::digest(der).into();
    for (i, b) in fp.iter().enumerate() {
        if i > 0 {
            info.fingerprint.push(':');
        }
        let _ = write!(info.fingerprint, "{b:02x}");
    }
    if let Some((t, b)) = nb {
        info.not_before = time_string(t, b);
    }
    if let Some((t, b)) = na {
        info.not_after = time_string(t, b);
    }
    Some(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small self-signed certificate (DER), built by hand:
    /// serial 0x00A1B2, issuer = subject = "C=DE, O=Reef, CN=reef.test",
    /// validity 2024-01-02 03:04:05 .. 2049-12-31 23:59:59.
    fn sample_cert() -> Vec<u8> {
        fn t(tag: u8, body: &[u8]) -> Vec<u8> {
            let mut v = vec![tag];
            if body.len() < 0x80 {
                v.push(body.len() as u8);
            } else {
                v.push(0x82);
                v.extend_from_slice(&(body.len() as u16).to_be_bytes());
            }
            v.extend_from_slice(body);
            v
        }
        let atv =
            |oid: &[u8], val: &[u8]| t(0x31, &t(0x30, &[t(0x06, oid), t(0x0c, val)].concat()));
        let name = t(
            0x30,
            &[
                atv(&[0x55, 4, 6], b"DE"),
                atv(&[0x55, 4, 10], b"Reef"),
                atv(&[0x55, 4, 3], b"reef.test"),
            ]
            .concat(),
        );
        let validity = t(
            0x30,
            &[t(0x17, b"240102030405Z"), t(0x18, b"20491231235959Z")].concat(),
        );
        let alg = t(
            0x30,
            &t(0x06, &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 1, 1, 11]),
        );
        let tbs = t(
            0x30,
            &[
                t(0xa0, &t(0x02, &[2])),
                t(0x02, &[0x00, 0xa1, 0xb2]),
                alg.clone(),
                name.clone(),
                validity,
                name,
                t(0x30, &[]),
            ]
            .concat(),
        );
        t(0x30, &[tbs, alg, t(0x03, &[0, 1, 2, 3])].concat())
    }

    #[test]
    fn parses_fields() {
        let der = sample_cert();
        let c = parse_cert(&der).unwrap();
        assert_eq!(c.subject, "C=DE, O=Reef, CN=reef.test");
        assert_eq!(c.issuer, c.subject);
        assert_eq!(c.serial, "00:A1:B2");
        assert_eq!(c.not_before, "2024-01-02T03:04:05");
        assert_eq!(c.not_after, "2049-12-31T23:59:59");
        assert_eq!(c.fingerprint.len(), 59);
    }

    #[test]
    fn truncations_never_panic() {
        let der = sample_cert();
        for n in 0..der.len() {
            let _ = parse_cert(&der[..n]);
        }
        assert!(parse_cert(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]).is_none());
    }
}
