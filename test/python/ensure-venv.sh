#!/usr/bin/env bash
# Creates (once) the virtual environment that the reference tests use: the
# real Orbax, Flax NNX, JupyterLab and the kernel conformance suite.
# Prints the venv's python path on stdout. TSNNX_VENV overrides the location.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=${TSNNX_VENV:-"$here/../../.venv"}
stamp="$venv/.requirements.sha256"
want=$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  python=${TSNNX_PYTHON:-python3}
  "$python" -m venv "$venv" >&2
  "$venv/bin/python" -m pip install -q --upgrade pip >&2
  "$venv/bin/python" -m pip install -q -r "$here/requirements.txt" >&2
  echo "$want" > "$stamp"
fi
echo "$(cd "$venv" && pwd)/bin/python"
