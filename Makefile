# aiomsg developer tasks. Needs only python3 (>=3.11), pip and make.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/pip --disable-pip-version-check
# Lint only the source trees that exist (examples/ and bench/ may appear later).
LINT_PATHS := $(wildcard aiomsg tests examples bench)
# Re-install whenever pyproject.toml changes.
STAMP  := $(VENV)/.installed-test
# MkDocs builds the site under site/ (gitignored); silence mkdocs-material's banner.
MKDOCS := NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs

.PHONY: venv test lint typecheck pytest demo bench docs clean peers

venv: $(STAMP)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[test]'
	touch $@

lint: venv
	$(BIN)/ruff check $(LINT_PATHS)

typecheck: venv
	$(BIN)/mypy

pytest: venv
	$(BIN)/python -m pytest -q

# The docs build is part of the tests: a broken link, anchor or docstring fails it.
test: venv
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/mypy
	$(MKDOCS) build --strict -q
	$(BIN)/python -m pytest -q

demo: venv
	$(BIN)/python examples/run_demo.py

bench: venv
	$(PIP) install -q -e '.[bench]'
	$(BIN)/python -m bench

docs: venv
	$(PIP) install -q -e '.[docs]'
	$(MKDOCS) build --strict

# Interop peers that need more than pip: zeromq.js (libzmq with drafts, from
# npm; its prebuilt addon ships in the package, nothing is downloaded or
# compiled) and pyomq (PyPI, Python >= 3.12). Tests skip without them.
PEERS ?= .cache/peers
peers:
	tests/peers/install $(PEERS)

clean:
	rm -rf $(VENV) site dist build .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
	rm -rf *.egg-info
