"""The KV cache: e_kv, KV_token, T_cached, M_KV.

>>> from vramlab import formulas as F
>>> F.sliding_window_cap()
Eq(T_cached, Min(T, W))
"""

from __future__ import annotations

from typing import Any

from . import _eq, _factors, _over, _prod, _s, _sum

__all__ = [
    "kv_elements_per_layer", "kv_bytes_per_token", "sliding_window_cap", "kv_cache_bytes",
    "kv_bytes_per_token_for", "kv_cache_bytes_for",
]


def kv_elements_per_layer(mla: bool = False):
    """Values one token adds to one layer's cache: ``e_kv = 2 H_kv d_head`` (a K and a V
    vector per KV head), or for MLA ``e_kv = d_c + d_R`` (one latent shared by K and V plus
    the decoupled RoPE key: no factor 2).

    >>> kv_elements_per_layer(mla=True)
    Eq(e_kv, d_R + d_c)
    """
    if mla:
        dc, dr = _s("d_c", "d_R")
        return _eq("e_kv", _sum(dc, dr))
    Hkv, d = _s("H_kv", "d_head")
    return _eq("e_kv", _prod(2, Hkv, d))


def kv_bytes_per_token(mla: bool = False):
    """Bytes of KV cache per token over all layers.

    MHA, GQA and MQA are one formula, ``KV_token = 2 L H_kv d_head b_kv / 8``, with
    ``H_kv = H_q`` (MHA), ``1 < H_kv < H_q`` (GQA) or ``H_kv = 1`` (MQA).
    MLA: ``KV_token = (d_c + d_R) L b_kv / 8``.

    >>> import vramlab as vl
    >>> from vramlab.formulas import evaluate
    >>> evaluate(kv_bytes_per_token(mla=True), vl.load_model("deepseek-ai/DeepSeek-V2"), kv_dtype="bf16")
    69120
    """
    L, b = _s("L", "b_kv")
    if mla:
        dc, dr = _s("d_c", "d_R")
        return _eq("KV_token", _over(_prod(_sum(dc, dr), L, b), 8))
    Hkv, d = _s("H_kv", "d_head")
    return _eq("KV_token", _over(_prod(2, L, Hkv, d, b), 8))


def sliding_window_cap():
    """Positions a sliding-window layer keeps: ``T_cached = min(T, W)``.

    >>> from vramlab.formulas import evaluate
    >>> evaluate(sliding_window_cap(), T=32768, W=4096)
    4096
    """
    import sympy as sp

    T, W = _s("T", "W")
    return _eq("T_cached", sp.Min(T, W))


def kv_cache_bytes(mla: bool = False, sliding: bool = True):
    """Bytes of KV cache for ``N`` sequences of ``T`` tokens.

    ``M_KV = N (L_full T + L_swa min(T, W)) e_kv b_kv / 8`` with ``e_kv`` from
    :func:`kv_elements_per_layer`. ``sliding=False`` gives the simpler form for models
    whose layers all attend to the full context: ``M_KV = N T KV_token``, written out.

    >>> import vramlab as vl
    >>> from vramlab.formulas import evaluate
    >>> g = vl.load_model("google/gemma-2-9b")
    >>> evaluate(kv_cache_bytes(), g, kv_dtype="bf16", T=32768, N=1) == vl.kv_cache_bytes(g, 32768, 1, "bf16")
    True
    """
    import sympy as sp

    N, T, W, Lf, Ls, b = _s("N", "T", "W", "L_full", "L_swa", "b_kv")
    e = kv_elements_per_layer(mla).rhs
    if not sliding:
        per_token = kv_bytes_per_token(mla).rhs.args[0]  # the numerator: 2 L H_kv d_head b_kv
        return _eq("M_KV", _over(_prod(N, T, *_factors(per_token)), 8))
    positions = _sum(_prod(Lf, T), _prod(Ls, sp.Min(T, W)))
    return _eq("M_KV", _over(_prod(N, positions, *_factors(e), b), 8))


def kv_bytes_per_token_for(model: Any):
    """:func:`kv_bytes_per_token` in the variant that fits ``model`` (MLA or not).

    >>> import vramlab as vl
    >>> from vramlab.formulas import symbol
    >>> kv_bytes_per_token_for(vl.load_model("deepseek-ai/DeepSeek-V3")).rhs.has(symbol("d_c"))
    True
    """
    from ..presets import load_model

    return kv_bytes_per_token(mla=load_model(model).attention_kind == "MLA")


def kv_cache_bytes_for(model: Any):
    """:func:`kv_cache_bytes` in the variant that fits ``model`` (MLA, sliding layers).

    >>> import vramlab as vl
    >>> from vramlab.formulas import symbol
    >>> kv_cache_bytes_for(vl.load_model("Qwen/Qwen3-8B")).rhs.has(symbol("W"))
    False
    """
    from ..presets import load_model

    m = load_model(model)
    return kv_cache_bytes(mla=m.attention_kind == "MLA", sliding=m.num_sliding_layers > 0)
