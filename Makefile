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

test: $(STAMP)  ## run the whole test suite, doctests included
	$(BIN)/python -m pytest

lint: $(STAMP)  ## ruff
	$(BIN)/ruff check .

clean:  ## remove built outputs (keeps data/raw)
	find data/processed reports -mindepth 1 ! -name .gitkeep -exec rm -rf {} +
