# gewe-sdk: the project's front door. `make help` lists the targets.
# Everything a target needs (the .venv from pinned requirements, Prism from npm) is installed
# by the Makefile itself, so a fresh clone needs only python3 (3.11+), node and npm.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
VENV_STAMP := $(VENV)/.installed
PRISM_DIR := .tools/prism
PRISM := $(PRISM_DIR)/node_modules/.bin/prism
export GEWE_PRISM := $(abspath $(PRISM))
PYTEST_ARGS ?=
CORPUS := build/corpus
# make diff / bump / check / wheel / update compare with BASE (a git ref); empty: the one rule in
# tools/gewe_release/gitbase.py (the commit of the CHANGELOG.md entry of HEAD's version, else ...).
BASE ?=
RELEASE := $(PY) -m tools.gewe_release $(if $(BASE),--base '$(BASE)')
# make pull reads the doc site in openapi/docs-site.toml, or DOCS=<site URL>; make mock serves on MOCK_PORT.
DOCS ?=
MOCK_PORT ?= 4010
PRISM_MOCK ?=

.PHONY: help venv prism pull spec generate diff bump update check lint typecheck test unit corpus wheel publish demo mock bench clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(VENV_STAMP): requirements/dev.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

venv: $(VENV_STAMP) ## Create .venv from requirements/dev.txt and install the SDK into it (editable)

$(PRISM): tools/prism/package.json tools/prism/package-lock.json
	mkdir -p $(PRISM_DIR)
	cp tools/prism/package.json tools/prism/package-lock.json $(PRISM_DIR)/
	cd $(PRISM_DIR) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

prism: $(PRISM) ## Install the pinned Prism mock server into .tools/ (git-ignored)

pull: $(VENV_STAMP) ## Download every page of GeWe's doc site (DOCS=<site URL> for another) into openapi/exports/
	$(PY) -m tools.gewe_pull $(if $(DOCS),--site '$(DOCS)')

spec: $(VENV_STAMP) ## Bundle openapi/exports/ into openapi/gewe.yaml
	$(PY) -m tools.gewe_spec --exports openapi/exports --out openapi/gewe.yaml

generate: $(VENV_STAMP) ## Regenerate generated/gewe_api from openapi/gewe.yaml
	$(PY) tools/generate.py

diff: $(VENV_STAMP) ## Report spec and Python API changes since BASE (default: the current version's release), breaking or not
	@$(RELEASE) diff

bump: $(VENV_STAMP) ## Set the version the `make diff` report requires and prepend its CHANGELOG.md entry
	$(RELEASE) bump

update: $(VENV_STAMP) ## pull, spec, generate, diff; ends saying whether to run `make bump` (never bumps)
	$(MAKE) --no-print-directory pull spec generate
	@$(RELEASE) diff
	@$(RELEASE) answer

check: $(VENV_STAMP) ## Fail if openapi/gewe.yaml or generated/ is stale, or a breaking change lacks its bump
	$(PY) -m tools.gewe_spec --exports openapi/exports --out openapi/gewe.yaml --check
	$(PY) tools/generate.py --check
	$(RELEASE) check

lint: $(VENV_STAMP) ## ruff over the hand-written code
	$(BIN)/ruff check overrides tools tests bench examples
	$(BIN)/ruff format --check overrides tools tests bench examples

typecheck: $(VENV_STAMP) ## mypy --strict over overrides/, generated/ and examples/
	$(BIN)/mypy --strict overrides/gewe generated/gewe_api examples

unit: $(VENV_STAMP) ## Only the fast tests (no Prism, no wheels)
	$(PY) -m pytest -m "not prism and not slow" $(PYTEST_ARGS)

test: $(VENV_STAMP) $(PRISM) check lint typecheck ## Everything CI runs: check, lint, types, the whole test suite and the corpus
	$(PY) -m pytest $(PYTEST_ARGS)
	$(MAKE) --no-print-directory corpus

corpus: $(VENV_STAMP) $(PRISM) ## Spec, generation, api.md, mypy and the Prism contract suite over 160 synthetic pages
	rm -rf $(CORPUS)
	$(PY) -m tests.fixtures.corpus $(CORPUS)/exports
	@# our own pages beside the corpus's exports, as openapi/pages/ is beside openapi/exports/
	cp -r openapi/pages $(CORPUS)/pages
	@# the full report (every warning) goes to a file; its summary line and count are shown
	$(PY) -m tools.gewe_spec --exports $(CORPUS)/exports --out $(CORPUS)/gewe.yaml 2>$(CORPUS)/spec-report.txt \
		|| { cat $(CORPUS)/spec-report.txt; exit 1; }
	@grep -E '^(read|[0-9]+ warnings?) ' $(CORPUS)/spec-report.txt; echo "  (all of them: $(CORPUS)/spec-report.txt)"
	$(PY) tools/generate.py --spec $(CORPUS)/gewe.yaml --out $(CORPUS)/pkg/gewe_api --api-md $(CORPUS)/api.md
	MYPYPATH=$(CORPUS)/pkg $(BIN)/mypy --strict --cache-dir $(CORPUS)/.mypy_cache -p gewe -p gewe_api
	GEWE_TEST_SPEC=$(CORPUS)/gewe.yaml PYTHONPATH=$(CORPUS)/pkg $(PY) -m pytest -q -p no:cacheprovider tests/contract/test_prism_contract.py tests/spec/test_apidoc.py

wheel: $(VENV_STAMP) check ## Build the wheel into dist/; refused while a change since BASE lacks `make bump`
	$(RELEASE) ready
	rm -rf dist
	$(PY) -m build --wheel --no-isolation --outdir dist .

publish: check wheel ## Upload dist/ to GEWE_INDEX_URL (GEWE_INDEX_USER, GEWE_INDEX_PASSWORD); never if `make check` fails
	$(PY) tools/publish.py dist

demo: $(VENV_STAMP) $(PRISM) check ## Start Prism as the GeWe cloud and fetch a group QR through the SDK
	$(PY) tools/demo.py

mock: $(VENV_STAMP) ## A fake GeWe (gewe.testing) on 127.0.0.1:4010 (MOCK_PORT=...) until Ctrl-C; PRISM_MOCK=1 for Prism
	$(if $(PRISM_MOCK),$(MAKE) --no-print-directory prism && )$(PY) tools/mock.py --port $(MOCK_PORT) $(if $(PRISM_MOCK),--prism)

bench: $(VENV_STAMP) ## Run bench/ and write docs/benchmarks.md (not part of `make test`)
	$(PY) bench/run.py

clean: ## Remove build output and caches (keeps .venv and .tools)
	rm -rf dist build .pytest_cache .mypy_cache .ruff_cache
	find . -name __pycache__ -not -path './.venv/*' -not -path './.tools/*' -prune -exec rm -rf {} +
