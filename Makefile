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
# KaTeX (npm's `katex` package, the version pinned in settings.ini and _quarto.yml), shipped with the website by the
# build (_book/site_libs/katex/), so that its maths is typeset offline; the browser tests' screenshots go here.
KATEX_VERSION := $(call setting,katex_version)
export KATEX_DIST := $(CURDIR)/.build/katex/$(KATEX_VERSION)/dist
KATEX := $(CURDIR)/.build/katex/$(KATEX_VERSION)/LICENSE
export SCREENSHOTS := $(CURDIR)/.build/screenshots
export CHROMIUM ?= /usr/bin/chromium
# `make test` may run twice at once (two terminals): one at a time builds .build/site and _book and tests them
LOCK := $(if $(shell command -v flock),flock $(CURDIR)/.build/.site.lock,)

.PHONY: help katex setup export check test test-matrix book preview clean bench browser site-test readme-screenshot build-along original workbook grade bench-compare
help:
	@echo "make book     set up, export, execute the chapters and render the website into _book/"
	@echo "make test     set up, check the export is current, run nbdev_test on the chapters, build the website,"
	@echo "              check it (smalldocs check, Quarto's warnings when it renders, Chromium) and run pytest on tests/"
	@echo "make test-matrix  run the chapters' tests and nbdev_test under the other CPythons of settings.ini's range"
	@echo "              (pyenv's 3.12, 3.13), without PyTorch or Playwright (TORCH_OPTIONAL=1); .ci/run runs it too"
	@echo "make preview  serve the website on localhost and rebuild it when a chapter changes"
	@echo "make workbook write the book as a workbook into _workbook/: exported code stubbed, prose and checks kept"
	@echo "make grade    run the book's checks against the workbook's package, chapter by chapter (UPTO=05 to stop there,"
	@echo "              ONLY=05 for one chapter; fewer random points unless FULL=1)"
	@echo "make export   write micrograd/ and tests/ from the chapters (run it after editing a chapter)"
	@echo "make readme-screenshot  copy the test run's screenshot of chapter 1 to book/images/ for the README"
	@echo "make bench    measure speed and memory against the original micrograd (writes book/_data/)"
	@echo "make bench-compare BEFORE=rev  the same, with the package as of a git revision beside this one"
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

# Each step is timed (book/_tools/timing.py) and the split is printed at the end. Results that the same inputs made
# before are kept in .build/cache (book/_tools/cache.py): a second run redoes only what changed; FRESH=1 redoes all.
TIMED = python3 book/_tools/timing.py run
BUDGET ?=
test:
	@mkdir -p .build && python3 book/_tools/timing.py start
	@$(TIMED) "set-up (venv, graphviz, Chromium, micrograd 0.1.0, KaTeX)" -- $(MAKE) --no-print-directory setup browser original $(KATEX)
	@$(TIMED) "export check" -- $(BUILD) check
	@# the code a build-along reader types, per chapter and layer, against the learner's limits (printed; enforced
	@# with BUDGET=--enforce once the main line is restructured: the issue "The learner's path")
	@$(TIMED) "learner's budget" -- $(PY) book/_tools/budget.py $(BUDGET)
	@$(TIMED) "build-along" -- $(PY) book/_tools/buildalong.py
	@# one fresh process per chapter, as a reader's kernel: chapters that extend the package's classes
	@# (05, 06, 08) re-run those cells in place, which must not leak into the next chapter tested
	@$(TIMED) "nbdev_test (every chapter, 2 at a time)" -- $(PY) book/_tools/nbtest.py
	@$(LOCK) $(MAKE) --no-print-directory site-test
	@python3 book/_tools/timing.py report

# Build the website from the chapters, check it with smalldocs, and run pytest on tests/ (with the browser tests
# of tests/test_website.py, which need the site), on both cores. Run by `make test`, under the lock.
site-test:
	@$(TIMED) "website: execute the pages and render" -- $(BUILD) book
	@$(TIMED) "website: smalldocs check" -- $(BUILD) site-check
	@$(TIMED) "pytest tests/ (2 shards side by side)" -- $(PY) book/_tools/pytests.py
	@echo "Screenshots of every page of the website: $(SCREENSHOTS)/"

