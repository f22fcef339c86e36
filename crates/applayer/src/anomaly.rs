//! Anomaly flags of one message or transaction, declared per protocol as a
//! table: bit `i` is named `NAMES[i]` (`"<proto>.<name>"`, the name the
//! anomaly stream and the counters use). A parser sets bits while it walks
//! the bytes, the state reports them once.

use crate::{EventSink, JsonBuilder};

/// A set of anomaly flags; each protocol names its bits in a table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Anomalies(pub u32);

impl Anomalies {
    #[inline]
    pub fn set(&mut self, bit: u32) {
        self.0 |= 1 << bit;
    }
    #[inline]
    pub fn has(self, bit: u32) -> bool {
        self.0 & (1 << bit) != 0
    }
    #[inline]
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// Set every bit of `other` too.
    #[inline]
    pub fn merge(&mut self, other: Anomalies) {
        self.0 |= other.0;
    }
    /// Write `"anomalies": [...]` (the names of the set bits, in table
    /// order); nothing when no bit is set.
    pub fn log(self, names: &[&'static str], js: &mut JsonBuilder) {
        if self.0 == 0 {
            return;
        }
        js.open_array("anomalies");
        for (i, n) in names.iter().enumerate() {
            if self.has(i as u32) {
                js.append_str(n);
            }
        }
        js.close();
    }
    /// Report every set bit to the sink, in table order. Bits that share a
    /// name (next to each other in the table) are reported once.
    pub fn report(self, names: &[&'static str], out: &mut dyn EventSink) {
        if self.0 == 0 {
            return;
        }
        let mut last: Option<&str> = None;
        for (i, n) in names.iter().enumerate() {
            if self.has(i as u32) && last != Some(*n) {
                out.anomaly(n);
                last = Some(n);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TestSink;

    const NAMES: &[&str] = &["p.a", "p.b", "p.b", "p.c"];

    #[test]
    fn reports_in_table_order_once_per_name() {
        let mut a = Anomalies::default();
        assert!(a.is_empty());
        a.set(3);
        a.set(1);
        a.set(2);
        let mut s = TestSink::default();
        a.report(NAMES, &mut s);
        assert_eq!(s.anomalies, ["p.b", "p.c"]);
        let mut js = JsonBuilder::new_object();
        a.log(&NAMES[..2], &mut js);
        js.close();
        assert_eq!(js.as_str(), r#"{"anomalies":["p.b"]}"#);
    }
}
