#!/usr/bin/env bash
# The project's one test command (`npm test`, and CI through .ci/run): installs what is missing,
# starts the services the tests need, builds, lints, typechecks, checks the packages as
# published and their public surface against the committed API reports (api:check), runs every
# vitest project and then the Python package's pytest suite (python/tests), and
# prints the plain total of both `N passed, N failed` as the LAST line. Exits non-zero when anything failed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '\n==> %s\n' "$*"; }

# npm ci when node_modules is missing or older than the lockfile (npm writes
# node_modules/.package-lock.json on every install).
ensure_dependencies() {
  if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
    log 'npm ci (node_modules missing or older than package-lock.json)'
    # npm 11 runs no dependency install script unless package.json's allowScripts allows it (ours denies
    # onnxruntime-node's CUDA download); the variable covers npm versions that still run them.
    ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
  fi
}

# ---------------------------------------------------------------------------------------------
# ensure_services: start whatever the tests need that is not already running: Chromium (apt),
# then scripts/services.sh up — PostgreSQL, Redis, RabbitMQ, NATS, moto (S3) and MLflow, each
# checked first and started only when down, then waited for with a bounded timeout.
# ---------------------------------------------------------------------------------------------
ensure_services() {
  # Debian's Chromium for the browser tests (the `browser` vitest project, the demo report, the example page);
  # apt, never a browser download.
  bash scripts/ensure-chromium.sh >/dev/null
  # Brokers and databases this kind of machine runs; start any that is down (bash scripts/services.sh status).
  bash scripts/services.sh up
}

# The Python venv (.venv) for fixtures and reference checks of the integration project.
ensure_python() {
  bash scripts/python-env.sh >/dev/null
}

# The dissonance-trainer package (python/) installed editable into the venv, so `.venv/bin/dissonance-trainer`
# runs this checkout's code. Idempotent: reinstalled only when python/pyproject.toml changed or the checkout moved.
ensure_python_trainer() {
  local stamp=.venv/.dissonance-trainer.stamp
  local want
  want="$PWD $(sha256sum python/pyproject.toml | cut -d' ' -f1)"
  if [[ ! -f $stamp || "$(cat "$stamp")" != "$want" ]]; then
    log 'pip install -e ./python (dissonance-trainer)'
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e ./python >&2
    echo "$want" > "$stamp"
  fi
}

ensure_dependencies
# The venv first: moto and MLflow (started by ensure_services) run from it.
ensure_python
ensure_python_trainer
ensure_services

log 'build'
npm run build
log 'lint'
npm run lint
log 'format:check (prettier)'
npm run format:check
log 'typecheck'
npm run typecheck
log 'check:packages'
npm run check:packages
log 'api:check (the built public surface against the committed packages/*/api reports)'
npm run api:check
log 'npm audit (shipped dependencies)'
bash scripts/audit.sh

log 'vitest (all projects)'
mkdir -p reports
rm -f reports/vitest.json
vitest_status=0
npx vitest run --reporter=default --reporter=json --outputFile=reports/vitest.json || vitest_status=$?

log 'pytest (python/tests)'
rm -f reports/pytest.xml
pytest_status=0
.venv/bin/python -m pytest python/tests --junitxml=reports/pytest.xml -q || pytest_status=$?

summary_status=0
node scripts/summarize-vitest.mjs reports/vitest.json reports/pytest.xml || summary_status=$?
if (( vitest_status != 0 || pytest_status != 0 || summary_status != 0 )); then
  exit 1
fi
