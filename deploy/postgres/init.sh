#!/usr/bin/env bash
# PostgreSQL container init: one database and one login role per service.
set -euo pipefail
prefix=${DB_PREFIX:-coachops}
grep -v '^#' /docker-entrypoint-initdb.d/databases.txt | while read -r service; do
  [ -n "$service" ] || continue
  name="${prefix}_${service}"
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" <<SQL
CREATE ROLE "$name" LOGIN PASSWORD '${SERVICE_DB_PASSWORD}';
CREATE DATABASE "$name" OWNER "$name";
SQL
done
