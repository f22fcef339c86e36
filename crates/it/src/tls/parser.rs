//! TLS record and handshake wire format (RFC 5246 / 8446): zero-copy views
//! of records, handshake messages, ClientHello and ServerHello.

use crate::util::{be16, be24, Cursor};

pub const RECORD_HEADER_LEN: usize = 5;
/// Largest record accepted (2^14 plus expansion allowance).
pub const MAX_RECORD_LEN: usize = 16384 + 2048;

pub const CT_CHANGE_CIPHER_SPEC: u8 = 20;
pub const CT_ALERT: u8 = 21;
pub const CT_HANDSHAKE: u8 = 22;
pub const CT_APPLICATION_DATA: u8 = 23;
pub const CT_HEARTBEAT: u8 = 24;

pub const HS_CLIENT_HELLO: u8 = 1;
pub const HS_SERVER_HELLO: u8 = 2;
pub const HS_CERTIFICATE: u8 = 11;
pub const HS_SERVER_HELLO_DONE: u8 = 14;
pub const HS_FINISHED: u8 = 20;

pub const EXT_SNI: u16 = 0;
pub const EXT_SUPPORTED_GROUPS: u16 = 10;
pub const EXT_EC_POINT_FORMATS: u16 = 11;
pub const EXT_SIG_ALGS: u16 = 13;
pub const EXT_ALPN: u16 = 16;
pub const EXT_SUPPORTED_VERSIONS: u16 = 43;

/// Record header view: `type(1) version(2) length(2)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordHeader {
    pub content_type: u8,
    pub version: u16,
    pub length: usize,
}

impl RecordHeader {
    pub fn parse(b: &[u8]) -> Option<RecordHeader> {
        Some(RecordHeader {
            content_type: *b.first()?,
            version: be16(b, 1)?,
            length: be16(b, 3)? as usize,
        })
    }
    /// Plausible TLS record (for probing and resync).
    pub fn plausible(&self) -> bool {
        (CT_CHANGE_CIPHER_SPEC..=CT_HEARTBEAT).contains(&self.content_type)
            && (self.version >> 8 == 3 && self.version & 0xff <= 4)
            && self.length <= MAX_RECORD_LEN
    }
}

/// GREASE values (RFC 8701): 0x?a?a with both bytes equal.
#[inline]
pub fn is_grease(v: u16) -> bool {
    v & 0x0f0f == 0x0a0a && (v >> 8) == (v & 0xff)
}

/// Iterate `u16` values of a list.
pub fn u16s(b: &[u8]) -> impl Iterator<Item = u16> + '_ {
    b.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]]))
}

/// One extension: type and body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Extension<'a> {
    pub ty: u16,
    pub body: &'a [u8],
}

/// Iterate an extensions block; stops at the first malformed entry.
pub fn extensions(block: &[u8]) -> impl Iterator<Item = Extension<'_>> + '_ {
    let mut c = Cursor::new(block);
    core::iter::from_fn(move || {
        let ty = c.be16()?;
        let body = c.vec16()?;
        Some(Extension { ty, body })
    })
}

/// ClientHello (zero-copy).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClientHello<'a> {
    pub version: u16,
    pub session_id: &'a [u8],
    /// Cipher suites, 2 bytes each.
    pub ciphers: &'a [u8],
    pub compression: &'a [u8],
    /// Whole extensions block (may be empty).
    pub ext_block: &'a [u8],
    pub sni: Option<&'a [u8]>,
    pub groups: &'a [u8],
    pub point_formats: &'a [u8],
    pub sig_algs: &'a [u8],
    /// ALPN protocol_name_list (each prefixed by a 1-byte length).
    pub alpn: &'a [u8],
    /// supported_versions list (2 bytes each).
    pub supported_versions: &'a [u8],
}

