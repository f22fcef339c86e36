//! DNS EVE records in Suricata 8's format (`"version": 3`): one `dns`
//! event per request and per response, with `queries`, `answers`,
//! `grouped`, `authorities` and `additionals`.

use super::parser::{self, rcode_str, read_name, rrtype_str, NameBuf, Packet, Record, Section};
use crate::util::{be16, be32, ipv4_str, ipv6_str, slice};
use reefwatch_applayer::{Anomalies, JsonBuilder};

fn set_rrtype(js: &mut JsonBuilder, key: &str, t: u16) {
    match rrtype_str(t) {
        Some(s) => js.set_str(key, s),
        None => js.set_fmt(key, format_args!("{t}")),
    };
}

fn append_rrtype_key(t: u16, buf: &mut crate::util::StackBuf<16>) {
    use core::fmt::Write;
    buf.clear();
    match rrtype_str(t) {
        Some(s) => buf.extend(s.as_bytes()),
        None => {
            let _ = write!(buf, "{t}");
        }
    }
}

/// Write the rrname (and `rrname_truncated` when cut).
fn set_name(js: &mut JsonBuilder, key: &str, msg: &[u8], off: usize, name: &mut NameBuf) {
    let a = read_name(msg, off, name);
    js.set_bytes_str(key, name.as_bytes());
    if Anomalies(a).has(parser::A_NAME_TRUNCATED) {
        if key == "rrname" {
            js.set_bool("rrname_truncated", true);
        } else {
            js.set_bool("rdata_truncated", true);
        }
    }
}

/// Text form of the rdata when Suricata logs it as a string; `false` when
/// the type has no string form (nothing is written).
fn write_rdata_value(
    js: &mut JsonBuilder,
    msg: &[u8],
    r: &Record,
    name: &mut NameBuf,
    in_array: bool,
) -> bool {
    let rd = slice(msg, r.rdata_off, r.rdata_len).unwrap_or(&[]);
    let put_bytes = |js: &mut JsonBuilder, b: &[u8]| {
        if in_array {
            js.append_bytes_str(b);
        } else {
            js.set_bytes_str("rdata", b);
        }
    };
    match r.rtype {
        1 if rd.len() == 4 => {
            let s = ipv4_str([rd[0], rd[1], rd[2], rd[3]]);
            put_bytes(js, s.as_bytes());
        }
        28 if rd.len() == 16 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(rd);
            let s = ipv6_str(a);
            put_bytes(js, s.as_bytes());
        }
        2 | 5 | 12 | 39 => {
            read_name(msg, r.rdata_off, name);
            put_bytes(js, name.as_bytes());
        }
        15 if rd.len() >= 3 => {
            read_name(msg, r.rdata_off + 2, name);
            put_bytes(js, name.as_bytes());
        }
        16 | 99 => {
            // character-strings, concatenated
            let mut txt = crate::util::StackBuf::<1024>::new();
            let mut p = 0;
            while p < rd.len() {
                let l = rd[p] as usize;
                let s = rd
                    .get(p + 1..p + 1 + l)
                    .unwrap_or(rd.get(p + 1..).unwrap_or(&[]));
                txt.extend(s);
                p += 1 + l;
            }
            put_bytes(js, txt.as_bytes());
        }
        10 => put_bytes(js, rd),
        _ => return false,
    }
    true
}

fn write_soa(js: &mut JsonBuilder, msg: &[u8], r: &Record, name: &mut NameBuf) {
    let Some(m_end) = parser::skip_name(msg, r.rdata_off) else {
        return;
    };
    let Some(r_end) = parser::skip_name(msg, m_end) else {
        return;
    };
    js.open_object("soa");
    set_name(js, "mname", msg, r.rdata_off, name);
    read_name(msg, m_end, name);
    js.set_bytes_str("rname", name.as_bytes());
    if let (Some(serial), Some(refresh), Some(retry), Some(expire), Some(minimum)) = (
        be32(msg, r_end),
        be32(msg, r_end + 4),
        be32(msg, r_end + 8),
        be32(msg, r_end + 12),
        be32(msg, r_end + 16),
    ) {
        js.set_uint("serial", serial as u64)
            .set_uint("refresh", refresh as u64)
            .set_uint("retry", retry as u64)
            .set_uint("expire", expire as u64)
            .set_uint("minimum", minimum as u64);
    }
    js.close();
}

