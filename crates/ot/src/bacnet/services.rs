//! Service parameters of the APDUs reefwatch decodes (ASHRAE 135 clauses
//! 13–16, 21), into owned, bounded values.

use super::parser::*;
use super::tags::*;
use reefwatch_applayer::Anomalies;

/// Object/property references kept per ReadPropertyMultiple or
/// WritePropertyMultiple (the rest are counted).
pub const MAX_REFS: usize = 16;
/// Characters of a rendered value or name kept.
pub const MAX_RENDER: usize = 64;

/// A value: its application tag and a bounded rendering.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Value {
    pub tag: u8,
    pub text: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PropRef {
    pub object: Option<ObjectId>,
    pub property: Option<u32>,
    pub index: Option<u32>,
}

/// ReadProperty request/ack, WriteProperty request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Property {
    pub object: Option<ObjectId>,
    pub property: Option<u32>,
    pub index: Option<u32>,
    /// First value (ack, write) and how many values there were.
    pub value: Option<Value>,
    pub values: u32,
    pub priority: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub enum Detail {
    #[default]
    None,
    WhoIs {
        low: Option<u32>,
        high: Option<u32>,
    },
    IAm {
        device: Option<ObjectId>,
        max_apdu: Option<u32>,
        segmentation: Option<u32>,
        vendor_id: Option<u32>,
    },
    WhoHas {
        low: Option<u32>,
        high: Option<u32>,
        object: Option<ObjectId>,
        name: Option<String>,
    },
    IHave {
        device: Option<ObjectId>,
        object: Option<ObjectId>,
        name: Option<String>,
    },
    Property(Property),
    /// ReadPropertyMultiple (request, ack), WritePropertyMultiple.
    Refs {
        refs: Vec<PropRef>,
        omitted: u32,
    },
    Reinitialize {
        state: Option<u32>,
        password: bool,
    },
    CommunicationControl {
        duration: Option<u32>,
        enable: Option<u32>,
        password: bool,
    },
    /// AtomicReadFile/AtomicWriteFile request or ack.
    File {
        object: Option<ObjectId>,
        stream: bool,
        start: Option<i32>,
        /// Requested octets/records (read request), records (record access).
        count: Option<u32>,
        /// Octets of file data carried.
        data_len: Option<u32>,
        end_of_file: Option<bool>,
    },
    SubscribeCov {
        process_id: Option<u32>,
        object: Option<ObjectId>,
        confirmed: Option<bool>,
        lifetime: Option<u32>,
    },
    TimeSync {
        date: Option<[u8; 4]>,
        time: Option<[u8; 4]>,
    },
    Error {
        class: Option<u32>,
        code: Option<u32>,
    },
}

