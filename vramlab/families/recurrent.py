"""Family table: Recurrent and other non-attention token mixers, and per-layer-embedding decoders.

Each entry was read from transformers 5.24 (configuration_<family>.py defaults, modeling_<family>.py
blocks); ``tests/test_coverage.py`` checks every family against the model built on the meta device.

Gemma-3n and Gemma-4 (transformers 5.24 modeling_gemma3n.py, modeling_gemma4.py, modeling_gemma4_unified.py)
feed each layer a slice of a second, per-layer token embedding (PLE), and the last ``num_kv_shared_layers``
layers read the K/V of the last earlier layer of their kind: they build no k/v projections and their cache
layer is transformers' ``DummyLayer`` (kind ``"none"`` here).

>>> from vramlab.families.recurrent import kv_sharing
>>> kv_sharing(["sliding_attention", "full_attention"] * 3, 2)
[False, False, False, False, True, True]
"""

from __future__ import annotations

from typing import Any, Mapping

from ..errors import VramlabError, show
from .family import Family

_fam = Family


def _int(cfg: Mapping[str, Any], key: str, default: Any = None, minimum: int = 0) -> int:
    """An integer config field (``default`` when absent or null), refused naming the field when invalid."""
    v = cfg.get(key)
    if v is None:
        v = default
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
        raise VramlabError(f"config field {key!r} must be an integer >= {minimum}, got {show(v)}", field=key)
    return v


def _types(cfg: Mapping[str, Any], n: int, every: int, last_full: bool = False) -> list[str]:
    """``layer_types`` (full/sliding), else full attention every ``every``-th layer (Gemma-3n: 5, Gemma-4: 6)."""
    types = cfg.get("layer_types")
    if types is None:
        types = ["full_attention" if (i + 1) % every == 0 else "sliding_attention" for i in range(n)]
    if not isinstance(types, (list, tuple)) or len(types) != n or any(
            t not in ("full_attention", "sliding_attention") for t in types):
        raise VramlabError(f"config field 'layer_types' must list {n} layers (num_hidden_layers), each "
                           f"'full_attention' or 'sliding_attention', got {show(types)}", field="layer_types")
    types = list(types)
    if last_full:  # Gemma-4: transformers forces the last layer to full attention
        types[-1] = "full_attention"
    return types


def kv_sharing(types: list[str], shared: int) -> list[bool]:
    """Which layers reuse another layer's K/V: the last ``shared`` ones (``kv_sharing_modes`` "reuse")."""
    n = len(types)
    if not 0 <= shared <= n:
        raise VramlabError(f"config field 'num_kv_shared_layers' must be between 0 and num_hidden_layers ({n}), "
                           f"got {shared}", field="num_kv_shared_layers")
    first = n - shared
    if 0 < first and set(types[:first]) != set(types):
        raise VramlabError("config field 'num_kv_shared_layers' leaves no earlier layer of each kind to share "
                           "its K/V (transformers refuses such a config)", field="num_kv_shared_layers")
    return [i >= first for i in range(n)]


def _window(cfg: Mapping[str, Any]) -> int:
    """The sliding window; Gemma-4 with ``use_bidirectional_attention`` "all" halves it (``w // 2 + 1``)."""
    w = _int(cfg, "sliding_window", minimum=1)
    return w // 2 + 1 if cfg.get("use_bidirectional_attention") == "all" else w


# -- Gemma-3n ------------------------------------------------------------------------------------
def _gemma3n_prepare(cfg: dict) -> None:
    """``intermediate_size`` may be a list, one width per layer: kept as ``intermediate_sizes``."""
    n = _int(cfg, "num_hidden_layers", minimum=1)
    widths = cfg.get("intermediate_size")
    if isinstance(widths, (list, tuple)):
        if len(widths) != n:
            raise VramlabError(f"config field 'intermediate_size' lists {len(widths)} widths for {n} layers "
                               "(num_hidden_layers)", field="intermediate_size")
        widths = [_int({"intermediate_size": w}, "intermediate_size", minimum=1) for w in widths]
        cfg["intermediate_sizes"] = widths
        cfg["intermediate_size"] = max(widths)


def _gemma3n_layers(cfg: Mapping[str, Any], n: int, mt: str) -> list[dict]:
    types = _types(cfg, n, 5)
    shared = kv_sharing(types, _int(cfg, "num_kv_shared_layers", 15))
    w = _window(cfg)
    return [{"kind": "none"} if s else ({"kind": "full"} if t == "full_attention" else {"kind": "sliding", "window": w})
            for t, s in zip(types, shared)]


