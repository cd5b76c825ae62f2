# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
# ---

# %% [markdown]
# # GC pauses of a tracefold dataset
#
# Reads the dataset at `$TRACEFOLD_DATASET` with polars and draws the figures of
# `tracefold report`: pause duration over time per run (coloured by pause kind), the CDF of
# pause durations, and p50/p99 per run and collector. Figures go to `$TRACEFOLD_NOTEBOOK_OUT`
# (default `out/notebook`). The last cell checks that the nearest-rank p99 computed here equals
# `gc_pause_stats.p99_ns` of the dataset.
#
# Percentiles are nearest-rank, `sorted[ceil(q·n) − 1]`: polars
# `quantile(q, interpolation="equiprobable")` (polars' default `"nearest"` is a different rule).

# %%
import math
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import polars as pl  # noqa: E402

DATASET = Path(os.environ["TRACEFOLD_DATASET"])
OUT = Path(os.environ.get("TRACEFOLD_NOTEBOOK_OUT", "out/notebook"))
OUT.mkdir(parents=True, exist_ok=True)
LOG_SPAN = 100.0  # an axis of pause times goes log when max/min exceeds this (as in the report)


def has_table(table: str) -> bool:
    return any((DATASET / table).glob("run=*/*.parquet"))


def scan(table: str) -> pl.LazyFrame:
    return pl.scan_parquet(
        f"{DATASET}/{table}/**/*.parquet",
        hive_partitioning=True,
        hive_schema={"run": pl.String},
    )


def nearest_rank(sorted_values: list[int], q: float) -> int:
    return sorted_values[max(1, math.ceil(q * len(sorted_values))) - 1]


# Runs in ingestion order (the report's default baseline is the first).
if has_table("runs"):
    RUNS = (
        scan("runs").group_by("run").agg(pl.col("ingested_at_ns").min()).sort("ingested_at_ns", "run")
        .collect()["run"].to_list()
    )
else:
    RUNS = []
# Runs with pauses but no `runs` rows (should not happen) go last, by name.
RUNS += sorted(set(scan("gc_pauses").select("run").unique().collect()["run"].to_list()) - set(RUNS))
print("dataset:", DATASET)
print("runs:", RUNS)

# %% [markdown]
# ## Pauses, on a time axis per run
#
# x is seconds since the run's first pause. When a run's pauses are on several clocks that all
# have a known offset to wall time (`clock_offsets`), they are aligned through wall time;
# otherwise each clock counts from its own first pause. Pauses without a timestamp are left out
# of this figure (they are in the CDF).

# %%
pauses = (
    scan("gc_pauses")
    .with_columns(
        start=pl.coalesce("start_ns", pl.col("end_ns") - pl.col("duration_ns")),
        ms=pl.col("duration_ns") / 1e6,
    )
    .collect()
)
if has_table("clock_offsets"):
    offsets = scan("clock_offsets").select("run", "clock", "offset_ns").collect()
else:
    offsets = pl.DataFrame(schema={"run": pl.String, "clock": pl.String, "offset_ns": pl.Int64})

timed = pauses.filter(pl.col("start").is_not_null()).join(offsets, on=["run", "clock"], how="left")
aligned = timed.group_by("run").agg(
    ((pl.col("clock").n_unique() > 1) & pl.col("offset_ns").is_not_null().all()).alias("aligned")
)
timed = (
    timed.join(aligned, on="run")
    .with_columns(
        t=pl.when("aligned").then(pl.col("start") + pl.col("offset_ns")).otherwise("start"),
        axis=pl.when("aligned").then(pl.lit("")).otherwise("clock"),
    )
    .with_columns(x_s=(pl.col("t") - pl.col("t").min().over("run", "axis")) / 1e9)
)

KINDS = sorted(pauses["pause_kind"].unique().to_list())
COLORS = {k: plt.get_cmap("tab10")(i % 10) for i, k in enumerate(KINDS)}

fig, axes = plt.subplots(len(RUNS), 1, figsize=(11, 3.4 * len(RUNS)), squeeze=False)
for ax, run in zip(axes[:, 0], RUNS):
    df = timed.filter(pl.col("run") == run)
    for kind in KINDS:
        part = df.filter(pl.col("pause_kind") == kind)
        if part.height:
            ax.scatter(part["x_s"], part["ms"], s=6, alpha=0.7, color=COLORS[kind], label=f"{kind} ({part.height})")
    positive = df.filter(pl.col("ms") > 0)["ms"]
    if positive.len() and positive.max() / positive.min() > LOG_SPAN:
        ax.set_yscale("log")
    ax.set_title(f"{run}: pause duration over time")
    ax.set_xlabel("seconds since the first pause")
    ax.set_ylabel("pause (ms)")
    ax.grid(alpha=0.3)
    if df.height:
        ax.legend(loc="upper left", fontsize="small")
