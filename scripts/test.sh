#!/usr/bin/env bash
# `make test`: lint, then the whole suite on throwaway PostgreSQL and Redis, in production mode
# (DEBUG off, collected static files), with real Celery workers and the system Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

make --no-print-directory lint

trap 'scripts/test-services.sh stop' EXIT
scripts/test-services.sh start
# shellcheck disable=SC1091
source var/test-services/env

export DEBUG=0
export SECRET_KEY="test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
export ALLOWED_HOSTS="localhost,127.0.0.1,testserver"
# Plain HTTP on loopback: no HTTPS redirect, cookies without the Secure flag.
export SECURE_SSL_REDIRECT=0 SECURE_COOKIES=0 SECURE_HSTS_SECONDS=0
# Production mode refuses console SMS and file email unless allowed; the suite uses both.
export ALLOW_CONSOLE_SMS=1 ALLOW_FILE_EMAIL=1
export CHROMIUM_PATH="${CHROMIUM_PATH:-$(command -v chromium || true)}"

"$BIN/python" manage.py collectstatic --no-input -v0
"$BIN/pytest" "$@"
