#!/usr/bin/env bash
# Benchmark: perf.data → Parquet (tracefold ingest, symbolized) vs `perf script > /dev/null`, and
# perf.data → flamegraph SVG (tracefold run) vs `perf script | inferno-collapse-perf |
# inferno-flamegraph`; whole process, page cache warm, medians of N runs, peak RSS.
# Targets (issue 3): ingest ≥ 5× faster than perf script, flamegraph ≥ 6× faster than the
# inferno pipeline, peak RSS < 256 MB.
#
# usage: bench/perf_ingest.sh [PERF_DATA]
#   PERF_DATA  default $BENCH_DIR/perf.data; recorded when missing with the recipe of
#              ../shared/reference/perf-data.md §4 (as root, ~90 s, needs network once for
#              `cargo fetch`): `perf record -a -g -F 8000` of a `cargo build --release -j 2` of a
#              crate using regex, serde, serde_json, clap and syn, beside the JVM program Deep
#              (two threads of deep mutually recursive calls, JIT frames in /tmp/perf-PID.map).
#              What else the machine runs is recorded too (`-a`), so size and mix vary by run.
# Symbols are resolved on this machine for both tools, as perf script does: binaries at their
# recorded paths, kernel symbols from /proc/kallsyms, JIT symbols from /tmp/perf-PID.map, and
# perf's build-id cache (~/.debug: [vdso] and copies of binaries rebuilt since) as a binary
# directory. inferno is installed into $BENCH_DIR/tools when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-3}
WORK=${BENCH_DIR:-$HOME/.cache/tracefold-bench}
mkdir -p "$WORK"
DATA=${1:-$WORK/perf.data}
if [ ! -s "$DATA" ]; then
  echo "recording $DATA (the perf-data.md §4 recipe, ~90 s, every CPU)" >&2
  DEEP="$WORK/deep-classes"; WL="$WORK/perf-workload"
  javac -d "$DEEP" bench/Deep.java   # a copy of ../shared/corpus/perf/generated/bin/Deep.java
  if [ ! -f "$WL/Cargo.toml" ]; then
    mkdir -p "$WL/src" && echo 'fn main() {}' > "$WL/src/main.rs"
    printf '%s\n' '[package]' 'name = "wl"' 'version = "0.1.0"' 'edition = "2021"' '[dependencies]' \
      'regex = "1"' 'serde = { version = "1", features = ["derive"] }' 'serde_json = "1"' \
      'clap = { version = "4", features = ["derive"] }' 'syn = { version = "2", features = ["full"] }' \
      > "$WL/Cargo.toml"
  fi
  (cd "$WL" && cargo fetch -q)
  cat > "$WORK/workload.sh" <<X
#!/bin/sh
cd "$WL" && rm -rf target
CARGO_TARGET_DIR=target timeout -s INT 85 cargo build --release -j 2 >/dev/null 2>&1 &
java -XX:+PreserveFramePointer -XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit -cp "$DEEP" Deep 85 2 >/dev/null
wait
X
  chmod +x "$WORK/workload.sh"
  perf record -q -a -g -F 8000 -o "$DATA" -- "$WORK/workload.sh"
fi
. bench/lib.sh
build_tracefold
TOOLS="$WORK/tools/bin"
if ! command -v inferno-collapse-perf >/dev/null && [ ! -x "$TOOLS/inferno-collapse-perf" ]; then
  echo "installing inferno 0.12.8 into $WORK/tools" >&2
  cargo install -q --root "$WORK/tools" inferno --version 0.12.8 --locked
