//! ICS keywords as Suricata has them: `modbus:`, `dnp3_func`, `dnp3_ind`,
//! `dnp3_obj`, `enip_command`, `cip_service` (`dnp3.data` is a buffer);
//! and reefwatch's own for protocols Suricata does not parse (issue #17,
//! documented in the crate README): `iec104.typeid`, `iec104.cot`,
//! `iec104.ca`, `iec104.ioa`, `iec104.command`, `s7comm.function`,
//! `s7comm.szl_id`, `s7comm.plc_stop`, `s7comm.block`.
use crate::error::{ParseError, Result};
use crate::parse::value::{comma_list, parse_uint, CmpOp, UintCmp};

/// Modbus function categories of `modbus: function <category>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModbusCategory {
    Public,
    Assigned,
    Unassigned,
    User,
    Reserved,
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModbusFunction {
    Code(u8),
    Category(ModbusCategory),
}

/// The Modbus tables: the app-layer's one definition.
pub use reefwatch_applayer::ModbusTable;

/// `modbus:` — `function <code|category>[, subfunction <n>]`, `access
/// <read|write> [<table>][, address <v>][, value <v>]`, `unit <v>`
/// (combinable with either), `!` negating a function or category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Modbus {
    pub function: Option<(bool, ModbusFunction)>,
    pub subfunction: Option<u16>,
    /// `Some(true)` write, `Some(false)` read
    pub access_write: Option<bool>,
    pub table: Option<ModbusTable>,
    pub address: Option<UintCmp>,
    pub value: Option<UintCmp>,
    pub unit: Option<UintCmp>,
}

/// A `modbus:` number or range in the forms Suricata's modbus keyword
/// takes: `N`, `<N`, `>N`, `A<>B`.
fn modbus_range(s: &str, max: u64) -> Result<UintCmp> {
    let s = s.trim();
    let body = s.trim_start_matches(['<', '>']);
    let digits_ok = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let ok = match body.split_once("<>") {
        Some((a, b)) => s == body && digits_ok(a) && digits_ok(b),
        None => s.len() - body.len() <= 1 && digits_ok(body),
    };
    if !ok {
        return Err(ParseError::new(format!(
            "'{s}': expected N, <N, >N or A<>B"
        )));
    }
    UintCmp::parse(s, max)
}

