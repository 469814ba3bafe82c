# `make lab` and `make test` set everything up themselves on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
NODE_TOOLS := .tools/node/node_modules/.bin/newman  # and httpyac: see their rule below
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json
# Jupyter refuses to run as root unless told; containers often run as root.
LAB_FLAGS ?= $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab test bench lint format clean tools

lab: $(VENV)/.lab  ## open JupyterLab on notebooks/
	$(BIN)/jupyter lab --notebook-dir=notebooks $(LAB_FLAGS)

test: $(VENV)/.test tools $(NODE_TOOLS)  ## the whole suite: unit, sandbox, notebooks, browser, snippets
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

bench: $(VENV)/.test  ## benchmarks, printed as ratios against a baseline measured in the same run
	@for script in benchmarks/bench_*.py; do $(BIN)/python $$script || exit 1; done

lint: $(VENV)/.test
	$(BIN)/ruff check .

format: $(VENV)/.test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# System tools the suite drives: Debian's chromium (the browser test), Go and a JDK (the
# snippets, run as their users run them). Installed with apt-get when missing and allowed
# (root); otherwise the tests that need them say so: skipped on a workstation, failed in CI.
tools:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v go >/dev/null || missing="$$missing golang-go"; \
	command -v keytool >/dev/null || missing="$$missing default-jdk-headless"; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing$$missing"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else \
		echo "make test: missing$$missing (apt-get install them as root); their tests will say so"; \
	fi

# newman and httpyac, which run the exported Postman collection and .http file (tests/
# test_exports_tools.py), installed with npm into an ignored folder; without npm, those tests
# say so.
$(NODE_TOOLS):
	@if command -v npm >/dev/null; then \
		mkdir -p .tools/node && npm install --silent --no-audit --no-fund --prefix .tools/node \
			newman httpyac >/dev/null; \
	else \
		echo "make test: npm is missing; the newman and httpyac round trips will say so"; \
	fi

# uv installs the package in seconds where pip takes most of a minute; it goes into the venv
# itself (pip installs it), and pip does the work wherever uv cannot run.
# a variable: a comma written inside $(call ...) would split its argument
TEST_EXTRAS := test,lab
install = { $(BIN)/uv pip install --quiet --python $(BIN)/python $(1) 2>/dev/null \
	|| $(BIN)/python -m pip install --quiet $(1); }

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	-$(BIN)/python -m pip install --quiet uv

$(VENV)/.test: pyproject.toml $(LAB_SETTINGS) | $(BIN)/python  # the browser test opens JupyterLab
	$(call install,-e '.[$(TEST_EXTRAS)]')
	@touch $@

$(VENV)/.lab: pyproject.toml $(LAB_SETTINGS) | $(BIN)/python
	$(call install,-e '.[lab]')
	@touch $@

# JupyterLab's defaults for this venv only (a user's own settings still win): no "Jupyter
# news?" question over the first notebook, no update check (everything here works offline).
$(LAB_SETTINGS): | $(BIN)/python
	@mkdir -p $(dir $@)
	@printf '%s\n' '{"@jupyterlab/apputils-extension:notification":' \
		'  {"fetchNews": "false", "checkForUpdates": false}}' > $@

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
