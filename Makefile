# pufa_metrics — two commands: `make report` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: help install data report test lint clean

help:  ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[all]"
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install the project with every extra

data: $(STAMP)  ## build data/processed from data/raw
	$(BIN)/pufa build data/raw --out data/processed

report: data  ## build, then write reports/ for the sample town (or your data/raw)
	$(BIN)/pufa report --data data/processed --out reports

# Every test runs, on every core (pytest-xdist). worksteal gives each worker a contiguous half
# (a module's tests mostly stay together, so module fixtures are built once) and rebalances at
# the end; the reports that run the notebooks are built once per run (tests/conftest.py).
# (loadgroup is not used: with pytest 9 xdist 3.8 ignores xdist_group.) PYTEST_WORKERS=0: serial.
PYTEST_WORKERS ?= auto

test: $(STAMP)  ## run the whole test suite, doctests included, in parallel
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist worksteal

lint: $(STAMP)  ## ruff
	$(BIN)/ruff check .

clean:  ## remove built outputs (keeps data/raw)
	find data/processed reports -mindepth 1 ! -name .gitkeep -exec rm -rf {} +
