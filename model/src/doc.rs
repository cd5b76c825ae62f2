//! Renders `DATASET.md` from the table declarations, so the documentation cannot drift from
//! the schema (a test compares the file with this output).

use arrow::datatypes::DataType;

const HEADER: &str = "# The tracefold dataset

Generated from `model/src/tables/` by `cargo test -p tracefold-model` (set `UPDATE_DATASET_MD=1` to rewrite it).

A dataset is a directory of Parquet tables, hive-partitioned by run:
`<dataset>/<table>/run=<name>/part-N.parquet`. Conventions, chosen so that Python polars, DuckDB and
Spark read the files unchanged:

- every time and duration is a plain signed INT64 of nanoseconds (`*_ns`), never the TIMESTAMP type;
  sizes are INT64 bytes (`*_bytes`); only signed integers;
- strings are plain UTF-8, dictionary-encoded by Parquet (no Arrow dictionary type), with
  dictionary pages of up to 8 MiB (Parquet's default of 1 MiB is too small for the function names
  of a large profile); times, line numbers and ids that grow through a file, marked (delta) below,
  are DELTA_BINARY_PACKED with no dictionary; values that seldom repeat (a frame's address), marked
  (no dictionary), are plain;
- ZSTD level 1 (level 3 made files some 5 % smaller and a large perf.data ingest some 7 % slower);
  row groups of 1Mi rows (128Ki in a table with a list column); writer properties set explicitly;
- min/max statistics for every column except, in the large perf tables, those whose values come
  in no order within a file (names, addresses, process ids) or repeat one value row after row
  (`source`), marked (no statistics) below: their ranges would prune nothing, and keeping them
  costs two comparisons per value;
- the run is the partition key only (string-typed: read with `hive_schema={\"run\": pl.String}` in
  polars, `hive_types={'run': VARCHAR}` in DuckDB), never a column inside the files;
- each file's key-value metadata holds `tracefold.schema_version`, `tracefold.producer`,
  `tracefold.table`, `tracefold.run` and `tracefold.source_format`;
- files are written under a temporary name and renamed; a run is staged under `.staging/` and
  swapped in per table, after a commit mark: should the process die between two of those renames,
  the next tracefold command on the dataset (ingest, analyze or report) finishes the swap first, so
  a run holds all of its old tables or all of its new ones. Swaps take an exclusive `flock` on
  the dataset's directory, one at a time; tracefold's readers (`analyze`, `report`) hold a shared
  one while they read, and `analyze` writes a run's analysis only if the run was not ingested again
  meanwhile. A reader of its own (polars, DuckDB) that takes no lock can see a run half swapped in
  the milliseconds of a swap, or after a crash until tracefold runs again on the dataset.

Timeline: an event keeps its source's own timestamp (`start_ns`, `end_ns`) and a `clock` column
naming that clock: `wall` (Unix epoch), `jvm_uptime@<log>`, `go_uptime@<file>`, `monotonic`
(CLOCK_MONOTONIC). `clock_offsets` gives, per clock of a run, the offset to wall time where a
source reveals it (a JVM log with both `time` and `uptime` decorators) or the user gave it
(`--clock-offset`). To put events of a run on one timeline:

```sql
SELECT p.*, p.start_ns + o.offset_ns AS wall_start_ns
FROM read_parquet('ds/gc_pauses/*/*.parquet', hive_partitioning = true) p
JOIN read_parquet('ds/clock_offsets/*/*.parquet', hive_partitioning = true) o USING (run, clock);
```

Percentiles in analysis tables are exact nearest-rank: `sorted[ceil(q·n) − 1]`, the same as polars
`quantile(q, interpolation=\"equiprobable\")`, DuckDB `quantile_disc` and Spark `percentile_disc`
(not polars' default `nearest`). `notebooks/crosscheck.py` recomputes them with polars and DuckDB.
";

fn type_name(t: &DataType) -> &'static str {
    match t {
        DataType::Int64 => "INT64",
        DataType::Float64 => "DOUBLE",
        DataType::Boolean => "BOOLEAN",
        DataType::Utf8 => "STRING",
        DataType::List(item) if item.data_type() == &DataType::Int64 => "LIST<INT64>",
        _ => "OTHER",
    }
}

/// The full text of `DATASET.md`.
pub fn render() -> String {
    let mut s = String::from(HEADER);
    for t in crate::tables::all() {
        let (name, version, by, desc) = (t.name, t.version, t.by, t.desc);
        s.push_str(&format!("\n## `{name}` (schema version {version}, written by `{by}`)\n\n{desc}.\n\n"));
        s.push_str("| column | type | null | meaning |\n|---|---|---|---|\n");
        for f in t.schema.fields() {
            let doc = f.metadata().get("doc").map(String::as_str).unwrap_or("");
            let marks: Vec<&str> = [(t.delta, "delta"), (t.no_dict, "no dictionary"), (t.no_stats, "no statistics")]
                .iter()
                .filter(|(columns, _)| columns.contains(&f.name().as_str()))
                .map(|&(_, mark)| mark)
                .collect();
            let marked = if marks.is_empty() { String::new() } else { format!(" ({})", marks.join(", ")) };
            s.push_str(&format!(
                "| `{}` | {}{marked} | {} | {} |\n",
                f.name(),
                type_name(f.data_type()),
                if f.is_nullable() { "yes" } else { "no" },
                doc.replace('|', "\\|")
            ));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn dataset_md_is_current() {
        let path = crate::package_dir(env!("CARGO_MANIFEST_DIR")).join("../DATASET.md");
        let want = super::render();
        if std::env::var_os("UPDATE_DATASET_MD").is_some() {
            std::fs::write(&path, &want).unwrap();
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(have == want, "DATASET.md is stale: run `UPDATE_DATASET_MD=1 cargo test --release -p tracefold-model`");
    }
}
