//! Keyword conditions evaluated on a transaction's typed [`Fact`]s.
use reefwatch_applayer::fact::tls_handshake;
use reefwatch_applayer::{Fact, ModbusAccess};

use crate::keywords::ics::{Modbus, ModbusCategory, ModbusFunction};
use crate::keywords::packet::SslVersion;
use crate::parse::value::{CmpOp, UintCmp};
use crate::rule::Condition;

/// Whether the condition is tested on facts.
pub fn is_fact_condition(c: &Condition) -> bool {
    use Condition as C;
    matches!(
        c,
        C::Modbus(_)
            | C::Dnp3Func(_)
            | C::Dnp3Ind(_)
            | C::Dnp3Obj { .. }
            | C::EnipCommand(_)
            | C::CipService(_)
            | C::Iec104TypeId(_)
            | C::Iec104Cot(_)
            | C::Iec104Ca(_)
            | C::Iec104Ioa(_)
            | C::Iec104Command
            | C::S7Function(_)
            | C::S7SzlId(_)
            | C::S7PlcStop
            | C::S7Block(_)
            | C::SslState(_)
            | C::SslVersion(_)
            | C::TlsVersion(_)
            | C::AppLayerEvent(_)
    )
}

/// The category of a request as Suricata's modbus parser (sawp-modbus)
/// gives it: the functions it knows (1-24, 43) are public assigned, except
/// diagnostics (8) with a reserved sub-function and MEI (43) with a type
/// other than 13 or 14, which are reserved; other codes by the Modbus
/// specification's table; `None` (no category) for 0, codes above 127 and
/// 8 or 43 without their sub-code.
fn category(function: u8, sub: Option<u16>) -> Option<ModbusCategory> {
    use ModbusCategory as C;
    let code = if function >= 0x80 {
        function ^ 0x80
    } else {
        function
    };
    Some(match code {
        8 => match sub? {
            0..=4 | 10..=21 => C::Assigned,
            _ => C::Reserved,
        },
        43 => match sub? {
            13 | 14 => C::Assigned,
            _ => C::Reserved,
        },
        1..=24 => C::Assigned,
        _ if function >= 0x80 => return None,
        0 => return None,
        41 | 42 | 90 | 91 | 125..=127 => C::Reserved,
        65..=72 | 100..=110 => C::User,
        _ => C::Unassigned,
    })
}

/// Whether category `c` is in the set a rule names (`negated`: its
/// complement, as Suricata's `!` flips the category flags).
fn category_hit(c: Option<ModbusCategory>, want: ModbusCategory, negated: bool) -> bool {
    use ModbusCategory as C;
    let Some(c) = c else { return false };
    let inside = match want {
        C::All => true,
        C::Public => matches!(c, C::Assigned | C::Unassigned),
        w => w == c,
    };
    inside != negated
}

/// Suricata's modbus range forms as `(start, end)`: `N` is `(N, N)`,
/// `<N` `(0, N)`, `>N` `(N, 65535)`, `A<>B` `(A, B)`.
fn sig_range(c: &UintCmp) -> (u64, u64) {
    match c.op {
        CmpOp::Lt => (0, c.a),
        CmpOp::Gt => (c.a, 65535),
        CmpOp::Range => (c.a, c.b),
        _ => (c.a, c.a),
    }
}

/// Suricata's `check_match`: a value against a signature range.
fn range_has(c: &UintCmp, v: u64) -> bool {
    let (s, e) = sig_range(c);
    if s == e {
        s == v
    } else if s == 0 {
        e > v
    } else if e == 65535 {
        s < v
    } else {
        s < v && v < e
    }
}

/// Suricata's `check_match_range`: a signature range against the
/// request's (1-based, inclusive) address range.
fn range_meets(c: &UintCmp, lo: u64, hi: u64) -> bool {
    let (s, e) = sig_range(c);
    if s == e {
        lo <= s && s <= hi
    } else if s == 0 {
        e > lo
    } else if e == 65535 {
        s < hi
    } else {
        s < hi && lo < e
    }
}

