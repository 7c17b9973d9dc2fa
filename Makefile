# Quick start: `make run` and `make test` work on a fresh clone (they create .venv and install).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.zhewen-installed

.PHONY: run test bench lint serve telegram chat build clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	$(BIN)/zhewen content build
	touch $(STAMP)

# The Telegram bot when TELEGRAM_BOT_TOKEN is set (environment or .env), else the terminal chat.
run: $(STAMP)
	@if [ -n "$$TELEGRAM_BOT_TOKEN" ] || grep -qsE '^[[:space:]]*TELEGRAM_BOT_TOKEN[[:space:]]*=[[:space:]]*[^[:space:]#]' .env; then \
		exec $(BIN)/zhewen telegram; \
	else \
		exec $(BIN)/zhewen chat; \
	fi

# -rs: say why tests were skipped (the PostgreSQL ones, on a machine without the server).
test: $(STAMP)
	$(BIN)/python -m pytest -q -rs

bench: $(STAMP)
	for script in tests/bench_*.py; do $(BIN)/python $$script || exit 1; done

lint: $(STAMP)
	$(BIN)/ruff check bot retrieval content tests

serve: $(STAMP)
	$(BIN)/zhewen serve

build: $(STAMP)
	$(BIN)/zhewen content build --report

clean:
	rm -rf $(VENV) content/build .pytest_cache
