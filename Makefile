# micrograd, the book. The two commands a reader needs: `make book` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
BUILD := $(PY) book/_tools/build.py
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export MPLBACKEND := Agg
export PYTHONHASHSEED := 0
setting = $(shell sed -n 's/^$(1) *= *//p' settings.ini)

.PHONY: help setup export check test book preview clean bench
help:
	@echo "make book     set up, export, execute the chapters and render the website into _book/"
	@echo "make test     set up, check the export is current, run nbdev_test on the chapters and pytest on tests/"
	@echo "make preview  serve the website on localhost and rebuild it when a chapter changes"
	@echo "make export   write micrograd/ and tests/ from the chapters (run it after editing a chapter)"
	@echo "make clean    remove everything the build made (the virtual environment too)"

setup: $(STAMP)
$(STAMP): settings.ini setup.py
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -e ".[dev]"
	@if command -v dot >/dev/null; then echo "graphviz: using $$(command -v dot)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  export DEBIAN_FRONTEND=noninteractive; apt-get install -y -q graphviz || { apt-get update -q && apt-get install -y -q graphviz; }; \
	else $(PY) -m pip install -q "$(call setting,dot_fallback)" && ln -sf graphviz-pure $(VENV)/bin/dot; fi
	dot -V
	touch $(STAMP)

export: setup
	nbdev_export
	$(BUILD) tests

check: setup
	$(BUILD) check

test: check
	nbdev_test --do_print --timing
	nbdev_test --path index.ipynb
	$(PY) -m pytest -q tests

book: export
	$(BUILD) book

preview: export
	$(BUILD) preview

clean:
	rm -rf $(VENV) .build _book _site .pytest_cache .hypothesis *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
