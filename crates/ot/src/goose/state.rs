//! A GOOSE stream (one source MAC and APPID): the checks of each frame
//! against the last (stNum/sqNum order, timeAllowedToLive, confRev, the
//! control block's sender) and when an event is written.

use super::logger::{log_end, log_frame, log_management, FrameEvent};
use super::parser::*;
use super::tx::{Kind, Last, NameBuf, Stream};
use reefwatch_applayer::{Anomalies, EventSink, L2Context, L2Frame, L2Parser};

/// sqNum / stNum are INT32U: a step from near the top to 0 or 1 is a wrap,
/// not a reset.
const WRAP_FROM: u64 = 0xffff_fff0;

#[derive(Default)]
pub struct GooseState {
    s: Stream,
}

fn wrapped(last: u64, now: u64) -> bool {
    last >= WRAP_FROM && now <= 1
}

impl GooseState {
    pub fn new() -> Self {
        Self::default()
    }

    /// Check a decoded frame against the stream's last one; the event kind
    /// (None: a plain retransmission) and the retransmissions to log.
    fn check(
        &mut self,
        f: &L2Frame<'_>,
        g: &GoosePdu<'_>,
        an: &mut Anomalies,
    ) -> (Option<Kind>, u64) {
        let (st, sq) = (g.st_num.unwrap_or(0), g.sq_num.unwrap_or(0));
        let Some(last) = &self.s.last else {
            self.s.states += 1;
            return (Some(Kind::NewStream), 0);
        };
        let ttl_ns = (last.ttl_ms as i64).saturating_mul(1_000_000);
        if last.ttl_ms > 0 && f.ts_ns.saturating_sub(last.ts_ns) > ttl_ns {
            an.set(A_TTL_EXPIRED);
        }
        if g.conf_rev.is_some_and(|c| c != last.conf_rev) {
            an.set(A_CONFREV_CHANGED);
        }
        if g.gocb_ref
            .is_some_and(|r| r[..r.len().min(MAX_NAME)] != *last.gocb_ref.as_bytes())
        {
            an.set(A_GOCBREF_CHANGED);
        }
        if st == last.st_num {
            if sq == last.sq_num {
                an.set(A_DUPLICATE);
            } else if sq < last.sq_num && !wrapped(last.sq_num, sq) {
                an.set(A_SQNUM_RESET);
            } else if sq > last.sq_num + 1 {
                an.set(A_SQNUM_GAP);
            }
            self.s.retransmissions += 1;
            self.s.state_retransmissions += 1;
            let kind = (!an.is_empty()).then_some(Kind::Anomaly);
            return (kind, self.s.state_retransmissions);
        }
        if st < last.st_num && !wrapped(last.st_num, st) {
            an.set(A_STNUM_BACK);
        } else if st > last.st_num + 1 {
            an.set(A_STNUM_GAP);
        }
        if sq > 1 {
            an.set(A_STNUM_WITHOUT_SQNUM_RESET);
        }
        self.s.states += 1;
        let before = std::mem::take(&mut self.s.state_retransmissions);
        (Some(Kind::StateChange), before)
    }
}

impl L2Parser for GooseState {
    fn parse(&mut self, f: &L2Frame<'_>, ctx: &mut dyn L2Context, out: &mut dyn EventSink) {
        self.s.frames += 1;
        let mut an = Anomalies::default();
        let Some((h, apdu)) = parse(f.payload, &mut an) else {
            an.report(ANOMALY_NAMES, out);
            return;
        };
        let g = match apdu {
            Apdu::Goose(g) => g,
            Apdu::Management => {
                out.event("goose", &mut |js| log_management(js, &h, an));
                an.report(ANOMALY_NAMES, out);
                return;
            }
        };
        // a control block first seen on this stream: is it another
        // sender's?
        let new_ref = match (&self.s.last, g.gocb_ref) {
            (None, Some(_)) => true,
            (Some(l), Some(r)) => r[..r.len().min(MAX_NAME)] != *l.gocb_ref.as_bytes(),
            _ => false,
        };
        let previous_src_mac = match g.gocb_ref {
            Some(r) if new_ref => ctx.claim(r, f.src_mac),
            _ => None,
        };
        if previous_src_mac.is_some() {
            an.set(A_NEW_SOURCE_MAC);
        }
        let decoded = g.st_num.is_some() && g.sq_num.is_some();
        let (kind, retransmissions) = if decoded {
            self.check(f, &g, &mut an)
        } else {
            (Some(Kind::Anomaly), self.s.state_retransmissions)
        };
        if decoded {
            let prev = self.s.last.as_ref();
            self.s.last = Some(Last {
                st_num: g.st_num.unwrap_or(0),
                sq_num: g.sq_num.unwrap_or(0),
                ttl_ms: g.time_allowed_to_live.unwrap_or(0),
                conf_rev: g.conf_rev.or(prev.map(|p| p.conf_rev)).unwrap_or(0),
                ts_ns: f.ts_ns,
                gocb_ref: match (g.gocb_ref, prev) {
                    (Some(r), _) => NameBuf::new(r),
                    (None, Some(p)) => p.gocb_ref.clone(),
                    (None, None) => NameBuf::new(b""),
                },
            });
        }
        let Some(kind) = kind else {
            return;
        };
        let e = FrameEvent {
            kind,
            header: &h,
            pdu: &g,
            stream: &self.s,
            retransmissions,
            previous_src_mac,
            anomalies: an,
        };
        out.event("goose", &mut |js| log_frame(js, &e));
        an.report(ANOMALY_NAMES, out);
    }

