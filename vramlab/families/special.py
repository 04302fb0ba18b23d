"""Family table: Decoders with MoE or attention blocks of their own layout (sparse indexers, mixtures of attention heads, ...).

Each entry was read from transformers 5.24 (configuration_<family>.py defaults, modeling_<family>.py
blocks); ``tests/test_coverage.py`` checks every family against the model built on the meta device.
Parameter rules that the table's fields cannot say are the ``_*_params`` functions below; a family
whose cache is not vramlab's per-token K/V (or MLA latent) of each attention layer carries a
``cache_refusal``.
"""

from __future__ import annotations

import math
from typing import Any

from ..errors import VramlabError, show
from .family import Family, config_int

_fam = Family


# -- config readers (the fields below are not in vramlab.fields.FIELDS: checked here, naming the field)
def _int(cfg: dict, key: str, mt: str, default: Any = None, minimum: int = 1) -> int:
    """An integer config field (``default`` when absent or null), refused by name when out of range."""
    return config_int(cfg, key, default, minimum, model_type=mt)


def _str_list(cfg: dict, key: str, n: int, choices: tuple[str, ...]) -> list[str] | None:
    """A per-layer list of strings (None when absent): ``n`` entries, each one of ``choices``."""
    v = cfg.get(key)
    if v is None:
        return None
    if not isinstance(v, (list, tuple)) or len(v) != n or any(x not in choices for x in v):
        raise VramlabError(f"config field {key!r} must list {n} layers (num_hidden_layers), each one of "
                           f"{', '.join(choices)}; got {show(v)}", field=key)
    return list(v)


def _layers(cfg: dict, mt: str) -> int:
    return _int(cfg, "num_hidden_layers", mt)


def _mlp_types(cfg: dict, mt: str, first_dense: int, freq: int = 1) -> None:
    """Read ``mlp_layer_types`` ("dense"/"sparse" per layer) into ``first_k_dense_replace`` and ``moe_layer_freq``.

    transformers 5.24 (configuration_deepseek_v32.py and the configs derived from it) builds the
    MoE block where ``mlp_layer_types[i]`` is "sparse"; without the list, layers from
    ``first_dense`` on with ``i % freq == 0`` are sparse. vramlab's rule is that same pattern; a
    list that no (first_k_dense_replace, moe_layer_freq) describes is refused.
    """
    n = _layers(cfg, mt)
    types = _str_list(cfg, "mlp_layer_types", n, ("dense", "sparse"))
    if types is None:
        types = ["sparse" if i >= first_dense and i % freq == 0 else "dense" for i in range(n)]
    sparse = [i for i, t in enumerate(types) if t == "sparse"]
    k = sparse[0] if sparse else n
    for f in range(1, n + 1):
        if [i for i in range(k, n) if i % f == 0] == sparse:
            cfg["first_k_dense_replace"], cfg["moe_layer_freq"] = k, f
            return
    raise VramlabError("config field 'mlp_layer_types' places its sparse (MoE) layers in a pattern vramlab does not "
                       "model (valid: dense layers first, then every moe_layer_freq-th layer sparse)",
                       field="mlp_layer_types")


def _moe_layers(m: Any) -> list[int]:
    """The MoE layers of a ``first_k_dense`` family (the rule of vramlab.params.moe_layer_indices)."""
    k, f = int(m.config.get("first_k_dense_replace") or 0), int(m.config.get("moe_layer_freq") or 1)
    return [i for i in range(m.num_layers) if i >= k and i % f == 0]


# -- DeepSeek-V3.2-style sparse attention (DSA): MLA plus an indexer key per token -----------------------
def _dsa_layers(cfg: dict, n: int, mt: str) -> list[dict]:
    """``layer_types`` (indexed_attention, full_attention, sliding_attention) and, with ``indexer_types``,
    which indexed layers run an indexer of their own and cache its key ("full"; "shared" reuses the top-k
    of the previous full layer and has neither: transformers 5.24 modeling_glm_moe_dsa.py)."""
    types = _str_list(cfg, "layer_types", n, ("indexed_attention", "full_attention", "sliding_attention"))
    types = types or ["indexed_attention"] * n
    own = _str_list(cfg, "indexer_types", n, ("full", "shared")) or ["full"] * n
    d_i = _int(cfg, "index_head_dim", mt)
    rows = []
    for t, o in zip(types, own):
        if t == "sliding_attention":
            rows.append({"kind": "sliding", "window": _int(cfg, "sliding_window", mt)})
        else:
            rows.append({"kind": "full", "index_keys": d_i if t == "indexed_attention" and o == "full" else 0})
    return rows


def _axk2_prepare(cfg: dict) -> None:
    """A.X-K2 (configuration_axk2.py): legacy ``first_k_dense_replace`` / ``moe_layer_freq``, default 1 and 1."""
    _mlp_types(cfg, "axk2", _int(cfg, "first_k_dense_replace", "axk2", 1, 0), _int(cfg, "moe_layer_freq", "axk2", 1))
    _mla_head_dim(cfg, "axk2")


