#!/usr/bin/env bash
# The shape of compose.yaml as processes, on the machine's own PostgreSQL, where containers
# cannot run (docs/operations.md):
#
#   scripts/fleet.sh up       migration job (two at once: the lock lets one apply), data load,
#                             two API processes, two `passerelle worker` processes; prints health
#   scripts/fleet.sh status   health of each process
#   scripts/fleet.sh check    up, then: both APIs answer /healthz, /v1/meta on PostgreSQL with
#                             the same data release and schema; exit 1 otherwise; then down
#   scripts/fleet.sh down     stop the processes this script started (by their recorded pids)
#
# Settings (environment): FLEET_PG (server URL, default postgresql+psycopg://postgres@127.0.0.1:5432),
# FLEET_DB (database, default passerelle_fleet; created if missing), FLEET_PORTS (default
# "8101 8102"), FLEET_WORKERS (default 2), FLEET_DIR (pids and logs, default var/fleet).
# Any PASSERELLE_* variable is passed on (e.g. PASSERELLE_EMBEDDINGS__BACKEND=fake for a quick run).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BIN=${BIN:-$ROOT/.venv/bin}
FLEET_PG=${FLEET_PG:-postgresql+psycopg://postgres@127.0.0.1:5432}
FLEET_DB=${FLEET_DB:-passerelle_fleet}
FLEET_PORTS=${FLEET_PORTS:-8101 8102}
FLEET_WORKERS=${FLEET_WORKERS:-2}
FLEET_DIR=${FLEET_DIR:-$ROOT/var/fleet}
START_TIMEOUT=${START_TIMEOUT:-180}

export PASSERELLE_DATABASE_URL="$FLEET_PG/$FLEET_DB"
export PASSERELLE_JOBS__RUNNER=${PASSERELLE_JOBS__RUNNER:-procrastinate}
export PASSERELLE_JOBS__WORKER_IN_API=false
export PASSERELLE_LOG_FORMAT=${PASSERELLE_LOG_FORMAT:-json}
mkdir -p "$FLEET_DIR"

say() { printf '%s\n' "$*"; }

create_database() {
  "$BIN/python" - "$FLEET_PG" "$FLEET_DB" <<'PY'
import sys
import psycopg
from sqlalchemy.engine import make_url
server, name = sys.argv[1], sys.argv[2]
url = make_url(server + "/postgres")
info = f"host={url.host} port={url.port or 5432} user={url.username or 'postgres'} dbname=postgres"
if url.password:
    info += f" password={url.password}"
with psycopg.connect(info, autocommit=True) as conn:
    if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
        conn.execute(f'CREATE DATABASE "{name}"')
        print(f"database {name} created")
PY
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start() { # name, command...
  local name=$1
  shift
  if alive "$FLEET_DIR/$name.pid"; then
    say "$name: already running (pid $(cat "$FLEET_DIR/$name.pid"))"
    return
  fi
  "$@" >"$FLEET_DIR/$name.log" 2>&1 &
  echo $! >"$FLEET_DIR/$name.pid"
}

health() { # port -> "200 <body>" or "down"
  "$BIN/python" - "$1" <<'PY'
import sys, urllib.request
try:
    with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/healthz", timeout=3) as r:
        print(r.status, r.read().decode()[:120], "request-id", r.headers.get("X-Request-ID"))
except Exception as exc:
    print("down", type(exc).__name__)
PY
}

status() {
  local port n=1 bad=0
  for port in $FLEET_PORTS; do
    local line
    line=$(health "$port")
    if alive "$FLEET_DIR/api-$n.pid" && [[ $line == 200* ]]; then
      say "api-$n  pid $(cat "$FLEET_DIR/api-$n.pid")  :$port  healthy  $line"
    else
      say "api-$n  :$port  UNHEALTHY  $line  (log: $FLEET_DIR/api-$n.log)"
      bad=1
    fi
    n=$((n + 1))
  done
  for n in $(seq 1 "$FLEET_WORKERS"); do
    if alive "$FLEET_DIR/worker-$n.pid"; then
      say "worker-$n  pid $(cat "$FLEET_DIR/worker-$n.pid")  running  ($(tail -n 1 "$FLEET_DIR/worker-$n.log" | cut -c1-100))"
    else
      say "worker-$n  STOPPED  (log: $FLEET_DIR/worker-$n.log)"
      bad=1
    fi
  done
  return $bad
}

up() {
  create_database
  say "migrate: two 'passerelle db upgrade' at once (the migration lock serialises them)"
  "$BIN/passerelle" db upgrade >"$FLEET_DIR/migrate-1.log" 2>&1 &
  local m1=$!
  "$BIN/passerelle" db upgrade >"$FLEET_DIR/migrate-2.log" 2>&1 &
  local m2=$!
  wait $m1 || { say "migrate-1 failed:"; tail -n 20 "$FLEET_DIR/migrate-1.log"; return 1; }
  wait $m2 || { say "migrate-2 failed:"; tail -n 20 "$FLEET_DIR/migrate-2.log"; return 1; }
  tail -n 1 "$FLEET_DIR/migrate-1.log"
  "$BIN/passerelle" data load >"$FLEET_DIR/data-load.log" 2>&1 \
    || { say "data load failed:"; tail -n 20 "$FLEET_DIR/data-load.log"; return 1; }
  local port n=1
  for port in $FLEET_PORTS; do
    start "api-$n" "$BIN/passerelle" serve --host 127.0.0.1 --port "$port" --workers 1
    n=$((n + 1))
  done
  for n in $(seq 1 "$FLEET_WORKERS"); do
    start "worker-$n" "$BIN/passerelle" worker --name "fleet-worker-$n"
  done
  local deadline=$((SECONDS + START_TIMEOUT))
  for port in $FLEET_PORTS; do
    until [[ $(health "$port") == 200* ]]; do
      if ((SECONDS > deadline)); then
        say "api on :$port not healthy after ${START_TIMEOUT}s"
        status || true
        return 1
      fi
      sleep 1
    done
  done
  sleep 2 # a worker that fails at start-up (bad URL, missing command) has exited by now
  status
}

down() {
  local f
  for f in "$FLEET_DIR"/api-*.pid "$FLEET_DIR"/worker-*.pid; do
    [ -f "$f" ] || continue
    if alive "$f"; then
      kill "$(cat "$f")" 2>/dev/null || true
    fi
  done
  for f in "$FLEET_DIR"/api-*.pid "$FLEET_DIR"/worker-*.pid; do
    [ -f "$f" ] || continue
    local pid
    pid=$(cat "$f")
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$f"
  done
  say "fleet stopped"
}

check() {
  trap down EXIT
  up
  "$BIN/python" - $FLEET_PORTS <<'PY'
import json, sys, urllib.request
seen = []
for port in sys.argv[1:]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/meta", timeout=5) as r:
        meta = json.load(r)
    seen.append((meta["data_release"]["id"], tuple(meta["schema_revision"])))
    print(f"api :{port} answers on PostgreSQL: release {meta['data_release']['id']}, "
          f"schema {','.join(meta['schema_revision'])}")
assert len(seen) >= 2 and len(set(seen)) == 1, f"the APIs disagree: {seen}"
print(f"fleet check: {len(seen)} API processes answer on one PostgreSQL database")
PY
}

case "${1:-}" in
  up) up ;;
  status) status ;;
  down) down ;;
  check) check ;;
  *)
    say "usage: $0 up|status|check|down"
    exit 2
    ;;
esac
