//! `perf_frames`: deduplicated frames (function, dso, address, inline flag), per source.
//! A Java perf-map frame `a->b->c` (inlined methods) becomes three frames, the later two with
//! `inlined` true; perf's own `--inline` lines (`addr func (inlined)`) are frames with `inlined`
//! true and no dso.
crate::table! {
    /// A frame.
    name = "perf_frames", version = 1, delta = [frame_id], no_stats = [source, function, dso, address, kind],
    no_dict = [address];
    pub struct PerfFrameRow {
        /// Source path as in `runs.source` (frame ids are per source).
        pub source: String,
        /// Frame id (1-based).
        pub frame_id: i64,
        /// Function (symbol) name as printed, without its `+0x` offset; `[unknown]` when perf could
        /// not resolve it; empty when perf printed no symbol at all.
        pub function: String,
        /// Module (dso) as printed inside the parentheses, e.g. `[kernel.kallsyms]`,
        /// `/usr/lib/go/bin/go`, `/tmp/perf-1234.map`, `[unknown]`; null when not printed.
        pub dso: Option<String>,
        /// Address (ip) as printed (perf prints dso-relative addresses for file-backed maps, else
        /// virtual), hexadecimal read as u64 and stored with the same bits in i64 (kernel addresses
        /// are negative); null when not printed.
        pub address: Option<i64>,
        /// `kernel` (dso `[...]` other than `[unknown]`, `vmlinux*`, `*.ko`), `jit` (`perf-N.map`,
        /// `jitted-*.so`), `user` (any other dso), `unknown` (dso `[unknown]` or not printed).
        pub kind: String,
        /// True for an inlined frame (perf `(inlined)`, or a later part of a Java `a->b`).
        pub inlined: bool,
    }
}
/// Table name.
pub const NAME: &str = "perf_frames";
