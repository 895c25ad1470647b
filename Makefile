# The two commands a newcomer needs: `make run` and `make test`. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.PHONY: help install install-dev assets pdf-deps system-deps run test lint format bench clean

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Environment for commands that only need settings to import (lint, collectstatic).
TOOL_ENV := DEBUG=1

help:
	@echo "make run    install into the project, migrate, load demo data, serve web + worker + beat"
	@echo "make test   install (plus PostgreSQL, Redis, Chromium), start throwaway servers, lint, test"
	@echo "make lint   ruff, mypy, djlint, migrations check"
	@echo "make bench  benchmarks that print their figures"

# --- installation into the project --------------------------------------------------------------
$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed-run
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed-run
install-dev: $(VENV)/.installed-dev

# Front-end packages from the npm registry, pinned by package-lock.json; nothing third-party is
# committed. Django serves them from node_modules under static/vendor/.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	touch $@

assets: node_modules/.installed

var:
	mkdir -p var

# Pango for WeasyPrint's PDFs (superbills, the chart, notes), from Debian's packages, when missing.
pdf-deps:
	@missing=""; \
	for package in libpango-1.0-0 libpangoft2-1.0-0; do \
	  dpkg -s $$package >/dev/null 2>&1 || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# PostgreSQL, Redis and Chromium for the test suite, from Debian's packages, when missing.
system-deps: pdf-deps
	@missing=""; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# --- the two commands ----------------------------------------------------------------------------
run: pdf-deps install assets var
	DEBUG=1 $(BIN)/python manage.py migrate --no-input
	DEBUG=1 $(BIN)/python manage.py seed_demo
	HOST=$(HOST) PORT=$(PORT) scripts/run.sh  # SITE_URL follows HOST and PORT unless set

test: system-deps install-dev assets var
	scripts/test.sh

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(TOOL_ENV) $(BIN)/mypy .
	$(BIN)/djlint templates --lint
	$(TOOL_ENV) $(BIN)/python manage.py makemigrations --check --dry-run

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: system-deps install-dev assets var
	scripts/bench.sh

clean:
	rm -rf var/staticfiles var/broker var/celery-results var/test-services
