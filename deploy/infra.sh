#!/usr/bin/env bash
# Start local PostgreSQL and RabbitMQ if they are down, and create each service's database.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
# Every service keeps a pool of connections per process, and the tests run several
# platforms side by side: PostgreSQL's default of 100 connections is too few.
CONNECTIONS=${COACHOPS_PG_MAX_CONNECTIONS:-400}
if [ "$(psql -h 127.0.0.1 -U postgres -Atc 'show max_connections')" -lt "$CONNECTIONS" ]; then
  echo "raising PostgreSQL max_connections to $CONNECTIONS (restarts it)"
  psql -h 127.0.0.1 -U postgres -qc "alter system set max_connections = $CONNECTIONS"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main restart
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
if ! rabbitmqctl -q status >/dev/null 2>&1; then
  echo "starting RabbitMQ"
  rabbitmq-server -detached
fi
rabbitmqctl -q await_startup --timeout 120 >/dev/null

grep -v "^#" deploy/postgres/databases.txt | sed "s/^/${DB_PREFIX:-coachops}_/" | xargs "$PY" -m coachops.store.admin ensure \
  --admin-url "${COACHOPS_ADMIN_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
