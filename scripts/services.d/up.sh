#!/usr/bin/env bash
# Services this project starts itself (moto's S3 server, then the MLflow server that stores artifacts in it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
# Both run from the project venv: create it first on a fresh machine (idempotent, quick when it exists).
bash ../python-env.sh >/dev/null
for svc in moto mlflow; do
  if [[ -x "$svc.sh" ]]; then "./$svc.sh" up; fi
done
