#!/usr/bin/env bash
# `make bench`: on throwaway PostgreSQL and Redis and one real Celery worker (prefork, 2
# processes), prints side by side a no-op task's rate and the outbox's rate for 10,000 bulk
# messages into a counting email backend, and the latency (p50, p99) of safety alerts requested
# while that backlog is queued; fails unless every message was sent exactly once and every alert
# went out within 10 s. BENCH_MESSAGES changes the number of messages.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

trap 'scripts/test-services.sh stop' EXIT
scripts/test-services.sh start
# shellcheck disable=SC1091
source var/test-services/env

export DEBUG=0
export SECRET_KEY="bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
export ALLOWED_HOSTS="localhost,127.0.0.1,testserver"
export SECURE_SSL_REDIRECT=0 SECURE_COOKIES=0 SECURE_HSTS_SECONDS=0

"$BIN/pytest" tests/notifications/bench_outbox.py -p no:cacheprovider -q -s "$@"
# Whole-clinic export (issue 18): BENCH_PATIENTS patients (50,000 by default), peak memory printed.
"$BIN/pytest" tests/interop/bench_clinic_export.py -p no:cacheprovider -q -s
