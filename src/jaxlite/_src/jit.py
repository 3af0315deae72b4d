"""jit: trace once per (input avals, static args), cache the jaxpr, run it as one `pjit` primitive.

The device decides how a pjit runs: a compiling backend turns the jaxpr into fused kernels, the
cpu reference evaluates it equation by equation. Under other transformations pjit stays a single
equation (its jvp, vmap, transpose and partial-eval rules transform the inner jaxpr).
"""

from __future__ import annotations

import collections
import functools
import inspect
import warnings
import weakref
from typing import Callable

import numpy as np

from jaxlite._src import ad, batching, config_options, core, dispatch, dtypes, partial_eval as pe, tree_util
from jaxlite._src.api_util import flatten_fun, shape_dtype_avals
from jaxlite._src.array import ArrayImpl
from jaxlite._src.config import config
from jaxlite._src.core import ClosedJaxpr, JaxprEqn, Primitive, Var
from jaxlite._src.features import partial

pjit_p = Primitive("pjit", multiple_results=True)


def _pjit_abstract(*avals, jaxpr: ClosedJaxpr, name: str):
    for a, b in zip(avals, jaxpr.in_avals, strict=True):
        if a.shape != b.shape or a.dtype != b.dtype:
            raise TypeError(f"pjit {name} called with {a.str_short()} where its jaxpr expects {b.str_short()}")
    return list(jaxpr.out_avals)


_collective = weakref.WeakKeyDictionary()  # ClosedJaxpr -> whether it binds a collective
_placements = weakref.WeakKeyDictionary()  # ClosedJaxpr -> {device: holds every dtype it uses}


def _pjit_impl(*args, jaxpr: ClosedJaxpr, name: str):
    if config.jax_no_execution:
        raise RuntimeError(f"JAX tried to execute function {name}, but the no_execution config option is set")
    collective = _collective.get(jaxpr)
    if collective is None:
        collective = _collective[jaxpr] = any(e.primitive in batching.collective_rules for e in jaxpr.eqns)
    if collective:
        # A jit called inside a named vmap with no vmapped argument: each collective binds on its own
        # and meets the vmap's rule (no device runs axis_index), so the results may be its tracers.
        return pe.closed_call(jaxpr, args)
    device = dispatch._device_of(args)
    if getattr(device, "holds", None) is not None:  # a device that cannot hold every dtype (webgpu)
        known = _placements.get(jaxpr)
        if known is None:
            known = _placements[jaxpr] = {}
        ok = known.get(device)
        if ok is None:
            avals = (*jaxpr.in_avals, *jaxpr.out_avals, *(v.aval for e in jaxpr.jaxpr.eqns for v in e.out_binders))
            ok = known[device] = all(device.holds(a.dtype) for a in avals)
        if not ok:
            avals = (*jaxpr.in_avals, *jaxpr.out_avals, *(v.aval for e in jaxpr.jaxpr.eqns for v in e.out_binders))
            device = dispatch.placement(device, avals, any(type(a) is ArrayImpl and a._committed for a in args))
    run = getattr(device, "run_jaxpr", None)
    outs = run(jaxpr, args) if run is not None else pe.closed_call(jaxpr, args)
    # Inputs passed straight through and constant outputs are Python or numpy values here; a jitted
    # function returns Arrays of its jaxpr's types (jit(lambda x: x)(1.0) is a weak float32 Array).
    outs = [o if type(o) is ArrayImpl else dispatch.make_array(o, a.dtype, device, weak_type=a.weak_type)
            for o, a in zip(outs, jaxpr.out_avals)]
    # Avals that stand for values without data (lax tokens) make their own Python value.
    outs = [a.make_value() if hasattr(a, "make_value") else o for o, a in zip(outs, jaxpr.out_avals)]
    if any(type(a) is ArrayImpl and a._committed for a in args):
        # As in JAX, what is computed from committed arrays is committed too (compiled plans make
        # their outputs without knowing). An op-by-op run makes its constants on the default
        # device: those outputs move to where the call ran, as one XLA executable's would be.
        outs = [o if o._committed and o._device is device
                else dispatch.device_put(o, device) if o._device is not device
                else ArrayImpl(o.aval, o._buf, o._device, True) for o in outs]
    return outs


core.abstract_eval_rules[pjit_p] = _pjit_abstract
dispatch.impl_rules[pjit_p] = _pjit_impl


def _closed(f, avals) -> ClosedJaxpr:
    return pe.make_closed_jaxpr(f, avals)


