#!/usr/bin/env python3
"""Reads a tracefold dataset with Apache Spark (PySpark), unchanged, and cross-checks it.

1. Every table directory loads with `spark.read.parquet` (hive partition discovery gives the
   `run` column; partition type inference is off so run names stay strings), and Spark's row
   count equals the row count in the Parquet footers (read with pyarrow).
2. `gc_pause_stats` (rows with null pause_kind and cause) is recomputed from `gc_pauses` with
   Spark SQL — count, sum, nearest-rank p50/p90/p99 (`percentile_disc`), max — and every value
   must be equal.

Not part of CI (PySpark is a 450 MB download): run by hand, see notebooks/README.md.
Usage: spark_check.py DATASET     exit 0 = all equal, 1 = a mismatch, 2 = usage error
"""

from __future__ import annotations

import sys
from pathlib import Path

import pyarrow.parquet as pq
from pyspark.sql import SparkSession

COLUMNS = ["count", "total_ns", "p50_ns", "p90_ns", "p99_ns", "max_ns"]


def footer_rows(table_dir: Path) -> int:
    return sum(pq.ParquetFile(f).metadata.num_rows for f in table_dir.glob("run=*/*.parquet"))


def main() -> int:
    if len(sys.argv) != 2 or not Path(sys.argv[1]).is_dir():
        print(__doc__, file=sys.stderr)
        return 2
    dataset = Path(sys.argv[1]).resolve()
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("tracefold-spark-check")
        .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    bad = 0
    for table_dir in sorted(p for p in dataset.iterdir() if p.is_dir()):
        if not any(table_dir.glob("run=*/*.parquet")):
            continue
        df = spark.read.parquet(str(table_dir))
        n, expected = df.count(), footer_rows(table_dir)
        types = sorted({f.dataType.simpleString() for f in df.schema.fields})
        ok = n == expected
        bad += not ok
        print(f"{'ok ' if ok else 'BAD'} {table_dir.name:22} rows {n:>9} (footers {expected:>9})  types {','.join(types)}")
    spark.read.parquet(str(dataset / "gc_pauses")).createOrReplaceTempView("gc_pauses")
    spark.read.parquet(str(dataset / "gc_pause_stats")).createOrReplaceTempView("gc_pause_stats")
    mine = spark.sql(
        """
        SELECT run, collector, count(*) AS count, sum(duration_ns) AS total_ns,
               percentile_disc(0.5) WITHIN GROUP (ORDER BY duration_ns) AS p50_ns,
               percentile_disc(0.9) WITHIN GROUP (ORDER BY duration_ns) AS p90_ns,
               percentile_disc(0.99) WITHIN GROUP (ORDER BY duration_ns) AS p99_ns,
               max(duration_ns) AS max_ns
        FROM gc_pauses GROUP BY run, collector
        """
    ).collect()
    theirs = {
        (r["run"], r["collector"]): r
        for r in spark.sql(
            "SELECT * FROM gc_pause_stats WHERE pause_kind IS NULL AND cause IS NULL"
        ).collect()
    }
    for r in sorted(mine, key=lambda r: (r["run"], r["collector"])):
        t = theirs.get((r["run"], r["collector"]))
        diffs = [c for c in COLUMNS if t is None or int(r[c]) != int(t[c])]
        bad += bool(diffs)
        figures = " ".join(f"{c}={int(r[c])}" for c in COLUMNS)
        print(f"{'ok ' if not diffs else 'BAD'} gc_pause_stats {r['run']}/{r['collector']}: {figures}" + (f"  differs: {diffs}" if diffs else ""))
    spark.stop()
    print("spark check:", "all equal" if bad == 0 else f"{bad} mismatch(es)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
