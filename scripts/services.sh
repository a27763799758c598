#!/usr/bin/env bash
# The local services the integration tests talk to, over real connections:
#   up      start whatever is down (idempotent) and wait until each answers
#   status  print each service and whether it answers
#   down    stop what this script started itself (the MLflow server and moto); system services stay
# PostgreSQL, Redis, RabbitMQ and NATS JetStream are started with this machine kind's own commands when down.
# Logs of what this script starts go to .tmp/services/ (the test output points there on failure).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
LOGS="$PWD/.tmp/services"
mkdir -p "$LOGS"

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() { # name port seconds
  local i
  for ((i = 0; i < $3 * 5; i++)); do answers "$2" && return 0; sleep 0.2; done
  echo "services: $1 did not answer on 127.0.0.1:$2 within $3 s (logs: $LOGS)" >&2
  return 1
}

start_postgres() { pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start; }
start_redis() {
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
}
start_rabbitmq() { rabbitmq-server -detached; }
start_nats() {
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
}

SERVICES=("postgres 5432 start_postgres 30" "redis 6379 start_redis 20" "rabbitmq 5672 start_rabbitmq 90" "nats 4222 start_nats 20")

up() {
  local entry name port start timeout
  for entry in "${SERVICES[@]}"; do
    read -r name port start timeout <<<"$entry"
    if ! answers "$port"; then
      echo "services: starting $name" >&2
      "$start" >>"$LOGS/$name.start.log" 2>&1 || true
      wait_port "$name" "$port" "$timeout"
    fi
  done
  if [[ -x scripts/services.d/up.sh ]]; then scripts/services.d/up.sh; fi
}

status() {
  local entry name port rest
  for entry in "${SERVICES[@]}"; do
    read -r name port rest <<<"$entry"
    if answers "$port"; then echo "$name 127.0.0.1:$port up"; else echo "$name 127.0.0.1:$port DOWN"; fi
  done
  if [[ -x scripts/services.d/status.sh ]]; then scripts/services.d/status.sh; fi
}

down() {
  if [[ -x scripts/services.d/down.sh ]]; then scripts/services.d/down.sh; fi
}

case "${1:-status}" in
  up) up ;;
  status) status ;;
  down) down ;;
  *) echo "usage: scripts/services.sh up|status|down" >&2; exit 2 ;;
esac
