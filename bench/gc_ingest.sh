#!/usr/bin/env bash
# Benchmark: ingest of a ~120 MB G1 debug-level unified log vs `grep -c Pause` over the same
# file, whole process, file in page cache; prints wall times (median of N), the ratio and
# tracefold's peak RSS. Target (issue 2): ratio >= 1 (at least as fast as grep), RSS < 100 MB.
#
# The log is made as in ../shared/reference/gc-logs.md §5 (G1 at debug level, GcChurn), at
# SECS seconds (default 60: 28 MB on one machine, 51 MB on a faster one), concatenated COPIES
# times (default 4) and cut at the last whole line within BYTES (default 120,000,000: issue 2's
# ~120 MB, whatever the machine's speed).
# usage: bench/gc_ingest.sh [LOG]      (LOG given: use it as is)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-5}
WORK=${BENCH_DIR:-$HOME/.cache/tracefold-bench}
mkdir -p "$WORK"
LOG=${1:-$WORK/g1-debug-big.log}
if [ ! -s "$LOG" ]; then
  SECS=${SECS:-60}; COPIES=${COPIES:-4}; BYTES=${BYTES:-120000000}
  javac -d "$WORK/classes" fixtures/gc/jdk17/GcChurn.java
  java -Xmx48m -Xms48m -XX:+UseG1GC "-Xlog:gc*=debug,safepoint=debug:file=$WORK/one.log:uptime,time,level,tags:filecount=0" \
    -cp "$WORK/classes" GcChurn "$SECS" 20000 1 >/dev/null
  for _ in $(seq "$COPIES"); do cat "$WORK/one.log"; done > "$LOG.all"
  if [ "$(stat -c %s "$LOG.all")" -gt "$BYTES" ]; then
    head -c "$BYTES" "$LOG.all" | sed '$d' > "$LOG"   # drops the line the cut split
    rm "$LOG.all"
  else
    mv "$LOG.all" "$LOG"
  fi
fi
. bench/lib.sh
build_tracefold
cat "$LOG" > /dev/null   # page cache

# Each ingest writes a new dataset (56 files and directories, and the commit's mark), in a directory never used
# before, on the disk ($WORK) and, when there is one, on tmpfs (/dev/shm); all are removed after
# the timing. The time to create them on ext4 depends on the file system's recent past: its
# inode allocator passes over inodes freed in the last 5 s (300 s while their inode table is
# not yet written back) and reads each to check. After hours of benchmarks on one machine,
# 56 mkdirs took 4-15 ms instead of 2 ms, and the ingest 10 ms longer than on tmpfs (perf:
# a sixth of its CPU in find_inode_bit / recently_deleted). The tmpfs figure is the ingest
# without that; `sync` first lets the deletions of earlier runs age in 5 s.
DS=$(mktemp -d "$WORK/ds-gc.XXXXXX")   # private: other runs of this script may share $WORK
SHM=""
if [ -d /dev/shm ] && [ -w /dev/shm ]; then SHM=$(mktemp -d /dev/shm/tracefold-ds-gc.XXXXXX); fi
trap 'rm -rf "$DS" ${SHM:+"$SHM"}' EXIT
sync
sleep 6
LOAD0=$(cut -d' ' -f1 /proc/loadavg)
# grep and tracefold alternate, so all see the same machine load; bench/rounds.py times each
# process itself (spawn to exit), with no shell or `date` around it.
CMDS=(-- grep -c Pause "$LOG" -- "$BIN" -q ingest "$LOG" --out "$DS/t{i}" --run big)
if [ -n "$SHM" ]; then CMDS+=(-- "$BIN" -q ingest "$LOG" --out "$SHM/t{i}" --run big); fi
mapfile -t TIMES < <(python3 bench/rounds.py "$N" "${CMDS[@]}")
read -r -a GREP_T <<< "${TIMES[0]}"
read -r -a TF_T <<< "${TIMES[1]}"
SHM_T=()
if [ -n "$SHM" ]; then read -r -a SHM_T <<< "${TIMES[2]}"; fi
GREP=$(printf '%s\n' "${GREP_T[@]}" | median)
TF=$(printf '%s\n' "${TF_T[@]}" | median)
# Context: the two floors. SHA-256 (runs.sha256) runs on one core whatever else is done, at
# the speed of the CPU's SHA instructions (openssl uses them, as tracefold's sha2 does); grep's
# time moves with the copy out of the page cache, which was 3x cheaper here once the file had
# been read back into the cache (large folios) than right after it was written (4 KiB pages).
SHA_KBS=$(openssl speed -evp sha256 -bytes 262144 -seconds 1 2>/dev/null | tail -1 | awk '{print $NF}' | tr -d k)
COPY=$(for _ in $(seq 3); do time_it dd if="$LOG" of=/dev/null bs=256K status=none; done | median)
TF_CPU=$(for i in $(seq 3); do cpu_it "$BIN" -q ingest "$LOG" --out "$DS/c$i" --run big; done | median)
LOAD1=$(cut -d' ' -f1 /proc/loadavg)
RSS=$(rss "$BIN" -q ingest "$LOG" --out "$DS/rss" --run big)
PAUSES=$(grep -c 'Pause.*ms$' "$LOG" || true)
SIZE=$(stat -c %s "$LOG")
printf 'log: %s (%d bytes, %d lines ending a pause by grep)\n' "$LOG" "$SIZE" "$PAUSES"
printf 'grep -c Pause:      %.3f s wall (median of %d)\n' "$GREP" "$N"
printf 'SHA-256 alone:      %.3f s (the floor: the whole file hashed on one core, for runs.sha256; openssl speed %.2f GB/s)\n' \
  "$(echo "$SIZE / ($SHA_KBS * 1000)" | bc -l)" "$(echo "$SHA_KBS / 1000000" | bc -l)"
