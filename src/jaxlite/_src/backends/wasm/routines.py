"""Hand-written WebAssembly routines for what a per-element loop does badly.

matmul_f32: C[b] = A[b] @ B[b] for row-major float32 A (M x K), B (K x N), C (M x N), repeated over
a batch. The core is an MR x 8 register tile (MR = 6: 12 accumulators, two B vectors and one
broadcast A value fill the 16 vector registers of x86-64): per k it loads 8 values of B's row as
two v128 and broadcasts MR values of A, with row pointers advanced by increments rather than
recomputed. With relaxed SIMD (probed at start-up) the multiply-adds are fused (f32x4.relaxed_madd:
one instruction, and each step rounds once instead of twice). Edges (M % MR rows, N % 8 columns)
use a scalar loop. Each 8-column strip of B is first copied into a contiguous panel (the caller's
scratch, 32 k bytes): rows of B lie n floats apart, so reading the strip in place would hit the same
cache sets again and again (4 KiB apart at n = 1024). Accumulation is in float32, in k order, as
BLAS does.
"""

from __future__ import annotations

from jaxlite._src.backends.wasm.render import memory_import

MR = 6
KU = 4  # k steps per loop iteration (pointer increments and the loop test once per KU)


def matmul_f32(batch: int, m: int, n: int, k: int, fma: bool = False, shared: bool = False) -> str:
    """kernel(a, b, c, scratch, r0, r1) computes rows [r0, r1) of every C[b] (threads take row ranges)."""
    n8 = n - n % 8
    lines: list[str] = []
    emit = lines.append

    def loop(var, start, stop, step, body_fn, label):
        """for var in range(start, stop, step); start is an instruction, stop a number or $local."""
        emit(f"{start}")
        emit(f"local.set ${var}")
        emit(f"block $x{label}")
        emit(f"loop $l{label}")
        emit(f"local.get ${var}")
        emit(f"local.get {stop}" if isinstance(stop, str) else f"i32.const {stop}")
        emit("i32.ge_u")
        emit(f"br_if $x{label}")
        body_fn()
        emit(f"local.get ${var}")
        emit(f"i32.const {step}")
        emit("i32.add")
        emit(f"local.set ${var}")
        emit(f"br $l{label}")
        emit("end")
        emit("end")

    def addr(base, row, row_len, col):
        """Byte address of base[row, col] for float32 rows of row_len (row, col are locals)."""
        emit(f"local.get ${base}")
        emit(f"local.get ${row}")
        emit(f"i32.const {row_len * 4}")
        emit("i32.mul")
        emit("i32.add")
        emit(f"local.get ${col}")
        emit("i32.const 2")
        emit("i32.shl")
        emit("i32.add")

    def tile():
        for r in range(MR):
            for h in range(2):
                emit("v128.const i32x4 0 0 0 0")
                emit(f"local.set $acc{r}{h}")
        for r in range(MR):  # pa_r = &A[i + r, 0]
            emit("local.get $a")
            emit("local.get $i")
            emit(f"i32.const {r}")
            emit("i32.add")
            emit(f"i32.const {k * 4}")
            emit("i32.mul")
            emit("i32.add")
            emit(f"local.set $pa{r}")
        emit("local.get $scratch")  # pb = the packed panel of B[:, j:j+8]
        emit("local.set $pb")

        def ksteps(unroll):
            """unroll steps of k with constant offsets, then the pointers advance once."""
            for u in range(unroll):
                emit("local.get $pb")
                emit(f"v128.load offset={u * 32}")
                emit("local.set $b0")
                emit("local.get $pb")
                emit(f"v128.load offset={u * 32 + 16}")
                emit("local.set $b1")
                for r in range(MR):
                    emit(f"local.get $pa{r}")
                    emit(f"v128.load32_splat offset={u * 4}")
                    emit("local.set $av")
                    for h in range(2):
                        if fma:
                            emit("local.get $av")
                            emit(f"local.get $b{h}")
                            emit(f"local.get $acc{r}{h}")
                            emit("f32x4.relaxed_madd")
                        else:
                            emit(f"local.get $acc{r}{h}")
                            emit("local.get $av")
                            emit(f"local.get $b{h}")
                            emit("f32x4.mul")
                            emit("f32x4.add")
                        emit(f"local.set $acc{r}{h}")
            emit("local.get $pb")
            emit(f"i32.const {unroll * 32}")
            emit("i32.add")
            emit("local.set $pb")
            for r in range(MR):
                emit(f"local.get $pa{r}")
                emit(f"i32.const {unroll * 4}")
                emit("i32.add")
                emit(f"local.set $pa{r}")

        k4 = k - k % KU
        if k4:
            loop("kk", "i32.const 0", k4, KU, lambda: ksteps(KU), "k")
        if k4 < k:
            loop("kk", f"i32.const {k4}", k, 1, lambda: ksteps(1), "kr")
        for r in range(MR):
            emit("local.get $i")
            emit(f"i32.const {r}")
            emit("i32.add")
            emit("local.set $row")
            addr("c", "row", n, "j")
            emit("local.tee $cp")
            emit(f"local.get $acc{r}0")
            emit("v128.store")
            emit("local.get $cp")
            emit(f"local.get $acc{r}1")
            emit("v128.store offset=16")

    def scalar_cell():
        # C[i2, j2] = sum_kk A[i2, kk] * B[kk, j2]
        emit("f32.const 0")
        emit("local.set $s")

        def kb():
            emit("local.get $s")
            addr("a", "i2", k, "kk")
            emit("f32.load")
            addr("b", "kk", n, "j2")
            emit("f32.load")
            emit("f32.mul")
            emit("f32.add")
            emit("local.set $s")

        loop("kk", "i32.const 0", k, 1, kb, "sk")
        addr("c", "i2", n, "j2")
        emit("local.get $s")
        emit("f32.store")

    def pack():
        """scratch[kk, 0:8] = B[kk, j:j+8]: the strip the row tiles reuse, contiguous in memory."""
        emit("local.get $scratch")
        emit("local.set $pk")

        def row():
            emit("local.get $pk")
            addr("b", "kk", n, "j")
            emit("local.tee $bp")
            emit("v128.load")
            emit("v128.store")
            emit("local.get $pk")
            emit("local.get $bp")
            emit("v128.load offset=16")
            emit("v128.store offset=16")
            emit("local.get $pk")
            emit("i32.const 32")
            emit("i32.add")
            emit("local.set $pk")
        loop("kk", "i32.const 0", k, 1, row, "pk")

    def scalar_rows(row_lo, row_hi, col_lo_local, col_count, label):
        """row_lo: an instruction; row_hi: a number or $local."""
        """C[i2, j2] for rows [row_lo, row_hi) and columns [col_lo, col_lo + col_count), one at a time."""
        def cols():
            emit(f"local.get ${col_lo_local}" if col_lo_local else "i32.const 0")
            emit("local.set $j2")
            emit(f"local.get ${col_lo_local}" if col_lo_local else "i32.const 0")
            emit(f"i32.const {col_count}")
            emit("i32.add")
            emit("local.set $iend")
            emit(f"block $xc{label}")
            emit(f"loop $lc{label}")
            emit("local.get $j2")
            emit("local.get $iend")
            emit("i32.ge_u")
            emit(f"br_if $xc{label}")
            scalar_cell()
            emit("local.get $j2")
            emit("i32.const 1")
            emit("i32.add")
            emit("local.set $j2")
            emit(f"br $lc{label}")
            emit("end")
            emit("end")
        loop("i2", row_lo, row_hi, 1, cols, label)

    def batch_body():
        def jblock():
            pack()
            loop("i", "local.get $r0", "$mm", MR, tile, "ti")
            scalar_rows("local.get $mm", "$r1", "j", 8, "bt")  # the last (r1 - r0) % MR rows of this strip
        loop("j", "i32.const 0", n8, 8, jblock, "tj")
        if n8 < n:  # the last n % 8 columns, every row
            emit(f"i32.const {n8}")
            emit("local.set $j")
            scalar_rows("local.get $r0", "$r1", "j", n - n8, "rt")
        # next batch: advance the base pointers
        for p, size in (("a", m * k), ("b", k * n), ("c", m * n)):
            emit(f"local.get ${p}")
            emit(f"i32.const {size * 4}")
            emit("i32.add")
            emit(f"local.set ${p}")

    # $mm: where the MR-row tiles stop, r0 + (r1 - r0) - (r1 - r0) % MR
    emit("local.get $r1")
    emit("local.get $r1")
    emit("local.get $r0")
    emit("i32.sub")
    emit(f"i32.const {MR}")
    emit("i32.rem_u")
    emit("i32.sub")
    emit("local.set $mm")
    loop("bt", "i32.const 0", batch, 1, batch_body, "bt")
    locals_ = ["$bt i32", "$i i32", "$j i32", "$kk i32", "$i2 i32", "$j2 i32", "$iend i32", "$row i32", "$mm i32",
               "$pb i32", "$pk i32", "$bp i32", "$cp i32", "$s f32", "$av v128", "$b0 v128", "$b1 v128"]
    locals_ += [f"$pa{r} i32" for r in range(MR)]
    locals_ += [f"$acc{r}{h} v128" for r in range(MR) for h in range(2)]
    body = "\n".join("    " + line for line in lines)
    return f"""(module
  {memory_import(shared)}
  (func $kernel (export "kernel") (param $a i32) (param $b i32) (param $c i32) (param $scratch i32)
    (param $r0 i32) (param $r1 i32)
    {' '.join(f'(local {x})' for x in locals_)}
{body}))
"""
