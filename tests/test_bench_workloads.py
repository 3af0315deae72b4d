"""The benchmark's numpy and jaxlite workloads compute the same results (like is compared with like)."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import jaxlite as jax

PATH = Path(__file__).resolve().parent.parent / "website" / "bench" / "workloads.py"


@pytest.fixture(scope="module")
def workloads():
    if not PATH.exists():  # inside Pyodide only tests/ is copied
        pytest.skip("benchmark workloads are not shipped with the tests")
    spec = importlib.util.spec_from_file_location("workloads", PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_numpy_and_jaxlite_workloads_agree(workloads):
    d = workloads.inputs()
    ours, ref = workloads.jaxlite_workloads(d, "cpu"), workloads.numpy_workloads(d)
    assert ours.keys() == ref.keys()
    for name in ref:
        got = jax.tree_util.tree_leaves(ours[name]())
        want = jax.tree_util.tree_leaves(ref[name]())
        if name == "mlp_step":  # dict of params + loss vs tuple of params + loss
            got = [got[i] for i in (2, 0, 3, 1, 4)]  # sorted dict keys b1 b2 w1 w2 -> w1 b1 w2 b2
        assert len(got) == len(want), name
        for g, w in zip(got, want):
            np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=2e-3, atol=2e-3, err_msg=name)


def test_eager_ops_agree(workloads):
    d = workloads.inputs()
    ours, ref = workloads.eager_ops("jaxlite-cpu", d), workloads.eager_ops("numpy", d)
    assert list(ours) == list(ref) == workloads.EAGER_OPS
    for name in ref:
        got, want = ours[name](), ref[name]()
        assert got.shape == np.shape(want) and got.dtype == np.asarray(want).dtype, name
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6, err_msg=name)
