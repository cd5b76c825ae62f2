//! Minimum mutator utilisation (MMU), exactly, over the pause intervals of one timeline.
//!
//! Input: pause intervals `[start, end)` in ns of one timeline (one source on one clock) and the
//! timeline's observed span. MMU(w) = min over window positions t ∈ [span start, span end − w]
//! of (w − paused time in [t, t + w]) / w. The paused time is piecewise linear in t and can only
//! peak where a window starts at a pause start or ends at a pause end, so those O(n) positions
//! (plus both ends of the span) are evaluated with prefix sums and a binary search:
//! O(n log n). Timelines of different sources are not comparable, so a run's MMU is the minimum
//! over its timelines. Output: `gc_run_summary.mmu_*` and the `gc_mmu` curve.

/// Window sizes of the `gc_mmu` curve, ns: 1, 2, 5, 10, 20, 50, 100, 200, 500 ms, 1, 2, 5, 10 s.
pub const CURVE_WINDOWS_NS: [i64; 13] = [
    1_000_000,
    2_000_000,
    5_000_000,
    10_000_000,
    20_000_000,
    50_000_000,
    100_000_000,
    200_000_000,
    500_000_000,
    1_000_000_000,
    2_000_000_000,
    5_000_000_000,
    10_000_000_000,
];

/// Pause intervals of one timeline, sorted with overlaps merged, clipped to its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    start: i64,
    end: i64,
    intervals: Vec<(i64, i64)>,
    /// `cum[k]` = paused time of the first `k` intervals.
    cum: Vec<i64>,
}

impl Timeline {
    /// A timeline whose span runs from the first pause start to the last pause end; `None`
    /// without intervals. Intervals with `end < start` are ignored.
    pub fn from_pauses(intervals: impl IntoIterator<Item = (i64, i64)>) -> Option<Self> {
        let v: Vec<(i64, i64)> = intervals.into_iter().filter(|(s, e)| e >= s).collect();
        let start = v.iter().map(|p| p.0).min()?;
        let end = v.iter().map(|p| p.1).max()?;
        Some(Self::with_span(v, start, end))
    }

