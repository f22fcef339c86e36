//! RDP connection sequence (MS-RDPBCGR): TPKT + X.224 Connection Request /
//! Confirm with the routing cookie and RDP_NEG_REQ/RSP, and the client core
//! and network data of the MCS Connect-Initial (standard RDP security only;
//! with TLS/CredSSP the rest is encrypted).

use crate::util::{be16, le16, le32};

pub const TPKT_HEADER_LEN: usize = 4;
pub const X224_CR: u8 = 0xe0;
pub const X224_CC: u8 = 0xd0;
pub const X224_DATA: u8 = 0xf0;

/// TPKT: `03 00 len(2)`; returns the total length of the packet.
pub fn tpkt_len(b: &[u8]) -> Option<usize> {
    if *b.first()? != 3 {
        return None;
    }
    let len = be16(b, 2)? as usize;
    (len >= 7).then_some(len)
}

/// X.224 TPDU inside a TPKT: (code, variable part after the fixed header).
pub fn x224(tpkt: &[u8]) -> Option<(u8, &[u8])> {
    let li = *tpkt.get(4)? as usize;
    let code = *tpkt.get(5)? & 0xf0;
    let end = (5 + 1 + li).min(tpkt.len());
    match code {
        X224_CR | X224_CC => Some((code, tpkt.get(11..end).unwrap_or(&[]))),
        X224_DATA => Some((code, tpkt.get(7..).unwrap_or(&[]))),
        _ => Some((code, &[])),
    }
}

/// Connection Request: optional `Cookie: mstshash=...\r\n` and RDP_NEG_REQ.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConnectionRequest<'a> {
    pub cookie: Option<&'a [u8]>,
    pub requested_protocols: Option<u32>,
}

impl<'a> ConnectionRequest<'a> {
    pub fn parse(var: &'a [u8]) -> ConnectionRequest<'a> {
        let mut r = ConnectionRequest::default();
        let mut rest = var;
        if let Some(c) = var.strip_prefix(b"Cookie: ") {
            if let Some(nl) = memchr::memmem::find(c, b"\r\n") {
                let v = &c[..nl];
                r.cookie = Some(v.strip_prefix(b"mstshash=").unwrap_or(v));
                rest = &c[nl + 2..];
            }
        }
        if rest.first() == Some(&1) && le16(rest, 2) == Some(8) {
            r.requested_protocols = le32(rest, 4);
        }
        r
    }
}

/// Connection Confirm: selected protocol or failure code.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConnectionConfirm {
    pub selected_protocol: Option<u32>,
    pub failure: Option<u32>,
}

impl ConnectionConfirm {
    pub fn parse(var: &[u8]) -> ConnectionConfirm {
        match (var.first(), le32(var, 4)) {
            (Some(2), Some(p)) => ConnectionConfirm {
                selected_protocol: Some(p),
                failure: None,
            },
            (Some(3), Some(f)) => ConnectionConfirm {
                selected_protocol: None,
                failure: Some(f),
            },
            _ => ConnectionConfirm::default(),
        }
    }
}

/// Client core data (TS_UD_CS_CORE) fields and the static channel names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientData {
    pub version: u32,
    pub desktop_width: u16,
    pub desktop_height: u16,
    pub color_depth: u16,
    pub keyboard_layout: u32,
    pub build: u32,
    pub client_name: String,
    pub keyboard_type: u32,
    pub function_keys: u32,
    pub channels: Vec<String>,
}

fn utf16z(b: &[u8]) -> String {
    let units = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0);
    char::decode_utf16(units)
        .map(|c| c.unwrap_or('\u{fffd}'))
        .collect()
}

