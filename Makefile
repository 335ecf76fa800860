# The two commands a newcomer needs:
#   make run    set up and run the gateway on its embedded defaults
#   make test   set up and run the lint and the whole test suite
# Both make a virtual environment in .venv the first time.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8080

CHROMIUM ?= /usr/bin/chromium
KIOSK_URL := http://$(HOST):$(PORT)

.PHONY: run test install install-test browser messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'

# Shows the demo kiosk at this run's address (HOST, PORT), whatever it was added
# with; `gateway kiosk list` shows each kiosk at the address it was added with.
run: install
	$(BIN)/gateway init
	$(BIN)/gateway kiosk list | grep -q '^Demo kiosk ' || \
		$(BIN)/gateway kiosk add "Demo kiosk" --base-url $(KIOSK_URL) >/dev/null
	$(BIN)/gateway kiosk list --base-url $(KIOSK_URL) | grep '^Demo kiosk '
	$(BIN)/gateway serve --host $(HOST) --port $(PORT)

# The kiosk's browser tests use Debian's chromium; browser downloads do not work.
browser:
	@test -x $(CHROMIUM) || { \
		echo "Installing Debian's chromium for the kiosk's browser tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

test: install-test browser
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# After changing any wording: refresh the template and every language's catalog.
messages: install-test
	$(BIN)/pybabel extract -F babel.cfg -c "TRANSLATORS:" --no-wrap --sort-by-file \
		--project="Co-production gateway" -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-wrap
