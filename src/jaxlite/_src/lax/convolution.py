"""conv_general_dilated: N-d convolution with strides, padding, lhs/rhs dilation, feature and
batch groups, in any layout (dimension_numbers), with jvp, transpose and vmap rules."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from jaxlite._src import ad, batching, dtypes
from jaxlite._src.backends import cpu
from jaxlite._src.core import Primitive, ShapedArray, abstract_eval_rules, get_aval
from jaxlite._src.lax import lax
from jaxlite._src.lax.structural import reshape, rev, transpose


class ConvDimensionNumbers(NamedTuple):
    lhs_spec: tuple  # (batch dim, feature dim, spatial dims...)
    rhs_spec: tuple  # (out feature dim, in feature dim, spatial dims...)
    out_spec: tuple  # (batch dim, feature dim, spatial dims...)


def conv_dimension_numbers(lhs_shape, rhs_shape, dimension_numbers) -> ConvDimensionNumbers:
    nd = len(lhs_shape)
    if dimension_numbers is None:
        default = (0, 1) + tuple(range(2, nd))
        return ConvDimensionNumbers(default, default, default)
    if isinstance(dimension_numbers, ConvDimensionNumbers):
        return dimension_numbers
    lhs, rhs, out = dimension_numbers
    if isinstance(lhs, str):
        # Spatial dims are matched by letter and ordered as in the kernel spec.
        spatial = [c for c in rhs if c not in "OI"]
        return ConvDimensionNumbers(_spec(lhs, "NC", spatial), _spec(rhs, "OI", spatial), _spec(out, "NC", spatial))
    return ConvDimensionNumbers(tuple(lhs), tuple(rhs), tuple(out))


def _spec(s: str, batch_feature: str, spatial) -> tuple:
    if sorted(s) != sorted(batch_feature + "".join(spatial)):
        raise TypeError(f"convolution dimension spec {s!r} does not match the others")
    return (s.index(batch_feature[0]), s.index(batch_feature[1])) + tuple(s.index(c) for c in spatial)


def _dilate_shape(shape, dilation):
    return tuple(0 if d == 0 else 1 + r * (d - 1) for d, r in zip(shape, dilation))


def padtype_to_pads(in_shape, window_shape, window_strides, padding):
    if isinstance(padding, str):
        p = padding.upper()
        if p == "VALID":
            return [(0, 0)] * len(in_shape)
        if p in ("SAME", "SAME_LOWER"):
            out = [-(-n // s) for n, s in zip(in_shape, window_strides)]
            total = [max((o - 1) * s + w - n, 0) for o, s, w, n in zip(out, window_strides, window_shape, in_shape)]
            if p == "SAME":
                return [(t // 2, t - t // 2) for t in total]
            return [(t - t // 2, t // 2) for t in total]
        raise ValueError(f"Unknown padding type: {padding}.")
    return [tuple(int(x) for x in p) for p in padding]


conv_general_dilated_p = Primitive("conv_general_dilated")


def _conv_abstract(lhs, rhs, *, window_strides, padding, lhs_dilation, rhs_dilation, dimension_numbers,
                   feature_group_count, batch_group_count, precision=None, preferred_element_type=None):
    dn = dimension_numbers
    if lhs.dtype != rhs.dtype:
        raise TypeError(f"conv_general_dilated requires operands of the same dtype, got {lhs.dtype.name} and "
                        f"{rhs.dtype.name}.")
    n, c = lhs.shape[dn.lhs_spec[0]], lhs.shape[dn.lhs_spec[1]]
    o, i = rhs.shape[dn.rhs_spec[0]], rhs.shape[dn.rhs_spec[1]]
    if c != i * feature_group_count:
        raise TypeError(f"conv_general_dilated lhs feature dimension size divided by feature_group_count must "
                        f"equal the rhs input feature dimension size, but {c} // {feature_group_count} != {i}.")
    if o % feature_group_count or o % batch_group_count or n % batch_group_count:
        raise TypeError("conv_general_dilated group counts must divide the output features (and the batch for "
                        f"batch_group_count); got feature_group_count={feature_group_count}, "
                        f"batch_group_count={batch_group_count}, lhs {lhs.shape}, rhs {rhs.shape}.")
    in_sp = _dilate_shape([lhs.shape[d] for d in dn.lhs_spec[2:]], lhs_dilation)
    k_sp = _dilate_shape([rhs.shape[d] for d in dn.rhs_spec[2:]], rhs_dilation)
    out_sp = []
    for size, k, (lo, hi), s in zip(in_sp, k_sp, padding, window_strides):
        padded = size + lo + hi
        out_sp.append(max(0, (padded - k) // s + 1) if padded >= k else 0)
    out = [0] * lhs.ndim
    out[dn.out_spec[0]] = n // batch_group_count
    out[dn.out_spec[1]] = o
    for d, v in zip(dn.out_spec[2:], out_sp):
        out[d] = v
    return [ShapedArray(out, preferred_element_type or lhs.dtype)]


def _conv_kernel(lhs, rhs, *, window_strides, padding, lhs_dilation, rhs_dilation, dimension_numbers,
                 feature_group_count, batch_group_count, precision=None, preferred_element_type=None):
    dn = dimension_numbers
    nsp = lhs.ndim - 2
    x = np.transpose(lhs, dn.lhs_spec).astype(np.float64 if lhs.dtype.kind == "f" else lhs.dtype)  # N C *S
    w = np.transpose(rhs, dn.rhs_spec).astype(x.dtype)  # O I *K
    if any(d != 1 for d in lhs_dilation):
        shape = x.shape[:2] + _dilate_shape(x.shape[2:], lhs_dilation)
        xd = np.zeros(shape, x.dtype)
        xd[(slice(None), slice(None)) + tuple(slice(None, None, r) for r in lhs_dilation)] = x
        x = xd
    if any(d != 1 for d in rhs_dilation):
        shape = w.shape[:2] + _dilate_shape(w.shape[2:], rhs_dilation)
        wd = np.zeros(shape, w.dtype)
        wd[(slice(None), slice(None)) + tuple(slice(None, None, r) for r in rhs_dilation)] = w
        w = wd
    # Padding, negative = cropping.
    pads = [(max(lo, 0), max(hi, 0)) for lo, hi in padding]
    x = np.pad(x, [(0, 0), (0, 0)] + pads)
    x = x[(slice(None), slice(None)) + tuple(slice(max(-lo, 0), x.shape[2 + k] - max(-hi, 0))
                                             for k, (lo, hi) in enumerate(padding))]
    ksp = w.shape[2:]
    if any(s < k for s, k in zip(x.shape[2:], ksp)):
        out_sp = tuple(0 for _ in ksp)
        windows = np.zeros(x.shape[:2] + out_sp + ksp, x.dtype)
    else:
        windows = np.lib.stride_tricks.sliding_window_view(x, ksp, axis=tuple(range(2, 2 + nsp)))
        windows = windows[(slice(None), slice(None)) + tuple(slice(None, None, s) for s in window_strides)]
    # windows: N C *OutSp *K
    N, C = x.shape[:2]
    O, I = w.shape[:2]
    G, B = feature_group_count, batch_group_count
    out_sp = windows.shape[2:2 + nsp]
    win = windows.reshape((B, N // B, G, C // G) + out_sp + ksp)
    wk = w.reshape((B, G, O // (G * B), I) + ksp)
    sp = "".join("pqrstuvw"[:nsp])
    kk = "".join("hijklmnz"[:nsp])
    # b: batch group, n: batch, g: feature group, c: in features, o: out features per group
    res = np.einsum(f"bngc{sp}{kk},bgoc{kk}->nbgo{sp}", win, wk)
    res = res.reshape((N // B, O) + out_sp)
    out = np.transpose(res, np.argsort(dn.out_spec))
    return out.astype(preferred_element_type or lhs.dtype)


def _check_conv_args(lhs, rhs, window_strides, padding, lhs_dilation, rhs_dilation, dimension_numbers,
                     feature_group_count, batch_group_count) -> None:
    """JAX's argument checks (types and wording of lax.conv_general_dilated), before any shape is indexed."""
    la, ra = get_aval(lax._as_array(lhs)), get_aval(lax._as_array(rhs))
    if la.ndim != ra.ndim:
        raise TypeError(f"convolution requires lhs and rhs ndim to be equal, got {la.ndim} and {ra.ndim}.")
    if la.ndim < 2:
        raise TypeError(f"convolution operands need a batch and a feature dimension, got shapes {la.shape} "
                        f"and {ra.shape}.")
    nsp = la.ndim - 2
    if len(window_strides) != nsp:
        raise ValueError(f"conv_general_dilated window and window_strides must have the same number of "
                         f"dimensions, but got {nsp} and {len(window_strides)}")
    for name, count in (("feature_group_count", feature_group_count), ("batch_group_count", batch_group_count)):
        if int(count) <= 0:
            raise ValueError(f"conv_general_dilated {name} must be a positive integer, got {count}.")
    if isinstance(padding, str) and padding.upper() not in ("VALID", "SAME", "SAME_LOWER"):
        raise RuntimeError(f"Unrecognized padding type: expected 'VALID', 'SAME', or 'SAME_LOWER', got {padding}.")
    dn = conv_dimension_numbers(la.shape, ra.shape, dimension_numbers)
    n, c = la.shape[dn.lhs_spec[0]], la.shape[dn.lhs_spec[1]]
    o, i = ra.shape[dn.rhs_spec[0]], ra.shape[dn.rhs_spec[1]]
    if c % feature_group_count or c // feature_group_count != i:
        raise ValueError(f"conv_general_dilated lhs feature dimension size divided by feature_group_count must "
                         f"equal the rhs input feature dimension size, but {c} // {feature_group_count} != {i}.")
    if o % feature_group_count:
        raise ValueError(f"conv_general_dilated rhs output feature dimension size must be a multiple of "
                         f"feature_group_count, but {o} is not a multiple of {feature_group_count}.")
    if n % batch_group_count:
        raise ValueError(f"conv_general_dilated batch_group_count must divide lhs batch dimension size, but "
                         f"{batch_group_count} does not divide {n}.")
    if o % batch_group_count:
        raise ValueError(f"conv_general_dilated rhs output feature dimension size must be a multiple of "
                         f"batch_group_count, but {o} is not a multiple of {batch_group_count}.")
    if not isinstance(padding, str) and len(padding) != nsp:
        raise TypeError(f"Wrong number of explicit pads for convolution: expected {nsp}, got {len(padding)}.")
    for name, dil in (("lhs_dilation", lhs_dilation), ("rhs_dilation", rhs_dilation)):
        if dil is not None and len(dil) != nsp:
            raise ValueError(f"conv_general_dilated {name} must have {nsp} entries (one per spatial "
                             f"dimension), got {tuple(dil)}.")
    if any(int(s) <= 0 for s in window_strides):
        raise ValueError(f"conv_general_dilated window_strides must be positive, got {tuple(window_strides)}.")


def conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=None, rhs_dilation=None,
                         dimension_numbers=None, feature_group_count=1, batch_group_count=1, precision=None,
                         preferred_element_type=None):
    _check_conv_args(lhs, rhs, window_strides, padding, lhs_dilation, rhs_dilation, dimension_numbers,
                     feature_group_count, batch_group_count)
    lhs, rhs = lax._as_array(lhs), lax._as_array(rhs)
    la, ra = get_aval(lhs), get_aval(rhs)
    dn = conv_dimension_numbers(la.shape, ra.shape, dimension_numbers)
    nsp = la.ndim - 2
    lhs_dilation = tuple(lhs_dilation or (1,) * nsp)
    rhs_dilation = tuple(rhs_dilation or (1,) * nsp)
    window_strides = tuple(window_strides)
    if isinstance(padding, str):
        in_sp = _dilate_shape([la.shape[d] for d in dn.lhs_spec[2:]], lhs_dilation)
        k_sp = _dilate_shape([ra.shape[d] for d in dn.rhs_spec[2:]], rhs_dilation)
        padding = padtype_to_pads(in_sp, k_sp, window_strides, padding)
    padding = tuple(tuple(int(v) for v in p) for p in padding)
    return conv_general_dilated_p.bind(
        lhs, rhs, window_strides=window_strides, padding=padding, lhs_dilation=lhs_dilation,
        rhs_dilation=rhs_dilation, dimension_numbers=dn, feature_group_count=int(feature_group_count),
        batch_group_count=int(batch_group_count), precision=None,
        preferred_element_type=None if preferred_element_type is None else dtypes.canonicalize_dtype(preferred_element_type))


