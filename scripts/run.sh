#!/usr/bin/env bash
# `make run`: the web app with its Celery worker and beat, on SQLite and kombu's filesystem broker.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBUG="${DEBUG:-1}"
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
# Links in emails and messages point at the address the app is served on, unless SITE_URL says
# otherwise (a proxy in front). A wildcard bind address is reached through the loopback.
case "$HOST" in
  0.0.0.0 | "::" | "[::]") LINK_HOST=127.0.0.1 ;;
  *:*) LINK_HOST="[$HOST]" ;;
  *) LINK_HOST="$HOST" ;;
esac
export SITE_URL="${SITE_URL:-http://$LINK_HOST:$PORT}"
if [[ "${1:-}" == "--print-site-url" ]]; then
  echo "$SITE_URL"
  exit 0
fi
BIN=.venv/bin
mkdir -p var/broker/queue var/broker/control var/broker/processed var/celery-results

cleanup() { kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

# The queues in priority order (kap_clinic/celery.py), as in docker-compose.yml.
"$BIN/celery" -A kap_clinic worker --loglevel=INFO --concurrency=2 --hostname="worker@%h" \
  --queues=urgent,dispatch,default,bulk &
"$BIN/celery" -A kap_clinic beat --loglevel=INFO --schedule=var/celerybeat-schedule &

echo
echo "  KAP clinic is starting at http://$HOST:$PORT/ (links in emails: $SITE_URL/)"
echo "  Sign in with one of the demo logins printed above (they are also in README.md)."
echo "  Health: http://$HOST:$PORT/healthz    Stop with Ctrl-C."
echo
"$BIN/python" manage.py runserver "$HOST:$PORT"
