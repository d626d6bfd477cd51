# One command runner. `make run` and `make test` work on a fresh machine with Python 3.11.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint audit bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)  ## serve the API on SQLite (./upnext.db) at http://127.0.0.1:8000
	$(BIN)/upnext serve

test: $(STAMP)  ## the whole suite; UPNEXT_TEST_DATABASE_URL=postgresql://... for PostgreSQL
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[bench]'
	touch $(BENCH_STAMP)

# Not part of the test suite: needs wrk (apt-get install wrk) and, for PostgreSQL, a server
# at 127.0.0.1:5432 (BENCH_ARGS='--databases sqlite' to skip it). See bench/README.md.
bench: $(BENCH_STAMP)  ## the benchmark; appends a table and plot to bench/RESULTS.md
	$(BIN)/python -m bench.run $(BENCH_ARGS)

audit: $(STAMP)  ## known vulnerabilities in the installed dependencies (pip-audit)
	$(BIN)/pip-audit --skip-editable --progress-spinner off

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
