//! Exact order statistics for `gc_pause_stats` and `gc_run_summary`: nearest-rank percentiles
//! (`sorted[ceil(q·n) − 1]`, the inverse empirical CDF — polars `equiprobable`, DuckDB
//! `quantile_disc`, Spark `percentile_disc`) and integer means rounded to the nearest ns.
//!
//! Quantiles are given in per-mille so `ceil(q·n)` is integer arithmetic: no float error can
//! move q = 0.9, n = 10 off index 8.

/// Per-mille quantiles reported by `gc_pause_stats`: p50, p90, p95, p99, p99.9.
pub const QUANTILES_PERMILLE: [u32; 5] = [500, 900, 950, 990, 999];

/// Nearest-rank quantile of ascending `sorted` at `permille`/1000: `sorted[ceil(q·n) − 1]`
/// (index clamped to 0 for q = 0). `None` for an empty slice.
pub fn nearest_rank(sorted: &[i64], permille: u32) -> Option<i64> {
    debug_assert!(permille <= 1000, "quantile above 1");
    debug_assert!(sorted.windows(2).all(|w| w[0] <= w[1]), "input must be sorted");
    let n = sorted.len() as u128;
    if n == 0 {
        return None;
    }
    let rank = (u128::from(permille) * n).div_ceil(1000); // ceil(q·n), 1-based
    let index = rank.saturating_sub(1).min(n - 1);
    Some(sorted[index as usize])
}

/// `num / den` rounded to the nearest integer, halves away from zero. `den` must be > 0.
pub fn round_div(num: i128, den: i128) -> i64 {
    assert!(den > 0, "round_div by {den}");
    let q = if num >= 0 { (2 * num + den) / (2 * den) } else { -((-2 * num + den) / (2 * den)) };
    q as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_matches_inverse_cdf_on_four_values() {
        // The reference notes' check: [10,20,30,40] at q = .25/.5/.6/.9 gives 10/20/30/40.
        let v = [10, 20, 30, 40];
        assert_eq!(nearest_rank(&v, 250), Some(10));
        assert_eq!(nearest_rank(&v, 500), Some(20));
        assert_eq!(nearest_rank(&v, 600), Some(30));
        assert_eq!(nearest_rank(&v, 900), Some(40));
        assert_eq!(nearest_rank(&v, 1000), Some(40));
        assert_eq!(nearest_rank(&v, 0), Some(10));
    }

    #[test]
    fn nearest_rank_has_no_float_error() {
        // q·n = 9 exactly: index 8, where a float ceil(0.9 * 10.0) - 1 could land on 9.
        let v: Vec<i64> = (1..=10).collect();
        assert_eq!(nearest_rank(&v, 900), Some(9));
        assert_eq!(nearest_rank(&v, 500), Some(5));
        assert_eq!(nearest_rank(&v, 950), Some(10));
        // n = 1000: p99.9 is the 999th value, p99 the 990th.
        let v: Vec<i64> = (1..=1000).collect();
        assert_eq!(nearest_rank(&v, 999), Some(999));
        assert_eq!(nearest_rank(&v, 990), Some(990));
        // n = 27 (the g1 oracle): p50 is rank 14, p99 rank 27.
        let v: Vec<i64> = (1..=27).collect();
        assert_eq!(nearest_rank(&v, 500), Some(14));
        assert_eq!(nearest_rank(&v, 990), Some(27));
        assert_eq!(nearest_rank(&v, 900), Some(25));
    }

    #[test]
    fn nearest_rank_edge_cases() {
        assert_eq!(nearest_rank(&[], 500), None);
        assert_eq!(nearest_rank(&[7], 0), Some(7));
        assert_eq!(nearest_rank(&[7], 999), Some(7));
        assert_eq!(nearest_rank(&[1, 2], 500), Some(1));
        assert_eq!(nearest_rank(&[1, 2], 501), Some(2));
    }

    #[test]
    fn polars_equiprobable_is_nearest_rank() {
        use polars::prelude::{ChunkQuantile, Int64Chunked, QuantileMethod};
        for n in 1..=400i64 {
            let values: Vec<i64> = (0..n).map(|i| (i * 7919) % 1009).collect();
            let mut sorted = values.clone();
            sorted.sort_unstable();
            let ca = Int64Chunked::from_vec("d".into(), values);
            for pm in QUANTILES_PERMILLE {
                let q = f64::from(pm) / 1000.0;
                let polars = ca.quantile(q, QuantileMethod::Equiprobable).unwrap().map(|x| x as i64);
                assert_eq!(polars, nearest_rank(&sorted, pm), "n={n} q={q}");
            }
        }
    }

    #[test]
    fn round_div_rounds_halves_away_from_zero() {
        assert_eq!(round_div(7, 2), 4);
        assert_eq!(round_div(5, 3), 2);
        assert_eq!(round_div(4, 3), 1);
        assert_eq!(round_div(-7, 2), -4);
        assert_eq!(round_div(0, 5), 0);
        assert_eq!(round_div(i128::from(i64::MAX) * 3, 3), i64::MAX);
    }
}