def _mla_head_dim(cfg: dict, mt: str) -> None:
    """MLA configs of transformers 5.24 set ``head_dim`` to the RoPE slice; vramlab's MLA head width is the
    query-key width ``qk_nope_head_dim + qk_rope_head_dim`` (the ``qk_head_dim`` transformers derives)."""
    cfg["head_dim"] = _int(cfg, "qk_nope_head_dim", mt) + _int(cfg, "qk_rope_head_dim", mt)


def _axk2_params(m: Any, c: Any, std: Any) -> None:
    """A.X-K2 (transformers 5.24 modeling_axk2.py): DeepSeek-V3.2 blocks, but the query has no q_b_proj:
    ``q_gate_proj`` maps [q_a_layernorm(q), q] (2 r_q) to H_q (d_qk + d_v), queries and an output gate;
    ``input_layernorm`` on every layer and ``post_attention_layernorm`` on MoE layers are gated RMSNorms with
    a low-rank h -> gated_norm_rank -> h gate MLP."""
    for step in (std.embeddings, std.attention, std.mlp, std.norms):
        step(m, c)
    cfg, L, nq = m.config, m.num_layers, m.num_q_heads
    r_q, qk, v = int(cfg["q_lora_rank"]), m.head_dim, int(cfg["v_head_dim"])
    c["attention"] += L * (2 * r_q * nq * (qk + v) - r_q * nq * qk)
    gate = _int(cfg, "gated_norm_rank", m.model_type, 16)
    c["norms"] += (L + len(_moe_layers(m))) * 2 * m.hidden_size * gate


def _glm_dsa_prepare(cfg: dict) -> None:
    """GLM-MoE-DSA (configuration_glm_moe_dsa.py): 3 dense layers by default; ``indexer_types`` from
    ``index_topk_pattern`` ("F"/"S" letters) or ``index_topk_freq`` / ``index_skip_topk_offset``."""
    mt = "glm_moe_dsa"
    _mlp_types(cfg, mt, _int(cfg, "first_k_dense_replace", mt, 3, 0))
    _mla_head_dim(cfg, mt)
    if cfg.get("indexer_types") is None:
        n, pattern = _layers(cfg, mt), cfg.get("index_topk_pattern")
        if isinstance(pattern, str):
            if set(pattern) - {"F", "S"}:
                raise VramlabError(f"config field 'index_topk_pattern' must be letters F and S, got {show(pattern)}",
                                   field="index_topk_pattern")
            cfg["indexer_types"] = [{"F": "full", "S": "shared"}[x] for x in pattern]
        elif pattern is not None:
            cfg["indexer_types"] = pattern
        else:
            freq = max(_int(cfg, "index_topk_freq", mt, 1), 1)
            off = _int(cfg, "index_skip_topk_offset", mt, 2, 0)
            cfg["indexer_types"] = ["full" if max(i - off + 1, 0) % freq == 0 else "shared" for i in range(n)]


def _hy_v4_prepare(cfg: dict) -> None:
    """HY-V4 (configuration_hy_v4.py): one dense layer, KV heads = query heads, indexers on layer 0 and
    every 4th layer from 1."""
    mt = "hy_v4"
    _mlp_types(cfg, mt, 1)
    _mla_head_dim(cfg, mt)
    cfg["num_key_value_heads"] = cfg.get("num_attention_heads")
    if cfg.get("indexer_types") is None:
        cfg["indexer_types"] = ["full" if i == 0 or (i - 1) % 4 == 0 else "shared" for i in range(_layers(cfg, mt))]


def _hyper_connections(m: Any, c: Any, comb: bool) -> None:
    """Hyper-connections of ``hc_mult`` streams (transformers 5.24 modeling_deepseek_v4.py, modeling_hy_v4.py):
    per layer an attention and an FFN mixer, each ``fn`` (rows x hc·h), ``base`` (rows) and one scale per
    output, rows = hc (pre) + hc (post) [+ hc² (comb, DeepSeek-V4)]; the head: hc x hc·h, hc and 1 values."""
    hc, h = _int(m.config, "hc_mult", m.model_type, 4), m.hidden_size
    rows, groups = (2 + comb * hc) * hc, 2 + comb
    c["norms"] += m.num_layers * 2 * (rows * hc * h + rows + groups) + hc * hc * h + hc + 1


def _hy_v4_params(m: Any, c: Any, std: Any) -> None:
    """HY-V4 (transformers 5.24 modeling_hy_v4.py): GLM-MoE-DSA blocks plus an output gate h -> H_q d_v,
    one learned sink per head and hyper-connections of ``hc_mult`` streams (2 hc mixes: pre and post)."""
    for step in (std.embeddings, std.attention, std.mlp, std.norms):
        step(m, c)
    L, nq, v = m.num_layers, m.num_q_heads, int(m.config["v_head_dim"])
    c["attention"] += L * (m.hidden_size * nq * v + nq)
    _hyper_connections(m, c, False)