impl Modbus {
    pub fn parse(v: &str) -> Result<Modbus> {
        let mut m = Modbus::default();
        for part in comma_list(v) {
            let mut w = part.split_whitespace();
            let key = w.next().unwrap_or("");
            let args: Vec<&str> = w.collect();
            let arg = |i: usize| {
                args.get(i)
                    .copied()
                    .ok_or_else(|| ParseError::new(format!("'{key}' needs a value")))
            };
            match key {
                "function" => {
                    if m.function.is_some() || m.access_write.is_some() {
                        return Err(ParseError::new("function given twice or with access"));
                    }
                    let a = args.join("");
                    let (neg, a) = match a.strip_prefix('!') {
                        Some(r) => (true, r.to_string()),
                        None => (false, a),
                    };
                    let f = match a.as_str() {
                        "public" => ModbusFunction::Category(ModbusCategory::Public),
                        "assigned" => ModbusFunction::Category(ModbusCategory::Assigned),
                        "unassigned" => ModbusFunction::Category(ModbusCategory::Unassigned),
                        "user" => ModbusFunction::Category(ModbusCategory::User),
                        "reserved" => ModbusFunction::Category(ModbusCategory::Reserved),
                        "all" => ModbusFunction::Category(ModbusCategory::All),
                        n => match parse_uint(n, 255)? {
                            0 => return Err(ParseError::new("function 0 is not valid")),
                            c => ModbusFunction::Code(c as u8),
                        },
                    };
                    m.function = Some((neg, f));
                }
                "subfunction" => {
                    if !matches!(m.function, Some((false, ModbusFunction::Code(_)))) {
                        return Err(ParseError::new("subfunction needs a function code"));
                    }
                    m.subfunction = Some(parse_uint(arg(0)?, 65535)? as u16);
                }
                "access" => {
                    if m.access_write.is_some() || m.function.is_some() {
                        return Err(ParseError::new("access given twice or with function"));
                    }
                    m.access_write = Some(match arg(0)? {
                        "read" => false,
                        "write" => true,
                        a => return Err(ParseError::new(format!("unknown access '{a}'"))),
                    });
                    m.table = match args.get(1).copied() {
                        None => None,
                        Some("discretes") => Some(ModbusTable::Discretes),
                        Some("coils") => Some(ModbusTable::Coils),
                        Some("input") => Some(ModbusTable::Input),
                        Some("holding") => Some(ModbusTable::Holding),
                        Some(t) => return Err(ParseError::new(format!("unknown table '{t}'"))),
                    };
                    if m.access_write == Some(true)
                        && matches!(m.table, Some(ModbusTable::Discretes | ModbusTable::Input))
                    {
                        return Err(ParseError::new("discretes and input are read-only"));
                    }
                }
                "address" | "value" => {
                    if m.access_write.is_none() {
                        return Err(ParseError::new(format!("'{key}' needs access")));
                    }
                    if key == "value" && m.access_write != Some(true) {
                        return Err(ParseError::new("value needs write access"));
                    }
                    let c = Some(modbus_range(&args.join(""), 65535)?);
                    if key == "address" {
                        m.address = c;
                    } else {
                        // the value is looked up at one address
                        if m.address.is_none_or(|a| a.op != CmpOp::Eq) {
                            return Err(ParseError::new("value needs a single address"));
                        }
                        m.value = c;
                    }
                }
                "unit" => m.unit = Some(modbus_range(&args.join(""), 255)?),
                k => return Err(ParseError::new(format!("unknown modbus option '{k}'"))),
            }
        }
        if m.function.is_none() && m.access_write.is_none() && m.unit.is_none() {
            return Err(ParseError::new("expected function, access or unit"));
        }
        Ok(m)
    }
}

const DNP3_FUNCS: &[(&str, u8)] = &[
    ("confirm", 0),
    ("read", 1),
    ("write", 2),
    ("select", 3),
    ("operate", 4),
    ("direct_operate", 5),
    ("direct_operate_nr", 6),
    ("immed_freeze", 7),
    ("immed_freeze_nr", 8),
    ("freeze_clear", 9),
    ("freeze_clear_nr", 10),
    ("freeze_at_time", 11),
    ("freeze_at_time_nr", 12),
    ("cold_restart", 13),
    ("warm_restart", 14),
    ("initialize_data", 15),
    ("initialize_appl", 16),
    ("start_appl", 17),
    ("stop_appl", 18),
    ("save_config", 19),
    ("enable_unsolicited", 20),
    ("disable_unsolicited", 21),
    ("assign_class", 22),
    ("delay_measure", 23),
    ("record_current_time", 24),
    ("open_file", 25),
    ("close_file", 26),
    ("delete_file", 27),
    ("get_file_info", 28),
    ("authenticate_file", 29),
    ("abort_file", 30),
    ("activate_config", 31),
    ("authenticate_req", 32),
    ("authenticate_err", 33),
    ("response", 129),
    ("unsolicited_response", 130),
    ("authenticate_resp", 131),
];

/// `dnp3_func:<name|number>`.
pub fn parse_dnp3_func(v: &str) -> Result<u8> {
    let v = v.trim();
    if let Some((_, n)) = DNP3_FUNCS.iter().find(|(n, _)| n.eq_ignore_ascii_case(v)) {
        return Ok(*n);
    }
    parse_uint(v, 255)
        .map(|n| n as u8)
        .map_err(|_| ParseError::new(format!("unknown DNP3 function '{v}'")))
}

const DNP3_IND: &[(&str, u16)] = &[
    ("all_stations", 0x0100),
    ("class_1_events", 0x0200),
    ("class_2_events", 0x0400),
    ("class_3_events", 0x0800),
    ("need_time", 0x1000),
    ("local_control", 0x2000),
    ("device_trouble", 0x4000),
    ("device_restart", 0x8000),
    ("no_func_code_support", 0x0001),
    ("object_unknown", 0x0002),
    ("parameter_error", 0x0004),
    ("event_buffer_overflow", 0x0008),
    ("already_executing", 0x0010),
    ("config_corrupt", 0x0020),
    ("reserved_2", 0x0040),
    ("reserved_1", 0x0080),
];