def conv(lhs, rhs, window_strides, padding, precision=None, preferred_element_type=None):
    return conv_general_dilated(lhs, rhs, window_strides, padding, precision=precision,
                                preferred_element_type=preferred_element_type)


# ---- derivatives ----------------------------------------------------------------------------------


def _spec_transpose(spec):
    return (spec[1], spec[0]) + tuple(spec[2:])


def _reshape_axis_out_of(src, size1, x):
    shape = list(get_aval(x).shape)
    shape[src:src + 1] = [size1, shape[src] // size1]
    return reshape(x, shape)


def _reshape_axis_into(src, dst, x):
    shape = get_aval(x).shape
    perm = [i for i in range(len(shape)) if i != src]
    perm.insert(dst, src)
    new_shape = list(np.delete(shape, src))
    new_shape[dst] *= shape[src]
    return reshape(transpose(x, perm), new_shape)


def _vjp_lhs_padding(in_shape, window_dimensions, window_strides, out_shape, padding, lhs_dilation, rhs_dilation):
    lhs_d = _dilate_shape(in_shape, lhs_dilation)
    rhs_d = _dilate_shape(window_dimensions, rhs_dilation)
    out_d = _dilate_shape(out_shape, window_strides)
    before = np.subtract(rhs_d, [lo for lo, _ in padding]) - 1
    after = np.add(lhs_d, rhs_d) - 1 - np.array(out_d) - before
    return tuple((int(a), int(b)) for a, b in zip(before, after))


def _vjp_rhs_padding(in_shape, window_dimensions, window_strides, out_shape, padding, lhs_dilation, rhs_dilation):
    lhs_d = _dilate_shape(in_shape, lhs_dilation)
    rhs_d = _dilate_shape(window_dimensions, rhs_dilation)
    out_d = _dilate_shape(out_shape, window_strides)
    los = [lo for lo, _ in padding]
    from_lhs = np.subtract(out_d, lhs_d)
    from_rhs = np.subtract(np.subtract(rhs_d, los), 1)
    his = from_lhs + from_rhs
    return tuple((int(a), int(b)) for a, b in zip(los, his))


def _conv_transpose_lhs(g, rhs, lhs_shape, window_strides, padding, lhs_dilation, rhs_dilation, dn,
                        feature_group_count, batch_group_count, preferred_element_type):
    lhs_spec, rhs_spec, out_spec = dn
    rhs_shape = get_aval(rhs).shape
    t_rhs_spec = _spec_transpose(rhs_spec)
    if feature_group_count > 1:
        rhs = _reshape_axis_out_of(rhs_spec[0], feature_group_count, rhs)
        rhs = _reshape_axis_into(rhs_spec[0], rhs_spec[1], rhs)
    elif batch_group_count > 1:
        rhs = _reshape_axis_out_of(rhs_spec[0], batch_group_count, rhs)
        rhs = _reshape_axis_into(rhs_spec[0], rhs_spec[1], rhs)
        feature_group_count = batch_group_count
    trans_dn = ConvDimensionNumbers(out_spec, t_rhs_spec, lhs_spec)
    pads = _vjp_lhs_padding([lhs_shape[d] for d in lhs_spec[2:]], [rhs_shape[d] for d in rhs_spec[2:]],
                            window_strides, [get_aval(g).shape[d] for d in out_spec[2:]], padding, lhs_dilation,
                            rhs_dilation)
    revd = rev(rhs, tuple(rhs_spec[2:]))
    out = conv_general_dilated(g, revd, window_strides=lhs_dilation, padding=pads, lhs_dilation=window_strides,
                               rhs_dilation=rhs_dilation, dimension_numbers=trans_dn,
                               feature_group_count=feature_group_count, batch_group_count=1)
    if batch_group_count > 1:
        out = _reshape_axis_out_of(lhs_spec[1], batch_group_count, out)
        out = _reshape_axis_into(lhs_spec[1], lhs_spec[0], out)
    return out


def _conv_transpose_rhs(g, lhs, rhs_shape, window_strides, padding, lhs_dilation, rhs_dilation, dn,
                        feature_group_count, batch_group_count, preferred_element_type):
    lhs_spec, rhs_spec, out_spec = dn
    lhs_shape = get_aval(lhs).shape
    lhs_t, rhs_t, out_t = map(_spec_transpose, dn)
    if batch_group_count > 1:
        feature_group_count, batch_group_count = batch_group_count, 1
    elif feature_group_count > 1:
        feature_group_count, batch_group_count = 1, feature_group_count
    trans_dn = ConvDimensionNumbers(lhs_t, out_t, rhs_t)
    pads = _vjp_rhs_padding([lhs_shape[d] for d in lhs_spec[2:]], [rhs_shape[d] for d in rhs_spec[2:]],
                            window_strides, [get_aval(g).shape[d] for d in out_spec[2:]], padding, lhs_dilation,
                            rhs_dilation)
    return conv_general_dilated(lhs, g, window_strides=rhs_dilation, padding=pads, lhs_dilation=lhs_dilation,
                                rhs_dilation=window_strides, dimension_numbers=trans_dn,
                                feature_group_count=feature_group_count, batch_group_count=batch_group_count)


def _conv_transpose(ct, lhs, rhs, *, window_strides, padding, lhs_dilation, rhs_dilation, dimension_numbers,
                    feature_group_count, batch_group_count, precision=None, preferred_element_type=None):
    args = (window_strides, padding, lhs_dilation, rhs_dilation, dimension_numbers, feature_group_count,
            batch_group_count, preferred_element_type)
    ct_lhs = ct_rhs = None
    if ad.is_undefined_primal(lhs):
        ct_lhs = _conv_transpose_lhs(ct, rhs, lhs.aval.shape, *args)
    if ad.is_undefined_primal(rhs):
        ct_rhs = _conv_transpose_rhs(ct, lhs, rhs.aval.shape, *args)
    return [ct_lhs, ct_rhs]


def _conv_jvp(primals, tangents, **params):
    lhs, rhs = primals
    tl, tr = tangents
    out = conv_general_dilated_p.bind(lhs, rhs, **params)
    return [out], [lax.add(conv_general_dilated_p.bind(tl, rhs, **params), conv_general_dilated_p.bind(lhs, tr, **params))]


def _conv_vmap(axis_size, vals, dims, **params):
    (lhs, rhs), (ld, rd) = vals, dims
    lhs_spec, rhs_spec, out_spec = params["dimension_numbers"]
    G, B, V = params["feature_group_count"], params["batch_group_count"], axis_size
    if ld is not None and rd is not None:
        if B > 1:
            raise NotImplementedError("vmap over both operands of a conv with batch_group_count > 1")
        # The vmapped axis becomes extra feature groups: C' = (V, C), O' = (V, O), V*G groups.
        lhs = _merge_axis(lhs, ld, _with_batch(lhs_spec[1], ld), inner=False)
        rhs = _merge_axis(rhs, rd, _with_batch(rhs_spec[0], rd), inner=False)
        out = conv_general_dilated_p.bind(lhs, rhs, **{**params, "feature_group_count": G * V})
        return [_reshape_axis_out_of(out_spec[1], V, out)], [out_spec[1]]
    if ld is not None:
        # Into the batch as its inner factor, N' = (N, V), which keeps batch groups contiguous.
        lhs = _merge_axis(lhs, ld, _with_batch(lhs_spec[0], ld), inner=True)
        out = conv_general_dilated_p.bind(lhs, rhs, **params)
        out = _reshape_axis_out_of(out_spec[0], get_aval(out).shape[out_spec[0]] // V, out)
        return [out], [out_spec[0] + 1]
    # Only the kernel: V joins the output features inside each group, O' = (GB, V, O/GB).
    groups = G * B
    o = rhs_spec[0] + 1
    x = _reshape_axis_out_of(o, groups, batching.moveaxis(rhs, rd, 0))  # V, .., groups, O/groups, ..
    x = _merge_axis(x, 0, o + 1, inner=False)                            # .., groups, V*O/groups, ..
    rhs = _merge_adjacent(x, o - 1)
    out = conv_general_dilated_p.bind(lhs, rhs, **params)
    f = out_spec[1]
    out = _reshape_axis_out_of(f, groups, out)
    out = _reshape_axis_out_of(f + 1, V, out)                            # .., groups, V, O/groups, ..
    out = batching.moveaxis(out, f + 1, 0)
    return [_merge_adjacent(out, f + 1)], [0]


def _with_batch(d, vdim):
    """Index of an operand's dim d once the vmapped axis sits at vdim."""
    return d + (d >= vdim)


def _merge_axis(x, src, dst, inner):
    """Merge axis src into axis dst (as its inner or outer factor); dst keeps its place among the
    remaining axes."""
    others = [i for i in range(get_aval(x).ndim) if i != src]
    pos = others.index(dst)
    perm = others[:pos] + ([dst, src] if inner else [src, dst]) + others[pos + 1:]
    return _merge_adjacent(transpose(x, perm), pos)


def _merge_adjacent(x, pos):
    shape = list(get_aval(x).shape)
    return reshape(x, shape[:pos] + [shape[pos] * shape[pos + 1]] + shape[pos + 2:])


abstract_eval_rules[conv_general_dilated_p] = _conv_abstract
cpu.kernels[conv_general_dilated_p] = _conv_kernel
ad.jvp_rules[conv_general_dilated_p] = _conv_jvp
ad.transpose_rules[conv_general_dilated_p] = _conv_transpose
batching.vmap_rules[conv_general_dilated_p] = _conv_vmap


# ---- shape helpers and conv variants (JAX's public conv API around conv_general_dilated) ----------


def conv_general_permutations(dimension_numbers):
    """(lhs_perm, rhs_perm, out_perm) of string dimension numbers: positions of batch/out-feature,
    feature/in-feature, then the spatial dims in the kernel spec's order."""
    lhs, rhs, out = dimension_numbers
    for spec, pair in ((lhs, "NC"), (rhs, "OI"), (out, "NC")):
        if not all(c in spec for c in pair):
            raise TypeError(f"convolution dimension spec {spec!r} must contain {pair[0]!r} and {pair[1]!r}")
    return tuple(conv_dimension_numbers((0,) * len(lhs), (0,) * len(rhs), dimension_numbers))


def conv_shape_tuple(lhs_shape, rhs_shape, strides, pads, batch_group_count=1):
    if isinstance(pads, str):
        pads = padtype_to_pads(lhs_shape[2:], rhs_shape[2:], strides, pads)
    if len(pads) != len(lhs_shape) - 2:
        raise TypeError(f"Wrong number of explicit pads for convolution: expected {len(lhs_shape) - 2}, got {len(pads)}.")
    space = [max((n + lo + hi - k) // s + 1, 0) if n + lo + hi >= k else 0
             for n, k, s, (lo, hi) in zip(lhs_shape[2:], rhs_shape[2:], strides, pads)]
    return (lhs_shape[0] // batch_group_count, rhs_shape[0], *space)


def _permuted(shape, perm):
    return tuple(shape[p] for p in perm)


def _unpermuted(shape, perm):
    out = [0] * len(perm)
    for k, p in enumerate(perm):
        out[p] = shape[k]
    return tuple(out)


def conv_general_shape_tuple(lhs_shape, rhs_shape, window_strides, padding, dimension_numbers):
    dn = conv_dimension_numbers(lhs_shape, rhs_shape, dimension_numbers)
    out = conv_shape_tuple(_permuted(lhs_shape, dn.lhs_spec), _permuted(rhs_shape, dn.rhs_spec), window_strides,
                           padding)
    return _unpermuted(out, dn.out_spec)


def _conv_transpose_padding(k, s, padding):
    if padding == "SAME":
        pad_len = k + s - 2
        pad_a = k - 1 if s > k - 1 else -(-pad_len // 2)
    elif padding == "VALID":
        pad_len = k + s - 2 + max(k - s, 0)
        pad_a = k - 1
    else:
        raise ValueError("Padding mode must be `SAME` or `VALID`.")
    return pad_a, pad_len - pad_a


def conv_transpose_shape_tuple(lhs_shape, rhs_shape, window_strides, padding, dimension_numbers):
    dn = conv_dimension_numbers(lhs_shape, rhs_shape, dimension_numbers)
    lhs_t, rhs_t = _permuted(lhs_shape, dn.lhs_spec), _permuted(rhs_shape, dn.rhs_spec)
    if isinstance(padding, str):
        padding = [_conv_transpose_padding(k, s, padding) for k, s in zip(rhs_t[2:], window_strides)]
    space = [(n - 1) * s - k + 2 + lo + hi for n, k, s, (lo, hi) in zip(lhs_t[2:], rhs_t[2:], window_strides, padding)]
    return _unpermuted((lhs_t[0], rhs_t[0], *space), dn.out_spec)


def conv_with_general_padding(lhs, rhs, window_strides, padding, lhs_dilation, rhs_dilation, precision=None,
                              preferred_element_type=None):
    return conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=lhs_dilation,
                                rhs_dilation=rhs_dilation, precision=precision,
                                preferred_element_type=preferred_element_type)


_TRANSPOSE_DEFAULT_DN = {2: ("NC", "IO", "NC"), 3: ("NHC", "HIO", "NHC"), 4: ("NHWC", "HWIO", "NHWC"),
                         5: ("NHWDC", "HWDIO", "NHWDC")}


def conv_transpose(lhs, rhs, strides, padding, rhs_dilation=None, dimension_numbers=None, transpose_kernel=False,
                   precision=None, preferred_element_type=None, use_consistent_padding=False):
    """The gradient of a strided conv w.r.t. its input, as a conv with lhs dilation."""
    lhs, rhs = lax._as_array(lhs), lax._as_array(rhs)
    nd = get_aval(lhs).ndim
    if nd != get_aval(rhs).ndim or nd < 2:
        raise ValueError("conv_transpose: lhs and rhs must have the same rank, at least 2")
    if use_consistent_padding:
        raise NotImplementedError("conv_transpose: use_consistent_padding=True is not supported")
    if dimension_numbers is None:
        if nd not in _TRANSPOSE_DEFAULT_DN:
            raise ValueError("No 4+ dimensional dimension_number defaults.")
        dimension_numbers = _TRANSPOSE_DEFAULT_DN[nd]
    dn = conv_dimension_numbers(get_aval(lhs).shape, get_aval(rhs).shape, dimension_numbers)
    one = (1,) * (nd - 2)
    rhs_dilation = tuple(rhs_dilation or one)
    k_sp = [get_aval(rhs).shape[d] for d in dn.rhs_spec[2:]]
    eff = [(k - 1) * r + 1 for k, r in zip(k_sp, rhs_dilation)]
    if isinstance(padding, str):
        pads = [_conv_transpose_padding(k, s, padding.upper()) for k, s in zip(eff, strides)]
    else:
        pads = [tuple(p) for p in padding]
    if transpose_kernel:
        rhs = rev(rhs, tuple(dn.rhs_spec[2:]))
        perm = list(range(nd))
        perm[dn.rhs_spec[0]], perm[dn.rhs_spec[1]] = dn.rhs_spec[1], dn.rhs_spec[0]
        rhs = transpose(rhs, tuple(perm))
    return conv_general_dilated(lhs, rhs, one, pads, tuple(strides), rhs_dilation, dn, precision=precision,
                                preferred_element_type=preferred_element_type)


def conv_general_dilated_patches(lhs, filter_shape, window_strides, padding, lhs_dilation=None, rhs_dilation=None,
                                 dimension_numbers=None, precision=None, preferred_element_type=None):
    """Each output position's receptive field, flattened into the feature dim (channel-major, then
    the filter's spatial positions): a depthwise conv with a one-hot kernel per position."""
    from jaxlite._src.lax.structural import broadcast_in_dim
    lhs = lax._as_array(lhs)
    la = get_aval(lhs)
    filter_shape = tuple(int(k) for k in filter_shape)
    dn = conv_dimension_numbers(la.shape, (1, 1) + filter_shape, dimension_numbers)
    size = int(np.prod(filter_shape, dtype=np.int64))
    channels = la.shape[dn.lhs_spec[1]]
    eye = np.eye(size, dtype=la.dtype)
    kernel = broadcast_in_dim(eye, (channels, size, size), (1, 2))
    kernel = reshape(kernel, (channels * size, 1) + filter_shape)  # canonical (O, I, spatial...)
    kernel = transpose(kernel, tuple(int(k) for k in np.argsort(dn.rhs_spec)))
    return conv_general_dilated(lhs, kernel, window_strides, padding, lhs_dilation, rhs_dilation, dn,
                                feature_group_count=channels, precision=precision,
                                preferred_element_type=preferred_element_type)


def conv_general_dilated_local(lhs, rhs, window_strides, padding, filter_shape, lhs_dilation=None, rhs_dilation=None,
                               dimension_numbers=None, precision=None):
    """An unshared convolution: every output position has its own filter (rhs's spatial dims are the
    output's). Each position's patch times that position's filter, as JAX builds it."""
    from jaxlite._src.lax.dot import dot_general
    lhs, rhs = lax._as_array(lhs), lax._as_array(rhs)
    lhs_precision = precision[0] if isinstance(precision, tuple) and len(precision) == 2 else None
    patches = conv_general_dilated_patches(lhs, filter_shape, window_strides, padding, lhs_dilation, rhs_dilation,
                                           dimension_numbers, precision=lhs_precision)
    dn = conv_dimension_numbers(get_aval(lhs).shape, (1, 1) + tuple(int(k) for k in filter_shape), dimension_numbers)
    out_spatial, rhs_spatial = dn.out_spec[2:], dn.rhs_spec[2:]
    order = sorted(range(len(out_spatial)), key=lambda k: out_spatial[k])
    out = dot_general(patches, rhs, (((dn.out_spec[1],), (dn.rhs_spec[1],)),
                                     (tuple(sorted(out_spatial)), tuple(rhs_spatial[k] for k in order))))
    # dot_general's layout is (spatial..., batch, out features): put the last two where out_spec says
    nd = get_aval(out).ndim
    rest = list(range(nd - 2))
    perm = [None] * nd
    perm[dn.out_spec[0]], perm[dn.out_spec[1]] = nd - 2, nd - 1
    it = iter(rest)
    perm = [p if p is not None else next(it) for p in perm]
    return transpose(out, tuple(perm))
