"""Collectives over named vmap axes: psum, pmax, all_gather, ppermute, all_to_all, axis_index, ...

In one browser process the only named axes are those of `vmap(..., axis_name=...)`, so every
collective is a primitive whose batching rule works on the batch axis of the vmap with that name
(`batching.collective_rules`). A BatchTrace of another name passes the primitive through, with its
own batch axis in front of the per-lane shape. `_Collective.bind` first raises the operand into
each named trace, so a value that does not depend on the vmap (a constant) still meets its rule.
"""

from __future__ import annotations

import math

import numpy as np

from jaxlite._src import ad, batching, core, dtypes, tree_util
from jaxlite._src.core import Primitive, ShapedArray, abstract_eval_rules, get_aval
from jaxlite._src.features import not_applicable, partial
from jaxlite._src.lax import lax
from jaxlite._src.lax.structural import broadcasted_iota, concatenate, reshape


def _names(axis_name) -> tuple:
    return tuple(axis_name) if isinstance(axis_name, (tuple, list)) else (axis_name,)


def _named_main(name, op: str):
    for main in reversed(core.trace_stack):
        if main.trace_type is batching.BatchTrace and main.global_data[1] == name:
            return main
    if any(m.trace_type is batching.BatchTrace for m in core.trace_stack):
        raise NameError(f"Found an unbound axis name: {name}. To fix this, please call {op} under "
                        "`jax.shard_map`.")
    raise NameError(f"unbound axis name: {name}")


def axis_size(axis_name) -> int:
    """The size of a named vmap axis (the product over a tuple of names), a Python int."""
    return math.prod(_named_main(n, "axis_size").global_data[0] for n in _names(axis_name))


class _Collective(Primitive):
    """bind raises the operands into the BatchTrace of every name in `axes` first."""

    def bind(self, *args, **params):
        args = list(args)
        for name in params["axes"]:
            trace = batching.BatchTrace(_named_main(name, self.name))
            if core.dynamic_trace is not None and core.dynamic_trace.level > trace.main.level:
                continue  # a jit inside the vmap records the equation; its batching raises it later
            for k, x in enumerate(args):
                if not isinstance(x, core.Tracer) or x._trace.main.level < trace.main.level:
                    args[k] = batching.BatchTracer(trace, lax._as_array(x), batching.not_mapped)
        return super().bind(*args, **params)


def _collective(name, abstract, own, shift=None):
    """own(n, x, **params): the per-vmap rule with x's batch axis in front (size n); shift(params):
    params for a value with one more leading axis (another name's batch axis in front)."""
    p = _Collective(name)
    abstract_eval_rules[p] = abstract

    def rule(trace, vals, dims, *, axes, **params):
        (x,), (d,) = vals, dims
        if trace.axis_name not in axes:
            if d is batching.not_mapped:
                return [p.bind(x, axes=axes, **params)], [batching.not_mapped]
            x = batching.moveaxis(x, d, 0)
            return [p.bind(x, axes=axes, **(shift(params) if shift else params))], [0]
        out, out_dim = own(trace.axis_size, batching.move_batch_axis(trace.axis_size, d, 0, x), **params)
        rest = tuple(a for a in axes if a != trace.axis_name)
        if rest:  # the other names of a tuple are reduced by their own traces
            inner = {"axes": rest, **params}
            if out_dim is batching.not_mapped:
                return [p.bind(out, **inner)], [batching.not_mapped]
            return [p.bind(out, **(shift(inner) if shift else inner))], [out_dim]
        return [out], [out_dim]
    batching.collective_rules[p] = rule
    return p


def _same(x, axes, **params):
    return [x]


def _reduce_over_lanes(reduce):
    return lambda n, x: (reduce(x, (0,)), batching.not_mapped)


from jaxlite._src.lax import reductions as _r  # noqa: E402

psum_p = _collective("psum", _same, _reduce_over_lanes(_r.reduce_sum))
pmax_p = _collective("pmax", _same, _reduce_over_lanes(_r.reduce_max))
pmin_p = _collective("pmin", _same, _reduce_over_lanes(_r.reduce_min))
ad.jvp_rules[psum_p] = lambda p, t, axes: ([psum_p.bind(p[0], axes=axes)], [psum_p.bind(t[0], axes=axes)])
# Each lane's cotangent reaches every lane's input: the transpose of a sum over lanes is a sum.
ad.transpose_rules[psum_p] = lambda ct, x, axes: [psum_p.bind(ct, axes=axes)]


