"""The CPython core suite (tests/) run inside Pyodide, in Node and in headless Chromium, with each
device as the default in turn: the cpu reference, wasm (the engine's WebAssembly through Pyodide's
js FFI) and webgpu (Dawn in Node, Chromium's WebGPU; SwiftShader on a machine without a GPU).
Synchronous readback from the GPU works because pytest-pyodide runs the code under
runPythonAsync, with JSPI.

Tests that compare against the `jax` oracle skip there (jax does not exist in Pyodide) and run
in the CPython layer; everything else, hypothesis property tests included, runs in Pyodide.
"""

import os
from pathlib import Path

import pytest
from pytest_pyodide import run_in_pyodide

TESTS = Path(__file__).resolve().parent.parent / "tests"


@run_in_pyodide(packages=["jaxlite", "pytest", "hypothesis"])
async def _run_suite(selenium, files, device):
    BACKEND_MODULES = ["test_backends.py", "test_wasm_backend.py", "test_webgpu_backend.py", "test_wasm_fft.py",
                       "test_wasm_linalg.py", "test_eager_speed.py", "test_wasm_eig.py",
                       "test_wasm_complex.py", "test_wasm_trig.py", "test_wasm_linalg_f64.py",
                       "test_wasm_linalg_complex.py", "test_wasm_eig_complex.py", "test_wasm_fft_f64.py"]
    # The webgpu modules use the webgpu device explicitly: they run where it is the default (Node's
    # Dawn and Chromium's WebGPU), not again in the cpu and wasm runs.
    WEBGPU_MODULES = ["test_webgpu_eager.py", "test_webgpu_fft.py", "test_webgpu_linalg.py",
                      "test_webgpu_complex.py", "test_webgpu_via_wasm.py", "test_webgpu_linalg_complex.py"]
    # The API-surface and semantics modules run once, with wasm (a page's default) as the default
    # device: they exercise the same kernels on every device, and the ones that compare devices
    # (integer edges, indexing modes) check each device explicitly, webgpu included.
    ONCE_MODULES = ["test_random.py", "test_nn.py", "test_lax_special.py", "test_scipy_special.py",
                    "test_scipy_stats.py", "test_scipy_special_more.py", "test_scipy_stats_more.py",
                    "test_scipy_optimize_signal.py", "test_numpy_arrays_extra.py", "test_numpy_math_extra.py",
                    "test_lax_extra.py", "test_lax_more.py", "test_api_extra.py", "test_api_more.py",
                    "test_tree_util_paths.py", "test_api_programs.py", "test_image_ops.py",
                    "test_semantics_ad.py", "test_semantics_errors.py", "test_semantics_errors2.py",
                    "test_semantics_indexing.py", "test_semantics_integers.py", "test_memory_pressure.py",
                    "test_threads.py", "test_linalg.py", "test_fft.py", "test_scipy_special_extra.py",
                    "test_kernel_ir.py", "test_display.py", "test_sph_harm_kde.py",
                    "test_lax_primitive_objects.py", "test_lax_tokens_rng.py", "test_numpy_scalar_types.py",
                    "test_jax_corpus.py",
                    "test_safetensors.py", "test_tokenizers.py", "test_examples.py", "test_build_docs.py",
                    "test_minilm.py", "test_optax.py", "test_import_graph.py", "test_jit_options.py",
                    "test_scipy_linalg_extra.py", "test_ufunc_objects.py"]
    import contextlib
    import io
    import os

    import pytest

    import jaxlite

    platforms = [d.platform for d in await jaxlite.init()]
    if device not in platforms:
        return [1, f"no {device} device in {platforms}"]
    # The default device for every test (each test file also checks every device explicitly).
    jaxlite.config.update("jax_default_device", device)

    root = "/tmp/jaxlite-tests"
    os.makedirs(root, exist_ok=True)
    for name, source in files.items():
        with open(f"{root}/{name}", "w") as f:
            f.write(source)
    os.chdir(root)
    # The backend modules test every device explicitly, whatever the default: once is enough.
    skip = [] if device == "cpu" else [f"--ignore={root}/{f}" for f in BACKEND_MODULES]
    if device != "wasm":
        skip += [f"--ignore={root}/{f}" for f in ONCE_MODULES if f in files]
    if device != "webgpu":
        skip += [f"--ignore={root}/{f}" for f in WEBGPU_MODULES if f in files]
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = pytest.main([root, "-q", "-rs", "-p", "no:cacheprovider", "-x", *skip])
    return [int(code), out.getvalue()]


@pytest.mark.driver_timeout(900)
@pytest.mark.parametrize("device", ["cpu", "wasm", "webgpu"])
def test_core_suite_in_pyodide(selenium, device):
    if selenium.browser == "chrome" and device != "webgpu" and not os.environ.get("JAXLITE_TEST_ALL"):
        # Node runs the same V8 WebAssembly and the same numpy; what only Chromium has is its WebGPU.
        # The page tests (REPL, demos, JupyterLite) run the wasm device in Chromium too.
        pytest.skip("the cpu and wasm runs in Chromium are in `make test-all`; Node covers them here")
    files = {p.name: p.read_text() for p in TESTS.glob("*.py")}
    code, output = _run_suite(selenium, files, device)
    summary = output.strip().splitlines()[-1]
    assert code == 0, output[-6000:]
    assert " passed" in summary and "failed" not in summary, summary
    skips = sorted({line.split(": ", 1)[-1] for line in output.splitlines() if line.startswith("SKIPPED")})
    print(f"[{selenium.browser}, {device}] {summary}; skip reasons: {skips}")
