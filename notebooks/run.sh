#!/usr/bin/env bash
# Cross-checks a tracefold dataset with polars + DuckDB, then executes the GC pauses notebook
# headless. Usage: notebooks/run.sh <DATASET>
#   TRACEFOLD_VENV          venv to use/create (default ~/.cache/tracefold-venv)
#   TRACEFOLD_NOTEBOOK_OUT  where figures and the executed .ipynb go (default out/notebook)
set -euo pipefail

if [ "$#" -ne 1 ]; then
    echo "usage: $0 <DATASET>" >&2
    exit 2
fi
if [ ! -d "$1" ]; then
    echo "$0: dataset $1 is not a directory" >&2
    exit 2
fi
DATASET=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VENV=${TRACEFOLD_VENV:-$HOME/.cache/tracefold-venv}
OUT=${TRACEFOLD_NOTEBOOK_OUT:-out/notebook}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

if [ ! -x "$VENV/bin/python" ]; then
    echo "creating venv $VENV" >&2
    python3 -m venv "$VENV"
fi
# Versions the cross-check and notebook were verified with (pinned so CI does not drift).
PKGS="polars==2.1.0 duckdb==2.0.1 matplotlib==3.11.2 nbclient==0.11.0 ipykernel==7.4.0 jupytext==1.19.6"
if ! "$VENV/bin/python" -c "import polars, duckdb, matplotlib, nbclient, ipykernel, jupytext" 2>/dev/null; then
    echo "installing $PKGS into $VENV" >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check $PKGS
fi

export TRACEFOLD_DATASET="$DATASET"
export TRACEFOLD_NOTEBOOK_OUT="$OUT"
export MPLBACKEND=Agg

"$VENV/bin/python" "$HERE/crosscheck.py" "$DATASET"

# Converts the percent-format notebook with jupytext and executes it with nbclient in a kernel of
# this venv; a failing cell (e.g. the p99 assert) fails the script. The executed notebook, with
# its outputs (and the error, if any), is written to $OUT/gc_pauses.ipynb.
"$VENV/bin/python" - "$HERE/gc_pauses.py" "$OUT/gc_pauses.ipynb" <<'PY'
import os
import sys
import tempfile

import jupytext
import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

src, dst = sys.argv[1], sys.argv[2]
nb = jupytext.read(src)
nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
# IPC transport: the kernel talks over Unix sockets (in a temporary directory), not TCP ports.
sockets = tempfile.TemporaryDirectory(prefix="tracefold-kernel-")
km = KernelManager(kernel_name="python3", transport="ipc", ip=os.path.join(sockets.name, "kernel"))
client = NotebookClient(nb, km=km, timeout=600, kernel_name="python3")
try:
    client.execute()
except CellExecutionError as err:
    nbformat.write(nb, dst)
    print(f"notebook {src} failed (executed copy with the error: {dst}):\n{err}", file=sys.stderr)
    sys.exit(1)
finally:
    if km.has_kernel:
        km.shutdown_kernel()
    sockets.cleanup()
nbformat.write(nb, dst)
PY
echo "notebook executed: $OUT/gc_pauses.ipynb (figures in $OUT)"
