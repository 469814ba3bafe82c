# `make lab` and `make test` set everything up themselves on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Jupyter refuses to run as root unless told; containers often run as root.
LAB_FLAGS ?= $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab test bench lint format clean tools

lab: $(VENV)/.lab  ## open JupyterLab on notebooks/
	$(BIN)/jupyter lab --notebook-dir=notebooks $(LAB_FLAGS)

test: $(VENV)/.test tools  ## the whole suite: unit, sandbox, notebooks, browser, snippets
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

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.test: pyproject.toml | $(BIN)/python  # the browser test opens JupyterLab too
	$(BIN)/python -m pip install --quiet -e '.[test,lab]'
	@touch $@

$(VENV)/.lab: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[lab]'
	@touch $@

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
