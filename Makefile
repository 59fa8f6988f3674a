# pakn: the two commands of README.md, and a few more for developers.
VENV    ?= .venv
PY      := $(VENV)/bin/python
FLASK   := $(PY) -m flask --app wsgi
STAMP   := $(VENV)/.installed-stamp
HOST    ?= 127.0.0.1
PORT    ?= 5000
PYTEST_ARGS ?=

.PHONY: run test install system-deps db demo bench diagram clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

system-deps:
	@./scripts/system-deps.sh

db: install
	$(FLASK) db upgrade

demo: db
	$(FLASK) seed-demo

## make run: install, upgrade the SQLite database, seed the demo and serve http://127.0.0.1:5000
## (mail goes to a local SMTP sink on port 8025 that writes every message to instance/mail.log)
run: system-deps demo
	@echo "Mails sent by the demo are written to instance/mail.log"
	PYTHONUNBUFFERED=1 $(PY) -m aiosmtpd -n -l 127.0.0.1:8025 >> instance/mail.log 2>&1 & sink=$$!; \
	trap "kill $$sink 2>/dev/null" EXIT INT TERM; \
	$(FLASK) run --host $(HOST) --port $(PORT)

## make test: install and run the whole test suite (SQLite; PostgreSQL when TEST_DATABASE_URL is set),
## one pytest-xdist worker per CPU, at most 4 (PYTEST_ARGS="-n 0" runs it in one process)
test: system-deps install
	$(PY) -m pytest -q -n auto --maxprocesses 4 -m "not benchmark" $(PYTEST_ARGS)

bench: install
	@./scripts/system-deps.sh --bench
	$(PY) bench/run_all.py $(BENCH_ARGS)

diagram: install
	$(FLASK) workflow diagram --out docs/lifecycle.svg
	$(FLASK) workflow diagram --out docs/lifecycle.mmd

clean:
	rm -rf $(VENV) instance/pakn.sqlite3 .pytest_cache
