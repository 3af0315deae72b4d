"""Transcendental functions of the wasm kernels: float32 results within 1 ulp of the exact value
(computed by numpy in float64) over wide ranges, and IEEE special values as numpy has them."""

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp

if "wasm" not in [d.platform for d in jax.devices()]:
    pytest.skip("no WebAssembly engine here", allow_module_level=True)

WASM = jax.devices("wasm")[0]
CASES = {
    "exp": (np.exp, -110, 95), "expm1": (np.expm1, -30, 90), "exp2": (np.exp2, -160, 130),
    "log": (np.log, 0, 1e30), "log1p": (np.log1p, -0.999, 1e10), "tanh": (np.tanh, -30, 30),
    "logistic": (lambda x: 1 / (1 + np.exp(-x)), -100, 100), "sin": (np.sin, -1e4, 1e4),
    "cos": (np.cos, -1e4, 1e4), "tan": (np.tan, -100, 100), "arctan": (np.arctan, -1e6, 1e6),
    "arcsin": (np.arcsin, -1, 1), "arccos": (np.arccos, -1, 1), "sinh": (np.sinh, -89, 89),
    "cosh": (np.cosh, -89, 89), "arcsinh": (np.arcsinh, -1e30, 1e30), "arccosh": (np.arccosh, 1, 1e30),
    "arctanh": (np.arctanh, -1, 1),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_float32_within_one_ulp_and_specials(name):
    ref, lo, hi = CASES[name]
    rng = np.random.default_rng(0)
    top = 80 if name not in ("sin", "cos", "tan") else np.log(4.2e8)  # documented reduction range
    x = np.concatenate([rng.uniform(lo, hi, 4000), rng.uniform(-1, 1, 2000) * min(1, hi),
                        np.exp(rng.uniform(-80, top, 2000)) * np.sign(lo + hi + 1e-9),
                        [0.0, -0.0, np.inf, -np.inf, np.nan, lo, hi, 1e-30, -1e-30, 1e-45]]).astype(np.float32)
    fn = jax.lax.logistic if name == "logistic" else getattr(jnp, name)
    got = np.asarray(fn(jax.device_put(x, WASM)))
    with np.errstate(all="ignore"):
        exact = ref(x.astype(np.float64))
        want = exact.astype(np.float32)
    finite = np.isfinite(want)
    ulps = np.abs(got[finite].astype(np.float64) - exact[finite]) / np.abs(np.spacing(want[finite]))
    assert ulps.max() <= 1.0, (name, float(ulps.max()), x[finite][np.argmax(ulps)])
    special_ok = (got[~finite] == want[~finite]) | (np.isnan(got[~finite]) & np.isnan(want[~finite]))
    assert special_ok.all(), (name, x[~finite][~special_ok], got[~finite][~special_ok])


def test_float64_inputs_are_accurate():
    x = np.linspace(-20, 20, 1001)
    for name in ("exp", "tanh", "sin", "log1p"):
        fn = getattr(jnp, name)
        xx = np.abs(x) if name == "log1p" else x
        with jax.default_device(WASM):
            jax.config.update("jax_enable_x64", True)
            try:
                got = np.asarray(fn(jax.device_put(xx, WASM)))
            finally:
                jax.config.update("jax_enable_x64", False)
        np.testing.assert_allclose(got, getattr(np, name)(xx), rtol=1e-13, atol=1e-300)
