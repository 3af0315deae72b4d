"""The FFT on the webgpu device: `fft_p` over one power-of-two axis as staged WGSL compute passes,
complex64 (two float32 words per element, numpy's layout), batched over the leading rows, RFFT
and IRFFT included; other lengths as Bluestein's convolution of power-of-two transforms
(backends/bluestein.py). More than one axis: the decomposition of lax/fft.py.

The transform is Stockham's autosort FFT as on wasm (backends/wasm/fft.py, whose twiddle table
this module shares), never in place, so the input is never written. Rows of up to SHARED_MAX
points run every stage (radix 4, one radix 2 when log2(n) is odd: wasm's plan) in one dispatch,
in workgroup memory (a workgroup per row or per few rows, a barrier between stages); longer rows
run one dispatch per radix-16 stage (the 16-point DFT unrolled in registers), one invocation per
butterfly, ping-ponging between the output and a scratch buffer. On an H200 the workgroup-memory
kernel is 3-4x faster than per-stage dispatches for rows of 256-2048, and radix 16 halves the
passes over memory of radix 4. Twiddles come from a float64-computed table per length kept on the
GPU (WGSL's sin/cos may be far less accurate than float32 on a GPU).

RFFT reads its n real values as n/2 complex numbers, transforms those and untangles the spectra
of the even and odd samples; IRFFT folds the half spectrum into the n/2-point spectrum of
x[2j] + i x[2j+1] and runs one inverse transform of n/2 points, whose output is already the real
signal (both half the work of a complex FFT of n).

A complex64 transpose also runs here, as a float32 transpose of the (re, im) pairs: it is what
the multi-axis decomposition of fft_p (lax/fft.py) binds between its one-axis FFTs.
"""

from __future__ import annotations

import numpy as np

from jaxlite._src.backends import bluestein
from jaxlite._src.backends.wasm.fft import stages, twiddles
from jaxlite._src.backends.webgpu.device import WebGPUBuffer, WebGPUDevice
from jaxlite._src.backends.webgpu.render import bindings
from jaxlite._src.core import ShapedArray
from jaxlite._src.lax.structural import transpose_p

C64 = np.dtype(np.complex64)
F32 = np.dtype(np.float32)
WG = 256            # invocations per workgroup of the per-butterfly and per-element passes
SHARED_MAX = 2048   # rows up to this length run all stages in workgroup memory: 16 KiB, the least
#                     maxComputeWorkgroupStorageSize WebGPU guarantees
ROW_THREADS = 256   # invocations per row in the workgroup-memory kernel (at most n/4) ...
GROUP_MIN = 64      # ... and rows per workgroup so that a workgroup has at least this many
# Software adapters (SwiftShader) run a workgroup's barriers slowly and take seconds to compile the
# unrolled kernel of a long row (2048 points: 8 s, then 40 ms a row): there only short rows use it.
SHARED_MAX_CPU = 64

_CMUL = ("fn cmul(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> "
         "{ return vec2<f32>(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x); }")
_V2 = "vec2<f32>"


def _twid(inverse: bool) -> str:
    """tw[i], conjugated for the inverse transform (the table holds exp(-2 pi i k / n))."""
    return f"fn twid(i: u32) -> {_V2} {{ let w = tw[i]; return {_V2}(w.x, {'-' if inverse else ''}w.y); }}"


