"""The core issue's acceptance programs (tests/test_programs.py) run inside Pyodide and are compared
with real JAX's results, computed on the host in the same test run."""

from pathlib import Path

import numpy as np
import pytest
from pytest_pyodide import run_in_pyodide

PROGRAMS_SRC = (Path(__file__).resolve().parent.parent / "tests" / "test_programs.py").read_text()
NAMES = ["_mlp_program", "_rnn_program", "_newton_program", "_custom_vjp_program"]


def _jax_reference():
    import jax
    import jax.numpy as jnp

    namespace = {"__name__": "programs"}
    exec(compile(_strip_conftest(PROGRAMS_SRC), "test_programs.py", "exec"), namespace)
    out = {}
    for name in NAMES:
        leaves = jax.tree_util.tree_leaves(namespace[name](jax, jnp))
        out[name] = [[np.asarray(x).tolist(), str(np.asarray(x).dtype)] for x in leaves]
    return out


def _strip_conftest(src: str) -> str:
    # The programs need only numpy; the CPython test helpers are replaced by inert stand-ins.
    lines = [line for line in src.splitlines() if not line.startswith("from conftest import")]
    return "needs_jax = lambda f: f\nassert_close = real_jax = real_jnp = None\n" + "\n".join(lines)


@run_in_pyodide(packages=["jaxlite", "pytest"])
def _run_programs(selenium, source, names, reference):
    import numpy as np

    import jaxlite
    import jaxlite.numpy as jnp

    namespace = {"__name__": "programs"}
    exec(compile(source, "test_programs.py", "exec"), namespace)
    report = []
    for name in names:
        leaves = jaxlite.tree_util.tree_leaves(namespace[name](jaxlite, jnp))
        want = reference[name]
        assert len(leaves) == len(want), (name, len(leaves), len(want))
        for got, (values, dtype) in zip(leaves, want):
            got = np.asarray(got)
            assert str(got.dtype) == dtype, (name, got.dtype, dtype)
            np.testing.assert_allclose(got, np.asarray(values, dtype=dtype), rtol=2e-4, atol=2e-5, err_msg=name)
        report.append(f"{name}: {len(leaves)} arrays match JAX")
    return report


@pytest.mark.driver_timeout(300)
def test_programs_match_jax_inside_pyodide(selenium):
    reference = _jax_reference()
    report = _run_programs(selenium, _strip_conftest(PROGRAMS_SRC), NAMES, reference)
    assert len(report) == len(NAMES), report