# -- dots3-note: DSA layers and sliding-window MLA layers of other widths ---------------------------------
#: Per-layer MLA fields of dots3-note (``per_layer_config``) and, for sliding layers of a config without it,
#: the ``swa_*`` fields' defaults (transformers 5.24 configuration_dots3_note.py).
_DOTS_SWA = {"num_attention_heads": 64, "num_key_value_heads": 64, "q_lora_rank": 1024, "kv_lora_rank": 1024,
             "head_dim": 256, "qk_nope_head_dim": 192, "v_head_dim": 128}
_PER_LAYER = (*_DOTS_SWA, "qk_rope_head_dim", "attention_bias", "rms_norm_eps")


def _dots_prepare(cfg: dict) -> None:
    """dots3-note (configuration_dots3_note.py): ``layer_types`` from ``use_dsa`` / ``use_sliding_window`` (DSA
    on layers 0, 1 and every 4th from 1, sliding elsewhere), ``mlp_layer_types`` from ``first_k_dense_replace``
    and ``moe_layer_freq`` (an integer or a per-layer list), one shared MLP of ``n_shared_experts`` x
    ``shared_experts_intermediate_size``, and per-layer MLA sizes (``per_layer_config``, else ``swa_*``)."""
    mt, n = "dots3_note_text", _layers(cfg, "dots3_note_text")
    freq = cfg.get("moe_layer_freq", 1)
    if isinstance(freq, (list, tuple)) and cfg.get("mlp_layer_types") is None:
        k = _int(cfg, "first_k_dense_replace", mt, 1, 0)
        cfg["mlp_layer_types"] = ["sparse" if i >= k and i < len(freq) and freq[i] else "dense" for i in range(n)]
        cfg.pop("moe_layer_freq")
    _mlp_types(cfg, mt, _int(cfg, "first_k_dense_replace", mt, 1, 0), _int(cfg, "moe_layer_freq", mt, 1))
    key = "moe_shared_expert_intermediate_size"  # the released checkpoints' name, read first (as transformers)
    key = key if cfg.get(key) is not None else "shared_experts_intermediate_size"
    cfg["shared_intermediate_size"] = _int(cfg, "n_shared_experts", mt) * _int(cfg, key, mt, 1536)
    use_dsa = cfg.get("use_dsa", None if "per_layer_config" in cfg else True)
    if cfg.get("layer_types") is None:
        full = "full_attention" if use_dsa is False else "indexed_attention"
        slide = cfg.get("use_sliding_window", True)
        cfg["layer_types"] = [full if not slide or i < 2 or i % 4 == 1 else "sliding_attention" for i in range(n)]
    elif use_dsa is not None:
        swap = {"full_attention": "indexed_attention"} if use_dsa else {"indexed_attention": "full_attention"}
        cfg["layer_types"] = [swap.get(t, t) for t in cfg["layer_types"]]
    if cfg.get("sliding_window") is None:
        cfg["sliding_window"] = cfg.get("sliding_window_size", 512)
    per = cfg.get("per_layer_config")
    if per is None:
        swa = {k: cfg.get(f"swa_{k}", v) for k, v in _DOTS_SWA.items()}
        swa["qk_rope_head_dim"] = cfg.get("swa_qk_rope_head_dim", swa["head_dim"] - swa["qk_nope_head_dim"])
        per = {i: swa for i, t in enumerate(cfg["layer_types"]) if t == "sliding_attention"}
    if not isinstance(per, dict) or any(not isinstance(v, dict) or set(v) - set(_PER_LAYER) for v in per.values()):
        raise VramlabError(f"config field 'per_layer_config' must map layer indices to overrides of "
                           f"{', '.join(_PER_LAYER)}; got {show(per)}", field="per_layer_config")
    try:
        cfg["per_layer_config"] = {int(i): v for i, v in per.items()}
    except (TypeError, ValueError):
        raise VramlabError(f"config field 'per_layer_config' keys must be layer indices, got {show(list(per))}",
                           field="per_layer_config") from None
    _mla_head_dim(cfg, mt)


def _mla_block(cfg: dict, mt: str, h: int) -> tuple[int, int, int]:
    """(weights, norm values, biases) of one DeepSeek-V3 MLA block with a query LoRA (modeling_deepseek_v3.py)."""
    nq, r_q, r_kv = (_int(cfg, k, mt) for k in ("num_attention_heads", "q_lora_rank", "kv_lora_rank"))
    nope, rope, v = (_int(cfg, k, mt) for k in ("qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim"))
    w = h * r_q + r_q * nq * (nope + rope) + h * (r_kv + rope) + r_kv * nq * (nope + v) + nq * v * h
    return w, r_q + r_kv, (r_q + r_kv + rope + h) * bool(cfg.get("attention_bias"))


def _dots_params(m: Any, c: Any, std: Any) -> None:
    """dots3-note (transformers 5.24 modeling_dots3_note.py): per layer an MLA block of its own sizes
    (``per_layer_config``), an RMSNorm of the RoPE key, a per-head gate h -> H_q and, on DSA layers, the
    indexer (wq_b, wk, a LayerNorm of its key, weights_proj)."""
    for step in (std.embeddings, std.mlp, std.norms):
        step(m, c)
    cfg, h, mt = m.config, m.hidden_size, m.model_type
    n_i, d_i = _int(cfg, "index_n_heads", mt), _int(cfg, "index_head_dim", mt)
    for i, t in enumerate(cfg["layer_types"]):
        lay = {**cfg, **cfg["per_layer_config"].get(i, {})}
        w, norms, bias = _mla_block(lay, mt, h)
        c["attention"] += w + h * _int(lay, "num_attention_heads", mt)
        c["norms"] += norms + _int(lay, "qk_rope_head_dim", mt)
        c["biases"] += bias
        if t == "indexed_attention":
            c["attention"] += _int(lay, "q_lora_rank", mt) * n_i * d_i + h * d_i + h * n_i
            c["norms"] += 2 * d_i


# -- MiMo-V2-Flash: sliding layers with twice the KV heads and sinks; values narrower than keys ----------
def _mimo_prepare(cfg: dict) -> None:
    """MiMo-V2-Flash (configuration_mimo_v2_flash.py): full attention on layer 0 and every 6th layer, sliding
    elsewhere (window ``sliding_window_size`` + 1 when that field is given); one dense layer, then MoE."""
    mt = "mimo_v2_flash"
    n = _layers(cfg, mt)
    if cfg.get("layer_types") is None:
        cfg["layer_types"] = ["full_attention" if i == 0 or not (i + 1) % 6 else "sliding_attention" for i in range(n)]
    if cfg.get("sliding_window_size") is not None:
        cfg["sliding_window"] = _int(cfg, "sliding_window_size", mt) + 1
    _mlp_types(cfg, mt, 1)


def _mimo_params(m: Any, c: Any, std: Any) -> None:
    """MiMo-V2-Flash (transformers 5.24 modeling_mimo_v2_flash.py): q and k of ``head_dim``, v and o of
    ``v_head_dim``; sliding layers have 2 H_kv KV heads and one sink per head; MoE without shared experts."""
    for step in (std.embeddings, std.mlp, std.norms):
        step(m, c)
    h, nq, hd = m.hidden_size, m.num_q_heads, m.head_dim
    v, bias = _int(m.config, "v_head_dim", m.model_type), bool(m.config.get("attention_bias"))
    for la in m.layers:
        slide = la.kind == "sliding"
        kv = m.num_kv_heads * (1 + slide)
        c["attention"] += h * nq * hd + h * kv * (hd + v) + nq * v * h + nq * slide
        c["biases"] += bias * (nq * hd + kv * (hd + v))


# -- LongCat-Flash: two MLA + MLP sublayers and one MoE with zero-computation experts per layer ----------
def _longcat_prepare(cfg: dict) -> None:
    """LongCat-Flash (configuration_longcat_flash.py): ``num_layers`` decoder layers of two attention sublayers
    each (transformers' ``num_hidden_layers`` is 2 x num_layers, the cache layers); its attribute_map names
    (ffn_hidden_size, expert_ffn_hidden_size, moe_topk) read as the standard fields; one MoE per layer."""
    mt = "longcat_flash"
    if cfg.get("num_layers") is not None:
        cfg["num_hidden_layers"] = 2 * _int(cfg, "num_layers", mt)
    for std_key, key in (("intermediate_size", "ffn_hidden_size"), ("moe_intermediate_size", "expert_ffn_hidden_size"),
                         ("num_experts_per_tok", "moe_topk")):
        if cfg.get(key) is not None:
            cfg[std_key] = cfg[key]
    cfg["first_k_dense_replace"], cfg["moe_layer_freq"] = 0, 2  # one MoE per pair of sublayers
    _mla_head_dim(cfg, mt)


def _longcat_params(m: Any, c: Any, std: Any) -> None:
    """LongCat-Flash (transformers 5.24 modeling_longcat_flash.py): per decoder layer two MLA blocks with a
    query LoRA, two gated MLPs, four RMSNorms and one MoE whose router scores ``n_routed_experts +
    zero_expert_num`` experts; the zero-computation ones are identities in the forward pass, yet
    ``gate_up_proj`` is allocated for all of them (``down_proj`` for the routed ones only)."""
    std.embeddings(m, c)
    cfg, h, mt, n = m.config, m.hidden_size, m.model_type, m.num_layers // 2
    w, norms, bias = _mla_block(cfg, mt, h)
    scored = m.num_experts + _int(cfg, "zero_expert_num", mt, 0, 0)
    c["attention"] += 2 * n * w
    c["norms"] += 2 * n * norms + 4 * n * h + h
    c["biases"] += 2 * n * bias + n * scored * bool(cfg.get("router_bias"))
    c["mlp"] += 2 * n * 3 * h * m.intermediate_size
    c["experts"] += n * (scored * 2 + m.num_experts) * h * _int(cfg, "moe_intermediate_size", mt)
    c["router"] += n * scored * h


# -- Sarvam: transformers builds GLM-4-MoE and DeepSeek-V3 models from Sarvam's own config classes ----------
def _sarvam_prepare(cfg: dict) -> None:
    """Sarvam (configuration_sarvam_moe.py, configuration_sarvam_mla.py): the attribute_map names of the
    original checkpoints (num_experts, num_shared_experts, use_qkv_bias) read as the standard fields."""
    for std_key, key in (("n_routed_experts", "num_experts"), ("n_shared_experts", "num_shared_experts"),
                         ("attention_bias", "use_qkv_bias")):
        if cfg.get(key) is not None:
            cfg[std_key] = cfg.pop(key)
    if cfg.get("kv_lora_rank") is not None:  # SarvamMLA: head_dim is derived (transformers drops the stored one)
        _mla_head_dim(cfg, "sarvam_mla")


def _aria_prepare(cfg: dict) -> None:
    """Aria-text (configuration_aria.py): experts per token are ``moe_topk`` (default 2)."""
    cfg["num_experts_per_tok"] = _int(cfg, "moe_topk", "aria_text", 2)


def _jetmoe_prepare(cfg: dict) -> None:
    """JetMoE (configuration_jetmoe.py): ``head_dim`` is ``kv_channels``; query heads are H_kv x experts per token."""
    cfg["head_dim"] = _int(cfg, "kv_channels" if cfg.get("kv_channels") is not None else "head_dim", "jetmoe", 128)
    cfg["num_attention_heads"] = _int(cfg, "num_key_value_heads", "jetmoe") * _int(cfg, "num_experts_per_tok", "jetmoe")


def _jetmoe_params(m: Any, c: Any, std: Any) -> None:
    """JetMoE (transformers 5.24 modeling_jetmoe.py): per layer a mixture of attention heads (E experts of a
    query projection h -> H_kv d and an output projection back, a router and a bias of h) beside one shared
    kv_proj h -> 2 H_kv d, and a MoE of E experts (h -> 2I, I -> h), a router and a bias of h."""
    std.embeddings(m, c)
    std.norms(m, c)
    h, L, E, kv = m.hidden_size, m.num_layers, m.num_experts, m.num_kv_heads * m.head_dim
    c["attention"] += L * (E * 2 * h * kv + 2 * h * kv)
    c["experts"] += L * E * 3 * h * m.intermediate_size
    c["router"] += L * 2 * h * E
    c["biases"] += L * 2 * h


def _doge_params(m: Any, c: Any, std: Any) -> None:
    """Doge (transformers 5.24 modeling_doge.py): attention with q/k RMSNorms, a dynamic-mask ``A`` (H_kv) and
    ``dt_proj`` H_kv d -> H_kv (biases of q, k, v, dt, o when attention_bias); a learned residual scale (h)
    beside each of the two norms; the MLP, or with ``is_moe`` the cross-domain MoE: that MLP as the shared
    expert, a router h -> 2 floor(sqrt(E)) and two E x h expert embeddings (down_embed, up_embed)."""
    std.embeddings(m, c)
    std.norms(m, c)
    cfg, h, L, nq, nkv, d = m.config, m.hidden_size, m.num_layers, m.num_q_heads, m.num_kv_heads, m.head_dim
    c["attention"] += L * (2 * h * nq * d + 2 * h * nkv * d + nkv + nkv * d * nkv)
    c["biases"] += L * (nq * d + 2 * nkv * d + nkv + h) * bool(cfg.get("attention_bias"))
    c["norms"] += L * (2 * d + 2 * h)
    mlp = 3 * h * m.intermediate_size
    c["biases"] += L * (2 * m.intermediate_size + h) * bool(cfg.get("mlp_bias"))
    if not cfg.get("is_moe"):
        c["mlp"] += L * mlp
        return
    E = _int(cfg, "num_experts", m.model_type, 16384)
    c["shared_experts"] += L * mlp
    c["router"] += L * h * 2 * math.isqrt(E)
    c["experts"] += L * 2 * E * h


def _beam_prepare(cfg: dict) -> None:
    """Beam (configuration_beam.py): full attention on every 6th layer and the last, sliding elsewhere;
    three dense layers, then MoE."""
    n = _layers(cfg, "beam")
    if cfg.get("layer_types") is None:
        cfg["layer_types"] = ["sliding_attention" if (i + 1) % 6 and i < n - 1 else "full_attention" for i in range(n)]
    _mlp_types(cfg, "beam", 3)


def _beam_params(m: Any, c: Any, std: Any) -> None:
    """Beam (transformers 5.24 modeling_beam.py): Qwen3-MoE attention plus an output gate h -> H_q d (the
    ``attn_gate`` field) with one gate bias per head; four RMSNorms per layer; MoE without shared experts."""
    for step in (std.embeddings, std.attention, std.mlp, std.norms):
        step(m, c)
    c["biases"] += m.num_layers * m.num_q_heads


def _flint_prepare(cfg: dict) -> None:
    """Flint (configuration_flint.py): full attention on layers 0, 1, every 4th from 1 and the last, sliding
    elsewhere; dense MLPs on ``mlp_only_layers`` (default [0, 1])."""
    n = _layers(cfg, "flint")
    if cfg.get("layer_types") is None:
        cfg["layer_types"] = ["full_attention" if i < 2 or i % 4 == 1 or i == n - 1 else "sliding_attention"
                              for i in range(n)]
    if cfg.get("mlp_only_layers") is None:
        cfg["mlp_only_layers"] = [0, 1]


