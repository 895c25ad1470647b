#!/usr/bin/env bash
# Restore a backup made by scripts/db-backup.sh into $DATABASE_URL, replacing what is there.
#   scripts/db-restore.sh FILE --yes
# Stop the web, worker and beat first; run as the owner role. After restoring, run
# `python manage.py migrate` (a backup from an older release) and `python manage.py audit_verify`.
set -euo pipefail
[ $# -eq 2 ] && [ "$2" = "--yes" ] || {
  echo "usage: $0 FILE --yes   (replaces the database named by DATABASE_URL)" >&2
  exit 2
}
: "${DATABASE_URL:?set DATABASE_URL (postgres://user:password@host:port/name)}"
file=$1
[ -r "$file" ] || { echo "cannot read $file" >&2; exit 2; }
pg_restore --list "$file" >/dev/null
pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction \
  --exit-on-error --dbname="$DATABASE_URL" "$file"
echo "Restored $file"
