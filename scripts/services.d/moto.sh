#!/usr/bin/env bash
# moto's S3 server on 127.0.0.1:5055 (the MLflow server's artifact store), with bucket `dissonance-artifacts`.
#   up      start it unless 127.0.0.1:5055 answers, wait until healthy, create the bucket (idempotent)
#   status  print whether it answers
#   down    stop it, only when this script started it (pid file /tmp/dissonance-services/moto.pid)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
NAME=moto
PORT=5055
BUCKET=dissonance-artifacts
source scripts/services.d/lib.sh

healthy() { curl -fsS -o /dev/null --max-time 2 "$URL/moto-api/" 2>/dev/null || curl -sS -o /dev/null --max-time 2 "$URL/" 2>/dev/null; }

up() {
  if ! healthy; then
    if [[ ! -x .venv/bin/moto_server ]]; then
      echo "moto: .venv/bin/moto_server missing; run: bash scripts/python-env.sh" >&2
      exit 1
    fi
    echo "services: starting moto (S3) on 127.0.0.1:$PORT" >&2
    setsid nohup .venv/bin/moto_server -H 127.0.0.1 -p "$PORT" >>"$LOG" 2>&1 &
    echo $! >"$PIDFILE"
    local i
    for ((i = 0; i < 150; i++)); do healthy && break; sleep 0.2; done
    if ! healthy; then
      echo "moto: did not answer on $URL within 30 s (log: $LOG)" >&2
      exit 1
    fi
  fi
  # PUT on an existing bucket is fine for moto (us-east-1 semantics); any 2xx/409 means it exists.
  local code
  code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 10 -X PUT "$URL/$BUCKET")
  if [[ $code != 2* && $code != 409 ]]; then
    echo "moto: creating bucket $BUCKET answered HTTP $code (log: $LOG)" >&2
    exit 1
  fi
}


service_main "$@"
