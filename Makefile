# The two commands a fresh machine needs (README): `make dev` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: dev test install system-deps bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev,bench]"
	touch $(STAMP)

install: $(STAMP)

# Debian packages some tests need (promtool, chromium); installs only what is missing.
system-deps:
	bash .ci/system-deps.sh

# 1) the embedded default stack: broker, Redis, topics, worker, API and demo traffic; Ctrl-C stops it all.
dev: install
	$(BIN)/distflow dev

# 2) every test suite.
test: install system-deps
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
