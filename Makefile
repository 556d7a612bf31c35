# Touchbase — `make run` sets everything up and serves the demo; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint test-sqlite test-postgres translations messages bench clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

## Test and benchmark tools from the npm registry (axe-core, Lighthouse), exactly as locked.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

translations: $(VENV)/.runtime
	$(BIN)/pybabel -q compile --use-fuzzy -d app/translations

## Extract new strings and merge them into the catalogues (then translate app/translations/de).
messages: $(VENV)/.runtime
	$(BIN)/pybabel extract --no-location --sort-output -F babel.cfg -k _l -k lazy_gettext -o app/translations/messages.pot app templates
	$(BIN)/pybabel -q update -N -i app/translations/messages.pot -d app/translations

run: $(VENV)/.runtime translations
	$(FLASK) db upgrade
	$(FLASK) demo seed --url http://$(HOST):$(PORT)
	TOUCHBASE_SCHEDULER_ENABLED=true $(FLASK) run --host $(HOST) --port $(PORT)

test: $(VENV)/.dev node_modules/.package-lock.json translations lint test-sqlite test-postgres

## Static security analysis. B101 (assert) is skipped: asserts only narrow types after a
## validation step; no check relies on them.
lint: $(VENV)/.dev
	$(BIN)/bandit -q -r app --skip B101

test-sqlite:
	TEST_DATABASE_URL= $(BIN)/python -m pytest -q -m "not postgres"

## Runs only when TEST_DATABASE_URL points at a PostgreSQL database (CI sets it).
test-postgres:
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== PostgreSQL: $$TEST_DATABASE_URL"; \
		$(BIN)/python -m pytest -q -m "not browser"; \
	else echo "== PostgreSQL suite skipped: TEST_DATABASE_URL is not set"; fi

bench: $(VENV)/.dev node_modules/.package-lock.json translations
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache
