# Touchbase — `make run` sets everything up and serves the demo; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test test-sqlite test-postgres translations messages bench clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install --quiet -r requirements-dev.txt
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
	$(FLASK) run --host $(HOST) --port $(PORT)

test: $(VENV)/.dev translations test-sqlite test-postgres

test-sqlite:
	TEST_DATABASE_URL= $(BIN)/python -m pytest -q

## Runs only when TEST_DATABASE_URL points at a PostgreSQL database (CI sets it).
test-postgres:
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== PostgreSQL: $$TEST_DATABASE_URL"; \
		$(BIN)/python -m pytest -q -m "not browser"; \
	else echo "== PostgreSQL suite skipped: TEST_DATABASE_URL is not set"; fi

bench: $(VENV)/.dev translations
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache
