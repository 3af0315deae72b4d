"""all-MiniLM-L6-v2 as an ONNX graph, for onnxruntime-web on the MiniLM benchmark page.

    python tools/minilm_onnx.py build/fixtures/minilm website/models/minilm/model.onnx

The graph is written with the `onnx` package's helper API from the checkpoint's safetensors (read
with numpy), so both systems on the page run the same weights: BERT encoder, mean pooling over the
attention mask, L2 normalisation. Inputs `input_ids` and `attention_mask` (int64, [batch, seq]),
output `embeddings` (float32, [batch, hidden]). It mirrors jaxlite.models' bert.py op for op
(exact-erf GELU, a -1e9 bias on padded keys), in plain ONNX ops of opset 17 that onnxruntime's wasm
and webgpu providers both implement; onnxruntime fuses them (LayerNorm, Gelu, attention) itself.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

OPSET = 17
IR_VERSION = 8  # what onnxruntime-web 1.30 and onnxruntime 1.31 both load


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """A safetensors file as numpy arrays (header: 8-byte length, JSON, then raw little-endian data)."""
    raw = Path(path).read_bytes()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    dtypes = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32}
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        out[name] = np.frombuffer(raw, dtypes[info["dtype"]], offset=8 + n + begin,
                                  count=(end - begin) // np.dtype(dtypes[info["dtype"]]).itemsize).reshape(info["shape"])
    return out


class _Graph:
    """Nodes and initializers under generated names, so the model below reads as arithmetic."""

    def __init__(self):
        self.nodes, self.inits, self._n = [], [], 0

    def _name(self, hint):
        self._n += 1
        return f"{hint}_{self._n}"

    def const(self, value, hint="c", dtype=np.float32):
        from onnx import numpy_helper
        name = self._name(hint)
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(np.asarray(value, dtype)), name))
        return name

    def op(self, op_type, *inputs, hint=None, **attrs):
        from onnx import helper
        out = self._name(hint or op_type.lower())
        self.nodes.append(helper.make_node(op_type, list(inputs), [out], **attrs))
        return out


def build(params: dict[str, np.ndarray], config: dict):
    """The onnx.ModelProto of the sentence encoder for these checkpoint tensors."""
    from onnx import TensorProto, helper

    g = _Graph()
    hidden, heads = config["hidden_size"], config["num_attention_heads"]
    eps = float(config.get("layer_norm_eps", 1e-12))
    weight = lambda name: g.const(params[name], name.replace(".", "_"))  # noqa: E731

    def layer_norm(x, prefix):
        return g.op("LayerNormalization", x, weight(prefix + ".weight"), weight(prefix + ".bias"), axis=-1, epsilon=eps)

    def dense(x, prefix):
        # torch's Linear stores (out, in); ONNX MatMul wants (in, out)
        w = g.const(params[prefix + ".weight"].T, prefix.replace(".", "_") + "_wT")
        return g.op("Add", g.op("MatMul", x, w), weight(prefix + ".bias"))

    ids, mask = "input_ids", "attention_mask"
    seq = g.op("Slice", g.op("Shape", ids), g.const([1], dtype=np.int64), g.const([2], dtype=np.int64))
    positions = g.op("Slice", weight("embeddings.position_embeddings.weight"), g.const([0], dtype=np.int64), seq,
                     g.const([0], dtype=np.int64))
    x = g.op("Add", g.op("Gather", weight("embeddings.word_embeddings.weight"), ids), positions)
    x = g.op("Add", x, g.const(params["embeddings.token_type_embeddings.weight"][0], "token_type_0"))
    x = layer_norm(x, "embeddings.LayerNorm")

    maskf = g.op("Cast", mask, to=TensorProto.FLOAT)
    # padded keys get -1e9 (finite, as in bert.py), broadcast over heads and queries: [batch, 1, 1, seq]
    bias = g.op("Mul", g.op("Sub", g.const(1.0), maskf), g.const(-1e9))
    bias = g.op("Unsqueeze", bias, g.const([1, 2], dtype=np.int64))
    split_shape = g.const([0, 0, heads, hidden // heads], dtype=np.int64)
    merge_shape = g.const([0, 0, hidden], dtype=np.int64)
    scale = g.const(1.0 / math.sqrt(hidden // heads))
    half, root2 = g.const(0.5), g.const(math.sqrt(2.0))
    one = g.const(1.0)
    for i in range(config["num_hidden_layers"]):
        a = f"encoder.layer.{i}.attention"
        q, k, v = (g.op("Reshape", dense(x, f"{a}.self.{w}"), split_shape) for w in ("query", "key", "value"))
        q = g.op("Transpose", q, perm=[0, 2, 1, 3])
        k = g.op("Transpose", k, perm=[0, 2, 3, 1])
        v = g.op("Transpose", v, perm=[0, 2, 1, 3])
        scores = g.op("Add", g.op("Mul", g.op("MatMul", q, k), scale), bias)
        context = g.op("MatMul", g.op("Softmax", scores, axis=-1), v)
        context = g.op("Reshape", g.op("Transpose", context, perm=[0, 2, 1, 3]), merge_shape)
        x = layer_norm(g.op("Add", x, dense(context, f"{a}.output.dense")), f"{a}.output.LayerNorm")
        h = dense(x, f"encoder.layer.{i}.intermediate.dense")
        h = g.op("Mul", g.op("Mul", h, half), g.op("Add", one, g.op("Erf", g.op("Div", h, root2))))
        out = f"encoder.layer.{i}.output"
        x = layer_norm(g.op("Add", x, dense(h, out + ".dense")), out + ".LayerNorm")

    m = g.op("Unsqueeze", maskf, g.const([2], dtype=np.int64))
    axis1 = g.const([1], dtype=np.int64)
    pooled = g.op("Div", g.op("ReduceSum", g.op("Mul", x, m), axis1, keepdims=0),
                  g.op("Max", g.op("ReduceSum", m, axis1, keepdims=0), g.const(1e-9)))
    norm = g.op("Max", g.op("ReduceL2", pooled, axes=[-1], keepdims=1), g.const(1e-12))
    g.nodes.append(helper.make_node("Div", [pooled, norm], ["embeddings"]))

    graph = helper.make_graph(
        g.nodes, "all-MiniLM-L6-v2",
        [helper.make_tensor_value_info(ids, TensorProto.INT64, ["batch", "seq"]),
         helper.make_tensor_value_info(mask, TensorProto.INT64, ["batch", "seq"])],
        [helper.make_tensor_value_info("embeddings", TensorProto.FLOAT, ["batch", hidden])],
        g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="jaxlite tools/minilm_onnx.py")
    model.ir_version = IR_VERSION
    return model


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", type=Path, help="holds model.safetensors and config.json")
    ap.add_argument("out", type=Path)
    args = ap.parse_args()
    import onnx
    model = build(read_safetensors(args.folder / "model.safetensors"), json.loads((args.folder / "config.json").read_text()))
    onnx.checker.check_model(model)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB, {len(model.graph.node)} nodes)")


if __name__ == "__main__":
    main()