impl<'a> ClientHello<'a> {
    /// Parse the body of a ClientHello handshake message.
    pub fn parse(body: &'a [u8]) -> Option<ClientHello<'a>> {
        let mut c = Cursor::new(body);
        let version = c.be16()?;
        c.take(32)?;
        let session_id = c.vec8()?;
        let ciphers = c.vec16()?;
        let compression = c.vec8()?;
        let ext_block = if c.remaining() >= 2 {
            c.vec16().unwrap_or(&[])
        } else {
            &[]
        };
        let mut ch = ClientHello {
            version,
            session_id,
            ciphers: &ciphers[..ciphers.len() & !1],
            compression,
            ext_block,
            ..Default::default()
        };
        for e in extensions(ext_block) {
            let mut ec = Cursor::new(e.body);
            match e.ty {
                EXT_SNI => {
                    // server_name_list: type(1) name(vec16); first host_name
                    if let Some(list) = ec.vec16() {
                        let mut lc = Cursor::new(list);
                        while let (Some(t), Some(n)) = (lc.u8(), lc.vec16()) {
                            if t == 0 {
                                ch.sni = Some(n);
                                break;
                            }
                        }
                    }
                }
                EXT_SUPPORTED_GROUPS => ch.groups = ec.vec16().unwrap_or(&[]),
                EXT_EC_POINT_FORMATS => ch.point_formats = ec.vec8().unwrap_or(&[]),
                EXT_SIG_ALGS => ch.sig_algs = ec.vec16().unwrap_or(&[]),
                EXT_ALPN => ch.alpn = ec.vec16().unwrap_or(&[]),
                EXT_SUPPORTED_VERSIONS => ch.supported_versions = ec.vec8().unwrap_or(&[]),
                _ => {}
            }
        }
        Some(ch)
    }

    /// ALPN protocol names in order.
    pub fn alpns(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let mut c = Cursor::new(self.alpn);
        core::iter::from_fn(move || c.vec8())
    }
}

/// ServerHello (zero-copy).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServerHello<'a> {
    pub version: u16,
    pub session_id: &'a [u8],
    pub cipher: u16,
    pub compression: u8,
    pub ext_block: &'a [u8],
    /// From supported_versions, when present (TLS 1.3).
    pub selected_version: Option<u16>,
    pub alpn: Option<&'a [u8]>,
}

impl<'a> ServerHello<'a> {
    pub fn parse(body: &'a [u8]) -> Option<ServerHello<'a>> {
        let mut c = Cursor::new(body);
        let version = c.be16()?;
        c.take(32)?;
        let session_id = c.vec8()?;
        let cipher = c.be16()?;
        let compression = c.u8()?;
        let ext_block = if c.remaining() >= 2 {
            c.vec16().unwrap_or(&[])
        } else {
            &[]
        };
        let mut sh = ServerHello {
            version,
            session_id,
            cipher,
            compression,
            ext_block,
            ..Default::default()
        };
        for e in extensions(ext_block) {
            match e.ty {
                EXT_SUPPORTED_VERSIONS => sh.selected_version = be16(e.body, 0),
                EXT_ALPN => {
                    let mut ec = Cursor::new(e.body);
                    if let Some(list) = ec.vec16() {
                        sh.alpn = Cursor::new(list).vec8();
                    }
                }
                _ => {}
            }
        }
        Some(sh)
    }
}

/// Iterate the certificates (DER) of a Certificate message body (TLS ≤ 1.2).
pub fn certificates(body: &[u8]) -> impl Iterator<Item = &[u8]> + '_ {
    let mut c = Cursor::new(body);
    let list = c.vec24().unwrap_or(&[]);
    let mut lc = Cursor::new(list);
    core::iter::from_fn(move || lc.vec24())
}

/// Handshake message header: `type(1) length(3)`.
pub fn handshake_header(b: &[u8]) -> Option<(u8, usize)> {
    Some((*b.first()?, be24(b, 1)? as usize))
}