printf 'page-cache read:    %.3f s wall (dd bs=256K: the copy every reader pays, grep included)\n' "$COPY"
printf 'tracefold ingest:   %.3f s wall (median of %d; dataset on %s), %.0f MB/s, peak RSS %d KiB, %.3f s CPU (user+sys)\n' \
  "$TF" "$N" "$(stat -f -c %T "$DS")" "$(echo "$SIZE / $TF / 1000000" | bc -l)" "$RSS" "$TF_CPU"
printf 'grep runs:          %s\n' "${GREP_T[*]}"
printf 'tracefold runs:     %s\n' "${TF_T[*]}"
printf 'load average:       %s at start, %s at end (%d cores)\n' "$LOAD0" "$LOAD1" "$(nproc)"
# Each round's grep and tracefold ran one right after the other: their ratio is steadier than
# the ratio of the medians when the machine's speed drifts between rounds.
ratios() {   # $1: label; the rest: tracefold's times, round by round
  local label=$1 rr tf; shift
  tf=$(printf '%s\n' "$@" | median)
  rr=$(i=0; for t in "$@"; do echo "${GREP_T[$i]} / $t" | bc -l; i=$((i + 1)); done)
  printf '%s\n' "-- dataset on $label:"
  printf 'per-round ratios:   %s\n' "$(printf '%s\n' "$rr" | awk '{printf "%.2f ", $1}')"
  printf 'rounds >= 1:        %d of %d; median per-round ratio %.2f\n' \
    "$(printf '%s\n' "$rr" | awk '$1 >= 1' | wc -l)" "$#" "$(printf '%s\n' "$rr" | median)"
  printf 'ratio grep/tracefold: %.2f (>= 1 means tracefold is at least as fast)\n' "$(echo "$GREP / $tf" | bc -l)"
}
if [ -n "$SHM" ]; then
  printf 'tracefold, tmpfs:   %.3f s wall (median of %d; dataset on %s)\n' \
    "$(printf '%s\n' "${SHM_T[@]}" | median)" "$N" "$(stat -f -c %T "$SHM")"
  printf 'tracefold runs:     %s\n' "${SHM_T[*]}"
  ratios "tmpfs ($SHM)" "${SHM_T[@]}"
fi
ratios "the disk ($DS)" "${TF_T[@]}"
