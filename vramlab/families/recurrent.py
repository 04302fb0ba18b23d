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
from .family import Family, config_int

_fam = Family


def _int(cfg: Mapping[str, Any], key: str, default: Any = None, minimum: int = 0) -> int:
    """An integer config field (``default`` when absent or null), refused naming the field when invalid."""
    return config_int(cfg, key, default, minimum)


def _check_types(cfg: Mapping[str, Any], key: str, n: int, valid: tuple[str, ...]) -> list[str]:
    types = cfg.get(key)
    if not isinstance(types, (list, tuple)) or len(types) != n or any(t not in valid for t in types):
        raise VramlabError(f"config field {key!r} must list {n} layers (num_hidden_layers), each one of "
                           f"{', '.join(valid)}, got {show(types)}", field=key)
    return list(types)


def _types(cfg: Mapping[str, Any], n: int, every: int, last_full: bool = False) -> list[str]:
    """``layer_types`` (full/sliding), else full attention every ``every``-th layer (Gemma-3n: 5, Gemma-4: 6)."""
    types = cfg.get("layer_types") or ["full_attention" if (i + 1) % every == 0 else "sliding_attention"
                                       for i in range(n)]
    types = _check_types({"layer_types": types}, "layer_types", n, ("full_attention", "sliding_attention"))
    if last_full:  # Gemma-4: transformers forces the last layer to full attention
        types[-1] = "full_attention"
    return types


def _listed(sliding: str) -> Any:
    """A layer rule for families whose ``prepare`` left ``layer_types``: ``sliding`` entries slide, others are full."""
    def rule(cfg: Mapping[str, Any], n: int, mt: str) -> list[dict]:
        w = _int(cfg, "sliding_window", minimum=1) if sliding in cfg["layer_types"] else None
        return [{"kind": "sliding", "window": w} if t == sliding else {"kind": "full"} for t in cfg["layer_types"]]
    return rule


def _gemma_layers(every: int, last_full: bool, shared_default: int) -> Any:
    """Gemma-3n / Gemma-4 layers: full or sliding, and the KV-shared ones caching nothing (``DummyLayer``)."""
    def rule(cfg: Mapping[str, Any], n: int, mt: str) -> list[dict]:
        types = _types(cfg, n, every, last_full)
        shared, w = kv_sharing(types, _int(cfg, "num_kv_shared_layers", shared_default)), _window(cfg)
        return [{"kind": "none"} if s else {"kind": "full"} if t == "full_attention" else
                {"kind": "sliding", "window": w} for t, s in zip(types, shared)]
    return rule


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
        cfg["intermediate_sizes"] = [_int({"intermediate_size": w}, "intermediate_size", minimum=1) for w in widths]
        cfg["intermediate_size"] = max(cfg["intermediate_sizes"])


def _gemma3n_params(m: Any, c: Any, std: Any) -> None:
    """transformers 5.24 modeling_gemma3n.py: Gemma3nTextModel and its decoder layers (AltUp, LAuReL, PLE)."""
    cfg, h, n, nq, nkv, hd = m.config, m.hidden_size, m.num_layers, m.num_q_heads, m.num_kv_heads, m.head_dim
    hp, vp = _int(cfg, "hidden_size_per_layer_input", 256), _int(cfg, "vocab_size_per_layer_input", 262144)
    alt, rank = _int(cfg, "altup_num_inputs", 4, 1), _int(cfg, "laurel_rank", 64)
    widths = cfg.get("intermediate_sizes") or [m.intermediate_size] * n
    shared = kv_sharing(_types(cfg, n, 5), _int(cfg, "num_kv_shared_layers", 15))
    std.embeddings(m, c)
    c["embeddings"] += vp * n * hp  # embed_tokens_per_layer
    own = n - sum(shared)  # layers with k/v projections and a k_norm
    c["attention"] += n * 2 * h * nq * hd + own * 2 * h * nkv * hd
    c["biases"] += (n * (nq * hd + h) + own * 2 * nkv * hd) * bool(cfg.get("attention_bias"))
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


