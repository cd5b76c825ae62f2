#!/usr/bin/env bash
# Benchmark: perf.data → Parquet (tracefold ingest, symbolized) vs `perf script > /dev/null`, and
# perf.data → flamegraph SVG (tracefold run) vs `perf script | inferno-collapse-perf |
# inferno-flamegraph`; whole process, page cache warm, medians of N runs, peak RSS.
# Targets (issue 3): ingest ≥ 5× faster than perf script, flamegraph ≥ 6× faster than the
# inferno pipeline, peak RSS < 256 MB.
#
# usage: bench/perf_ingest.sh [PERF_DATA]
#   PERF_DATA  default $BENCH_DIR/perf.data; recorded when missing with
#              `perf record -a -g -F 8000 -- sleep 80` (every CPU of a busy machine: run it while
#              something builds; ../shared/reference/perf-data.md §4 has the original recipe)
# Symbols are resolved on this machine, as perf script does: binaries at their recorded paths,
# kernel symbols from /proc/kallsyms. inferno is installed into $BENCH_DIR/tools when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-3}
WORK=${BENCH_DIR:-$HOME/.cache/tracefold-bench}
mkdir -p "$WORK"
DATA=${1:-$WORK/perf.data}
if [ ! -s "$DATA" ]; then
  echo "recording $DATA (80 s, every CPU)" >&2
  perf record -q -a -g -F 8000 -o "$DATA" -- sleep 80
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
SYMS=(--kallsyms /proc/kallsyms)
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
