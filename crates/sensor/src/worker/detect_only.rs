//! The detection-only path (see [`AppLayerMode::Detect`]): with nothing
//! parsed, most packets are common frames (untagged IPv4 TCP/UDP, decoded
//! by `reefwatch_decode::fast_ethernet_ipv4`, possibly ahead by the thread
//! that published them) of a flow that is only tracked: `track_fast`
//! finds the flow with `FlowTable::find_v4` and applies the same rule as
//! the general path ([`on_tracked`]), without building a `Packet`. The
//! rest take the general path, without decoding twice.

use super::*;

/// What the detection-only path counted in one run of frames.
#[derive(Default)]
struct Tally {
    pkts: u64,
    bytes: u64,
    /// of which TCP (the rest UDP)
    tcp: u64,
    last_ts: i64,
    last_cnt: u64,
}

impl Worker {
    /// [`Worker::process_frames`] when nothing is parsed.
    #[inline(always)]
    pub(super) fn process_frames_detect_only<'p>(
        &mut self,
        frames: impl Iterator<Item = (reefwatch_capture::Packet<'p>, u64, Pre)>,
    ) {
        // Detection only: most packets are common frames of a flow that
        // is only tracked (`track_fast`); the rest take the general path,
        // without decoding again when the fast decoder took the frame.
        // Totals of the packets `track_fast` took, added once at the end.
        let mut tally = Tally {
            last_ts: i64::MIN,
            ..Tally::default()
        };
        for (r, cnt, pre) in frames {
            if r.linktype == reefwatch_decode::linktype::ETHERNET && r.ts_ns < self.next_expire {
                // a header another thread decoded (its bytes are then not
                // touched here unless the general path needs them)
                let (hdr, v) = match pre {
                    Pre::Fast(h) => (Some(h), None),
                    Pre::NotFast => (None, None),
                    Pre::NotDone => match fast_ethernet_ipv4(r.data) {
                        Some(v) => (Some(v.hdr), Some(v)),
                        None => (None, None),
                    },
                };
                if let Some(h) = hdr {
                    if self.track_fast(&h, r.data.len(), r.ts_ns, &mut tally) {
                        tally.last_cnt = cnt;
                        continue;
                    }
                    // the same bytes decode the same way
                    if let Some(v) = v.or_else(|| fast_ethernet_ipv4(r.data)) {
                        self.begin(r.data.len(), r.ts_ns, cnt);
                        self.decoder.count_fast(&v, r.data.len());
                        let (table, outs) = (&mut self.table, &mut self.outs);
                        on_packet(table, outs, v.into_packet(), r.data.len(), r.ts_ns, cnt);
                        continue;
                    }
                }
            }
            self.process(r.linktype, r.data, r.ts_ns, cnt);
        }
        if tally.pkts > 0 {
            let st = &mut self.outs.stats;
            st.pkts += tally.pkts;
            st.bytes += tally.bytes;
            st.last_ts = st.last_ts.max(tally.last_ts);
            // the number of the last packet processed (events of flows
            // ended later carry it), if `track_fast` took it
            self.outs.cur_pcap_cnt = self.outs.cur_pcap_cnt.max(tally.last_cnt);
            self.decoder
                .count_fast_many(tally.pkts, tally.bytes, tally.tcp);
        }
    }

    /// A detection-only engine's common packet (see
    /// [`AppLayerMode::Detect`]): untagged IPv4 TCP/UDP of a flow whose
    /// protocol is known, so only its counters and TCP state change: the
    /// same effect as [`process`](Self::process), without building a
    /// [`reefwatch_decode::Packet`]. False (nothing done) for any other.
    #[inline(always)]
    fn track_fast(&mut self, v: &FastHdr, caplen: usize, ts_ns: i64, tally: &mut Tally) -> bool {
        let pr = self.table.probe_v4(v.src, v.sport, v.dst, v.dport, v.proto);
        let Some(lk) = self.table.find_v4(&pr, ts_ns) else {
            return false;
        };
        let f = self.table.get_mut(lk.idx);
        // Without parsing, a flow is only tracked as soon as its protocol
        // is decided, so one that is not is undecided (and has no parser).
        // It takes the general path, except for a segment without payload
        // while nothing waits for reassembly: then only counters and TCP
        // state change there too (the handshake of most flows).
        let undecided = !f.track_only;
        debug_assert!(!self.outs.parse && !f.data.detected());
        debug_assert!(!undecided || !f.data.decided());
        if undecided && (v.has_payload || f.tcp.has_queued()) {
            return false;
        }
        let outs = &mut self.outs;
        tally.pkts += 1;
        tally.bytes += caplen as u64;
        tally.tcp += v.tcp.is_some() as u64;
        // a flow exists, so an earlier packet set `first_ts`
        tally.last_ts = tally.last_ts.max(ts_ns);
        let class_may_change = on_tracked(
            &mut outs.stats,
            f,
            lk.dir,
            caplen as u64,
            v.tcp,
            v.has_payload,
            !undecided,
        );
        self.table.touch_hinted(lk.idx, class_may_change);
        true
    }
}