/// Whether a Modbus request satisfies `modbus:` as Suricata's
/// `SCModbusInspect`. A transaction is one PDU: the values it writes are
/// the [`Fact::ModbusWrite`]s among `facts`.
fn modbus_ok(m: &Modbus, f: &Fact, facts: &[Fact]) -> bool {
    let Fact::Modbus {
        request: true,
        function,
        subfunction,
        unit,
        access,
        rw_write,
    } = *f
    else {
        return false;
    };
    if let Some(u) = m.unit {
        if !range_has(&u, unit as u64) {
            return false;
        }
    }
    if let Some(write) = m.access_write {
        // read access: the read part; write: the write part (23 has both)
        let acc = match (write, access, rw_write) {
            (true, _, Some(w)) => Some(w),
            (_, Some(a), _) if a.write == write => Some(a),
            (false, Some(a), Some(_)) => Some(a),
            _ => None,
        };
        let Some(acc) = acc else { return false };
        if m.table.is_some_and(|t| t != acc.table) {
            return false;
        }
        let Some(addr) = m.address else { return true };
        // the address range Suricata tests: the write part's for 23, in
        // 1-based coil/register numbers
        let target: &ModbusAccess = rw_write.as_ref().unwrap_or(&acc);
        let lo = target.address as u64 + 1;
        let q = target.quantity as u64;
        if q == 0 || q > 65535 - target.address as u64 {
            return false;
        }
        let hi = target.address as u64 + q;
        if !range_meets(&addr, lo, hi) {
            return false;
        }
        let Some(val) = m.value else { return true };
        // the value written at the signature's (1-based) address
        let at = sig_range(&addr).0;
        if at == 0 {
            return false;
        }
        // single writes carry their value in the access too
        let single = (target.quantity == 1 && lo == at)
            .then_some(target.value)
            .flatten();
        return facts
            .iter()
            .find_map(|f| match *f {
                Fact::ModbusWrite { address, value } if address as u64 + 1 == at => Some(value),
                _ => None,
            })
            .or(single)
            .is_some_and(|v| range_has(&val, v as u64));
    }
    match m.function {
        Some((neg, ModbusFunction::Category(c))) => {
            category_hit(category(function, subfunction), c, neg)
        }
        Some((neg, ModbusFunction::Code(code))) => {
            let code_of = |x: u8| if x >= 0x80 { x ^ 0x80 } else { x };
            let hit = code == code_of(function)
                && m.subfunction
                    .is_none_or(|s| function == 8 && subfunction == Some(s));
            hit != neg
        }
        None => true,
    }
}

/// Whether an IEC 104 ASDU among `facts` satisfies `f(type_id, cot, ca)`.
fn iec104_any(facts: &[Fact], f: impl Fn(u8, u8, u16) -> bool) -> bool {
    facts.iter().any(|x| match *x {
        Fact::Iec104 {
            type_id, cot, ca, ..
        } => f(type_id, cot, ca),
        _ => false,
    })
}

/// Whether an S7comm job (a request) among `facts` has a function code
/// satisfying `f`.
fn s7_job(facts: &[Fact], f: impl Fn(u16) -> bool) -> bool {
    facts
        .iter()
        .any(|x| matches!(*x, Fact::S7 { rosctr: 1, function: Some(fc) } if f(fc)))
}

