# One command each: `make test`, `make reports`, `make lab`; `make lock` refreshes the pinned versions.
# Needs only Python 3.11+ and make: the virtual environment is created and filled on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
READY  := $(VENV)/.ready

.PHONY: test reports lab lock clean package-data

$(READY): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "innostudy needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

test: $(READY)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/python -m pytest

# Runs only what changed since the last run; `make reports ARGS=--force` runs everything.
reports: $(READY)
	$(BIN)/innostudy run --out reports $(ARGS)

# `make lab ARGS="--port 8890 --no-browser"` passes options on; as root JupyterLab needs --allow-root.
ARGS ?=
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
lab: $(READY)
	$(BIN)/jupyter lab notebooks/ $(ROOT_FLAG) $(ARGS)

# Copy data/ (where the tables are edited) into the package, so that an installed wheel carries them.
package-data: $(READY)
	$(BIN)/python -c 'from innostudy.paths import refresh_packaged_data as r; print(r() or "up to date")'

# Resolve the ranges in pyproject.toml afresh in a scratch environment and pin what was installed.
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --disable-pip-version-check ".[dev]"
	.lock-venv/bin/python -m pip freeze --all --exclude-editable | grep -v '^innostudy\|^pip==' > requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) reports .pytest_cache .ruff_cache
