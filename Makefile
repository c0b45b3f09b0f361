# Two commands for a fresh machine: `make demo` and `make test`.
# Each creates a local .venv when it is missing and installs causalmix into it.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.causalmix-installed

MIN_VENV := .venv-min
MIN_PY := $(MIN_VENV)/bin/python
MIN_STAMP := $(MIN_VENV)/.causalmix-installed

.PHONY: demo test test-fast test-min lint bench bench-full bench-report clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "causalmix needs Python >= 3.11, found " + sys.version.split()[0])'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m causalmix demo --out demo-output --force

test: $(STAMP)
	$(PY) -m ruff check src tests benchmarks tools
	$(PY) -m pytest -n 2

# the declared minimum versions of every dependency (pyproject.toml), fast tests only
$(MIN_STAMP): pyproject.toml .ci/min_constraints.py
	test -x $(MIN_PY) || $(PYTHON) -m venv $(MIN_VENV)
	$(MIN_PY) -m pip install --quiet --upgrade pip
	$(MIN_PY) .ci/min_constraints.py pyproject.toml > $(MIN_VENV)/constraints.txt
	$(MIN_PY) -m pip install --quiet -c $(MIN_VENV)/constraints.txt -e ".[test]"
	$(MIN_PY) -m pip check
	touch $(MIN_STAMP)

test-min: $(MIN_STAMP)
	$(MIN_PY) -c 'import numpy, scipy, sklearn, pandas, networkx, matplotlib, pyarrow; print("minimum versions:", *(f"{m.__name__} {m.__version__}" for m in (numpy, scipy, sklearn, pandas, networkx, matplotlib, pyarrow)))'
	$(MIN_PY) -m pytest -n 2 -m "not slow" -p no:cacheprovider

test-fast: $(STAMP)
	$(PY) -m pytest -n 2 -m "not slow"

lint: $(STAMP)
	$(PY) -m ruff check src tests benchmarks tools
	$(PY) -m ruff format --check src tests benchmarks tools

# every benchmark part; --quick writes only to benchmarks/.cache/quick/ (git-ignored)
bench: $(STAMP)
	$(PY) benchmarks/run_all.py --quick

# the full grids (hours): rewrites docs/benchmarks/ and docs/benchmarks.md
bench-full: $(STAMP)
	$(PY) benchmarks/run_all.py --full

# every page of docs/benchmarks/ and docs/benchmarks.md from the committed results, no runs
bench-report: $(STAMP)
	$(PY) benchmarks/make_report.py

clean:
	rm -rf $(VENV) $(MIN_VENV) build dist src/*.egg-info .pytest_cache demo-output