    fn on_close(&mut self, out: &mut dyn EventSink) {
        if self.s.frames == 0 {
            return;
        }
        let s = &self.s;
        out.event("goose", &mut |js| log_end(js, s));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::goose::parser::tests::{fields, frame, DEMO};
    use reefwatch_applayer::l2::NoContext;
    use reefwatch_applayer::TestSink;

    fn at<'a>(p: &'a [u8], mac: u8, ms: i64) -> L2Frame<'a> {
        L2Frame {
            src_mac: [0, 0, 0, 0, 0, mac],
            dst_mac: [1, 0x0c, 0xcd, 1, 0, 1],
            ethertype: ETHERTYPE_GOOSE,
            vlan: [0, 0],
            payload: p,
            ts_ns: ms * 1_000_000,
        }
    }

    /// Retransmissions are counted, state changes logged, and each stream
    /// check fires on the frame that breaks it.
    #[test]
    fn state_changes_retransmissions_and_checks() {
        let mut s = GooseState::new();
        let mut out = TestSink::default();
        let mut ctx = NoContext;
        let seq: &[(u8, u8, i64)] = &[
            (1, 0, 0),    // new stream
            (1, 1, 100),  // retransmission
            (1, 2, 200),  // retransmission
            (2, 0, 300),  // state change (2 retransmissions before)
            (2, 1, 2400), // later than the 2000 ms TTL
            (2, 1, 2500), // duplicate
            (2, 3, 2600), // sqNum gap
            (1, 0, 2700), // stNum back
            (5, 4, 2800), // stNum gap, sqNum not reset
        ];
        for &(st, sq, ms) in seq {
            let f = frame(1, 0, &fields(st, sq, 2000));
            s.parse(&at(&f, 1, ms), &mut ctx, &mut out);
        }
        s.on_close(&mut out);
        let kinds: Vec<String> = out
            .events
            .iter()
            .map(|(_, j)| serde_json::from_str::<serde_json::Value>(j).unwrap()["kind"].to_string())
            .collect();
        assert_eq!(
            kinds,
            [
                "\"new_stream\"",
                "\"state_change\"",
                "\"anomaly\"",
                "\"anomaly\"",
                "\"anomaly\"",
                "\"state_change\"",
                "\"state_change\"",
                "\"end\""
            ]
        );
        let ev = |i: usize| serde_json::from_str::<serde_json::Value>(&out.events[i].1).unwrap();
        assert_eq!(ev(1)["retransmissions"], 2);
        assert_eq!(
            ev(0)["values"][2],
            serde_json::json!({"type": "integer", "value": -5})
        );
        assert_eq!(ev(0)["value_count"], 8);
        assert_eq!(ev(7)["frames"], 9);
        assert_eq!(
            out.anomalies,
            [
                "goose.ttl_expired",
                "goose.duplicate",
                "goose.sqnum_gap",
                "goose.stnum_back",
                "goose.stnum_gap",
                "goose.stnum_without_sqnum_reset"
            ]
        );
    }

    /// Hostile bytes (mutations of a captured frame, random frames) through
    /// the shared layer-2 driver: never a panic, every event valid JSON.
    #[test]
    fn hostile_frames_never_panic() {
        let mut x: u32 = 12345;
        let mut rnd = || {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (x >> 16) as u8
        };
        for _ in 0..400 {
            let mut data = vec![rnd() & 0x80];
            for _ in 0..4 {
                let mut f = DEMO.to_vec();
                for _ in 0..(rnd() % 6) {
                    let i = rnd() as usize % f.len();
                    f[i] = rnd();
                }
                f.truncate(rnd() as usize % (f.len() + 1));
                data.extend_from_slice(&(f.len() as u16).to_be_bytes());
                data.push(rnd());
                data.extend_from_slice(&f);
            }
            reefwatch_applayer::fuzzing::drive_l2(&crate::goose::PROTOCOL, &data);
            reefwatch_applayer::fuzzing::drive_l2(&crate::sv::PROTOCOL, &data);
        }
    }
}