def _pextreme_jvp(prim):
    # Tangents of the lanes that attain the extremum, averaged over ties (as reduce_max's jvp).
    def rule(primals, tangents, axes):
        (x,), (t,) = primals, tangents
        ans = prim.bind(x, axes=axes)
        hit = lax.convert_element_type(lax.eq(x, ans), get_aval(t).dtype)
        return [ans], [lax.div(psum_p.bind(lax.mul(t, hit), axes=axes), psum_p.bind(hit, axes=axes))]
    ad.jvp_rules[prim] = rule


_pextreme_jvp(pmax_p)
_pextreme_jvp(pmin_p)


def _tree_map_bind(prim, x, axes, **params):
    return tree_util.tree_map(lambda v: prim.bind(lax._as_array(v), axes=axes, **params), x)


def _no_groups(axis_index_groups, message="axis_index_groups not supported in vmap collectives. Please open a "
                                           "feature request!"):
    # JAX's vmap rules refuse groups (pmap/shard_map, which take them, need several devices): the same
    # NotImplementedError, with JAX's message.
    if axis_index_groups is not None:
        raise NotImplementedError(message)


def psum(x, axis_name, *, axis_index_groups=None):
    """axis_index_groups raises NotImplementedError, as under JAX's vmap."""
    _no_groups(axis_index_groups)
    return _tree_map_bind(psum_p, x, _names(axis_name))


def pmax(x, axis_name, *, axis_index_groups=None):
    """axis_index_groups raises NotImplementedError, as under JAX's vmap."""
    _no_groups(axis_index_groups)
    return _tree_map_bind(pmax_p, x, _names(axis_name))


def pmin(x, axis_name, *, axis_index_groups=None):
    """axis_index_groups raises NotImplementedError, as under JAX's vmap."""
    _no_groups(axis_index_groups)
    return _tree_map_bind(pmin_p, x, _names(axis_name))


def pmean(x, axis_name, *, axis_index_groups=None):
    """axis_index_groups raises NotImplementedError, as under JAX's vmap."""
    _no_groups(axis_index_groups)
    n = axis_size(axis_name)
    return tree_util.tree_map(lambda v: v / n, psum(x, axis_name, axis_index_groups=axis_index_groups))


# ---- axis_index -----------------------------------------------------------------------------------

axis_index_p = _collective(
    "axis_index", lambda x, axes: [ShapedArray((), dtypes.int32)],
    lambda n, x: (broadcasted_iota(dtypes.int32, (n,), 0), 0))
ad.nondiff.add(axis_index_p)


@partial("on wasm/webgpu, a while_loop whose carry starts independent of the vmap and whose body calls "
         "axis_index fails (its body runs as a device plan that cannot see the named axis); jit, scan, cond "
         "and while_loop otherwise work inside the vmap as in JAX")
def axis_index(axis_name):
    """The position of this lane along a named vmap axis (row-major over a tuple of names)."""
    out = None
    for name in _names(axis_name):
        size = _named_main(name, "axis_index").global_data[0]
        idx = axis_index_p.bind(np.zeros((), np.int32), axes=(name,))
        out = idx if out is None else lax.add(lax.mul(out, np.int32(size)), idx)
    return out


# ---- all_gather / psum_scatter --------------------------------------------------------------------


def _gather_abstract(x, axes, axis, tiled):
    n = math.prod(_named_main(a, "all_gather").global_data[0] for a in axes)
    shape = list(x.shape)
    if tiled:
        shape[axis] *= n
    else:
        shape.insert(axis, n)
    return [ShapedArray(tuple(shape), x.dtype, x.weak_type)]


def _gather_own(n, x, axis, tiled):
    out = batching.moveaxis(x, 0, axis)
    if tiled:
        shape = get_aval(out).shape
        out = reshape(out, shape[:axis] + (shape[axis] * shape[axis + 1],) + shape[axis + 2:])
    return out, batching.not_mapped


all_gather_p = _collective("all_gather", _gather_abstract, _gather_own,
                           lambda p: {**p, "axis": p["axis"] + 1})


def _scatter_abstract(x, axes, scatter_dimension, tiled):
    n = math.prod(_named_main(a, "psum_scatter").global_data[0] for a in axes)
    shape = list(x.shape)
    if tiled:
        if shape[scatter_dimension] % n:
            raise ValueError(f"psum_scatter: dimension {scatter_dimension} of size {shape[scatter_dimension]} "
                             f"is not divisible by the axis size {n}")
        shape[scatter_dimension] //= n
    else:
        if shape[scatter_dimension] != n:
            raise ValueError(f"psum_scatter: dimension {scatter_dimension} of size {shape[scatter_dimension]} "
                             f"must equal the axis size {n}")
        del shape[scatter_dimension]
    return [ShapedArray(tuple(shape), x.dtype, x.weak_type)]


