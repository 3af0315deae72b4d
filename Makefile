# jaxlite: every install step a fresh Debian machine needs lives here.
#   make serve   set up, then serve the site (REPL/demo) on http://127.0.0.1:8000/
#   make test    set up, then run every test layer (CPython, Pyodide in Node and Chromium, page)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON   ?= python3
VENV     := .venv
PY       := $(VENV)/bin/python
PIP      := $(PY) -m pip --disable-pip-version-check -q
PYTEST   := $(PY) -m pytest
CHROMIUM ?= /usr/lib/chromium/chromium
PYODIDE  := build/pyodide
STAMPS   := .stamps
PORT     ?= 8000
SUDO     := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
SOURCES  := $(shell find src -name '*.py' 2>/dev/null) pyproject.toml
VERSION   = $(shell sed -n 's/__version__ = "\(.*\)"/\1/p' src/jaxlite/version.py)
WHEEL     = dist/jaxlite-$(VERSION)-py3-none-any.whl

export JAXLITE_CHROMIUM := $(CHROMIUM)
# WebGPU in Node (Dawn) runs on SwiftShader's Vulkan, which ships with Debian's chromium.
export VK_ICD_FILENAMES ?= /usr/lib/chromium/vk_swiftshader_icd.json

.PHONY: help setup serve test test-all test-python test-python-cpu test-python-wasm test-pyodide test-page dist bench bench-gpu features clean distclean

help:
	@echo "make serve     set up and serve the site on http://127.0.0.1:$(PORT)/"
	@echo "make test      set up and run all test layers"
	@echo "make test-all  the same plus slow suites"
	@echo "make setup     install everything (system packages, venv, npm, Pyodide dist, wheel)"
	@echo "make dist      build the jaxlite wheel"
	@echo "make bench     benchmarks vs numpy-in-Pyodide, jax-js and native numpy -> BENCHMARKS.md"
	@echo "make bench-gpu webgpu vs jax-js on this machine's GPU (Node + Dawn) -> BENCHMARKS.md"
	@echo "make features  FEATURES.md: every public JAX name and its status in jaxlite"
	@echo "make clean     remove build outputs (keeps the download cache ~/.cache/jaxlite)"

# ---- setup ---------------------------------------------------------------------------------------

# Generated parts of the site (data files, JupyterLite, API reference); each block below adds its own.
SITE_PARTS :=

setup: $(STAMPS)/system $(STAMPS)/venv $(STAMPS)/npm $(PYODIDE)/pyodide-lock.json website/repl/editor.bundle.js site-parts

$(STAMPS)/system:
	@mkdir -p $(STAMPS)
	@if [ ! -x "$(CHROMIUM)" ] || ! /sbin/ldconfig -p | grep -q libvulkan.so.1; then \
	  echo "Installing Debian chromium (Playwright cannot download browsers here) and libvulkan1 (Dawn)"; \
	  $(SUDO) apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium libvulkan1 >/dev/null; \
	fi
	@if ! command -v node >/dev/null || ! command -v npm >/dev/null; then \
	  echo "Installing Node.js and npm"; \
	  $(SUDO) apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nodejs npm >/dev/null; \
	fi
	@node -e 'if (+process.versions.node.split(".")[0] < 18) { console.error("Node >= 18 needed, found " + process.version); process.exit(1) }'
	@test -x "$(CHROMIUM)" || { echo "error: no Chromium at $(CHROMIUM)"; exit 1; }
	@touch $@

$(STAMPS)/venv: pyproject.toml
	@mkdir -p $(STAMPS)
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python >= 3.11 needed"'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -U pip
	$(PIP) install -e ".[test,dev]"
	@touch $@

$(STAMPS)/npm: package.json
	@mkdir -p $(STAMPS)
	npm install --no-audit --no-fund --loglevel=error
	@touch $@

# The REPL's editor (CodeMirror 6 from npm) as one ES module, so the page fetches nothing at run time.
REPL_BUNDLE := website/repl/editor.bundle.js
$(REPL_BUNDLE): website/repl/editor.js $(STAMPS)/npm
	node_modules/.bin/esbuild $< --bundle --format=esm --minify --log-level=warning --outfile=$@

dist: $(WHEEL)

$(WHEEL): $(SOURCES) $(STAMPS)/venv
	@rm -f dist/jaxlite-*.whl
	$(PY) -m build --wheel --no-isolation --outdir dist . >/dev/null
	@ls $@

# The Pyodide dist is rebuilt whenever the wheel changes, so Pyodide always tests current code.
$(PYODIDE)/pyodide-lock.json: $(WHEEL) tools/pyodide_dist.py
	$(PY) tools/pyodide_dist.py $(PYODIDE) --wheel $(WHEEL)

# ---- site parts (each block appends its targets to SITE_PARTS) ------------------------------------

# ---- end of site parts ---------------------------------------------------------------------------
# After every block: a rule's prerequisites expand when make reads it.
.PHONY: site-parts
site-parts: $(SITE_PARTS)

# ---- run -----------------------------------------------------------------------------------------

serve: setup
	$(PY) tools/serve.py --port $(PORT)

test: setup test-python test-pyodide

test-all: setup
	$(MAKE) test PYTEST_MARK=""

PYTEST_MARK ?= not slow

# The CPython suite twice, side by side (one per core): on the numpy reference device, and with
# wasm (wasmtime) as the default. FEATURES.md must match the code.
test-python: setup
	$(PY) tools/features.py --check
	$(MAKE) -j2 --output-sync=target test-python-cpu test-python-wasm

test-python-cpu test-python-wasm: test-python-%: setup
	JAXLITE_DEFAULT_DEVICE=$* $(PYTEST) tests -m "$(PYTEST_MARK)" -q -p no:cacheprovider

# Pyodide layers: run_in_pyodide in Node and in headless Chromium, plus the page test (Playwright).
test-pyodide: setup
	$(PYTEST) pyodide-tests -m "$(PYTEST_MARK)" -q --dist-dir $(PYODIDE) --runtime node,chrome --runner playwright

# Benchmarks: every browser system in one headless Chromium page, plus native numpy; writes
# BENCHMARKS.md. BENCH_SYSTEMS picks the browser columns (see tools/bench.py).
BENCH_SYSTEMS ?= numpy,jaxlite-cpu,jaxlite-wasm,jaxlite-webgpu,jax-js-wasm,jax-js-webgpu
bench: setup
	$(PY) tools/bench.py --systems $(BENCH_SYSTEMS)

# GPU benchmarks: jaxlite webgpu vs jax-js webgpu in Node with Dawn on this machine's Vulkan GPU.
bench-gpu: setup
	$(PY) tools/bench_gpu.py run

# FEATURES.md from real JAX's public names and jaxlite's status marks (checked by test-python).
features: $(STAMPS)/venv
	$(PY) tools/features.py

clean:
	rm -rf build dist $(STAMPS) src/*.egg-info .pytest_cache test-results

distclean: clean
	rm -rf $(VENV) node_modules
