# Aduflow: `make run` serves the app with demo data on SQLite; `make test` runs the checks.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: install run db test lint clean chromium translations screenshots bench reliability

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

# The SLA sweep runs every minute and the outbox worker (notices, e-mail, SMS, hub) every 30 seconds
# beside the server; both stop with it.
run: db
	$(BIN)/flask sla sweep --every 60 & sweeper=$$!; \
	$(BIN)/flask outbox deliver --every 30 & deliverer=$$!; \
	trap 'kill $$sweeper $$deliverer' EXIT INT TERM; \
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

# bandit: security lint of the app code; each finding left is justified inline (# nosec Bxxx — why).
lint: install
	$(BIN)/ruff check .
	$(BIN)/bandit -q -r workflow web sop config.py wsgi.py

# SQLite by default; set TEST_DATABASE_URL=postgresql://… to run the same suite on PostgreSQL.
test: lint chromium
	$(BIN)/python -m pytest

# The browser tests drive Debian's Chromium; as root, install it when missing (never `playwright install`).
chromium:
	@if ! command -v chromium >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing (not root, not installed): the browser tests will be skipped; apt-get install chromium"; fi; \
	fi

# Catalogs: one domain per part of the app, so people never edit the same .po file at once.
# Source text is Bahasa Indonesia; translations/en/LC_MESSAGES/<domain>.po holds the English.
DOMAIN_SOURCES_messages := web/staff web/templates/staff web/templates/base.html web/i18n.py web/exports.py
DOMAIN_SOURCES_public := web/public web/templates/public
DOMAIN_SOURCES_reports := web/reports web/templates/reports
translations: install
	@for domain in messages public reports; do \
	  case $$domain in messages) sources="$(DOMAIN_SOURCES_messages)";; public) sources="$(DOMAIN_SOURCES_public)";; \
	    reports) sources="$(DOMAIN_SOURCES_reports)";; esac; \
	  existing=""; for path in $$sources; do [ -e "$$path" ] && existing="$$existing $$path"; done; \
	  [ -n "$$existing" ] || continue; \
	  $(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -o translations/$$domain.pot $$existing; \
	  if [ -f translations/en/LC_MESSAGES/$$domain.po ]; then \
	    $(BIN)/pybabel -q update -i translations/$$domain.pot -d translations -D $$domain -l en --no-fuzzy-matching --ignore-obsolete; \
	  else $(BIN)/pybabel -q init -i translations/$$domain.pot -d translations -D $$domain -l en; fi; \
	  $(BIN)/pybabel -q compile -d translations -D $$domain -l en; \
	done

# Desktop (1280×800) and phone (360×740) screenshots of each main staff page, on a seeded demo database.
screenshots: install chromium
	$(BIN)/python scripts/screenshots.py docs/screenshots

# Issue 8's benchmarks (intake beside bare Flask and django-helpdesk, the sweep at 100,000 and 1,000,000,
# pages with 1,000,000 stored) in 11–18 minutes, by the day's machine; writes docs/BENCHMARKS.md. Needs wrk and PostgreSQL.
bench: install
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; }
	bench/run

# Issue 9's full runs: the security tests in full, the API and Open311 fuzz (bench/fuzz.py, ≥ 1,000 cases),
# then load (5,000 complaints × 50 clients), faults and two machines; rewrites docs/RELIABILITY.md.
# Bounded versions run in `make test`.
reliability: install
	mkdir -p bench/out
	SECURITY_FULL=1 $(BIN)/python -m pytest -q -p no:cacheprovider tests/security --junitxml=bench/out/security-suite.xml
	$(BIN)/python bench/fuzz.py
	$(BIN)/python bench/reliability.py --full

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