/// Decode the parameters of service `s` of a PDU of type `pdu`. `whole`:
/// the message is not followed by further segments (otherwise a cut-off
/// list is not flagged).
pub fn decode(pdu: u8, s: u8, d: &[u8], whole: bool, an: &mut Anomalies) -> Detail {
    let mut r = TagReader::new(d);
    let det = match (pdu, s) {
        (PDU_UNCONFIRMED, 8) => Detail::WhoIs {
            low: r.ctx(0).and_then(|t| t.uint()),
            high: r.ctx(1).and_then(|t| t.uint()),
        },
        (PDU_UNCONFIRMED, 0) => Detail::IAm {
            device: r.app(APP_OBJECT_ID).and_then(|t| t.object_id()),
            max_apdu: r.app(APP_UNSIGNED).and_then(|t| t.uint()),
            segmentation: r.app(APP_ENUMERATED).and_then(|t| t.uint()),
            vendor_id: r.app(APP_UNSIGNED).and_then(|t| t.uint()),
        },
        (PDU_UNCONFIRMED, 7) => Detail::WhoHas {
            low: r.ctx(0).and_then(|t| t.uint()),
            high: r.ctx(1).and_then(|t| t.uint()),
            object: r.ctx(2).and_then(|t| t.object_id()),
            name: r.ctx(3).map(|t| char_string(t.data)),
        },
        (PDU_UNCONFIRMED, 1) => Detail::IHave {
            device: r.app(APP_OBJECT_ID).and_then(|t| t.object_id()),
            object: r.app(APP_OBJECT_ID).and_then(|t| t.object_id()),
            name: r.app(APP_CHAR_STRING).map(|t| char_string(t.data)),
        },
        (PDU_UNCONFIRMED, 6 | 9) => Detail::TimeSync {
            date: r.app(APP_DATE).and_then(|t| t.data.try_into().ok()),
            time: r.app(APP_TIME).and_then(|t| t.data.try_into().ok()),
        },
        (PDU_CONFIRMED | PDU_COMPLEX_ACK, 12) | (PDU_CONFIRMED, 15) => {
            Detail::Property(property(&mut r, pdu, s))
        }
        (PDU_CONFIRMED | PDU_COMPLEX_ACK, 14) | (PDU_CONFIRMED, 16) => {
            refs(&mut r, pdu == PDU_COMPLEX_ACK, s == 16)
        }
        (PDU_CONFIRMED, 20) => Detail::Reinitialize {
            state: r.ctx(0).and_then(|t| t.uint()),
            password: r.ctx(1).is_some(),
        },
        (PDU_CONFIRMED, 17) => Detail::CommunicationControl {
            duration: r.ctx(0).and_then(|t| t.uint()),
            enable: r.ctx(1).and_then(|t| t.uint()),
            password: r.ctx(2).is_some(),
        },
        (PDU_CONFIRMED, 6 | 7) | (PDU_COMPLEX_ACK, 6 | 7) => file(&mut r, pdu, s),
        (PDU_CONFIRMED, 5) => Detail::SubscribeCov {
            process_id: r.ctx(0).and_then(|t| t.uint()),
            object: r.ctx(1).and_then(|t| t.object_id()),
            confirmed: r.ctx(2).and_then(|t| t.boolean()),
            lifetime: r.ctx(3).and_then(|t| t.uint()),
        },
        (PDU_ERROR, _) => {
            // Most services: class, code; a few wrap them in [0] (e.g.
            // WritePropertyMultiple, CreateObject).
            let wrapped = r.open(0);
            let class = r.app(APP_ENUMERATED).and_then(|t| t.uint());
            let code = r.app(APP_ENUMERATED).and_then(|t| t.uint());
            if wrapped {
                r.close(0);
            }
            // what follows (e.g. first failed write) is not decoded
            r.pos = d.len();
            Detail::Error { class, code }
        }
        _ => {
            // not decoded: walk the tags once to check their lengths
            for _ in 0..MAX_TAGS {
                if r.next().is_none() {
                    break;
                }
            }
            if whole && !r.at_end() {
                r.pos = d.len();
            }
            Detail::None
        }
    };
    if r.bad && whole {
        // (a segment followed by more may end inside a tag)
        an.set(A_BAD_TAG);
    } else if whole && !r.at_end() && !matches!(det, Detail::None) {
        an.set(A_TRAILING_DATA);
    }
    det
}

fn property(r: &mut TagReader<'_>, pdu: u8, s: u8) -> Property {
    let mut p = Property {
        object: r.ctx(0).and_then(|t| t.object_id()),
        property: r.ctx(1).and_then(|t| t.uint()),
        index: r.ctx(2).and_then(|t| t.uint()),
        ..Default::default()
    };
    let has_value = pdu == PDU_COMPLEX_ACK || s == 15;
    if has_value && r.open(3) {
        let (v, n) = values(r, 3);
        p.value = v;
        p.values = n;
        if s == 15 {
            p.priority = r.ctx(4).and_then(|t| t.uint());
        }
    }
    p
}

/// The values up to closing tag `n`: the first rendered, all counted.
fn values(r: &mut TagReader<'_>, n: u8) -> (Option<Value>, u32) {
    let mut first = None;
    let mut count = 0u32;
    let mut depth = 0u32;
    for _ in 0..MAX_TAGS {
        let Some(t) = r.next() else {
            break;
        };
        match t.kind {
            Kind::Open => depth += 1,
            Kind::Close if depth == 0 => {
                if t.number != n {
                    r.bad = true;
                }
                break;
            }
            Kind::Close => depth -= 1,
            Kind::Value => {
                if depth == 0 {
                    count += 1;
                }
                if first.is_none() && !t.context {
                    first = Some(render(&t));
                }
            }
        }
    }
    (first, count)
}

fn refs(r: &mut TagReader<'_>, ack: bool, write: bool) -> Detail {
    let mut refs = Vec::new();
    let mut omitted = 0u32;
    let mut push = |x: PropRef| {
        if refs.len() < MAX_REFS {
            refs.push(x);
        } else {
            omitted += 1;
        }
    };
    for _ in 0..MAX_TAGS {
        let Some(obj) = r.ctx(0) else {
            break;
        };
        let object = obj.object_id();
        if !r.open(1) {
            break;
        }
        let mut closed = false;
        for _ in 0..MAX_TAGS {
            if r.close(1) {
                closed = true;
                break;
            }
            let (ptag, itag) = if ack { (2, 3) } else { (0, 1) };
            let Some(pt) = r.ctx(ptag) else {
                break;
            };
            let index = r.ctx(itag).and_then(|t| t.uint());
            push(PropRef {
                object,
                property: pt.uint(),
                index,
            });
            if ack {
                // [4] value or [5] error
                if r.open(4) {
                    r.skip_to_close(4);
                } else if r.open(5) {
                    r.skip_to_close(5);
                }
            } else if write {
                if r.open(2) {
                    r.skip_to_close(2);
                }
                r.ctx(3);
            }
        }
        if !closed {
            break;
        }
    }
    Detail::Refs { refs, omitted }
}

