# The two commands a newcomer needs: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
VENDOR := src/xiaoqu/web/static/vendor
export XIAOQU_DEBUG ?= 1

.PHONY: install demo test check browser assets lock bench clean

install: $(STAMP) assets

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c requirements.lock -e '.[test]'
	touch $(STAMP)

# Front-end libraries come from the npm registry, pinned by package-lock.json,
# and are served from our own static files. The development dependency axe-core (the
# accessibility checks of tests/browser/test_accessibility.py) stays in node_modules, never
# served; a node_modules without it (deleted, or installed before it was added) is redone.
NODE_STAMP := node_modules/.xiaoqu-installed
assets: $(VENDOR)/.stamp

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	test -f node_modules/axe-core/axe.min.js
	touch $@

$(VENDOR)/.stamp: $(NODE_STAMP)
	mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx.min.js
	mkdir -p $(VENDOR)/leaflet
	cp -r node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css node_modules/leaflet/dist/images $(VENDOR)/leaflet/
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/echarts.min.js
	touch $@

# Browser tests use Debian's Chromium (a test tool's own browser download is not available).
browser:
	@test -x /usr/bin/chromium || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-noto-cjk; }

# `make demo PORT=8001` when 8000 is taken. The demo data are loaded once; `make demo
# REFRESH=1` loads them again over what was changed on the site (docs/cli.md#xiaoqu-demo).
PORT ?= 8000
demo: install
	$(BIN)/xiaoqu demo --addrport 127.0.0.1:$(PORT)$(if $(REFRESH), --refresh)

# pytest exits 5 when it collected no test: that is a failure, never a silent pass.
test: install browser
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS); rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "no tests were collected: failing"; exit 1; fi; exit $$rc

# Lint, format, types, architecture contracts (docs/architecture.md), migrations, and the
# generated permission document (docs/permissions.md) against the code.
check: install
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy src
	$(BIN)/lint-imports --no-cache
	DATABASE_URL=sqlite://:memory: $(BIN)/xiaoqu makemigrations --check --dry-run
	DATABASE_URL=sqlite://:memory: $(BIN)/xiaoqu permissions --check docs/permissions.md

bench: install
	$(BIN)/python -m pip install -q -c requirements.lock -e '.[bench]'
	$(BIN)/xiaoqu bench

# Refresh requirements.lock after changing dependencies in pyproject.toml.
lock:
	rm -rf /tmp/xiaoqu-lock && $(PYTHON) -m venv /tmp/xiaoqu-lock
	/tmp/xiaoqu-lock/bin/pip install -q '.[test]'
	/tmp/xiaoqu-lock/bin/pip freeze --exclude xiaoqu > requirements.lock

clean:
	rm -rf $(VENV) node_modules $(VENDOR) var/*.sqlite3
