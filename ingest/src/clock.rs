//! Clock observations: pairs of (clock time, wall time) seen in a source, summarised into the
//! run's `clock_offsets` rows (`wall = t + offset`, median of the observed offsets).

use std::collections::BTreeMap;

use model::tables::clock_offsets::ClockOffsetRow;

/// At most this many offsets are kept per clock (evenly thinned beyond), bounding memory.
const MAX_KEPT: usize = 4096;

#[derive(Debug, Clone, Default)]
struct Obs {
    offsets: Vec<i64>,
    seen: i64,
    stride: i64,
    min: i64,
    max: i64,
    method: String,
    evidence: String,
}

/// Offsets observed per clock.
#[derive(Debug, Clone, Default)]
pub struct ClockObservations {
    by_clock: BTreeMap<String, Obs>,
}

impl ClockObservations {
    /// Records that `clock_ns` on `clock` was `wall_ns` on the wall clock.
    pub fn observe(
        &mut self,
        clock: &str,
        clock_ns: i64,
        wall_ns: i64,
        method: &str,
        evidence: impl FnOnce() -> String,
    ) {
        let offset = wall_ns - clock_ns;
        let o = match self.by_clock.get_mut(clock) {
            Some(o) => o,
            None => self.by_clock.entry(clock.to_string()).or_insert_with(|| Obs {
                stride: 1,
                min: offset,
                max: offset,
                method: method.to_string(),
                evidence: evidence(),
                ..Default::default()
            }),
        };
        o.min = o.min.min(offset);
        o.max = o.max.max(offset);
        if o.seen % o.stride == 0 {
            o.offsets.push(offset);
            if o.offsets.len() >= MAX_KEPT {
                o.offsets = o.offsets.iter().step_by(2).copied().collect();
                o.stride *= 2;
            }
        }
        o.seen += 1;
    }

    /// Merges observations of another source (same run).
    pub fn merge(&mut self, other: ClockObservations) {
        for (clock, o) in other.by_clock {
            match self.by_clock.get_mut(&clock) {
                None => {
                    self.by_clock.insert(clock, o);
                }
                Some(mine) => {
                    mine.min = mine.min.min(o.min);
                    mine.max = mine.max.max(o.max);
                    mine.seen += o.seen;
                    mine.offsets.extend(o.offsets);
                }
            }
        }
    }

    /// One row per clock: the median offset, the spread, the count.
    pub fn rows(&self) -> Vec<ClockOffsetRow> {
        self.by_clock
            .iter()
            .map(|(clock, o)| {
                let mut v = o.offsets.clone();
                v.sort_unstable();
                ClockOffsetRow {
                    clock: clock.clone(),
                    offset_ns: v[(v.len() - 1) / 2],
                    method: o.method.clone(),
                    observations: o.seen,
                    spread_ns: o.max - o.min,
                    evidence: o.evidence.clone(),
                }
            })
            .collect()
    }
}
