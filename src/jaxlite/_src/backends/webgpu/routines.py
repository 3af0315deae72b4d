"""Hand-written WGSL where a per-element kernel is not enough: float32 matmul.

matmul(B, M, N, K): C[b] = A[b] @ B[b] for row-major A [B, M, K], B [B, K, N]. A workgroup of
256 invocations computes a BM x BN tile of C, staging BK-deep slices of A (transposed) and B in
workgroup memory; each invocation accumulates TM x TN outputs in registers as vec4s. Its rows
and columns come in groups of 4 spread across the tile (row = g * BM/(TM/4) + ty*4 + a), so
that the vec4 reads from workgroup memory of neighbouring invocations are contiguous.
"""

from __future__ import annotations

from dataclasses import dataclass

from jaxlite._src.backends.webgpu.render import bindings

THREADS = 256


@dataclass(frozen=True)
class MatmulConfig:
    bm: int = 128
    bn: int = 128
    bk: int = 8
    tm: int = 8
    tn: int = 8

    def __post_init__(self):
        assert (self.bm // self.tm) * (self.bn // self.tn) == THREADS
        assert self.tm % 4 == 0 and self.tn % 4 == 0
        assert (self.bm * self.bk) % THREADS == 0 and (self.bk * self.bn) % THREADS == 0


# Measured on an H200 (website/bench/gpu_tune.py): 128x128 tiles lead at 4096 (17.3 TFLOP/s in the
# sweep); 64x128 at 1024 (15.5, against 13.9 for 64x64), where 128x128 leaves SMs idle.
LARGE = MatmulConfig(128, 128, 8, 8, 8)
SMALL = MatmulConfig(64, 128, 8, 4, 8)


# What autotuning tries (website/bench/gpu_tune.py sweeps the same list on a lent GPU).
CANDIDATES = [MatmulConfig(*c) for c in ((128, 128, 8, 8, 8), (128, 128, 16, 8, 8), (128, 64, 8, 8, 4),
                                        (64, 128, 8, 4, 8), (64, 64, 16, 4, 4), (64, 64, 8, 4, 4))]


def choose(batch: int, m: int, n: int, k: int, large_tiles_min: int = 96) -> MatmulConfig:
    """Large tiles when there are enough of them to fill the GPU, small ones otherwise."""
    tiles = batch * -(-m // LARGE.bm) * -(-n // LARGE.bn)
    return LARGE if tiles >= large_tiles_min else SMALL


def grid(cfg: MatmulConfig, batch: int, m: int, n: int) -> tuple[int, int, int]:
    return (-(-n // cfg.bn), -(-m // cfg.bm), batch)


def matmul_f32(batch: int, m: int, n: int, k: int, cfg: MatmulConfig) -> str:
    bm, bn, bk, tm, tn = cfg.bm, cfg.bn, cfg.bk, cfg.tm, cfg.tn
    tx_n = bn // tn  # invocations along N
    gm, gn = tm // 4, tn // 4  # groups of 4 rows / columns per invocation
    row_stride, col_stride = bm // gm, bn // gn
    lines = [
        *bindings([("a", "f32"), ("b", "f32")], ["f32"]),
        f"var<workgroup> As: array<vec4<f32>, {bk * bm // 4}>;",
        f"var<workgroup> Bs: array<vec4<f32>, {bk * bn // 4}>;",
        f"@compute @workgroup_size({THREADS})",
        "fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {",
        "  let t = i32(lid);",
        f"  let tx = t % {tx_n};",
        f"  let ty = t / {tx_n};",
        f"  let row0 = i32(wid.y) * {bm};",
        f"  let col0 = i32(wid.x) * {bn};",
        f"  let abase = i32(wid.z) * {m * k};",
        f"  let bbase = i32(wid.z) * {k * n};",
        f"  let cbase = i32(wid.z) * {m * n};",
    ]
    accs = [f"acc{g}_{a}_{h}" for g in range(gm) for a in range(4) for h in range(gn)]
    lines += [f"  var {name} = vec4<f32>(0.0);" for name in accs]
    lines.append(f"  for (var k0 = 0; k0 < {k}; k0 = k0 + {bk}) {{")
    for j in range(bm * bk // THREADS):  # A tile: BM rows x BK columns, stored transposed
        lines += [
            f"    {{ let e = t + {j * THREADS}; let r = e / {bk}; let kc = e % {bk};",
            "      let gr = row0 + r; let gk = k0 + kc;",
            f"      let ok = gr < {m} && gk < {k};",
            f"      let v = a[select(0, abase + gr * {k} + gk, ok)];",
            f"      As[(kc * {bm} + r) / 4][r % 4] = select(0.0, v, ok); }}",
        ]
    for j in range(bk * bn // THREADS):  # B tile: BK rows x BN columns
        lines += [
            f"    {{ let e = t + {j * THREADS}; let kr = e / {bn}; let cc = e % {bn};",
            "      let gk = k0 + kr; let gc = col0 + cc;",
            f"      let ok = gk < {k} && gc < {n};",
            f"      let v = b[select(0, bbase + gk * {n} + gc, ok)];",
            f"      Bs[(kr * {bn} + cc) / 4][cc % 4] = select(0.0, v, ok); }}",
        ]
    lines.append("    workgroupBarrier();")
    for kk in range(bk):
        for g in range(gm):
            lines.append(f"    let a{kk}_{g} = As[{kk * bm // 4 + g * (row_stride // 4)} + ty];")
        for h in range(gn):
            lines.append(f"    let b{kk}_{h} = Bs[{kk * bn // 4 + h * (col_stride // 4)} + tx];")
        for g in range(gm):
            for a in range(4):
                for h in range(gn):
                    name = f"acc{g}_{a}_{h}"
                    lines.append(f"    {name} = fma(vec4<f32>(a{kk}_{g}[{a}]), b{kk}_{h}, {name});")
    lines += ["    workgroupBarrier();", "  }"]
    for g in range(gm):
        for a in range(4):
            lines.append(f"  {{ let r = row0 + {g * row_stride} + ty * 4 + {a};")
            lines.append(f"    if (r < {m}) {{")
            for h in range(gn):
                for q in range(4):
                    lines.append(f"      {{ let cc = col0 + {h * col_stride} + tx * 4 + {q}; "
                                 f"if (cc < {n}) {{ out0[cbase + r * {n} + cc] = acc{g}_{a}_{h}[{q}]; }} }}")
            lines.append("    }")
            lines.append("  }")
    lines.append("}")
    return "\n".join(lines)
