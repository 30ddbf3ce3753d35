#!/usr/bin/env bash
# pg_auto_failover in compose's `ha` profile (README: "A PostgreSQL primary and standby"):
#   ha.sh monitor   the monitor, which watches both nodes and decides which is the primary
#   ha.sh node      a node: the first to start becomes the primary and the next its
#                   synchronous standby; after a failover a node comes back as the standby
# Every connection between them is scram-sha-256 over TLS. pg_auto_failover's own roles
# (autoctl_node, pgautofailover_monitor, pgautofailover_replicator) and the superuser get
# the superuser's password (postgres_password), which libpq reads from a password file; the
# services' roles and databases are made on the primary by init.sh, as on a single node.
set -euo pipefail
role=${1:?ha.sh monitor | ha.sh node}
secrets=${SECRETS:-/run/secrets}
base=${HA_BASE:-/var/lib/postgresql/data}
export PGDATA=${PGDATA:-$base/pgdata}
# pg_autoctl's configuration and state, kept in the volume with the data.
export XDG_CONFIG_HOME=$base/config XDG_DATA_HOME=$base/share
port=${PGPORT:-5432}
hostname=${HA_HOSTNAME:?the name the other nodes reach this one by}

password=$(cat "$secrets/postgres_password")
password="${password#"${password%%[![:space:]]*}"}"  # as the services read a secret
password="${password%"${password##*[![:space:]]}"}"
if [ -z "$password" ]; then
  echo "ha.sh: postgres_password: no secret in $secrets (run make secrets)" >&2
  exit 1
fi
escaped=${password//\\/\\\\}  # a password file escapes \ and :
escaped=${escaped//:/\\:}
export PGPASSFILE=${PGPASSFILE:-/tmp/pgpass}
(umask 077 && for user in autoctl_node pgautofailover_monitor pgautofailover_replicator \
    postgres; do echo "*:*:*:$user:$escaped"; done > "$PGPASSFILE")

common=(--pgdata "$PGDATA" --pgport "$port" --hostname "$hostname"
        --auth scram-sha-256 --ssl-self-signed)
sql() { psql -X -q -v ON_ERROR_STOP=1 -p "$port" -U postgres -v password="$password" "$@"; }
answer() { psql -X -tA -p "$port" -U postgres "$@" 2>/dev/null; }

if [ "$role" = monitor ]; then
  pg_autoctl create monitor "${common[@]}" --run &
else
  if [ -s "$XDG_CONFIG_HOME/pg_autoctl$PGDATA/pg_autoctl.cfg" ]; then
    pg_autoctl run --pgdata "$PGDATA" &  # again, with its data: the monitor says its role
  else
    monitor="postgres://autoctl_node@${HA_MONITOR:?host:port of the monitor}"
    pg_autoctl create postgres "${common[@]}" --name "${HA_NAME:-$hostname}" \
      --monitor "$monitor/pg_auto_failover?sslmode=require" \
      --replication-quorum true --candidate-priority 50 --run &
  fi
fi
keeper=$!
trap 'kill -TERM "$keeper" 2>/dev/null' TERM INT

# Once PostgreSQL answers: the passwords, and on a primary the services' databases (a
# standby has all of it from its primary).
until ! kill -0 "$keeper" 2>/dev/null; do
  if [ "$role" = monitor ]; then
    if [ "$(answer -d pg_auto_failover -c "SELECT count(*) FROM pg_extension
                                           WHERE extname = 'pgautofailover'")" = 1 ]; then
      sql -d pg_auto_failover <<'SQL'
ALTER ROLE autoctl_node PASSWORD :'password';
ALTER ROLE postgres PASSWORD :'password';
SQL
      break
    fi
  else
    recovering=$(answer -d postgres -c "SELECT pg_is_in_recovery()
      FROM pg_roles WHERE rolname = 'pgautofailover_replicator'" || true)
    if [ "$recovering" = t ]; then
      break
    elif [ "$recovering" = f ]; then
      sql -d postgres <<'SQL'
ALTER ROLE pgautofailover_replicator PASSWORD :'password';
ALTER ROLE pgautofailover_monitor PASSWORD :'password';
ALTER ROLE postgres PASSWORD :'password';
SQL
      # The services reach the primary from their own containers, with their passwords.
      if ! grep -q '^host all all all scram-sha-256' "$PGDATA/pg_hba.conf"; then
        echo 'host all all all scram-sha-256' >> "$PGDATA/pg_hba.conf"
        sql -d postgres -c 'SELECT pg_reload_conf()' > /dev/null
      fi
      prefix=${DB_PREFIX:-coachops}
      if [ "$(answer -d postgres -c "SELECT count(*) FROM pg_roles
                                      WHERE rolname = '${prefix}_cycles'")" = 0 ]; then
        POSTGRES_USER=postgres PGPORT=$port "${INIT_SH:-/etc/coachops/init.sh}"
        # Now, not spread over minutes: a standby's first copy starts at a checkpoint.
        sql -d postgres -c CHECKPOINT
      fi
      break
    fi
  fi
  sleep 1
done

set +e
wait "$keeper"
status=$?
while kill -0 "$keeper" 2>/dev/null; do  # a signal ended the wait: until it has stopped
  wait "$keeper"
  status=$?
done
exit "$status"
