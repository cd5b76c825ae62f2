//! `gc_mmu` (analysis): minimum mutator utilisation curve per run, for the report's plot: windows
//! 1, 2, 5, 10, 20, 50, 100, 200, 500 ms, 1, 2, 5, 10 s, each no longer than the run's longest
//! source span; each value is the minimum over the run's sources (clocks are not comparable).
crate::table! {
    /// MMU at one window size.
    name = "gc_mmu", version = 1;
    pub struct GcMmuRow {
        /// Window length, ns.
        pub window_ns: i64,
        /// Minimum over all window positions of the share of the window not paused (0..1).
        pub mmu: f64,
    }
}
/// Table name.
pub const NAME: &str = "gc_mmu";