# Debian's Chromium for the browser tests: installed when root; otherwise they say so and skip (fail under CI=true).
browser:
	@if [ -x "$(CHROMIUM)" ] || command -v chromium >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  export DEBIAN_FRONTEND=noninteractive; apt-get install -y -q chromium || { apt-get update -q && apt-get install -y -q chromium; }; \
	else echo "Chromium is not installed and this is not root: the browser tests will be skipped (apt-get install chromium)"; fi

# The site's own KaTeX (npm's package, pinned above: its dist/ and its LICENSE), which the build ships in _book/;
# without npm the pages load it from jsDelivr (the build says so; under CI=true it fails).
katex: $(KATEX)
$(KATEX):
	@if command -v npm >/dev/null; then \
	  d=$$(dirname $(KATEX_DIST)); rm -rf $$d; mkdir -p $$d; \
	  (cd $$d && npm pack --silent katex@$(KATEX_VERSION) >/dev/null && tar xzf katex-$(KATEX_VERSION).tgz --strip-components=1 package/dist package/LICENSE && rm katex-$(KATEX_VERSION).tgz); \
	else echo "npm is not installed: no local KaTeX to ship with the site (apt-get install npm)"; fi

# Copy the test run's screenshot of chapter 1 to where the README shows it (run after `make test`; commit it).
readme-screenshot:
	cp $(SCREENSHOTS)/book-01_derivative.png book/images/screenshot-chapter.png

book: export original $(KATEX)
	$(BUILD) book

# A reader who types every visible cell of the chapters, in order, into one session gets working code
# (book/_tools/buildalong.py; `make test` runs it first).
build-along: setup
	$(PY) book/_tools/buildalong.py

# micrograd 0.1.0 from PyPI in .build/micrograd-0.1.0, which the appendix on the differences, the benchmark and
# tests/test_against_original.py load beside this package (they say so and skip without it, except under CI=true).
ORIGINAL := .build/micrograd-0.1.0/micrograd/engine.py
original: $(ORIGINAL)
$(ORIGINAL): | setup
	$(PY) -m pip install -q --disable-pip-version-check --no-deps --target .build/micrograd-0.1.0 micrograd==0.1.0 \
	  || { test "$${CI:-}" != true && echo "micrograd 0.1.0 could not be installed (offline?): its comparisons will be skipped"; }

# The workbook (book/_tools/workbook.py) and its grader (book/_tools/grade.py). `make workbook` stops, changing
# nothing, when _workbook/ holds a learner's work. `make grade` grades every chapter; UPTO=05 the chapters up to 05,
# ONLY=05 chapter 05 alone; the checks draw fewer random points unless FULL=1 (the final check).
workbook: setup
	$(PY) book/_tools/workbook.py

UPTO ?=
ONLY ?=
grade: setup
	@test -d _workbook || $(PY) book/_tools/workbook.py
	$(PY) book/_tools/grade.py _workbook $(if $(UPTO),--upto $(UPTO),) $(if $(ONLY),--only $(ONLY),) $(if $(FULL),--full,)

# The chapters' generated tests (tests/test_<chapter>.py) and nbdev_test on every chapter, under each other installed
# CPython of settings.ini's min_python..max_python (a venv per interpreter in .build/py<version>/, with the pins but
# PyTorch and Playwright): one summary line and the wall time per interpreter; an absent one is skipped, saying so.
test-matrix: check
	$(BUILD) matrix

preview: export $(KATEX)
	$(BUILD) preview

# The benchmark of book/12_fast.ipynb (about 4 to 5 minutes): this package against micrograd 0.1.0 (installed into
# .build/ by the script) and plain floats; writes book/_data/bench.json and bench.md, which the chapter reads.
bench: setup
	$(PY) book/_tools/bench.py

# The same benchmark with an earlier version of this package running beside this one (W1, the chain W2 and W3,
# interleaved), for a change that must not cost speed or memory: make bench-compare BEFORE=<git revision> [ROUNDS=41].
# Writes .build/bench-compare/.
BEFORE ?= HEAD
bench-compare: setup
	rm -rf .build/before && mkdir -p .build/before
	git archive "$(BEFORE)" micrograd | tar -x -C .build/before
	$(PY) book/_tools/bench.py --before .build/before --out .build/bench-compare $(if $(ROUNDS),--rounds $(ROUNDS),)

clean:
	rm -rf $(VENV) .build _book _site .pytest_cache .hypothesis *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
