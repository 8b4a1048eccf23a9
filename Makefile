# One command each: `make app`, `make viewer`, `make train`, `make worker`, `make test`, `make lint`.
# Each sets up .venv first (only when requirements changed).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The data setting: EXPLORER_DATA if set, else the shared IMDB folder beside the clone, else the Hub.
EXPLORER_DATA ?= $(if $(wildcard ../shared/data/imdb/train.parquet),$(abspath ../shared/data/imdb),stanfordnlp/imdb)
export EXPLORER_DATA

.PHONY: setup app viewer train worker test test-fast lint format bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed

app: setup
	$(BIN)/streamlit run streamlit_app.py

# The read-only viewer of the committed example studies (studies/examples.db).
viewer: setup
	EXPLORER_READ_ONLY=1 $(BIN)/streamlit run streamlit_app.py

train: setup
	$(BIN)/python -m core train $(ARGS)

# Train the Playground's runs of every app server that shares EXPLORER_STORAGE (docs/hosting.md).
worker: setup
	$(BIN)/python -m core worker $(ARGS)

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: setup
	$(BIN)/python -m pytest -m "not slow and not browser" $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy | $(BIN)/mypy-baseline filter --no-colors

format: setup
	$(BIN)/ruff format .

bench: setup
	$(BIN)/python -m benchmarks.padding

clean:
	rm -rf $(VENV) .cache .pytest_cache .ruff_cache
