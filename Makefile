# The two commands: `make demo` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
DEMO_STUDENTS ?= 2000
DEMO_DIR := var/demo
DEMO_CONFIG := var/demo.toml
HOST ?= 127.0.0.1
PORT ?= 8000
CHROMIUM ?= /usr/bin/chromium

.PHONY: demo test lint bench install clean chromium screenshots ltijs

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/gateway demo-data --students $(DEMO_STUDENTS) --seed 1 --format vendor-csv --out $(DEMO_DIR)/export
	@mkdir -p var
	@printf '%s\n' \
	  '# Written by `make demo`: the demo district, exported PowerSchool-style, mapped by the shipped pack.' \
	  '[gateway]' 'var_dir = "."' 'database_url = "sqlite:///var/gateway.db"' '' \
	  '[sources.demo]' 'adapter = "mapped-csv"' \
	  'options = { path = "$(DEMO_DIR)/export", mapping = "pack:powerschool" }' > $(DEMO_CONFIG)
	GATEWAY_CONFIG=$(DEMO_CONFIG) $(BIN)/gateway sync demo
	@echo
	@echo "The demo district is loaded. Try, in another terminal:"
	@echo "  curl -s http://$(HOST):$(PORT)/healthz"
	@echo "  GATEWAY_CONFIG=$(DEMO_CONFIG) $(BIN)/gateway runs"
	@echo "  GATEWAY_CONFIG=$(DEMO_CONFIG) $(BIN)/gateway sync demo --dry-run"
	@echo
	GATEWAY_CONFIG=$(DEMO_CONFIG) $(BIN)/gateway serve --host $(HOST) --port $(PORT)

test: $(STAMP) chromium ltijs
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -n auto --maxprocesses=4 --dist worksteal

# ruff, then the import contracts of pyproject.toml ([tool.importlinter]): DESIGN.md's data-flow
# rules, checked (consumers reach the store only through the policy layer and the sync engine).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# The browser tests (tests/admin/test_browser.py) drive Debian's Chromium through playwright;
# playwright's own browser downloads are never used. Installed here when missing and we are
# root; otherwise those tests are skipped with the reason.
chromium:
	@if [ -x $(CHROMIUM) ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian's chromium for the browser tests"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -q chromium >/dev/null 2>&1 \
	  || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; } \
	  || echo "could not install chromium: the browser tests will be skipped"; \
	else \
	  echo "chromium is missing ($(CHROMIUM)) and only root can apt-get install it:" \
	       "the browser tests will be skipped"; \
	fi

# ltijs (npm), a second LTI tool in another language for tests/lti/test_ltijs.py: `npm ci` from
# its lock file, again only when the lock file changed. Its sqlite3 module compiles from source
# here (minutes), so the installed tree is kept in the user's cache, keyed by the lock file's
# checksum, and copied into a fresh clone (as pip keeps its wheels). Without npm those tests are
# skipped with the reason.
LTIJS_DIR := tests/lti/ltijs_tool
LTIJS_SUM := $(shell cksum $(LTIJS_DIR)/package-lock.json | cut -d' ' -f1)
LTIJS_STAMP := $(LTIJS_DIR)/node_modules/.installed-$(LTIJS_SUM)
LTIJS_CACHE := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/school-data-gateway/ltijs-$(LTIJS_SUM)
ltijs:
	@if ! command -v npm >/dev/null; then \
	  echo "npm is missing: the ltijs tests (tests/lti/test_ltijs.py) will be skipped"; \
	elif [ -f $(LTIJS_STAMP) ]; then :; \
	elif [ -f $(LTIJS_CACHE)/node_modules/.installed-$(LTIJS_SUM) ]; then \
	  rm -rf $(LTIJS_DIR)/node_modules && cp -a $(LTIJS_CACHE)/node_modules $(LTIJS_DIR)/; \
	else \
	  echo "installing ltijs for the LTI tests (npm ci in $(LTIJS_DIR))"; \
	  (cd $(LTIJS_DIR) && npm ci --no-audit --no-fund --loglevel=error) \
	  && touch $(LTIJS_STAMP) \
	  && { mkdir -p $(LTIJS_CACHE) && rm -rf $(LTIJS_CACHE)/node_modules \
	       && cp -a $(LTIJS_DIR)/node_modules $(LTIJS_CACHE)/ || true; } \
	  || echo "npm ci failed in $(LTIJS_DIR): the ltijs tests will be skipped"; \
	fi

# PNGs of the console's and the public pages' main screens, for a reviewer: var/screenshots/.
screenshots: $(STAMP) chromium
	GATEWAY_SCREENSHOTS=$(CURDIR)/var/screenshots $(BIN)/python -m pytest -q -n 0 \
	  -p no:cacheprovider tests/admin/test_browser.py
	@ls var/screenshots

bench: $(STAMP)
	$(BIN)/python bench/import.py
	$(BIN)/python bench/api.py --postgres
	$(BIN)/python bench/edfi.py
	$(BIN)/python bench/rest_pull.py --students 10000
	$(BIN)/python bench/lti.py

clean:
	rm -rf var .pytest_cache