fn file(r: &mut TagReader<'_>, pdu: u8, s: u8) -> Detail {
    let mut object = None;
    let mut end_of_file = None;
    if pdu == PDU_CONFIRMED {
        object = r.app(APP_OBJECT_ID).and_then(|t| t.object_id());
    } else if s == 6 {
        end_of_file = r.app(APP_BOOLEAN).and_then(|t| t.boolean());
    }
    let (mut start, mut count, mut data_len) = (None, None, None);
    let mut stream = false;
    if pdu == PDU_COMPLEX_ACK && s == 7 {
        // AtomicWriteFile-ACK: [0] or [1] start position
        if let Some(t) = r.ctx(0) {
            stream = true;
            start = t.int();
        } else {
            start = r.ctx(1).and_then(|t| t.int());
        }
    } else {
        let n = if r.open(0) {
            stream = true;
            0
        } else if r.open(1) {
            1
        } else {
            return Detail::File {
                object,
                stream,
                start,
                count,
                data_len,
                end_of_file,
            };
        };
        start = r.app(APP_SIGNED).and_then(|t| t.int());
        let read_req = pdu == PDU_CONFIRMED && s == 6;
        if read_req || !stream {
            count = r.app(APP_UNSIGNED).and_then(|t| t.uint());
        }
        let mut total = 0u32;
        let mut any = false;
        for _ in 0..MAX_TAGS {
            match r.app(APP_OCTET_STRING) {
                Some(t) => {
                    any = true;
                    total = total.saturating_add(t.data.len() as u32);
                }
                None => break,
            }
        }
        if any {
            data_len = Some(total);
        }
        if !r.close(n) {
            r.bad |= !r.at_end();
        }
    }
    Detail::File {
        object,
        stream,
        start,
        count,
        data_len,
        end_of_file,
    }
}

/// A character string's content (first octet: character set; 0 = UTF-8),
/// bounded; other sets are shown as hex.
pub fn char_string(d: &[u8]) -> String {
    match d.split_first() {
        Some((0, s)) => bounded(&String::from_utf8_lossy(s)),
        Some((cs, s)) => {
            let mut out = format!("charset{cs}:");
            hex(&mut out, s);
            out
        }
        None => String::new(),
    }
}

fn bounded(s: &str) -> String {
    s.chars().take(MAX_RENDER).collect()
}

fn hex(out: &mut String, d: &[u8]) {
    use core::fmt::Write;
    for b in d.iter().take(MAX_RENDER / 2) {
        let _ = write!(out, "{b:02x}");
    }
}

/// Render an application-tagged value (bounded).
pub fn render(t: &Tag<'_>) -> Value {
    let text = match t.number {
        APP_NULL => "null".to_string(),
        APP_BOOLEAN => (t.lvt != 0).to_string(),
        APP_UNSIGNED | APP_ENUMERATED => t.uint().map_or_else(|| raw(t.data), |v| v.to_string()),
        APP_SIGNED => t.int().map_or_else(|| raw(t.data), |v| v.to_string()),
        APP_REAL => match <[u8; 4]>::try_from(t.data) {
            Ok(b) => format!("{}", f32::from_be_bytes(b)),
            Err(_) => raw(t.data),
        },
        APP_DOUBLE => match <[u8; 8]>::try_from(t.data) {
            Ok(b) => format!("{}", f64::from_be_bytes(b)),
            Err(_) => raw(t.data),
        },
        APP_CHAR_STRING => char_string(t.data),
        APP_BIT_STRING => match t.data.split_first() {
            Some((&unused, bits)) => {
                let n = (bits.len() * 8)
                    .saturating_sub(unused as usize)
                    .min(MAX_RENDER);
                (0..n)
                    .map(|i| {
                        if bits[i / 8] & (0x80 >> (i % 8)) != 0 {
                            '1'
                        } else {
                            '0'
                        }
                    })
                    .collect()
            }
            None => String::new(),
        },
        APP_DATE => match t.data {
            [y, m, d, _] => format!("{}-{m:02}-{d:02}", 1900 + *y as u32),
            _ => raw(t.data),
        },
        APP_TIME => match t.data {
            [h, m, s, c] => format!("{h:02}:{m:02}:{s:02}.{c:02}"),
            _ => raw(t.data),
        },
        APP_OBJECT_ID => match t.object_id() {
            Some(o) => format!("{},{}", o.object_type, o.instance),
            None => raw(t.data),
        },
        _ => raw(t.data),
    };
    Value {
        tag: t.number,
        text,
    }
}

fn raw(d: &[u8]) -> String {
    let mut s = String::new();
    hex(&mut s, d);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(pdu: u8, s: u8, d: &[u8]) -> (Detail, Anomalies) {
        let mut an = Anomalies::default();
        (decode(pdu, s, d, true, &mut an), an)
    }

    #[test]
    fn i_am() {
        // device 1234, max APDU 1476, segmented-both (0), vendor 15
        let d = [
            0xc4, 0x02, 0x00, 0x04, 0xd2, 0x22, 0x05, 0xc4, 0x91, 0x00, 0x21, 0x0f,
        ];
        let (det, an) = dec(PDU_UNCONFIRMED, 0, &d);
        assert!(an.is_empty());
        assert_eq!(
            det,
            Detail::IAm {
                device: Some(ObjectId {
                    object_type: 8,
                    instance: 1234
                }),
                max_apdu: Some(1476),
                segmentation: Some(0),
                vendor_id: Some(15)
            }
        );
    }

    #[test]
    fn write_property_value_and_priority() {
        // analog-value 1, present-value, [3] real 42.5 [/3], priority 8
        let d = [
            0x0c, 0x00, 0x80, 0x00, 0x01, 0x19, 0x55, 0x3e, 0x44, 0x42, 0x2a, 0x00, 0x00, 0x3f,
            0x49, 0x08,
        ];
        let (det, an) = dec(PDU_CONFIRMED, 15, &d);
        assert!(an.is_empty(), "{an:?}");
        let Detail::Property(p) = det else { panic!() };
        assert_eq!(p.object.map(|o| (o.object_type, o.instance)), Some((2, 1)));
        assert_eq!((p.property, p.priority, p.values), (Some(85), Some(8), 1));
        let v = p.value.unwrap();
        assert_eq!((v.tag, v.text.as_str()), (APP_REAL, "42.5"));
    }

    #[test]
    fn rpm_refs_are_bounded() {
        // device 1: [1] ( 40 properties ) [/1]
        let mut d = vec![0x0c, 0x02, 0x00, 0x00, 0x01, 0x1e];
        for p in 0..40u8 {
            d.extend_from_slice(&[0x09, p]);
        }
        d.push(0x1f);
        let (det, an) = dec(PDU_CONFIRMED, 14, &d);
        assert!(an.is_empty(), "{an:?}");
        let Detail::Refs { refs, omitted } = det else {
            panic!()
        };
        assert_eq!((refs.len(), omitted), (MAX_REFS, 40 - MAX_REFS as u32));
        assert_eq!(refs[3].property, Some(3));
    }

    #[test]
    fn error_and_bad_tags() {
        // error class property (2), code unknown-property (32)
        let (det, _) = dec(PDU_ERROR, 12, &[0x91, 0x02, 0x91, 0x20]);
        assert_eq!(
            det,
            Detail::Error {
                class: Some(2),
                code: Some(32)
            }
        );
        // WritePropertyMultiple error: [0] class code [/0] [1] ...
        let (det, _) = dec(PDU_ERROR, 16, &[0x0e, 0x91, 0x02, 0x91, 0x25, 0x0f, 0x1e]);
        assert_eq!(
            det,
            Detail::Error {
                class: Some(2),
                code: Some(37)
            }
        );
        // ReadProperty with a tag length past the end
        let (_, an) = dec(PDU_CONFIRMED, 12, &[0x0c, 0x02, 0x00]);
        assert!(an.has(A_BAD_TAG));
    }

    #[test]
    fn file_and_dcc() {
        // AtomicReadFile file 1, stream start 0 count 1024
        let d = [
            0xc4, 0x02, 0x80, 0x00, 0x01, 0x0e, 0x31, 0x00, 0x22, 0x04, 0x00, 0x0f,
        ];
        let (det, an) = dec(PDU_CONFIRMED, 6, &d);
        assert!(an.is_empty(), "{an:?}");
        let Detail::File {
            stream,
            start,
            count,
            ..
        } = det
        else {
            panic!()
        };
        assert_eq!((stream, start, count), (true, Some(0), Some(1024)));
        // DCC: duration 60 min, disable (1), password
        let d = [0x09, 0x3c, 0x19, 0x01, 0x2d, 0x03, 0x00, b'p', b'w'];
        let (det, _) = dec(PDU_CONFIRMED, 17, &d);
        assert_eq!(
            det,
            Detail::CommunicationControl {
                duration: Some(60),
                enable: Some(1),
                password: true
            }
        );
    }
}