/// `dnp3_ind:<flag>[,<flag>…]`: the IIN bits (any of them matches).
pub fn parse_dnp3_ind(v: &str) -> Result<u16> {
    let mut bits = 0;
    for p in comma_list(v) {
        bits |= DNP3_IND
            .iter()
            .find(|(n, _)| *n == p)
            .map(|(_, b)| *b)
            .ok_or_else(|| ParseError::new(format!("unknown DNP3 indicator '{p}'")))?;
    }
    Ok(bits)
}

/// `dnp3_obj:<group>,<variation>`.
pub fn parse_dnp3_obj(v: &str) -> Result<(u8, u8)> {
    let (g, var) = v
        .split_once(',')
        .ok_or_else(|| ParseError::new("expected group,variation"))?;
    Ok((parse_uint(g, 255)? as u8, parse_uint(var, 255)? as u8))
}

/// `enip_command:<n>`.
pub fn parse_enip_command(v: &str) -> Result<u16> {
    Ok(parse_uint(v, 65535)? as u16)
}

/// `cip_service:<service>[,<class>[,<attribute>]]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CipService {
    pub service: u8,
    pub class: Option<u32>,
    pub attribute: Option<u32>,
}

pub fn parse_cip_service(v: &str) -> Result<CipService> {
    let p: Vec<&str> = comma_list(v).collect();
    if p.len() > 3 {
        return Err(ParseError::new("expected service[,class[,attribute]]"));
    }
    Ok(CipService {
        service: parse_uint(p[0], 255)? as u8,
        class: p
            .get(1)
            .map(|c| parse_uint(c, u32::MAX as u64))
            .transpose()?
            .map(|c| c as u32),
        attribute: p
            .get(2)
            .map(|c| parse_uint(c, u32::MAX as u64))
            .transpose()?
            .map(|c| c as u32),
    })
}

/// An unsigned value keyword of ours: Suricata's integer forms (`N`,
/// `<N`, `>=N`, `A-B`, `!N` …) with an upper bound, hex (`0x1c`) allowed.
pub fn parse_ics_uint(v: &str, max: u64, what: &str) -> Result<UintCmp> {
    let v = v.trim();
    if v.is_empty() {
        return Err(ParseError::new(format!("{what} needs a value")));
    }
    UintCmp::parse(v, max).map_err(|e| ParseError::new(format!("{what}: {}", e.message)))
}

/// IEC 104 type identifications by their standard names
/// (IEC 60870-5-101/104), for `iec104.typeid:C_SC_NA_1;`.
const IEC104_TYPES: &[(&str, u8)] = &[
    ("M_SP_NA_1", 1),
    ("M_DP_NA_1", 3),
    ("M_ST_NA_1", 5),
    ("M_BO_NA_1", 7),
    ("M_ME_NA_1", 9),
    ("M_ME_NB_1", 11),
    ("M_ME_NC_1", 13),
    ("M_IT_NA_1", 15),
    ("M_ME_ND_1", 21),
    ("M_SP_TB_1", 30),
    ("M_DP_TB_1", 31),
    ("M_ST_TB_1", 32),
    ("M_BO_TB_1", 33),
    ("M_ME_TD_1", 34),
    ("M_ME_TE_1", 35),
    ("M_ME_TF_1", 36),
    ("M_IT_TB_1", 37),
    ("C_SC_NA_1", 45),
    ("C_DC_NA_1", 46),
    ("C_RC_NA_1", 47),
    ("C_SE_NA_1", 48),
    ("C_SE_NB_1", 49),
    ("C_SE_NC_1", 50),
    ("C_BO_NA_1", 51),
    ("C_SC_TA_1", 58),
    ("C_DC_TA_1", 59),
    ("C_RC_TA_1", 60),
    ("C_SE_TA_1", 61),
    ("C_SE_TB_1", 62),
    ("C_SE_TC_1", 63),
    ("C_BO_TA_1", 64),
    ("M_EI_NA_1", 70),
    ("C_IC_NA_1", 100),
    ("C_CI_NA_1", 101),
    ("C_RD_NA_1", 102),
    ("C_CS_NA_1", 103),
    ("C_TS_NA_1", 104),
    ("C_RP_NA_1", 105),
    ("C_CD_NA_1", 106),
    ("C_TS_TA_1", 107),
    ("P_ME_NA_1", 110),
    ("P_ME_NB_1", 111),
    ("P_ME_NC_1", 112),
    ("P_AC_NA_1", 113),
    ("F_FR_NA_1", 120),
    ("F_SR_NA_1", 121),
    ("F_SC_NA_1", 122),
    ("F_LS_NA_1", 123),
    ("F_AF_NA_1", 124),
    ("F_SG_NA_1", 125),
    ("F_DR_TA_1", 126),
];

