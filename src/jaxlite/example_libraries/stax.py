"""jax.example_libraries.stax: neural-network layers as (init_fun, apply_fun) pairs.

init_fun(rng, input_shape) -> (output_shape, params); apply_fun(params, inputs, **kwargs) -> outputs.
Keys are split in the same order as JAX's stax, so the same key gives the same parameters.
Output shapes of convolutions and pools come from `eval_shape` of the layer itself.
"""

from __future__ import annotations

import functools
import math

import numpy as np

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite import lax, random
from jaxlite.nn import elu, gelu, leaky_relu, log_softmax, relu, selu, sigmoid, softmax, softplus, standardize
from jaxlite.nn.initializers import glorot_normal, normal, ones, zeros

glorot = glorot_normal
randn = normal
logsoftmax = log_softmax


def _shape_of(fun, *shapes) -> tuple:
    structs = [jax.ShapeDtypeStruct(tuple(s), jnp.float32) for s in shapes]
    return tuple(jax.eval_shape(fun, *structs).shape)


def Dense(out_dim, W_init=glorot_normal(), b_init=normal()):
    """A fully-connected layer: inputs @ W + b."""
    def init_fun(rng, input_shape):
        k1, k2 = random.split(rng)
        W, b = W_init(k1, (input_shape[-1], out_dim)), b_init(k2, (out_dim,))
        return tuple(input_shape[:-1]) + (out_dim,), (W, b)

    def apply_fun(params, inputs, **kwargs):
        W, b = params
        return jnp.dot(inputs, W) + b
    return init_fun, apply_fun


def _conv_layer(conv, dimension_numbers, out_chan, filter_shape, W_init, b_init):
    """init_fun/apply_fun of a convolution layer: conv(inputs, W) + b, the kernel's shape read from
    its spec ('O' the output channels, 'I' the input's, the spatial sizes in order)."""
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    W_init = W_init or glorot_normal(rhs_spec.index("I"), rhs_spec.index("O"))

    def init_fun(rng, input_shape):
        spatial = iter(filter_shape)
        kernel_shape = [out_chan if c == "O" else input_shape[lhs_spec.index("C")] if c == "I" else next(spatial)
                        for c in rhs_spec]
        output_shape = _shape_of(conv, input_shape, kernel_shape)
        bias_shape = [out_chan if c == "C" else 1 for c in out_spec]
        k1, k2 = random.split(rng)
        return output_shape, (W_init(k1, kernel_shape), b_init(k2, bias_shape))

    def apply_fun(params, inputs, **kwargs):
        W, b = params
        return conv(inputs, W) + b
    return init_fun, apply_fun


def GeneralConv(dimension_numbers, out_chan, filter_shape, strides=None, padding="VALID", W_init=None,
                b_init=normal(1e-6)):
    """A convolution in the layout given by dimension_numbers (e.g. ('NHWC', 'HWIO', 'NHWC'))."""
    one = (1,) * len(filter_shape)

    def conv(x, W):
        return lax.conv_general_dilated(x, W, strides or one, padding, one, one, dimension_numbers=dimension_numbers)
    return _conv_layer(conv, dimension_numbers, out_chan, filter_shape, W_init, b_init)


def GeneralConvTranspose(dimension_numbers, out_chan, filter_shape, strides=None, padding="VALID", W_init=None,
                         b_init=normal(1e-6)):
    """A transposed convolution (lax.conv_transpose) in the layout given by dimension_numbers."""
    def conv(x, W):
        return lax.conv_transpose(x, W, strides or (1,) * len(filter_shape), padding,
                                  dimension_numbers=dimension_numbers)
    return _conv_layer(conv, dimension_numbers, out_chan, filter_shape, W_init, b_init)


Conv = functools.partial(GeneralConv, ("NHWC", "HWIO", "NHWC"))
Conv1DTranspose = functools.partial(GeneralConvTranspose, ("NHC", "HIO", "NHC"))
ConvTranspose = functools.partial(GeneralConvTranspose, ("NHWC", "HWIO", "NHWC"))


def BatchNorm(axis=(0, 1, 2), epsilon=1e-5, center=True, scale=True, beta_init=zeros, gamma_init=ones):
    """Normalise over `axis` (batch statistics), then scale by gamma and shift by beta."""
    axis = (axis,) if np.isscalar(axis) else tuple(axis)

    def init_fun(rng, input_shape):
        shape = tuple(d for i, d in enumerate(input_shape) if i not in axis)
        k1, k2 = random.split(rng)
        beta = beta_init(k1, shape) if center else ()
        gamma = gamma_init(k2, shape) if scale else ()
        return input_shape, (beta, gamma)

    def apply_fun(params, x, **kwargs):
        beta, gamma = params
        ed = tuple(None if i in axis else slice(None) for i in range(jnp.ndim(x)))
        z = standardize(x, axis, epsilon=epsilon)
        if center and scale:
            return gamma[ed] * z + beta[ed]
        if center:
            return z + beta[ed]
        if scale:
            return gamma[ed] * z
        return z
    return init_fun, apply_fun


def elementwise(fun, **fun_kwargs):
    """A layer without parameters applying fun to its inputs."""
    return (lambda rng, input_shape: (input_shape, ())), (lambda params, inputs, **kwargs: fun(inputs, **fun_kwargs))


Tanh = elementwise(jnp.tanh)
Relu = elementwise(relu)
Exp = elementwise(jnp.exp)
LogSoftmax = elementwise(log_softmax, axis=-1)
Softmax = elementwise(softmax, axis=-1)
Softplus = elementwise(softplus)
Sigmoid = elementwise(sigmoid)
Elu = elementwise(elu)
LeakyRelu = elementwise(leaky_relu)
Selu = elementwise(selu)
Gelu = elementwise(gelu)