# The rules below serve every "call" primitive that carries a closed jaxpr (pjit, remat).


def _call_jvp(prim, primals, tangents, jaxpr: ClosedJaxpr, **params):
    n = len(primals)

    def f(*pt):
        return [*sum(ad.jvp_flat(lambda *a: pe.closed_call(jaxpr, a), pt[:n], pt[n:]), [])]

    avals = [core.get_aval(x) for x in (*primals, *tangents)]
    jvp_jaxpr = _closed(f, [core.raise_to_shaped(a) for a in avals])
    outs = prim.bind(*primals, *tangents, jaxpr=jvp_jaxpr, **params)
    m = len(outs) // 2
    return outs[:m], outs[m:]


def _call_vmap(prim, axis_size, vals, dims, jaxpr: ClosedJaxpr, **params):
    def f(*args):
        outs, out_dims = batching.vmap_flat(lambda *a: pe.closed_call(jaxpr, a), dims, axis_size, args)
        return [batching.move_batch_axis(axis_size, d, 0, o) for o, d in zip(outs, out_dims)]

    avals = [core.raise_to_shaped(core.get_aval(v)) for v in vals]
    batched = _closed(f, avals)
    return prim.bind(*vals, jaxpr=batched, **params), [0] * len(batched.out_avals)


def _call_transpose(prim, cts, *args, jaxpr: ClosedJaxpr, **params):
    undef = [ad.is_undefined_primal(a) for a in args]
    known = [a for a in args if not ad.is_undefined_primal(a)]
    f = ad.transposed_fn(jaxpr, undef, [a.aval if u else core.get_aval(a) for a, u in zip(args, undef)])
    avals = [core.raise_to_shaped(core.get_aval(x)) for x in (*known, *cts)]
    t_jaxpr = _closed(f, avals)
    outs = iter(prim.bind(*known, *cts, jaxpr=t_jaxpr, **params))
    return [next(outs) if u else None for u in undef]


def _pjit_partial_eval_jaxpr(eqn, unks_in):
    closed = eqn.params["jaxpr"]
    nc = len(closed.consts)
    jaxpr1, jaxpr2, out_unks, num_res = pe.partial_eval_jaxpr(closed.jaxpr, [False] * nc + unks_in)
    ins1, ins2 = core.partition_list(unks_in, eqn.inputs)
    outs1, outs2 = core.partition_list(out_unks, eqn.out_binders)
    res = [Var(v.aval) for v in jaxpr1.outs[len(jaxpr1.outs) - num_res:]]
    consts = [core.Literal(c) for c in closed.consts]
    eqn1 = JaxprEqn(pjit_p, consts + ins1, dict(jaxpr=ClosedJaxpr(jaxpr1, []), name=eqn.params["name"]),
                    outs1 + res)
    eqn2 = JaxprEqn(pjit_p, res + ins2, dict(jaxpr=ClosedJaxpr(jaxpr2, []), name=eqn.params["name"]), outs2)
    return eqn1, eqn2, out_unks, res


def register_call_rules(prim) -> None:
    ad.jvp_rules[prim] = functools.partial(_call_jvp, prim)
    ad.transpose_rules[prim] = functools.partial(_call_transpose, prim)
    batching.vmap_rules[prim] = functools.partial(_call_vmap, prim)


register_call_rules(pjit_p)
pe.register_partial_eval(pjit_p, _pjit_partial_eval_jaxpr)


# ---- the jit wrapper ------------------------------------------------------------------------------


def _aval_key(x):
    a = getattr(x, "aval", None)
    if a is None:
        if isinstance(x, core.ShapeDtypeStruct):  # ahead-of-time lowering for a shape
            return (x.shape, dtypes.canonicalize_dtype(x.dtype), x.weak_type)
        dt, weak = dtypes.dtype_and_weak(x)
        return (np.shape(x), dt, weak)
    if hasattr(a, "make_value"):  # a token is no bool scalar
        return (a.shape, a.dtype, a.weak_type, type(a))
    return (a.shape, a.dtype, a.weak_type)


_FLAT_LEAVES = {ArrayImpl, np.ndarray, float, int, bool, complex, np.float32, np.float64, np.int32, np.int64,
                np.bool_, np.float16, np.uint32}