fig.tight_layout()
fig.savefig(OUT / "pauses_over_time.png", dpi=110)

# %% [markdown]
# ## CDF of pause durations

# %%
fig, ax = plt.subplots(figsize=(9, 5))
for i, run in enumerate(RUNS):
    d = pauses.filter(pl.col("run") == run)["ms"].sort()
    if d.len() == 0:
        continue
    n = d.len()
    floor = d.filter(d > 0).min() or 1e-3
    xs = d.clip(lower_bound=floor).to_list()
    ys = [(j + 1) / n for j in range(n)]
    ax.step(xs, ys, where="post", color=plt.get_cmap("tab10")(i % 10), label=f"{run} (n={n})")
ax.set_xscale("log")
ax.set_ylim(0, 1)
ax.set_xlabel("pause (ms, log scale)")
ax.set_ylabel("share of pauses ≤ x")
ax.set_title("CDF of pause durations")
ax.grid(alpha=0.3, which="both")
ax.legend(loc="lower right")
fig.tight_layout()
fig.savefig(OUT / "pause_cdf.png", dpi=110)

# %% [markdown]
# ## p50 and p99 per run and collector (nearest-rank)

# %%
per_group = (
    pauses.group_by("run", "collector")
    .agg(
        pl.len().alias("count"),
        pl.col("duration_ns").quantile(0.5, interpolation="equiprobable").cast(pl.Int64).alias("p50_ns"),
        pl.col("duration_ns").quantile(0.99, interpolation="equiprobable").cast(pl.Int64).alias("p99_ns"),
        pl.col("duration_ns").sort().alias("sorted_ns"),
    )
    .with_columns(pl.col("run").cast(pl.Enum(RUNS)))
    .sort("run", "collector")
)
labels = [f"{r}\n{c}" for r, c in zip(per_group["run"], per_group["collector"])]
fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(labels)), 4.5))
xs = range(len(labels))
ax.bar([x - 0.2 for x in xs], per_group["p50_ns"] / 1e6, width=0.4, label="p50")
ax.bar([x + 0.2 for x in xs], per_group["p99_ns"] / 1e6, width=0.4, label="p99")
ax.set_xticks(list(xs), labels)
ax.set_ylabel("pause (ms)")
if per_group.height and per_group["p50_ns"].min() > 0 and per_group["p99_ns"].max() / per_group["p50_ns"].min() > LOG_SPAN:
    ax.set_yscale("log")
ax.set_title("p50 and p99 pause per run and collector")
ax.grid(alpha=0.3, axis="y")
ax.legend()
fig.tight_layout()
fig.savefig(OUT / "p50_p99.png", dpi=110)
per_group.drop("sorted_ns")

# %% [markdown]
# ## Check: p99 here equals `gc_pause_stats.p99_ns`
#
# Per run and collector, the nearest-rank p99 computed two ways here (by hand from the sorted
# durations, and with polars `equiprobable`) must equal the dataset's per-collector
# `gc_pause_stats` row (`pause_kind` and `cause` null).

# %%
stats = (
    scan("gc_pause_stats")
    .filter(pl.col("pause_kind").is_null() & pl.col("cause").is_null())
    .select("run", "collector", pl.col("p99_ns").alias("stats_p99_ns"))
    .collect()
)
check = per_group.with_columns(pl.col("run").cast(pl.String)).join(stats, on=["run", "collector"], how="full", coalesce=True)
problems = []
for row in check.iter_rows(named=True):
    where = f"run={row['run']} collector={row['collector']}"
    if row["sorted_ns"] is None:
        problems.append(f"{where}: gc_pause_stats row without pauses")
        continue
    if row["stats_p99_ns"] is None:
        problems.append(f"{where}: pauses without a gc_pause_stats row")
        continue
    by_hand = nearest_rank(row["sorted_ns"], 0.99)
    if not (by_hand == row["p99_ns"] == row["stats_p99_ns"]):
        problems.append(f"{where}: by hand {by_hand}, polars {row['p99_ns']}, gc_pause_stats {row['stats_p99_ns']}")
assert not problems, "p99 mismatch:\n" + "\n".join(problems)
print(f"p99 matches gc_pause_stats for {check.height} run x collector groups")
check.select("run", "collector", "count", "p99_ns", "stats_p99_ns")
