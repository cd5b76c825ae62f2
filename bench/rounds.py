#!/usr/bin/env python3
"""Times commands in rounds: each round runs every command once, one after the other.

usage: rounds.py N -- CMD1 ... [-- CMD2 ...]...
  In a command, {i} is replaced by the round's number (for a new output directory each round).
  Prints one line per command: its wall seconds, round by round, separated by spaces; and
  a last line with each command's median CPU seconds (user + sys).

Each command is started with posix_spawn and reaped with wait4, so the time is the process's
own, from its start to its exit, without the shell, `date` or `bc` around it (about 4 ms on
the bench's VM, the same for every tool, that brought every ratio closer to 1). Standard output
goes to a pipe that is read to its end (grep does less work when it writes to /dev/null);
standard error is kept.
"""

import os
import statistics
import sys
import time


def run(argv):
    """Wall and CPU seconds of one run of argv, its stdout read through a pipe."""
    r, w = os.pipe()
    start = time.perf_counter()
    pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=[(os.POSIX_SPAWN_DUP2, w, 1), (os.POSIX_SPAWN_CLOSE, r)])
    os.close(w)
    while os.read(r, 65536):
        pass
    os.close(r)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"rounds.py: {' '.join(argv)} failed ({os.waitstatus_to_exitcode(status)})")
    return wall, usage.ru_utime + usage.ru_stime


def main():
    args = sys.argv[1:]
    if len(args) < 3 or args[1] != "--":
        sys.exit(__doc__)
    n = int(args[0])
    commands, current = [], None
    for a in args[1:]:
        if a == "--":
            current = []
            commands.append(current)
        else:
            current.append(a)
    walls = [[] for _ in commands]
    cpus = [[] for _ in commands]
    for i in range(n):
        for k, cmd in enumerate(commands):
            wall, cpu = run([a.replace("{i}", str(i)) for a in cmd])
            walls[k].append(wall)
            cpus[k].append(cpu)
    for w in walls:
        print(" ".join(f"{x:.6f}" for x in w))
    print(" ".join(f"{statistics.median(c):.6f}" for c in cpus))


if __name__ == "__main__":
    main()
