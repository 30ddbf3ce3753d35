# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

TOOLS := .venv-tools/bin

.PHONY: install tools infra demo test lint bench reliability lock secrets

# Every package at the version and hash requirements-dev.lock gives (the image installs
# requirements.lock the same way), then the project itself.
$(BIN)/.installed: pyproject.toml requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip>=23" "setuptools>=65,<82"
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

install: $(BIN)/.installed

# A real compose implementation for validating docker-compose.yml without a Docker engine.
# It pins PyYAML 5, whose sdist needs Cython below 3 to build.
$(TOOLS)/docker-compose:
	$(PYTHON) -m venv .venv-tools
	$(TOOLS)/pip install --quiet "cython<3" wheel "setuptools<70"
	$(TOOLS)/pip install --quiet --no-build-isolation "pyyaml==5.4.1"
	$(TOOLS)/pip install --quiet "docker-compose==1.29.2"

# Debian's chromium for the dashboard's browser tests (Playwright drives it; it never
# downloads a browser of its own).
/usr/bin/chromium:
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

# Debian's Prometheus (promtool), Alertmanager (amtool) and PostgreSQL exporter: the
# monitoring tests check the configs with them and run the real processes. Only the
# binaries are used: the tests start processes of their own, on ports of their own.
/usr/bin/promtool /usr/bin/amtool /usr/bin/prometheus-alertmanager /usr/bin/prometheus-postgres-exporter:
	apt-get update -qq -o DPkg::Lock::Timeout=600 && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends \
		prometheus prometheus-alertmanager prometheus-postgres-exporter

# Debian's Caddy: the reverse proxy's tests run the real one (its own ports, no daemon).
/usr/bin/caddy:
	apt-get update -qq -o DPkg::Lock::Timeout=600 && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends caddy

# Debian's pg_auto_failover (pg_autoctl): the PostgreSQL failover test runs a monitor and a
# primary with its synchronous standby of its own (its own ports and data directories).
/usr/bin/pg_autoctl:
	apt-get update -qq -o DPkg::Lock::Timeout=600 && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends \
		postgresql-15-auto-failover

tools: $(TOOLS)/docker-compose /usr/bin/chromium /usr/bin/promtool /usr/bin/amtool \
	/usr/bin/prometheus-alertmanager /usr/bin/prometheus-postgres-exporter /usr/bin/caddy \
	/usr/bin/pg_autoctl

# The lock files again from pyproject.toml's pins (after changing one; commit both).
LOCK := pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links
lock:
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet "pip-tools==7.7.0"
	.venv-lock/bin/$(LOCK) --output-file=requirements.lock pyproject.toml
	.venv-lock/bin/$(LOCK) --extra=dev --output-file=requirements-dev.lock pyproject.toml

# The deployment's secrets, one file each in secrets/ (docker-compose.yml reads them there):
# strong and URL-safe, mode 0600; a file already there is kept.
secrets:
	$(PYTHON) -m deploy.make_secrets generate secrets/

infra: install
	PY=$(BIN)/python bash deploy/infra.sh

demo: infra
	$(BIN)/python deploy/local.py demo

test: infra tools
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest

# ruff, and mypy as pyproject.toml's [tool.mypy] says (strict on coachops/, domains, app layers).
lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/hadolint deploy/Dockerfile deploy/postgres/ha.Dockerfile

# The end-to-end benchmark (bench/README.md); sizes: make bench BENCH_ARGS="--seconds 10"
bench: infra
	$(BIN)/python -m bench $(BENCH_ARGS)

# The fault-injection suite in full (kills, broker and database restarts) on a platform of
# its own; prints a table. It restarts the machine's RabbitMQ and PostgreSQL.
reliability: infra
	COACHOPS_TEST_NAMESPACE=reliability COACHOPS_TEST_GATEWAY_PORT=18180 \
		$(BIN)/python -m tests.reliability.suite
