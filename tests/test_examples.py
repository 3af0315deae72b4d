"""examples/ as programs: the digits MLP learns (>= 90% test accuracy in a bounded, seeded run)
and the Mandelbrot/Julia escape counts equal a plain-numpy float32 reference exactly.

They need examples/ and the digits file (`make setup`) beside tests/, so they skip inside Pyodide,
where only tests/ is copied; pyodide-tests/test_demos.py runs the same files in the browser."""

import asyncio
import importlib.util
from pathlib import Path

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
DIGITS = ROOT / "website" / "demos" / "digits" / "digits.npz"

pytestmark = pytest.mark.skipif(not (EXAMPLES / "digits.py").exists(),
                                reason="examples/ is not beside the tests (Pyodide)")


def load_example(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def digits():
    if not DIGITS.exists():
        pytest.fail(f"{DIGITS.relative_to(ROOT)} is missing: run `make setup` (tools/digits_data.py)")
    module = load_example("digits")
    return module, module.load(DIGITS)


def test_digits_data_shapes_and_split(digits):
    module, (x_train, y_train, x_test, y_test) = digits
    assert x_train.shape == (1438, 64) and x_test.shape == (359, 64)
    assert x_train.dtype == jnp.float32 and y_train.dtype == jnp.int32
    assert float(jnp.min(x_train)) == 0.0 and float(jnp.max(x_train)) == 1.0
    assert sorted(set(np.asarray(y_test).tolist())) == list(range(10))


def test_digits_mlp_reaches_90_percent(digits):
    module, data = digits
    history = [(step, loss, acc) for step, loss, acc, _ in module.train(data, steps=60, seed=0, every=30)]
    assert [h[0] for h in history] == [30, 60]
    (_, loss30, _), (_, loss60, acc) = history
    assert np.isfinite(loss60) and loss60 < min(loss30, 0.5), history
    assert acc >= 0.90, history


def test_digits_seeded_runs_repeat_and_predict_gives_probabilities(digits):
    module, data = digits
    first = list(module.train(data, steps=4, seed=3, every=2))
    again = list(module.train(data, steps=4, seed=3, every=2))
    assert [r[:3] for r in first] == [r[:3] for r in again]
    params = first[-1][3]
    probs = module.predict_digit(params, np.asarray(data[2][0]) * 16)
    assert probs.shape == (10,) and probs.dtype == jnp.float32
    assert abs(float(jnp.sum(probs)) - 1.0) < 1e-5 and float(jnp.min(probs)) >= 0.0


def test_digits_gradient_matches_finite_differences(digits):
    module, (x_train, y_train, _, _) = digits
    params = module.init_params(jax.random.PRNGKey(1))
    x, y = x_train[:16], y_train[:16]
    g = jax.grad(module.loss_fn)(params, x, y)
    b = np.asarray(params[1]["b"], np.float64)

    def loss_of_b(b_new):
        return module.loss_fn([params[0], {"w": params[1]["w"], "b": jnp.asarray(b_new)}], x, y)

    eps = 1e-2
    for i in range(3):
        bp, bm = b.copy(), b.copy()
        bp[i] += eps
        bm[i] -= eps
        fd = (float(loss_of_b(bp.astype(np.float32))) - float(loss_of_b(bm.astype(np.float32)))) / (2 * eps)
        assert abs(float(g[1]["b"][i]) - fd) < 2e-3, (i, float(g[1]["b"][i]), fd)


def numpy_escape_counts(center_x, center_y, scale, width, height, max_iter, julia_c=None):
    """The escape-time loop in plain float32 numpy, op for op as the example writes it."""
    f32 = np.float32
    xs = f32(center_x) + (np.arange(width, dtype=f32) - f32(width / 2 - 0.5)) * f32(scale)
    ys = f32(center_y) - (np.arange(height, dtype=f32) - f32(height / 2 - 0.5)) * f32(scale)
    px, py = np.broadcast_to(xs, (height, width)), np.broadcast_to(ys[:, None], (height, width))
    if julia_c is None:
        x, y, cx, cy = np.zeros_like(px), np.zeros_like(py), px, py
    else:
        x, y, cx, cy = px, py, f32(julia_c[0]), f32(julia_c[1])
    n = np.zeros((height, width), np.int32)
    for _ in range(max_iter):
        x2, y2 = x * x, y * y
        inside = x2 + y2 <= f32(4)
        x, y = np.where(inside, x2 - y2 + cx, x), np.where(inside, f32(2) * x * y + cy, y)
        n += inside
    return n


@pytest.mark.parametrize("julia_c", [None, (-0.8, 0.156)], ids=["mandelbrot", "julia"])
def test_mandelbrot_counts_match_numpy_exactly(julia_c):
    m = load_example("mandelbrot")
    view = (-0.6, 0.1, 3.0 / 40) if julia_c is None else (0.0, 0.0, 3.2 / 40)
    kw = dict(width=40, height=30, max_iter=64)
    c = (0.0, 0.0) if julia_c is None else julia_c
    got = m.counts(*view, *c, julia=julia_c is not None, **kw)
    assert got.dtype == jnp.int32 and got.shape == (30, 40)
    want = numpy_escape_counts(*view, julia_c=julia_c, **kw)
    np.testing.assert_array_equal(np.asarray(got), want)
    assert 0 < (want == 64).sum() < want.size  # the view holds points inside and outside the set
    image = m.render(*view, *c, julia=julia_c is not None, **kw)
    assert image.dtype == jnp.uint8 and image.shape == (30, 40, 4)
    np.testing.assert_array_equal(np.asarray(image), m.palette(64)[want])


def test_mandelbrot_palette_and_iteration_check():
    m = load_example("mandelbrot")
    pal = m.palette(256)
    assert pal.shape == (257, 4) and pal.dtype == np.uint8
    assert tuple(pal[256]) == (0, 0, 0, 255) and (pal[:, 3] == 255).all()
    assert len({tuple(c) for c in pal[:256]}) > 200  # escape counts are told apart by colour
    with pytest.raises(ValueError, match="multiple of"):
        m.counts(0.0, 0.0, 0.1, 0.0, 0.0, width=4, height=4, max_iter=10)


def test_numpy_backprop_baseline_matches_jaxlite_gradients(digits):
    """examples/digits_numpy.py (the speed baseline) trains the same network: its hand-written
    gradients equal jaxlite's value_and_grad of digits.loss_fn."""
    module, (x_train, y_train, _, _) = digits
    baseline = load_example("digits_numpy")
    params = baseline.init_params(np.random.default_rng(0))
    x, y = np.asarray(x_train[:32]), np.asarray(y_train[:32])
    loss, grads = baseline.loss_and_grads(params, x, y.astype(np.int64))
    jl_params = jax.tree_util.tree_map(jnp.asarray, params)
    jl_loss, jl_grads = jax.value_and_grad(module.loss_fn)(jl_params, jnp.asarray(x), jnp.asarray(y))
    np.testing.assert_allclose(float(jl_loss), loss, rtol=1e-5)
    for got, want in zip(jl_grads, grads):
        for k in ("w", "b"):
            np.testing.assert_allclose(np.asarray(got[k]), want[k], rtol=1e-4, atol=1e-6)


MINILM = ROOT / "build" / "fixtures" / "minilm"


@pytest.fixture(scope="module")
def semantic_search():
    if not (MINILM / "model.safetensors").exists():
        pytest.fail(f"{MINILM.relative_to(ROOT)} is missing: run `make setup`")
    module = load_example("semantic_search")
    return module, asyncio.run(module.load_encoder(f"{MINILM}/"))


def test_semantic_search_ranks_a_small_corpus(semantic_search):
    """8 sentences of the page's corpus (2 from each of 4 topics) in batches of 4, sorted by length
    inside embed_corpus: the rows come back in the corpus's order (each sentence finds itself), and
    queries find their topic. tests/test_minilm.py checks the embeddings' values."""
    module, encoder = semantic_search
    sentences, topics = module.load_corpus()
    picked = [i for t in ("cooking", "space", "programming", "gardening") for i in
              [j for j, tj in enumerate(topics) if tj == t][:2]]
    small, small_topics = [sentences[i] for i in picked], [topics[i] for i in picked]
    steps = list(module.embed_corpus(encoder, small, batch=4))
    assert [done for done, _ in steps] == [4, 8, 8] and all(e is None for _, e in steps[:-1])
    embeddings = steps[-1][1]
    assert embeddings.shape == (8, 384) and embeddings.dtype == jnp.float32
    np.testing.assert_allclose(np.linalg.norm(np.asarray(embeddings), axis=1), 1.0, atol=1e-5)

    hits = module.search(encoder, embeddings, "What is a good recipe for dinner?", k=3)
    assert [small_topics[i] for i, _ in hits[:2]] == ["cooking"] * 2, hits
    scores = [s for _, s in hits]
    assert scores == sorted(scores, reverse=True)
    # embed_corpus ran these two at other rows (sorted by length: 0 at 5, 6 at 0): each finds itself
    for i in (0, 6):
        hits = module.search(encoder, embeddings, small[i], k=8)
        assert hits[0][0] == i and hits[0][1] > 0.9999 and sorted(j for j, _ in hits) == list(range(8))
    # the jitted top_k equals a sort of the plain scores
    q = np.asarray(embeddings)[5]
    values, indices = module.top_matches(embeddings, jnp.asarray(q), k=4)
    want = np.argsort(-(np.asarray(embeddings) @ q))[:4]
    assert indices.dtype == jnp.int32 and np.asarray(indices).tolist() == want.tolist()
    np.testing.assert_allclose(np.asarray(values), (np.asarray(embeddings) @ q)[want], rtol=1e-5)
