"""Serving totals: activations of a forward pass, the total with margin, the per-GPU need.

>>> from vramlab import formulas as F
>>> F.total_memory()
Eq(M_total, (m + 1)*(M_KV + M_act + M_fw + M_w))
"""

from __future__ import annotations

from typing import Any

from . import _eq, _over, _prod, _s, _sum

__all__ = ["activation_memory", "total_memory", "per_gpu_memory", "estimate_values"]


def activation_memory(moe: bool = False):
    """Transient activations of one forward pass (:func:`vramlab.activation_bytes`).

    ``M_act = T_pass (2 h + max(3 d_ff, (2 H_q + 2 H_kv) d_head)) b_act + 4 S V``: per token
    the residual stream and its normed copy, plus the larger of the MLP buffers (gate, up,
    activated) and the attention buffers (Q, K, V, output), in the compute dtype; plus fp32
    logits for each of the ``S`` sequences sampled. ``moe=True``: the MLP term is that of
    the ``k`` experts a token passes through, ``3 k d_moe``.

    >>> import vramlab as vl
    >>> from vramlab.formulas import evaluate
    >>> evaluate(activation_memory(), "Qwen/Qwen3-8B", T_pass=2048, S=1) == vl.activation_bytes("Qwen/Qwen3-8B", 2048, 1)
    True
    """
    import sympy as sp

    T, h, dff, Hq, Hkv, d, b, S, V = _s("T_pass", "h", "d_ff", "H_q", "H_kv", "d_head", "b_act", "S", "V")
    mlp = _prod(3, *_s("k", "d_moe")) if moe else _prod(3, dff)
    attn = _prod(_sum(_prod(2, Hq), _prod(2, Hkv)), d)
    return _eq("M_act", _sum(_prod(T, _sum(_prod(2, h), sp.Max(mlp, attn)), b), _prod(4, S, V)))


def total_memory():
    """Total with overhead and margin: ``M_total = (M_w + M_KV + M_act + M_fw)(1 + m)``.

    Evaluate with ``rounding="nearest"``: :func:`vramlab.estimate` rounds the margin to
    the nearest byte.

    >>> from vramlab.formulas import evaluate
    >>> evaluate(total_memory(), M_w=16, M_KV=4, M_act=0, M_fw=0, m=0.1, rounding="nearest")
    22
    """
    Mw, Mkv, Ma, Mf, m = _s("M_w", "M_KV", "M_act", "M_fw", "m")
    return _eq("M_total", _prod(_sum(Mw, Mkv, Ma, Mf), _sum(1, m)))


def per_gpu_memory():
    """Bytes one GPU needs when a model is split over ``t`` GPUs (tensor parallelism).

    ``M_gpu = (ceil(M_w / t) + ceil(M_KV max(1, floor(H_kv / t)) / H_kv) + M_act + M_fw + M_comm)(1 + m)``:
    the weights split evenly, each GPU caches ``max(1, floor(H_kv / t))`` of the ``H_kv``
    KV heads (MLA: pass ``H_kv = 1``, its one latent is replicated), activations and framework are
    per GPU, ``M_comm = 0`` when ``t = 1``. Evaluate with ``rounding="nearest"`` (the
    margin is rounded to the nearest byte).

    >>> from fractions import Fraction
    >>> from vramlab.formulas import evaluate
    >>> evaluate(per_gpu_memory(), M_w=16, t=2, M_KV=8, H_kv=8, M_act=0, M_fw=1, M_comm=1, m=Fraction(1, 10),
    ...          rounding=None)
    Fraction(77, 5)
    """
    import sympy as sp

    Mw, t, Mkv, Hkv, Ma, Mf, Mc, m = _s("M_w", "t", "M_KV", "H_kv", "M_act", "M_fw", "M_comm", "m")
    w = sp.ceiling(_over(Mw, t))
    kv = sp.ceiling(_over(_prod(Mkv, sp.Max(1, sp.floor(_over(Hkv, t)))), Hkv))
    return _eq("M_gpu", _prod(_sum(w, kv, Ma, Mf, Mc), _sum(1, m)))


def estimate_values(e: Any) -> dict[str, Any]:
    """The values of an :class:`~vramlab.Estimate` by symbol name: ``M_w``, ``M_KV``,
    ``M_act``, ``M_fw`` and ``m`` (for :func:`total_memory` and :func:`per_gpu_memory`).

    >>> import vramlab as vl
    >>> from vramlab.formulas import evaluate
    >>> e = vl.estimate("Qwen/Qwen3-8B", tokens=4096)
    >>> evaluate(total_memory(), **estimate_values(e), rounding="nearest") == e.total
    True
    """
    return {"M_w": e.weights, "M_KV": e.kv_cache, "M_act": e.activations, "M_fw": e.framework,
            "m": e.margin_fraction}
