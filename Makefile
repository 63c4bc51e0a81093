# aiomsg developer tasks. Needs only python3 (>=3.11), pip and make.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/pip --disable-pip-version-check
# Lint only the source trees that exist (examples/ and bench/ may appear later).
LINT_PATHS := $(wildcard aiomsg tests examples bench)
# Re-install whenever pyproject.toml changes.
STAMP  := $(VENV)/.installed-test
# The demo needs only aiomsg itself (and its three dependencies).
DEMO_STAMP := $(VENV)/.installed-demo
# Where dist-check builds and installs.
DIST   := dist
CHECK  := build/dist-check
# MkDocs builds the site under site/ (gitignored); silence mkdocs-material's banner.
MKDOCS := NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs

.PHONY: venv test lint typecheck pytest demo dist dist-check bench docs clean peers multicast

venv: $(STAMP)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[test]'
	touch $@

$(DEMO_STAMP): pyproject.toml | $(VENV)/bin/python
	$(PIP) install -q -e .
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

# Only the package: no test, lint or docs toolchain.
demo: $(DEMO_STAMP)
	$(BIN)/python examples/run_demo.py

# The wheel and the sdist, as a release builds them (the wheel from the sdist).
dist: venv
	rm -rf $(DIST)
	$(PIP) install -q build
	$(BIN)/python -m build -q --outdir $(DIST) .

# Each artifact installs and imports in a clean venv, and the unpacked sdist
# runs its own tests (all collected; the layers and hello-world examples run),
# which proves it carries what they need. CI runs this after `make test`.
dist-check: dist
	rm -rf $(CHECK)
	$(PYTHON) -m venv $(CHECK)/wheel
	$(CHECK)/wheel/bin/pip install -q --disable-pip-version-check $(DIST)/*.whl
	$(CHECK)/wheel/bin/python -c "import aiomsg; print('wheel imports aiomsg', aiomsg.__version__)"
	$(CHECK)/wheel/bin/aiomsg --version
	$(PYTHON) -m venv $(CHECK)/sdist
	$(CHECK)/sdist/bin/pip install -q --disable-pip-version-check $(DIST)/*.tar.gz
	$(CHECK)/sdist/bin/python -c "import aiomsg; print('sdist imports aiomsg', aiomsg.__version__)"
	mkdir -p $(CHECK)/unpacked
	tar -xzf $(DIST)/*.tar.gz -C $(CHECK)/unpacked
	cd $(CHECK)/unpacked/aiomsg-* && PYTHONPATH=. $(abspath $(BIN))/python -m pytest -q \
		-p no:cacheprovider --collect-only tests > /dev/null
	cd $(CHECK)/unpacked/aiomsg-* && PYTHONPATH=. $(abspath $(BIN))/python -m pytest -q \
		-p no:cacheprovider -m "not slow" -k "hello or layers" tests/architecture tests/examples

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

# The multicast (epgm/pgm) tests alone, after installing their peers: run as
# root, since each test makes its own private network namespace (multicast
# never leaves the machine). Without root or the peers they skip and say why.
multicast: venv peers
	$(BIN)/python -m pytest -q tests/pgm tests/transports/test_pgm.py tests/multicast

clean:
	rm -rf $(VENV) site dist build .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
	rm -rf *.egg-info