/// Suricata's text for a protocol version.
pub fn version_str(v: u16) -> &'static str {
    match v {
        0x0002 => "SSLv2",
        0x0300 => "SSLv3",
        0x0301 => "TLS 1.0",
        0x0302 => "TLS 1.1",
        0x0303 => "TLS 1.2",
        0x0304 => "TLS 1.3",
        0xfeff => "DTLS 1.0",
        0xfefd => "DTLS 1.2",
        0xfefc => "DTLS 1.3",
        v if v & 0xff00 == 0x7f00 => "TLS 1.3 draft",
        _ => "UNDETERMINED",
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A ClientHello body (after the 4-byte handshake header), annotated.
    pub fn sample_client_hello() -> Vec<u8> {
        let mut b = vec![0x03, 0x03]; // legacy_version TLS 1.2
        b.extend_from_slice(&[0x11; 32]); // random
        b.push(0); // session id: empty
        b.extend_from_slice(&[0x00, 0x06, 0x0a, 0x0a, 0x13, 0x01, 0xc0, 0x2f]); // ciphers: GREASE, 1301, c02f
        b.extend_from_slice(&[0x01, 0x00]); // compression: null
        let mut ext = Vec::new();
        ext.extend_from_slice(&[0x2a, 0x2a, 0x00, 0x00]); // GREASE ext, empty
                                                          // SNI "example.com"
        ext.extend_from_slice(&[0x00, 0x00, 0x00, 0x10, 0x00, 0x0e, 0x00, 0x00, 0x0b]);
        ext.extend_from_slice(b"example.com");
        ext.extend_from_slice(&[0x00, 0x0a, 0x00, 0x06, 0x00, 0x04, 0x1a, 0x1a, 0x00, 0x1d]); // groups: GREASE, x25519
        ext.extend_from_slice(&[0x00, 0x0b, 0x00, 0x02, 0x01, 0x00]); // point formats: uncompressed
        ext.extend_from_slice(&[0x00, 0x0d, 0x00, 0x06, 0x00, 0x04, 0x04, 0x03, 0x08, 0x04]); // sig algs
        ext.extend_from_slice(&[0x00, 0x10, 0x00, 0x05, 0x00, 0x03, 0x02, b'h', b'2']); // ALPN h2
        ext.extend_from_slice(&[0x00, 0x2b, 0x00, 0x03, 0x02, 0x03, 0x04]); // supported_versions: 1.3
        b.extend_from_slice(&(ext.len() as u16).to_be_bytes());
        b.extend_from_slice(&ext);
        b
    }

    #[test]
    fn client_hello_fields() {
        let body = sample_client_hello();
        let ch = ClientHello::parse(&body).unwrap();
        assert_eq!(ch.version, 0x0303);
        assert_eq!(ch.sni, Some(&b"example.com"[..]));
        assert_eq!(
            u16s(ch.ciphers).collect::<Vec<_>>(),
            vec![0x0a0a, 0x1301, 0xc02f]
        );
        assert_eq!(ch.alpns().collect::<Vec<_>>(), vec![&b"h2"[..]]);
        assert_eq!(
            u16s(ch.supported_versions).collect::<Vec<_>>(),
            vec![0x0304]
        );
        assert_eq!(extensions(ch.ext_block).count(), 7);
        // truncated bodies never panic
        for n in 0..body.len() {
            let _ = ClientHello::parse(&body[..n]);
        }
    }

    #[test]
    fn grease() {
        assert!(is_grease(0x0a0a) && is_grease(0xfafa) && !is_grease(0x0a1a) && !is_grease(0x1301));
    }

    #[test]
    fn record_header() {
        let h = RecordHeader::parse(&[0x16, 0x03, 0x01, 0x02, 0x00]).unwrap();
        assert!(h.plausible());
        assert_eq!(h.length, 512);
        assert!(!RecordHeader::parse(b"GET /").unwrap().plausible());
    }
}