def _check_argnums(kind: str, nums, params) -> None:
    """JAX rejects static/donated positions and names the function cannot take, at `jit` time."""
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if any(p.kind == p.VAR_POSITIONAL for p in params):
        return
    bad = [i for i in nums if not -len(positional) <= i < len(positional)]
    if bad:
        raise ValueError(f"Jitted function has {kind}={tuple(nums)}, but only accepts {len(positional)} "
                         f"positional arguments.")


def _as_tuple(x) -> tuple:
    return () if x is None else (x,) if isinstance(x, (int, str)) else tuple(x)


def _normalize_static(fun, static_argnums, static_argnames, donate_argnums=(), donate_argnames=()):
    static_argnums, static_argnames = _as_tuple(static_argnums), _as_tuple(static_argnames)
    donate_argnums, donate_argnames = _as_tuple(donate_argnums), _as_tuple(donate_argnames)
    try:
        params = list(inspect.signature(fun).parameters.values())
    except (TypeError, ValueError):
        return static_argnums, static_argnames  # builtins: nothing to check against, as in JAX
    _check_argnums("static_argnums", static_argnums, params)
    _check_argnums("donate_argnums", donate_argnums, params)
    if not any(p.kind == p.VAR_KEYWORD for p in params):
        names = {p.name for p in params if p.kind != p.POSITIONAL_ONLY}
        for kind, given in (("static_argnames", static_argnames), ("donate_argnames", donate_argnames)):
            invalid = {n for n in given if n not in names}
            if invalid:
                raise ValueError(f"Jitted function has invalid argnames {invalid} in {kind}. "
                                 f"Function does not take these args.")
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    n_pos = len(positional)
    for i in static_argnums:
        p = positional[i] if 0 <= i < n_pos else None
        if p is not None and p.kind == p.POSITIONAL_OR_KEYWORD and p.name not in static_argnames:
            static_argnames += (p.name,)
    donated = {positional[i].name for i in donate_argnums if -n_pos <= i < n_pos} | set(donate_argnames)
    if donated & set(static_argnames):
        raise ValueError(f"static_argnames and donate_argnames cannot intersect. Argument names "
                         f"{donated & set(static_argnames)} appear in both static_argnames and donate_argnames")
    for name in static_argnames:
        for i, p in enumerate(params):
            if p.name == name and p.kind == p.POSITIONAL_OR_KEYWORD and i not in static_argnums:
                static_argnums += (i,)
    return static_argnums, static_argnames