# -- Inkling (Thinking Machines) ------------------------------------------------------------------------
def _inkling_prepare(cfg: dict) -> None:
    """transformers 5.24 configuration_inkling.py: attribute_map names, ``layer_types`` and ``mlp_layer_types``
    derived as ``__post_init__`` does, and the MoE layers read into the ``moe_layers`` list."""
    _alias(cfg)
    if cfg.get("dense_intermediate_size") is not None:  # then intermediate_size is the experts' width
        cfg["moe_intermediate_size"] = cfg["intermediate_size"]
        cfg["intermediate_size"] = cfg.pop("dense_intermediate_size")
    n = _int(cfg, "num_hidden_layers", minimum=1)
    if cfg.get("layer_types") is None:
        local = cfg.get("local_layer_ids")
        local = set(local) if isinstance(local, (list, tuple)) else {i for i in range(n) if (i + 1) % 6}
        cfg["layer_types"] = ["hybrid_sliding" if i in local else "hybrid" for i in range(n)]
    if cfg.get("mlp_layer_types") is None:
        dense = _int(cfg, "dense_mlp_idx", 0)
        cfg["mlp_layer_types"] = ["dense" if i < dense else "sparse" for i in range(n)]
    _check_types(cfg, "layer_types", n, ("hybrid", "hybrid_sliding"))
    cfg["moe_layers"] = [i for i, t in enumerate(_check_types(cfg, "mlp_layer_types", n, ("dense", "sparse")))
                         if t == "sparse"]


def _alias(cfg: dict, extra: tuple = ()) -> None:
    """Inkling's attribute_map: an alias (``sliding_window``, ``sconv_kernel_size``, ...) wins over its field."""
    for key, alias in (("sliding_window_size", "sliding_window"), ("n_routed_experts", "num_local_experts"),
                       ("max_position_embeddings", "model_max_length"), ("conv_kernel_size", "sconv_kernel_size"),
                       *extra):
        cfg[key] = cfg[alias] if cfg.get(alias) is not None else cfg.get(key)
        cfg[alias] = cfg[key]
    cfg["conv_kernel_size"] = cfg["conv_kernel_size"] or 4


def _inkling_params(m: Any, c: Any, std: Any) -> None:
    """transformers 5.24 modeling_inkling.py: normed embeddings, an untied head, per layer an attention with a
    relative-position bias bank and short convolutions over K and V (sliding layers: the swa_* heads), short
    convolutions after the attention and the MLP, a dense MLP or a MoE with shared experts."""
    cfg, h = m.config, m.hidden_size
    kernel, d_rel = _int(cfg, "conv_kernel_size", 4, 1), _int(cfg, "d_rel", 16, 1)
    c["embeddings"] += m.vocab_size * h
    c["lm_head"] += m.vocab_size * h  # never tied (InklingForCausalLM._tied_weights_keys is empty)
    c["norms"] += 2 * h  # embed_norm, final norm
    e, s, w = m.num_experts, _int(cfg, "n_shared_experts", 2, 1), _int(cfg, "moe_intermediate_size", minimum=1)
    for t, mlp in zip(cfg["layer_types"], cfg["mlp_layer_types"]):
        if t == "hybrid_sliding":
            nq, nkv, hd = (_int(cfg, k, minimum=1) for k in ("swa_num_attention_heads", "swa_num_key_value_heads",
                                                              "swa_head_dim"))
            extent = _int(cfg, "sliding_window", minimum=1)
        else:
            nq, nkv, hd, extent = m.num_q_heads, m.num_kv_heads, m.head_dim, _int(cfg, "rel_extent", 1024, 1)
        c["attention"] += 2 * h * nq * hd + 2 * h * nkv * hd + h * nq * d_rel + 2 * nkv * hd * kernel
        c["attention"] += d_rel * extent + 2 * h * kernel  # the bias bank; attn_sconv, mlp_sconv
        c["norms"] += 2 * hd + 2 * h
        if mlp == "sparse":  # router over routed and shared experts, its global scale; shared experts
            c["router"] += (e + s) * h + 1
            c["experts"] += e * 3 * h * w
            c["shared_experts"] += s * 3 * h * w
        else:
            c["mlp"] += 3 * h * m.intermediate_size + 1  # and its global_scale


_INKLING_CACHE = ("per-layer K/V widths (sliding layers cache swa_num_key_value_heads x swa_head_dim, full layers "
                  "num_key_value_heads x head_dim) and four short-convolution states per layer")


