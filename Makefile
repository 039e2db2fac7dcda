# exlink: two commands do everything.
#   make demo   set up .venv (Python >= 3.12) and run the main job
#   make test   add the development tools and run the whole test suite
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
VPY := $(VENV)/bin/python
PIP_FLAGS := --quiet --disable-pip-version-check

# A Python >= 3.12: pyenv (which reads .python-version) when present, else one on PATH.
PYTHON ?= $(shell \
	for c in "$$(pyenv which python 2>/dev/null)" python3.12 python3.13 python3.14 python3; do \
		[ -n "$$c" ] || continue; \
		p=$$(command -v "$$c" 2>/dev/null) || continue; \
		"$$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo "$$p"; break; }; \
	done)

.PHONY: help demo test lint clean browser docs

help:
	@echo "make demo   set up .venv and run the exlink demo"
	@echo "make test   set up .venv with the development tools and run all tests"
	@echo "make docs   build the documentation into docs/_build/html"

$(VENV)/.python-ok:
	@if [ -z "$(PYTHON)" ]; then \
		echo "exlink needs Python >= 3.12: install it (e.g. 'pyenv install 3.12' or your system's python3.12 package) and run make again."; \
		exit 1; \
	fi
	@echo "Creating $(VENV) with $$($(PYTHON) --version) ($(PYTHON))"
	@$(PYTHON) -m venv $(VENV)
	@$(VPY) -m pip install $(PIP_FLAGS) --upgrade pip
	@touch $@

$(VENV)/.installed: $(VENV)/.python-ok pyproject.toml
	@echo "Installing exlink and its dependencies into $(VENV)"
	@$(VPY) -m pip install $(PIP_FLAGS) -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	@echo "Installing the development tools into $(VENV)"
	@$(VPY) -m pip install $(PIP_FLAGS) -e ".[dev]"
	@touch $@

demo: $(VENV)/.installed
	@$(VENV)/bin/exlink demo

# Headless Chromium renders the HTML report in the tests, driven by selenium through
# chromedriver (the budget explorer, the PDF). As root with apt-get (CI), install Debian's
# chromium and chromium-driver when missing; elsewhere, or if the install fails, those
# tests are skipped and say why.
browser:
	@{ command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; } || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "Installing chromium and chromium-driver (Debian) for the report's browser tests"; \
			(apt-get update -qq && apt-get install -y -qq chromium chromium-driver) >/dev/null 2>&1 \
				|| echo "chromium could not be installed: the report's browser tests will be skipped"; \
		fi; }

# Sphinx with -W: a warning (a broken reference, a malformed docstring) fails the build.
docs: $(VENV)/.installed-dev
	@$(VENV)/bin/sphinx-build -W --keep-going -q -b html docs docs/_build/html
	@echo "Documentation built: docs/_build/html/index.html"

test: $(VENV)/.installed-dev browser docs
	@$(VENV)/bin/ruff check src tests scripts benchmarks notebooks
	@$(VENV)/bin/ruff format --check src tests scripts benchmarks notebooks
	@$(VENV)/bin/pytest -n 2 --dist loadfile

lint: $(VENV)/.installed-dev
	@$(VENV)/bin/ruff check src tests scripts benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis docs/_build
