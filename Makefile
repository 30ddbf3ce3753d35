# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

TOOLS := .venv-tools/bin

.PHONY: install tools infra demo test lint

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip>=23" "setuptools>=65,<82"
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

# A real compose implementation for validating docker-compose.yml without a Docker engine.
# It pins PyYAML 5, whose sdist needs Cython below 3 to build.
$(TOOLS)/docker-compose:
	$(PYTHON) -m venv .venv-tools
	$(TOOLS)/pip install --quiet "cython<3" wheel "setuptools<70"
	$(TOOLS)/pip install --quiet --no-build-isolation "pyyaml==5.4.1"
	$(TOOLS)/pip install --quiet "docker-compose==1.29.2"

tools: $(TOOLS)/docker-compose

infra: install
	PY=$(BIN)/python bash deploy/infra.sh

demo: infra
	$(BIN)/python deploy/local.py demo

test: infra tools
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
