#!/usr/bin/env bash
# PostgreSQL container init (docker-entrypoint-initdb.d, first start only): an application role
# beside the owner. The owner (POSTGRES_USER) runs migrations and owns every table; the
# application role (POSTGRES_APP_USER) gets only SELECT, INSERT, UPDATE and DELETE on the tables
# the owner creates, never TRUNCATE or TRIGGER, and the audit migrations revoke UPDATE and DELETE
# on the audit record (DATABASE_APP_ROLE names it to them). See README, "The audit record".
set -euo pipefail
: "${POSTGRES_APP_USER:=kap_app}"
: "${POSTGRES_APP_PASSWORD:?set POSTGRES_APP_PASSWORD}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v app_user="$POSTGRES_APP_USER" -v app_password="$POSTGRES_APP_PASSWORD" \
  -v owner="$POSTGRES_USER" -v db="$POSTGRES_DB" <<'SQL'
CREATE ROLE :"app_user" LOGIN PASSWORD :'app_password' NOSUPERUSER NOCREATEDB NOCREATEROLE;
GRANT CONNECT ON DATABASE :"db" TO :"app_user";
GRANT USAGE ON SCHEMA public TO :"app_user";
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app_user";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO :"app_user";
SQL
