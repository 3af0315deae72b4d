"""QR, eigh and SVD for the webgpu device, run by the wasm device's routines (backends/wasm/eig.py).

These factorisations are iterative and sequential (Householder sweeps, QL iteration, Jacobi
rotations): there is no staged WGSL version of them here, and without one the webgpu device's
fallback is numpy on the host, whose lapack-lite in Pyodide runs them 1.6-6x slower than the wasm
routines (orders 256-512, BENCHMARKS.md). So the operands are read back, factorised in wasm
memory, and the results uploaded: the same two transfers as the host fallback, a faster
factorisation between them. Each such call
counts in `routed` (primitive name -> calls), not in the device's `host_fallbacks`.
"""

from __future__ import annotations

from collections import Counter

from jaxlite._src import dispatch
from jaxlite._src.backends.webgpu.device import WebGPUDevice

PRIMS = ("qr", "eigh", "svd")
routed: Counter = Counter()  # primitive name -> webgpu calls run by the wasm device's routine


def _wasm_device():
    found = dispatch._devices.get("wasm")
    return found[0] if found else None


def _routed(name: str):
    def rule(dev, bufs, in_avals, params, out_avals):
        wasm = _wasm_device()
        run = wasm.prim_routines.get(name) if wasm is not None else None
        if run is None:
            return None
        operands = [wasm.put_dense(dev.get(b, a)) for b, a in zip(bufs, in_avals)]
        outs = run(wasm, operands, in_avals, params, out_avals)
        if outs is None:  # a dtype or shape the routine does not take: the host, counted there
            return None
        routed[name] += 1
        return [dev.put(wasm.get(o, a)) for o, a in zip(outs, out_avals)]
    rule.__name__ = f"{name}_via_wasm"
    return rule


for _name in PRIMS:
    WebGPUDevice.prim_routines[_name] = _routed(_name)
