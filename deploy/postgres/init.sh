#!/usr/bin/env bash
# PostgreSQL container init: one database and one login role per service, each role with its
# own password from its secret file (/run/secrets/<service>_database_password, which
# `make secrets` writes). The password goes to psql as a variable and into SQL as a quoted
# literal (:'password'), so any character in it is just a character.
set -euo pipefail
prefix=${DB_PREFIX:-coachops}
secrets=${SECRETS:-/run/secrets}
databases=${DATABASES_LIST:-/docker-entrypoint-initdb.d/databases.txt}
grep -v '^#' "$databases" | while read -r service; do
  [ -n "$service" ] || continue
  file="$secrets/${service}_database_password"
  if [ ! -s "$file" ]; then
    echo "init.sh: ${service}_database_password: no secret in $file (run make secrets)" >&2
    exit 1
  fi
  password=$(cat "$file")
  # Without leading and trailing white space, as the services read it (Python's strip()).
  password="${password#"${password%%[![:space:]]*}"}"
  password="${password%"${password##*[![:space:]]}"}"
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-psqlrc \
    -v name="${prefix}_${service}" -v password="$password" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name";
SQL
done
