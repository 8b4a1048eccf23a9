#!/usr/bin/env bash
# Start or stop a throw-away PostgreSQL cluster on 127.0.0.1 for the tests.
#   eval "$(.ci/postgres.sh start)"   # prints `export EXPLORER_TEST_POSTGRES_URL=...`
#   .ci/postgres.sh stop
# The cluster lives in a temporary folder owned by the `postgres` system user (the server refuses
# to run as root), with password authentication.
set -euo pipefail
STATE=${EXPLORER_PG_STATE:-/tmp/explorer-pg}
PORT=${EXPLORER_PG_PORT:-54329}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "${1:-}" in
start)
  if [ -f "$STATE/data/postmaster.pid" ]; then as_pg "$PGBIN/pg_ctl" -D "$STATE/data" stop -m fast >/dev/null 2>&1 || true; fi
  rm -rf "$STATE"; mkdir -p "$STATE"
  password=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
  echo "$password" > "$STATE/pwfile"
  [ "$(id -u)" = 0 ] && chown -R postgres "$STATE"
  as_pg "$PGBIN/initdb" -D "$STATE/data" -U explorer --pwfile="$STATE/pwfile" -A scram-sha-256 >"$STATE/initdb.log" 2>&1
  as_pg "$PGBIN/pg_ctl" -D "$STATE/data" -l "$STATE/server.log" -w \
    -o "-p $PORT -k $STATE -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
  PGPASSWORD=$password "$PGBIN/createdb" -h 127.0.0.1 -p "$PORT" -U explorer explorer_test
  echo "export EXPLORER_TEST_POSTGRES_URL=postgresql+psycopg://explorer:$password@127.0.0.1:$PORT/explorer_test"
  ;;
stop)
  if [ -f "$STATE/data/postmaster.pid" ]; then as_pg "$PGBIN/pg_ctl" -D "$STATE/data" stop -m fast >/dev/null; fi
  rm -rf "$STATE"
  ;;
*)
  echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
