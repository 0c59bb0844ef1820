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
  # The newest jax wheels need Python >= 3.12; use one if the machine has it.
  python=${TSNNX_PYTHON:-}
  if [ -z "$python" ]; then
    python=python3
    for candidate in python3.13 python3.12 "$HOME"/.pyenv/versions/3.13*/bin/python3 "$HOME"/.pyenv/versions/3.12*/bin/python3; do
      if "$candidate" -c "import sys, venv; sys.exit(sys.version_info < (3, 12))" >/dev/null 2>&1; then
        python=$candidate
        break
      fi
    done
  fi
  rm -rf "$venv"
  "$python" -m venv "$venv" >&2
  "$venv/bin/python" -m pip install -q --upgrade pip >&2
  "$venv/bin/python" -m pip install -q -r "$here/requirements.txt" >&2
  echo "$want" > "$stamp"
fi
echo "$(cd "$venv" && pwd)/bin/python"
