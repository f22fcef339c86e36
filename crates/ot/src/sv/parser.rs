//! IEC 61850-9-2 Sampled Values on Ethernet (EtherType 0x88BA): the header
//! GOOSE shares ([`crate::goose::parser::Header`]) and the savPdu read with
//! the bounded BER reader of [`crate::mms::ber`], zero-copy.
//!
//! ```text
//! savPdu: [APPLICATION 0] IMPLICIT SEQUENCE {                 60 len
//!   noASDU [0] INTEGER, security [1] OPTIONAL,
//!   seqASDU [2] SEQUENCE OF ASDU }                            a2 len
//! ASDU: SEQUENCE {                                            30 len
//!   svID [0] VisibleString, datSet [1] OPTIONAL, smpCnt [2] (2 octets),
//!   confRev [3] (4 octets), refrTm [4] UtcTime OPTIONAL,
//!   smpSynch [5] (1 octet: 0 none, 1 local, 2 global, 5..254 by id),
//!   smpRate [6] OPTIONAL, sample [7] OCTET STRING (the dataset),
//!   smpMod [8] OPTIONAL }
//! ```

use crate::goose::parser::Header;
use crate::mms::ber::{self, Tlv};
use reefwatch_applayer::Anomalies;

pub const ETHERTYPE_SV: u16 = 0x88ba;
pub const TAG_SAV_PDU: u8 = 0x60;
/// ASDUs decoded per frame (9-2LE sends 1 or 8; the standard allows more):
/// past it they are counted, not decoded.
pub const MAX_ASDUS: usize = 16;
/// Longest svID / datSet kept (VisibleString129).
pub const MAX_NAME: usize = 129;

pub const A_MALFORMED: u32 = 0;
pub const A_BAD_LENGTH: u32 = 1;
pub const A_MISSING_FIELD: u32 = 2;
pub const A_ASDU_COUNT_MISMATCH: u32 = 3;
pub const A_NAME_TOO_LONG: u32 = 4;
/// Stream checks (state.rs).
pub const A_SMPCNT_GAP: u32 = 5;
pub const A_CONFREV_CHANGED: u32 = 6;
pub const A_SVID_CHANGED: u32 = 7;
pub const A_NEW_SOURCE_MAC: u32 = 8;
pub const A_SYNCH_LOST: u32 = 9;

pub const ANOMALY_NAMES: &[&str] = &[
    "sv.malformed",
    "sv.bad_length",
    "sv.missing_field",
    "sv.asdu_count_mismatch",
    "sv.name_too_long",
    "sv.smpcnt_gap",
    "sv.confrev_changed",
    "sv.svid_changed",
    "sv.new_source_mac",
    "sv.synch_lost",
];

/// One ASDU's fields, borrowed.
#[derive(Clone, Copy, Debug, Default)]
pub struct Asdu<'a> {
    pub sv_id: Option<&'a [u8]>,
    pub dat_set: Option<&'a [u8]>,
    pub smp_cnt: Option<u64>,
    pub conf_rev: Option<u64>,
    /// UtcTime, 8 octets
    pub refr_tm: Option<&'a [u8]>,
    pub smp_synch: Option<u64>,
    pub smp_rate: Option<u64>,
    /// the dataset's octets
    pub sample: Option<&'a [u8]>,
    pub smp_mod: Option<u64>,
}

/// A savPdu.
#[derive(Clone, Copy, Debug, Default)]
pub struct SavPdu<'a> {
    pub no_asdu: Option<u64>,
    pub security: bool,
    /// the first [`MAX_ASDUS`] ASDUs
    pub asdus: [Asdu<'a>; MAX_ASDUS],
    /// ASDUs in seqASDU (decoded or not)
    pub asdu_count: usize,
}

impl<'a> SavPdu<'a> {
    pub fn decoded(&self) -> &[Asdu<'a>] {
        &self.asdus[..self.asdu_count.min(MAX_ASDUS)]
    }
}

fn name<'a>(t: &Tlv<'a>, an: &mut Anomalies) -> &'a [u8] {
    if t.value.len() > MAX_NAME {
        an.set(A_NAME_TOO_LONG);
    }
    t.value
}

