#!/usr/bin/env bash
# cgsnap.sh - cgroup snapshot sampler; writes the "cgsnap v1" text stream tracefold ingests
# (table cgroup_samples). Same shape as shared/corpus/cgroup/generator/sample.sh:
#   # cgsnap v1 host=<host> interval_s=<s> kernel=<release>
#   # ts_ns=<epoch ns>                     one per sample, then `grep -H . <files>` lines:
#   /sys/fs/cgroup/<cgroup>/<file>:<line>
#
# usage: cgsnap.sh [-o OUT] [-i INTERVAL_S] [-n SAMPLES | -d DURATION_S] [-p PID | CGROUP_DIR...]
#   -o OUT         output file (default: stdout)
#   -i INTERVAL_S  seconds between samples, may be fractional (default 1)
#   -n SAMPLES     number of samples (default: until -d runs out, or until Ctrl-C)
#   -d DURATION_S  stop after about this many seconds
#   -p PID         sample the cgroups of PID (v2, v1 and hybrid; from /proc/PID/cgroup)
#   CGROUP_DIR...  sample these cgroup directories instead (under /sys/fs/cgroup)
# With neither -p nor directories, the cgroups of the sampler itself are sampled.
set -u

out=/dev/stdout
iv=1
samples=0
dur=0
pid=self
root=${CGSNAP_ROOT:-/sys/fs/cgroup}

while getopts "o:i:n:d:p:h" opt; do
  case $opt in
    o) out=$OPTARG ;;
    i) iv=$OPTARG ;;
    n) samples=$OPTARG ;;
    d) dur=$OPTARG ;;
    p) pid=$OPTARG ;;
    h) sed -n '2,16p' "$0"; exit 0 ;;
    *) sed -n '9,16p' "$0" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))

dirs=()
if [ $# -gt 0 ]; then
  dirs=("$@")
else
  cg=/proc/$pid/cgroup
  [ -r "$cg" ] || { echo "cgsnap: cannot read $cg" >&2; exit 1; }
  while IFS=: read -r _ ctrls path; do
    if [ -z "$ctrls" ]; then
      # v2 line (0::/path): the unified hierarchy, mounted at the root (v2) or at unified/ (hybrid)
      if [ -e "$root/cgroup.controllers" ]; then dirs+=("$root$path"); else dirs+=("$root/unified$path"); fi
    else
      case $ctrls in name=*) continue ;; esac
      if [ -d "$root/$ctrls$path" ]; then
        dirs+=("$root/$ctrls$path")
      else
        IFS=, read -r -a cs <<< "$ctrls"
        for c in "${cs[@]}"; do [ -d "$root/$c$path" ] && dirs+=("$root/$c$path"); done
      fi
    fi
  done < "$cg"
fi

# The files worth sampling (v2 and v1 names); missing ones are skipped.
names="cpu.max cpu.max.burst cpu.weight cpu.stat cpu.stat.local cpu.pressure
memory.current memory.max memory.high memory.peak memory.events memory.swap.current memory.pressure
io.pressure pids.current pids.max
cpu.cfs_quota_us cpu.cfs_period_us cpu.cfs_burst_us cpu.shares
cpuacct.usage cpuacct.stat cpuacct.usage_percpu
memory.usage_in_bytes memory.limit_in_bytes memory.max_usage_in_bytes memory.failcnt"
files=()
declare -A seen=()
for d in "${dirs[@]}"; do
  d=${d%/}
  [ -n "${seen[$d]+x}" ] && continue
  seen[$d]=1
  for n in $names; do [ -r "$d/$n" ] && files+=("$d/$n"); done
done
[ ${#files[@]} -gt 0 ] || { echo "cgsnap: no cgroup files found in: ${dirs[*]:-<none>}" >&2; exit 1; }

exec > "$out"
echo "# cgsnap v1 host=$(hostname) interval_s=$iv kernel=$(uname -r)"
end=0
[ "$dur" != 0 ] && end=$(( $(date +%s%N) + ${dur%.*} * 1000000000 ))
i=0
while :; do
  echo "# ts_ns=$(date +%s%N)"
  grep -H . "${files[@]}" 2>/dev/null
  i=$((i + 1))
  [ "$samples" -gt 0 ] && [ "$i" -ge "$samples" ] && break
  [ "$end" -gt 0 ] && [ "$(date +%s%N)" -ge "$end" ] && break
  sleep "$iv"
done
