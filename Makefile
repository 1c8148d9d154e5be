# FounderDeck — `make run` starts the app on the embedded SQLite database with a demo workspace;
# `make test` runs the whole test suite. Both create .venv and install everything first.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt constraints.txt | cksum | cut -d' ' -f1)
PORT ?= 8501

.PHONY: run pitch test lint reliability bench quality venv clean-db

venv: $(STAMP)

$(STAMP): requirements.txt constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -c constraints.txt
	@rm -f $(VENV)/.installed-* && touch $@

run: $(STAMP)
	$(BIN)/python -m db upgrade
	$(BIN)/python -m db demo
	$(BIN)/streamlit run app.py --server.port $(PORT) --browser.gatherUsageStats false

# Read-only pitch mode: only the pitch view of one workspace (FOUNDERDECK_PITCH_WORKSPACE = id or name, else the
# first), no navigation to the other pages and no write path.
pitch: $(STAMP)
	$(BIN)/python -m db upgrade
	$(BIN)/python -m db demo
	$(BIN)/streamlit run app.py --server.port $(PORT) --browser.gatherUsageStats false -- --pitch

test: $(STAMP)
	$(BIN)/python -m pytest

# Figures for the README's Reliability section: 1,000 generated cases per property, the
# 8-process concurrency run, fault handling and the browser security checks, with their counts.
reliability: $(STAMP)
	FOUNDERDECK_PROPERTY_EXAMPLES=1000 $(BIN)/python -m pytest -q -s -p no:cacheprovider \
		tests/db/test_validation_properties.py tests/db/test_cli_properties.py tests/db/test_concurrency.py \
		tests/db/test_transaction.py tests/db/test_io_properties.py tests/db/test_import_kill.py tests/db/test_backup.py tests/modelhub/test_job_kill_resume.py \
		tests/test_cli_compute_properties.py tests/test_cli_schedule_properties.py tests/modelhub/test_modelhub_cli_properties.py \
		tests/test_revenue_properties.py \
		tests/e2e/test_security.py

# Every benchmark in bench/, each against a reference measured in the same run, then one table of ratios.
bench: $(STAMP)
	$(BIN)/python -m bench

# Modelhub quality bars: every model with a bar trained in its default config (tens of minutes on 2 cores),
# then one table of model, metric, bar, measured value and pass/fail; exits 1 if any model misses its bar.
quality: $(STAMP)
	$(BIN)/python -m modelhub.quality

lint: $(STAMP)
	$(BIN)/ruff check .

clean-db:
	rm -f data/founderdeck.db data/founderdeck.db-wal data/founderdeck.db-shm