/// `iec104.typeid:<uint|name>` (1-255).
pub fn parse_iec104_typeid(v: &str) -> Result<UintCmp> {
    let t = v.trim();
    if let Some((_, n)) = IEC104_TYPES.iter().find(|(n, _)| n.eq_ignore_ascii_case(t)) {
        return Ok(UintCmp::eq(*n as u64));
    }
    parse_ics_uint(t, 255, "iec104.typeid")
}

/// IEC 104 causes of transmission by name, for `iec104.cot:act;`.
const IEC104_COTS: &[(&str, u8)] = &[
    ("per", 1),
    ("back", 2),
    ("spont", 3),
    ("init", 4),
    ("req", 5),
    ("act", 6),
    ("actcon", 7),
    ("deact", 8),
    ("deactcon", 9),
    ("actterm", 10),
    ("retrem", 11),
    ("retloc", 12),
    ("file", 13),
    ("inrogen", 20),
    ("reqcogen", 37),
    ("unknown_type", 44),
    ("unknown_cause", 45),
    ("unknown_ca", 46),
    ("unknown_ioa", 47),
];

/// `iec104.cot:<uint|name>` (the 6-bit cause, 0-63).
pub fn parse_iec104_cot(v: &str) -> Result<UintCmp> {
    let t = v.trim();
    if let Some((_, n)) = IEC104_COTS.iter().find(|(n, _)| n.eq_ignore_ascii_case(t)) {
        return Ok(UintCmp::eq(*n as u64));
    }
    parse_ics_uint(t, 63, "iec104.cot")
}

/// `s7comm.block:` — block transfers to (download) or from (upload) the
/// PLC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct S7Block {
    pub download: bool,
    pub upload: bool,
}

