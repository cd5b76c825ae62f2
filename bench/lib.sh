# Helpers shared by the bench scripts (sourced, not run).

# Builds the release binary (the target dir tests and CI share) and sets BIN to it.
build_tracefold() {
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tracefold-target}"
  cargo build --release -q -p tracefold
  BIN="$CARGO_TARGET_DIR/release/tracefold"
}

# Median of the numbers on stdin.
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# Wall seconds of one run of "$@", its output through a pipe (grep skips its work when it
# writes to /dev/null).
time_it() { local s e; s=$(date +%s.%N); "$@" | cat >/dev/null; e=$(date +%s.%N); echo "$e - $s" | bc -l; }

# Wall seconds of one run of "$@", its output straight to /dev/null.
time_to_null() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); echo "$e - $s" | bc -l; }

# User + sys CPU seconds of one run of "$@" (steadier than wall on a busy machine).
cpu_it() { { /usr/bin/time -f '%U %S' "$@" >/dev/null; } 2>&1 | tail -1 | awk '{print $1 + $2}'; }

# Peak RSS (KiB) of one run of "$@".
rss() { { /usr/bin/time -f '%M' "$@" >/dev/null; } 2>&1 | tail -1; }
