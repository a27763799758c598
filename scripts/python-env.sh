#!/usr/bin/env bash
# Creates (or updates) the project-local Python venv `.venv/` from scripts/python/requirements.txt.
# Idempotent: does nothing when the venv already matches the requirements file.
# Prints the venv's python path on its last line.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
req=scripts/python/requirements.txt
stamp=.venv/.requirements.sha256
want=$(sha256sum "$req" | cut -d' ' -f1)
if [[ ! -x .venv/bin/python || ! -f $stamp || "$(cat "$stamp")" != "$want" ]]; then
  echo "==> python venv: installing $req" >&2
  python3 -m venv .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$req" >&2
  echo "$want" > "$stamp"
fi
echo "$PWD/.venv/bin/python"