def _row_threads(n: int) -> tuple[int, int]:
    """(invocations per row, rows per workgroup) of the workgroup-memory kernel."""
    t = max(1, min(ROW_THREADS, n // 4))
    return t, max(1, GROUP_MIN // t)


def _shared_kernel(n: int, inverse: bool, scale: float) -> str:
    """Every stage of rows of n points in one dispatch: a few rows per workgroup, each loaded into
    workgroup memory, transformed there (wasm's radix-4 plan; butterflies into registers, barrier,
    stores, barrier), and the last stage stored to out0 times `scale`. Uniform: p.n rows, p.stride
    the grid's row width in workgroups."""
    plan = stages(n)
    t, r = _row_threads(n)
    lines = [*bindings([("src", _V2), ("tw", _V2)], [_V2]), _CMUL, _twid(inverse),
             f"var<workgroup> sh: array<{_V2}, {r * n}>;",
             f"@compute @workgroup_size({t * r})",
             "fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {",
             f"  let tid = lid % {t}u;",
             f"  let l = (lid / {t}u) * {n}u;",
             f"  let row = (wid.y * p.stride + wid.x) * {r}u + lid / {t}u;",
             "  let ok = row < p.n;",
             f"  let g = row * {n}u;",
             f"  for (var e = tid; e < {n}u; e += {t}u) {{ if (ok) {{ sh[l + e] = src[g + e]; }} }}",
             "  workgroupBarrier();"]
    scaled = (lambda v: f"({v}) * {scale!r}") if scale != 1 else (lambda v: v)
    if not plan:  # n == 1
        lines.append(f"  if (ok) {{ out0[g] = {scaled('sh[l]')}; }}")
    for k, (radix, m, s) in enumerate(plan):
        outs = [0]

        def keep(idx, v):  # a butterfly's outputs leave its block through the stage's vars
            c = outs[0] = outs[0] + 1
            return f"sv{c} = {v}; sx{c} = {idx};"
        body = []
        for b in range((n // radix) // t):  # butterflies per invocation
            body += ["    {", *("      " + x for x in _radix_stage(radix, m, s, f"(tid + {b * t}u)",
                                                              lambda i: f"sh[l + {i}]", keep, inverse)), "    }"]
        names = range(1, outs[0] + 1)
        lines += ["  {", *(f"    var sv{c}: {_V2}; var sx{c}: u32;" for c in names), *body]
        if k == len(plan) - 1:
            lines += [f"    if (ok) {{ out0[g + sx{c}] = {scaled(f'sv{c}')}; }}" for c in names]
        else:
            lines += ["    workgroupBarrier();", *(f"    sh[l + sx{c}] = sv{c};" for c in names),
                      "    workgroupBarrier();"]
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines)


def _per_item(count: str) -> list[str]:
    """main() with one invocation per item t < p.n on a 2-D grid (p.stride invocations a row)."""
    return [f"@compute @workgroup_size({WG})",
            "fn main(@builtin(global_invocation_id) gid: vec3<u32>) {",
            "  let t = gid.y * p.stride + gid.x;",
            f"  if (t >= {count}) {{ return; }}"]


def global_stages(n: int) -> list[tuple[int, int, int]]:
    """(radix, n', s) of the per-dispatch stages: radix 16 (two radix-4 stages in registers: half
    the passes over memory), then one of radix 2, 4 or 8 for what is left."""
    out, m, s = [], n, 1
    while m > 1:
        r = 16 if m % 16 == 0 else m
        out.append((r, m, s))
        m, s = m // r, s * r
    return out


def _radix_stage(radix: int, m: int, s: int, j: str, load, store, inverse: bool) -> list[str]:
    """Butterfly j of the Stockham stage (radix R, m, s), p = j / s, q = j % s:
        y[q + s (R p + d)] = W_m^(p d) sum_c x[q + s (p + c m / R)] W_R^(c d),   d < R,
    the R-point DFT unrolled as radix-2 steps with constant twiddles, W_m^(p d) from the table."""
    lines = [f"let pp = {j} / {s}u;", f"let q = {j} % {s}u;", f"let i0 = q + pp * {s}u;",
             f"let o = q + pp * {radix * s}u;", f"let w = pp * {s}u;"]
    lines += [f"let x{c} = {load(f'i0 + {c * (m // radix) * s}u')};" for c in range(radix)]
    count = [0]

    def fresh(expr):
        count[0] += 1
        lines.append(f"let t{count[0]} = {expr};")
        return f"t{count[0]}"

    def dft(v):
        if len(v) == 1:
            return v
        even, odd, h = dft(v[0::2]), dft(v[1::2]), len(v) // 2
        out = [""] * len(v)
        for d in range(h):
            w = complex(np.exp((2j if inverse else -2j) * np.pi * d / len(v)))
            od = odd[d] if d == 0 else fresh(f"cmul({odd[d]}, {_V2}({w.real!r}, {w.imag!r}))")
            out[d], out[d + h] = fresh(f"{even[d]} + {od}"), fresh(f"{even[d]} - {od}")
        return out
    for d, y in enumerate(dft([f"x{c}" for c in range(radix)])):
        lines.append(store(f"o + {d * s}u", y if d == 0 else f"cmul(twid({d}u * w), {y})"))
    return lines


def _stage_kernel(n: int, radix: int, m: int, s: int, inverse: bool, scale: float) -> str:
    """One Stockham stage over rows of n in global memory: one invocation per butterfly."""
    per = n // radix
    scaled = (lambda v: f"({v}) * {scale!r}") if scale != 1 else (lambda v: v)
    body = _radix_stage(radix, m, s, "j", lambda i: f"src[g + {i}]",
                        lambda i, v: f"out0[g + {i}] = {scaled(v)};", inverse)
    return "\n".join([*bindings([("src", _V2), ("tw", _V2)], [_V2]), _CMUL, _twid(inverse), *_per_item("p.n"),
                      f"  let g = (t / {per}u) * {n}u;", f"  let j = t % {per}u;", *("  " + x for x in body), "}"])


def _untangle_kernel(m: int) -> str:
    """RFFT of rows of n = 2m from Z, the m-point FFT of z[j] = x[2j] + i x[2j + 1]: with
    a = Z[k mod m] and b = Z[(m - k) mod m], E = (a + conj b) / 2 and O = (a - conj b) / 2i are the
    spectra of the even and odd samples, and X[k] = E + W^k O for k <= m (W = exp(-2 pi i / n))."""
    return "\n".join([*bindings([("z", _V2), ("tw", _V2)], [_V2]), _CMUL, *_per_item("p.n"),
                      f"  let g = (t / {m + 1}u) * {m}u;", f"  let k = t % {m + 1}u;",
                      f"  let a = z[g + (k & {m - 1}u)];", f"  let b = z[g + (({m}u - k) & {m - 1}u)];",
                      f"  let cb = {_V2}(b.x, -b.y);", "  let d = a - cb;",
                      f"  out0[t] = (a + cb) * 0.5 + cmul(tw[k], {_V2}(d.y, -d.x) * 0.5);", "}"])


def _fold_kernel(m: int, width: int) -> str:
    """The inverse of the untangling, for IRFFT of rows of n = 2m given `width` bins each (cropped
    or zero-padded to m + 1, as numpy does): E = (X[k] + conj X[m - k]) / 2, O = (X[k] - conj
    X[m - k]) W^-k / 2 and Z[k] = E + i O, k < m, whose inverse m-point FFT is x[2j] + i x[2j + 1].
    The imaginary parts of the DC and Nyquist bins are ignored, as numpy and XLA do."""
    def bin_(k):
        return f"select({_V2}(0.0), x[g + min({k}, {width - 1}u)], {k} < {width}u)"
    return "\n".join([*bindings([("x", _V2), ("tw", _V2)], [_V2]), _CMUL, *_per_item("p.n"),
                      f"  let g = (t / {m}u) * {width}u;", f"  let k = t % {m}u;",
                      f"  let edge = {_V2}(1.0, select(1.0, 0.0, k == 0u));",
                      f"  let a = {bin_('k')} * edge;", f"  let b = {bin_(f'({m}u - k)')} * edge;",
                      f"  let cb = {_V2}(b.x, -b.y);", "  let w = tw[k];",
                      f"  let o = cmul((a - cb) * 0.5, {_V2}(w.x, -w.y));",
                      f"  out0[t] = (a + cb) * 0.5 + {_V2}(-o.y, o.x);", "}"])


def _one_point_kernel(mode: str, width: int) -> str:
    """n = 1: RFFT is x + 0i, IRFFT the real part of the first bin of each row."""
    if mode == "r2c":
        return "\n".join([*bindings([("x", "f32")], [_V2]), *_per_item("p.n"), f"  out0[t] = {_V2}(x[t], 0.0);", "}"])
    return "\n".join([*bindings([("x", _V2)], ["f32"]), *_per_item("p.n"), f"  out0[t] = x[t * {width}u].x;", "}"])


# ---- launching ---------------------------------------------------------------------------------

def _pipeline(dev, key, make, n_in):
    return dev.compile_cached(("fft_wgsl", *key), lambda: dev.runtime.pipeline(make(), n_in, 1, f"fft_{key[0]}"))


def _grid(dev, groups: int) -> tuple[int, int, int]:
    gx = min(groups, dev.runtime.max_groups)
    return gx, -(-groups // gx), 1


def _per_item_launch(dev, pid, count: int, ids, work: int) -> None:
    grid = _grid(dev, -(-count // WG))
    dev.runtime.dispatch(pid, grid, [count, grid[0] * WG, 0, 0], ids, work)


def _table(dev, n: int):
    """exp(-2 pi i k / n), k < n, computed in float64, as a GPU buffer kept per length."""
    key = ("fft_twiddles_wgsl", n)
    tw = dev._kernels.get(key)
    if tw is None:
        tw = dev._kernels[key] = dev.put(twiddles(n, False).view(F32))
    return tw


def _c2c(dev, src, dst, rows: int, n: int, inverse: bool, scale: float) -> None:
    """dst = the n-point DFT (inverse: times `scale`) of each of `rows` rows of src; src is only read."""
    tw = _table(dev, n)
    if n <= (SHARED_MAX_CPU if dev.runtime.cpu_adapter else SHARED_MAX):
        r = _row_threads(n)[1]
        pid = _pipeline(dev, ("shared", n, inverse, scale), lambda: _shared_kernel(n, inverse, scale), 2)
        grid = _grid(dev, -(-rows // r))
        dev.runtime.dispatch(pid, grid, [rows, grid[0], 0, 0], [src.id, tw.id, dst.id], rows * n)
        return
    plan = global_stages(n)
    other = WebGPUBuffer(dev, rows * n * 8)
    for k, (radix, m, s) in enumerate(plan):
        last = k == len(plan) - 1
        out = dst if (len(plan) - 1 - k) % 2 == 0 else other
        sc = scale if last else 1.0
        pid = _pipeline(dev, ("stage", n, radix, m, s, inverse, sc),
                        lambda: _stage_kernel(n, radix, m, s, inverse, sc), 2)
        _per_item_launch(dev, pid, rows * (n // radix), [src.id, tw.id, out.id], rows * n)
        src = out


_MODES = {0: ("c2c", False), 1: ("c2c", True), 2: ("r2c", False), 3: ("c2r", True)}  # FftType -> mode


def fft_rule(dev, bufs, in_avals, params, out_avals):
    """fft_p on the webgpu device, or None (the host) where the routine does not apply."""
    lengths = tuple(params["fft_lengths"])
    x_aval, out_aval = in_avals[0], out_avals[0]
    if len(lengths) != 1 or C64 not in (x_aval.dtype, out_aval.dtype):
        return None
    n = lengths[0]
    if not out_aval.size:
        return [WebGPUBuffer(dev, 0)]
    if n < 1 or not x_aval.shape[-1]:
        return None
    if n & (n - 1):
        return bluestein.fft(dev, fft_rule, bufs, in_avals, params, out_avals)
    mode, inverse = _MODES[int(params["fft_type"])]
    rows = out_aval.size // out_aval.shape[-1]
    x = bufs[0].buffer() if hasattr(bufs[0], "buffer") else bufs[0]  # a lazy constant: its memory
    out = WebGPUBuffer(dev, out_aval.size * out_aval.dtype.itemsize)
    if mode == "c2c":
        _c2c(dev, x, out, rows, n, inverse, 1 / n if inverse else 1.0)
    elif n == 1:
        width = x_aval.shape[-1]
        pid = _pipeline(dev, ("one", mode, width), lambda: _one_point_kernel(mode, width), 1)
        _per_item_launch(dev, pid, rows, [x.id, out.id], rows)
    elif mode == "r2c":
        m = n // 2
        z = WebGPUBuffer(dev, rows * m * 8)
        _c2c(dev, x, z, rows, m, False, 1.0)
        pid = _pipeline(dev, ("untangle", m), lambda: _untangle_kernel(m), 2)
        _per_item_launch(dev, pid, rows * (m + 1), [z.id, _table(dev, n).id, out.id], rows * n)
    else:
        m, width = n // 2, x_aval.shape[-1]
        z = WebGPUBuffer(dev, rows * m * 8)
        pid = _pipeline(dev, ("fold", m, width), lambda: _fold_kernel(m, width), 2)
        _per_item_launch(dev, pid, rows * m, [x.id, _table(dev, n).id, z.id], rows * n)
        _c2c(dev, z, out, rows, m, True, 1 / m)
    return [out]


def transpose_rule(dev, bufs, in_avals, params, out_avals):
    """A complex64 transpose as the float32 transpose of its (re, im) pairs (the same bytes)."""
    x = in_avals[0]
    if x.dtype != C64:
        return None
    perm = (*params["permutation"], x.ndim)
    pairs = ShapedArray((*x.shape, 2), F32), ShapedArray((*out_avals[0].shape, 2), F32)
    fn, size, dtype = dev.compile_cached(("c64_transpose", x.shape, perm), lambda: dev._build_prim(
        transpose_p, [pairs[0]], {"permutation": perm}, [pairs[1]]))
    buf = bufs[0].buffer() if hasattr(bufs[0], "buffer") else bufs[0]
    return [dev.launch(fn, [buf], size, dtype)]


WebGPUDevice.prim_routines["fft"] = fft_rule
WebGPUDevice.prim_routines["transpose"] = transpose_rule
