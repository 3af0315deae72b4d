"""Hand-written WebAssembly routines for what a per-element loop does badly.

matmul_f32: C[b] = A[b] @ B[b] for row-major float32 A (M x K), B (K x N), C (M x N), repeated over
a batch. The core is a 4 x 8 register tile: per k it loads 8 values of B's row as two v128 and
broadcasts 4 values of A, accumulating 8 v128 sums (64 flops per 6 loads). Edges (M % 4 rows,
N % 8 columns) use a scalar loop. Accumulation is in float32, in k order, as BLAS does.
"""

from __future__ import annotations


def matmul_f32(batch: int, m: int, n: int, k: int) -> str:
    m4, n8 = m - m % 4, n - n % 8
    lines: list[str] = []
    emit = lines.append

    def loop(var, start, stop, step, body_fn, label):
        emit(f"{start}")
        emit(f"local.set ${var}")
        emit(f"block $x{label}")
        emit(f"loop $l{label}")
        emit(f"local.get ${var}")
        emit(f"i32.const {stop}")
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
        for r in range(4):
            for h in range(2):
                emit("v128.const i32x4 0 0 0 0")
                emit(f"local.set $acc{r}{h}")

        def kbody():
            addr("b", "kk", n, "j")
            emit("local.tee $bp")
            emit("v128.load")
            emit("local.set $b0")
            emit("local.get $bp")
            emit("v128.load offset=16")
            emit("local.set $b1")
            for r in range(4):
                # A[i + r, kk]
                emit("local.get $a")
                emit("local.get $i")
                emit(f"i32.const {r}")
                emit("i32.add")
                emit(f"i32.const {k * 4}")
                emit("i32.mul")
                emit("i32.add")
                emit("local.get $kk")
                emit("i32.const 2")
                emit("i32.shl")
                emit("i32.add")
                emit("f32.load")
                emit("f32x4.splat")
                emit("local.set $av")
                for h in range(2):
                    emit(f"local.get $acc{r}{h}")
                    emit("local.get $av")
                    emit(f"local.get $b{h}")
                    emit("f32x4.mul")
                    emit("f32x4.add")
                    emit(f"local.set $acc{r}{h}")

        loop("kk", "i32.const 0", k, 1, kbody, "k")
        for r in range(4):
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

    def batch_body():
        # tiles
        def rows():
            loop("j", "i32.const 0", n8, 8, tile, "tj")
            if n8 < n:  # right edge of this band of 4 rows
                def edge_rows():
                    loop("j2", f"i32.const {n8}", n, 1, scalar_cell, "ej")
                emit("local.get $i")
                emit("local.set $i2")
                emit("local.get $i")
                emit("i32.const 4")
                emit("i32.add")
                emit("local.set $iend")
                emit("block $xer")
                emit("loop $ler")
                emit("local.get $i2")
                emit("local.get $iend")
                emit("i32.ge_u")
                emit("br_if $xer")
                edge_rows()
                emit("local.get $i2")
                emit("i32.const 1")
                emit("i32.add")
                emit("local.set $i2")
                emit("br $ler")
                emit("end")
                emit("end")

        loop("i", "i32.const 0", m4, 4, rows, "ti")
        if m4 < m:  # bottom edge rows, all columns
            def bottom():
                loop("j2", "i32.const 0", n, 1, scalar_cell, "bj")
            loop("i2", f"i32.const {m4}", m, 1, bottom, "bi")
        # next batch: advance the base pointers
        for p, size in (("a", m * k), ("b", k * n), ("c", m * n)):
            emit(f"local.get ${p}")
            emit(f"i32.const {size * 4}")
            emit("i32.add")
            emit(f"local.set ${p}")

    loop("bt", "i32.const 0", batch, 1, batch_body, "bt")
    locals_ = ["$bt i32", "$i i32", "$j i32", "$kk i32", "$i2 i32", "$j2 i32", "$iend i32", "$row i32",
               "$bp i32", "$cp i32", "$s f32", "$av v128", "$b0 v128", "$b1 v128"]
    locals_ += [f"$acc{r}{h} v128" for r in range(4) for h in range(2)]
    body = "\n".join("    " + line for line in lines)
    return f"""(module
  (import "env" "memory" (memory 1))
  (func $kernel (export "kernel") (param $a i32) (param $b i32) (param $c i32) (param $n_unused i32)
    {' '.join(f'(local {x})' for x in locals_)}
{body}))
"""