fn asdu<'a>(t: &Tlv<'a>, an: &mut Anomalies) -> Asdu<'a> {
    let mut a = Asdu::default();
    let mut it = t.children();
    for c in it.by_ref() {
        if c.class != ber::Class::Context {
            an.set(A_MALFORMED);
            continue;
        }
        match c.tag {
            0 => a.sv_id = Some(name(&c, an)),
            1 => a.dat_set = Some(name(&c, an)),
            2 => a.smp_cnt = c.uint(),
            3 => a.conf_rev = c.uint(),
            4 => a.refr_tm = (c.value.len() == 8).then_some(c.value),
            5 => a.smp_synch = c.uint(),
            6 => a.smp_rate = c.uint(),
            7 => a.sample = Some(c.value),
            8 => a.smp_mod = c.uint(),
            _ => an.set(A_MALFORMED),
        }
    }
    if it.error().is_some() {
        an.set(A_MALFORMED);
    }
    if a.sv_id.is_none() || a.smp_cnt.is_none() || a.conf_rev.is_none() || a.sample.is_none() {
        an.set(A_MISSING_FIELD);
    }
    a
}

/// Parse one SV frame's payload (after the EtherType). `None` when there is
/// no header and savPdu tag.
pub fn parse<'a>(payload: &'a [u8], an: &mut Anomalies) -> Option<(Header<'a>, SavPdu<'a>)> {
    let h = Header::new_checked(payload)?;
    let (apdu, len_ok) = h.apdu();
    if !len_ok {
        an.set(A_BAD_LENGTH);
    }
    if apdu.first() != Some(&TAG_SAV_PDU) {
        an.set(A_MALFORMED);
        return None;
    }
    let mut p = SavPdu::default();
    let pdu = match ber::read(apdu) {
        Ok((t, _)) => t,
        Err(_) => {
            an.set(A_MALFORMED);
            return Some((h, p));
        }
    };
    let mut it = pdu.children();
    for c in it.by_ref() {
        match (c.class, c.tag) {
            (ber::Class::Context, 0) => p.no_asdu = c.uint(),
            (ber::Class::Context, 1) => p.security = true,
            (ber::Class::Context, 2) => {
                let mut seq = c.children();
                for a in seq.by_ref() {
                    if p.asdu_count < MAX_ASDUS {
                        p.asdus[p.asdu_count] = asdu(&a, an);
                    }
                    p.asdu_count += 1;
                }
                if seq.error().is_some() {
                    an.set(A_MALFORMED);
                }
            }
            _ => an.set(A_MALFORMED),
        }
    }
    if it.error().is_some() {
        an.set(A_MALFORMED);
    }
    match p.no_asdu {
        None => an.set(A_MISSING_FIELD),
        Some(n) if n != p.asdu_count as u64 => an.set(A_ASDU_COUNT_MISMATCH),
        _ => {}
    }
    Some((h, p))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::goose::parser::tests::tlv;

    /// An SV frame payload built from IEC 61850-9-2 (9-2LE shape: one ASDU,
    /// 8 INT32+quality pairs of the PhsMeas1 dataset, 64 octets); no
    /// capture of Sampled Values is in the shared set.
    pub(crate) fn frame(
        appid: u16,
        sv_id: &[u8],
        smp_cnts: &[u16],
        conf_rev: u32,
        synch: u8,
    ) -> Vec<u8> {
        let mut seq = Vec::new();
        for (i, c) in smp_cnts.iter().enumerate() {
            let mut sample = Vec::new();
            for k in 0..8u32 {
                sample.extend_from_slice(&((k + 1) * 1000 + i as u32).to_be_bytes()); // value
                sample.extend_from_slice(&[0, 0, 0, 0]); // quality
            }
            let a = [
                tlv(0x80, sv_id),
                tlv(0x82, &c.to_be_bytes()),
                tlv(0x83, &conf_rev.to_be_bytes()),
                tlv(0x85, &[synch]),
                tlv(0x87, &sample),
            ]
            .concat();
            let mut t = vec![0x30, 0x81, a.len() as u8];
            t.extend_from_slice(&a);
            seq.extend_from_slice(&t);
        }
        let mut seq_t = vec![0xa2, 0x82];
        seq_t.extend_from_slice(&(seq.len() as u16).to_be_bytes());
        seq_t.extend_from_slice(&seq);
        let body = [tlv(0x80, &[smp_cnts.len() as u8]), seq_t].concat();
        let mut pdu = vec![0x60, 0x82];
        pdu.extend_from_slice(&(body.len() as u16).to_be_bytes());
        pdu.extend_from_slice(&body);
        let mut f = appid.to_be_bytes().to_vec();
        f.extend_from_slice(&((8 + pdu.len()) as u16).to_be_bytes());
        f.extend_from_slice(&[0, 0, 0, 0]);
        f.extend_from_slice(&pdu);
        f
    }

    /// The same frame written out: APPID 0x4000, svID "MU01", smpCnt 1,
    /// confRev 1, smpSynch 2 (global).
    #[rustfmt::skip]
    const ONE: &[u8] = &[
        0x40, 0x00, 0x00, 0x6b, 0x00, 0x00, 0x00, 0x00, // APPID, length 107, reserved
        0x60, 0x82, 0x00, 0x5f,                         // savPdu, 95 octets
        0x80, 0x01, 0x01,                               // noASDU 1
        0xa2, 0x82, 0x00, 0x58,                         // seqASDU, 88 octets
        0x30, 0x81, 0x55,                               // ASDU, 85 octets
        0x80, 0x04, b'M', b'U', b'0', b'1',             // svID "MU01"
        0x82, 0x02, 0x00, 0x01,                         // smpCnt 1
        0x83, 0x04, 0x00, 0x00, 0x00, 0x01,             // confRev 1
        0x85, 0x01, 0x02,                               // smpSynch 2 (global)
        0x87, 0x40,                                     // sample, 64 octets
    ];

    #[test]
    fn a_9_2le_frame() {
        let f = frame(0x4000, b"MU01", &[1], 1, 2);
        assert_eq!(&f[..ONE.len()], ONE);
        assert_eq!(f.len(), ONE.len() + 64);
        let mut an = Anomalies::default();
        let (h, p) = parse(&f, &mut an).unwrap();
        assert!(an.is_empty(), "{an:?}");
        assert_eq!((h.appid(), h.length()), (0x4000, 107));
        assert_eq!((p.no_asdu, p.asdu_count), (Some(1), 1));
        let a = p.decoded()[0];
        assert_eq!(a.sv_id, Some(&b"MU01"[..]));
        assert_eq!(
            (a.smp_cnt, a.conf_rev, a.smp_synch),
            (Some(1), Some(1), Some(2))
        );
        assert_eq!(a.sample.map(|s| s.len()), Some(64));
        assert_eq!(&a.sample.unwrap()[..4], &1000u32.to_be_bytes());
    }

    #[test]
    fn many_asdus_bounded_and_odd_frames_flagged() {
        let cnts: Vec<u16> = (0..20).collect();
        let f = frame(0x4001, b"MU02", &cnts, 1, 1);
        let mut an = Anomalies::default();
        let (_, p) = parse(&f, &mut an).unwrap();
        assert_eq!((p.asdu_count, p.decoded().len()), (20, MAX_ASDUS));
        assert_eq!(p.decoded()[15].smp_cnt, Some(15));
        assert!(an.is_empty());
        // noASDU disagreeing with seqASDU
        let mut g = frame(0x4000, b"MU01", &[1], 1, 2);
        g[14] = 2;
        let mut an = Anomalies::default();
        parse(&g, &mut an).unwrap();
        assert!(an.has(A_ASDU_COUNT_MISMATCH));
        // cut anywhere: flagged, never a panic
        for n in 0..f.len() {
            let mut an = Anomalies::default();
            let _ = parse(&f[..n], &mut an);
            if n > 8 {
                assert!(!an.is_empty(), "cut at {n}");
            }
        }
    }
}
