"""The KV cache: e_kv, KV_token, T_cached, M_KV.

>>> from vramlab import formulas as F
>>> F.sliding_window_cap()
Eq(T_cached, Min(T, W))
"""

from __future__ import annotations

from typing import Any

from ..errors import VramlabError
from . import SYMBOLS, _eq, _factors, _over, _prod, _s, _sum

__all__ = [
    "kv_elements_per_layer", "kv_bytes_per_token", "sliding_window_cap", "kv_cache_bytes",
    "kv_bytes_per_token_for", "kv_cache_bytes_for", "state_bytes", "state_values",
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


def kv_bytes_per_token(mla: bool = False, stateful: bool = False, indexed: bool = False):
    """Bytes of KV cache per token over all layers.

    MHA, GQA and MQA are one formula, ``KV_token = 2 L H_kv d_head b_kv / 8``, with
    ``H_kv = H_q`` (MHA), ``1 < H_kv < H_q`` (GQA) or ``H_kv = 1`` (MQA).
    MLA: ``KV_token = (d_c + d_R) L b_kv / 8``. ``stateful=True`` (a hybrid whose other
    layers are linear attention or Mamba): only the ``L_att`` attention layers cache K/V.
    ``indexed=True`` (DeepSeek-V3.2's sparse attention) adds the indexer's key, ``d_idx`` values per
    token in each of the ``L_idx`` indexed layers: ``+ L_idx d_idx b_kv / 8``.

    >>> import vramlab as vl
    >>> from vramlab.formulas import evaluate
    >>> evaluate(kv_bytes_per_token(mla=True), vl.load_model("deepseek-ai/DeepSeek-V2"), kv_dtype="bf16")
    69120
    """
    L, b = _s("L_att" if stateful else "L", "b_kv")
    if mla:
        dc, dr = _s("d_c", "d_R")
        values = _prod(_sum(dc, dr), L)
    else:
        Hkv, d = _s("H_kv", "d_head")
        values = _prod(2, L, Hkv, d)
    if indexed:
        values = _sum(values, _prod(*_s("L_idx", "d_idx")))
    return _eq("KV_token", _over(_prod(values, b), 8))


def sliding_window_cap():
    """Positions a sliding-window layer keeps: ``T_cached = min(T, W)``.

    >>> from vramlab.formulas import evaluate
    >>> evaluate(sliding_window_cap(), T=32768, W=4096)
    4096
    """
    import sympy as sp

    T, W = _s("T", "W")
    return _eq("T_cached", sp.Min(T, W))


def kv_cache_bytes(mla: bool = False, sliding: bool = True, state: str | None = None, indexed: bool = False):
    """Bytes of KV cache for ``N`` sequences of ``T`` tokens.

    ``M_KV = N (L_full T + L_swa min(T, W)) e_kv b_kv / 8`` with ``e_kv`` from
    :func:`kv_elements_per_layer`. ``sliding=False`` gives the simpler form for models
    whose layers all attend to the full context: ``M_KV = N T KV_token``, written out.
    ``state="linear"`` or ``"mamba"`` adds the fixed state of those layers
    (:func:`state_bytes`), which does not grow with ``T``. ``L_swa`` counts sliding-window and
    chunked layers alike (both keep at most ``W`` positions). ``indexed=True`` adds DeepSeek-V3.2's
    indexer keys in its ``L_idx`` (full-attention) layers: ``+ N T L_idx d_idx b_kv / 8``.

    >>> import vramlab as vl
    >>> from vramlab.formulas import evaluate
    >>> g = vl.load_model("google/gemma-2-9b")
    >>> evaluate(kv_cache_bytes(), g, kv_dtype="bf16", T=32768, N=1) == vl.kv_cache_bytes(g, 32768, 1, "bf16")
    True
    """
    import sympy as sp

    N, T, W, Lf, Ls, b = _s("N", "T", "W", "L_full", "L_swa", "b_kv")
    if state not in (None, "linear", "mamba"):
        raise VramlabError(f"state must be None, 'linear' or 'mamba', got {state!r}", field="state")
    e = kv_elements_per_layer(mla).rhs
    if not sliding:
        per_token = kv_bytes_per_token(mla, stateful=state is not None).rhs.args[0]  # 2 L H_kv d_head b_kv
        kv = _over(_prod(N, T, *_factors(per_token)), 8)
    else:
        positions = _sum(_prod(Lf, T), _prod(Ls, sp.Min(T, W)))
        kv = _over(_prod(N, positions, *_factors(e), b), 8)
    if indexed:
        kv = _sum(kv, _over(_prod(N, T, *_s("L_idx", "d_idx"), b), 8))
    if state is None:
        return _eq("M_KV", kv)
    return _eq("M_KV", _sum(kv, state_bytes(mamba=state == "mamba").rhs))


def kv_bytes_per_token_for(model: Any):
    """:func:`kv_bytes_per_token` in the variant that fits ``model`` (MLA or not).

    >>> import vramlab as vl
    >>> from vramlab.formulas import symbol
    >>> kv_bytes_per_token_for(vl.load_model("deepseek-ai/DeepSeek-V3")).rhs.has(symbol("d_c"))
    True
    """
    from ..presets import load_model

    m = load_model(model)
    return kv_bytes_per_token(mla=m.attention_kind == "MLA", stateful=m.num_attention_layers != m.num_layers,
                              indexed=any(la.index_keys for la in m.layers))


def kv_cache_bytes_for(model: Any):
    """:func:`kv_cache_bytes` in the variant that fits ``model`` (MLA, sliding layers).

    >>> import vramlab as vl
    >>> from vramlab.formulas import symbol
    >>> kv_cache_bytes_for(vl.load_model("Qwen/Qwen3-8B")).rhs.has(symbol("W"))
    False
    """
    from ..presets import load_model

    m = load_model(model)
    kinds = {la.kind for la in m.layers if la.conv_state or la.recurrent_state}
    state = None if not kinds else "mamba" if kinds == {"mamba"} else "linear"  # others: state_values refuses
    windowed = any(la.kind in ("sliding", "chunked") for la in m.layers)
    return kv_cache_bytes(mla=m.attention_kind == "MLA", sliding=windowed, state=state,
                          indexed=any(la.index_keys for la in m.layers))


# -- the fixed state of linear-attention and Mamba layers (registered here, beside the formula that uses them)
SYMBOLS.update({
    "L_lin": "linear-attention layers (Gated DeltaNet, Kimi Delta Attention)",
    "L_ssm": "Mamba (selective state-space) layers",
    "d_inner": "inner width of a Mamba mixer (mamba_expand x hidden_size)",
    "d_state": "SSM state values per inner channel of a Mamba mixer (mamba_d_state)",
    "H_lk": "key heads of a linear-attention layer (linear_num_key_heads)",
    "H_lv": "value heads of a linear-attention layer (linear_num_value_heads)",
    "d_lk": "key dimension of one linear-attention head (linear_key_head_dim)",
    "d_lv": "value dimension of one linear-attention head (linear_value_head_dim)",
    "K_conv": "positions the causal conv keeps per channel (linear_conv_kernel_dim, mamba_d_conv)",
    "b_conv": "bits per value of the conv state (the compute dtype in transformers)",
    "b_rec": "bits per value of the recurrent state (fp32 in transformers)",
    "M_state": "bytes of the fixed per-sequence state of the linear-attention or Mamba layers (whole model)",
})


def state_bytes(mamba: bool = False):
    """Bytes of the fixed state of ``N`` sequences in the linear-attention (Gated DeltaNet) layers.

    ``M_state = N L_lin ((2 H_lk d_lk + H_lv d_lv) K_conv b_conv + H_lv d_lk d_lv b_rec) / 8``: per
    layer, the causal conv keeps the last ``K_conv`` inputs of its q, k and v channels, and each
    value head keeps one ``d_lk x d_lv`` matrix (the recurrent state). ``mamba=True``: Mamba-1
    layers (Jamba), ``M_state = N L_ssm (d_inner K_conv b_conv + d_inner d_state b_rec) / 8``: the
    conv over the ``d_inner`` channels and a ``d_state`` vector per channel. No ``T``: the state
    does not grow with the context. Values from :func:`state_values`.

    >>> import vramlab as vl
    >>> from vramlab.formulas import evaluate
    >>> m = vl.load_model("Qwen/Qwen3-Next-80B-A3B-Instruct")
    >>> evaluate(state_bytes(), **state_values(m), N=1) == sum(vl.memory.state_bytes_per_sequence(m).values())
    True
    """
    if mamba:
        N, L, di, ds, K, bc, br = _s("N", "L_ssm", "d_inner", "d_state", "K_conv", "b_conv", "b_rec")
        return _eq("M_state", _over(_prod(N, L, _sum(_prod(di, K, bc), _prod(di, ds, br))), 8))
    N, L, Hk, Hv, dk, dv, K, bc, br = _s("N", "L_lin", "H_lk", "H_lv", "d_lk", "d_lv", "K_conv", "b_conv", "b_rec")
    conv = _prod(_sum(_prod(2, Hk, dk), _prod(Hv, dv)), K, bc)
    return _eq("M_state", _over(_prod(N, L, _sum(conv, _prod(Hv, dk, dv, br))), 8))


def state_values(model: Any, state_dtype: Any = "auto") -> dict[str, Any]:
    """The values of :func:`state_bytes`'s model symbols, by name (all 0 without linear-attention layers).

    A model whose state layers are Mamba-1 gets the values of ``state_bytes(mamba=True)``; other
    state layers (Mamba-2, attention with a parallel SSM, one model mixing kinds) are refused, and so
    is a layer whose state the formula's per-layer values would not give. ``state_dtype`` as in
    :func:`vramlab.memory.state_bytes_per_sequence`: ``"auto"`` keeps the conv state in the compute
    dtype and the recurrent state in fp32, as transformers does.

    >>> v = state_values("Qwen/Qwen3-Next-80B-A3B-Instruct")
    >>> v["L_lin"], v["H_lv"], v["d_lk"], v["b_conv"], v["b_rec"]
    (36, 32, 128, 16, 32)
    """
    from ..dtypes import get_dtype
    from ..memory import compute_dtype, resolve_kv_dtype
    from ..presets import load_model

    m = load_model(model)
    kinds = {la.kind for la in m.layers if la.conv_state or la.recurrent_state}
    if kinds not in (set(), {"linear"}, {"kda"}, {"mamba"}):
        raise VramlabError(f"model {m.name!r} keeps a state in {', '.join(sorted(kinds))} layers; state_bytes "
                           "describes models whose state layers are all Gated DeltaNet, all Kimi Delta Attention or "
                           "all Mamba-1", field="model")
    auto = state_dtype is None or state_dtype == "auto"
    conv = compute_dtype(m) if auto else resolve_kv_dtype(m, state_dtype)
    rec = get_dtype("fp32") if auto else conv
    bits = [int(d.bits) if d.bits == int(d.bits) else d.bits for d in (conv, rec)]
    n = sum(la.kind in kinds for la in m.layers)
    if kinds == {"mamba"}:
        from ..layers import mamba_dims

        d = mamba_dims(m.config, m.hidden_size)
        v = {"L_ssm": n, "d_inner": d["inner"], "d_state": d["state"], "K_conv": d["kernel"]}
        per_layer = (v["d_inner"] * v["K_conv"], v["d_inner"] * v["d_state"])
    else:  # Kimi Delta Attention: as many key as value heads, of one width
        keys = {"H_lk": "linear_num_key_heads", "H_lv": "linear_num_value_heads", "d_lk": "linear_key_head_dim",
                "d_lv": "linear_value_head_dim", "K_conv": "linear_conv_kernel_dim"}
        if kinds == {"kda"}:
            keys = {"H_lk": "linear_num_heads", "H_lv": "linear_num_heads", "d_lk": "linear_head_dim",
                    "d_lv": "linear_head_dim", "K_conv": "linear_conv_kernel_dim"}
        v = {"L_lin": n, **{k: (m.config[f] if n else 0) for k, f in keys.items()}}
        per_layer = ((2 * v["H_lk"] * v["d_lk"] + v["H_lv"] * v["d_lv"]) * v["K_conv"], v["H_lv"] * v["d_lk"] * v["d_lv"])
    if any((la.conv_state, la.recurrent_state) != per_layer for la in m.layers if la.kind in kinds):
        raise VramlabError(f"model {m.name!r}: the state of its {'/'.join(sorted(kinds))} layers is not the "
                           "formula's (layers of different sizes, or another mixer)", field="model")
    return {**v, "b_conv": bits[0], "b_rec": bits[1]}