    /// A timeline with an explicit span `[start, end]`; intervals are clipped to it.
    pub fn with_span(intervals: impl IntoIterator<Item = (i64, i64)>, start: i64, end: i64) -> Self {
        let mut v: Vec<(i64, i64)> =
            intervals.into_iter().map(|(s, e)| (s.max(start), e.min(end))).filter(|(s, e)| e > s).collect();
        v.sort_unstable();
        let mut merged: Vec<(i64, i64)> = Vec::with_capacity(v.len());
        for (s, e) in v {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        let mut cum = Vec::with_capacity(merged.len() + 1);
        cum.push(0);
        for (s, e) in &merged {
            cum.push(cum.last().copied().unwrap_or(0) + (e - s));
        }
        Self { start, end: end.max(start), intervals: merged, cum }
    }

    /// Length of the span, ns.
    pub fn span(&self) -> i64 {
        self.end - self.start
    }

    /// Paused time in `(−∞, x]`.
    fn paused_until(&self, x: i64) -> i64 {
        let k = self.intervals.partition_point(|&(s, _)| s < x);
        match k {
            0 => 0,
            _ => self.cum[k] - (self.intervals[k - 1].1 - x).max(0),
        }
    }

    /// Paused time inside `[a, b]`.
    pub fn paused_in(&self, a: i64, b: i64) -> i64 {
        self.paused_until(b) - self.paused_until(a)
    }

    /// Largest paused time of any window of length `window` inside the span; `None` when the
    /// span is shorter than the window (or the window is not positive).
    pub fn max_paused(&self, window: i64) -> Option<i64> {
        if window <= 0 || self.span() < window {
            return None;
        }
        let (lo, hi) = (self.start, self.end - window);
        let starts = self.intervals.iter().map(|&(s, _)| s);
        let ends = self.intervals.iter().map(|&(_, e)| e - window);
        let worst = [lo, hi]
            .into_iter()
            .chain(starts)
            .chain(ends)
            .map(|t| t.clamp(lo, hi))
            .map(|t| self.paused_in(t, t + window))
            .max()
            .unwrap_or(0);
        Some(worst)
    }

    /// MMU at `window` ns (0..1); `None` when the span is shorter than the window.
    pub fn mmu(&self, window: i64) -> Option<f64> {
        self.max_paused(window).map(|p| (window - p) as f64 / window as f64)
    }
}

/// MMU of pause intervals `[s, e)` inside the span `[span_start, span_end]` at `window` ns.
pub fn mmu(pauses: &[(i64, i64)], span_start: i64, span_end: i64, window: i64) -> Option<f64> {
    Timeline::with_span(pauses.iter().copied(), span_start, span_end).mmu(window)
}

/// MMU of a run: minimum over its timelines that are at least `window` long; `None` if none is.
pub fn mmu_min(timelines: &[Timeline], window: i64) -> Option<f64> {
    timelines.iter().filter_map(|t| t.mmu(window)).reduce(f64::min)
}

/// The MMU curve: `(window_ns, mmu)` for each of [`CURVE_WINDOWS_NS`] no longer than the
/// longest timeline.
pub fn mmu_curve(timelines: &[Timeline]) -> Vec<(i64, f64)> {
    CURVE_WINDOWS_NS.iter().filter_map(|&w| mmu_min(timelines, w).map(|m| (w, m))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: i64 = 1_000_000;

    /// Brute force over every integer window start (for small integer spans).
    fn brute(pauses: &[(i64, i64)], start: i64, end: i64, w: i64) -> Option<f64> {
        if end - start < w {
            return None;
        }
        let paused =
            |t: i64| -> i64 { (t..t + w).filter(|&x| pauses.iter().any(|&(s, e)| x >= s && x < e)).count() as i64 };
        let worst = (start..=end - w).map(paused).max()?;
        Some((w - worst) as f64 / w as f64)
    }

    #[test]
    fn two_pauses_in_100ms() {
        // Pauses [0,10) and [50,60) ms in a 100 ms span.
        let p = [(0, 10 * MS), (50 * MS, 60 * MS)];
        assert_eq!(mmu(&p, 0, 100 * MS, 10 * MS), Some(0.0));
        assert_eq!(mmu(&p, 0, 100 * MS, 20 * MS), Some(0.5));
        assert_eq!(mmu(&p, 0, 100 * MS, 50 * MS), Some(0.8));
        assert_eq!(mmu(&p, 0, 100 * MS, 60 * MS), Some(40.0 / 60.0));
        assert_eq!(mmu(&p, 0, 100 * MS, 100 * MS), Some(0.8));
        assert_eq!(mmu(&p, 0, 100 * MS, 101 * MS), None);
        assert_eq!(mmu(&p, 0, 100 * MS, 5 * MS), Some(0.0));
    }

    #[test]
    fn span_defaults_to_first_start_last_end() {
        let t = Timeline::from_pauses([(50 * MS, 60 * MS), (0, 10 * MS)]).unwrap();
        assert_eq!(t.span(), 60 * MS);
        assert_eq!(t.mmu(60 * MS), Some(40.0 / 60.0));
        assert_eq!(t.mmu(100 * MS), None);
        // Window 30 ms: worst is [0,30) or [30,60): 10 ms paused.
        assert_eq!(t.mmu(30 * MS), Some(20.0 / 30.0));
        assert!(Timeline::from_pauses([]).is_none());
    }

    #[test]
    fn overlapping_pauses_are_merged() {
        let p = [(0, 10), (5, 15), (15, 20)];
        assert_eq!(mmu(&p, 0, 40, 20), Some(0.0));
        assert_eq!(mmu(&p, 0, 40, 40), Some(0.5));
    }

    #[test]
    fn window_straddling_two_pauses() {
        // Pauses of 3 at [0,3), [10,13), [20,23); window 13 covers two whole pauses: [0,13).
        let p = [(0, 3), (10, 13), (20, 23)];
        assert_eq!(mmu(&p, 0, 30, 13), Some(7.0 / 13.0));
        // Window 8 can cover at most one pause plus nothing: [10,18) → 3 paused... or [5,13).
        assert_eq!(mmu(&p, 0, 30, 8), Some(5.0 / 8.0));
    }

    #[test]
    fn agrees_with_brute_force() {
        // Deterministic pseudo-random pause sets (LCG), small integer time.
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |m: u64| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % m
        };
        for _ in 0..200 {
            let n = next(6) as usize;
            let mut p = Vec::new();
            let mut t = next(5) as i64;
            for _ in 0..n {
                let len = next(6) as i64 + 1;
                p.push((t, t + len));
                t += len + next(8) as i64;
            }
            let end = t + next(5) as i64;
            for w in 1..=end.max(1) {
                assert_eq!(mmu(&p, 0, end, w), brute(&p, 0, end, w), "pauses {p:?} end {end} window {w}");
            }
        }
    }

    #[test]
    fn run_mmu_is_the_minimum_over_timelines() {
        let a = Timeline::with_span([(0, 10 * MS)], 0, 100 * MS); // MMU(100ms) = 0.9
        let b = Timeline::with_span([(0, 30 * MS)], 0, 200 * MS); // MMU(100ms) = 0.7
        let short = Timeline::with_span([(0, MS)], 0, 5 * MS);
        let tl = [a, b, short];
        assert_eq!(mmu_min(&tl, 100 * MS), Some(0.7));
        assert_eq!(mmu_min(&tl, 200 * MS), Some(0.85));
        assert_eq!(mmu_min(&tl, 500 * MS), None);
        let curve = mmu_curve(&tl);
        let windows: Vec<i64> = curve.iter().map(|c| c.0).collect();
        assert_eq!(windows, [1, 2, 5, 10, 20, 50, 100, 200].map(|m| m * MS));
        assert_eq!(curve[0], (MS, 0.0));
    }
}
