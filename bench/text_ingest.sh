#!/usr/bin/env bash
# Benchmark: tracefold ingest of a large text capture vs `wc -l` over the same file, whole
# process, page cache warm; prints wall times (median of N), the ratio and peak RSS.
# Targets: cgroup snapshots within 3x of wc -l (issue 5), bpftrace text within 3x (issue 4).
#
# usage: bench/text_ingest.sh cgroup|bpftrace [COPIES]
#   cgroup:   fixtures/cgroup/throttle_run_a/samples.cgsnap, its samples repeated for 50 cgroups
#             and COPIES time-shifted rounds (default 20)
#   bpftrace: fixtures/go-netpoll/run1/epoll-bpftrace.txt repeated COPIES times (default 40)
set -euo pipefail
cd "$(dirname "$0")/.."
KIND=${1:?usage: bench/text_ingest.sh cgroup|bpftrace [COPIES]}
N=${N:-3}
WORK=${BENCH_DIR:-$HOME/.cache/tracefold-bench}
mkdir -p "$WORK"
case "$KIND" in
  cgroup)
    COPIES=${2:-20}; LOG="$WORK/cgroup-$COPIES.cgsnap"
    [ -s "$LOG" ] || python3 - "$COPIES" > "$LOG" <<'PY'
import sys
text = open("fixtures/cgroup/throttle_run_a/samples.cgsnap").read()
head, *blocks = text.split("# ts_ns=")
out = [head]
for rep in range(int(sys.argv[1])):
    for b in blocks:
        ts, body = b.split("\n", 1)
        out.append("# ts_ns=%d\n" % (int(ts) + rep * 20_000_000_000))
        out.extend(body.replace("tracebench_a", "svc%d" % cg) for cg in range(50))
sys.stdout.write("".join(out))
PY
    ;;
  bpftrace)
    COPIES=${2:-40}; LOG="$WORK/bpftrace-$COPIES.txt"
    SRC=fixtures/go-netpoll/run1/epoll-bpftrace.txt
    [ -s "$LOG" ] || for _ in $(seq "$COPIES"); do cat "$SRC"; done > "$LOG"
    ;;
  *) echo "unknown kind $KIND" >&2; exit 2 ;;
esac
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tracefold-target}"
cargo build --release -q -p tracefold
BIN="$CARGO_TARGET_DIR/release/tracefold"
cat "$LOG" > /dev/null
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
time_it() { local s e; s=$(date +%s.%N); "$@" | cat >/dev/null; e=$(date +%s.%N); echo "$e - $s" | bc -l; }
DS="$WORK/ds-$KIND"
WC=$(for _ in $(seq "$N"); do time_it wc -l "$LOG"; done | median)
TF=$(for _ in $(seq "$N"); do rm -rf "$DS"; time_it "$BIN" -q ingest "$LOG" --out "$DS" --run big; done | median)
rm -rf "$DS"
RSS=$( { /usr/bin/time -f '%M' "$BIN" -q ingest "$LOG" --out "$DS" --run big >/dev/null; } 2>&1 | tail -1)
printf '%s: %s (%d bytes, %d lines)\n' "$KIND" "$LOG" "$(stat -c %s "$LOG")" "$(wc -l < "$LOG")"
printf 'wc -l:            %.3f s wall (median of %d)\n' "$WC" "$N"
printf 'tracefold ingest: %.3f s wall (median of %d), peak RSS %d KiB\n' "$TF" "$N" "$RSS"
printf 'tracefold / wc -l: %.1f (target <= 3)\n' "$(echo "$TF / $WC" | bc -l)"
