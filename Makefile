# Aduflow: `make run` serves the app with demo data on SQLite; `make test` runs the checks.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: install run db test lint clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

db: install
	$(BIN)/flask db upgrade
	$(BIN)/flask sop load klungkung
	$(BIN)/flask demo seed

# The SLA sweep runs every minute beside the server and stops with it.
run: db
	$(BIN)/flask sla sweep --every 60 & sweeper=$$!; trap 'kill $$sweeper' EXIT INT TERM; \
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

lint: install
	$(BIN)/ruff check .

# SQLite by default; set TEST_DATABASE_URL=postgresql://… to run the same suite on PostgreSQL.
test: lint
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