def _gemma3n_params(m: Any, c: Any, std: Any) -> None:
    """transformers 5.24 modeling_gemma3n.py: Gemma3nTextModel and its decoder layers (AltUp, LAuReL, PLE)."""
    cfg, h, n = m.config, m.hidden_size, m.num_layers
    nq, nkv, hd = m.num_q_heads, m.num_kv_heads, m.head_dim
    hp, vp = _int(cfg, "hidden_size_per_layer_input", 256), _int(cfg, "vocab_size_per_layer_input", 262144)
    alt, rank = _int(cfg, "altup_num_inputs", 4, 1), _int(cfg, "laurel_rank", 64)
    widths = cfg.get("intermediate_sizes") or [m.intermediate_size] * n
    shared = kv_sharing(_types(cfg, n, 5), _int(cfg, "num_kv_shared_layers", 15))
    std.embeddings(m, c)
    c["embeddings"] += vp * n * hp  # embed_tokens_per_layer
    own = n - sum(shared)  # layers with k/v projections and a k_norm
    c["attention"] += n * 2 * h * nq * hd + own * 2 * h * nkv * hd
    if cfg.get("attention_bias"):
        c["biases"] += n * (nq * hd + h) + own * 2 * nkv * hd
    c["norms"] += (n + own) * hd  # q_norm, k_norm (v_norm has no weight)
    c["mlp"] += sum(3 * h * w for w in widths)
    # per_layer_model_projection, altup (un)embed projections; per layer: PLE gate and projection,
    # AltUp coefficients and router, LAuReL's low-rank pair
    c["attention"] += h * n * hp + 2 * (alt - 1) * h * h
    c["attention"] += n * (2 * h * hp + alt * alt + alt ** 3 + h * alt + 2 * h * rank)
    # per layer: 4 block norms, post_per_layer_input_norm, AltUp router_norm and correct_output_scale, LAuReL
    # norm; the final norm and per_layer_projection_norm
    c["norms"] += n * 8 * h + h + hp


# -- Gemma-4 -------------------------------------------------------------------------------------
def _gemma4_widths(cfg: Mapping[str, Any], types: list[str]) -> list[tuple[int, int]]:
    """(head_dim, KV heads) per layer: ``per_layer_config`` overrides, else full-attention layers take
    ``global_head_dim`` (512 by default) and, with ``attention_k_eq_v``, ``num_global_key_value_heads``
    (transformers 5.24 configuration_gemma4.py ``__post_init__``)."""
    hd, nkv = _int(cfg, "head_dim", minimum=1), _int(cfg, "num_key_value_heads", cfg.get("num_attention_heads"), 1)
    per = cfg.get("per_layer_config")
    if per is None:
        g_hd = _int(cfg, "global_head_dim", 512, 1)
        g_kv = cfg.get("num_global_key_value_heads") if cfg.get("attention_k_eq_v") else None
        g_kv = nkv if g_kv is None else _int(cfg, "num_global_key_value_heads", minimum=1)
        return [(g_hd, g_kv) if t == "full_attention" else (hd, nkv) for t in types]
    if not isinstance(per, Mapping):
        raise VramlabError(f"config field 'per_layer_config' must be an object of layer overrides, got {show(per)}",
                           field="per_layer_config")
    out = [(hd, nkv)] * len(types)
    for key, over in per.items():
        i = int(key) if isinstance(key, int) or (isinstance(key, str) and key.isdigit()) else -1
        if not 0 <= i < len(types) or not isinstance(over, Mapping) or set(over) - {"head_dim", "num_key_value_heads"}:
            raise VramlabError(f"config field 'per_layer_config' entry {show(key)}: {show(over)} is not a layer "
                               "index with head_dim / num_key_value_heads overrides", field="per_layer_config")
        out[i] = (_int(over, "head_dim", hd, 1), _int(over, "num_key_value_heads", nkv, 1))
    return out


def _gemma4_layers(cfg: Mapping[str, Any], n: int, mt: str) -> list[dict]:
    types = _types(cfg, n, 6, last_full=True)
    shared = kv_sharing(types, _int(cfg, "num_kv_shared_layers", 0))
    w = _window(cfg)
    return [{"kind": "none"} if s else ({"kind": "full"} if t == "full_attention" else {"kind": "sliding", "window": w})
            for t, s in zip(types, shared)]


