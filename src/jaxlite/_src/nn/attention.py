"""jax.nn.dot_product_attention (JAX's 'xla' implementation) and the block-scaled matmuls.

Layout letters as in JAX: B batch, T query length, S key/value length, N query heads, K key/value
heads, G = N // K query heads per key/value head, H head size. Grouped-query attention keeps the
query as [B, T, K, G, H] and contracts it with [B, S, K, H] directly, so key and value are never
repeated per group.
"""

from __future__ import annotations

import numpy as np

from jaxlite._src import dtypes
from jaxlite._src.ad_util import stop_gradient
from jaxlite._src.features import not_applicable, partial
from jaxlite._src.lax.dot import dot_general
from jaxlite._src.nn.functions import logsumexp, softmax
from jaxlite._src.numpy import lax_numpy as jnp
from jaxlite._src.numpy.util import asarray


def _large_negative(dtype):
    # Finite (not -inf) so a fully masked row gives a uniform softmax rather than nan; capped at
    # float32's range because the softmax always runs in float32.
    big = min(float(np.finfo(dtype).max), float(np.finfo(np.float32).max))
    return jnp.asarray(-0.7 * big, dtype=dtype)


def _grouped(t, K, G):
    """A [B, N, T, S] bias or mask as [B, K, G, T, S] (or [B, 1, 1, T, S] for one shared head)."""
    if t is None:
        return None
    tB, tN, tT, tS = t.shape
    if tN == 1:
        return jnp.reshape(t, (tB, 1, 1, tT, tS))
    if tN != K * G:
        raise AssertionError(f"bias/mask head dimension {tN} is neither 1 nor the number of query heads {K * G}")
    return jnp.reshape(t, (tB, K, G, tT, tS))


def _mask(T, S, mask, is_causal, q_seqlen, kv_seqlen, local_window_size):
    """The combined boolean mask over logits [B, K, G, T, S], or None when nothing is masked."""
    masks = [] if mask is None else [mask]
    q_pos = jnp.arange(T)[:, None]
    k_pos = jnp.arange(S)[None, :]
    if is_causal:
        masks.append(q_pos >= k_pos)
    if local_window_size is not None:
        left, right = local_window_size
        masks.append((q_pos <= k_pos + left) & (q_pos >= k_pos - right))
    if q_seqlen is not None:
        masks.append((jnp.arange(T)[None, :, None] < q_seqlen[:, None, None])[:, None, None])
    if kv_seqlen is not None:
        masks.append((jnp.arange(S)[None, None, :] < kv_seqlen[:, None, None])[:, None, None])
    if not masks:
        return None
    out = masks[0]
    for m in masks[1:]:
        out = jnp.logical_and(out, m)
    return out


def _attention_xla(query, key, value, bias, mask, is_causal, scale, q_seqlen, kv_seqlen, local_window_size,
                   return_residual):
    B, T, N, H = query.shape
    _, S, K, _ = key.shape
    G = N // K
    q = jnp.reshape(query, (B, T, K, G, H))
    # Logits are at least float32; half-precision inputs are exact in float32, so widening them
    # first equals JAX's float32-accumulating dot (preferred_element_type=float32).
    logits_dtype = jnp.promote_types(query.dtype, np.float32)
    logits = jnp.einsum("BTKGH,BSKH->BKGTS", q.astype(logits_dtype), key.astype(logits_dtype))
    logits = logits * jnp.array(scale, dtype=logits.dtype)
    if bias is not None:
        logits = (logits + _grouped(bias, K, G)).astype(logits.dtype)
    combined = _mask(T, S, _grouped(mask, K, G), is_causal, q_seqlen, kv_seqlen, local_window_size)
    if combined is not None:
        logits = jnp.where(combined, logits, _large_negative(logits.dtype))
    logits = logits.astype(np.float32)
    probs = softmax(logits, axis=-1).astype(key.dtype)
    encoded = jnp.einsum("BKGTS,BSKH->BTKGH", probs, value)
    if q_seqlen is not None:
        valid = jnp.arange(T)[None, :] < q_seqlen[:, None]
        encoded = encoded * valid[:, :, None, None, None].astype(encoded.dtype)
    encoded = jnp.reshape(encoded, (B, T, N, H))
    if not return_residual:
        return encoded
    lse = logsumexp(logits, axis=-1).astype(key.dtype)  # [B, K, G, T]
    lse = jnp.reshape(jnp.moveaxis(lse, 3, 1), (B, T, N))
    return encoded, stop_gradient(lse)


def _check(t, shape, dtype, name):
    if t is None:
        return
    if t.ndim != len(shape):
        raise ValueError(f"{name} ndim should be {len(shape)}, but got {t.ndim}")
    if dtype is not None and t.dtype != dtype:
        raise ValueError(f"{name} dtype should be {dtype}, but got {t.dtype}")
    if any(want != -1 and got != want for got, want in zip(t.shape, shape)):
        raise ValueError(f"{name} shape should be {list(shape)}: but got {t.shape}")


