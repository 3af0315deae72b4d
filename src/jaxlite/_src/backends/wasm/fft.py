"""The FFT on the wasm device: a hand-written WebAssembly routine for `fft_p` over one axis of a
power-of-two length, complex64 or complex128 (x64), batched over the leading rows (RFFT and IRFFT
included). Other lengths (and half spectra to crop or pad) run as Bluestein's convolution of
power-of-two transforms (backends/bluestein.py); more than one axis is the decomposition of
lax/fft.py.

The transform is Stockham's autosort FFT (no bit reversal), radix 4 with one radix-2 stage when
log2(n) is odd, ping-ponging between the output and a scratch row so that the input is never
written. Every butterfly of a stage shares its twiddle across a contiguous run of s complex
numbers (s = 1, 4, 16, ...), so the inner loop takes whole v128s with the twiddle splatted: two
complex64 per v128 once s >= 2 (the first stage, s = 1, is scalar), or one complex128 (f64x2 =
[re, im]) from the first stage on; multiplying by i is then a lane swap and a sign. The complex64
and complex128 kernels are one generator over the element type. Twiddles exp(-+2 pi i k / n),
k < n, are computed once per length in float64 (rounded to complex64 for it) and kept on the
device; stage (n', s) reads W^(p s), W^(2 p s), W^(3 p s) from that one table. RFFT reads its n
real values as n/2 complex numbers, transforms those, and untangles the spectra of the even and
odd samples (half the work of a complex FFT of n); IRFFT extends the half spectrum by Hermitian symmetry and runs the inverse of length n.

Forward 4-point butterfly (a, b, c, d = x[p], x[p + n'/4], x[p + n'/2], x[p + 3n'/4]):
    y0 = (a + c) + (b + d)            y2 = W^2p ((a + c) - (b + d))
    y1 = W^p ((a - c) - i (b - d))    y3 = W^3p ((a - c) + i (b - d))
The inverse swaps the signs of the i (b - d) terms and the twiddles' angles, then scales by 1/n.
"""

from __future__ import annotations

import numpy as np

from jaxlite._src.backends import bluestein
from jaxlite._src.backends.wasm.assembler import assemble
from jaxlite._src.backends.wasm.device import WasmBuffer, WasmDevice
from jaxlite._src.backends.wasm.render import memory_import

C64 = np.dtype(np.complex64)
C128 = np.dtype(np.complex128)
# i8x16.swizzle indices (as i32 lanes) exchanging the two floats of each complex: [re, im] -> [im, re]
_SWAP = "v128.const i32x4 117835012 50462976 252579084 185207048"
# the same for one complex128: the two f64 halves exchanged
_SWAP128 = "v128.const i32x4 185207048 252579084 50462976 117835012"
_FFT, _IFFT, _RFFT, _IRFFT = 0, 1, 2, 3


def stages(n: int) -> list[tuple[int, int, int]]:
    """(radix, n', s) of each stage: n' the length still to transform, s the stride."""
    out, m, s = [], n, 1
    while m > 1:
        r = 4 if m % 4 == 0 else 2
        out.append((r, m, s))
        m, s = m // r, s * r
    return out


def fft_c64(n: int, mode: str, inverse: bool, shared: bool = False) -> str:
    """kernel(x, out, scr, scr2, tw, rows): for each of `rows` rows, out = the DFT of x (inverse:
    with 1/n). mode "c2c": complex64 rows of n to n; "r2c": float32 rows of n to the n/2 + 1 first
    bins; "c2r" (inverse): n/2 + 1 bins to n real values. scr, scr2: rows of n complex64."""
    return _fft_kernel(n, mode, inverse, shared, wide=False)


def fft_c128(n: int, mode: str, inverse: bool, shared: bool = False) -> str:
    """fft_c64's kernel for complex128 (float64 for the real sides): one complex per v128."""
    return _fft_kernel(n, mode, inverse, shared, wide=True)


