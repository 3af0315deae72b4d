"""The FFT on the wasm device: a hand-written WebAssembly routine for `fft_p` over one axis of a
power-of-two length, complex64, batched over the leading rows (RFFT and IRFFT included).
Other lengths (and half spectra to crop or pad) run as Bluestein's convolution of power-of-two
transforms (backends/bluestein.py); more than one axis is the decomposition of lax/fft.py;
complex128 returns None: it runs on the host (counted).

The transform is Stockham's autosort FFT (no bit reversal), radix 4 with one radix-2 stage when
log2(n) is odd, ping-ponging between the output and a scratch row so that the input is never
written. After the first stage every butterfly of a stage shares its twiddle across a contiguous
run of s >= 4 complex numbers, so the inner loop takes two complex numbers per v128 with the
twiddle splatted; the first stage (s = 1) is scalar. Twiddles exp(-+2 pi i k / n), k < n, are
computed once per length in float64 and kept on the device; stage (n', s) reads W^(p s), W^(2 p s),
W^(3 p s) from that one table. RFFT reads its n real values as n/2 complex numbers, transforms
those, and untangles the spectra of the even and odd samples (half the work of a complex FFT of
n); IRFFT extends the half spectrum by Hermitian symmetry and runs the inverse of length n.

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
F32 = np.dtype(np.float32)
# i8x16.swizzle indices (as i32 lanes) exchanging the two floats of each complex: [re, im] -> [im, re]
_SWAP = "v128.const i32x4 117835012 50462976 252579084 185207048"
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
        """wr, wi <- tw[(p * s * mult)] as f32 scalars: address tw + p * pos_bytes_per_p."""
        get("tw", "p")
        emit(f"i32.const {pos_bytes_per_p}")
        emit("i32.mul")
        emit("i32.add")
        emit("local.tee $t")
        emit("f32.load")
        emit(f"local.set ${wr}")
        get("t")
        emit("f32.load offset=4")
        emit(f"local.set ${wi}")

    # ---- scalar complex helpers on (re, im) local pairs --------------------------------------
    def cload(dst, addr_local, offset, real):
        get(addr_local)
        emit(f"f32.load offset={offset}")
        emit(f"local.set ${dst}r")
        if real:
            emit("f32.const 0")
        else:
            get(addr_local)
            emit(f"f32.load offset={offset + 4}")
        emit(f"local.set ${dst}i")

    def cstore(addr_local, offset, re_fn, im_fn):
        get(addr_local)
        re_fn()
        emit(f"f32.store offset={offset}")
        get(addr_local)
        im_fn()
        emit(f"f32.store offset={offset + 4}")

    def scalar_radix4(src, dst, m, s, real):
        # s == 1: a, b, c, d at src + 8p (+ 2 m, 4 m, 6 m bytes); y at dst + 32 p (+ 8, 16, 24).
        q = m // 4
        width = 4 if real else 8

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
                    emit(f"f32.{op}")
                    emit(f"local.set ${nm}{part}")
            get(dst, "p")
            emit("i32.const 32")
            emit("i32.mul")
            emit("i32.add")
            emit("local.set $io")
            # y0 = apc + bpd
            cstore("io", 0, lambda: (get("apcr", "bpdr"), emit("f32.add")), lambda: (get("apci", "bpdi"), emit("f32.add")))
            # u = apc - bpd; y2 = W^2p u
            for part in "ri":
                get("apc" + part, "bpd" + part)
                emit("f32.sub")
                emit(f"local.set $u{part}")
            twiddle(16 * s, "wr", "wi")
            cmul_store("io", 16, "u")
            # y1 = W^p (amc + sign * i bmd) = W^p (amc_r - sign bmd_i, amc_i + sign bmd_r)
            for k, sg in ((1, sign), (3, -sign)):
                get("amcr", "bmdi")
                emit(f"f32.const {sg}")
                emit("f32.mul")
                emit("f32.sub")
                emit("local.set $ur")
                get("amci", "bmdr")
                emit(f"f32.const {sg}")
                emit("f32.mul")
                emit("f32.add")
                emit("local.set $ui")
                twiddle(8 * k * s, "wr", "wi")
                cmul_store("io", 8 * k, "u")
        loop("p", q, 1, body)

    def cmul_store(addr_local, offset, u):
        """dst[offset] = (wr + i wi) * u"""
        def re():
            get(u + "r", "wr")
            emit("f32.mul")
            get(u + "i", "wi")
            emit("f32.mul")
            emit("f32.sub")

        def im():
            get(u + "r", "wi")
            emit("f32.mul")
            get(u + "i", "wr")
            emit("f32.mul")
            emit("f32.add")
        cstore(addr_local, offset, re, im)

    def scalar_radix2(src, dst, m, s, real):
        # only for n == 2 (m == 2, s == 1): y0 = a + b, y1 = a - b
        width = 4 if real else 8
        get(src)
        emit("local.set $ia")
        cload("a", "ia", 0, real)
        cload("b", "ia", width, real)
        get(dst)
        emit("local.set $io")
        cstore("io", 0, lambda: (get("ar", "br"), emit("f32.add")), lambda: (get("ai", "bi"), emit("f32.add")))
        cstore("io", 8, lambda: (get("ar", "br"), emit("f32.sub")), lambda: (get("ai", "bi"), emit("f32.sub")))

    # ---- SIMD stages (s >= 2: two complex numbers per v128, one twiddle per p) ----------------
    def vcmul(v, wr, wis):
        """(splat wr) * v + (wi * [-1, 1, -1, 1]) * swap(v), left on the stack."""
        get(v, wr)
        emit("f32x4.mul")
        get(v)
        emit(_SWAP)
        emit("i8x16.swizzle")
        get(wis)
        emit("f32x4.mul")
        emit("f32x4.add")

    def vtwiddle(pos_bytes_per_p):
        twiddle(pos_bytes_per_p, "wr", "wi")
        get("wr")
        emit("f32x4.splat")
        emit("local.set $vwr")
        get("wi")
        emit("f32x4.splat")
        emit("v128.const f32x4 -1 1 -1 1")
        emit("f32x4.mul")
        emit("local.set $vwi")

    def simd_radix4(src, dst, m, s):
        q = m // 4

        def per_p():
            for k in (1, 2, 3):
                vtwiddle(8 * k * s)
                get(f"vwr", "vwi")
                emit(f"local.set $vw{k}i")
                emit(f"local.set $vw{k}r")
            # ia = src + 8 s p, io = dst + 32 s p
            get(src, "p")
            emit(f"i32.const {8 * s}")
            emit("i32.mul")
            emit("i32.add")
            emit("local.set $ia")
            get(dst, "p")
            emit(f"i32.const {32 * s}")
            emit("i32.mul")
            emit("i32.add")
            emit("local.set $io")

            def per_q():
                for k, nm in enumerate("abcd"):
                    get("ia", "qq")
                    emit("i32.add")
                    emit(f"v128.load offset={8 * s * q * k}")
                    emit(f"local.set $v{nm}")
                for nm, x, y, op in (("apc", "a", "c", "add"), ("amc", "a", "c", "sub"), ("bpd", "b", "d", "add"),
                                     ("bmd", "b", "d", "sub")):
                    get("v" + x, "v" + y)
                    emit(f"f32x4.{op}")
                    emit(f"local.set $v{nm}")
                # jb = sign * i * bmd = swap(bmd) * [-sign, sign, -sign, sign]
                get("vbmd")
                emit(_SWAP)
                emit("i8x16.swizzle")
                emit(f"v128.const f32x4 {-sign} {sign} {-sign} {sign}")
                emit("f32x4.mul")
                emit("local.set $vjb")
                get("io", "qq")
                emit("i32.add")
                emit("local.set $t")
                get("t", "vapc", "vbpd")
                emit("f32x4.add")
                emit("v128.store offset=0")
                for k, (x, y, op) in ((1, ("vamc", "vjb", "add")), (2, ("vapc", "vbpd", "sub")),
                                      (3, ("vamc", "vjb", "sub"))):
                    get(x, y)
                    emit(f"f32x4.{op}")
                    emit("local.set $vu")
                    get("t")
                    vcmul("vu", f"vw{k}r", f"vw{k}i")
                    emit(f"v128.store offset={8 * s * k}")
            loop("qq", 8 * s, 16, per_q)
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
            emit(f"v128.load offset={8 * s}")
            emit("local.set $vb")
            get(dst, "qq")
            emit("i32.add")
            emit("local.tee $io")
            get("va", "vb")
            emit("f32x4.add")
            emit("v128.store")
            get("io", "va", "vb")
            emit("f32x4.sub")
            emit(f"v128.store offset={8 * s}")
        loop("qq", 8 * s, 16, per_q)

    # ---- the rows ----------------------------------------------------------------------------
    def copy_loop(nbytes, src, dst, src_step=8, dst_step=8, fn=None):
        """A per-complex loop over a row: fn(src_addr_local, dst_addr_local) or an 8-byte copy."""
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
                emit("i64.load")
                emit("i64.store")
            else:
                fn()
        loop("qq", nbytes, src_step, body)

    def run_stages(src, final, other, real):
        n_st = len(plan)
        for k, (radix, m, s) in enumerate(plan):
            dst = final if (n_st - 1 - k) % 2 == 0 else other
            if s == 1:
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
            emit(f"v128.const f32x4 {1 / n} {1 / n} {1 / n} {1 / n}")
            emit("f32x4.mul")
            emit("v128.store")
        if n >= 2:
            loop("qq", 8 * n, 16, body)

    half = n // 2 + 1

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
                emit("i32.const 3")
                emit("i32.shl")
                emit("i32.add")
                emit("local.set $t")
                cload(nm, "t", 0, False)
            for dst, x, op1, y in (("apcr", "ar", "add", "br"), ("apci", "ai", "sub", "bi"),
                                   ("amcr", "ai", "add", "bi"), ("amci", "br", "sub", "ar")):
                get(x, y)
                emit(f"f32.{op1}")
                emit("f32.const 0.5")
                emit("f32.mul")
                emit(f"local.set ${dst}")  # E = (apcr, apci), O = (amcr, amci)
            get("tw2", "qq")
            emit("i32.const 3")
            emit("i32.shl")
            emit("i32.add")
            emit("local.tee $t")
            emit("f32.load")
            emit("local.set $wr")
            get("t")
            emit("f32.load offset=4")
            emit("local.set $wi")
            get("out", "qq")
            emit("i32.const 3")
            emit("i32.shl")
            emit("i32.add")
            emit("local.set $io")
            cstore("io", 0,
                   lambda: (get("apcr", "wr", "amcr"), emit("f32.mul"), get("wi", "amci"), emit("f32.mul"),
                            emit("f32.sub"), emit("f32.add")),
                   lambda: (get("apci", "wr", "amci"), emit("f32.mul"), get("wi", "amcr"), emit("f32.mul"),
                            emit("f32.add"), emit("f32.add")))
        loop("qq", m + 1, 1, body)

    def row():
        if mode == "c2c":
            run_stages("x", "out", "scr", False)
            if inverse:
                scale("out")
            steps = (8 * n, 8 * n)
        elif packed:
            m = n // 2
            final = "scr" if len(plan) % 2 else "scr2"
            run_stages("x", final, "scr2" if final == "scr" else "scr", False)
            untangle(final, m)
            steps = (4 * n, 8 * half)
        elif mode == "r2c":
            run_stages("x", "scr2", "scr", True)
            copy_loop(8 * half, "scr2", "out")
            steps = (4 * n, 8 * half)
        else:  # c2r: the half spectrum extended to n by X[n - k] = conj(X[k]), inverse, real parts
            copy_loop(8 * half, "x", "scr2")

            def conj_mirror():  # scr2[k] = conj(x[n - k]) for k in (n/2, n): ia = x + 8 qq, io = scr2 + 8 qq
                get("x")
                emit(f"i32.const {8 * n}")
                emit("i32.add")
                get("qq")
                emit("i32.sub")
                emit("local.set $t")
                get("scr2", "qq")
                emit("i32.add")
                emit("local.tee $io")
                get("t")
                emit("f32.load")
                emit("f32.store")
                get("io", "t")
                emit("f32.load offset=4")
                emit("f32.neg")
                emit("f32.store offset=4")
            k = next(labels)  # qq from 8 * half up to 8 n
            emit(f"i32.const {8 * half}")
            emit("local.set $qq")
            emit(f"block $x{k}")
            emit(f"loop $l{k}")
            emit("local.get $qq")
            emit(f"i32.const {8 * n}")
            emit("i32.ge_u")
            emit(f"br_if $x{k}")
            conj_mirror()
            emit("local.get $qq")
            emit("i32.const 8")
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
                emit("f32.load")
                emit("f32.store")
            copy_loop(8 * n, final, "out", 8, 4, real_part)
            steps = (8 * half, 4 * n)
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

    f32s = [f"${nm}{part} f32" for nm in ("a", "b", "c", "d", "apc", "amc", "bpd", "bmd", "u") for part in "ri"]
    f32s += ["$wr f32", "$wi f32"]
    v128s = [f"${nm} v128" for nm in ("va", "vb", "vc", "vd", "vapc", "vamc", "vbpd", "vbmd", "vjb", "vu", "vwr",
                                        "vwi", "vw1r", "vw1i", "vw2r", "vw2i", "vw3r", "vw3i")]
    locals_ = ["$p i32", "$qq i32", "$ia i32", "$io i32", "$t i32", *f32s, *v128s]
    body = "\n".join("    " + line for line in lines)
    return f"""(module
  {memory_import(shared)}
  (func $kernel (export "kernel") (param $x i32) (param $out i32) (param $scr i32) (param $scr2 i32)
    (param $tw i32) (param $tw2 i32) (param $rows i32)
    {' '.join(f'(local {x})' for x in locals_)}
{body}))
"""


def twiddles(n: int, inverse: bool) -> np.ndarray:
    k = np.arange(max(n, 1), dtype=np.float64)
    return np.exp((2j if inverse else -2j) * np.pi * k / max(n, 1)).astype(C64)


def _routine(dev, n, mode, inverse):
    shared = dev.runtime.shared
    fn = dev.compile_cached(("fft_c64", n, mode, inverse, shared),
                            lambda: dev.runtime.instantiate(assemble(fft_c64(n, mode, inverse, shared))))
    packed = mode == "r2c" and n >= 4
    return fn, _twiddles(dev, n // 2 if packed else n, inverse), _twiddles(dev, n, inverse)


def _twiddles(dev, n, inverse):
    key = ("fft_twiddles", n, inverse)
    tw = dev._kernels.get(key)
    if tw is None:
        tw = dev._kernels[key] = dev.put(twiddles(n, inverse))
    return tw


_MODES = {0: ("c2c", False), 1: ("c2c", True), 2: ("r2c", False), 3: ("c2r", True)}  # FftType -> mode


def fft_rule(dev, bufs, in_avals, params, out_avals):
    """fft_p on the wasm device, or None (the host) where the routine does not apply."""
    lengths = tuple(params["fft_lengths"])
    if len(lengths) != 1:
        return None
    n = lengths[0]
    x_aval, out_aval = in_avals[0], out_avals[0]
    if n < 1 or C64 not in (x_aval.dtype, out_aval.dtype) or not out_aval.size or not x_aval.shape[-1]:
        return None
    mode, inverse = _MODES[int(params["fft_type"])]
    if n & (n - 1) or mode == "c2r" and n > 1 and x_aval.shape[-1] != n // 2 + 1:
        # other lengths, and half spectra to crop or pad, as Bluestein's convolution of powers of two
        return bluestein.fft(dev, fft_rule, bufs, in_avals, params, out_avals)
    if mode == "c2r" and n < 2:
        return None
    rows = out_aval.size // out_aval.shape[-1]
    with dev.runtime.lock:
        fn, tw, tw2 = _routine(dev, n, mode, inverse)
        out = WasmBuffer(dev, out_aval.size * out_aval.dtype.itemsize)
        scr = WasmBuffer(dev, n * 8)
        scr2 = WasmBuffer(dev, n * 8) if mode != "c2c" else scr
        fn(bufs[0].ptr, out.ptr, scr.ptr, scr2.ptr, tw.ptr, tw2.ptr, rows)
    return [out]


WasmDevice.prim_routines["fft"] = fft_rule
