"""tools/minilm_onnx.py: the ONNX graph of all-MiniLM-L6-v2 that the MiniLM benchmark page runs in
onnxruntime-web, checked in CPython with onnxruntime (CPU) against jaxlite's SentenceEncoder on the
same checkpoint (which tests/test_minilm.py checks against a float64 reference)."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "build" / "fixtures" / "minilm"
if sys.platform == "emscripten":
    pytest.skip("onnx, onnxruntime and the 90 MB checkpoint are CPython-only", allow_module_level=True)
onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
if not (MODEL / "model.safetensors").exists():
    pytest.fail(f"{MODEL}/model.safetensors is missing: run `make setup`", pytrace=False)
sys.path.insert(0, str(ROOT / "tools"))
import minilm_onnx  # noqa: E402

from jaxlite.loaders import load_file, load_tokenizer  # noqa: E402
from jaxlite.models import SentenceEncoder  # noqa: E402

SENTENCES = ["A man is eating food.", "A man is eating a piece of bread.", "Short.",
             "Ünïcödé, emoji 🙂 and 中文 characters.",
             "A longer sentence that keeps going with many words, so that most of the batch is padding."]


@pytest.fixture(scope="module")
def built():
    params = minilm_onnx.read_safetensors(MODEL / "model.safetensors")
    config = json.loads((MODEL / "config.json").read_text())
    model = minilm_onnx.build(params, config)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return params, config, model, session


def _run(session, ids, mask):
    return session.run(None, {"input_ids": np.asarray(ids, np.int64), "attention_mask": np.asarray(mask, np.int64)})[0]


def test_graph_interface(built):
    _, _, model, _ = built
    onnx.checker.check_model(model)
    assert model.ir_version == minilm_onnx.IR_VERSION
    assert [(o.domain, o.version) for o in model.opset_import] == [("", minilm_onnx.OPSET)]
    inputs = {i.name: i.type.tensor_type for i in model.graph.input}
    assert list(inputs) == ["input_ids", "attention_mask"]
    for t in inputs.values():
        assert t.elem_type == onnx.TensorProto.INT64
        assert [d.dim_param for d in t.shape.dim] == ["batch", "seq"]
    (out,) = model.graph.output
    assert out.name == "embeddings" and out.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert [d.dim_param or d.dim_value for d in out.type.tensor_type.shape.dim] == ["batch", 384]


def test_reads_safetensors_like_jaxlite(built):
    params = built[0]
    ours = load_file(MODEL / "model.safetensors")
    assert set(ours) == set(params)
    for name in ("embeddings.word_embeddings.weight", "encoder.layer.5.output.LayerNorm.bias"):
        assert params[name].dtype == np.float32
        np.testing.assert_array_equal(params[name], np.asarray(ours[name]))


def test_embeddings_match_jaxlite(built):
    params, config, _, session = built
    tok = load_tokenizer(MODEL)
    ids = [row[: sum(m)] for row, m in zip(*tok.encode_batch(SENTENCES, return_attention_mask=True))]
    encoder = SentenceEncoder(params, config)
    ours = np.asarray(encoder.embed(ids))
    padded, mask = encoder.pad(ids)
    theirs = _run(session, padded, mask)[: len(ids)]
    assert theirs.shape == (len(SENTENCES), 384) and theirs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(theirs, axis=1), 1.0, atol=1e-5)
    cosine = np.sum(ours * theirs, axis=1)
    assert cosine.min() >= 0.9999, cosine
    # the benchmark's shape: padding to 128 tokens must not change a sentence's embedding
    long_ids, long_mask = np.zeros((1, 128), np.int64), np.zeros((1, 128), np.int64)
    long_ids[0, : len(ids[0])], long_mask[0, : len(ids[0])] = ids[0], 1
    np.testing.assert_allclose(_run(session, long_ids, long_mask)[0], theirs[0], atol=2e-5)
