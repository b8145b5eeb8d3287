# Every target creates .venv and installs what it needs when missing (only Python 3.11 + make required).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000

AXE_VERSION ?= 4.14.1
AXE := var/node/node_modules/axe-core/axe.min.js

.PHONY: demo demo-reset test typecheck lint fmt bench clean axe axe-if-npm check-install messages

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 not found: install it, or run make PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[demo,api,dev,hosts]'
	@touch $(STAMP)

demo: $(STAMP)
	PORT=$(PORT) $(BIN)/portal2fa demo

# axe-core (npm) for the browser tests' accessibility checks, in the git-ignored var/node.
$(AXE):
	@command -v npm >/dev/null || { echo "npm not found: install Node.js (apt-get install npm) for the accessibility tests"; exit 1; }
	npm install --prefix var/node --no-save --no-audit --no-fund axe-core@$(AXE_VERSION)

axe: $(AXE)

# make test on a machine without npm still runs: the accessibility tests then skip (or fail, with
# PORTAL2FA_REQUIRE_BROWSER=1 as in CI).
axe-if-npm:
	@if command -v npm >/dev/null; then $(MAKE) --no-print-directory $(AXE); else echo "npm not found: the accessibility tests will skip (apt-get install npm to run them)"; fi

# Start the demo data over (users, roles, enrollments, audit trail); keeps .venv and the key file.
demo-reset: $(STAMP)
	$(BIN)/portal2fa demo --reset --no-serve

# The library's hosts: the demo portal (custom user, its adapter), then, each from its own folder,
# projects built from their own quick-start + the README snippet: stock Django (auth.User, Groups,
# Django's LoginView and admin), django-allauth (its login), django CMS (its catch-all page route).
HOSTS := stock allauth cms

# The suite's coverage of src/portal2fa (pyproject's [tool.coverage]), failing under the floor: a
# few points under what the SQLite suite measures. `make test COV= PYTEST_ARGS=tests/unit` runs a
# part without it. The hosts below run without coverage.
COVERAGE_FLOOR ?= 92
COV ?= --cov --cov-report=term-missing:skip-covered --cov-fail-under=$(COVERAGE_FLOOR)

test: $(STAMP) axe-if-npm
	$(BIN)/pytest $(COV) $(PYTEST_ARGS)
	set -e; for host in $(HOSTS); do (cd tests/hosts/$$host && ../../../$(BIN)/pytest $(PYTEST_ARGS)); done

# Build a wheel, install it into an empty virtualenv, paste the README snippet into a fresh
# `django-admin startproject`, migrate and check it (CI runs this).
check-install: $(STAMP)
	$(BIN)/python tests/hosts/check_install.py

# mypy with django-stubs over src/portal2fa (pyproject's [tool.mypy]: strict on the pure core and
# the services).
typecheck: $(STAMP)
	$(BIN)/mypy

lint: $(STAMP) typecheck
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The translation catalogues: every app's .po files brought up to date with the marked texts
# (templates, Python; the JavaScript's in the djangojs domain), then compiled to the .mo files the
# wheel ships. Each app keeps its own src/portal2fa/<app>/locale/. The pseudo-locale en_XA
# (accented, lengthened English, for the tests that look for untranslated text) is extracted like
# a language and filled by tools/pseudo_locale.py before compiling.
I18N_APPS := twofactor audit accounts api
LANGUAGES_PO := de fr es pt_BR ja ar
PSEUDO_PO := en_XA
DJANGO_ADMIN := $(abspath $(BIN))/django-admin
PSEUDO_FILL := $(abspath $(BIN))/python $(abspath tools/pseudo_locale.py)

messages: $(STAMP)
	set -e; for app in $(I18N_APPS); do \
	  (cd src/portal2fa/$$app && mkdir -p locale \
	   && DJANGO_SETTINGS_MODULE=portal2fa.config.test_settings $(DJANGO_ADMIN) makemessages \
	      $(addprefix -l ,$(LANGUAGES_PO) $(PSEUDO_PO)) --no-obsolete --add-location file --ignore 'migrations/*' \
	   && if ls static/portal2fa/*.js >/dev/null 2>&1; then \
	      DJANGO_SETTINGS_MODULE=portal2fa.config.test_settings $(DJANGO_ADMIN) makemessages -d djangojs \
	      $(addprefix -l ,$(LANGUAGES_PO) $(PSEUDO_PO)) --no-obsolete --add-location file; fi \
	   && $(PSEUDO_FILL) locale/$(PSEUDO_PO)/LC_MESSAGES/*.po \
	   && DJANGO_SETTINGS_MODULE=portal2fa.config.test_settings $(DJANGO_ADMIN) compilemessages); \
	done

bench: $(STAMP)
	$(BIN)/python bench/overview.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .coverage
