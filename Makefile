# FounderDeck — `make run` starts the app on the embedded SQLite database with a demo workspace;
# `make test` runs the whole test suite. Both create .venv and install everything first.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt constraints.txt | cksum | cut -d' ' -f1)
PORT ?= 8501

.PHONY: run test lint venv clean-db

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

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

clean-db:
	rm -f data/founderdeck.db data/founderdeck.db-wal data/founderdeck.db-shm
