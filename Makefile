# Services Publics+ — the two commands: `make up` and `make test`.
SHELL := /bin/bash
PY := .venv/bin/python
STAMP := .venv/.installed

.PHONY: up test unit integration e2e compose chaos install bench lint deadletter clean forget-data chromium pgbouncer

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	@touch $(STAMP)

DSFR := services/gateway/node_modules/.package-lock.json

$(DSFR): services/gateway/package.json services/gateway/package-lock.json
	cd services/gateway && npm ci --no-audit --no-fund

# Browser tests drive Debian's Chromium (never a downloaded browser).
chromium:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
	  echo "Chromium could not be installed: the browser test will be skipped"

# The e2e tests reach PostgreSQL through a TLS proxy, as operators do: Debian's PgBouncer.
pgbouncer:
	@command -v pgbouncer >/dev/null 2>&1 || test -x /usr/sbin/pgbouncer || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null; } || \
	  echo "PgBouncer could not be installed: the e2e tests will reach PostgreSQL directly"

install: $(STAMP) $(DSFR) chromium pgbouncer

up: $(STAMP) $(DSFR)
	$(PY) -m services.chassis.up

unit: $(STAMP) $(DSFR)
	$(PY) -m pytest tests/unit

integration: $(STAMP)
	$(PY) -m pytest tests/integration

e2e: $(STAMP) $(DSFR) chromium pgbouncer
	$(PY) -m pytest tests/e2e

# deploy/docker-compose.yml's own commands, environment and health checks, run as processes of
# this machine with no Docker engine, then the lifecycle through them (docs/deploy.md). Part of
# `make test`.
compose: $(STAMP) $(DSFR)
	$(PY) -m pytest tests/compose

# Fault tests under load, on SQLite and PostgreSQL (broker app restart, kill -9 of every worker and
# of a web service, a PostgreSQL restart, the mail relay down a minute, poisoned messages).
# About 5 minutes; `make test` runs them too. They take /tmp/spp-broker.lock themselves.
chaos: $(STAMP)
	$(PY) -m pytest tests/chaos

# A three-node RabbitMQ cluster of the test's own (spp-a/b/c@localhost, AMQP 5681-5683) under a node
# crash and a node restart, the platform under load (docs/cluster.md). About 2 min, so not in
# `make test` (.ci/run runs it after). It never touches the broker on 5672: no broker lock.
.PHONY: cluster
cluster: $(STAMP)
	$(PY) -m pytest tests/cluster

# One pytest run for everything: one summary line for CI.
test: $(STAMP) $(DSFR) chromium pgbouncer
	$(PY) -m pytest tests

# The broker lock keeps the fault tests' RabbitMQ restart away from the measurements. locust
# comes from the `bench` extra (pip install -e '.[bench]'). The pages, export and list
# benchmarks may miss a target without stopping the rest (`-`): the pipeline's line stays last.
bench: $(STAMP)
	@$(PY) -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("locust") is None)' \
	  || $(PY) -m pip install -q -e '.[bench]'
	flock /tmp/spp-broker.lock $(PY) bench/relay.py --write-docs
	-flock /tmp/spp-broker.lock $(PY) bench/pages.py --write-docs
	-$(PY) bench/export_memory.py --experiences 1000000 --write-docs
	-$(PY) bench/agents_list.py --experiences 10000000 --networks 10 --regions 20 \
	  --locals-per-region 50 --requests 300 --write-docs
	flock /tmp/spp-broker.lock $(PY) bench/pipeline.py --experiences 2000 --write-docs

lint: $(STAMP)
	$(PY) -m ruff check services tests bench

deadletter: $(STAMP)
	$(PY) -m services.chassis.deadletter list $(SERVICE)

# The installed tools only: var/ keeps the data (databases, signing key, logs, caught mails).
clean:
	rm -rf .venv services/gateway/node_modules
# Every SQLite database, the signing key, the logs and the caught mails of `make up`, for good.
forget-data:
	rm -rf var