def _fft_kernel(n: int, mode: str, inverse: bool, shared: bool, wide: bool) -> str:
    # es, cs: bytes per real and per complex; a v128 holds 16 // cs complex numbers
    ft, vt, es = ("f64", "f64x2", 8) if wide else ("f32", "f32x4", 4)
    cs, lanes = 2 * es, 16 // es
    swap = _SWAP128 if wide else _SWAP

    def vconst(*pair):  # a (re, im) pattern repeated over the lanes
        return f"v128.const {vt} " + " ".join(str(v) for v in pair * (lanes // 2))
    packed = mode == "r2c" and n >= 4  # real input as n/2 complex numbers, then untangled
    plan = stages(n // 2 if packed else n)
    lines: list[str] = []
    emit = lines.append
    labels = iter(range(10**6))
    sign = -1.0 if not inverse else 1.0  # the sign of the i (b - d) term in y1 (y3 has the other)

    def loop(var, stop, step, body):
        """for var in range(0, stop, step) (stop a constant)"""
        k = next(labels)
        emit("i32.const 0")
        emit(f"local.set ${var}")
        emit(f"block $x{k}")
        emit(f"loop $l{k}")
        body()
        emit(f"local.get ${var}")
        emit(f"i32.const {step}")
        emit("i32.add")
        emit(f"local.tee ${var}")
        emit(f"i32.const {stop}")
        emit("i32.lt_u")
        emit(f"br_if $l{k}")
        emit("end")
        emit("end")

    def get(*names):
        for nm in names:
            emit(f"local.get ${nm}")

    def twiddle(pos_bytes_per_p: int, wr: str, wi: str):
        """wr, wi <- tw[(p * s * mult)] as scalars: address tw + p * pos_bytes_per_p."""
        get("tw", "p")
        emit(f"i32.const {pos_bytes_per_p}")
        emit("i32.mul")
        emit("i32.add")
        emit("local.tee $t")
        emit(f"{ft}.load")
        emit(f"local.set ${wr}")
        get("t")
        emit(f"{ft}.load offset={es}")
        emit(f"local.set ${wi}")

    # ---- scalar complex helpers on (re, im) local pairs --------------------------------------
    def cload(dst, addr_local, offset, real):
        get(addr_local)
        emit(f"{ft}.load offset={offset}")
        emit(f"local.set ${dst}r")
        if real:
            emit(f"{ft}.const 0")
        else:
            get(addr_local)
            emit(f"{ft}.load offset={offset + es}")
        emit(f"local.set ${dst}i")

    def cstore(addr_local, offset, re_fn, im_fn):
        get(addr_local)
        re_fn()
        emit(f"{ft}.store offset={offset}")
        get(addr_local)
        im_fn()
        emit(f"{ft}.store offset={offset + es}")

    def scalar_radix4(src, dst, m, s, real):
        # s == 1: a, b, c, d at src + cs p (+ m/4, m/2, 3m/4 elements); y at dst + 4 cs p (+ cs, 2 cs, 3 cs).
        q = m // 4
        width = es if real else cs

        def body():
            get(src, "p")
            emit(f"i32.const {width}")
            emit("i32.mul")
            emit("i32.add")
            emit("local.set $ia")
            for k, nm in enumerate("abcd"):
                cload(nm, "ia", k * q * width, real)
            for nm, x, y, op in (("apc", "a", "c", "add"), ("amc", "a", "c", "sub"), ("bpd", "b", "d", "add"),
                                 ("bmd", "b", "d", "sub")):
                for part in "ri":
                    get(x + part, y + part)
                    emit(f"{ft}.{op}")
                    emit(f"local.set ${nm}{part}")
            get(dst, "p")
            emit(f"i32.const {4 * cs}")
            emit("i32.mul")
            emit("i32.add")
            emit("local.set $io")
            # y0 = apc + bpd
            cstore("io", 0, lambda: (get("apcr", "bpdr"), emit(f"{ft}.add")),
                   lambda: (get("apci", "bpdi"), emit(f"{ft}.add")))
            # u = apc - bpd; y2 = W^2p u
            for part in "ri":
                get("apc" + part, "bpd" + part)
                emit(f"{ft}.sub")
                emit(f"local.set $u{part}")
            twiddle(2 * cs * s, "wr", "wi")
            cmul_store("io", 2 * cs, "u")
            # y1 = W^p (amc + sign * i bmd) = W^p (amc_r - sign bmd_i, amc_i + sign bmd_r)
            for k, sg in ((1, sign), (3, -sign)):
                get("amcr", "bmdi")
                emit(f"{ft}.const {sg}")
                emit(f"{ft}.mul")
                emit(f"{ft}.sub")
                emit("local.set $ur")
                get("amci", "bmdr")
                emit(f"{ft}.const {sg}")
                emit(f"{ft}.mul")
                emit(f"{ft}.add")
                emit("local.set $ui")
                twiddle(cs * k * s, "wr", "wi")
                cmul_store("io", cs * k, "u")
        loop("p", q, 1, body)

    def cmul_store(addr_local, offset, u):
        """dst[offset] = (wr + i wi) * u"""
        def re():
            get(u + "r", "wr")
            emit(f"{ft}.mul")
            get(u + "i", "wi")
            emit(f"{ft}.mul")
            emit(f"{ft}.sub")

        def im():
            get(u + "r", "wi")
            emit(f"{ft}.mul")
            get(u + "i", "wr")
            emit(f"{ft}.mul")
            emit(f"{ft}.add")
        cstore(addr_local, offset, re, im)

    def scalar_radix2(src, dst, m, s, real):
        # only for n == 2 (m == 2, s == 1): y0 = a + b, y1 = a - b
        width = es if real else cs
        get(src)
        emit("local.set $ia")
        cload("a", "ia", 0, real)
        cload("b", "ia", width, real)
        get(dst)
        emit("local.set $io")
        cstore("io", 0, lambda: (get("ar", "br"), emit(f"{ft}.add")), lambda: (get("ai", "bi"), emit(f"{ft}.add")))
        cstore("io", cs, lambda: (get("ar", "br"), emit(f"{ft}.sub")), lambda: (get("ai", "bi"), emit(f"{ft}.sub")))

    # ---- SIMD stages (s complex numbers fill whole v128s; one twiddle per p) -------------------
    def vcmul(v, wr, wis):
        """(splat wr) * v + (wi * [-1, 1, -1, 1]) * swap(v), left on the stack."""
        get(v, wr)
        emit(f"{vt}.mul")
        get(v)
        emit(swap)
        emit("i8x16.swizzle")
        get(wis)
        emit(f"{vt}.mul")
        emit(f"{vt}.add")

    def vtwiddle(pos_bytes_per_p):
        twiddle(pos_bytes_per_p, "wr", "wi")
        get("wr")
        emit(f"{vt}.splat")
        emit("local.set $vwr")
        get("wi")
        emit(f"{vt}.splat")
        emit(vconst(-1, 1))
        emit(f"{vt}.mul")
        emit("local.set $vwi")

    def simd_radix4(src, dst, m, s):
        q = m // 4

        def per_p():
            for k in (1, 2, 3):
                vtwiddle(cs * k * s)
                get(f"vwr", "vwi")
                emit(f"local.set $vw{k}i")
                emit(f"local.set $vw{k}r")
            # ia = src + cs s p, io = dst + 4 cs s p
            get(src, "p")
            emit(f"i32.const {cs * s}")
            emit("i32.mul")
            emit("i32.add")
            emit("local.set $ia")
            get(dst, "p")
            emit(f"i32.const {4 * cs * s}")
            emit("i32.mul")
            emit("i32.add")
            emit("local.set $io")

            def per_q():
                for k, nm in enumerate("abcd"):
                    get("ia", "qq")
                    emit("i32.add")
                    emit(f"v128.load offset={cs * s * q * k}")
                    emit(f"local.set $v{nm}")
                for nm, x, y, op in (("apc", "a", "c", "add"), ("amc", "a", "c", "sub"), ("bpd", "b", "d", "add"),
                                     ("bmd", "b", "d", "sub")):
                    get("v" + x, "v" + y)
                    emit(f"{vt}.{op}")
                    emit(f"local.set $v{nm}")
                # jb = sign * i * bmd = swap(bmd) * [-sign, sign, ...]
                get("vbmd")
                emit(swap)
                emit("i8x16.swizzle")
                emit(vconst(-sign, sign))
                emit(f"{vt}.mul")
                emit("local.set $vjb")
                get("io", "qq")
                emit("i32.add")
                emit("local.set $t")
                get("t", "vapc", "vbpd")
                emit(f"{vt}.add")
                emit("v128.store offset=0")
                for k, (x, y, op) in ((1, ("vamc", "vjb", "add")), (2, ("vapc", "vbpd", "sub")),
                                      (3, ("vamc", "vjb", "sub"))):
                    get(x, y)
                    emit(f"{vt}.{op}")
                    emit("local.set $vu")
                    get("t")
                    vcmul("vu", f"vw{k}r", f"vw{k}i")
                    emit(f"v128.store offset={cs * s * k}")
            loop("qq", cs * s, 16, per_q)
        loop("p", q, 1, per_p)

    def simd_radix2_last(src, dst, m, s):
        # m == 2: y[q] = a + b, y[q + s] = a - b with a = x[q], b = x[q + s]
        def per_q():
            get(src, "qq")
            emit("i32.add")
            emit("local.tee $ia")
            emit("v128.load")
            emit("local.set $va")
            get("ia")
            emit(f"v128.load offset={cs * s}")
            emit("local.set $vb")
            get(dst, "qq")
            emit("i32.add")
            emit("local.tee $io")
            get("va", "vb")
            emit(f"{vt}.add")
            emit("v128.store")
            get("io", "va", "vb")
            emit(f"{vt}.sub")
            emit(f"v128.store offset={cs * s}")
        loop("qq", cs * s, 16, per_q)

    # ---- the rows ----------------------------------------------------------------------------
    def copy_loop(nbytes, src, dst, src_step=cs, dst_step=cs, fn=None):
        """A per-complex loop over a row: fn(src_addr_local, dst_addr_local) or a copy of one complex."""
        def body():
            get(src, "qq")
            emit("i32.add")
            emit("local.set $ia")
            get(dst, "qq")
            if dst_step != src_step:  # dst index = qq / src_step * dst_step
                emit(f"i32.const {src_step // dst_step}")
                emit("i32.div_u")
            emit("i32.add")
            emit("local.set $io")
            if fn is None:
                get("io", "ia")
                emit("v128.load" if wide else "i64.load")
                emit("v128.store" if wide else "i64.store")
            else:
                fn()
        loop("qq", nbytes, src_step, body)

    def run_stages(src, final, other, real):
        n_st = len(plan)
        for k, (radix, m, s) in enumerate(plan):
            dst = final if (n_st - 1 - k) % 2 == 0 else other
            if s * cs < 16 or real and k == 0:
                (scalar_radix4 if radix == 4 else scalar_radix2)(src, dst, m, s, real and k == 0)
            else:
                (simd_radix4 if radix == 4 else simd_radix2_last)(src, dst, m, s)
            src = dst
        if not plan:  # n == 1
            cload("a", src, 0, real)
            cstore(final, 0, lambda: get("ar"), lambda: get("ai"))

    def scale(buf):
        def body():
            get(buf, "qq")
            emit("i32.add")
            emit("local.tee $t")
            get("t")
            emit("v128.load")
            emit(vconst(1 / n, 1 / n))
            emit(f"{vt}.mul")
            emit("v128.store")
        if n * cs >= 16:
            loop("qq", cs * n, 16, body)

    half = n // 2 + 1
    shift = cs.bit_length() - 1  # complex index -> byte offset

    def untangle(src, m):
        """out[k], k <= m, from Z = the FFT of z[j] = x[2j] + i x[2j + 1]: with a = Z[k mod m] and
        b = Z[(m - k) mod m], E = (a + conj b) / 2 and O = (a - conj b) / 2i are the spectra of the
        even and odd samples, and X[k] = E + W^k O, W = exp(-2 pi i / n) read from tw2."""
        def body():  # qq = k
            for nm, idx in (("a", lambda: get("qq")), ("b", lambda: (emit(f"i32.const {m}"), get("qq"),
                                                                     emit("i32.sub")))):
                get(src)
                idx()
                emit(f"i32.const {m - 1}")
                emit("i32.and")
                emit(f"i32.const {shift}")
                emit("i32.shl")
                emit("i32.add")
                emit("local.set $t")
                cload(nm, "t", 0, False)
            for dst, x, op1, y in (("apcr", "ar", "add", "br"), ("apci", "ai", "sub", "bi"),
                                   ("amcr", "ai", "add", "bi"), ("amci", "br", "sub", "ar")):
                get(x, y)
                emit(f"{ft}.{op1}")
                emit(f"{ft}.const 0.5")
                emit(f"{ft}.mul")
                emit(f"local.set ${dst}")  # E = (apcr, apci), O = (amcr, amci)
            get("tw2", "qq")
            emit(f"i32.const {shift}")
            emit("i32.shl")
            emit("i32.add")
            emit("local.tee $t")
            emit(f"{ft}.load")
            emit("local.set $wr")
            get("t")
            emit(f"{ft}.load offset={es}")
            emit("local.set $wi")
            get("out", "qq")
            emit(f"i32.const {shift}")
            emit("i32.shl")
            emit("i32.add")
            emit("local.set $io")
            cstore("io", 0,
                   lambda: (get("apcr", "wr", "amcr"), emit(f"{ft}.mul"), get("wi", "amci"), emit(f"{ft}.mul"),
                            emit(f"{ft}.sub"), emit(f"{ft}.add")),
                   lambda: (get("apci", "wr", "amci"), emit(f"{ft}.mul"), get("wi", "amcr"), emit(f"{ft}.mul"),
                            emit(f"{ft}.add"), emit(f"{ft}.add")))
        loop("qq", m + 1, 1, body)

    def row():
        if mode == "c2c":
            run_stages("x", "out", "scr", False)
            if inverse:
                scale("out")
            steps = (cs * n, cs * n)
        elif packed:
            m = n // 2
            final = "scr" if len(plan) % 2 else "scr2"
            run_stages("x", final, "scr2" if final == "scr" else "scr", False)
            untangle(final, m)
            steps = (es * n, cs * half)
        elif mode == "r2c":
            run_stages("x", "scr2", "scr", True)
            copy_loop(cs * half, "scr2", "out")
            steps = (es * n, cs * half)
        else:  # c2r: the half spectrum extended to n by X[n - k] = conj(X[k]), inverse, real parts
            copy_loop(cs * half, "x", "scr2")

            def conj_mirror():  # scr2[k] = conj(x[n - k]) for k in (n/2, n), qq = cs k
                get("x")
                emit(f"i32.const {cs * n}")
                emit("i32.add")
                get("qq")
                emit("i32.sub")
                emit("local.set $t")
                get("scr2", "qq")
                emit("i32.add")
                emit("local.tee $io")
                get("t")
                emit(f"{ft}.load")
                emit(f"{ft}.store")
                get("io", "t")
                emit(f"{ft}.load offset={es}")
                emit(f"{ft}.neg")
                emit(f"{ft}.store offset={es}")
            k = next(labels)  # qq from cs half up to cs n
            emit(f"i32.const {cs * half}")
            emit("local.set $qq")
            emit(f"block $x{k}")
            emit(f"loop $l{k}")
            emit("local.get $qq")
            emit(f"i32.const {cs * n}")
            emit("i32.ge_u")
            emit(f"br_if $x{k}")
            conj_mirror()
            emit("local.get $qq")
            emit(f"i32.const {cs}")
            emit("i32.add")
            emit("local.set $qq")
            emit(f"br $l{k}")
            emit("end")
            emit("end")
            final = "scr" if len(plan) % 2 else "scr2"
            run_stages("scr2", final, "scr2" if final == "scr" else "scr", False)
            scale(final)

            def real_part():
                get("io", "ia")
                emit(f"{ft}.load")
                emit(f"{ft}.store")
            copy_loop(cs * n, final, "out", cs, es, real_part)
            steps = (cs * half, es * n)
        for ptr, size in zip(("x", "out"), steps):
            get(ptr)
            emit(f"i32.const {size}")
            emit("i32.add")
            emit(f"local.set ${ptr}")

    # rows is a parameter: a count-down loop of its own
    emit("block $xrows")
    emit("local.get $rows")
    emit("i32.eqz")
    emit("br_if $xrows")
    emit("loop $lrows")
    row()
    emit("local.get $rows")
    emit("i32.const 1")
    emit("i32.sub")
    emit("local.tee $rows")
    emit("br_if $lrows")
    emit("end")
    emit("end")

    scalars = [f"${nm}{part} {ft}" for nm in ("a", "b", "c", "d", "apc", "amc", "bpd", "bmd", "u") for part in "ri"]
    scalars += [f"$wr {ft}", f"$wi {ft}"]
    v128s = [f"${nm} v128" for nm in ("va", "vb", "vc", "vd", "vapc", "vamc", "vbpd", "vbmd", "vjb", "vu", "vwr",
                                        "vwi", "vw1r", "vw1i", "vw2r", "vw2i", "vw3r", "vw3i")]
    locals_ = ["$p i32", "$qq i32", "$ia i32", "$io i32", "$t i32", *scalars, *v128s]
    body = "\n".join("    " + line for line in lines)
    return f"""(module
  {memory_import(shared)}
  (func $kernel (export "kernel") (param $x i32) (param $out i32) (param $scr i32) (param $scr2 i32)
    (param $tw i32) (param $tw2 i32) (param $rows i32)
    {' '.join(f'(local {x})' for x in locals_)}
{body}))
"""


def twiddles(n: int, inverse: bool, dtype=C64) -> np.ndarray:
    k = np.arange(max(n, 1), dtype=np.float64)
    return np.exp((2j if inverse else -2j) * np.pi * k / max(n, 1)).astype(dtype)


def _routine(dev, n, mode, inverse, dtype):
    shared = dev.runtime.shared
    gen = fft_c128 if dtype == C128 else fft_c64
    fn = dev.compile_cached((gen.__name__, n, mode, inverse, shared),
                            lambda: dev.runtime.instantiate(assemble(gen(n, mode, inverse, shared))))
    packed = mode == "r2c" and n >= 4
    return fn, _twiddles(dev, n // 2 if packed else n, inverse, dtype), _twiddles(dev, n, inverse, dtype)


def _twiddles(dev, n, inverse, dtype):
    key = ("fft_twiddles", n, inverse) if dtype == C64 else ("fft_twiddles", n, inverse, dtype.name)
    tw = dev._kernels.get(key)
    if tw is None:
        tw = dev._kernels[key] = dev.put(twiddles(n, inverse, dtype))
    return tw


_MODES = {0: ("c2c", False), 1: ("c2c", True), 2: ("r2c", False), 3: ("c2r", True)}  # FftType -> mode


def fft_rule(dev, bufs, in_avals, params, out_avals):
    """fft_p on the wasm device, or None (the host) where the routine does not apply."""
    lengths = tuple(params["fft_lengths"])
    if len(lengths) != 1:
        return None
    n = lengths[0]
    x_aval, out_aval = in_avals[0], out_avals[0]
    dtype = x_aval.dtype if x_aval.dtype.kind == "c" else out_aval.dtype
    if n < 1 or dtype not in (C64, C128) or not x_aval.shape[-1]:
        return None
    if not out_aval.size:  # no rows
        return [WasmBuffer(dev, 0)]
    mode, inverse = _MODES[int(params["fft_type"])]
    if n & (n - 1) or mode == "c2r" and n > 1 and x_aval.shape[-1] != n // 2 + 1:
        # other lengths, and half spectra to crop or pad, as Bluestein's convolution of powers of two
        return bluestein.fft(dev, fft_rule, bufs, in_avals, params, out_avals)
    if mode == "c2r" and n < 2:
        return None
    rows = out_aval.size // out_aval.shape[-1]
    with dev.runtime.lock:
        fn, tw, tw2 = _routine(dev, n, mode, inverse, dtype)
        out = WasmBuffer(dev, out_aval.size * out_aval.dtype.itemsize)
        scr = WasmBuffer(dev, n * dtype.itemsize)
        scr2 = WasmBuffer(dev, n * dtype.itemsize) if mode != "c2c" else scr
        fn(bufs[0].ptr, out.ptr, scr.ptr, scr2.ptr, tw.ptr, tw2.ptr, rows)
    return [out]


WasmDevice.prim_routines["fft"] = fft_rule
