//! SSH transport (RFC 4253): the identification banner and the binary
//! packet framing up to KEXINIT, whose name-lists feed HASSH.

use crate::util::{be32, Cursor};

/// Longest identification line (RFC 4253 §4.2: 255 including CRLF).
pub const MAX_BANNER_LEN: usize = 255;
/// Largest packet accepted (RFC 4253 §6.1 requires 35000).
pub const MAX_PACKET_LEN: usize = 35000;

pub const MSG_KEXINIT: u8 = 20;
pub const MSG_NEWKEYS: u8 = 21;

/// `SSH-protoversion-softwareversion [SP comments]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Banner<'a> {
    pub proto_version: &'a [u8],
    pub software_version: &'a [u8],
    pub comments: &'a [u8],
}

impl<'a> Banner<'a> {
    /// Parse one line (without CR/LF).
    pub fn parse(line: &'a [u8]) -> Option<Banner<'a>> {
        let rest = line.strip_prefix(b"SSH-")?;
        let dash = memchr::memchr(b'-', rest)?;
        let proto_version = &rest[..dash];
        let sw_all = &rest[dash + 1..];
        let (software_version, comments) = match memchr::memchr(b' ', sw_all) {
            Some(i) => (&sw_all[..i], &sw_all[i + 1..]),
            None => (sw_all, &[][..]),
        };
        Some(Banner {
            proto_version,
            software_version,
            comments,
        })
    }
}

/// Binary packet header: `packet_length(4) padding_length(1)`; returns
/// (total bytes of the packet, payload slice) when complete.
pub fn packet(b: &[u8]) -> Result<(usize, &[u8]), Option<usize>> {
    let Some(len) = be32(b, 0) else {
        return Err(Some(4 - b.len()));
    };
    let len = len as usize;
    if !(5..=MAX_PACKET_LEN).contains(&len) {
        return Err(None);
    }
    let total = 4 + len;
    if b.len() < total {
        return Err(Some(total - b.len()));
    }
    let pad = b[4] as usize;
    let payload = b.get(5..total.saturating_sub(pad)).unwrap_or(&[]);
    Ok((total, payload))
}

/// KEXINIT name-lists (zero-copy, comma-separated as on the wire).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KexInit<'a> {
    pub kex: &'a [u8],
    pub host_key: &'a [u8],
    pub enc_c2s: &'a [u8],
    pub enc_s2c: &'a [u8],
    pub mac_c2s: &'a [u8],
    pub mac_s2c: &'a [u8],
    pub comp_c2s: &'a [u8],
    pub comp_s2c: &'a [u8],
}

impl<'a> KexInit<'a> {
    /// Parse a KEXINIT payload (starting with the message number).
    pub fn parse(payload: &'a [u8]) -> Option<KexInit<'a>> {
        let mut c = Cursor::new(payload);
        if c.u8()? != MSG_KEXINIT {
            return None;
        }
        c.take(16)?; // cookie
        let mut list = || -> Option<&'a [u8]> {
            let n = c.be32()? as usize;
            c.take(n)
        };
        Some(KexInit {
            kex: list()?,
            host_key: list()?,
            enc_c2s: list()?,
            enc_s2c: list()?,
            mac_c2s: list()?,
            mac_s2c: list()?,
            comp_c2s: list()?,
            comp_s2c: list()?,
        })
    }

    /// HASSH string: client side `kex;enc_c2s;mac_c2s;comp_c2s`, server side
    /// the s2c lists.
    pub fn hassh_string(&self, client: bool) -> Vec<u8> {
        let parts: [&[u8]; 4] = if client {
            [self.kex, self.enc_c2s, self.mac_c2s, self.comp_c2s]
        } else {
            [self.kex, self.enc_s2c, self.mac_s2c, self.comp_s2c]
        };
        parts.join(&b';')
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn kexinit_packet() -> Vec<u8> {
        let mut p = vec![MSG_KEXINIT];
        p.extend_from_slice(&[0xaa; 16]); // cookie
        for l in [
            &b"curve25519-sha256,diffie-hellman-group14-sha256"[..],
            b"ssh-ed25519",
            b"aes128-ctr",
            b"aes256-ctr",
            b"hmac-sha2-256",
            b"hmac-sha2-512",
            b"none",
            b"none,zlib",
            b"",
            b"",
        ] {
            p.extend_from_slice(&(l.len() as u32).to_be_bytes());
            p.extend_from_slice(l);
        }
        p.extend_from_slice(&[0, 0, 0, 0, 0]); // first_kex_follows, reserved
        let pad = 4usize;
        let mut pkt = ((p.len() + 1 + pad) as u32).to_be_bytes().to_vec();
        pkt.push(pad as u8);
        pkt.extend_from_slice(&p);
        pkt.extend_from_slice(&[0; 4]);
        pkt
    }

    #[test]
    fn banner() {
        let b = Banner::parse(b"SSH-2.0-OpenSSH_8.9p1 Ubuntu-3").unwrap();
        assert_eq!(b.proto_version, b"2.0");
        assert_eq!(b.software_version, b"OpenSSH_8.9p1");
        assert_eq!(b.comments, b"Ubuntu-3");
        assert!(Banner::parse(b"HTTP/1.1 200").is_none());
    }

    #[test]
    fn kexinit_and_hassh() {
        let pkt = kexinit_packet();
        let (total, payload) = packet(&pkt).unwrap();
        assert_eq!(total, pkt.len());
        let k = KexInit::parse(payload).unwrap();
        assert_eq!(k.enc_c2s, b"aes128-ctr");
        assert_eq!(
            k.hassh_string(true),
            b"curve25519-sha256,diffie-hellman-group14-sha256;aes128-ctr;hmac-sha2-256;none"
                .to_vec()
        );
        assert_eq!(packet(&pkt[..10]), Err(Some(pkt.len() - 10)));
        assert_eq!(packet(&[0xff, 0xff, 0xff, 0xff, 0]), Err(None));
        for n in 0..payload.len() {
            let _ = KexInit::parse(&payload[..n]);
        }
    }
}
