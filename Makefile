# Two entry points for a fresh machine: `make demo` (the main job) and `make test`. Each begins
# with scripts/setup-machine, which installs and starts what the machine lacks (as root) or
# says which command to run (as anyone else).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# pytest-xdist workers: one per core
JOBS   ?= auto
# e.g. make demo DEMO_OPTIONS="--port 8080"
DEMO_OPTIONS ?=

.PHONY: demo test lint install clean

$(BIN)/lingtan: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/lingtan

demo:
	scripts/setup-machine demo
	$(MAKE) --no-print-directory install
	$(BIN)/lingtan demo $(DEMO_OPTIONS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# LINGTAN_REQUIRE_SERVICES=1: setup-machine has provided PostgreSQL, Mosquitto, Chromium and the
# fonts, so a test that would skip for want of one fails instead (tests/conftest.py).
test:
	scripts/setup-machine test
	$(MAKE) --no-print-directory lint
	LINGTAN_REQUIRE_SERVICES=1 $(BIN)/pytest -n $(JOBS) --durations=30

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
