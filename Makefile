# Accord. `make run` and `make test` each install what they need first.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test check lint format messages bench clean browser-deps

$(STAMP): pyproject.toml requirements/lock.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/lock.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)
	$(BIN)/python scripts/compile_messages.py

run: install
	$(BIN)/accord migrate --no-input
	$(BIN)/accord demo
	$(BIN)/accord serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy accord

check: install
	$(BIN)/accord check --fail-level WARNING
	$(BIN)/accord makemigrations --check --dry-run
	$(BIN)/python scripts/check_translations.py

# Browser tests need Debian's Chromium; installed here when we are root (CI), skipped otherwise.
browser-deps:
	@bash scripts/ensure-chromium.sh

# Browser tests flush the database between tests (live server), so they run on their own.
test: lint check browser-deps
	$(BIN)/pytest -n 2 --dist loadfile -q -m "not browser and not transactional"
	$(BIN)/pytest -q -m "browser or transactional"

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages: install
	$(BIN)/accord makemessages -l ru -l fr -l de --no-obsolete --ignore=.venv --ignore=var --ignore=bench
	$(BIN)/python scripts/compile_messages.py

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) var
