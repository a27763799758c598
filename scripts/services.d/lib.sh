# Shared by the services this project starts itself (sourced by moto.sh and mlflow.sh from the repository root).
# The caller sets NAME and PORT, then sources this file, then defines healthy() and up() and calls service_main.
# Pid files are machine-wide (not per checkout): a server serves every checkout on this machine, so any
# checkout's `down` (e.g. the outage test of a CI clone) can stop the one that is running.
LOGS="$PWD/.tmp/services"
RUN_DIR="${DISSONANCE_RUN_DIR:-/tmp/dissonance-services}"
PIDFILE="$RUN_DIR/$NAME.pid"
LOG="$LOGS/$NAME.log"
URL="http://127.0.0.1:$PORT"
mkdir -p "$LOGS" "$RUN_DIR"

service_status() {
  if healthy; then echo "$NAME 127.0.0.1:$PORT up"; else echo "$NAME 127.0.0.1:$PORT DOWN"; fi
}

# Stops the server only when one of these scripts started it. Started with setsid, it leads its own process
# group (MLflow's uvicorn, job runner and consumers): the whole group is signalled.
service_down() {
  if [[ -f $PIDFILE ]]; then
    local pid
    pid=$(cat "$PIDFILE")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
      echo "services: stopped $NAME ($pid)" >&2
    fi
    rm -f "$PIDFILE"
  fi
}

# A server started from a checkout that was deleted since (a CI clone removed while its server ran) still
# answers /health, but its venv is gone: the first request that imports a module it had not loaded yet fails or
# hangs. When this script's pid file names such a server (its working directory is deleted), stop it so that
# `up` starts one from this checkout. Only where /proc tells; elsewhere nothing changes.
service_stop_if_orphaned() {
  [[ -f $PIDFILE ]] || return 0
  local pid cwd i
  pid=$(cat "$PIDFILE")
  [[ -d /proc/$pid ]] || return 0
  cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null) || return 0
  [[ $cwd == *' (deleted)' || ! -d $cwd ]] || return 0
  echo "services: $NAME ($pid) runs from a deleted checkout ($cwd): restarting it" >&2
  service_down
  for ((i = 0; i < 40; i++)); do
    healthy || return 0
    sleep 0.5
  done
}

service_main() {
  case "${1:-status}" in
    up)
      service_stop_if_orphaned
      up
      ;;
    status) service_status ;;
    down) service_down ;;
    *) echo "usage: scripts/services.d/$NAME.sh up|status|down" >&2; exit 2 ;;
  esac
}
