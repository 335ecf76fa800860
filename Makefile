# The two commands a newcomer needs:
#   make run    set up and run the gateway with sample data (`gateway demo`)
#   make test   set up and run the lint and the whole test suite
# Both make a virtual environment in .venv the first time.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8080

CHROMIUM ?= /usr/bin/chromium

.PHONY: run test install install-test browser postgresql messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'

# `gateway demo`: a board full of sample data and a kiosk, in ./demo, on
# 127.0.0.1:$(PORT). It prints where to sign in and the passwords.
run: install
	$(BIN)/gateway demo --port $(PORT)

# The kiosk's browser tests use Debian's chromium; browser downloads do not work.
browser:
	@test -x $(CHROMIUM) || { \
		echo "Installing Debian's chromium for the kiosk's browser tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

# The board's tests also run on PostgreSQL: they start Debian's binaries
# (initdb, postgres) themselves, in a folder of their own, and never use the
# server that the package may start.
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
		echo "Installing Debian's postgresql for the board's tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql; }

test: install-test browser postgresql
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# After changing any wording: refresh the template and every language's catalog.
messages: install-test
	$(BIN)/pybabel extract -F babel.cfg -c "TRANSLATORS:" --no-wrap --sort-by-file \
		--project="Co-production gateway" -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-wrap
