#!/usr/bin/env bash
# The MLflow tracking/registry server on 127.0.0.1:5001: PostgreSQL backend store (database `mlflow`),
# through psycopg2 (SQLAlchemy 2.1 picks psycopg 3 for a bare postgresql:// URI; the venv has psycopg2-binary),
# artifacts proxied (--serve-artifacts) to s3://dissonance-artifacts/mlflow on moto (127.0.0.1:5055).
#   up      ensure PostgreSQL answers, create database `mlflow` if missing, start the server unless
#           127.0.0.1:5001/health answers, wait until it does
#   status  print whether /health answers
#   down    stop it, only when this script started it (pid file /tmp/dissonance-services/mlflow.pid)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
NAME=mlflow
PORT=5001
TIMEOUT_S=${MLFLOW_START_TIMEOUT_S:-120}
source scripts/services.d/lib.sh

healthy() { curl -fsS -o /dev/null --max-time 2 "$URL/health" 2>/dev/null; }
pg_answers() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }

up() {
  if healthy; then return 0; fi
  if ! pg_answers; then
    echo "mlflow: PostgreSQL does not answer on 127.0.0.1:5432 (start it with: bash scripts/services.sh up)" >&2
    exit 1
  fi
  psql -h 127.0.0.1 -U postgres -tc "SELECT 1 FROM pg_database WHERE datname='mlflow'" | grep -q 1 ||
    createdb -h 127.0.0.1 -U postgres mlflow
  if [[ ! -x .venv/bin/mlflow ]]; then
    echo "mlflow: .venv/bin/mlflow missing; run: bash scripts/python-env.sh" >&2
    exit 1
  fi
  echo "services: starting mlflow on 127.0.0.1:$PORT" >&2
  MLFLOW_S3_ENDPOINT_URL=http://127.0.0.1:5055 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \
    AWS_DEFAULT_REGION=us-east-1 setsid nohup .venv/bin/mlflow server --host 127.0.0.1 --port "$PORT" --workers 1 \
    --backend-store-uri postgresql+psycopg2://postgres@127.0.0.1:5432/mlflow \
    --artifacts-destination s3://dissonance-artifacts/mlflow --serve-artifacts \
    --allowed-hosts "127.0.0.1,127.0.0.1:$PORT,localhost,localhost:$PORT" \
    --cors-allowed-origins "http://127.0.0.1:$PORT,http://localhost:$PORT" >>"$LOG" 2>&1 &
  echo $! >"$PIDFILE"
  local i pid
  pid=$(cat "$PIDFILE")
  for ((i = 0; i < TIMEOUT_S * 2; i++)); do
    healthy && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "mlflow: server exited while starting (log: $LOG)" >&2
      tail -n 20 "$LOG" >&2 || true
      exit 1
    fi
    sleep 0.5
  done
  echo "mlflow: $URL/health did not answer within $TIMEOUT_S s (log: $LOG)" >&2
  exit 1
}


service_main "$@"