def _scatter_own(n, x, scatter_dimension, tiled):
    total = _r.reduce_sum(x, (0,))
    d = scatter_dimension
    shape = get_aval(total).shape
    if tiled:
        total = reshape(total, shape[:d] + (n, shape[d] // n) + shape[d + 1:])
    return batching.moveaxis(total, d, 0), 0


psum_scatter_p = _collective("psum_scatter", _scatter_abstract, _scatter_own,
                             lambda p: {**p, "scatter_dimension": p["scatter_dimension"] + 1})

ad.jvp_rules[all_gather_p] = lambda p, t, **k: ([all_gather_p.bind(p[0], **k)], [all_gather_p.bind(t[0], **k)])
ad.jvp_rules[psum_scatter_p] = lambda p, t, **k: ([psum_scatter_p.bind(p[0], **k)],
                                                  [psum_scatter_p.bind(t[0], **k)])
ad.transpose_rules[all_gather_p] = lambda ct, x, axes, axis, tiled: [
    psum_scatter_p.bind(ct, axes=axes, scatter_dimension=axis, tiled=tiled)]
ad.transpose_rules[psum_scatter_p] = lambda ct, x, axes, scatter_dimension, tiled: [
    all_gather_p.bind(ct, axes=axes, axis=scatter_dimension, tiled=tiled)]


def all_gather(x, axis_name, *, axis_index_groups=None, axis=0, tiled=False, to="varying"):
    """axis_index_groups raises NotImplementedError, as under JAX's vmap; of JAX's `to` values only
    "varying" (the default) means something under vmap: "invarying" raises JAX's ValueError (it needs
    shard_map), "reduced" JAX's NotImplementedError."""
    if to not in ("varying", "invarying", "reduced"):
        raise ValueError(f"Got unexpected `to` value for `jax.lax.all_gather`. Allowed `to` values are: "
                         f"{{'invarying', 'reduced', 'varying'}}")
    _no_groups(axis_index_groups, "axis_index_groups not supported in vmap")
    if to == "invarying":
        raise ValueError("pvary should be called under jax.shard_map.")
    if to == "reduced":
        raise NotImplementedError("all_gather(..., to='reduced') needs shard_map's reduced axes")

    def one(v):
        v = lax._as_array(v)
        nd = get_aval(v).ndim + (0 if tiled else 1)
        return all_gather_p.bind(v, axes=_names(axis_name), axis=int(axis) % max(nd, 1), tiled=bool(tiled))
    return tree_util.tree_map(one, x)


def psum_scatter(x, axis_name, *, scatter_dimension=0, axis_index_groups=None, tiled=False):
    """axis_index_groups raises NotImplementedError, as under JAX's vmap."""
    _no_groups(axis_index_groups, "axis_index_groups not supported in vmap")

    def one(v):
        v = lax._as_array(v)
        return psum_scatter_p.bind(v, axes=_names(axis_name), tiled=bool(tiled),
                                   scatter_dimension=int(scatter_dimension) % get_aval(v).ndim)
    return tree_util.tree_map(one, x)


# ---- all_to_all -----------------------------------------------------------------------------------


def _all_to_all_abstract(x, axes, split_axis, concat_axis, tiled):
    n = math.prod(_named_main(a, "all_to_all").global_data[0] for a in axes)
    shape = list(x.shape)
    if tiled:
        if shape[split_axis] % n:
            raise ValueError(f"all_to_all: split_axis {split_axis} of size {shape[split_axis]} is not "
                             f"divisible by the axis size {n}")
        shape[split_axis] //= n
        shape[concat_axis] *= n
    else:
        if shape[split_axis] != n:
            raise ValueError(f"all_to_all: split_axis {split_axis} of size {shape[split_axis]} must equal "
                             f"the axis size {n}")
        del shape[split_axis]
        shape.insert(concat_axis, n)
    return [ShapedArray(tuple(shape), x.dtype, x.weak_type)]


def _all_to_all_own(n, x, split_axis, concat_axis, tiled):
    # Lane i receives chunk i of every lane j's split axis, placed at position j along concat_axis.
    s = split_axis + 1
    if tiled:
        shape = get_aval(x).shape
        x = reshape(x, shape[:s] + (n, shape[s] // n) + shape[s + 1:])
    x = batching.moveaxis(x, s, 0)  # axis 0: the receiving lane; axis 1: the sending lane
    if not tiled:
        return batching.moveaxis(x, 1, concat_axis + 1), 0
    x = batching.moveaxis(x, 1, concat_axis + 1)  # senders just before the concat axis, then merge
    shape = get_aval(x).shape
    c = concat_axis + 1
    return reshape(x, shape[:c] + (shape[c] * shape[c + 1],) + shape[c + 2:]), 0


all_to_all_p = _collective("all_to_all", _all_to_all_abstract, _all_to_all_own,
                           lambda p: {**p, "split_axis": p["split_axis"] + 1, "concat_axis": p["concat_axis"] + 1})
ad.jvp_rules[all_to_all_p] = lambda p, t, **k: ([all_to_all_p.bind(p[0], **k)], [all_to_all_p.bind(t[0], **k)])
ad.transpose_rules[all_to_all_p] = lambda ct, x, axes, split_axis, concat_axis, tiled: [
    all_to_all_p.bind(ct, axes=axes, split_axis=concat_axis, concat_axis=split_axis, tiled=tiled)]


def all_to_all(x, axis_name, split_axis, concat_axis, *, axis_index_groups=None, tiled=False):
    """axis_index_groups raises NotImplementedError, as under JAX's vmap."""
    _no_groups(axis_index_groups, "Please open a feature request!")

    def one(v):
        v = lax._as_array(v)
        nd = get_aval(v).ndim
        return all_to_all_p.bind(v, axes=_names(axis_name), split_axis=int(split_axis) % nd,
                                 concat_axis=int(concat_axis) % nd,
                                 tiled=bool(tiled))
    return tree_util.tree_map(one, x)


def pswapaxes(x, axis_name, axis, *, axis_index_groups=None):
    """Swaps the named axis with positional axis `axis` (all_to_all with split = concat = axis)."""
    return all_to_all(x, axis_name, axis, axis, axis_index_groups=axis_index_groups)


# ---- permutations ---------------------------------------------------------------------------------


def _permute_own(n, x, perm):
    # Lane dst takes lane src's value; lanes that receive nothing get zeros.
    sources = {dst: src for src, dst in perm}
    return concatenate([_slice0(x, sources[i]) if i in sources else lax.zeros_like_array(_slice0(x, 0))
                        for i in range(n)], 0), 0


def _slice0(x, i):
    from jaxlite._src.lax.structural import slice_in_dim
    return slice_in_dim(x, i, i + 1, axis=0)


ppermute_p = _collective("ppermute", _same, _permute_own)
ad.jvp_rules[ppermute_p] = lambda p, t, axes, perm: ([ppermute_p.bind(p[0], axes=axes, perm=perm)],
                                                     [ppermute_p.bind(t[0], axes=axes, perm=perm)])
ad.transpose_rules[ppermute_p] = lambda ct, x, axes, perm: [
    ppermute_p.bind(ct, axes=axes, perm=tuple((d, s) for s, d in perm))]


def ppermute(x, axis_name, perm):
    names = _names(axis_name)
    perm = tuple((int(s), int(d)) for s, d in perm)
    n = axis_size(names)
    srcs, dsts = [s for s, _ in perm], [d for _, d in perm]
    if len(set(srcs)) != len(srcs) or len(set(dsts)) != len(dsts):
        raise ValueError(f"ppermute sources and destinations must be unique, got {perm}.")
    if any(not 0 <= v < n for v in srcs + dsts):
        raise ValueError(f"ppermute permutation entries must be in [0, {n}), got {perm}.")
    if len(names) > 1:
        raise NotImplementedError("ppermute over a tuple of axis names is not supported")
    return tree_util.tree_map(lambda v: ppermute_p.bind(lax._as_array(v), axes=names, perm=perm), x)


def pshuffle(x, axis_name, perm):
    """Lane i takes lane perm[i]'s value."""
    if sorted(perm) != list(range(len(perm))):
        raise ValueError(f"`perm` does not represent a permutation: {perm}")
    return ppermute(x, axis_name, [(int(src), dst) for dst, src in enumerate(perm)])


def pbroadcast(x, axis_name, source):
    """Every lane takes lane `source`'s value."""
    def one(v):
        v = lax._as_array(v)
        return psum(lax.select_n(lax.eq(axis_index(axis_name), np.int32(source)), lax.zeros_like_array(v), v),
                    axis_name)
    return tree_util.tree_map(one, x)


_SHARDING = "needs shard_map/pmap over devices; under vmap there is nothing to send between devices"
psend = not_applicable("jax.lax.psend", _SHARDING)
precv = not_applicable("jax.lax.precv", _SHARDING)
pcast = not_applicable("jax.lax.pcast", "varying/invariant casts only exist under shard_map's type system")
ragged_all_to_all = not_applicable("jax.lax.ragged_all_to_all", _SHARDING)
with_sharding_constraint = not_applicable("jax.lax.with_sharding_constraint",
                                          "jaxlite has one device per array and no shardings")