/// Whether a condition that needs facts holds for `facts` (one fact
/// satisfying it is enough). Non-fact conditions are not handled here.
pub fn condition_ok(c: &Condition, facts: &[Fact]) -> bool {
    match c {
        Condition::Modbus(m) => facts.iter().any(|f| modbus_ok(m, f, facts)),
        Condition::Dnp3Func(code) => facts
            .iter()
            .any(|f| matches!(f, Fact::Dnp3 { function, .. } if function == code)),
        Condition::Dnp3Ind(bits) => facts
            .iter()
            .any(|f| matches!(f, Fact::Dnp3 { iin: Some(i), .. } if i & bits != 0)),
        Condition::Dnp3Obj { group, variation } => facts.iter().any(|f| {
            matches!(f, Fact::Dnp3Object { group: g, variation: v } if g == group && v == variation)
        }),
        Condition::EnipCommand(cmd) => facts
            .iter()
            .any(|f| matches!(f, Fact::EnipCommand(c) if c == cmd)),
        Condition::CipService(cs) => facts.iter().any(|f| match *f {
            Fact::CipService {
                service,
                class,
                attribute,
            } => {
                service == cs.service
                    && cs.class.is_none_or(|c| class == Some(c))
                    && cs.attribute.is_none_or(|a| attribute == Some(a))
            }
            _ => false,
        }),
        Condition::SslState(st) => {
            let seen = facts
                .iter()
                .filter_map(|f| match f {
                    Fact::TlsHandshake(b) => Some(*b),
                    _ => None,
                })
                .fold(0u8, |a, b| a | b);
            let _ = tls_handshake::UNKNOWN;
            seen & st.all == st.all && (st.any == 0 || seen & st.any != 0) && seen & st.not == 0
        }
        Condition::SslVersion(vs) => facts.iter().any(|f| {
            let Fact::TlsVersion(v) = *f else { return false };
            let ver = match v {
                0x0200 => SslVersion::Ssl2,
                0x0300 => SslVersion::Ssl3,
                0x0301 => SslVersion::Tls10,
                0x0302 => SslVersion::Tls11,
                0x0303 => SslVersion::Tls12,
                0x0304 => SslVersion::Tls13,
                _ => return false,
            };
            vs.versions.iter().any(|(neg, x)| (*x == ver) != *neg)
        }),
        Condition::TlsVersion(want) => facts
            .iter()
            .any(|f| matches!(f, Fact::TlsVersion(v) if v == want)),
        Condition::AppLayerEvent(e) => {
            let hit = facts.iter().any(|f| match f {
                Fact::AppEvent(name) => name
                    .split_once('.')
                    .is_some_and(|(p, ev)| p == e.protocol && ev == e.event),
                _ => false,
            });
            hit != e.negated
        }
        Condition::Iec104TypeId(c) => iec104_any(facts, |t, _, _| c.matches(t as u64)),
        Condition::Iec104Cot(c) => iec104_any(facts, |_, cot, _| c.matches(cot as u64)),
        Condition::Iec104Ca(c) => iec104_any(facts, |_, _, ca| c.matches(ca as u64)),
        Condition::Iec104Ioa(c) => facts
            .iter()
            .any(|f| matches!(*f, Fact::Iec104Ioa(a) if c.matches(a as u64))),
        // an order of the controlling station: a control-direction type
        // (commands 45-69, system commands 100-107, parameters 110-113,
        // file transfer 120-127) sent as activation or deactivation
        Condition::Iec104Command => iec104_any(facts, |t, cot, _| {
            matches!(t, 45..=69 | 100..=127) && matches!(cot, 6 | 8)
        }),
        // a job's or ack_data's function code (userdata has none)
        Condition::S7Function(c) => facts.iter().any(|f| {
            matches!(*f, Fact::S7 { rosctr: 1 | 3, function: Some(fc) } if c.matches(fc as u64))
        }),
        Condition::S7SzlId(c) => facts
            .iter()
            .any(|f| matches!(*f, Fact::S7SzlId(id) if c.matches(id as u64))),
        Condition::S7PlcStop => s7_job(facts, |fc| fc == 0x29),
        Condition::S7Block(b) => s7_job(facts, |fc| {
            (b.download && matches!(fc, 0x1a..=0x1c)) || (b.upload && matches!(fc, 0x1d..=0x1f))
        }),
        // xbits, flowint, ftpbounce: not evaluated yet (never a match)
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reefwatch_applayer::ModbusTable;

    fn m(v: &str) -> Condition {
        Condition::Modbus(Modbus::parse(v).unwrap())
    }

    fn req(function: u8, sub: Option<u16>, access: Option<ModbusAccess>) -> Fact {
        Fact::Modbus {
            request: true,
            function,
            subfunction: sub,
            unit: 1,
            access,
            rw_write: None,
        }
    }

    fn acc(write: bool, table: ModbusTable, address: u16, quantity: u16) -> Option<ModbusAccess> {
        Some(ModbusAccess {
            write,
            table,
            address,
            quantity,
            value: None,
        })
    }

    #[test]
    fn modbus_categories_as_sawp() {
        let ok = |c: &str, f: Fact| condition_ok(&m(c), &[f]);
        // diagnostics: assigned with a defined sub-function, reserved else
        assert!(ok("function assigned", req(8, Some(4), None)));
        assert!(!ok("function reserved", req(8, Some(4), None)));
        assert!(ok("function reserved", req(8, Some(22), None)));
        assert!(ok("function reserved", req(8, Some(5), None)));
        assert!(!ok("function all", req(8, None, None)), "no category");
        // 9, 10, 13, 14 are functions sawp knows: assigned
        assert!(ok("function assigned", req(9, None, None)));
        assert!(ok("function reserved", req(90, None, None)));
        assert!(ok("function reserved", req(43, Some(1), None)));
        assert!(ok("function public", req(43, Some(14), None)));
        assert!(ok("function user", req(100, None, None)));
        assert!(ok("function unassigned", req(30, None, None)));
        assert!(ok("function public", req(30, None, None)));
        assert!(!ok("function user", req(3, None, None)));
        assert!(ok("function !user", req(3, None, None)));
        assert!(!ok("function !reserved", req(0, None, None)), "no category");
        // responses are not tested
        let resp = Fact::Modbus {
            request: false,
            function: 100,
            subfunction: None,
            unit: 1,
            access: None,
            rw_write: None,
        };
        assert!(!ok("function user", resp));
    }

    #[test]
    fn modbus_function_and_subfunction() {
        let ok = |c: &str, f: Fact| condition_ok(&m(c), &[f]);
        assert!(ok("function 8, subfunction 4", req(8, Some(4), None)));
        assert!(!ok("function 8, subfunction 4", req(8, Some(1), None)));
        assert!(!ok("function 43, subfunction 14", req(43, Some(14), None)));
        assert!(ok("function 3", req(3, None, None)));
        assert!(!ok("function 3", req(4, None, None)));
    }

    #[test]
    fn modbus_addresses_are_one_based_ranges() {
        use ModbusTable::*;
        let ok = |c: &str, f: &[Fact]| condition_ok(&m(c), f);
        // read holding PDU 999 x 2: registers 1000..=1001
        let r = [req(3, None, acc(false, Holding, 999, 2))];
        assert!(ok("access read holding, address 1000", &r));
        assert!(ok("access read holding, address 1001", &r));
        assert!(!ok("access read holding, address 1002", &r));
        assert!(ok("access read holding, address 1000<>2000", &r));
        assert!(!ok("access read holding, address 1001<>2000", &r));
        assert!(ok("access read holding, address >1000", &r));
        assert!(!ok("access read holding, address <1000", &r));
        assert!(!ok("access read input", &r));
        assert!(!ok("access write", &r));
        // write multiple registers PDU 0 x 3 with values
        let w = [
            req(16, None, acc(true, Holding, 0, 3)),
            Fact::ModbusWrite {
                address: 0,
                value: 5,
            },
            Fact::ModbusWrite {
                address: 1,
                value: 2000,
            },
        ];
        assert!(ok("access write holding, address 2, value >1000", &w));
        assert!(!ok("access write holding, address 1, value >1000", &w));
        assert!(ok("access write holding, address 1, value 5", &w));
        assert!(
            !ok("access write holding, address 3, value 5", &w),
            "no value"
        );
        assert!(!ok("access write coils", &w));
        assert!(ok("access write holding, address <100", &w));
        assert!(!ok("access write holding, address <1", &w));
    }

    #[test]
    fn modbus_read_write_multiple_uses_the_write_range() {
        use ModbusTable::*;
        let f = Fact::Modbus {
            request: true,
            function: 23,
            subfunction: None,
            unit: 2,
            access: acc(false, Holding, 10, 1),
            rw_write: acc(true, Holding, 500, 1),
        };
        let ok = |c: &str| condition_ok(&m(c), &[f]);
        assert!(ok("access read holding"));
        assert!(ok("access write holding"));
        assert!(ok("access read holding, address 501"));
        assert!(!ok("access read holding, address 11"));
        assert!(ok("unit >1, function 23"));
        assert!(!ok("unit 1"));
    }

    /// The one condition of `alert <proto> … (<body> sid:1;)`.
    fn cond(proto: &str, body: &str) -> Condition {
        let r = crate::parse_rule(
            &format!("alert {proto} any any -> any any ({body} sid:1;)"),
            &crate::Vars::suricata_defaults(),
            None,
        )
        .unwrap_or_else(|e| panic!("{body}: {e:?}"));
        assert_eq!(r.conditions.len(), 1, "{body}");
        r.conditions[0].clone()
    }

    fn bad(proto: &str, body: &str) -> bool {
        crate::parse_rule(
            &format!("alert {proto} any any -> any any ({body} sid:1;)"),
            &crate::Vars::suricata_defaults(),
            None,
        )
        .is_err()
    }

    fn asdu(type_id: u8, cot: u8, ca: u16, ioas: &[u32]) -> Vec<Fact> {
        let mut v = vec![Fact::Iec104 {
            type_id,
            cot,
            negative: false,
            test: false,
            originator: 0,
            ca,
        }];
        v.extend(ioas.iter().map(|&a| Fact::Iec104Ioa(a)));
        v
    }

    #[test]
    fn iec104_keywords() {
        let ok = |body: &str, f: &[Fact]| condition_ok(&cond("iec104", body), f);
        let sc = asdu(45, 6, 1, &[100]);
        let meas = asdu(13, 3, 7, &[1300, 1301]);
        // iec104.typeid
        assert!(ok("iec104.typeid:45;", &sc));
        assert!(ok("iec104.typeid:C_SC_NA_1;", &sc));
        assert!(!ok("iec104.typeid:45;", &meas));
        assert!(ok("iec104.typeid:<45;", &meas));
        assert!(bad("iec104", "iec104.typeid:300;"));
        assert!(bad("iec104", "iec104.typeid:X_YZ;"));
        // iec104.cot
        assert!(ok("iec104.cot:6;", &sc));
        assert!(ok("iec104.cot:act;", &sc));
        assert!(!ok("iec104.cot:act;", &meas));
        assert!(bad("iec104", "iec104.cot:64;"));
        // iec104.ca
        assert!(ok("iec104.ca:1;", &sc));
        assert!(!ok("iec104.ca:1;", &meas));
        assert!(ok("iec104.ca:>1;", &meas));
        assert!(bad("iec104", "iec104.ca:70000;"));
        // iec104.ioa: any object of the ASDU
        assert!(ok("iec104.ioa:1301;", &meas));
        assert!(ok("iec104.ioa:1000-1301;", &meas)); // 1300 inside
        assert!(!ok("iec104.ioa:1301-2000;", &meas)); // ends excluded
        assert!(!ok("iec104.ioa:100;", &meas));
        assert!(bad("iec104", "iec104.ioa:16777216;"));
        // iec104.command: a control-direction type as (de)activation
        assert!(ok("iec104.command;", &sc));
        assert!(ok("iec104.command;", &asdu(100, 8, 1, &[0])));
        assert!(
            !ok("iec104.command;", &asdu(45, 7, 1, &[100])),
            "a confirmation"
        );
        assert!(!ok("iec104.command;", &meas));
        assert!(bad("iec104", "iec104.command:1;"));
        // the keywords need the protocol
        assert!(bad("modbus", "iec104.cot:6;"));
        assert!(!ok("iec104.typeid:45;", &[]));
    }

    #[test]
    fn s7comm_keywords() {
        let ok = |body: &str, f: &[Fact]| condition_ok(&cond("s7comm", body), f);
        let job = |function: u16| {
            [Fact::S7 {
                rosctr: 1,
                function: Some(function),
            }]
        };
        let ack = |function: u16| {
            [Fact::S7 {
                rosctr: 3,
                function: Some(function),
            }]
        };
        let szl = [
            Fact::S7 {
                rosctr: 7,
                function: Some(0x0401),
            },
            Fact::S7SzlId(0x0011),
        ];
        // s7comm.function: jobs and ack_data
        assert!(ok("s7comm.function:0x29;", &job(0x29)));
        assert!(ok("s7comm.function:41;", &ack(0x29)));
        assert!(!ok("s7comm.function:0x29;", &job(0x28)));
        assert!(!ok("s7comm.function:0x04;", &szl), "userdata has none");
        assert!(bad("s7comm", "s7comm.function:0x100;"));
        // s7comm.szl_id
        assert!(ok("s7comm.szl_id:0x0011;", &szl));
        assert!(ok("s7comm.szl_id:17;", &szl));
        assert!(!ok("s7comm.szl_id:0x001c;", &szl));
        assert!(bad("s7comm", "s7comm.szl_id:0x10000;"));
        // s7comm.plc_stop: the stop job only
        assert!(ok("s7comm.plc_stop;", &job(0x29)));
        assert!(!ok("s7comm.plc_stop;", &ack(0x29)));
        assert!(!ok("s7comm.plc_stop;", &job(0x28)));
        assert!(bad("s7comm", "s7comm.plc_stop:1;"));
        // s7comm.block
        assert!(ok("s7comm.block:download;", &job(0x1a)));
        assert!(ok("s7comm.block:download;", &job(0x1c)));
        assert!(!ok("s7comm.block:download;", &job(0x1d)));
        assert!(ok("s7comm.block:upload;", &job(0x1e)));
        assert!(ok("s7comm.block:download|upload;", &job(0x1f)));
        assert!(!ok("s7comm.block:upload;", &ack(0x1e)));
        assert!(bad("s7comm", "s7comm.block:delete;"));
        assert!(bad("s7comm", "s7comm.block;"));
        assert!(bad("dnp3", "s7comm.plc_stop;"));
    }
}
