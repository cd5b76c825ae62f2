//! `perf_stacks`: deduplicated call stacks, one row per stack: its frame ids, **leaf first**
//! (`frame_ids[0]`, 0-based, is the sampled frame, the first callchain line perf prints; the
//! last is the outermost caller). Stack ids are per `source`; stack 0 is the empty stack and
//! has no row. (Schema version 1 had one row per frame position; a list is the same facts in a
//! sixteenth of the rows, and is written and read several times faster.)
//!
//! Rebuilding a folded stack (`comm;root;...;leaf count`, root first) in DuckDB:
//!
//! ```sql
//! WITH pos AS (
//!   SELECT source, stack_id, unnest(frame_ids) AS frame_id,
//!          generate_subscripts(frame_ids, 1) AS position          -- 1 = leaf
//!   FROM perf_stacks),
//! st AS (
//!   SELECT pos.source, pos.stack_id,
//!          string_agg(f.function, ';' ORDER BY pos.position DESC) AS frames
//!   FROM pos JOIN perf_frames f USING (source, frame_id)
//!   GROUP BY pos.source, pos.stack_id)
//! SELECT replace(p.comm, ' ', '_') || coalesce(';' || st.frames, '') AS folded,
//!        sum(p.period) AS weight
//! FROM perf_samples p LEFT JOIN st USING (source, stack_id)
//! WHERE p.event = 'cpu-clock'
//! GROUP BY folded ORDER BY folded;
//! ```
//!
//! In polars: `stacks.with_columns(pl.int_ranges(pl.col("frame_ids").list.len()).alias("position"))
//! .explode(["frame_ids", "position"]).rename({"frame_ids": "frame_id"})
//! .join(frames, on=["source","frame_id"]).sort("position", descending=True)
//! .group_by(["source","stack_id"], maintain_order=True).agg(pl.col("function").str.join(";"))`,
//! then join `perf_samples` on `["source","stack_id"]` (left join: stack 0 has no row), prefix
//! the comm and `group_by("folded").agg(pl.col("period").sum())`.
//!
//! (inferno's own cleanups — argument lists cut, `_[k]`/`_[j]`/`_[i]` annotations — are applied
//! by `tracefold_ingest::perf_script::folded`, not stored.)
crate::table! {
    /// A deduplicated stack.
    name = "perf_stacks", version = 2, delta = [stack_id, frame_ids], no_stats = [source, frame_ids];
    pub struct PerfStackRow {
        /// Source path as in `runs.source` (stack ids are per source).
        pub source: String,
        /// Stack id (1-based; 0 = empty stack, which has no row).
        pub stack_id: i64,
        /// Frames of the stack in `perf_frames` (same `source`), leaf first, outermost caller
        /// last; never empty. Its length is the stack's depth.
        pub frame_ids: Vec<i64>,
    }
}
/// Table name.
pub const NAME: &str = "perf_stacks";
