# Two commands for a newcomer: `make demo` and `make test`. Everything else is a helper.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Demo configuration (override on the command line, e.g. `make demo PEOPLE=5000`).
PEOPLE ?= 20000
SEED ?= 2024
export VERU_LANDING_DIR ?= landing
export VERU_WAREHOUSE ?= warehouse/veru.duckdb
export VERU_HASH_KEY_FILE ?= secrets/dev.key
export VERU_REFERENCE_DIR ?= reference
export DAGSTER_HOME ?= $(CURDIR)/dagster_home
# Synthetic ground truth: enables the linkage evaluation asset (demo only; production has none).
export VERU_TRUTH_DIR ?= truth
# Feed freshness is judged as of this date. The synthetic extracts cover 2023-2024 (last delivery
# 2025-01-05), so the demo looks at them a week later; unset in production, where it means today.
export VERU_AS_OF ?= 2025-01-12
export VERU_QUARANTINE_DIR ?= quarantine
export VERU_DASHBOARD_DIR ?= quality_site

.PHONY: demo materialise test lint bench dev notebooks dagster-home browser venv clean lock

venv: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==25.3"
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[dev]"
	touch $(STAMP)

# The demo starts afresh: a new synthetic landing zone, so no warehouse, quarantine or dashboard
# state from an earlier demo (`make materialise` keeps them).
demo: $(STAMP) dagster-home
	rm -rf "$(VERU_QUARANTINE_DIR)" "$(VERU_DASHBOARD_DIR)" "$(VERU_WAREHOUSE)" "$(VERU_WAREHOUSE).wal" \
		warehouse/linkage_zone.duckdb warehouse/linkage_zone.duckdb.wal warehouse/analyst.duckdb warehouse/analyst.duckdb.wal \
		warehouse/analyst_restricted.duckdb warehouse/analyst_restricted.duckdb.wal warehouse/linkage_reports
	$(BIN)/python -m dagster_project.keys ensure-dev-key "$(VERU_HASH_KEY_FILE)"
	$(BIN)/veru-synth --people $(PEOPLE) --seed $(SEED) --landing "$(VERU_LANDING_DIR)" --truth truth --reference "$(VERU_REFERENCE_DIR)" --replace
	$(BIN)/dagster asset materialize -m dagster_project.definitions --select '*'
	$(BIN)/python -m dagster_project.tools.report --truth truth/ground_truth.csv

# Materialise every asset again on what is in the landing zone now (no new synthetic data), then
# report; e.g. after `veru-break`: `make materialise VERU_AS_OF=2025-07-15`.
materialise: $(STAMP) dagster-home
	$(BIN)/dagster asset materialize -m dagster_project.definitions --select '*'
	$(BIN)/python -m dagster_project.tools.report --truth truth/ground_truth.csv

# The Dagster UI on http://localhost:3000, with the same environment as the demo.
dev: $(STAMP) dagster-home
	$(BIN)/dagster dev -m dagster_project.definitions

# JupyterLab on the analyst notebooks (stored as .py with jupytext; they read the analyst snapshot).
# Jupyter runs each notebook from notebooks/, so the snapshots' paths are made absolute here.
notebooks: $(STAMP)
	VERU_ANALYST_SNAPSHOT="$(abspath $(or $(VERU_ANALYST_SNAPSHOT),warehouse/analyst.duckdb))" \
	VERU_RESTRICTED_SNAPSHOT="$(abspath $(or $(VERU_RESTRICTED_SNAPSHOT),warehouse/analyst_restricted.duckdb))" \
	$(BIN)/jupyter lab --notebook-dir=notebooks --ServerApp.ip=127.0.0.1

dagster-home:
	mkdir -p "$(DAGSTER_HOME)" warehouse
	cmp -s deploy/dagster.yaml "$(DAGSTER_HOME)/dagster.yaml" || cp deploy/dagster.yaml "$(DAGSTER_HOME)/dagster.yaml"

# Two workers, one per core (tests/conftest.py keeps a file's tests, and the shared world's, together).
test: $(STAMP) browser lint
	$(BIN)/python -m pytest -n 2 --dist loadgroup --durations=15

# The one-way house (README, Layout): the layering contracts in pyproject.toml, then ruff's
# rules and layout (pyproject.toml, [tool.ruff]); `$(BIN)/ruff format` fixes the layout.
lint: $(STAMP)
	$(BIN)/lint-imports --no-cache
	$(BIN)/ruff check --no-cache
	$(BIN)/ruff format --check --no-cache

# The browser tests open the linkage dashboards in Debian's headless Chromium (installed if missing).
SUDO := $(shell [ "$$(id -u)" = 0 ] || command -v sudo)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for the browser tests"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

# Throughput, wall time and memory at 1,000,000 records (override: make bench RECORDS=200000).
RECORDS ?= 1000000
bench: $(STAMP)
	$(BIN)/python -m dagster_project.tools.bench --records $(RECORDS)

# Regenerate requirements.lock from a clean environment (maintainers only).
lock:
	rm -rf /tmp/veru-lock-venv
	$(PYTHON) -m venv /tmp/veru-lock-venv
	/tmp/veru-lock-venv/bin/python -m pip install --quiet --upgrade "pip==25.3"
	/tmp/veru-lock-venv/bin/python -m pip install --quiet -e ".[dev]"
	/tmp/veru-lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^-e' > requirements.lock

clean:
	rm -rf $(VENV) landing truth reference warehouse/*.duckdb* dagster_home linkage_models/runs quarantine quality_site