def _pooling_layer(reducer_name, init_val, average=False):
    def PoolingLayer(window_shape, strides=None, padding="VALID", spec=None):
        """A pooling layer over the spatial axes (all but N and C; NHWC unless spec says otherwise)."""
        strides = strides or (1,) * len(window_shape)
        non_spatial = (0, len(window_shape) + 1) if spec is None else (spec.index("N"), spec.index("C"))
        dims, steps = tuple(window_shape), tuple(strides)
        for i in sorted(non_spatial):
            dims, steps = dims[:i] + (1,) + dims[i:], steps[:i] + (1,) + steps[i:]

        def pool(x):
            reducer = getattr(lax, reducer_name)
            out = lax.reduce_window(x, init_val, reducer, dims, steps, padding)
            if not average:
                return out
            axes = (0, x.ndim - 1) if spec is None else non_spatial
            spatial = tuple(d for i, d in enumerate(x.shape) if i not in axes)
            sizes = lax.reduce_window(jnp.ones(spatial, x.dtype), 0., lax.add,
                                      tuple(d for i, d in enumerate(dims) if i not in axes),
                                      tuple(s for i, s in enumerate(steps) if i not in axes), padding)
            for i in sorted(axes):
                sizes = jnp.expand_dims(sizes, i)
            return out / sizes

        def init_fun(rng, input_shape):
            return _shape_of(pool, input_shape), ()

        def apply_fun(params, inputs, **kwargs):
            return pool(inputs)
        return init_fun, apply_fun
    return PoolingLayer


MaxPool = _pooling_layer("max", -np.inf)
SumPool = _pooling_layer("add", 0.)
AvgPool = _pooling_layer("add", 0., average=True)


def _flatten():
    def init_fun(rng, input_shape):
        return (input_shape[0], math.prod(input_shape[1:])), ()
    return init_fun, lambda params, inputs, **kwargs: jnp.reshape(inputs, (inputs.shape[0], -1))


Flatten = _flatten()
Identity = (lambda rng, input_shape: (input_shape, ())), (lambda params, inputs, **kwargs: inputs)


def FanOut(num):
    """Copies its input to `num` outputs."""
    return (lambda rng, input_shape: ([input_shape] * num, ())), (lambda params, inputs, **kwargs: [inputs] * num)


FanInSum = (lambda rng, input_shape: (input_shape[0], ())), (lambda params, inputs, **kwargs: sum(inputs))


def FanInConcat(axis=-1):
    """Concatenates its inputs along axis."""
    def init_fun(rng, input_shape):
        ax = axis % len(input_shape[0])
        size = sum(s[ax] for s in input_shape)
        return tuple(input_shape[0][:ax]) + (size,) + tuple(input_shape[0][ax + 1:]), ()
    return init_fun, lambda params, inputs, **kwargs: jnp.concatenate(inputs, axis)


def Dropout(rate, mode="train"):
    """Keeps each input with probability `rate` (scaled by 1/rate) in 'train' mode; needs rng=."""
    def apply_fun(params, inputs, **kwargs):
        rng = kwargs.get("rng", None)
        if rng is None:
            raise ValueError("Dropout layer requires apply_fun to be called with a PRNG key argument. That is, "
                             "instead of `apply_fun(params, inputs)`, call it like `apply_fun(params, inputs, rng)` "
                             "where `rng` is a PRNG key (e.g. from `jax.random.key`).")
        if mode == "train":
            keep = random.bernoulli(rng, rate, inputs.shape)
            return jnp.where(keep, inputs / rate, 0)
        return inputs
    return (lambda rng, input_shape: (input_shape, ())), apply_fun


def serial(*layers):
    """Layers applied one after another."""
    nlayers = len(layers)
    init_funs, apply_funs = zip(*layers)

    def init_fun(rng, input_shape):
        params = []
        for init in init_funs:
            rng, layer_rng = random.split(rng)
            input_shape, param = init(layer_rng, input_shape)
            params.append(param)
        return input_shape, params

    def apply_fun(params, inputs, **kwargs):
        rng = kwargs.pop("rng", None)
        rngs = random.split(rng, nlayers) if rng is not None else (None,) * nlayers
        for fun, param, r in zip(apply_funs, params, rngs):
            inputs = fun(param, inputs, rng=r, **kwargs)
        return inputs
    return init_fun, apply_fun


def parallel(*layers):
    """Layers applied side by side: the i-th layer to the i-th input."""
    nlayers = len(layers)
    init_funs, apply_funs = zip(*layers)

    def init_fun(rng, input_shape):
        rngs = random.split(rng, nlayers)
        return zip(*[init(r, shape) for init, r, shape in zip(init_funs, rngs, input_shape)])

    def apply_fun(params, inputs, **kwargs):
        rng = kwargs.pop("rng", None)
        rngs = random.split(rng, nlayers) if rng is not None else (None,) * nlayers
        return [f(p, x, rng=r, **kwargs) for f, p, x, r in zip(apply_funs, params, inputs, rngs)]
    return init_fun, apply_fun


def shape_dependent(make_layer):
    """A layer built only once the input shape is known."""
    def init_fun(rng, input_shape):
        return make_layer(input_shape)[0](rng, input_shape)

    def apply_fun(params, inputs, **kwargs):
        return make_layer(inputs.shape)[1](params, inputs, **kwargs)
    return init_fun, apply_fun

