# socialops: `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
JOBS ?= 2

.PHONY: help setup setup-spark setup-postgres reports test test-fast lint bench lab course browser-deps office-deps clean

help: ## List the targets with what they do
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

setup: $(STAMP) ## Create .venv/ and install socialops, test tools and the Jupyter kernel (idempotent)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name socialops --display-name "socialops" >/dev/null
	@touch $(STAMP)

reports: setup ## Run every chapter on the sample data into reports/
	$(BIN)/socialops run --data data/samples --out reports --jobs $(JOBS)

setup-spark: setup ## Install PySpark and, where missing, a Java runtime (apt-get) for --engine spark
	@$(BIN)/python -c "import pyspark" 2>/dev/null || $(BIN)/python -m pip install --quiet -e ".[dev,spark]"
	@if command -v java >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null) \
	  || echo "warning: could not install openjdk-17-jre-headless; Spark tests will be skipped"; \
	else echo "note: install a Java runtime (17 or later, e.g. openjdk-17-jre-headless) to use --engine spark"; fi

setup-postgres: setup ## Install the PostgreSQL driver and, where missing, Debian's postgresql server (apt-get) for its test
	@$(BIN)/python -c "import psycopg" 2>/dev/null || $(BIN)/python -m pip install --quiet -e ".[dev,postgres]"
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) \
	  || echo "warning: could not install postgresql; the PostgreSQL test will be skipped"; \
	else echo "note: install postgresql (Debian) to run the PostgreSQL test"; fi

browser-deps: ## Install headless Chromium and a CJK font for the browser tests (apt-get)
	@if command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null) \
	  || echo "warning: could not install chromium and fonts-noto-cjk; browser tests will be skipped"; \
	else echo "note: install chromium and fonts-noto-cjk (Debian) to run the browser tests"; fi

office-deps: ## Install LibreOffice Impress, poppler-utils and a CJK font for the deck tests (apt-get)
	@if command -v soffice >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    libreoffice-impress poppler-utils fonts-noto-cjk >/dev/null) \
	  || echo "warning: could not install libreoffice-impress, poppler-utils and fonts-noto-cjk; deck tests will be skipped"; \
	else echo "note: install libreoffice-impress, poppler-utils and fonts-noto-cjk (Debian) to run the deck tests"; fi

lint: setup ## Lint the library, tests and notebooks with ruff
	$(BIN)/ruff check lib tests notebooks

test: setup setup-spark setup-postgres browser-deps office-deps lint ## Lint, then run every test (unit, contract, CLI, notebook, report, browser, deck, Spark, PostgreSQL)
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile

test-fast: setup ## Unit tests only (no notebook runs)
	$(BIN)/python -m pytest -n $(JOBS) -m "not notebook and not browser"

bench: setup ## Measure the performance goals at 1M, 10M and 100M events (BENCH_SIZES=...); writes reports/bench.json and the README's goals
	$(BIN)/python -m socialops.bench --out reports/bench.json --readme README.md

lab: setup ## Open JupyterLab on the notebooks with the socialops kernel
	$(BIN)/jupyter lab --notebook-dir=notebooks

course: setup ## Build the course site: reports/course/student/ and reports/course/trainer/ (solutions, guides)
	for lang in en zh; do $(BIN)/socialops run --data data/samples --audience analyst --lang $$lang \
	  --out reports/course/notebooks/$$lang --jobs $(JOBS) || exit $$?; done
	$(BIN)/python -m socialops.course --run-dir reports/course/notebooks --out reports/course/student
	$(BIN)/python -m socialops.course --run-dir reports/course/notebooks --trainer --out reports/course/trainer

clean: ## Remove generated reports and caches (keeps .venv/)
	rm -rf reports .pytest_cache .ruff_cache