class Jitted:
    """The callable returned by `jit`: caches one traced jaxpr per input signature."""

    def __init__(self, fun: Callable, static_argnums=(), static_argnames=(), donate_argnums=(), name=None,
                 donate_argnames=(), device=None, backend=None, inline: bool = False):
        self.fun = fun
        self.static_argnums, self.static_argnames = _normalize_static(fun, static_argnums, static_argnames,
                                                                      donate_argnums, donate_argnames)
        self.name = name or getattr(fun, "__name__", "fun")
        self.device, self.backend, self.inline = device, backend, bool(inline)
        self._cache = _LRU()
        self._flat_cache = _LRU()
        self._fast: dict = {}  # ids of the arguments' interned avals -> _FastCall
        functools.update_wrapper(self, fun, updated=())
        _all_jitted.add(self)

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        return functools.partial(self, obj)

    def _split(self, args, kwargs):
        nargs = len(args)
        static_pos = tuple(i % nargs for i in self.static_argnums if -nargs <= i < nargs)
        dyn_args = tuple(a for i, a in enumerate(args) if i not in static_pos)
        static_args = tuple((i, args[i]) for i in sorted(static_pos))
        dyn_kwargs = {k: v for k, v in kwargs.items() if k not in self.static_argnames}
        static_kwargs = tuple(sorted((k, v) for k, v in kwargs.items() if k in self.static_argnames))
        for _, v in static_args + static_kwargs:
            try:
                hash(v)
            except TypeError:
                raise ValueError(f"Non-hashable static arguments are not supported. An error occurred while "
                                 f"trying to hash an object of type {type(v)}, {v}. The error was:\n"
                                 f"TypeError: unhashable type: '{type(v).__name__}'") from None
        return dyn_args, dyn_kwargs, static_args, static_kwargs, nargs

    def _trace(self, dyn_args, dyn_kwargs, static_args, static_kwargs, nargs, in_tree, avals):
        statics = dict(static_args)

        def call(d_args, d_kwargs):
            it = iter(d_args)
            args = [statics[i] if i in statics else next(it) for i in range(nargs)]
            return self.fun(*args, **d_kwargs, **dict(static_kwargs))

        flat, out_tree, _ = flatten_fun(call, in_tree)

        def checked(*leaves):
            out_flat = flat(*leaves)
            for x in out_flat:
                if not core.valid_jaxtype(x):
                    raise TypeError(f"function {self.name} traced for jit returned a value of type {type(x)}, "
                                    f"which is not a valid JAX type")
            return out_flat

        if config.jax_no_tracing:
            raise RuntimeError(f"re-tracing function {self.name} for `jit`, but 'no_tracing' is set")
        jaxpr, consts = pe.trace_to_jaxpr(checked, avals)
        return ClosedJaxpr(jaxpr, consts), out_tree()

    def _check_args(self, dyn_args, dyn_kwargs, leaves) -> None:
        if all(core.valid_jaxtype(x) or isinstance(x, core.ShapeDtypeStruct) for x in leaves):
            return
        for path, x in tree_util.tree_flatten_with_path((dyn_args, dyn_kwargs))[0]:
            if not (core.valid_jaxtype(x) or isinstance(x, core.ShapeDtypeStruct)):
                rest = tree_util.keystr(path[2:])
                where = f"args[{path[1].idx}]{rest}" if path[0].idx == 0 else f"{path[1].key}{rest}"
                raise TypeError(f"Error interpreting argument to {self.fun} as an abstract array. The "
                                f"problematic value is of type {type(x)} and was passed to the function at "
                                f"path {where}. This typically means that a jit-wrapped function was "
                                f"called with a non-array argument, and this argument was not marked as "
                                f"static using the static_argnums or static_argnames parameters of jax.jit.")

    def _get(self, args, kwargs):
        dyn_args, dyn_kwargs, static_args, static_kwargs, nargs = self._split(args, kwargs)
        leaves, in_tree = tree_util.tree_flatten((dyn_args, dyn_kwargs))
        self._check_args(dyn_args, dyn_kwargs, leaves)
        key = (in_tree, tuple(_aval_key(x) for x in leaves), static_args, static_kwargs, nargs,
               dtypes.x64_enabled(), config_options.user_context_values())
        hit = self._cache.lookup(key)
        if hit is None:
            hit = self._trace(dyn_args, dyn_kwargs, static_args, static_kwargs, nargs, in_tree,
                              shape_dtype_avals(leaves))
            self._cache.insert(key, hit)
        return hit, leaves

    def __call__(self, *args, **kwargs):
        if not kwargs:
            # A call seen before with these Arrays' types on a compiling device: its plan directly.
            fast = self._fast.get(tuple([id(a.aval) if type(a) is ArrayImpl else None for a in args]))
            if fast is not None and fast.epoch == dispatch.replay_epoch[0] and dispatch.eager_ok() \
                    and not (dispatch._flags["jax_disable_jit"] or dispatch._flags["jax_no_execution"]
                             or config_options._user_contexts):
                out = fast.call(args)
                if out is not _MISS:
                    return out
        if config.jax_disable_jit:
            return self.fun(*args, **kwargs)
        if not kwargs and not self.static_argnums and all(type(a) in _FLAT_LEAVES for a in args):
            # Fast path: every argument is one array or scalar leaf; no pytree to flatten.
            key = (len(args), tuple(_aval_key(a) for a in args), dtypes.x64_enabled(),
                   config_options.user_context_values())
            hit = self._flat_cache.lookup(key)
            if hit is None:
                hit = self._get(args, kwargs)[0]
                self._flat_cache.insert(key, hit)
            (closed, out_tree), leaves = hit, args
        else:
            (closed, out_tree), leaves = self._get(args, kwargs)
        placed = self.device is not None or self.backend is not None
        if placed and not any(isinstance(x, core.Tracer) for x in leaves):
            target = self.device if self.device is not None else dispatch.devices(self.backend)[0]
            leaves = [dispatch.device_put(x, target) for x in leaves]
        if self.inline and (core.dynamic_trace is not None or len(core.trace_stack) > 1):
            outs = pe.closed_call(closed, leaves)  # the caller's trace records the equations themselves
        else:
            outs = pjit_p.bind(*leaves, jaxpr=closed, name=self.name)
            if not kwargs and not placed and leaves is args:
                _learn_fast(self, args, closed, out_tree)
        return tree_util.tree_unflatten(out_tree, outs)

    def trace(self, *args, **kwargs):
        """Ahead-of-time: the traced jaxpr for these arguments (arrays or ShapeDtypeStructs)."""
        if _stages["Traced"] is None:
            raise RuntimeError("jit(...).trace needs the stages module (import jaxlite first)")
        dyn_args, dyn_kwargs, *_ = self._split(args, kwargs)
        (closed, out_tree), leaves = self._get(args, kwargs)
        in_tree = tree_util.tree_structure((dyn_args, dyn_kwargs))
        return _stages["Traced"](closed, in_tree, out_tree, self.name, leaves)

    def lower(self, *args, **kwargs):
        return self.trace(*args, **kwargs).lower()

    def eval_shape(self, *args, **kwargs):
        return eval_shape(self, *args, **kwargs)

    def clear_cache(self):
        self._cache.clear()
        self._flat_cache.clear()
        self._fast.clear()

    def _cache_size(self) -> int:
        return len(self._cache)


