# csresearch: the two commands that matter are `make report` and `make test`.
# Both create .venv when it is missing; only Python >= 3.11 and make are needed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
SAMPLE := data/sample
REPORTS ?= reports
JOBS   ?= 2
# Extras `make test` installs; CI adds spark (.ci/run: make test TEST_EXTRAS=test,spark).
TEST_EXTRAS ?= test
comma := ,
TEST_STAMP := $(VENV)/.installed-$(subst $(comma),-,$(TEST_EXTRAS))

.PHONY: help venv report test sample lab bench clean

help:
	@echo "make report   set up .venv and run the whole suite on $(SAMPLE) into $(REPORTS)/"
	@echo "make test     set up .venv with test extras and run the whole test suite"
	@echo "              (TEST_EXTRAS=test,spark also installs pyspark: the Spark test then runs, given Java 17)"
	@echo "make sample   regenerate $(SAMPLE) with the seeded generator"
	@echo "make lab      start JupyterLab; the suite's .py notebooks open as notebooks"
	@echo "make bench    run the benchmarks (slow; see benchmarks/README.md)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Re-install whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e .
	@touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e ".[$(TEST_EXTRAS)]"
	@touch $@ $(VENV)/.installed

$(VENV)/.installed-lab: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e ".[lab]"
	@touch $@

venv: $(VENV)/.installed

report: $(VENV)/.installed
	$(BIN)/csresearch run $(SAMPLE) -o $(REPORTS) --jobs $(JOBS)

test: $(TEST_STAMP)
	$(BIN)/python -m pytest -n $(JOBS) --dist loadgroup

sample: $(VENV)/.installed
	$(BIN)/python -m csresearch.cli.sample $(SAMPLE)

# JupyterLab opens the suite's notebooks (src/csresearch/notebooks/*.py, jupytext percent
# format; notebooks/ links there) as notebooks on double-click. As root (a container),
# JupyterLab needs --allow-root.
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json
LAB_ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
lab: $(VENV)/.installed-lab
	@mkdir -p $(dir $(LAB_SETTINGS))
	@echo '{"@jupyterlab/docmanager-extension:plugin": {"defaultViewers": {"python": "Jupytext Notebook"}}}' > $(LAB_SETTINGS)
	$(BIN)/jupyter lab --notebook-dir=src/csresearch/notebooks $(LAB_ROOT_FLAG)

bench: $(TEST_STAMP)
	$(BIN)/python benchmarks/bench_features.py --write-results
	$(BIN)/python benchmarks/bench_usage.py --write-results

clean:
	rm -rf $(VENV) $(REPORTS) .pytest_cache
