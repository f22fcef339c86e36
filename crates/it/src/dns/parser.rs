//! DNS message wire format (RFC 1035): a zero-copy view over one message,
//! with lazy iteration over its records. Names are decompressed into a
//! stack buffer with Suricata's limits: at most [`MAX_NAME_LEN`] bytes
//! (longer names are truncated and flagged), [`MAX_LABELS`] labels and
//! [`MAX_POINTERS`] compression jumps (a loop is flagged, never followed
//! forever).

use crate::util::{be16, be32, StackBuf};
use reefwatch_applayer::Anomalies;

/// Longest decompressed name kept (Suricata's limit); past it the name is
/// truncated and `rrname_truncated` is logged.
pub const MAX_NAME_LEN: usize = 1025;
pub const MAX_LABELS: usize = 255;
pub const MAX_POINTERS: usize = 32;
/// Records iterated per section (bounded work per message).
pub const MAX_RECORDS: usize = 512;

pub type NameBuf = StackBuf<MAX_NAME_LEN>;

mod field {
    pub type Field = core::ops::Range<usize>;
    pub const ID: Field = 0..2;
    pub const FLAGS: Field = 2..4;
    pub const QDCOUNT: Field = 4..6;
    pub const ANCOUNT: Field = 6..8;
    pub const NSCOUNT: Field = 8..10;
    pub const ARCOUNT: Field = 10..12;
    pub const HEADER_LEN: usize = 12;
}
pub use field::HEADER_LEN;

pub const FLAG_QR: u16 = 0x8000;
pub const FLAG_AA: u16 = 0x0400;
pub const FLAG_TC: u16 = 0x0200;
pub const FLAG_RD: u16 = 0x0100;
pub const FLAG_RA: u16 = 0x0080;
pub const FLAG_Z: u16 = 0x0040;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// Shorter than the 12-byte header.
    Truncated,
}

// Anomaly bits found while walking a message (an [`Anomalies`] set).
pub const A_POINTER_LOOP: u32 = 0;
pub const A_BAD_POINTER: u32 = 1;
pub const A_NAME_TRUNCATED: u32 = 2;
pub const A_TOO_MANY_LABELS: u32 = 3;
pub const A_TRUNCATED_RECORD: u32 = 4;
pub const A_Z_SET: u32 = 5;

/// Names of the anomaly bits (`dns.<name>` in the anomaly stream), in the
/// order they are reported; a pointer loop and a bad pointer are both
/// `dns.infinite_loop`, reported once.
pub const ANOMALY_NAMES: &[&str] = &[
    "dns.infinite_loop",
    "dns.infinite_loop",
    "dns.name_too_long",
    "dns.too_many_labels",
    "dns.malformed_data",
    "dns.z_flag_set",
];

/// A read-only view of one DNS message. The header length is checked once
/// in [`Packet::new_checked`]; header accessors cannot panic.
#[derive(Clone, Copy, Debug)]
pub struct Packet<'a> {
    buf: &'a [u8],
}

fn hdr16(b: &[u8], f: field::Field) -> u16 {
    be16(b, f.start).unwrap_or(0)
}

