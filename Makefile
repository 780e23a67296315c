# The two commands a fresh machine needs (README): `make dev` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: dev test soak install system-deps bench clean

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

# The crash-consistency test at soak scale (tests/reliability, README): 600,000 events, the worker SIGKILLed 10 times.
SOAK_EVENTS ?= 600000
SOAK_KILLS ?= 10
soak: install
	DISTFLOW_RELIABILITY_EVENTS=$(SOAK_EVENTS) DISTFLOW_RELIABILITY_KILLS=$(SOAK_KILLS) \
		$(BIN)/python -m pytest -p no:cacheprovider tests/reliability/test_crash_at_scale.py

bench: install
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
