# The jaxlite half of the MiniLM comparison in Node, for a GPU machine without a browser
# (tools/pyodide_node.mjs runs it in Pyodide, with Dawn as navigator.gpu; ort_node.mjs is the other half):
#
#   node --experimental-wasm-stack-switching --import=./web/node-webgpu.mjs tools/pyodide_node.mjs \
#       website/bench/minilm/node_jaxlite.py ids.json [wasm,webgpu] [runs]
#
# Prints one JSON line shaped as ort_node.mjs's: per device and batch the median seconds, the first
# call (trace and compile included) and the smallest cosine against the embeddings in ids.json.
import json
import statistics
import sys
import time

import numpy as np

import jaxlite
from jaxlite import loaders
from jaxlite.models import SentenceEncoder

await jaxlite.init()  # noqa: F704 (runPythonAsync): the webgpu device

ids_path, devices, runs = sys.argv[1], (sys.argv[2:3] or ["wasm,webgpu"])[0].split(","), int((sys.argv[3:4] or [5])[0])
folder = "/repo/build/fixtures/minilm/"
inputs = json.loads(open(ids_path).read())
params = loaders.load(open(folder + "model.safetensors", "rb").read())
config = json.loads(open(folder + "config.json").read())

out = {}
for device in devices:
    with jaxlite.default_device(jaxlite.devices(device)[0]):
        encoder = SentenceEncoder({k: jaxlite.device_put(v) for k, v in params.items()}, config)
        out[device] = {}
        for b in ("1", "32"):
            rows, want = inputs[b]["ids"], np.asarray(inputs[b]["embeddings"])
            t0 = time.perf_counter()
            got = np.asarray(encoder.embed(rows))
            first = time.perf_counter() - t0
            times = []
            for _ in range(runs):
                t0 = time.perf_counter()
                got = np.asarray(encoder.embed(rows))
                times.append(time.perf_counter() - t0)
            cos = (got * want).sum(1) / np.linalg.norm(got, axis=1) / np.linalg.norm(want, axis=1)
            out[device][b] = {"median": statistics.median(times), "first": first, "cosine": float(cos.min())}
print(json.dumps(out))