/// Find the client user-data blocks in an MCS Connect-Initial (searched
/// by their type/length headers; bounded by the PDU).
pub fn client_data(pdu: &[u8]) -> Option<ClientData> {
    let core_at = memchr::memmem::find_iter(pdu, &[0x01, 0xc0]).find(|&i| {
        le16(pdu, i + 2).is_some_and(|l| (128..=1024).contains(&l) && i + l as usize <= pdu.len())
    })?;
    let c = &pdu[core_at..];
    let mut d = ClientData {
        version: le32(c, 4)?,
        desktop_width: le16(c, 8)?,
        desktop_height: le16(c, 10)?,
        keyboard_layout: le32(c, 16)?,
        build: le32(c, 20)?,
        client_name: utf16z(c.get(24..56)?),
        keyboard_type: le32(c, 56)?,
        function_keys: le32(c, 64)?,
        ..Default::default()
    };
    d.color_depth = match le16(c, 12)? {
        0xca00 => 4,
        0xca01 => 8,
        _ => 0,
    };
    // highColorDepth (at 136) when present
    if let Some(h) = le16(c, 136).filter(|_| le16(c, 2).is_some_and(|l| l >= 138)) {
        if matches!(h, 4 | 8 | 15 | 16 | 24) {
            d.color_depth = h;
        }
    }
    // network data: CS_NET (0xc003): channelCount, then 12-byte definitions
    if let Some(n) = memchr::memmem::find_iter(pdu, &[0x03, 0xc0]).find(|&i| {
        let (l, cnt) = (le16(pdu, i + 2), le32(pdu, i + 4));
        matches!((l, cnt), (Some(l), Some(c)) if c <= 31 && l as usize == 8 + 12 * c as usize)
    }) {
        let cnt = le32(pdu, n + 4).unwrap_or(0) as usize;
        for k in 0..cnt {
            if let Some(name) = pdu.get(n + 8 + 12 * k..n + 16 + 12 * k) {
                let end = name.iter().position(|&b| b == 0).unwrap_or(8);
                d.channels
                    .push(String::from_utf8_lossy(&name[..end]).into_owned());
            }
        }
    }
    Some(d)
}

pub fn version_str(v: u32) -> &'static str {
    match v {
        0x0008_0001 => "v4",
        0x0008_0004 => "v5",
        0x0008_0005 => "v10.0",
        0x0008_0006 => "v10.1",
        0x0008_0007 => "v10.2",
        0x0008_0008 => "v10.3",
        0x0008_0009 => "v10.4",
        0x0008_000a => "v10.5",
        0x0008_000b => "v10.6",
        0x0008_000c => "v10.7",
        0x0008_000d => "v10.8",
        0x0008_000e => "v10.9",
        0x0008_000f => "v10.10",
        0x0008_0010 => "v10.11",
        0x0008_0011 => "v10.12",
        _ => "unknown",
    }
}

pub fn keyboard_layout_str(l: u32) -> Option<&'static str> {
    Some(match l {
        0x0409 => "en-US",
        0x0809 => "en-GB",
        0x0407 => "de-DE",
        0x040c => "fr-FR",
        0x0410 => "it-IT",
        0x040a => "es-ES",
        0x0411 => "ja-JP",
        0x0419 => "ru-RU",
        0x0804 => "zh-CN",
        0x0413 => "nl-NL",
        0x0415 => "pl-PL",
        0x041d => "sv-SE",
        0x0416 => "pt-BR",
        _ => return None,
    })
}

pub fn keyboard_type_str(t: u32) -> &'static str {
    match t {
        1 => "xt",
        2 => "olivetti",
        3 => "at",
        4 => "enhanced",
        5 => "nokia1050",
        6 => "nokia9140",
        7 => "japanese",
        _ => "unknown",
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// X.224 Connection Request with cookie "mstshash=eltons" and
    /// RDP_NEG_REQ requesting TLS|CredSSP (0x3).
    pub fn connection_request() -> Vec<u8> {
        let mut var = b"Cookie: mstshash=eltons\r\n".to_vec();
        var.extend_from_slice(&[0x01, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00]);
        let li = 6 + var.len();
        let mut p = vec![0x03, 0x00, 0x00, 0x00, li as u8, 0xe0, 0, 0, 0, 0, 0];
        p.extend_from_slice(&var);
        let len = p.len() as u16;
        p[2..4].copy_from_slice(&len.to_be_bytes());
        p
    }

    #[test]
    fn cr_and_cc() {
        let p = connection_request();
        assert_eq!(tpkt_len(&p), Some(p.len()));
        let (code, var) = x224(&p).unwrap();
        assert_eq!(code, X224_CR);
        let cr = ConnectionRequest::parse(var);
        assert_eq!(cr.cookie, Some(&b"eltons"[..]));
        assert_eq!(cr.requested_protocols, Some(3));
        let cc = ConnectionConfirm::parse(&[0x02, 0x1f, 0x08, 0x00, 0x02, 0x00, 0x00, 0x00]);
        assert_eq!(cc.selected_protocol, Some(2));
        for n in 0..p.len() {
            let _ = x224(&p[..n]).map(|(_, v)| ConnectionRequest::parse(v));
        }
        assert!(client_data(&[0x01, 0xc0, 0xff, 0xff]).is_none());
    }
}
