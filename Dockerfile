# The production image: web (gunicorn), Celery worker and beat all run from it.
# Front-end packages come from the npm registry at build time (package-lock.json pins them).
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
RUN useradd --create-home --uid 10001 kap
COPY . .
COPY --from=assets /app/node_modules ./node_modules
RUN pip install . \
 && SECRET_KEY=collectstatic-only-build-time-key-not-used-at-run-time-0123456789 DEBUG=0 \
    python manage.py collectstatic --no-input -v0 \
 && mkdir -p var && chown -R kap:kap var
USER kap
EXPOSE 8000
# Access log without query strings or referrers (%(U)s is the path alone).
CMD ["gunicorn", "kap_clinic.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-", "--access-logformat", "%(h)s %(t)s \"%(m)s %(U)s\" %(s)s %(b)s %(L)s"]
