# The two commands of the README: `make demo` (set up, then train the default preset on the CPU)
# and `make test` (set up, then run the tests). Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PLUGINS := $(wildcard plugins/*)

.PHONY: demo test setup clean

$(BIN)/ganzoo: pyproject.toml $(addsuffix /pyproject.toml,$(PLUGINS))
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip "setuptools>=68,<81" wheel
	$(BIN)/pip uninstall --quiet --yes ganzoo 2>/dev/null || true  # the core under its former name (now ganzoo-core), in an older .venv
	$(BIN)/pip install --quiet --no-build-isolation -e ".[test,hub]" $(addprefix -e ,$(PLUGINS))
	touch $@

setup: $(BIN)/ganzoo

demo: setup
	$(BIN)/ganzoo train demo --device cpu

test: setup
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) runs
