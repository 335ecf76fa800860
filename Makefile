# The two commands a newcomer needs:
#   make run    set up and run the gateway on its embedded defaults
#   make test   set up and run the lint and the whole test suite
# Both make a virtual environment in .venv the first time.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8080

.PHONY: run test install install-test messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'

run: install
	$(BIN)/gateway init
	$(BIN)/gateway serve --host $(HOST) --port $(PORT)

test: install-test
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# After changing any wording: refresh the template and every language's catalog.
messages: install-test
	$(BIN)/pybabel extract -F babel.cfg -c "TRANSLATORS:" --no-wrap --sort-by-file \
		--project="Co-production gateway" -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-wrap
