#!/usr/bin/env bash
# Throwaway PostgreSQL and Redis servers on loopback for the test suite.
#   scripts/test-services.sh start   starts both on free ports and writes var/test-services/env
#   scripts/test-services.sh stop    stops both and removes their data
# PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` system user.
set -euo pipefail
cd "$(dirname "$0")/.."
# TEST_SERVICES_DIR (relative to the project) lets two runs in one checkout keep apart.
STATE=${TEST_SERVICES_DIR:-var/test-services}
ENV_FILE=$STATE/env

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

as_db_user() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  stop >/dev/null 2>&1 || true
  mkdir -p "$STATE"
  local pgbin pg_port redis_port pgdata
  pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -x "$pgbin/initdb" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
  command -v redis-server >/dev/null || { echo "redis-server not found (apt-get install redis-server)" >&2; exit 1; }

  pg_port=$(free_port)
  redis_port=$(free_port)
  pgdata=$(mktemp -d "${TMPDIR:-/tmp}/kap-test-pg.XXXXXX")
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$pgdata"
  echo "$pgdata" > "$STATE/pgdata"
  as_db_user "$pgbin/initdb" -D "$pgdata/data" -U postgres --auth=trust --encoding=UTF8 --no-locale >"$STATE/initdb.log"
  as_db_user "$pgbin/pg_ctl" -D "$pgdata/data" -l "$pgdata/postgres.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $pgdata -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null
  echo "$pgbin" > "$STATE/pgbin"
  as_db_user "$pgbin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres kap

  redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no \
    --daemonize yes --pidfile "$PWD/$STATE/redis.pid" --logfile "$PWD/$STATE/redis.log" --dir "$PWD/$STATE"
  for _ in $(seq 1 100); do
    redis-cli -p "$redis_port" ping 2>/dev/null | grep -q PONG && break
    sleep 0.1
  done
  redis-cli -p "$redis_port" ping | grep -q PONG

  cat > "$ENV_FILE" <<ENV
export DATABASE_URL=postgres://postgres@127.0.0.1:$pg_port/kap
export REDIS_URL=redis://127.0.0.1:$redis_port/0
export TEST_REDIS_PORT=$redis_port
export TEST_PG_PORT=$pg_port
ENV
  echo "PostgreSQL on 127.0.0.1:$pg_port, Redis on 127.0.0.1:$redis_port"
}

stop() {
  if [ -f "$STATE/redis.pid" ]; then
    kill "$(cat "$STATE/redis.pid")" 2>/dev/null || true
    rm -f "$STATE/redis.pid"
  fi
  if [ -f "$STATE/pgdata" ]; then
    local pgdata pgbin
    pgdata=$(cat "$STATE/pgdata")
    pgbin=$(cat "$STATE/pgbin" 2>/dev/null || true)
    if [ -n "$pgbin" ] && [ -d "$pgdata/data" ]; then
      as_db_user "$pgbin/pg_ctl" -D "$pgdata/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$pgdata"
    rm -f "$STATE/pgdata" "$STATE/pgbin"
  fi
  rm -f "$ENV_FILE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