impl<'a> Packet<'a> {
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, Error> {
        if buf.len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        Ok(Packet { buf })
    }
    pub fn bytes(&self) -> &'a [u8] {
        self.buf
    }
    pub fn id(&self) -> u16 {
        hdr16(self.buf, field::ID)
    }
    pub fn flags(&self) -> u16 {
        hdr16(self.buf, field::FLAGS)
    }
    pub fn is_response(&self) -> bool {
        self.flags() & FLAG_QR != 0
    }
    pub fn opcode(&self) -> u8 {
        ((self.flags() >> 11) & 0xf) as u8
    }
    pub fn rcode(&self) -> u8 {
        (self.flags() & 0xf) as u8
    }
    pub fn qdcount(&self) -> u16 {
        hdr16(self.buf, field::QDCOUNT)
    }
    pub fn ancount(&self) -> u16 {
        hdr16(self.buf, field::ANCOUNT)
    }
    pub fn nscount(&self) -> u16 {
        hdr16(self.buf, field::NSCOUNT)
    }
    pub fn arcount(&self) -> u16 {
        hdr16(self.buf, field::ARCOUNT)
    }

    /// Iterate the question section.
    pub fn questions(&self) -> Questions<'a> {
        Questions {
            msg: self.buf,
            pos: HEADER_LEN,
            left: (self.qdcount() as usize).min(MAX_RECORDS),
            anomalies: Anomalies::default(),
        }
    }

    /// Offset just past the question section (or None if it is malformed).
    pub fn questions_end(&self) -> Option<usize> {
        let mut q = self.questions();
        for _ in q.by_ref() {}
        if q.left == 0 && !q.anomalies.has(A_TRUNCATED_RECORD) {
            Some(q.pos)
        } else {
            None
        }
    }

    /// Iterate answer, authority and additional records, starting at `pos`
    /// (from [`Packet::questions_end`]).
    pub fn records(&self, pos: usize) -> Records<'a> {
        Records {
            msg: self.buf,
            pos,
            counts: [
                self.ancount() as usize,
                self.nscount() as usize,
                self.arcount() as usize,
            ],
            section: 0,
            seen: 0,
            anomalies: Anomalies::default(),
        }
    }
}

/// Skip over a (possibly compressed) name starting at `pos`; returns the
/// offset after it in the original stream.
pub fn skip_name(msg: &[u8], mut pos: usize) -> Option<usize> {
    for _ in 0..=MAX_LABELS {
        let len = *msg.get(pos)?;
        match len & 0xc0 {
            0x00 => {
                if len == 0 {
                    return Some(pos + 1);
                }
                pos = pos.checked_add(1 + len as usize)?;
                if pos > msg.len() {
                    return None;
                }
            }
            0xc0 => {
                msg.get(pos + 1)?;
                return Some(pos + 2);
            }
            _ => return None,
        }
    }
    None
}

/// Decompress the name at `pos` into `out` (dotted, without a trailing dot;
/// the root is empty). Returns the anomaly bits (the word of an
/// [`Anomalies`] set; 0 when the name is clean). Never loops forever.
pub fn read_name(msg: &[u8], pos: usize, out: &mut NameBuf) -> u32 {
    out.clear();
    let mut anomalies = Anomalies::default();
    let mut p = pos;
    let mut jumps = 0;
    let mut labels = 0;
    loop {
        let Some(&len) = msg.get(p) else {
            anomalies.set(A_TRUNCATED_RECORD);
            return anomalies.0;
        };
        match len & 0xc0 {
            0x00 => {
                if len == 0 {
                    break;
                }
                labels += 1;
                if labels > MAX_LABELS {
                    anomalies.set(A_TOO_MANY_LABELS);
                    break;
                }
                let start = p + 1;
                let Some(label) = msg.get(start..start + len as usize) else {
                    anomalies.set(A_TRUNCATED_RECORD);
                    return anomalies.0;
                };
                if !out.is_empty() {
                    out.push(b'.');
                }
                out.extend(label);
                p = start + len as usize;
            }
            0xc0 => {
                let Some(&lo) = msg.get(p + 1) else {
                    anomalies.set(A_TRUNCATED_RECORD);
                    return anomalies.0;
                };
                let target = (((len & 0x3f) as usize) << 8) | lo as usize;
                jumps += 1;
                if jumps > MAX_POINTERS || target == p {
                    anomalies.set(A_POINTER_LOOP);
                    break;
                }
                if target >= msg.len() {
                    anomalies.set(A_BAD_POINTER);
                    break;
                }
                p = target;
            }
            _ => {
                // 0x40/0x80: extended label types, obsolete
                anomalies.set(A_BAD_POINTER);
                break;
            }
        }
    }
    if out.truncated {
        anomalies.set(A_NAME_TRUNCATED);
    }
    anomalies.0
}

