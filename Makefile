# Two commands do everything: `make run` and `make test`. Both install what is
# missing into .venv first (quick when nothing changed).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: install run test test-cluster lint format clean bench bench-events bench-fastpath bench-panel capacity demo-data docs

$(PY):
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): requirements/base.txt requirements/dev.txt | $(PY)
	@echo "==> installing requirements into $(VENV)"
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	@touch $@

install: $(INSTALLED)

## run: migrate and start every service on the embedded defaults (Ctrl-C stops all)
run: install
	$(PY) scripts/run.py

## test: run the whole suite (PostgreSQL and Redis when reachable, SQLite otherwise)
test: install
	$(PY) scripts/run_tests.py

## test-cluster: the multi-node drill alone (HAProxy, PgBouncer, a RabbitMQ cluster; part of make test)
test-cluster: install
	TEST_PROJECTS=cluster $(PY) scripts/run_tests.py

## demo-data: with `make run` up, load a small data set through the APIs (safe to repeat)
demo-data: install
	$(PY) scripts/demo_data.py --create-admin

## bench: the running system under load on PostgreSQL + Redis; records docs/performance.md
## (needs wrk and pgbench: installed with apt-get when missing and run as root;
## `make bench BENCH_ARGS=--profile` also samples each scenario with py-spy)
bench: install
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& echo "==> installing wrk with apt-get" && { apt-get install -y -qq wrk || { apt-get update -qq && apt-get install -y -qq wrk; }; }; } \
		|| { echo "error: make bench needs wrk: apt-get install wrk"; exit 1; }
	@command -v pgbench >/dev/null || { echo "error: make bench needs pgbench (postgresql-client)"; exit 1; }
	$(PY) scripts/bench.py --write $(BENCH_ARGS)

## bench-events: outbox -> relay -> Redis -> consumer on PostgreSQL, and a reservation's lag across
## orders_api and products_api; records docs/performance.md
bench-events: install
	$(PY) scripts/bench_events.py --write

## bench-fastpath: CPU per request of every bench scenario with each common.fastpath piece
## on and off (PostgreSQL, in process); records docs/performance.md
bench-fastpath: install
	$(PY) scripts/bench_fastpath.py --write

## capacity: CPU per request and per event in each process, the capacity model built on it and
## checked against the cluster (about fifteen minutes; needs wrk, pgbench and the cluster's
## HAProxy, PgBouncer and RabbitMQ); records docs/capacity.md
capacity: install
	$(PY) scripts/capacity.py --write $(CAPACITY_ARGS)

## bench-panel: the sales panel's figures with 100,000 orders on PostgreSQL (a throwaway database)
bench-panel: install
	$(PY) scripts/bench_panel.py $(BENCH_ARGS)

## docs: regenerate what docs/ derives from the code (the table of error codes in docs/api.md)
docs: install
	$(PY) scripts/error_codes.py

## lint: ruff
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) var