def _kolibri_prepare(cfg: dict) -> None:
    """Kolibri-1 (configuration_kolibri1.py): full attention on every 5th layer, sliding elsewhere."""
    if cfg.get("layer_types") is None:
        cfg["layer_types"] = ["full_attention" if (i + 1) % 5 == 0 else "sliding_attention"
                              for i in range(_layers(cfg, "kolibri1"))]


# -- DeepSeek-V4: MQA with compressed KV (CSA / HCA compressors), grouped output projection, hash routing ----
_V4_KINDS = ("sliding_attention", "compressed_sparse_attention", "heavily_compressed_attention")


def _v4_prepare(cfg: dict) -> None:
    """DeepSeek-V4 (configuration_deepseek_v4.py): ``layer_types`` from ``compress_ratios`` (0, 4, 128) or two
    HCA layers then CSA/HCA alternating; ``compress_rates`` (CSA 4, HCA 128); every layer a MoE."""
    n, ratio = _layers(cfg, "deepseek_v4"), {0: _V4_KINDS[0], 4: _V4_KINDS[1], 128: _V4_KINDS[2]}
    if cfg.get("layer_types") is None and isinstance(cfg.get("compress_ratios"), list):
        cfg["layer_types"] = [ratio.get(r, str(r)) for r in cfg["compress_ratios"]]
    if cfg.get("layer_types") is None:
        cfg["layer_types"] = [_V4_KINDS[2]] * min(n, 2) + [_V4_KINDS[1 + (i % 2 == 0)] for i in range(max(n - 2, 0))]
    given = cfg.get("compress_rates") or {}
    if not isinstance(given, dict):
        raise VramlabError(f"config field 'compress_rates' must map {_V4_KINDS[1]} and {_V4_KINDS[2]} to "
                           f"integers, got {show(given)}", field="compress_rates")
    rates = {_V4_KINDS[1]: 4, _V4_KINDS[2]: 128, **given}
    for kind, legacy in ((_V4_KINDS[1], "compress_rate_csa"), (_V4_KINDS[2], "compress_rate_hca")):
        rates[kind] = cfg.get(legacy) or rates[kind]  # the legacy scalars win, as in transformers
    cfg["compress_rates"] = rates


def _v4_layers(cfg: dict, n: int, mt: str) -> list[dict]:
    types = _str_list(cfg, "layer_types", n, _V4_KINDS)
    return [{"kind": "sliding", "window": _int(cfg, "sliding_window", mt)} if t == _V4_KINDS[0] else {"kind": "full"}
            for t in types]


def _v4_params(m: Any, c: Any, std: Any) -> None:
    """DeepSeek-V4 (transformers 5.24 modeling_deepseek_v4.py): per layer q_a (h -> r_q, normed), q_b
    (r_q -> H_q d), one shared KV head (h -> d, normed), the grouped output o_a (H_q d -> o_groups x
    o_lora_rank, block-diagonal) and o_b (-> h), a sink per head; HCA layers a compressor (kv and gate
    h -> d, a position bias of rate x d, a norm), CSA layers one of width 2d plus an indexer (the same of
    index_head_dim, and q_b r_q -> n_i d_i, weights_proj h -> n_i); every layer a MoE with a shared MLP of
    the expert width; hyper-connections with the comb mix."""
    std.embeddings(m, c)
    std.mlp(m, c)
    cfg, h, mt, nq, d = m.config, m.hidden_size, m.model_type, m.num_q_heads, m.head_dim
    r_q, groups, o_r = (_int(cfg, k, mt) for k in ("q_lora_rank", "o_groups", "o_lora_rank"))
    n_i, d_i = _int(cfg, "index_n_heads", mt), _int(cfg, "index_head_dim", mt)
    rates = cfg["compress_rates"]
    L = m.num_layers
    c["attention"] += L * (h * r_q + r_q * nq * d + h * d + o_r * nq * d + groups * o_r * h + nq)
    c["norms"] += L * (r_q + d + 2 * h) + h
    for t in cfg["layer_types"]:
        if t == _V4_KINDS[2]:
            c["attention"] += 2 * h * d + _int(rates, t, mt) * d
            c["norms"] += d
        elif t == _V4_KINDS[1]:
            rate = _int(rates, t, mt)
            c["attention"] += 4 * h * d + rate * 2 * d + 4 * h * d_i + rate * 2 * d_i + r_q * n_i * d_i + h * n_i
            c["norms"] += d + d_i
    _hyper_connections(m, c, True)


_DSA = dict(layout="mla", moe=True, experts_keys=("n_routed_experts", "num_local_experts"), moe_layers="first_k_dense",
            shared_expert="deepseek", layer_rule=_dsa_layers)