fn write_record(js: &mut JsonBuilder, msg: &[u8], r: &Record, name: &mut NameBuf) {
    js.start_object();
    set_name(js, "rrname", msg, r.name_off, name);
    set_rrtype(js, "rrtype", r.rtype);
    js.set_uint("ttl", r.ttl as u64);
    match r.rtype {
        6 => write_soa(js, msg, r, name),
        33 => {
            if let (Some(pri), Some(w), Some(port)) = (
                be16(msg, r.rdata_off),
                be16(msg, r.rdata_off + 2),
                be16(msg, r.rdata_off + 4),
            ) {
                js.open_object("srv");
                js.set_uint("priority", pri as u64)
                    .set_uint("weight", w as u64)
                    .set_uint("port", port as u64);
                read_name(msg, r.rdata_off + 6, name);
                js.set_bytes_str("name", name.as_bytes());
                js.close();
            }
        }
        44 => {
            if let Some(rd) = slice(msg, r.rdata_off, r.rdata_len) {
                if rd.len() >= 2 {
                    js.open_object("sshfp");
                    js.set_hex_sep("fingerprint", &rd[2..], b':');
                    js.set_uint("algo", rd[0] as u64)
                        .set_uint("type", rd[1] as u64);
                    js.close();
                }
            }
        }
        _ => {
            write_rdata_value(js, msg, r, name, false);
        }
    }
    js.close();
}

/// Write the body of a `dns` event for message `p`.
pub fn log_message(js: &mut JsonBuilder, p: &Packet<'_>, tx_id: u64) {
    let msg = p.bytes();
    let flags = p.flags();
    let mut name = NameBuf::new();
    js.set_uint("version", 3);
    js.set_str(
        "type",
        if p.is_response() {
            "response"
        } else {
            "request"
        },
    );
    js.set_uint("tx_id", tx_id);
    js.set_uint("id", p.id() as u64);
    js.set_fmt("flags", format_args!("{flags:x}"));
    if flags & parser::FLAG_QR != 0 {
        js.set_bool("qr", true);
    }
    if flags & parser::FLAG_AA != 0 {
        js.set_bool("aa", true);
    }
    if flags & parser::FLAG_TC != 0 {
        js.set_bool("tc", true);
    }
    if flags & parser::FLAG_RD != 0 {
        js.set_bool("rd", true);
    }
    if flags & parser::FLAG_RA != 0 {
        js.set_bool("ra", true);
    }
    if flags & parser::FLAG_Z != 0 {
        js.set_bool("z", true);
    }
    js.set_uint("opcode", p.opcode() as u64);
    if p.is_response() {
        match rcode_str(p.rcode() as u16) {
            Some(s) => js.set_str("rcode", s),
            None => js.set_fmt("rcode", format_args!("{}", p.rcode())),
        };
    }
    if p.qdcount() > 0 {
        js.open_array("queries");
        for q in p.questions() {
            js.start_object();
            set_name(js, "rrname", msg, q.name_off, &mut name);
            set_rrtype(js, "rrtype", q.qtype);
            js.close();
        }
        js.close();
    }
    let Some(rec_start) = p.questions_end() else {
        return;
    };
    for (section, key) in [
        (Section::Answer, "answers"),
        (Section::Authority, "authorities"),
        (Section::Additional, "additionals"),
    ] {
        let mut any = false;
        for r in p
            .records(rec_start)
            .filter(|r| r.section == section && r.rtype != 41)
        {
            if !any {
                js.open_array(key);
                any = true;
            }
            write_record(js, msg, &r, &mut name);
        }
        if any {
            js.close();
        }
        if section == Section::Answer && any {
            write_grouped(js, p, rec_start, &mut name);
        }
    }
}

/// `grouped`: answers' rdata by record type, in first-seen type order.
fn write_grouped(js: &mut JsonBuilder, p: &Packet<'_>, rec_start: usize, name: &mut NameBuf) {
    let msg = p.bytes();
    let mut types: [u16; 16] = [0; 16];
    let mut nt = 0;
    for r in p
        .records(rec_start)
        .filter(|r| r.section == Section::Answer)
    {
        if nt < types.len() && !types[..nt].contains(&r.rtype) {
            types[nt] = r.rtype;
            nt += 1;
        }
    }
    let mut opened = false;
    let mut key = crate::util::StackBuf::<16>::new();
    for &t in &types[..nt] {
        if !matches!(t, 1 | 2 | 5 | 10 | 12 | 15 | 16 | 28 | 39 | 99) {
            continue;
        }
        if !opened {
            js.open_object("grouped");
            opened = true;
        }
        append_rrtype_key(t, &mut key);
        js.open_array(key.as_str_lossy());
        for r in p
            .records(rec_start)
            .filter(|r| r.section == Section::Answer && r.rtype == t)
        {
            write_rdata_value(js, msg, &r, name, true);
        }
        js.close();
    }
    if opened {
        js.close();
    }
}
