#!/usr/bin/env bash
# Benchmark: tracefold ingest of a large text capture vs `wc -l` over the same file, whole
# process, page cache warm; prints wall times (median of N), the ratio and peak RSS.
# Targets: cgroup snapshots within 3x of wc -l (issue 5), bpftrace text within 3x (issue 4).
#
# usage: bench/text_ingest.sh cgroup|bpftrace [COPIES]
#   cgroup:   fixtures/cgroup/throttle_run_a/samples.cgsnap, its samples repeated for 50 cgroups
#             and COPIES time-shifted rounds (default 20). The fixture holds 64 samples, so
#             COPIES=1350 is issue 5's "a day of 1 s samples of 50 cgroups" (86,400 samples,
#             ~120 M lines, ~6.9 GB: needs that much disk and, for a warm cache, RAM; N=1 is
#             enough there). The file is kept in $BENCH_DIR for the next run.
#   bpftrace: fixtures/go-netpoll/run1/epoll-bpftrace.txt repeated COPIES times (default 570:
#             ~200 MB, the size issue 4 names)
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
sys.stdout.write(head)
split = [b.split("\n", 1) for b in blocks]
bodies = ["".join(body.replace("tracebench_a", "svc%d" % cg) for cg in range(50)) for _, body in split]
for rep in range(int(sys.argv[1])):  # written as it goes: a day is ~7 GB
    sys.stdout.write("".join("# ts_ns=%d\n%s" % (int(ts) + rep * 20_000_000_000, body)
                             for (ts, _), body in zip(split, bodies)))
PY
    ;;
  bpftrace)
    COPIES=${2:-570}; LOG="$WORK/bpftrace-$COPIES.txt"
    SRC=fixtures/go-netpoll/run1/epoll-bpftrace.txt
    [ -s "$LOG" ] || for _ in $(seq "$COPIES"); do cat "$SRC"; done > "$LOG"
    ;;
  *) echo "unknown kind $KIND" >&2; exit 2 ;;
esac
. bench/lib.sh
build_tracefold
cat "$LOG" > /dev/null
DS=$(mktemp -d "$WORK/ds-$KIND.XXXXXX")   # private: other runs of this script may share $WORK
trap 'rm -rf "$DS"' EXIT
LOAD0=$(cut -d' ' -f1 /proc/loadavg)
# wc and tracefold alternate, so both see the same machine load; the last tracefold run also
# gives the peak RSS and CPU time.
WC_T=(); TF_T=()
for _ in $(seq "$N"); do
  WC_T+=("$(time_it wc -l "$LOG")")
  rm -rf "$DS"; TF_T+=("$(time_it "$BIN" -q ingest "$LOG" --out "$DS" --run big)")
done
WC=$(printf '%s\n' "${WC_T[@]}" | median)
TF=$(printf '%s\n' "${TF_T[@]}" | median)
CAT=$(for _ in $(seq "$N"); do time_it cat "$LOG"; done | median)
# Floors no ingest can go under on this machine: runs.sha256 needs one SHA-256 pass over the
# file (one stream, not splittable; openssl uses the CPU's SHA extensions), and the tables are
# zstd-compressed (a level-1 pass over the raw bytes, on one core: the level tables are written at).
SHA=$(for _ in $(seq "$N"); do time_to_null openssl dgst -sha256 "$LOG"; done | median)
ZSTD=$(for _ in $(seq "$N"); do time_to_null zstd -1 -T1 -c "$LOG"; done | median)
rm -rf "$DS"
read -r RSS CPU < <( { /usr/bin/time -f '%M %U %S' "$BIN" -q ingest "$LOG" --out "$DS" --run big >/dev/null; } 2>&1 \
  | tail -1 | awk '{print $1, $2 + $3}')
LOAD1=$(cut -d' ' -f1 /proc/loadavg)
SIZE=$(stat -c %s "$LOG"); LINES=$(wc -l < "$LOG")
printf '%s: %s (%d bytes, %d lines)\n' "$KIND" "$LOG" "$SIZE" "$LINES"
printf 'wc -l:            %.3f s wall (median of %d)\n' "$WC" "$N"
printf 'cat > pipe:       %.3f s wall (median of %d; reading the bytes once through a pipe)\n' "$CAT" "$N"
printf 'SHA-256 floor:    %.3f s wall (openssl dgst -sha256: %.1f x wc -l; runs.sha256 needs this pass)\n' "$SHA" "$(echo "$SHA / $WC" | bc -l)"
printf 'zstd floor:       %.3f s wall (zstd -1 -T1 over the raw bytes: %.1f x wc -l)\n' "$ZSTD" "$(echo "$ZSTD / $WC" | bc -l)"
printf 'tracefold ingest: %.3f s wall (median of %d), peak RSS %d KiB, %.2f s CPU (user+sys), %.0f ns/line, %.0f MB/s\n' \
  "$TF" "$N" "$RSS" "$CPU" "$(echo "$TF * 1000000000 / $LINES" | bc -l)" "$(echo "$SIZE / $TF / 1000000" | bc -l)"
printf 'wc runs:          %s\n' "${WC_T[*]}"
printf 'tracefold runs:   %s\n' "${TF_T[*]}"
printf 'load average:     %s at start, %s at end (%d cores)\n' "$LOAD0" "$LOAD1" "$(nproc)"
printf 'tracefold / wc -l: %.1f (target <= 3)\n' "$(echo "$TF / $WC" | bc -l)"