FAMILIES: dict[str, Family] = {f.model_type: f for f in [
    _fam("axk2", **_DSA, prepare=_axk2_prepare, param_rule=_axk2_params, defaults={
        "tie_word_embeddings": False, "attention_bias": False, "n_shared_experts": 1, "n_routed_experts": 128,
        "num_experts_per_tok": 8, "moe_intermediate_size": 512, "kv_lora_rank": 128, "q_lora_rank": 384,
        "qk_rope_head_dim": 32, "qk_nope_head_dim": 64, "v_head_dim": 64, "index_n_heads": 16, "index_head_dim": 128,
        "index_topk": 2048, "max_position_embeddings": 131072}),
    _fam("glm_moe_dsa", **_DSA, prepare=_glm_dsa_prepare, defaults={
        "tie_word_embeddings": False, "attention_bias": False, "n_shared_experts": 1, "n_routed_experts": 256,
        "num_experts_per_tok": 8, "moe_intermediate_size": 2048, "kv_lora_rank": 512, "q_lora_rank": 2048,
        "qk_rope_head_dim": 64, "qk_nope_head_dim": 192, "v_head_dim": 256, "index_n_heads": 32,
        "index_head_dim": 128, "index_topk": 2048, "max_position_embeddings": 202752}),
    _fam("hy_v4", **_DSA, prepare=_hy_v4_prepare, param_rule=_hy_v4_params, defaults={
        "tie_word_embeddings": False, "attention_bias": False, "n_shared_experts": 1, "n_routed_experts": 256,
        "num_experts_per_tok": 8, "moe_intermediate_size": 768, "kv_lora_rank": 512, "q_lora_rank": 1536,
        "qk_rope_head_dim": 64, "qk_nope_head_dim": 192, "v_head_dim": 256, "index_n_heads": 16,
        "index_head_dim": 128, "index_topk": 2048, "max_position_embeddings": 262144}),
    _fam("dots3_note_text", **{**_DSA, "shared_expert": "sized"}, prepare=_dots_prepare, param_rule=_dots_params,
         cache_refusal="its sliding-window MLA layers cache a latent of their own width (per_layer_config "
                       "kv_lora_rank) beside the DSA layers' latent and indexer keys", defaults={
             "tie_word_embeddings": False, "attention_bias": False, "n_shared_experts": 1, "n_routed_experts": 256,
             "num_experts_per_tok": 8, "moe_intermediate_size": 1536, "kv_lora_rank": 512, "q_lora_rank": 1024,
             "qk_rope_head_dim": 64, "qk_nope_head_dim": 128, "v_head_dim": 128, "index_n_heads": 64,
             "index_head_dim": 128, "index_topk": 2048, "max_position_embeddings": 524288}),
    _fam("mimo_v2_flash", moe=True, experts_keys=("n_routed_experts", "num_local_experts"), moe_layers="first_k_dense",
         prepare=_mimo_prepare, param_rule=_mimo_params,
         cache_refusal="keys of head_dim and values of v_head_dim per head, and twice the KV heads on its "
                       "sliding-window layers", defaults={
             "tie_word_embeddings": False, "attention_bias": False, "n_routed_experts": 256, "num_experts_per_tok": 8,
             "moe_intermediate_size": 2048, "head_dim": 192, "v_head_dim": 128, "sliding_window": 129,
             "max_position_embeddings": 131072}),
    _fam("longcat_flash", layout="mla", moe=True, experts_keys=("n_routed_experts", "num_local_experts"),
         moe_layers="first_k_dense", prepare=_longcat_prepare, param_rule=_longcat_params,
         active_refusal="zero-computation experts take a share of the tokens (their count per token varies)",
         defaults={
             "tie_word_embeddings": False, "attention_bias": False, "n_routed_experts": 512, "kv_lora_rank": 512,
             "q_lora_rank": 1536, "qk_rope_head_dim": 64, "qk_nope_head_dim": 128, "v_head_dim": 128,
             "max_position_embeddings": 131072}),
    _fam("sarvam_moe", o_bias="never", qk_norm=True, qk_norm_rule="use_qk_norm", moe=True,
         experts_keys=("n_routed_experts", "num_local_experts"), moe_layers="first_k_dense", shared_expert="deepseek",
         prepare=_sarvam_prepare, defaults={  # transformers 5.24 builds Glm4MoeForCausalLM (modeling_glm4_moe.py)
             "tie_word_embeddings": False, "attention_bias": False, "use_qk_norm": True, "head_dim": 64,
             "max_position_embeddings": 131072, "moe_intermediate_size": 1024, "num_experts_per_tok": 6,
             "n_shared_experts": 1, "n_routed_experts": 128, "first_k_dense_replace": 1, "vocab_size": 262144}),
    _fam("sarvam_mla", layout="mla", moe=True, experts_keys=("n_routed_experts", "num_local_experts"),
         moe_layers="first_k_dense", shared_expert="deepseek", prepare=_sarvam_prepare, defaults={
             # transformers 5.24 builds DeepseekV3ForCausalLM (modeling_deepseek_v3.py)
             "tie_word_embeddings": False, "attention_bias": False, "moe_layer_freq": 1, "first_k_dense_replace": 1,
             "n_shared_experts": 1, "n_routed_experts": 128, "num_experts_per_tok": 8, "moe_intermediate_size": 2048,
             "kv_lora_rank": 512, "q_lora_rank": None, "qk_rope_head_dim": 64, "qk_nope_head_dim": 128,
             "v_head_dim": 128, "vocab_size": 262144, "max_position_embeddings": 4096}),
    # Aria-text (modeling_aria.py): Llama attention; every layer a MoE of intermediate_size experts and one shared
    # MLP of moe_num_shared_experts x intermediate_size (with biases when mlp_bias), no gate
    _fam("aria_text", moe=True, experts_keys=("moe_num_experts",), expert_width_key="intermediate_size",
         shared_expert="deepseek", shared_count_key="moe_num_shared_experts", shared_bias=True, prepare=_aria_prepare,
         defaults={"tie_word_embeddings": False, "attention_bias": False, "mlp_bias": False, "moe_num_experts": 8,
                   "moe_num_shared_experts": 2, "intermediate_size": 4096, "max_position_embeddings": 2048}),
    _fam("jetmoe", moe=True, experts_keys=("num_local_experts",), expert_width_key="intermediate_size",
         prepare=_jetmoe_prepare, param_rule=_jetmoe_params,
         active_refusal="a mixture of attention heads: the idle attention experts are not subtracted", defaults={
             "tie_word_embeddings": True, "num_local_experts": 8, "num_experts_per_tok": 2,
             "max_position_embeddings": 4096}),
    _fam("doge", layer_pattern="all_sliding", param_rule=_doge_params, defaults={
        "tie_word_embeddings": False, "attention_bias": False, "mlp_bias": False, "sliding_window": None,
        "max_position_embeddings": 2048}),
    # Solar-Open (modeling_solar_open.py): Llama attention (q/k/v biases with attention_bias, none on o); every
    # layer GLM-4-MoE's MoE: routed experts and n_shared_experts x moe_intermediate_size shared
    _fam("solar_open", o_bias="never", moe=True, experts_keys=("n_routed_experts", "num_local_experts"),
         shared_expert="deepseek", defaults={
             "tie_word_embeddings": False, "attention_bias": False, "head_dim": 128, "n_shared_experts": 1,
             "n_routed_experts": 128, "num_experts_per_tok": 8, "moe_intermediate_size": 1280,
             "max_position_embeddings": 131072}),
    _fam("beam", qk_norm=True, attn_gate=True, norms_per_layer=4, moe=True, experts_keys=("num_experts",),
         moe_layers="first_k_dense", prepare=_beam_prepare, param_rule=_beam_params, defaults={
             "tie_word_embeddings": False, "attention_bias": False, "head_dim": 128, "sliding_window": 512,
             "num_experts": 256, "num_experts_per_tok": 8, "moe_intermediate_size": 2560,
             "max_position_embeddings": 8192}),
    # Flint (modeling_flint.py): Qwen3-MoE attention with one sink per head; MoE layers add an ungated shared MLP
    _fam("flint", qk_norm=True, attention_sinks=True, moe=True, experts_keys=("num_experts",), moe_layers="sparse_step",
         shared_expert="sized", shared_width_key="shared_expert_intermediate_size", prepare=_flint_prepare, defaults={
             "tie_word_embeddings": False, "attention_bias": False, "head_dim": 128, "sliding_window": 513,
             "num_experts": 256, "num_experts_per_tok": 6, "moe_intermediate_size": 512, "decoder_sparse_step": 1,
             "shared_expert_intermediate_size": 1024, "max_position_embeddings": 262144}),
    # Kolibri-1 (modeling_kolibri1.py): EXAONE-4 attention (q/k norms, no biases), GLM-4's four norms per layer,
    # every layer a MoE with an ungated shared MLP of shared_expert_intermediate_size
    _fam("kolibri1", qk_norm=True, qkv_bias="never", o_bias="never", norms_per_layer=4, moe=True,
         experts_keys=("num_experts",), shared_expert="sized", shared_width_key="shared_expert_intermediate_size",
         prepare=_kolibri_prepare, defaults={
             "tie_word_embeddings": False, "head_dim": 128, "sliding_window": 513, "num_experts": 384,
             "num_experts_per_tok": 6, "moe_intermediate_size": 512, "shared_expert_intermediate_size": 512,
             "max_position_embeddings": 262144}),
    _fam("deepseek_v4", moe=True, experts_keys=("n_routed_experts", "num_local_experts"), shared_expert="single",
         shared_bias=True,
         prepare=_v4_prepare, layer_rule=_v4_layers, param_rule=_v4_params,
         cache_refusal="compressed KV caches (CSA and HCA compressors, their indexer) beside a sliding window",
         defaults={"tie_word_embeddings": False, "attention_bias": False, "mlp_bias": False, "head_dim": 512,
                   "num_key_value_heads": 1, "q_lora_rank": 1024, "n_routed_experts": 256, "num_experts_per_tok": 6,
                   "moe_intermediate_size": 2048, "sliding_window": 128, "index_n_heads": 64, "index_head_dim": 128,
                   "index_topk": 512, "max_position_embeddings": 1048576}),
]}

#: model_type spellings that name a family of this table.
ALIASES: dict[str, str] = {"dots3_note": "dots3_note_text"}

#: model_types of this group vramlab refuses, with what it does not know about their blocks.
UNMODELLED: dict[str, str] = {}
