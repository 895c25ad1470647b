#!/usr/bin/env bash
# `make run`: the web app with its Celery worker and beat, on SQLite and kombu's filesystem broker.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBUG="${DEBUG:-1}"
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
BIN=.venv/bin
mkdir -p var/broker/queue var/broker/control var/broker/processed var/celery-results

cleanup() { kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

# The queues in priority order (kap_clinic/celery.py), as in docker-compose.yml.
"$BIN/celery" -A kap_clinic worker --loglevel=INFO --concurrency=2 --hostname="worker@%h" \
  --queues=urgent,dispatch,default,bulk &
"$BIN/celery" -A kap_clinic beat --loglevel=INFO --schedule=var/celerybeat-schedule &

echo
echo "  KAP clinic is starting at http://$HOST:$PORT/"
echo "  Sign in with one of the demo logins printed above (they are also in README.md)."
echo "  Health: http://$HOST:$PORT/healthz    Stop with Ctrl-C."
echo
"$BIN/python" manage.py runserver "$HOST:$PORT"