_all_jitted: weakref.WeakSet = weakref.WeakSet()


class _FastCall:
    """A cached jit call on uncommitted Arrays of one device, nothing traced: the arguments'
    buffers go straight to the device's plan for the jaxpr (what pjit's impl and run_jaxpr do
    for such a call, minus their checks, which held when this was made)."""
    __slots__ = ("device", "run", "out_avals", "single", "out_tree", "epoch", "avals", "pair")

    def __init__(self, device, run, out_avals, out_tree, avals):
        self.device, self.run, self.out_avals, self.out_tree, self.avals = device, run, out_avals, out_tree, avals
        self.single = out_tree == tree_util.tree_structure(0)  # one Array out: no pytree to build
        self.epoch = dispatch.replay_epoch[0]
        # two arguments, one kernel, one result: the launcher's list-free form, where it has one
        self.pair = getattr(run, "pair", None) if self.single and len(avals) == 2 else None

    def call(self, args):
        dev = self.device
        for a in args:
            if a._device is not dev or a._committed:
                return _MISS
        if self.pair is not None:
            a, b = args
            return ArrayImpl(self.out_avals[0], self.pair(a._buf, b._buf), dev)
        outs = self.run([a._buf for a in args])
        if self.single:
            return ArrayImpl(self.out_avals[0], outs[0], dev)
        return tree_util.tree_unflatten(self.out_tree, [ArrayImpl(v, b, dev) for v, b in zip(self.out_avals, outs)])


_MISS = object()  # what _FastCall.call gives where the ordinary call must run


def _learn_fast(jitted, args, closed, out_tree) -> None:
    """Keep the plan of a jit call whose arguments are all uncommitted Arrays with interned avals
    on one compiling device, when pjit's impl would have run exactly that plan."""
    if not args or len(jitted._fast) > 64 or config.jax_no_execution or config_options._user_contexts:
        return
    dev = getattr(args[0], "_device", None)
    for a in args:
        if type(a) is not ArrayImpl or a._device is not dev or a._committed:
            return
        if dispatch.interned(a.aval) is not a.aval:
            dispatch.intern(a)  # the next call keys interned avals (their ids stay unique)
            return
    plan_for = getattr(dev, "plan_for", None)
    collective = _collective.get(closed)
    if plan_for is None or collective is None or collective or not dispatch.eager_ok():
        return
    if getattr(dev, "holds", None) is not None and not _placements.get(closed, {}).get(dev):
        return
    if any(hasattr(a, "make_value") for a in closed.out_avals):
        return
    run = plan_for(closed)
    if run is None:
        return
    fast = _FastCall(dev, run, tuple(dispatch.interned(a) for a in closed.out_avals), out_tree,
                     tuple(a.aval for a in args))
    jitted._fast[tuple(id(a.aval) for a in args)] = fast

# The ahead-of-time stages (`.trace()` -> Traced -> Lowered -> Compiled) build on jit: they compile
# pjit's jaxpr with a device's kernel plans, so stages.py imports this module, and the runtime
# assembler (api.py) registers its Traced class here.
_stages: dict = {"Traced": None}


def register_stages(traced_type: type) -> None:
    _stages["Traced"] = traced_type


class _LRU(collections.OrderedDict):
    """A jitted function's traces, most recent last. Programs that meet endlessly new shapes would
    otherwise keep a jaxpr, its constants and a compiled plan per shape; an evicted entry drops
    them (kernel devices hold plans weakly by jaxpr). The bound is the `jaxlite_jit_cache_size`
    option (JAX's in-memory jit cache is bounded too, but not settable)."""

    def lookup(self, key):
        hit = self.get(key)
        if hit is not None:
            self.move_to_end(key)
        return hit

    def insert(self, key, value):
        self[key] = value
        limit = max(1, int(config.read("jaxlite_jit_cache_size")))
        while len(self) > limit:
            self.popitem(last=False)


