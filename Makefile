# Everything the project needs, from nothing: `make demo` and `make test` are the two commands to know.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install demo serve test lint bench clean lock

install: $(STAMP)

# torch first, pinned: the CPU build on disk; otherwise a dependency would pull a multi-GB CUDA build.
# Everything else at the versions in constraints.txt, so a fresh machine installs what CI tested.
# Then `personas prepare`: the ONNX export and numba's clustering kernels, made once here rather than by the
# first server, worker or demo (one progress line each on stderr).
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	$(BIN)/personas prepare
	touch $(STAMP)

# Re-resolve pyproject.toml in a throwaway venv and write the versions it chose to constraints.txt.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet torch==2.13.0
	.lock-venv/bin/pip install --quiet -e ".[dev]"
	{ sed -n '1,2p' constraints.txt; .lock-venv/bin/pip freeze --exclude-editable | grep -vi '^torch=='; } > constraints.new
	mv constraints.new constraints.txt && rm -rf .lock-venv

demo: install
	$(BIN)/personas demo

serve: install
	$(BIN)/personas serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check service pipelines tests bench migrations
	$(BIN)/ruff format --check service pipelines tests bench migrations
	$(BIN)/mypy service pipelines
	$(BIN)/python .ci/check_structure.py service pipelines

# The suite runs on SQLite; when PERSONAS_TEST_DATABASE_URL is set (CI) the database tests run again on it.
test: lint
	env -u PERSONAS_TEST_DATABASE_URL $(BIN)/pytest
	if [ -n "$$PERSONAS_TEST_DATABASE_URL" ]; then $(BIN)/pytest tests/service; fi

# The polling benchmark's load tool is wrk, from Debian where allowed (without it: httpx pollers).
bench: install
	command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null 2>&1 || echo "no wrk: polling falls back to httpx pollers"
	$(BIN)/python -m bench.run_all --out BENCHMARKS.md

clean:
	rm -rf $(VENV) personas.db* .pytest_cache .mypy_cache .ruff_cache
