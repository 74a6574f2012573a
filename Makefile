# pufa_metrics — two commands: `make report` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: help install data report lab test test-all lint docs clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

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

# JupyterLab on notebooks/: the kernel runs there, so ../data/processed and ../reports are the
# paths papermill uses; jupytext (notebooks/jupytext.toml) opens the .py files as notebooks and
# saves them as .py; jupyterlab-settings/overrides.json: double click opens a notebook, Chinese
# menus. Local only by default (LAB_IP=0.0.0.0 serves the network; the token is still needed).
LAB_IP   ?= 127.0.0.1
LAB_PORT ?= 8888
LAB_FLAGS = --no-browser --ip=$(LAB_IP) --port=$(LAB_PORT) \
	--LabApp.app_settings_dir=$(CURDIR)/jupyterlab-settings \
	$(if $(filter 0,$(shell id -u)),--allow-root)

lab: $(STAMP)  ## JupyterLab on notebooks/ (builds data/processed if missing; prints URL + token)
	test -f data/processed/dataset.json || $(BIN)/pufa build data/raw --out data/processed
	cd notebooks && env -u MPLBACKEND ../$(BIN)/jupyter lab $(LAB_FLAGS)

# Two tiers, both on every core (pytest-xdist; worksteal gives each worker a contiguous half, so
# a module's fixtures are built once, and rebalances at the end):
#   make test            the quick tier: every test not marked slow (about 1,600 tests, unit tests
#                        and doctests of every module), 2-3 minutes on 2 cores
#   make test TESTS=all  every test (what .ci/run runs): adds the slow tier, which runs the
#                        notebooks, reads the whole sample town, builds the docs, starts JupyterLab
#                        and LibreOffice (about 10 minutes); `make test-all` is the same.
# A test is marked slow when it takes more than about 2 s on 2 cores (pytest --durations=0).
# The reports that run the notebooks are built once per run (tests/conftest.py).
# (loadgroup is not used: with pytest 9 xdist 3.8 ignores xdist_group.) PYTEST_WORKERS=0: serial.
PYTEST_WORKERS ?= auto
TESTS ?= quick
_TESTS_quick := -m "not slow"
_TESTS_all :=
ifeq ($(filter $(TESTS),quick all),)
$(error TESTS should be quick or all, got '$(TESTS)')
endif

test: $(STAMP)  ## the quick tests (TESTS=all: every test, as CI), doctests included, in parallel
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist worksteal $(_TESTS_$(TESTS))

test-all: $(STAMP)  ## every test, slow ones included (what .ci/run runs)
	$(MAKE) test TESTS=all

lint: $(STAMP)  ## ruff
	$(BIN)/ruff check .

# The user docs (Sphinx, offline, no notebook executed; the `docs` extra is part of `all`).
# Warnings are errors; pages written from the code go to docs/**/generated/ (ignored by git).
docs: $(STAMP)  ## build the HTML docs into docs/_build/html
	$(BIN)/python -m sphinx -b html -E -W --keep-going -q docs docs/_build/html

clean:  ## remove built outputs (keeps data/raw)
	find data/processed reports -mindepth 1 ! -name .gitkeep -exec rm -rf {} +
