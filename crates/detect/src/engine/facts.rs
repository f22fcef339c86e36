//! Keyword conditions evaluated on a transaction's typed [`Fact`]s.
use reefwatch_applayer::fact::tls_handshake;
use reefwatch_applayer::{Fact, ModbusAccess};

use crate::keywords::ics::{ModbusCategory, ModbusFunction};
use crate::keywords::packet::SslVersion;
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
            | C::SslState(_)
            | C::SslVersion(_)
            | C::TlsVersion(_)
            | C::AppLayerEvent(_)
    )
}

fn category(f: u8) -> ModbusCategory {
    // Suricata's modbus categories: public codes, user-defined 65-72 and
    // 100-110, reserved 8/9/10/13/14/41/42/90/91/125/126/127
    match f {
        65..=72 | 100..=110 => ModbusCategory::User,
        8 | 9 | 10 | 13 | 14 | 41 | 42 | 90 | 91 | 125..=127 => ModbusCategory::Reserved,
        1..=8 | 11 | 12 | 15..=17 | 20..=24 | 43 => ModbusCategory::Public,
        _ => ModbusCategory::Unassigned,
    }
}

/// Whether a condition that needs facts holds for `facts` (one fact
/// satisfying it is enough). Non-fact conditions are not handled here.
pub fn condition_ok(c: &Condition, facts: &[Fact]) -> bool {
    match c {
        Condition::Modbus(m) => facts.iter().any(|f| {
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
                if !u.matches(unit as u64) {
                    return false;
                }
            }
            if let Some((neg, func)) = m.function {
                let hit = match func {
                    ModbusFunction::Code(code) => code == function,
                    ModbusFunction::Category(ModbusCategory::All) => true,
                    ModbusFunction::Category(ModbusCategory::Assigned) => {
                        category(function) != ModbusCategory::Unassigned
                    }
                    ModbusFunction::Category(cat) => category(function) == cat,
                };
                if hit == neg {
                    return false;
                }
                if m.subfunction.is_some() && m.subfunction != subfunction {
                    return false;
                }
            }
            if let Some(write) = m.access_write {
                let acc_ok = |a: &ModbusAccess| {
                    a.write == write
                        && m.table.is_none_or(|t| t == a.table)
                        && m.address.is_none_or(|c| c.matches(a.address as u64))
                        && m.value
                            .is_none_or(|c| a.value.is_some_and(|v| c.matches(v as u64)))
                };
                if !(access.as_ref().is_some_and(acc_ok) || rw_write.as_ref().is_some_and(acc_ok))
                {
                    return false;
                }
            }
            true
        }),
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
        // xbits, flowint, ftpbounce: not evaluated yet (never a match)
        _ => false,
    }
}