/// One question: where its name starts, type and class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Question {
    pub name_off: usize,
    pub qtype: u16,
    pub qclass: u16,
}

pub struct Questions<'a> {
    msg: &'a [u8],
    pos: usize,
    left: usize,
    pub anomalies: Anomalies,
}

impl Iterator for Questions<'_> {
    type Item = Question;
    fn next(&mut self) -> Option<Question> {
        if self.left == 0 {
            return None;
        }
        let name_off = self.pos;
        let Some(after) = skip_name(self.msg, self.pos) else {
            self.anomalies.set(A_TRUNCATED_RECORD);
            self.left = 0;
            return None;
        };
        let (Some(qtype), Some(qclass)) = (be16(self.msg, after), be16(self.msg, after + 2)) else {
            self.anomalies.set(A_TRUNCATED_RECORD);
            self.left = 0;
            return None;
        };
        self.pos = after + 4;
        self.left -= 1;
        Some(Question {
            name_off,
            qtype,
            qclass,
        })
    }
}

/// Which section a record came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Answer,
    Authority,
    Additional,
}

/// One resource record; `rdata_off..rdata_off+rdata_len` lies inside the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    pub section: Section,
    pub name_off: usize,
    pub rtype: u16,
    pub class: u16,
    pub ttl: u32,
    pub rdata_off: usize,
    pub rdata_len: usize,
}

pub struct Records<'a> {
    msg: &'a [u8],
    pos: usize,
    counts: [usize; 3],
    section: usize,
    seen: usize,
    pub anomalies: Anomalies,
}

impl Iterator for Records<'_> {
    type Item = Record;
    fn next(&mut self) -> Option<Record> {
        while self.section < 3 && self.counts[self.section] == 0 {
            self.section += 1;
        }
        if self.section >= 3 || self.seen >= MAX_RECORDS * 3 {
            return None;
        }
        let name_off = self.pos;
        let parsed = (|| {
            let after = skip_name(self.msg, self.pos)?;
            let rtype = be16(self.msg, after)?;
            let class = be16(self.msg, after + 2)?;
            let ttl = be32(self.msg, after + 4)?;
            let rdlen = be16(self.msg, after + 8)? as usize;
            let rdata_off = after + 10;
            if rdata_off + rdlen > self.msg.len() {
                return None;
            }
            Some((rtype, class, ttl, rdata_off, rdlen))
        })();
        let Some((rtype, class, ttl, rdata_off, rdata_len)) = parsed else {
            self.anomalies.set(A_TRUNCATED_RECORD);
            self.section = 3;
            return None;
        };
        let section = match self.section {
            0 => Section::Answer,
            1 => Section::Authority,
            _ => Section::Additional,
        };
        self.counts[self.section] -= 1;
        self.seen += 1;
        self.pos = rdata_off + rdata_len;
        Some(Record {
            section,
            name_off,
            rtype,
            class,
            ttl,
            rdata_off,
            rdata_len,
        })
    }
}

/// Parsed header fields (the Repr of the fixed part).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderRepr {
    pub id: u16,
    pub flags: u16,
    pub qdcount: u16,
    pub ancount: u16,
    pub nscount: u16,
    pub arcount: u16,
}

impl HeaderRepr {
    pub fn parse(p: &Packet<'_>) -> Self {
        HeaderRepr {
            id: p.id(),
            flags: p.flags(),
            qdcount: p.qdcount(),
            ancount: p.ancount(),
            nscount: p.nscount(),
            arcount: p.arcount(),
        }
    }
}