def clear_all_caches() -> None:
    for j in list(_all_jitted):
        j.clear_cache()


@partial("donate_argnums/donate_argnames are checked as JAX checks them, but donation does not delete the "
         "donated arrays (JAX reuses their memory for the outputs and deletes them); in_shardings, "
         "out_shardings and compiler_options are not accepted")
def jit(fun: Callable | None = None, *, static_argnums=None, static_argnames=None, donate_argnums=None,
        donate_argnames=None, keep_unused: bool = False, device=None, backend=None, inline: bool = False):
    """Compile `fun`: trace it once per input signature and run it as one `pjit` equation.

    - donate_argnums / donate_argnames: validated as in JAX (positions, names, no overlap with the
      static arguments), otherwise a no-op: a page's buffers are freed by reference count as soon as
      nothing holds them, so donation would save only the peak of one call.
    - keep_unused: accepted; jaxlite keeps every argument in the jaxpr and its kernel plans read
      only the inputs they use, so both values behave alike.
    - device / backend: run on that jaxlite device / the first device of that platform (the
      arguments are committed there first; under a transformation, where arguments are tracers, the
      function runs where its arguments are). Deprecated in JAX 0.10 with a DeprecationWarning, which
      jaxlite gives too; giving both is JAX's ValueError, an unknown backend its RuntimeError (when
      called: webgpu appears only after `await jaxlite.init()`).
    - inline: under another transformation the function's equations go into the caller's jaxpr
      instead of one pjit equation.
    """
    options = dict(static_argnums=static_argnums, static_argnames=static_argnames, donate_argnums=donate_argnums,
                   donate_argnames=donate_argnames, keep_unused=keep_unused, device=device, backend=backend,
                   inline=inline)
    if fun is None:
        return lambda f: jit(f, **options)
    core.check_callable(fun)
    if device is not None and backend is not None:
        raise ValueError(f"can't specify both a device and a backend for jit, got device={device} and "
                         f"backend={backend!r}")
    if device is not None or backend is not None:
        platform = backend or getattr(device, "platform", device)
        warnings.warn(f"backend and device argument on jit is deprecated. You can use `jax.device_put(..., "
                      f"jax.local_devices(backend=\"{platform}\")[0])` on the inputs to the jitted function to "
                      "get the same behavior.", DeprecationWarning, stacklevel=2)
    return Jitted(fun, static_argnums, static_argnames, donate_argnums, donate_argnames=donate_argnames,
                  device=device, backend=backend, inline=inline)


def trace_function(fun: Callable, args, kwargs, static_argnums=()):
    """Trace fun(*args, **kwargs) with the positions in static_argnums held concrete.
    Returns (ClosedJaxpr over the dynamic leaves, output treedef, the dynamic leaves)."""
    nargs = len(args)
    statics = {i % nargs: args[i] for i in static_argnums if -nargs <= i < nargs}
    dyn = tuple(a for i, a in enumerate(args) if i not in statics)
    leaves, in_tree = tree_util.tree_flatten((dyn, kwargs))

    def call(d, kw):
        it = iter(d)
        return fun(*[statics[i] if i in statics else next(it) for i in range(nargs)], **kw)

    flat, out_tree, _ = flatten_fun(call, in_tree)
    closed = pe.make_closed_jaxpr(flat, shape_dtype_avals(leaves))
    return closed, out_tree(), leaves


def make_jaxpr(fun: Callable, static_argnums=(), return_shape: bool = False, abstracted_axes=None):
    static_argnums = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)

    @functools.wraps(fun, updated=())
    def make(*args, **kwargs):
        closed, out_tree, _ = trace_function(fun, args, kwargs, static_argnums)
        if return_shape:
            shapes = [core.ShapeDtypeStruct(a.shape, a.dtype, a.weak_type) for a in closed.out_avals]
            return closed, tree_util.tree_unflatten(out_tree, shapes)
        return closed

    return make


def eval_shape(fun: Callable, *args, **kwargs):
    closed, out_tree, _ = trace_function(fun, args, kwargs)
    shapes = [core.ShapeDtypeStruct(a.shape, a.dtype, a.weak_type) for a in closed.out_avals]
    return tree_util.tree_unflatten(out_tree, shapes)
