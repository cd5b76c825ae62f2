#!/usr/bin/env python3
"""Cross-check tracefold's `gc_pause_stats` against two independent engines.

Recomputes, from the dataset's `gc_pauses` Parquet files, per run x collector: count, total_ns,
p50/p90/p99 (nearest-rank) and max of `duration_ns`, once with Python polars and once with DuckDB,
and compares both with the `gc_pause_stats` rows whose `pause_kind` and `cause` are null.
Every value must be exactly equal. Exit status 0 and a short table on success; 1 and a diff on
any mismatch; 2 on a usage or dataset error.

Nearest-rank percentile = sorted[ceil(q*n) - 1]: polars `quantile(q, interpolation="equiprobable")`,
DuckDB `quantile_disc(x, q)` (polars' default "nearest" is a different definition).

Usage: crosscheck.py [DATASET]   (default: $TRACEFOLD_DATASET)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import duckdb
import polars as pl

QUANTILES = {"p50_ns": 0.5, "p90_ns": 0.9, "p99_ns": 0.99}
COLUMNS = ["count", "total_ns", *QUANTILES, "max_ns"]
KEY = ["run", "collector"]


def scan(dataset: Path, table: str) -> pl.LazyFrame:
    return pl.scan_parquet(
        f"{dataset}/{table}/**/*.parquet",
        hive_partitioning=True,
        hive_schema={"run": pl.String},
    )


def with_polars(dataset: Path) -> dict[tuple, dict]:
    d = pl.col("duration_ns")
    # Quantiles come back as Float64; durations are far below 2**53 ns (104 days), so the cast
    # back to Int64 is exact.
    df = (
        scan(dataset, "gc_pauses")
        .group_by(KEY)
        .agg(
            pl.len().cast(pl.Int64).alias("count"),
            d.sum().cast(pl.Int64).alias("total_ns"),
            *[d.quantile(q, interpolation="equiprobable").cast(pl.Int64).alias(c) for c, q in QUANTILES.items()],
            d.max().cast(pl.Int64).alias("max_ns"),
        )
        .collect()
    )
    return {(r["run"], r["collector"]): {c: r[c] for c in COLUMNS} for r in df.iter_rows(named=True)}


def with_duckdb(dataset: Path) -> dict[tuple, dict]:
    con = duckdb.connect()
    glob = f"{dataset}/gc_pauses/**/*.parquet".replace("'", "''")
    quantiles = ", ".join(f"quantile_disc(duration_ns, {q}) AS {c}" for c, q in QUANTILES.items())
    sql = f"""
        SELECT run, collector, count(*) AS count, sum(duration_ns) AS total_ns, {quantiles},
               max(duration_ns) AS max_ns
        FROM read_parquet('{glob}', hive_partitioning = true, hive_types = {{'run': VARCHAR}})
        GROUP BY run, collector
    """
    cur = con.execute(sql)
    names = [c[0] for c in cur.description]
    out = {}
    for row in cur.fetchall():
        r = dict(zip(names, row))
        out[(r["run"], r["collector"])] = {c: int(r[c]) for c in COLUMNS}
    return out


def from_dataset(dataset: Path) -> dict[tuple, dict]:
    df = (
        scan(dataset, "gc_pause_stats")
        .filter(pl.col("pause_kind").is_null() & pl.col("cause").is_null())
        .select(*KEY, *COLUMNS)
        .collect()
    )
    out = {}
    for r in df.iter_rows(named=True):
        key = (r["run"], r["collector"])
        if key in out:
            raise SystemExit(f"gc_pause_stats has two per-collector rows for run={key[0]} collector={key[1]}")
        out[key] = {c: r[c] for c in COLUMNS}
    return out


def diff(name: str, expected: dict, got: dict) -> list[str]:
    problems = []
    for key in sorted(set(expected) | set(got)):
        run, coll = key
        if key not in got:
            problems.append(f"{name}: run={run} collector={coll}: in gc_pause_stats, no pauses found")
            continue
        if key not in expected:
            problems.append(f"{name}: run={run} collector={coll}: pauses found, no gc_pause_stats row")
            continue
        for c in COLUMNS:
            if expected[key][c] != got[key][c]:
                problems.append(
                    f"{name}: run={run} collector={coll} {c}: gc_pause_stats={expected[key][c]} {name}={got[key][c]}"
                    f" (diff {got[key][c] - expected[key][c]:+d})"
                )
    return problems


def main(argv: list[str]) -> int:
    arg = argv[1] if len(argv) > 1 else os.environ.get("TRACEFOLD_DATASET")
    if not arg:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    dataset = Path(arg)
    for table in ("gc_pauses", "gc_pause_stats"):
        if not any((dataset / table).glob("run=*/*.parquet")):
            print(f"crosscheck: {dataset}/{table}: no Parquet files (ingest and analyze first)", file=sys.stderr)
            return 2
    expected = from_dataset(dataset)
    engines = {"polars": with_polars(dataset), "duckdb": with_duckdb(dataset)}
    problems = [p for name, got in engines.items() for p in diff(name, expected, got)]
    if problems:
        print(f"crosscheck FAILED: {len(problems)} mismatches against gc_pause_stats in {dataset}", file=sys.stderr)
        for p in problems:
            print(f"  {p}", file=sys.stderr)
        return 1
    header = ["run", "collector", *COLUMNS]
    rows = [[run, coll, *(str(v[c]) for c in COLUMNS)] for (run, coll), v in sorted(expected.items())]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print(f"crosscheck OK: polars {pl.__version__} and DuckDB {duckdb.__version__} agree exactly with gc_pause_stats")
    for r in [header, *rows]:
        print("  ".join(v.ljust(w) if i < 2 else v.rjust(w) for i, (v, w) in enumerate(zip(r, widths))).rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