/// Whether `data` plausibly starts a DNS message (used by the probe): a
/// known opcode (QUERY, IQUERY, STATUS, NOTIFY, UPDATE), an rcode that fits
/// the direction (0 in a query, a defined one in a response), section
/// counts that fit in `data` (a question takes at least 5 bytes, a record
/// 11), and a well-formed question section.
pub fn looks_like_dns(data: &[u8]) -> bool {
    let Ok(p) = Packet::new_checked(data) else {
        return false;
    };
    if !matches!(p.opcode(), 0 | 1 | 2 | 4 | 5) {
        return false;
    }
    let qd = p.qdcount();
    if p.is_response() {
        if qd > 16 || p.rcode() > 10 {
            return false;
        }
    } else if qd == 0 || qd > 16 || p.ancount() > 16 || p.rcode() != 0 {
        return false;
    }
    if p.flags() & FLAG_Z != 0 && !p.is_response() {
        return false;
    }
    let rrs = p.ancount() as usize + p.nscount() as usize + p.arcount() as usize;
    if HEADER_LEN + 5 * qd as usize + 11 * rrs > data.len() {
        return false;
    }
    let mut q = p.questions();
    let mut n = 0;
    for qq in q.by_ref() {
        if qq.qclass == 0
            || (qq.qclass > 4 && qq.qclass != 254 && qq.qclass != 255 && qq.qclass & 0x7fff > 4)
        {
            return false;
        }
        n += 1;
    }
    q.anomalies.is_empty() && n == qd as usize
}

/// Offset just past the last record of a whole message, when every
/// section parses (None on a truncated or malformed record).
pub fn message_end(p: &Packet<'_>) -> Option<usize> {
    let pos = p.questions_end()?;
    let mut r = p.records(pos);
    let mut end = pos;
    for rec in r.by_ref() {
        end = rec.rdata_off + rec.rdata_len;
    }
    let all = r.counts.iter().all(|&c| c == 0);
    (r.anomalies.is_empty() && all).then_some(end)
}

pub fn rrtype_str(t: u16) -> Option<&'static str> {
    Some(match t {
        1 => "A",
        2 => "NS",
        3 => "MD",
        4 => "MF",
        5 => "CNAME",
        6 => "SOA",
        7 => "MB",
        8 => "MG",
        9 => "MR",
        10 => "NULL",
        11 => "WKS",
        12 => "PTR",
        13 => "HINFO",
        14 => "MINFO",
        15 => "MX",
        16 => "TXT",
        17 => "RP",
        18 => "AFSDB",
        19 => "X25",
        20 => "ISDN",
        21 => "RT",
        22 => "NSAP",
        23 => "NSAPPTR",
        24 => "SIG",
        25 => "KEY",
        26 => "PX",
        27 => "GPOS",
        28 => "AAAA",
        29 => "LOC",
        30 => "NXT",
        33 => "SRV",
        34 => "ATMA",
        35 => "NAPTR",
        36 => "KX",
        37 => "CERT",
        38 => "A6",
        39 => "DNAME",
        41 => "OPT",
        42 => "APL",
        43 => "DS",
        44 => "SSHFP",
        45 => "IPSECKEY",
        46 => "RRSIG",
        47 => "NSEC",
        48 => "DNSKEY",
        49 => "DHCID",
        50 => "NSEC3",
        51 => "NSEC3PARAM",
        52 => "TLSA",
        55 => "HIP",
        59 => "CDS",
        60 => "CDNSKEY",
        64 => "SVCB",
        65 => "HTTPS",
        99 => "SPF",
        249 => "TKEY",
        250 => "TSIG",
        253 => "MAILA",
        255 => "ANY",
        256 => "URI",
        _ => return None,
    })
}

