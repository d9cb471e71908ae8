# The two commands: `make run` and `make test`. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
DEB_PACKAGES := chromium coturn sip-tester iproute2 socat util-linux

.PHONY: run dev test lint check-deploy install install-dev system-deps vendor clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install -q -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## run: the embedded default (SQLite, in-process channel layer, no broker), served like
## production (DEBUG off), on http://127.0.0.1:8000 (HOST, PORT: e.g. `PORT=8080 make run`)
run: install
	mkdir -p var/staticfiles
	$(PY) manage.py migrate --noinput
	$(PY) manage.py serve

## dev: the same with DEBUG on (tracebacks in the browser, static files from the source)
dev: install
	mkdir -p var/staticfiles
	DJANGO_DEBUG=1 $(PY) manage.py migrate --noinput
	DJANGO_DEBUG=1 $(PY) manage.py serve

## system-deps: Debian packages the tests drive (Chromium, coturn, sipp, namespaces)
system-deps:
	@missing=""; \
	for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

## test: everything, inside the private test network (scripts/testnet)
test: install-dev system-deps
	mkdir -p var/staticfiles
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_DEBUG=1 $(BIN)/mypy
	DJANGO_DEBUG=1 $(PY) manage.py makemigrations --check --dry-run
	scripts/testnet $(PY) -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_DEBUG=1 $(BIN)/mypy

## check-deploy: Django's deployment checklist under production-like settings
check-deploy: install
	DJANGO_DEBUG=0 DJANGO_SECRET_KEY=$$(head -c 48 /dev/urandom | base64) \
	  DJANGO_ALLOWED_HOSTS=uc.example.com $(PY) manage.py check --deploy --fail-level WARNING

## vendor: refresh static/vendor from the npm packages pinned in package.json
vendor:
	rm -rf var/npm && mkdir -p var/npm && cp package.json var/npm/
	cd var/npm && npm install --no-audit --no-fund --ignore-scripts
	rm -rf static/vendor && mkdir -p static/vendor/bootstrap static/vendor/bootstrap-icons \
	  static/vendor/turbo static/vendor/stimulus static/vendor/tom-select
	cp var/npm/node_modules/bootstrap/dist/css/bootstrap.min.css* static/vendor/bootstrap/
	cp var/npm/node_modules/bootstrap/dist/js/bootstrap.bundle.min.js* static/vendor/bootstrap/
	cp var/npm/node_modules/bootstrap/LICENSE static/vendor/bootstrap/
	cp -r var/npm/node_modules/bootstrap-icons/font/bootstrap-icons.min.css \
	  var/npm/node_modules/bootstrap-icons/font/fonts var/npm/node_modules/bootstrap-icons/LICENSE \
	  static/vendor/bootstrap-icons/
	cp var/npm/node_modules/@hotwired/turbo/dist/turbo.es2017-esm.js static/vendor/turbo/
	cp var/npm/node_modules/@hotwired/stimulus/dist/stimulus.js \
	  var/npm/node_modules/@hotwired/stimulus/LICENSE.md static/vendor/stimulus/
	cp var/npm/node_modules/tom-select/dist/js/tom-select.complete.min.js* \
	  var/npm/node_modules/tom-select/dist/css/tom-select.bootstrap5.min.css* \
	  var/npm/node_modules/tom-select/LICENSE static/vendor/tom-select/

clean:
	rm -rf $(VENV) var/staticfiles var/npm