fi
PATH="$TOOLS:$PATH"
cat "$DATA" > /dev/null
DS="$WORK/ds-perf"; OUT="$WORK/out-perf"
SYMS=(--kallsyms /proc/kallsyms --perf-map-dir /tmp)
[ -d "$HOME/.debug" ] && SYMS+=(--binary-dir "$HOME/.debug")
ingest() { rm -rf "$DS"; "$BIN" -q ingest "$DATA" --out "$DS" --run big "${SYMS[@]}"; }
flame_tf() { rm -rf "$OUT"; "$BIN" -q run --run "big=$DATA" --out "$OUT" "${SYMS[@]}"; }
pipeline() { perf script -i "$DATA" 2>/dev/null | inferno-collapse-perf | inferno-flamegraph > "$WORK/pipeline.svg"; }
# The four commands take turns, round after round: this VM's speed drifts from minute to
# minute, and a drift then weighs on each side alike instead of on whichever ran last.
TIMES="$WORK/times.txt"
: > "$TIMES"
for _ in $(seq "$N"); do
  printf 'ps %s\n' "$(time_to_null perf script -i "$DATA")" >> "$TIMES"
  printf 'ti %s\n' "$(time_to_null ingest)" >> "$TIMES"
  printf 'pl %s\n' "$(time_to_null pipeline)" >> "$TIMES"
  printf 'tr %s\n' "$(time_to_null flame_tf)" >> "$TIMES"
done
of() { awk -v k="$1" '$1 == k {print $2}' "$TIMES" | median; }
PS=$(of ps); TI=$(of ti); PL=$(of pl); TR=$(of tr)
PS_RSS=$(rss perf script -i "$DATA")
TI_RSS=$(rm -rf "$DS"; rss "$BIN" -q ingest "$DATA" --out "$DS" --run big "${SYMS[@]}")
TR_RSS=$(rm -rf "$OUT"; rss "$BIN" -q run --run "big=$DATA" --out "$OUT" "${SYMS[@]}")
rm -rf "$DS"
SAMPLES=$("$BIN" ingest "$DATA" --out "$DS" --run big "${SYMS[@]}" --no-progress 2>&1 | sed -n 's/.* \([0-9]*\) perf samples.*/\1/p')
printf 'perf.data: %s (%d bytes, %s samples), load %s\n' "$DATA" "$(stat -c %s "$DATA")" "$SAMPLES" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-58s %8.3f s  RSS %7d KiB\n' "perf script > /dev/null" "$PS" "$PS_RSS"
printf '%-58s %8.3f s  RSS %7d KiB  → %.1f× faster (target ≥ 5×)\n' "tracefold ingest (symbolized, to Parquet)" "$TI" "$TI_RSS" "$(echo "$PS / $TI" | bc -l)"
printf '%-58s %8.3f s\n' "perf script | inferno-collapse-perf | inferno-flamegraph" "$PL"
printf '%-58s %8.3f s  RSS %7d KiB  → %.1f× faster (target ≥ 6×)\n' "tracefold run (ingest + analyze + report with flamegraphs)" "$TR" "$TR_RSS" "$(echo "$PL / $TR" | bc -l)"
# Ratios within each round (the two sides timed a few seconds apart).
printf '%-58s %s\n' "per-round ratios, ingest / run:" "$(awk '{t[$1]=$2} $1 == "tr" {printf "%.1f/%.1f ", t["ps"] / t["ti"], t["pl"] / t["tr"]}' "$TIMES")"
# A round's tools run back to back: the median of the rounds' ratios is steadier than the
# ratio of the medians when the machine's speed drifts between rounds.
round_ratio() { awk -v a="$1" -v b="$2" '{t[$1]=$2} $1 == "tr" {print t[a] / t[b]}' "$TIMES" | median; }
printf '%-58s %.1f× / %.1f×\n' "median per-round ratio, ingest / run:" "$(round_ratio ps ti)" "$(round_ratio pl tr)"
# run's later phases on their own (run's dataset), to see where its time goes.
TA=$(for _ in $(seq "$N"); do time_to_null "$BIN" -q analyze "$OUT/dataset"; done | median)
TA_RSS=$(rss "$BIN" -q analyze "$OUT/dataset")
REP="$WORK/report-perf"
TP=$(for _ in $(seq "$N"); do rm -rf "$REP"; time_to_null "$BIN" -q report "$OUT/dataset" --out "$REP"; done | median)
TP_RSS=$(rm -rf "$REP"; rss "$BIN" -q report "$OUT/dataset" --out "$REP")
printf '%-58s %8.3f s  RSS %7d KiB\n' "  of which: tracefold analyze (run's dataset)" "$TA" "$TA_RSS"
printf '%-58s %8.3f s  RSS %7d KiB\n' "  of which: tracefold report (folding, SVG)" "$TP" "$TP_RSS"