pub fn rcode_str(rc: u16) -> Option<&'static str> {
    Some(match rc {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        6 => "YXDOMAIN",
        7 => "YXRRSET",
        8 => "NXRRSET",
        9 => "NOTAUTH",
        10 => "NOTZONE",
        16 => "BADVERS",
        17 => "BADKEY",
        18 => "BADTIME",
        19 => "BADMODE",
        20 => "BADNAME",
        21 => "BADALG",
        22 => "BADTRUNC",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Query for www.example.com A, id 0x1234, RD.
    pub(crate) const QUERY: [u8; 33] = [
        0x12, 0x34, // id
        0x01, 0x00, // flags: RD
        0x00, 0x01, // qdcount
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // an/ns/ar
        3, b'w', b'w', b'w', 7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 3, b'c', b'o', b'm',
        0, // name
        0x00, 0x01, // type A
        0x00, 0x01, // class IN
    ];

    /// Response: the question, one CNAME (compressed) and one A record.
    pub(crate) const RESPONSE: [u8; 67] = [
        0x12, 0x34, // id
        0x81, 0x80, // flags: QR RD RA
        0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, // qd 1, an 2
        3, b'w', b'w', b'w', 7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 3, b'c', b'o', b'm', 0,
        0x00, 0x01, 0x00, 0x01, // question
        0xc0, 0x0c, // name -> offset 12
        0x00, 0x05, 0x00, 0x01, // CNAME IN
        0x00, 0x00, 0x0e, 0x10, // ttl 3600
        0x00, 0x06, // rdlength
        3, b'w', b'e', b'b', 0xc0, 0x10, // web.example.com
        0xc0, 0x2d, // name -> offset 45 (web.example.com)
        0x00, 0x01, 0x00, 0x01, // A IN
        0x00, 0x00, 0x00, 0x3c, // ttl 60
        0x00, 0x04, // rdlength
        93, 184, 216, 34, // 93.184.216.34
    ];

    #[test]
    fn header_and_question() {
        let p = Packet::new_checked(&QUERY[..]).unwrap();
        assert_eq!(p.id(), 0x1234);
        assert!(!p.is_response());
        let qs: Vec<_> = p.questions().collect();
        assert_eq!(qs.len(), 1);
        assert_eq!(qs[0].qtype, 1);
        let mut n = NameBuf::new();
        assert_eq!(read_name(&QUERY, qs[0].name_off, &mut n), 0);
        assert_eq!(n.as_bytes(), b"www.example.com");
        assert!(looks_like_dns(&QUERY));
        assert_eq!(p.questions_end(), Some(QUERY.len()));
    }

    #[test]
    fn compressed_records() {
        let p = Packet::new_checked(&RESPONSE[..]).unwrap();
        let end = p.questions_end().unwrap();
        let rs: Vec<_> = p.records(end).collect();
        assert_eq!(rs.len(), 2);
        let mut n = NameBuf::new();
        read_name(&RESPONSE, rs[0].rdata_off, &mut n);
        assert_eq!(n.as_bytes(), b"web.example.com");
        read_name(&RESPONSE, rs[1].name_off, &mut n);
        assert_eq!(n.as_bytes(), b"web.example.com");
        assert_eq!(rs[1].ttl, 60);
        assert_eq!(
            &RESPONSE[rs[1].rdata_off..rs[1].rdata_off + 4],
            &[93, 184, 216, 34]
        );
    }

    #[test]
    fn pointer_loop_is_flagged() {
        let mut m = QUERY;
        // name at 12 points to itself
        m[12] = 0xc0;
        m[13] = 12;
        let mut n = NameBuf::new();
        assert_ne!(read_name(&m, 12, &mut n) & (1 << A_POINTER_LOOP), 0);
        // two pointers pointing at each other
        let mut m2 = vec![0u8; 12];
        m2.extend_from_slice(&[0xc0, 14, 0xc0, 12]);
        assert_ne!(read_name(&m2, 12, &mut n) & (1 << A_POINTER_LOOP), 0);
    }

    #[test]
    fn truncated_and_garbage() {
        assert!(Packet::new_checked(&QUERY[..11]).is_err());
        let p = Packet::new_checked(&QUERY[..20]).unwrap();
        assert_eq!(p.questions().count(), 0);
        assert_eq!(p.questions_end(), None);
        assert!(!looks_like_dns(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    }
}
