//! `perf_stacks`: deduplicated call stacks, one row per (stack, position), **leaf first**:
//! `position` 0 is the sampled frame (the first callchain line perf prints), `depth - 1` the
//! outermost caller. Stack ids are per `source`; stack 0 is the empty stack and has no rows.
//!
//! Rebuilding a folded stack (`comm;root;...;leaf count`, root first) in DuckDB:
//!
//! ```sql
//! WITH st AS (
//!   SELECT s.source, s.stack_id,
//!          string_agg(f.function, ';' ORDER BY s.position DESC) AS frames
//!   FROM perf_stacks s JOIN perf_frames f USING (source, frame_id)
//!   GROUP BY s.source, s.stack_id)
//! SELECT replace(p.comm, ' ', '_') || coalesce(';' || st.frames, '') AS folded,
//!        sum(p.period) AS weight
//! FROM perf_samples p LEFT JOIN st USING (source, stack_id)
//! WHERE p.event = 'cpu-clock'
//! GROUP BY folded ORDER BY folded;
//! ```
//!
//! In polars: `stacks.join(frames, on=["source","frame_id"]).sort("position", descending=True)
//! .group_by(["source","stack_id"], maintain_order=True).agg(pl.col("function").str.join(";"))`,
//! then join `perf_samples` on `["source","stack_id"]` (left join: stack 0 has no rows), prefix
//! the comm and `group_by("folded").agg(pl.col("period").sum())`.
//!
//! (inferno's own cleanups — argument lists cut, `_[k]`/`_[j]`/`_[i]` annotations — are applied
//! by `tracefold_ingest::perf_script::folded`, not stored.)
crate::table! {
    /// One frame position of a deduplicated stack.
    name = "perf_stacks", version = 1, delta = [stack_id, position, frame_id];
    pub struct PerfStackRow {
        /// Source path as in `runs.source` (stack ids are per source).
        pub source: String,
        /// Stack id (1-based; 0 = empty stack, which has no rows).
        pub stack_id: i64,
        /// Number of frames in this stack (same on every row of the stack).
        pub depth: i64,
        /// Position in the stack, 0 = leaf (sampled frame), `depth - 1` = root (outermost caller).
        pub position: i64,
        /// Frame at this position in `perf_frames` (same `source`).
        pub frame_id: i64,
    }
}
/// Table name.
pub const NAME: &str = "perf_stacks";
