# The one task runner. README and .ci/run call these targets verbatim.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: install serve test services lint typecheck bench bench-query demo clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml sdk/pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]' -e './sdk[dev]'
	touch $@

serve: install
	$(VENV)/bin/heron serve

demo: install
	$(VENV)/bin/heron demo

services:
	bash scripts/services.sh

test: install services
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check src tests benchmarks sdk
	$(VENV)/bin/ruff format --check src tests benchmarks sdk
	$(VENV)/bin/mypy

typecheck: install
	$(VENV)/bin/mypy

bench: install
	$(PY) benchmarks/ingest.py
	$(PY) benchmarks/query.py

clean:
	rm -rf $(VENV) .heron .pytest_cache .mypy_cache .ruff_cache
