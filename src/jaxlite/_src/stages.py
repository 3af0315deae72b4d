"""Ahead-of-time stages of a jitted function: `f.trace(*args)` -> Traced, `.lower()` -> Lowered,
`.compile()` -> Compiled (callable), as jax.stages.

jaxlite has no StableHLO: the lowered program is the jaxpr itself, and compiling it on a kernel
device (wasm, webgpu) builds the fusion plan whose kernels `Compiled.as_text()` shows (WAT or WGSL).
On the cpu device the jaxpr is evaluated with numpy, equation by equation.
"""

from __future__ import annotations

import numpy as np

from jaxlite._src import core, dispatch, tree_util
from jaxlite._src.backends.kernel_device import KernelDevice
from jaxlite._src.features import partial
from jaxlite._src.kernel import fusion


class ArgInfo:
    """Shape and dtype of one argument of a staged function."""

    def __init__(self, aval, donated: bool = False):
        self._aval, self.donated = aval, donated

    shape = property(lambda self: self._aval.shape)
    dtype = property(lambda self: self._aval.dtype)

    def __repr__(self):
        return f"ArgInfo(shape={self.shape}, dtype={self.dtype.name}, donated={self.donated})"


class _Stage:
    def __init__(self, jaxpr: core.ClosedJaxpr, in_tree, out_tree, name: str, device):
        self.jaxpr, self.in_tree, self.out_tree, self.fun_name, self._device = jaxpr, in_tree, out_tree, name, device

    @property
    def args_info(self):
        return tree_util.tree_unflatten(self.in_tree, [ArgInfo(a) for a in self.jaxpr.in_avals])

    @property
    def out_info(self):
        return tree_util.tree_unflatten(
            self.out_tree, [core.ShapeDtypeStruct(a.shape, a.dtype, a.weak_type) for a in self.jaxpr.out_avals])


class Traced(_Stage):
    def __init__(self, jaxpr, in_tree, out_tree, name, leaves):
        super().__init__(jaxpr, in_tree, out_tree, name, _device_for(leaves))

    def lower(self, *, lowering_platforms=None, _private_parameters=None):
        device = self._device if lowering_platforms is None else dispatch.devices(lowering_platforms[0])[0]
        return Lowered(self.jaxpr, self.in_tree, self.out_tree, self.fun_name, device)


def _device_for(leaves):
    from jaxlite._src.array import ArrayImpl
    return dispatch._device_of([x for x in leaves if isinstance(x, ArrayImpl)])


class Lowered(_Stage):
    def as_text(self, dialect: str | None = None, *, debug_info: bool = False) -> str:
        """The program as jaxlite lowers it: its jaxpr (there is no StableHLO here)."""
        return str(self.jaxpr)

    def compiler_ir(self, dialect: str | None = None):
        return self.jaxpr

    def compile(self, compiler_options=None):
        return Compiled(self.jaxpr, self.in_tree, self.out_tree, self.fun_name, self._device)

    def cost_analysis(self):
        return _cost(self.jaxpr)


cost_analysis_note = ("counts 'flops' (2·M·N·K per contraction, one per output element elsewhere, nested jaxprs "
                      "once) and 'bytes accessed' of the program's inputs and outputs; XLA's other keys are absent")
Lowered.cost_analysis = partial(cost_analysis_note)(Lowered.cost_analysis)