def _gemma4_params(m: Any, c: Any, std: Any) -> None:
    """transformers 5.24 modeling_gemma4.py (Gemma4TextModel) and modeling_gemma4_unified.py (no PLE, no MoE)."""
    cfg, h, n, nq = m.config, m.hidden_size, m.num_layers, m.num_q_heads
    types = _types(cfg, n, 6, last_full=True)
    shared = kv_sharing(types, _int(cfg, "num_kv_shared_layers", 0))
    k_eq_v, bias = bool(cfg.get("attention_k_eq_v")), bool(cfg.get("attention_bias"))
    std.embeddings(m, c)
    for t, s, (hd, nkv) in zip(types, shared, _gemma4_widths(cfg, types)):
        c["attention"] += 2 * h * nq * hd  # q_proj, o_proj
        c["norms"] += hd  # q_norm
        c["biases"] += bias * (nq * hd + h)
        if not s:  # k_proj, k_norm and (unless K is V on a full layer) v_proj
            kv = 1 + (not (k_eq_v and t == "full_attention"))
            c["attention"] += kv * h * nkv * hd
            c["norms"] += hd
            c["biases"] += bias * kv * nkv * hd
        wide = 2 if s and cfg.get("use_double_wide_mlp") else 1
        c["mlp"] += 3 * h * m.intermediate_size * wide
    c["norms"] += (4 * n + 1) * h
    if m.model_type == "gemma4_unified_text":  # its decoder layers have neither PLE nor a MoE block
        return
    hp = _int(cfg, "hidden_size_per_layer_input", 0)
    if hp:  # per-layer embeddings: table, model projection and its norm; per layer a gate, a projection, a norm
        c["embeddings"] += _int(cfg, "vocab_size_per_layer_input", 262144) * n * hp
        c["attention"] += h * n * hp + n * 2 * h * hp
        c["norms"] += hp + n * h
    if cfg.get("enable_moe_block"):  # beside the MLP: router (proj, scale, per-expert scale), experts, 3 norms
        e, w = _int(cfg, "num_experts", minimum=1), _int(cfg, "moe_intermediate_size", minimum=1)
        c["router"] += n * (h * e + h + e)
        c["experts"] += n * e * 3 * h * w
        c["norms"] += n * 3 * h


_GEMMA4_CACHE = ("per-layer K/V widths: full-attention layers cache global_head_dim-wide keys of "
                 "num_global_key_value_heads heads (keys only with attention_k_eq_v), sliding layers head_dim-wide "
                 "keys and values; vramlab's cache formula takes one width for every layer")
_GEMMA = {"tie_word_embeddings": True, "attention_bias": False, "head_dim": 256}


def _with_defaults(own: Mapping[str, Any], then: Any = None) -> Any:
    """A ``prepare`` hook: the config class's defaults of fields outside ``vramlab.fields.FIELDS``, then ``then``."""
    def prepare(cfg: dict) -> None:
        for k, v in own.items():
            if cfg.get(k) is None:
                cfg[k] = v
        if then is not None:
            then(cfg)
    return prepare


# transformers 5.24 configuration_gemma3n.py, configuration_gemma4.py, configuration_gemma4_unified.py
_G3N = {"vocab_size_per_layer_input": 262144, "hidden_size_per_layer_input": 256, "altup_num_inputs": 4,
        "num_kv_shared_layers": 15, "laurel_rank": 64}
_G4 = {"attention_k_eq_v": False, "num_kv_shared_layers": 0, "use_double_wide_mlp": False}
FAMILIES: dict[str, Family] = {f.model_type: f for f in [
    _fam("gemma3n_text", prepare=_with_defaults(_G3N, _gemma3n_prepare), param_rule=_gemma3n_params,
         layer_rule=_gemma3n_layers, norms_per_layer=4, qk_norm=True, defaults={
             **_GEMMA, "vocab_size": 262400, "sliding_window": 512, "max_position_embeddings": 32768}),
    _fam("gemma4_text", prepare=_with_defaults({**_G4, "vocab_size_per_layer_input": 262144,
                                                "hidden_size_per_layer_input": 256, "enable_moe_block": False}),
         param_rule=_gemma4_params, layer_rule=_gemma4_layers, norms_per_layer=4, qk_norm=True,
         cache_refusal=_GEMMA4_CACHE, defaults={
             **_GEMMA, "vocab_size": 262144, "sliding_window": 512, "max_position_embeddings": 131072}),
    _fam("gemma4_unified_text", prepare=_with_defaults({**_G4, "use_bidirectional_attention": "vision"}),
         param_rule=_gemma4_params, layer_rule=_gemma4_layers, norms_per_layer=4, qk_norm=True,
         cache_refusal=_GEMMA4_CACHE, defaults={
             **_GEMMA, "vocab_size": 262144, "sliding_window": 1024, "max_position_embeddings": 262144}),
]}

#: model_type spellings that name a family of this table.
ALIASES: dict[str, str] = {"gemma3n": "gemma3n_text", "gemma4": "gemma4_text", "gemma4_unified": "gemma4_unified_text"}

#: model_types of this group vramlab refuses, with what it does not know about their blocks.
UNMODELLED: dict[str, str] = {}
