//! Sightings: what matched, accumulated per indicator (and per value for
//! list entries), exported as a STIX 2.1 bundle.

use std::sync::Arc;

use serde_json::{json, Value};

use super::custom;
use super::observation::Observation;
use super::{stable_uuid4, synth_indicator_id, IntelSet, SightingAcc};
use super::{EXAMPLES_PER_SIGHTING, MAX_SIGHTINGS};
use crate::time::format_timestamp;
use crate::tlp;

impl IntelSet {
    pub(super) fn record_sighting(
        &mut self,
        mi: u32,
        key: String,
        matched: String,
        obs: &Observation<'_>,
    ) {
        let full = self.sightings.len() >= MAX_SIGHTINGS;
        let acc = match self.sightings.get_mut(&(mi, key.clone())) {
            Some(a) => a,
            None if full => {
                self.stats.sightings_dropped += 1;
                return;
            }
            None => self
                .sightings
                .entry((mi, key))
                .or_insert_with(|| SightingAcc {
                    first: obs.ts_ns,
                    last: obs.ts_ns,
                    meta: mi,
                    matched,
                    ..Default::default()
                }),
        };
        acc.count += 1;
        acc.first = acc.first.min(obs.ts_ns);
        acc.last = acc.last.max(obs.ts_ns);
        if acc.examples.len() < EXAMPLES_PER_SIGHTING {
            acc.examples
                .push((obs.ts_ns, obs.flow_id, Arc::new(obs.to_scos())));
        }
    }

    /// Number of distinct sightings accumulated.
    pub fn sighting_count(&self) -> usize {
        self.sightings.len()
    }

    /// Exports accumulated sightings as a STIX 2.1 bundle: the sensor's
    /// identity (created from `sensor_identity` as its name, unless it is
    /// already an `identity--…` id), indicators synthesised for plain-list
    /// entries, the marking definitions used, observed-data (up to
    /// [`EXAMPLES_PER_SIGHTING`] per sighting) with their cyber-observables,
    /// and one `sighting` per indicator (per value for list entries) with
    /// count, first_seen/last_seen, observed_data_refs and
    /// where_sighted_refs. Each sighting, its observed-data and the
    /// synthesised indicators carry the indicator's marking refs, so TLP
    /// follows the intelligence back to the hub.
    pub fn sightings_bundle(&self, sensor_identity: &str) -> Value {
        let now = now_ns();
        let now_s = format_timestamp(now);
        let mut objects: Vec<Value> = Vec::new();
        let mut seen_ids: hashbrown::HashSet<String, foldhash::fast::RandomState> =
            Default::default();
        let mut push = |objects: &mut Vec<Value>, o: Value| {
            if let Some(id) = o.get("id").and_then(Value::as_str) {
                if seen_ids.insert(id.to_string()) {
                    objects.push(o);
                }
            }
        };
        let identity_id = if crate::validate::check_identifier(sensor_identity, &["identity"])
            .is_ok()
        {
            sensor_identity.to_string()
        } else {
            let id = format!(
                "identity--{}",
                stable_uuid4(format!("reefwatch-sensor\n{sensor_identity}").as_bytes())
            );
            push(
                &mut objects,
                json!({"type": "identity", "spec_version": "2.1", "id": id, "created": "2020-01-01T00:00:00.000Z",
                       "modified": "2020-01-01T00:00:00.000Z", "name": sensor_identity, "identity_class": "system"}),
            );
            id
        };
        let mut accs: Vec<&SightingAcc> = self.sightings.values().collect();
        accs.sort_by(|a, b| (a.first, a.meta, &a.matched).cmp(&(b.first, b.meta, &b.matched)));
        for acc in accs {
            let Some(meta) = self.metas.get(acc.meta as usize) else {
                continue;
            };
            let indicator_id = match &meta.id {
                Some(id) => id.clone(),
                None => synth_indicator_id(&meta.source, &acc.matched),
            };
            let markings: Vec<Value> = meta
                .marking_refs
                .iter()
                .map(|m| Value::from(m.as_str()))
                .collect();
            for m in &meta.marking_refs {
                let def =
                    self.markings
                        .get(m)
                        .cloned()
                        .or_else(|| match tlp::level_of_marking(m) {
                            Some(l)
                                if tlp::ALL
                                    .iter()
                                    .any(|(i, _, v)| i == m && *v == tlp::TlpVersion::V1) =>
                            {
                                tlp::marking_definition_v1(l)
                            }
                            Some(l) => Some(tlp::marking_definition_v2(l)),
                            None => None,
                        });
                if let Some(d) = def {
                    push(&mut objects, d);
                }
            }
            let first = format_timestamp(i128::from(acc.first));
            let last = format_timestamp(i128::from(acc.last));
            if meta.id.is_none() {
                let mut ind = json!({"type": "indicator", "spec_version": "2.1", "id": indicator_id,
                    "created": first, "modified": first, "created_by_ref": identity_id,
                    "name": meta.name.clone().unwrap_or_else(|| "reefwatch IOC list entry".into()),
                    "indicator_types": if meta.labels.is_empty() { json!(["malicious-activity"]) } else { json!(meta.labels) },
                    "pattern": acc.matched, "pattern_type": "stix", "valid_from": first,
                    "description": format!("IOC list entry from {}", meta.source)});
                if !markings.is_empty() {
                    ind["object_marking_refs"] = Value::Array(markings.clone());
                }
                push(&mut objects, ind);
            }
            let mut od_refs = Vec::new();
            for (k, (ts, flow, scos)) in acc.examples.iter().enumerate() {
                let od_id = format!(
                    "observed-data--{}",
                    stable_uuid4(
                        format!("{identity_id}\n{indicator_id}\n{}\n{ts}\n{k}", acc.matched)
                            .as_bytes()
                    )
                );
                let o = Observation {
                    ts_ns: *ts,
                    flow_id: *flow,
                    ..Default::default()
                };
                let mut od = o.observed_data(&od_id, scos, &now_s);
                od["created_by_ref"] = identity_id.clone().into();
                if !markings.is_empty() {
                    od["object_marking_refs"] = Value::Array(markings.clone());
                }
                if od["object_refs"].as_array().is_some_and(|a| a.is_empty()) {
                    continue;
                }
                for sco in scos.iter() {
                    let ty = sco.get("type").and_then(Value::as_str).unwrap_or("");
                    for def in custom::definitions(ty) {
                        push(&mut objects, def);
                    }
                    push(&mut objects, sco.clone());
                }
                od_refs.push(Value::from(od_id));
                push(&mut objects, od);
            }
            let sid = format!(
                "sighting--{}",
                stable_uuid4(format!("{identity_id}\n{indicator_id}\n{}", acc.matched).as_bytes())
            );
            let created = format_timestamp(i128::from(acc.first).min(now));
            let mut s = json!({"type": "sighting", "spec_version": "2.1", "id": sid,
                "created": created, "modified": format_timestamp(now.max(i128::from(acc.first))),
                "created_by_ref": identity_id,
                "first_seen": first, "last_seen": last, "count": acc.count.min(999_999_999),
                "sighting_of_ref": indicator_id, "where_sighted_refs": [identity_id]});
            if !od_refs.is_empty() {
                s["observed_data_refs"] = Value::Array(od_refs);
            }
            if !markings.is_empty() {
                s["object_marking_refs"] = Value::Array(markings);
            }
            push(&mut objects, s);
        }
        let bid = format!(
            "bundle--{}",
            stable_uuid4(format!("{identity_id}\n{now}").as_bytes())
        );
        json!({"type": "bundle", "id": bid, "objects": objects})
    }
}

fn now_ns() -> i128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i128)
        .unwrap_or(0)
}