class Compiled(_Stage):
    def __init__(self, jaxpr, in_tree, out_tree, name, device):
        super().__init__(jaxpr, in_tree, out_tree, name, device)
        self._plan = None
        if isinstance(device, KernelDevice):
            plan = device._plans.get(jaxpr)
            if plan is None:  # built now, and kept where calls of the jitted function find it
                plan = device._plans[jaxpr] = fusion.Plan(device, jaxpr)
            self._plan = plan

    def __call__(self, *args, **kwargs):
        from jaxlite._src.jit import pjit_p
        leaves, tree = tree_util.tree_flatten((args, kwargs))
        if tree != self.in_tree:
            raise TypeError(f"Function compiled with input pytree does not match the input pytree it was called "
                            f"with: expected {self.in_tree}, got {tree}")
        for x, aval in zip(leaves, self.jaxpr.in_avals):
            a = core.get_aval(x)
            if a.shape != aval.shape or a.dtype != aval.dtype:
                raise TypeError("Argument types differ from the types for which this computation was compiled. "
                                f"Expected {aval.str_short()}, got {a.str_short()}.")
        with dispatch.default_device(self._device):
            outs = pjit_p.bind(*leaves, jaxpr=self.jaxpr, name=self.fun_name)
        return tree_util.tree_unflatten(self.out_tree, outs)

    def as_text(self) -> str:
        """The executable: on wasm/webgpu every step of the fusion plan, kernels as WAT/WGSL text."""
        if self._plan is None:
            return (f"// {self._device.platform}: the jaxpr runs equation by equation on numpy kernels\n"
                    f"{self.jaxpr}")
        return _plan_text(self._device, self._plan)

    def cost_analysis(self):
        return _cost(self.jaxpr)

    def memory_analysis(self):
        return None

    def runtime_executable(self):
        return self._plan


Compiled.cost_analysis = partial(cost_analysis_note)(Compiled.cost_analysis)


def _cost(closed) -> dict:
    flops = _flops(closed.jaxpr)
    nbytes = sum(a.size * a.dtype.itemsize for a in (*closed.in_avals, *closed.out_avals))
    return {"flops": float(flops), "bytes accessed": float(nbytes)}


def _flops(jaxpr) -> int:
    total = 0
    for eqn in jaxpr.eqns:
        subs = [v.jaxpr if isinstance(v, core.ClosedJaxpr) else v for v in eqn.params.values()
                if isinstance(v, (core.Jaxpr, core.ClosedJaxpr))]
        if subs:
            total += sum(_flops(j) for j in subs)
        elif eqn.primitive.name == "dot_general":
            lhs, out = eqn.inputs[0].aval, eqn.out_binders[0].aval
            (lc, _), _ = eqn.params["dimension_numbers"]
            total += 2 * out.size * int(np.prod([lhs.shape[i] for i in lc], dtype=np.int64))
        elif eqn.primitive.name == "conv_general_dilated":
            # each output element is a dot over one window of its group's input features
            rhs, out = eqn.inputs[1].aval, eqn.out_binders[0].aval
            out_features = rhs.shape[eqn.params["dimension_numbers"].rhs_spec[0]]
            total += 2 * out.size * (rhs.size // max(1, out_features))
        else:
            total += sum(v.aval.size for v in eqn.out_binders)
    return total


def _kernel_text(device, fn) -> str:
    kernel = next((k for k, f in device._kernels.items() if f is fn and hasattr(k, "outs")), None)
    if kernel is None:
        return "  (kernel source not kept)"
    if device.platform == "wasm":
        import dataclasses
        from jaxlite._src.backends.wasm.render import render
        from jaxlite._src.kernel import math as kmath
        return render(dataclasses.replace(kernel, outs=kmath.expand(kernel.outs)), shared=device.runtime.shared)
    from jaxlite._src.backends.webgpu import render as wgsl
    return wgsl.render_scatter(kernel) if kernel.scatter is not None else wgsl.render_map(kernel, fn.packed)


def _plan_text(device, plan) -> str:
    lines = [f"// jaxlite {device.platform} plan: {len(plan.steps)} steps over {plan.nslots} buffer slots; "
             f"inputs {plan.in_slots}, outputs {plan.out_slots}"]
    for n, step in enumerate(plan.steps):
        if step.kind in ("kernel", "kernels", "scatter"):
            lines.append(f"// step {n}: {step.kind} over {step.n} positions")
            lines.append(_kernel_text(device, step.fn))
        elif step.kind == "routine":
            lines.append(f"// step {n}: routine {getattr(step.fn, '__name__', step.fn)!s}")
        else:
            lines.append(f"// step {n}: {'host' if step.kind == 'prim' else 'bind'} {step.prim.name}")
    return "\n".join(lines)