/// `s7comm.block:download|upload` (both with `download,upload`).
pub fn parse_s7_block(v: &str) -> Result<S7Block> {
    let mut b = S7Block {
        download: false,
        upload: false,
    };
    for p in comma_list(v).flat_map(|p| p.split('|')) {
        match p.trim() {
            "download" => b.download = true,
            "upload" => b.upload = true,
            o => {
                return Err(ParseError::new(format!(
                    "s7comm.block: '{o}', expected download or upload"
                )))
            }
        }
    }
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modbus_forms() {
        // the forms of ../shared/rules/ics-keywords.rules (Suricata docs)
        let m = Modbus::parse("function 8, subfunction 4").unwrap();
        assert_eq!(m.function, Some((false, ModbusFunction::Code(8))));
        assert_eq!(m.subfunction, Some(4));
        let m = Modbus::parse("function user").unwrap();
        assert_eq!(
            m.function,
            Some((false, ModbusFunction::Category(ModbusCategory::User)))
        );
        let m = Modbus::parse("function !reserved").unwrap();
        assert!(m.function.unwrap().0);
        let m = Modbus::parse("access write holding, address 1, value >1000").unwrap();
        assert_eq!(
            (m.access_write, m.table),
            (Some(true), Some(ModbusTable::Holding))
        );
        assert_eq!(m.address, Some(UintCmp::eq(1)));
        assert_eq!(m.value.unwrap().op, CmpOp::Gt);
        let m = Modbus::parse("access read holding, address 1000<>2000").unwrap();
        assert_eq!(m.address.unwrap().op, CmpOp::Range);
        let m = Modbus::parse("unit >1, function 3").unwrap();
        assert!(m.unit.is_some() && m.function.is_some());
        assert!(Modbus::parse("access write input").is_err());
        assert!(Modbus::parse("access read, value 3").is_err());
        assert!(Modbus::parse("function 300").is_err());
        assert!(Modbus::parse("subfunction 4").is_err());
        assert!(Modbus::parse("colour blue").is_err());
        // forms Suricata's modbus keyword rejects
        assert!(Modbus::parse("function 0").is_err());
        assert!(Modbus::parse("access write holding, address <10, value 3").is_err());
        assert!(Modbus::parse("access read holding, address >=10").is_err());
        assert!(Modbus::parse("access read holding, address 1-10").is_err());
        assert!(Modbus::parse("unit !3").is_err());
        assert!(Modbus::parse("unit 1<>4").is_ok());
    }

    #[test]
    fn dnp3_and_enip() {
        assert_eq!(parse_dnp3_func("cold_restart").unwrap(), 13);
        assert_eq!(parse_dnp3_func("1").unwrap(), 1);
        assert_eq!(parse_dnp3_func("unsolicited_response").unwrap(), 130);
        assert!(parse_dnp3_func("explode").is_err());
        assert_eq!(parse_dnp3_ind("need_time,local_control").unwrap(), 0x3000);
        assert!(parse_dnp3_ind("need_time,bogus").is_err());
        assert_eq!(parse_dnp3_obj("60,2").unwrap(), (60, 2));
        assert!(parse_dnp3_obj("60").is_err());
        assert_eq!(parse_enip_command("99").unwrap(), 99);
        let c = parse_cip_service("14,1").unwrap();
        assert_eq!((c.service, c.class, c.attribute), (14, Some(1), None));
        assert!(parse_cip_service("256").is_err());
    }
}

#[cfg(test)]
mod own_keyword_tests {
    use super::*;

    #[test]
    fn iec104_values() {
        assert_eq!(parse_iec104_typeid("45").unwrap(), UintCmp::eq(45));
        assert_eq!(parse_iec104_typeid("C_SC_NA_1").unwrap(), UintCmp::eq(45));
        assert_eq!(parse_iec104_typeid("c_ic_na_1").unwrap(), UintCmp::eq(100));
        assert!(parse_iec104_typeid(">=45").is_ok());
        assert!(parse_iec104_typeid("256").is_err());
        assert!(parse_iec104_typeid("C_XX_NA_1").is_err());
        assert!(parse_iec104_typeid("").is_err());
        assert_eq!(parse_iec104_cot("act").unwrap(), UintCmp::eq(6));
        assert_eq!(parse_iec104_cot("6").unwrap(), UintCmp::eq(6));
        assert!(parse_iec104_cot("64").is_err());
        assert!(parse_ics_uint("100-200", 0xff_ffff, "iec104.ioa").is_ok());
        assert!(parse_ics_uint("16777216", 0xff_ffff, "iec104.ioa").is_err());
        assert!(parse_ics_uint("65536", 65535, "iec104.ca").is_err());
    }

    #[test]
    fn s7_values() {
        assert_eq!(
            parse_ics_uint("0x29", 255, "s7comm.function").unwrap(),
            UintCmp::eq(0x29)
        );
        assert!(parse_ics_uint("0x129", 255, "s7comm.function").is_err());
        assert_eq!(
            parse_ics_uint("0x0011", 65535, "s7comm.szl_id").unwrap(),
            UintCmp::eq(0x11)
        );
        let b = parse_s7_block("download|upload").unwrap();
        assert!(b.download && b.upload);
        let b = parse_s7_block("upload").unwrap();
        assert!(!b.download && b.upload);
        assert!(parse_s7_block("delete").is_err());
        assert!(parse_s7_block("").is_err());
    }
}