def _inkling2_prepare(cfg: dict) -> None:
    """transformers 5.24 configuration_inkling2.py / configuration_inkling2_loop.py: attribute_map names
    (``intermediate_size`` is the experts' width), ``layer_types`` full every 6th layer, the loop fields."""
    _alias(cfg, (("moe_intermediate_size", "intermediate_size"),))
    loop = cfg.get("loop_config")
    if isinstance(loop, Mapping):  # Inkling-2-Loop checkpoints: core_start, core_end, gate_rank
        for theirs, ours in (("core_start", "loop_layer_index_start"), ("core_end", "loop_layer_index_end"),
                             ("gate_rank", "loop_gate_rank"), ("num_passes", "loop_num_passes")):
            if loop.get(theirs) is not None:
                cfg[ours] = loop[theirs]
    n = _int(cfg, "num_hidden_layers", minimum=1)
    if cfg.get("layer_types") is None:
        cfg["layer_types"] = ["hybrid" if (i + 1) % 6 == 0 else "hybrid_sliding" for i in range(n)]
    _check_types(cfg, "layer_types", n, ("hybrid", "hybrid_sliding"))


def _inkling2_params(m: Any, c: Any, std: Any) -> None:
    """transformers 5.24 modeling_inkling2.py (and modeling_inkling2_loop.py): normed embeddings, a head of
    ``unpadded_vocab_size`` rows, block attention residuals (one learned query per input, three before a full
    layer's q, k, v), gated output projections, sink logits, L2-clip scales, a relative-position bias bank; K/V
    short convolutions (full layers: dynamic taps); MoE experts and router in every layer. Loop layers add four
    message gates and the model one query per message and loop layer."""
    cfg, h = m.config, m.hidden_size
    kernel, d_rel = _int(cfg, "conv_kernel_size", 4, 1), _int(cfg, "d_rel", 16, 1)
    e, w = m.num_experts, _int(cfg, "moe_intermediate_size", minimum=1)
    c["embeddings"] += m.vocab_size * h
    c["lm_head"] += _int(cfg, "unpadded_vocab_size", minimum=1) * h  # never tied
    c["norms"] += 2 * h  # embed_norm, final norm
    c["attention"] += h  # final_input query
    looped = m.model_type == "inkling2_loop_text"
    if looped:
        start, end = _int(cfg, "loop_layer_index_start", 6), _int(cfg, "loop_layer_index_end", 18)
        rank = _int(cfg, "loop_gate_rank", 64, 1)
        c["attention"] += max(end - start, 0) * 4 * h  # message_input queries
    for i, t in enumerate(cfg["layer_types"]):
        full = t == "hybrid"
        if full:
            nq, nkv, hd, extent = m.num_q_heads, m.num_kv_heads, m.head_dim, _int(cfg, "rel_extent", 1024, 1)
        else:
            nq, nkv, hd = (_int(cfg, k, minimum=1) for k in ("swa_num_attention_heads", "swa_num_key_value_heads",
                                                              "swa_head_dim"))
            extent = _int(cfg, "sliding_window", minimum=1)
        c["attention"] += 3 * h * nq * hd + nq * hd + 2 * h * nkv * hd  # q, gate, o; q scale; k, v
        c["attention"] += nq * h + d_rel * extent + h * nq * d_rel + nq * d_rel  # sink, bias bank, rel states
        c["attention"] += 2 * (kernel * nkv * hd + h * nkv * kernel) if full else 2 * nkv * hd * kernel
        c["attention"] += 2 * h * kernel + h + (3 * h if full else h) * (i > 0)  # convolutions, residual queries
        c["norms"] += (4 if full else 2) * h
        c["experts"] += e * 3 * h * w
        c["router"] += e * h
        if looped and start <= i < end:
            c["attention"] += 4 * (2 * h * rank + 2 * rank * h)  # q, k, v, mlp message gates


_INKLING2_CACHE = ("per-layer K/V widths (swa_* heads on sliding layers), four short-convolution states per layer "
                   "(dynamic taps on full layers)")


# -- Dory: nGPT-style layers on the unit sphere, a middle section run n_recurrent_loops times ---------------------
def _dory_prepare(cfg: dict) -> None:
    """transformers 5.24 configuration_dory.py: released configs list an attention and an ``mlp`` block per layer
    (layer counts doubled); ``__post_init__`` halves them. Without ``layer_types``, full attention every 4th layer."""
    types = cfg.get("layer_types")
    if isinstance(types, (list, tuple)) and "mlp" in types:
        cfg["layer_types"] = list(types[::2])
        for key in ("num_hidden_layers", "n_input_layers", "n_output_layers", "n_recurrent_layers"):
            if cfg.get(key) is not None:
                cfg[key] = _int(cfg, key) // 2
    n = _int(cfg, "num_hidden_layers", minimum=1)
    if cfg.get("layer_types") is None:
        cfg["layer_types"] = ["full_attention" if (i + 1) % 4 == 0 else "sliding_attention" for i in range(n)]
    _check_types(cfg, "layer_types", n, ("full_attention", "sliding_attention"))


def _dory_params(m: Any, c: Any, std: Any) -> None:
    """transformers 5.24 modeling_dory.py: parameter-free L2 norms; per layer q, k, v, o and an output gate, the
    ``sqk`` and ``s_gate`` scales, the ``lambda_1``/``lambda_2`` rates, a gated MLP with ``suv_gate``/``suv_up``
    scales; an output head with a per-token ``logit_scale`` (kept when the weight is tied)."""
    cfg, h, n, i = m.config, m.hidden_size, m.num_layers, m.intermediate_size
    q, kv = m.num_q_heads * m.head_dim, m.num_kv_heads * m.head_dim
    std.embeddings(m, c)
    c["lm_head"] += m.vocab_size  # logit_scale
    c["attention"] += n * (3 * h * q + 2 * h * kv + 2 * q)
    c["mlp"] += n * (3 * h * i + 2 * i)
    c["norms"] += n * 2 * h  # lambda_1, lambda_2
    c["biases"] += n * ((q + 2 * kv + h) * bool(cfg.get("attention_bias")) + (2 * i + h) * bool(cfg.get("mlp_bias")))


# -- ZAYA (Zyphra): Compressed Convolutional Attention and a routed MLP with a skip expert --------------------
def _zaya_layers(cfg: Mapping[str, Any], n: int, mt: str) -> list[dict]:
    """Per layer K/V, the q/k convolution's input window (``cca_time0 - 1 + cca_time1 - 1`` positions of the
    q and k channels) and the previous token's delayed value half, kept in the model dtype (transformers 5.24
    modeling_zaya.py ``ZayaCCAProjection``)."""
    types = cfg.get("layer_types") or ["hybrid"] * n
    _check_types({"layer_types": types}, "layer_types", n, ("hybrid", "hybrid_sliding"))
    nq, hd = _int(cfg, "num_attention_heads", minimum=1), _int(cfg, "head_dim", minimum=1)
    nkv = _int(cfg, "num_key_value_heads", nq, 1)
    span = _int(cfg, "cca_time0", 2, 1) - 1 + _int(cfg, "cca_time1", 2, 1) - 1
    state = {"conv_state": (nq + nkv) * hd * span, "recurrent_state": nkv * hd // 2, "state_in_compute_dtype": True}
    if "hybrid_sliding" in types:
        w = _int(cfg, "sliding_window", minimum=1)
    return [{"kind": "sliding", "window": w, **state} if t == "hybrid_sliding" else {"kind": "full", **state}
            for t in types]


def _zaya_params(m: Any, c: Any, std: Any) -> None:
    """transformers 5.24 modeling_zaya.py: CCA (q, k, two value halves, depthwise and grouped convolutions with
    biases over the q and k channels, a temperature per KV head), a router (down projection, a scale from the
    second layer on, a normed two-layer MLP over experts + the skip class), experts, residual scalings."""
    cfg, h, n = m.config, m.hidden_size, m.num_layers
    q, kv, hd = m.num_q_heads * m.head_dim, m.num_kv_heads * m.head_dim, m.head_dim
    t0, t1, r = _int(cfg, "cca_time0", 2, 1), _int(cfg, "cca_time1", 2, 1), _int(cfg, "router_hidden_size", 256, 1)
    e, w = m.num_experts, _int(cfg, "moe_intermediate_size", minimum=1)
    std.embeddings(m, c)
    if cfg.get("lm_head_bias"):
        c["biases"] += m.vocab_size
    c["norms"] += 3 * h  # input_hidden_states scale and bias, final norm
    c["attention"] += n * (2 * h * q + 2 * h * kv + (q + kv) * (t0 + hd * t1) + m.num_kv_heads)
    c["biases"] += n * 2 * (q + kv) + n * (q + 2 * kv + h) * bool(cfg.get("attention_bias"))
    c["router"] += n * (h * r + r + r + 2 * (r * r + r) + (e + 1) * r) + (n - 1) * r
    c["experts"] += n * e * 3 * h * w
    c["norms"] += n * 10 * h  # two RMSNorms, two residual scalings of four vectors


def _lara_mini_prepare(cfg: dict) -> None:
    """transformers 5.24 configuration_lara_mini.py: without ``layer_types``, the released period of five
    (linear, sliding, linear, full, sliding)."""
    if cfg.get("layer_types") is None and cfg.get("num_hidden_layers") is not None:
        period = ["linear_attention", "sliding_attention", "linear_attention", "full_attention", "sliding_attention"]
        cfg["layer_types"] = [period[i % 5] for i in range(_int(cfg, "num_hidden_layers", minimum=1))]


# -- RecurrentGemma (Griffin): RG-LRU recurrent blocks and local attention, cycling through block_types ----------
def _rg_prepare(cfg: dict) -> None:
    """transformers 5.24 configuration_recurrent_gemma.py: head_dim is hidden / heads unless given (a head_dim
    kwarg is set after ``__post_init__``), lru_width defaults to hidden, ``attention_window_size`` is the window."""
    h, nq = _int(cfg, "hidden_size", minimum=1), _int(cfg, "num_attention_heads", minimum=1)
    cfg["head_dim"], cfg["lru_width"] = _int(cfg, "head_dim", h // nq, 1), _int(cfg, "lru_width", h, 1)
    cfg["sliding_window"] = _int(cfg, "attention_window_size", cfg.get("sliding_window") or 2048, 1)


def _rg_types(cfg: Mapping[str, Any], n: int) -> list[str]:
    kinds = cfg.get("block_types") or ["recurrent", "recurrent", "attention"]
    if not isinstance(kinds, (list, tuple)) or any(k not in ("recurrent", "attention") for k in kinds):
        raise VramlabError(f"config field 'block_types' must list 'recurrent' and 'attention' blocks, got "
                           f"{show(kinds)}", field="block_types")
    return [kinds[i % len(kinds)] for i in range(n)]


def _rg_layers(cfg: Mapping[str, Any], n: int, mt: str) -> list[dict]:
    return [{"kind": "sliding", "window": cfg["sliding_window"]} if t == "attention" else {"kind": "linear"}
            for t in _rg_types(cfg, n)]


def _rg_params(m: Any, c: Any, std: Any) -> None:
    """transformers 5.24 modeling_recurrent_gemma.py: per layer two RMSNorms and a gated MLP of half
    ``intermediate_size`` with biases; attention blocks q, k, v (biases with attention_bias) and o with a bias;
    recurrent blocks linear_x, linear_y, linear_out with biases, a depthwise conv with bias and the RG-LRU
    (recurrent_param, block-diagonal input and recurrent gates with biases)."""
    cfg, h, n = m.config, m.hidden_size, m.num_layers
    q, kv, i, w = m.num_q_heads * m.head_dim, m.num_kv_heads * m.head_dim, m.intermediate_size // 2, cfg["lru_width"]
    nh, k = m.num_q_heads, _int(cfg, "conv1d_width", 4, 1)
    types = _rg_types(cfg, n)
    att = types.count("attention")
    std.embeddings(m, c)
    c["norms"] += (2 * n + 1) * h
    c["mlp"] += n * 3 * h * i
    c["biases"] += n * (2 * i + h) + att * h + att * (q + 2 * kv) * bool(cfg.get("attention_bias"))
    c["attention"] += att * (2 * h * q + 2 * h * kv)
    rec = n - att
    c["attention"] += rec * (3 * h * w + w * k + w + 2 * nh * (w // nh) ** 2)
    c["biases"] += rec * (2 * w + h + w + 2 * nh * (w // nh))


# -- RWKV-4: time-mix and channel-mix blocks, no attention heads --------------------------------------------
def _rwkv_prepare(cfg: dict) -> None:
    """transformers 5.24 configuration_rwkv.py: ``attention_hidden_size`` and ``intermediate_size`` (4 x hidden)
    default from hidden; the WKV mix has no heads: read as one head of ``attention_hidden_size``."""
    h = _int(cfg, "hidden_size", minimum=1)
    cfg["attention_hidden_size"] = _int(cfg, "attention_hidden_size", h, 1)
    cfg["intermediate_size"] = _int(cfg, "intermediate_size", 4 * h, 1)
    cfg.update(num_attention_heads=1, num_key_value_heads=1, head_dim=cfg["attention_hidden_size"])
    if cfg.get("max_position_embeddings") is None:
        cfg["max_position_embeddings"] = cfg.get("context_length")


def _rwkv_layers(cfg: Mapping[str, Any], n: int, mt: str) -> list[dict]:
    """The state transformers allocates (modeling_rwkv.py ``RwkvModel.forward``): per layer two token-shift
    vectors of hidden size in the model dtype and the WKV numerator, denominator and maximum in fp32."""
    h = cfg["hidden_size"]
    return [{"kind": "linear", "conv_state": 2 * h, "recurrent_state": 3 * h}] * n


def _rwkv_params(m: Any, c: Any, std: Any) -> None:
    """transformers 5.24 modeling_rwkv.py: LayerNorms with biases (ln1, ln2 per block, pre_ln before the first,
    ln_out); time mixing (time_decay, time_first, three mix vectors, key/value/receptance/output) and channel
    mixing (two mix vectors, key h->I, receptance h->h, value I->h)."""
    h, n, a, i = m.hidden_size, m.num_layers, m.config["attention_hidden_size"], m.intermediate_size
    std.embeddings(m, c)
    c["norms"] += (4 * n + 4) * h
    c["attention"] += n * (2 * a + 3 * h + 4 * h * a)
    c["mlp"] += n * (2 * h + 2 * h * i + h * h)


# -- xLSTM (mLSTM blocks) ---------------------------------------------------------------------------------------
def _up(x: float, m: int) -> int:
    return int(((x + m - 1) // m) * m)  # configuration_xlstm.round_up_to_next_multiple_of


def _xlstm_prepare(cfg: dict) -> None:
    """transformers 5.24 configuration_xlstm.py: ``embedding_dim`` / ``num_blocks`` spell hidden_size / layers;
    q/k and v widths hidden x factor; the FFN width (read as intermediate_size) rounded up."""
    for ours, theirs in (("hidden_size", "embedding_dim"), ("num_hidden_layers", "num_blocks")):
        cfg[ours] = cfg[theirs] if cfg.get(ours) is None else cfg[ours]
        if cfg.get(theirs) not in (None, cfg[ours]):  # transformers builds the embeddings / blocks from theirs
            raise VramlabError(f"config fields {theirs!r} ({show(cfg[theirs])}) and {ours!r} ({show(cfg[ours])}) "
                               "differ; xLSTM needs them equal", field=theirs)
    h = _int(cfg, "hidden_size", minimum=1)
    f = {k: cfg.get(k, d) for k, d in (("qk_dim_factor", 0.5), ("v_dim_factor", 1.0), ("ffn_proj_factor", 2.667))}
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0 for v in f.values()):
        raise VramlabError(f"config fields qk_dim_factor, v_dim_factor, ffn_proj_factor must be numbers > 0, got "
                           f"{show(f)}", field="qk_dim_factor")
    nh = _int(cfg, "num_heads", cfg.get("num_attention_heads"), 1)
    cfg["qk_dim"], cfg["v_dim"] = int(h * f["qk_dim_factor"]), int(h * f["v_dim_factor"])  # xLSTMLayer
    cfg["qk_head_dim"], cfg["v_head_dim"] = (_up(h * f[k], 64) // nh for k in ("qk_dim_factor", "v_dim_factor"))
    cfg["intermediate_size"] = _up(h * f["ffn_proj_factor"], _int(cfg, "ffn_round_up_to_multiple_of", 64, 1))


def _xlstm_layers(cfg: Mapping[str, Any], n: int, mt: str) -> list[dict]:
    """``xLSTMCache.rnn_state``: per layer and head a d_qk x d_v matrix, a d_qk normaliser and a stabiliser, in the
    model dtype, d_qk and d_v from the config's widths rounded up to 64 (the layers use the unrounded ones)."""
    nh, dk, dv = _int(cfg, "num_heads", cfg.get("num_attention_heads"), 1), cfg["qk_head_dim"], cfg["v_head_dim"]
    return [{"kind": "linear", "recurrent_state": nh * (dk * dv + dk + 1), "state_in_compute_dtype": True}] * n


def _xlstm_params(m: Any, c: Any, std: Any) -> None:
    """transformers 5.24 modeling_xlstm.py (single or fused weights, the same sizes): q, k, v, output gate, input
    and forget gates with biases, a multi-head norm, out_proj; a gated FFN; RMSNorms (biases with use_bias)."""
    cfg, h, n, u, nh = m.config, m.hidden_size, m.num_layers, m.intermediate_size, m.num_q_heads
    qk, v, bias = cfg["qk_dim"], cfg["v_dim"], bool(cfg.get("use_bias"))
    c["embeddings"] += m.vocab_size * h
    c["lm_head"] += m.vocab_size * h  # xLSTMForCausalLM ties nothing
    c["attention"] += n * (2 * h * qk + 2 * h * v + 2 * h * nh + v * h)
    c["mlp"] += n * 3 * h * u
    c["norms"] += n * (2 * h + nh * (v // nh)) * (1 + bias) + h
    c["biases"] += n * 2 * nh + n * bias * (2 * qk + 2 * v + h + 2 * u + h)


# -- HRM (hierarchical reasoning model): a low and a high stack, re-run H_cycles x (L_cycles + 1) times ------------
def _hrm_prepare(cfg: dict) -> None:
    """transformers 5.24 configuration_hrm_text.py: ``num_hidden_layers`` counts attention calls (one cache slot
    each): per-stack layers x H_cycles x (L_cycles + 1); a config without ``num_layers_per_stack`` gives the
    per-stack count there. Attention is multi-head: K/V heads are the query heads."""
    if cfg.get("num_layers_per_stack") is None:
        cycles = _int(cfg, "H_cycles", 2, 1) * (_int(cfg, "L_cycles", 3, 1) + 1)
        cfg["num_layers_per_stack"] = _int(cfg, "num_hidden_layers", minimum=1)
        cfg["num_hidden_layers"] = cfg["num_layers_per_stack"] * cycles
    cfg["num_key_value_heads"] = cfg.get("num_attention_heads")


def _hrm_params(m: Any, c: Any, std: Any) -> None:
    """transformers 5.24 modeling_hrm_text.py: two stacks of ``num_layers_per_stack`` layers, each q, k, v, o and
    a sigmoid output gate (biases with attention_bias), a gated MLP (biases with mlp_bias); parameter-free norms;
    the ``z_L_init`` vector."""
    cfg, h, q, i = m.config, m.hidden_size, m.num_q_heads * m.head_dim, m.intermediate_size
    n = 2 * _int(cfg, "num_layers_per_stack", minimum=1)
    std.embeddings(m, c)
    c["attention"] += n * 5 * h * q
    c["mlp"] += n * 3 * h * i
    c["norms"] += h  # z_L_init
    c["biases"] += n * ((4 * q + h) * bool(cfg.get("attention_bias")) + (2 * i + h) * bool(cfg.get("mlp_bias")))


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
_INK2 = {"vocab_size": 201024, "head_dim": 128, "max_position_embeddings": 1048576, "num_experts_per_tok": 8}
_LONG = "the recurrent section runs n_recurrent_loops times and, with recurrent_kv_cache_mode 'per_loop', caches"
FAMILIES: dict[str, Family] = {f.model_type: f for f in [
    _fam("gemma3n_text", prepare=_with_defaults(_G3N, _gemma3n_prepare), param_rule=_gemma3n_params,
         layer_rule=_gemma_layers(5, False, 15), norms_per_layer=4, qk_norm=True, defaults={
             **_GEMMA, "vocab_size": 262400, "sliding_window": 512, "max_position_embeddings": 32768}),
    _fam("gemma4_text", prepare=_with_defaults({**_G4, "vocab_size_per_layer_input": 262144,
                                                "hidden_size_per_layer_input": 256, "enable_moe_block": False}),
         param_rule=_gemma4_params, layer_rule=_gemma_layers(6, True, 0), norms_per_layer=4, qk_norm=True,
         cache_refusal=_GEMMA4_CACHE, defaults={
             **_GEMMA, "vocab_size": 262144, "sliding_window": 512, "max_position_embeddings": 131072}),
    _fam("gemma4_unified_text", prepare=_with_defaults({**_G4, "use_bidirectional_attention": "vision"}),
         param_rule=_gemma4_params, layer_rule=_gemma_layers(6, True, 0), norms_per_layer=4, qk_norm=True,
         cache_refusal=_GEMMA4_CACHE, defaults={
             **_GEMMA, "vocab_size": 262144, "sliding_window": 1024, "max_position_embeddings": 262144}),
    _fam("inkling_text", prepare=_inkling_prepare, param_rule=_inkling_params, layer_rule=_listed("hybrid_sliding"),
         moe=True, experts_keys=("num_local_experts", "n_routed_experts"), moe_layers="interleave",
         shared_expert="deepseek", cache_refusal=_INKLING_CACHE, defaults={
             "vocab_size": 201024, "head_dim": 128, "max_position_embeddings": 131072, "moe_intermediate_size": 3072,
             "n_routed_experts": 256, "num_experts_per_tok": 6, "n_shared_experts": 2}),
    *(_fam(mt, prepare=_with_defaults({"unpadded_vocab_size": 200058}, _inkling2_prepare), param_rule=_inkling2_params,
           layer_rule=_listed("hybrid_sliding"), moe=True, experts_keys=("num_local_experts", "n_routed_experts"),
           cache_refusal=_INKLING2_CACHE, defaults={**_INK2, "moe_intermediate_size": w, "n_routed_experts": e})
      for mt, w, e in (("inkling2_text", 2304, 384), ("inkling2_loop_text", 1152, 128))),
    _fam("dory", prepare=_dory_prepare, param_rule=_dory_params, layer_rule=_listed("sliding_attention"),
         cache_refusal=f"{_LONG} K/V once per loop in copies of its layers; vramlab's layer list holds one cache per "
         "layer", defaults={"tie_word_embeddings": False, "attention_bias": False, "mlp_bias": False, "head_dim": 256,
                            "sliding_window": 1024, "max_position_embeddings": 8192}),
    _fam("zaya", param_rule=_zaya_params, layer_rule=_zaya_layers, moe=True, experts_keys=("num_experts",),
         defaults={"tie_word_embeddings": True, "attention_bias": False, "head_dim": 128, "num_experts": 16,
                   "num_experts_per_tok": 1, "moe_intermediate_size": 2048, "max_position_embeddings": 131072}),
    # Gated DeltaNet, sliding and full attention layers with q/k norms; every MLP routed plus an ungated shared
    # expert (transformers 5.24 modeling_lara_mini.py): the standard steps describe it
    _fam("lara_mini", prepare=_lara_mini_prepare, qk_norm=True, layer_kinds={"linear_attention": "linear"}, moe=True,
         experts_keys=("num_experts",), shared_expert="sized", shared_width_key="shared_expert_intermediate_size",
         defaults={"tie_word_embeddings": True, "attention_bias": False, "head_dim": 128, "sliding_window": 512,
                   "linear_conv_kernel_dim": 4, "linear_key_head_dim": 128, "linear_value_head_dim": 128,
                   "linear_num_key_heads": 8, "linear_num_value_heads": 16, "moe_intermediate_size": 512,
                   "shared_expert_intermediate_size": 512, "num_experts_per_tok": 4, "num_experts": 128,
                   "max_position_embeddings": 131072}),
    _fam("recurrent_gemma", prepare=_rg_prepare, param_rule=_rg_params, layer_rule=_rg_layers, cache_refusal=(
        "each attention block allocates a fixed attention_window_size K/V buffer whatever the context, and the "
        "RG-LRU and convolution states live in the modules (no transformers Cache to check them against)"),
         defaults={"tie_word_embeddings": True, "attention_bias": False, "vocab_size": 256000}),
    _fam("rwkv", prepare=_rwkv_prepare, param_rule=_rwkv_params, layer_rule=_rwkv_layers, defaults={
        "tie_word_embeddings": False, "vocab_size": 50277}),
    _fam("xlstm", prepare=_xlstm_prepare, param_rule=_xlstm_params, layer_rule=_xlstm_layers, defaults={
        "tie_word_embeddings": False, "vocab_size": 50304}),
    _fam("hrm_text", prepare=_hrm_prepare, param_rule=_hrm_params, defaults={
        "tie_word_embeddings": False, "attention_bias": False, "mlp_bias": False, "head_dim": 128,
        "vocab_size": 151808, "max_position_embeddings": 2048}),
]}

#: model_type spellings that name a family of this table.
ALIASES: dict[str, str] = {"gemma3n": "gemma3n_text", "gemma4": "gemma4_text", "gemma4_unified": "gemma4_unified_text"}

#: model_types of this group vramlab refuses, with what it does not know about their blocks.
UNMODELLED: dict[str, str] = {}