@partial("implementation='cudnn' raises NotImplementedError (no cuDNN here); None and 'xla' work")
def dot_product_attention(query, key, value, bias=None, mask=None, *, scale=None, is_causal=False,
                          query_seq_lengths=None, key_value_seq_lengths=None, local_window_size=None,
                          implementation=None, return_residual=False):
    """softmax(Q K^T * scale + bias) V per head, over [B, T, N, H] / [B, S, K, H] (or unbatched
    [T, N, H] / [S, K, H]) arrays; K may divide N (grouped-query and multi-query attention)."""
    out_shape = jnp.shape(query)

    def as4d(t):
        t = asarray(t)
        return jnp.expand_dims(t, tuple(range(4 - t.ndim))) if t.ndim < 4 else t

    query, key, value = as4d(query), as4d(key), as4d(value)
    bias = None if bias is None else as4d(bias)
    mask = None if mask is None else as4d(mask)
    q_seqlen = None if query_seq_lengths is None else asarray(query_seq_lengths)
    kv_seqlen = None if key_value_seq_lengths is None else asarray(key_value_seq_lengths)
    if isinstance(local_window_size, int):
        local_window_size = (local_window_size, local_window_size)

    B, S, K, H = key.shape
    _check(value, [B, S, K, H], key.dtype, "value")
    _check(query, [B, -1, -1, H], key.dtype, "query")
    _check(mask, [-1] * 4, np.dtype(bool), "mask")
    _check(bias, [-1] * 4, None, "bias")
    _check(q_seqlen, [B], np.dtype(np.int32), "query_seq_lengths")
    _check(kv_seqlen, [B], np.dtype(np.int32), "key_value_seq_lengths")
    if query.shape[-2] % K != 0:
        raise ValueError(f"The number of query heads must be a multiple of key/value heads, but got "
                         f"{query.shape[-2]} vs {K}")
    scale = 1.0 / np.sqrt(H) if scale is None else scale
    if implementation == "cudnn":
        raise NotImplementedError("dot_product_attention(implementation='cudnn') needs an NVIDIA GPU with cuDNN, "
                                  "which jaxlite does not have; use implementation=None or 'xla'")
    if implementation not in (None, "xla"):
        raise ValueError(f"Unsupported implementation option: {implementation}")
    out = _attention_xla(query, key, value, bias, mask, is_causal, scale, q_seqlen, kv_seqlen,
                         local_window_size, return_residual)
    if return_residual:
        encoded, residual = out
        return jnp.reshape(encoded, out_shape), jnp.reshape(residual, out_shape[:-1])
    return jnp.reshape(out, out_shape)


@partial("computes the mathematical definition in the inputs' dtypes (float32 accumulation); JAX runs it "
         "only through cuDNN on Blackwell GPUs, with float8/float4 operands that jaxlite has no dtypes for")
def scaled_matmul(lhs, rhs, lhs_scales, rhs_scales, preferred_element_type=np.float32):
    """Block-scaled lhs [B, M, K] times rhs [B, N, K] -> [B, M, N]: each run of K // K_s entries of
    an operand shares one scale."""
    a, b, sa, sb = (asarray(t) for t in (lhs, rhs, lhs_scales, rhs_scales))
    if not all(t.ndim == 3 for t in (a, b, sa, sb)):
        raise ValueError("scaled_matmul requires all inputs to be 3-dimensional arrays")
    if a.shape[2] != b.shape[2] or a.shape[0] != b.shape[0]:
        raise ValueError("scaled_matmul requires inputs a and b to have matching batch (B) and contract (K) "
                         f"dimensions, but got shapes {a.shape} and {b.shape}")
    if sa.shape[2] != sb.shape[2] or sa.shape[0] != sb.shape[0]:
        raise ValueError("scaled_matmul requires scales to have matching batch (B) and contract (K) dimensions, "
                         f"but got shapes {sa.shape} and {sb.shape}")
    if sa.shape[1] != a.shape[1] or sb.shape[1] != b.shape[1]:
        raise ValueError("scaled_matmul requires scales to match non-contract dimensions of inputs, but got "
                         f"shapes a: {a.shape}, b: {b.shape}, a_scales: {sa.shape}, b_scales: {sb.shape}")
    out_dtype = dtypes.check_user_dtype(preferred_element_type)
    f32 = np.dtype(np.float32)
    a = a.astype(f32) * jnp.repeat(sa.astype(f32), a.shape[2] // sa.shape[2], axis=-1)
    b = b.astype(f32) * jnp.repeat(sb.astype(f32), b.shape[2] // sb.shape[2], axis=-1)
    return dot_general(a, b, (((2,), (2,)), ((0,), (0,)))).astype(out_dtype)


@partial("without `configs` it is lax.dot_general, as in JAX; with `configs` (float8/float4 block "
         "quantisation) it raises NotImplementedError: jaxlite has no float8/float4 dtypes")
def scaled_dot_general(lhs, rhs, dimension_numbers, preferred_element_type=np.float32, configs=None,
                       implementation=None):
    """lax.dot_general for block-scaled (quantized) operands; without `configs` it is a plain dot_general.

    Differs from JAX: `configs` (float8/float4 block quantisation) raises NotImplementedError, as jaxlite
    has no float8/float4 arithmetic.
    """
    if configs is not None:
        raise NotImplementedError("jax.nn.scaled_dot_general with quantisation configs needs float8/float4 "
                                  "dtypes, which jaxlite does not have; pass configs=None for a dot_general")
    return dot_general(lhs, rhs, dimension_numbers, preferred_element_type=preferred_element_type)


get_scaled_dot_general_config = not_applicable(
    "jax.nn.get_scaled_dot_general_config",
    "its block-scale configs name float8/float4 dtypes (mxfp8, nvfp4) that jaxlite does not have")
