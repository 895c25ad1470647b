#!/usr/bin/env bash
# Back up the PostgreSQL database to one file (pg_dump's custom format: compressed, restorable
# table by table with pg_restore).
#   scripts/db-backup.sh FILE            backs up $DATABASE_URL
#   DATABASE_URL=postgres://... scripts/db-backup.sh var/backups/kap-$(date -u +%F).dump
# Run it as the owner role (or a role that can read every table). The file holds patient data:
# keep it encrypted at rest and off the web server. README, "Backup and restore".
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 FILE" >&2; exit 2; }
: "${DATABASE_URL:?set DATABASE_URL (postgres://user:password@host:port/name)}"
case "$DATABASE_URL" in
  postgres://*|postgresql://*) ;;
  *) echo "DATABASE_URL is not a PostgreSQL URL; SQLite (make run) is backed up by copying its file." >&2; exit 2 ;;
esac
out=$1
mkdir -p "$(dirname "$out")"
umask 077
tmp="$out.partial"
pg_dump --format=custom --no-owner --no-privileges --dbname="$DATABASE_URL" --file="$tmp"
# Prove the file is readable before it replaces an older backup.
pg_restore --list "$tmp" >/dev/null
mv "$tmp" "$out"
echo "Backed up to $out"
