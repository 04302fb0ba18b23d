"""Family table: Hybrid and attention-free stacks with Mamba (state-space), short-convolution or linear-attention layers.

Each entry was read from transformers 5.24 (configuration_<family>.py defaults, modeling_<family>.py
blocks); ``tests/test_coverage.py`` checks every family against the model built on the meta device and
``tests/test_families_hybrid.py`` checks the parameters of other configs and the cache tensors (K/V,
conv and recurrent states) after a forward pass.

Mixer weights are counted under ``attention`` (the token-mixing part of a layer), their biases
under ``biases`` and their norms under ``norms``, as :mod:`vramlab.params` does for Jamba.

>>> from vramlab.families.hybrid import FAMILIES
>>> FAMILIES["mamba"].layer_rule({"hidden_size": 768, "intermediate_size": 1536, "state_size": 16, "conv_kernel": 4},
...                              1, "mamba")
[{'kind': 'mamba', 'conv_state': 6144, 'recurrent_state': 24576}]
"""

from __future__ import annotations

from typing import Any, Mapping

from ..errors import VramlabError, show
from .family import Family, config_bool, config_int

_bool = config_bool

_fam = Family


# -- reading the family's own fields ------------------------------------------------------------
def _int(cfg: Mapping[str, Any], key: str, mt: str, default: Any = None, minimum: int = 1) -> int:
    """An integer config field of the family (``default`` when absent or null), validated."""
    return config_int(cfg, key, default, minimum, model_type=mt)


def _is_count(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 1


def _types(cfg: Mapping[str, Any], n: int, mt: str, kinds: Mapping[str, str], key: str = "layer_types") -> list[str]:
    """The config's list of layer types, each read into one of ``kinds``' values."""
    types = cfg.get(key)
    if not isinstance(types, (list, tuple)) or len(types) != n:
        raise VramlabError(f"config field {key!r} of model_type {mt!r} must list {n} layer types "
                           f"(num_hidden_layers), got {show(types)}", field=key)
    bad = [t for t in types if not isinstance(t, str) or t not in kinds]
    if bad:
        raise VramlabError(f"config field {key!r} holds {show(bad[0])}, a layer type vramlab does not model for "
                           f"model_type {mt!r}; valid: {', '.join(kinds)}", field=key)
    return [kinds[t] for t in types]


# -- Mamba-1 mixers (transformers 5.24 modeling_mamba.py, modeling_falcon_mamba.py: MambaMixer) ---------
def _mamba1_dims(cfg: Mapping[str, Any], mt: str) -> dict[str, int]:
    """I = ``intermediate_size``, state N, conv kernel, dt rank R (``"auto"``: ceil(hidden / 16), MambaConfig)."""
    h = _int(cfg, "hidden_size", mt)
    rank = cfg.get("time_step_rank")
    rank = -(-h // 16) if rank in (None, "auto") else _int(cfg, "time_step_rank", mt)
    return {"inner": _int(cfg, "intermediate_size", mt), "state": _int(cfg, "state_size", mt),
            "kernel": _int(cfg, "conv_kernel", mt), "rank": rank}


def _mamba1_layers(cfg: Mapping[str, Any], n: int, mt: str) -> list[dict]:
    """Every layer a Mamba-1 mixer: conv state I x kernel, SSM state I x N (fp32), per sequence."""
    d = _mamba1_dims(cfg, mt)
    return [{"kind": "mamba", "conv_state": d["inner"] * d["kernel"], "recurrent_state": d["inner"] * d["state"]}] * n


def _mamba1_params(m: Any, c: Any, std: Any) -> None:
    """Embeddings, per layer an RMSNorm and a MambaMixer (in_proj h -> 2I, depthwise conv, x_proj
    I -> R + 2N, dt_proj R -> I with bias, A_log I x N, D, out_proj I -> h), the final norm."""
    h, n, cfg = m.hidden_size, m.num_layers, m.config
    d = _mamba1_dims(cfg, m.model_type)
    inner, state, kernel, rank = d["inner"], d["state"], d["kernel"], d["rank"]
    std.embeddings(m, c)
    c["attention"] += n * (2 * h * inner + inner * kernel + inner * (rank + 2 * state) + rank * inner
                           + inner * state + inner + inner * h)
    c["biases"] += n * (inner + inner * _bool(cfg, "use_conv_bias", True) + (2 * inner + h) * _bool(cfg, "use_bias", False))
    c["norms"] += (n + 1) * h


def _mamba_prepare(cfg: dict) -> None:
    """MambaConfig derives ``intermediate_size`` = expand x hidden (a file's own value wins: it is set after,
    as an extra attribute); no attention: one nominal head, no K/V."""
    if cfg.get("intermediate_size") is None and _is_count(cfg.get("hidden_size")) and _is_count(cfg.get("expand")):
        cfg["intermediate_size"] = cfg["expand"] * cfg["hidden_size"]
    cfg["num_attention_heads"] = cfg["num_key_value_heads"] = 1  # no attention layer reads them


# -- Mamba-2 mixers (transformers 5.24 modeling_mamba2.py Mamba2Mixer, modeling_bamba.py BambaMixer) -----
#: The Mamba-2 field names of each family: inner-width expand, heads, head width, groups, state, kernel,
#: conv bias, in/out projection bias (and their defaults where transformers has them).
_M2_KEYS = {
    "mamba2": ("expand", "num_heads", "head_dim", "n_groups", "state_size", "conv_kernel", "use_conv_bias", "use_bias"),
    "mamba": ("mamba_expand", "mamba_n_heads", "mamba_d_head", "mamba_n_groups", "mamba_d_state", "mamba_d_conv",
              "mamba_conv_bias", "mamba_proj_bias"),
}


def _mamba2_dims(cfg: Mapping[str, Any], mt: str, keys: str) -> dict[str, int]:
    """I = expand x hidden, heads H, head width P (H x P = I), groups G, state N, kernel; conv over I + 2 G N."""
    e, nh, hd, g, s, k, cb, pb = _M2_KEYS[keys]
    d = {"inner": _int(cfg, e, mt) * _int(cfg, "hidden_size", mt), "heads": _int(cfg, nh, mt),
         "head_dim": _int(cfg, hd, mt), "groups": _int(cfg, g, mt), "state": _int(cfg, s, mt),
         "kernel": _int(cfg, k, mt), "conv_bias": _bool(cfg, cb, True), "proj_bias": _bool(cfg, pb, False)}
    if d["heads"] * d["head_dim"] != d["inner"]:
        raise VramlabError(f"config of model_type {mt!r}: {nh} x {hd} ({d['heads']} x {d['head_dim']}) must equal "
                           f"{e} x hidden_size ({d['inner']}), as transformers requires", field=hd)
    d["conv"] = d["inner"] + 2 * d["groups"] * d["state"]
    return d


def _mamba2_layer(d: Mapping[str, int]) -> dict:
    """A Mamba-2 layer's state: conv input (I + 2 G N) x kernel, SSM state H x P x N (fp32)."""
    return {"kind": "mamba2", "conv_state": d["conv"] * d["kernel"],
            "recurrent_state": d["heads"] * d["head_dim"] * d["state"]}


def _mamba2_mixers(m: Any, c: Any, d: Mapping[str, int], n: int) -> None:
    """``n`` Mamba-2 mixers: in_proj h -> I + conv + H, depthwise conv, dt_bias, A_log and D per head,
    a gated RMSNorm of I, out_proj I -> h."""
    h = m.hidden_size
    proj = d["inner"] + d["conv"] + d["heads"]
    c["attention"] += n * (h * proj + d["conv"] * d["kernel"] + 3 * d["heads"] + d["inner"] * h)
    c["biases"] += n * (d["conv"] * d["conv_bias"] + (proj + h) * d["proj_bias"])
    c["norms"] += n * d["inner"]


def _mamba2_only_layers(cfg: Mapping[str, Any], n: int, mt: str) -> list[dict]:
    return [_mamba2_layer(_mamba2_dims(cfg, mt, "mamba2"))] * n


def _mamba2_params(m: Any, c: Any, std: Any) -> None:
    """Mamba2Model: embeddings, per layer an RMSNorm and a Mamba2Mixer, the final norm."""
    std.embeddings(m, c)
    _mamba2_mixers(m, c, _mamba2_dims(m.config, m.model_type, "mamba2"), m.num_layers)
    c["norms"] += (m.num_layers + 1) * m.hidden_size


def _mamba2_prepare(cfg: dict) -> None:
    """Mamba2Mixer's inner width is expand x hidden; ``num_heads`` (the SSM heads) stand for the heads."""
    if _is_count(cfg.get("hidden_size")) and _is_count(cfg.get("expand")):
        cfg["intermediate_size"] = cfg["expand"] * cfg["hidden_size"]
    cfg["num_key_value_heads"] = cfg.get("num_heads")  # no attention layer reads them


def _auto_head(cfg: dict) -> None:
    """BambaConfig / GraniteMoeHybridConfig: ``mamba_d_head`` ``"auto"`` is mamba_expand x hidden / mamba_n_heads."""
    if cfg.get("mamba_d_head") == "auto" and all(_is_count(cfg.get(k)) for k in ("mamba_expand", "hidden_size",
                                                                                    "mamba_n_heads")):
        cfg["mamba_d_head"] = cfg["mamba_expand"] * cfg["hidden_size"] // cfg["mamba_n_heads"]


# -- Bamba and Granite-4.0-H: attention or Mamba-2 per layer, then an MLP (or MoE) --------------------
_HYBRID_TYPES = {"linear_attention": "mamba2", "mamba": "mamba2", "full_attention": "full", "attention": "full"}


def _bamba_types(cfg: Mapping[str, Any], n: int, mt: str) -> list[str]:
    """BambaConfig.layers_block_type: attention at ``attn_layer_indices``, Mamba-2 elsewhere."""
    if cfg.get("layer_types") is not None:
        return _types(cfg, n, mt, _HYBRID_TYPES)
    at = cfg.get("attn_layer_indices") or []
    if not isinstance(at, (list, tuple)) or not all(isinstance(i, int) and not isinstance(i, bool) for i in at):
        raise VramlabError(f"config field 'attn_layer_indices' must be a list of layer indices, got {show(at)}",
                           field="attn_layer_indices")
    return ["full" if i in at else "mamba2" for i in range(n)]


def _granite_types(cfg: Mapping[str, Any], n: int, mt: str) -> list[str]:
    """GraniteMoeHybridConfig.layer_types (``"mamba"``/``"attention"`` remapped as transformers does);
    absent: every layer Mamba-2."""
    if cfg.get("layer_types") is None:
        return ["mamba2"] * n
    return _types(cfg, n, mt, _HYBRID_TYPES)


def _granite_prepare(cfg: dict) -> None:
    """``mamba_d_head`` ``"auto"``; no experts (``num_local_experts`` 0: Granite-4.0-H-Micro) means no router,
    so transformers reads no ``num_experts_per_tok``."""
    _auto_head(cfg)
    if cfg.get("num_local_experts") == 0:
        cfg["num_experts_per_tok"] = 0


def _hybrid_layers(types_of: Any) -> Any:
    def rule(cfg: Mapping[str, Any], n: int, mt: str) -> list[dict]:
        types = types_of(cfg, n, mt)
        state = _mamba2_layer(_mamba2_dims(cfg, mt, "mamba")) if "mamba2" in types else None
        return [state if t == "mamba2" else {"kind": "full"} for t in types]
    return rule


def _bamba_params(m: Any, c: Any, std: Any) -> None:
    """BambaDecoderLayer: input and pre-FF RMSNorms, attention (q/k/v/o, ``attention_bias``) or a
    BambaMixer, a gated MLP (``mlp_bias``); the final norm."""
    std.embeddings(m, c)
    std.attention(m, c)  # the attention layers' q/k/v/o
    n_ssm = sum(la.kind == "mamba2" for la in m.layers)
    if n_ssm:
        _mamba2_mixers(m, c, _mamba2_dims(m.config, m.model_type, "mamba"), n_ssm)
    std.mlp(m, c)
    std.norms(m, c)


def _granite_params(m: Any, c: Any, std: Any) -> None:
    """GraniteMoeHybridDecoderLayer: two RMSNorms, attention or a Mamba-2 mixer, the MoE (experts of
    ``intermediate_size``, a router; none when ``num_local_experts`` is 0) and the shared MLP
    (input_linear h -> 2 S, output_linear S -> h) in every layer."""
    h, n = m.hidden_size, m.num_layers
    std.embeddings(m, c)
    std.attention(m, c)
    n_ssm = sum(la.kind == "mamba2" for la in m.layers)
    if n_ssm:
        _mamba2_mixers(m, c, _mamba2_dims(m.config, m.model_type, "mamba"), n_ssm)
    shared = _int(m.config, "shared_intermediate_size", m.model_type, minimum=0)
    if m.is_moe:
        c["experts"] += n * m.num_experts * 3 * h * m.intermediate_size
        c["router"] += n * m.num_experts * h
        c["shared_experts"] += n * 3 * h * shared
    else:
        c["mlp"] += n * 3 * h * shared
    std.norms(m, c)


# -- LFM2 / LFM3: gated short convolutions between (gated) attention layers --------------------------
def _lfm_prepare(cfg: dict) -> None:
    """Lfm2Config reads ``block_ff_dim`` as ``intermediate_size`` and ``tie_embedding`` as
    ``tie_word_embeddings`` (the legacy names win, as the config class pops them)."""
    for old, new in (("block_ff_dim", "intermediate_size"), ("tie_embedding", "tie_word_embeddings")):
        if cfg.get(old) is not None:
            cfg[new] = cfg[old]


def _lfm_types(cfg: Mapping[str, Any], n: int, mt: str) -> list[str]:
    """``layer_types``; absent: Lfm2Config's ``full_attn_idxs`` (default: every layer attention),
    Lfm3Config's pattern (full at i % 4 == 2, sliding at i % 4 == 0 past layer 0, conv elsewhere)."""
    if cfg.get("layer_types") is not None:
        kinds = {"conv": "conv", "full_attention": "full"}
        return _types(cfg, n, mt, {**kinds, "sliding_attention": "sliding"} if mt == "lfm3" else kinds)
    if mt == "lfm3":
        return ["full" if i % 4 == 2 else "sliding" if i % 4 == 0 and i > 0 else "conv" for i in range(n)]
    idx = cfg.get("full_attn_idxs")
    idx = list(range(n)) if idx is None else idx
    if not isinstance(idx, (list, tuple)):
        raise VramlabError(f"config field 'full_attn_idxs' must be a list of layer indices, got {show(idx)}",
                           field="full_attn_idxs")
    return ["full" if i in idx else "conv" for i in range(n)]


def _lfm_layers(cfg: Mapping[str, Any], n: int, mt: str) -> list[dict]:
    """Short-conv layers keep the last ``conv_L_cache`` inputs of the h conv channels; attention K/V."""
    conv = {"kind": "conv", "conv_state": _int(cfg, "hidden_size", mt) * _int(cfg, "conv_L_cache", mt)}
    window = _int(cfg, "sliding_window", mt) if mt == "lfm3" and cfg.get("sliding_window") is not None else None
    out = []
    for t in _lfm_types(cfg, n, mt):
        if t == "sliding" and window is None:
            raise VramlabError("config has sliding_attention layers but no 'sliding_window'", field="sliding_window")
        out.append(conv if t == "conv" else {"kind": t, "window": window if t == "sliding" else None})
    return out


def _lfm2_width(cfg: Mapping[str, Any], mt: str) -> int:
    """Lfm2MLP's width: with ``block_auto_adjust_ff_dim``, 2/3 of it, times ``block_ffn_dim_multiplier``,
    rounded up to ``block_multiple_of``."""
    width = _int(cfg, "intermediate_size", mt)
    if not _bool(cfg, "block_auto_adjust_ff_dim", True):
        return width
    width = int(2 * width / 3)
    mult = cfg.get("block_ffn_dim_multiplier", 1.0)
    if mult is not None:
        if isinstance(mult, bool) or not isinstance(mult, (int, float)) or not mult > 0:
            raise VramlabError(f"config field 'block_ffn_dim_multiplier' must be a number > 0 or null, got "
                               f"{show(mult)}", field="block_ffn_dim_multiplier")
        step = _int(cfg, "block_multiple_of", mt, 256)
        width = step * ((int(mult * width) + step - 1) // step)
    return width


def _lfm_params(m: Any, c: Any, std: Any) -> None:
    """Lfm2/Lfm3DecoderLayer: operator and FFN RMSNorms (LFM3 sandwich norms: two more), a gated MLP
    (w1, w3, w2), and either a ShortConv (in_proj h -> 3h, depthwise conv of ``conv_L_cache``,
    out_proj h -> h; ``conv_bias``) or attention (q/k/v/o, per-head q/k RMSNorms; LFM3: ``attention_bias``
    and the per-head output gate g_proj h -> heads); the final ``embedding_norm``."""
    h, n, cfg, mt = m.hidden_size, m.num_layers, m.config, m.model_type
    n_att, n_conv = m.num_attention_layers, sum(la.kind == "conv" for la in m.layers)
    std.embeddings(m, c)
    q, kv = m.num_q_heads * m.head_dim, m.num_kv_heads * m.head_dim
    lfm3 = mt == "lfm3"
    c["attention"] += n_att * (2 * h * q + 2 * h * kv + h * m.num_q_heads * (lfm3 and _bool(cfg, "use_attention_gate", True)))
    c["biases"] += n_att * (q + 2 * kv + h) * (lfm3 and _bool(cfg, "attention_bias", False))
    c["norms"] += n_att * 2 * m.head_dim
    k = _int(cfg, "conv_L_cache", mt)
    c["attention"] += n_conv * (3 * h * h + h * k + h * h)
    c["biases"] += n_conv * 5 * h * _bool(cfg, "conv_bias", False)
    width = _int(cfg, "intermediate_size", mt) if lfm3 else _lfm2_width(cfg, mt)
    c["mlp"] += n * 3 * h * width
    c["norms"] += (n * (2 + 2 * (lfm3 and _bool(cfg, "use_sandwich_norm", True))) + 1) * h


# -- OLMo-Hybrid: Gated DeltaNet layers (separate q/k/v/a/b/g projections) and attention -------------
def _olmo_hybrid_prepare(cfg: dict) -> None:
    """OlmoHybridConfig.__post_init__: full attention at i % 4 == 3 (at least the last layer), Gated
    DeltaNet elsewhere; linear heads default to the attention heads, d_k to int(0.75 h / heads), d_v to 2 d_k.

    The Gated DeltaNet's q, k, v, g, a, b and o projections, conv and norm hold as many values as
    Qwen3-Next's fused in_proj_qkvz / in_proj_ba (transformers 5.24 modeling_olmo_hybrid.py), so the
    standard linear-attention step counts them.
    """
    n, h, heads = cfg.get("num_hidden_layers"), cfg.get("hidden_size"), cfg.get("num_attention_heads")
    if cfg.get("layer_types") is None and isinstance(n, int) and not isinstance(n, bool) and n >= 1:
        types = ["full_attention" if i % 4 == 3 else "linear_attention" for i in range(n)]
        if "full_attention" not in types:
            types[-1] = "full_attention"
        cfg["layer_types"] = types
    for key in ("linear_num_key_heads", "linear_num_value_heads"):
        if cfg.get(key) is None:
            cfg[key] = heads
    ok = all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in (h, cfg["linear_num_key_heads"]))
    if cfg.get("linear_key_head_dim") is None and ok:
        cfg["linear_key_head_dim"] = int(0.75 * h / cfg["linear_num_key_heads"])
    if cfg.get("linear_value_head_dim") is None and isinstance(cfg.get("linear_key_head_dim"), int):
        cfg["linear_value_head_dim"] = 2 * cfg["linear_key_head_dim"]


# -- Zamba / Zamba2: Mamba layers; "hybrid" layers add a shared attention + MLP block before theirs ------
#: Zamba2Config's layers_block_type when the config gives none (54 layers, whatever num_hidden_layers says).
_ZAMBA2_BLOCKS = (["linear_attention"] + (["linear_attention"] * 5 + ["hybrid"]) * 7 + ["linear_attention"] * 4
                  + ["hybrid"] + ["linear_attention"] * 3 + ["hybrid"] + ["linear_attention"] * 2)


def _zamba_prepare(cfg: dict) -> None:
    """ZambaConfig / Zamba2Config.__post_init__: the block list (ZambaConfig: two Mamba layers, a hybrid
    one, then hybrid where (i - 3) % attn_layer_period == attn_layer_offset), whose length is the depth
    transformers builds; the shared attention reads 2 h, its heads are 2 h / heads wide (``head_dim``
    here: the K/V width); Zamba2's MLP is 4 h wide unless given."""
    types, n = cfg.get("layers_block_type"), cfg.get("num_hidden_layers")
    if types is None and cfg.get("model_type") == "zamba2":
        types = list(_ZAMBA2_BLOCKS)
    elif types is None and isinstance(n, int) and not isinstance(n, bool) and n >= 3:
        per, off = cfg.get("attn_layer_period", 6), cfg.get("attn_layer_offset", 4)
        if _is_count(per) and isinstance(off, int) and not isinstance(off, bool) and off >= 0:
            types = ["linear_attention"] * 2 + ["hybrid"] + [
                "hybrid" if i % per == off else "linear_attention" for i in range(n - 3)]
    if isinstance(types, (list, tuple)):
        cfg["layers_block_type"], cfg["num_hidden_layers"] = list(types), len(types)
    h, heads = cfg.get("hidden_size"), cfg.get("num_attention_heads")
    if all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in (h, heads)):
        cfg["head_dim"] = cfg.get("attention_head_dim") or 2 * h // heads
        if cfg.get("model_type") == "zamba2" and cfg.get("intermediate_size") is None:
            cfg["intermediate_size"] = 4 * h
    cfg["num_key_value_heads"] = cfg.get("num_key_value_heads") or heads


def _zamba_dims(cfg: Mapping[str, Any], mt: str) -> dict[str, int]:
    """The Mamba mixer: Zamba's Mamba-1 with ``n_mamba_heads`` (x_proj, dt_proj per head: as many values as
    one Mamba-1 mixer of I channels), Zamba2's Mamba-2 (I / ``n_mamba_heads`` wide heads, conv bias always)."""
    h = _int(cfg, "hidden_size", mt)
    inner, heads = _int(cfg, "mamba_expand", mt) * h, _int(cfg, "n_mamba_heads", mt)
    if inner % heads:
        raise VramlabError(f"config field 'n_mamba_heads' ({heads}) must divide mamba_expand x hidden_size ({inner})",
                           field="n_mamba_heads")
    d = {"inner": inner, "heads": heads, "head_dim": inner // heads, "state": _int(cfg, "mamba_d_state", mt),
         "kernel": _int(cfg, "mamba_d_conv", mt)}
    if mt == "zamba":
        rank = cfg.get("mamba_dt_rank")
        d["rank"] = -(-h // 16) if rank in (None, "auto") else _int(cfg, "mamba_dt_rank", mt)
        return d
    d.update(groups=_int(cfg, "mamba_ngroups", mt), conv_bias=True, proj_bias=_bool(cfg, "add_bias_linear", False))
    d["conv"] = inner + 2 * d["groups"] * d["state"]
    return d


def _zamba_layers(cfg: Mapping[str, Any], n: int, mt: str) -> list[dict]:
    """Every layer keeps its Mamba state; a hybrid layer also caches the shared attention's K/V."""
    kinds = {"linear_attention": "ssm", "mamba": "ssm", "hybrid": "hybrid"}
    types = _types(cfg, n, mt, kinds, key="layers_block_type")
    d = _zamba_dims(cfg, mt)
    if mt == "zamba":
        state = {"kind": "mamba", "conv_state": d["inner"] * d["kernel"], "recurrent_state": d["inner"] * d["state"]}
    else:
        state = _mamba2_layer(d)
    return [state if t == "ssm" else {**state, "kind": "full"} for t in types]


def _zamba_params(m: Any, c: Any, std: Any) -> None:
    """ZambaModel / Zamba2Model: a Mamba layer (RMSNorm + mixer) in every layer; per hybrid layer an h x h
    linear; the shared blocks (Zamba: one; Zamba2: ``num_mem_blocks``; untied: one per hybrid layer) of attention over 2 h (q/k/v from
    2 h, o to h), a gated MLP, RMSNorms of 2 h and h; Zamba2's per-hybrid-layer LoRA adapters (MLP gate_up,
    and q/k/v with ``use_shared_attention_adapter``); the final norm. Tied blocks count once."""
    h, n, cfg, mt = m.hidden_size, m.num_layers, m.config, m.model_type
    d = _zamba_dims(cfg, mt)
    std.embeddings(m, c)
    if mt == "zamba":
        inner, state, kernel, rank = d["inner"], d["state"], d["kernel"], d["rank"]
        c["attention"] += n * (2 * h * inner + inner * kernel + inner * (rank + 2 * state) + rank * inner
                               + inner * state + inner + inner * h)
        proj = _bool(cfg, "mamba_proj_bias", False)
        c["biases"] += n * (inner + inner * _bool(cfg, "mamba_conv_bias", True) + (2 * inner + h) * proj)
    else:
        _mamba2_mixers(m, c, d, n)
    c["norms"] += (n + 1) * h
    hybrid = m.num_attention_layers
    if not hybrid:
        return
    c["attention"] += hybrid * h * h  # the linear after each shared block
    att_in = _int(cfg, "attention_hidden_size", mt, 2 * h)
    # transformers 5.24 ties the blocks (modeling_utils get_expanded_tied_weights_keys) only when
    # tie_word_embeddings is true; untied, every hybrid layer holds a block of its own
    mem = 1 if mt == "zamba" else _int(cfg, "num_mem_blocks", mt, 1)
    ids = [j % mem for j in range(min(hybrid, mem) if m.tie_word_embeddings else hybrid)]  # block_id of each block
    q, kv, width = m.num_q_heads * m.head_dim, m.num_kv_heads * m.head_dim, m.intermediate_size
    c["attention"] += len(ids) * (att_in * (q + 2 * kv) + q * h)
    c["mlp"] += len(ids) * 3 * h * width
    c["norms"] += len(ids) * (att_in + h)
    if mt == "zamba2":
        c["biases"] += len(ids) * (2 * width + h) * _bool(cfg, "add_bias_linear", False)
        # a block with block_id b holds an adapter for each hybrid layer i with i % num_mem_blocks == b
        adapters = sum(sum(i % mem == b for i in range(hybrid)) for b in ids)
        r = _int(cfg, "adapter_rank", mt, 128)
        c["mlp"] += adapters * r * (h + 2 * width)
        c["attention"] += adapters * 3 * r * 4 * h * _bool(cfg, "use_shared_attention_adapter", False)


# -- Kimi Linear and Bailing (Ring-2.5) hybrids: Kimi Delta Attention layers between MLA layers, DeepSeek MoE ----
def _kda_prepare(cfg: dict) -> None:
    """KimiLinearConfig / BailingHybridConfig: their attribute_map names (``num_experts``,
    ``num_experts_per_token``, ``num_shared_experts``, ``model_max_length``); no tied head (their
    ``_tied_weights_keys`` are empty). Kimi: the checkpoint's ``linear_attn_config`` (head_dim, num_heads,
    short_conv_kernel_size; 1-indexed full_attn_layers / kda_layers) over the flat fields, else full attention
    where i and i % 4 == 0. Bailing: KDA heads are the attention heads of ``head_dim`` (the MLA head width is
    nope + rope), the conv ``short_conv_kernel_size``, full attention every ``layer_group_size``-th layer.
    MoE from ``first_k_dense_replace`` (Kimi 1, Bailing 2) on unless ``mlp_layer_types`` says otherwise."""
    for alias, key in (("num_experts_per_token", "num_experts_per_tok"), ("num_shared_experts", "n_shared_experts"),
                       ("model_max_length", "max_position_embeddings")):
        if cfg.get(alias) is not None:
            cfg[key] = cfg[alias]
    cfg["tie_word_embeddings"] = False
    kimi, n = cfg.get("model_type") == "kimi_linear", cfg.get("num_hidden_layers")
    sub = cfg.get("linear_attn_config") or {} if kimi else {}
    if not isinstance(sub, Mapping):
        raise VramlabError(f"config field 'linear_attn_config' must be an object, got {show(sub)}",
                           field="linear_attn_config")
    for key, flat in (("head_dim", "linear_head_dim"), ("num_heads", "linear_num_heads"),
                      ("short_conv_kernel_size", "linear_conv_kernel_dim")):
        if (sub if kimi else cfg).get(key) is not None and (kimi or cfg.get(flat) is None):
            cfg[flat] = (sub if kimi else cfg)[key]  # Bailing: a saved linear_* field wins (set after __post_init__)
    if not kimi:
        cfg["linear_num_heads"] = cfg.get("linear_num_heads") or cfg.get("num_attention_heads")
        cfg.pop("head_dim", None)
    if not _is_count(n):
        return
    if cfg.get("layer_types") is None and "full_attn_layers" in sub and "kda_layers" in sub:
        types: list = [None] * n
        for key, kind in (("full_attn_layers", "full_attention"), ("kda_layers", "linear_attention")):
            for i in sub[key] if isinstance(sub[key], (list, tuple)) else ():
                if isinstance(i, int) and 1 <= i <= n:
                    types[i - 1] = kind
        cfg["layer_types"] = types
    elif cfg.get("layer_types") is None:
        group = _int(cfg, "layer_group_size", "bailing_hybrid", 6) if not kimi else 0
        full = (lambda i: i and i % 4 == 0) if kimi else (lambda i: (i + 1) % group == 0)
        cfg["layer_types"] = ["full_attention" if full(i) else "linear_attention" for i in range(n)]
    mlp = cfg.get("mlp_layer_types")
    if mlp is None:
        k = cfg.get("first_k_dense_replace", 1 if kimi else 2)
        mlp = ["dense" if i < k else "sparse" for i in range(n)] if isinstance(k, int) else None
    types = _types({"mlp_layer_types": mlp}, n, str(cfg.get("model_type")), {"dense": 0, "sparse": 1},
                   key="mlp_layer_types")
    cfg["moe_layers"] = [i for i, t in enumerate(types) if t]


def _kda_layers(cfg: Mapping[str, Any], n: int, mt: str) -> list[dict]:
    """KDA layers keep the conv input of q, k and v (3 x heads x d per channel, kernel positions) and one
    d x d state per head (fp32); the MLA layers their latent and RoPE key per token."""
    heads, d = _int(cfg, "linear_num_heads", mt), _int(cfg, "linear_head_dim", mt)
    kda = {"kind": "kda", "conv_state": 3 * heads * d * _int(cfg, "linear_conv_kernel_dim", mt),
           "recurrent_state": heads * d * d}
    return [kda if t == "kda" else {"kind": "full"} for t in _types(
        cfg, n, mt, {"full_attention": "full", "linear_attention": "kda"})]


def _kda_params(m: Any, c: Any, std: Any) -> None:
    """Two RMSNorms per layer, MLA (the standard step; Bailing: and a per-head output gate g_proj h -> H) or
    Kimi Delta Attention (q/k/v projections, a conv over them, a forget gate with dt_bias and A_log per head,
    b_proj h -> H, an output gate, a gated RMSNorm of d, o_proj; Kimi: forget and output gates of rank d,
    Bailing: full h -> H d), then a dense MLP or the MoE (routed experts, a router, ``n_shared_experts``
    shared experts; the router's correction bias is a buffer). transformers 5.24 modeling_kimi_linear.py,
    modeling_bailing_hybrid.py."""
    h, cfg, mt = m.hidden_size, m.config, m.model_type
    n = sum(la.kind == "kda" for la in m.layers)
    heads, d, k = (_int(cfg, key, mt) for key in ("linear_num_heads", "linear_head_dim", "linear_conv_kernel_dim"))
    qkv = heads * d
    gates = 2 * (h * d + d * qkv) if mt == "kimi_linear" else 2 * h * qkv  # forget gate and output gate
    std.embeddings(m, c)
    std.attention(m, c)
    c["attention"] += m.num_attention_layers * h * m.num_q_heads * (mt == "bailing_hybrid")
    c["attention"] += n * (3 * h * qkv + 3 * qkv * k + gates + qkv + heads + h * heads + qkv * h)
    c["norms"] += n * d
    std.mlp(m, c)
    std.norms(m, c)


def _own(defaults: Mapping[str, Any], then: Any = None) -> Any:
    """A ``prepare`` filling the transformers defaults of fields vramlab's field table does not hold
    (the family's own names, absent or null), then running ``then``."""
    def prepare(cfg: dict) -> None:
        for k, v in defaults.items():
            if cfg.get(k) is None:
                cfg[k] = v
        if then is not None:
            then(cfg)
    return prepare


_MAMBA = {"state_size": 16, "expand": 2, "time_step_rank": "auto"}  # MambaConfig, FalconMambaConfig
_BAMBA_M2 = {"mamba_n_heads": 128, "mamba_n_groups": 1, "mamba_d_state": 256, "mamba_d_conv": 4, "mamba_expand": 2,
             "mamba_conv_bias": True, "mamba_proj_bias": False}
FAMILIES: dict[str, Family] = {f.model_type: f for f in [
    _fam("mamba", prepare=_own(_MAMBA, _mamba_prepare), param_rule=_mamba1_params, layer_rule=_mamba1_layers,
         defaults={"tie_word_embeddings": True, "conv_kernel": 4, "use_bias": False, "use_conv_bias": True}),
    _fam("falcon_mamba", prepare=_own(_MAMBA, _mamba_prepare), param_rule=_mamba1_params, layer_rule=_mamba1_layers,
         defaults={"tie_word_embeddings": True, "conv_kernel": 4, "use_bias": False, "use_conv_bias": True}),
    _fam("mamba2", prepare=_own({"num_heads": 128, "state_size": 128, "expand": 2}, _mamba2_prepare),
         param_rule=_mamba2_params, layer_rule=_mamba2_only_layers, defaults={
             "tie_word_embeddings": False, "head_dim": 64, "conv_kernel": 4, "n_groups": 8, "use_bias": False,
             "use_conv_bias": True}),
    _fam("bamba", prepare=_own({"mamba_d_head": "auto"}, _auto_head), param_rule=_bamba_params,
         layer_rule=_hybrid_layers(_bamba_types), defaults={
             **_BAMBA_M2, "tie_word_embeddings": False, "attention_bias": False, "mlp_bias": False,
             "max_position_embeddings": 262144}),
    _fam("granitemoehybrid", prepare=_own({"mamba_d_head": "auto"}, _granite_prepare), param_rule=_granite_params,
         layer_rule=_hybrid_layers(_granite_types), experts_keys=("num_local_experts",),
         expert_width_key="intermediate_size", defaults={
             **_BAMBA_M2, "tie_word_embeddings": False, "attention_bias": False, "max_position_embeddings": 2048,
             "num_local_experts": 8, "num_experts_per_tok": 2, "shared_intermediate_size": 1024}),
    _fam("lfm2", prepare=_own({"conv_L_cache": 3}, _lfm_prepare), param_rule=_lfm_params, layer_rule=_lfm_layers,
         defaults={"tie_word_embeddings": True, "max_position_embeddings": 128000}),
    _fam("lfm3", prepare=_own({"conv_L_cache": 7}, _lfm_prepare), param_rule=_lfm_params, layer_rule=_lfm_layers,
         defaults={"tie_word_embeddings": True, "max_position_embeddings": 128000, "head_dim": 128,
                   "sliding_window": 256, "attention_bias": False}),
    _fam("olmo_hybrid", prepare=_olmo_hybrid_prepare, qk_norm=True, qk_norm_kind="full",
         layer_kinds={"linear_attention": "linear"}, defaults={
             "tie_word_embeddings": False, "attention_bias": False, "max_position_embeddings": 65536,
             "linear_conv_kernel_dim": 4}),
    _fam("zamba", prepare=_own({"n_mamba_heads": 2, "mamba_dt_rank": "auto"}, _zamba_prepare),
         param_rule=_zamba_params, layer_rule=_zamba_layers, defaults={
             "tie_word_embeddings": True, "max_position_embeddings": 4096, "num_key_value_heads": 16, "attn_layer_period": 6,
             "attn_layer_offset": 4, "mamba_d_state": 16, "mamba_d_conv": 4, "mamba_expand": 2,
             "mamba_conv_bias": True, "mamba_proj_bias": False}),
    _fam("zamba2", prepare=_own({"n_mamba_heads": 8, "mamba_ngroups": 1}, _zamba_prepare),
         param_rule=_zamba_params, layer_rule=_zamba_layers, defaults={
             "tie_word_embeddings": True, "max_position_embeddings": 4096, "mamba_d_state": 64, "mamba_d_conv": 4,
             "mamba_expand": 2}),
    *[_fam(mt, layout="mla", prepare=_own(own, _kda_prepare), param_rule=_kda_params, layer_rule=_kda_layers,
           moe=True, experts_keys=("num_experts", "num_local_experts"), moe_layers="interleave", shared_expert="deepseek",
           defaults={"tie_word_embeddings": False, "attention_bias": False, "q_lora_rank": None, "n_shared_experts": 1,
                     "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "v_head_dim": 128, "kv_lora_rank": 512, **dflt})
      for mt, own, dflt in [
          ("kimi_linear", {"linear_head_dim": 128, "linear_num_heads": 32}, {
              "max_position_embeddings": 1048576, "num_local_experts": 256, "num_experts_per_tok": 8,
              "moe_intermediate_size": 1024, "linear_conv_kernel_dim": 4}),
          ("bailing_hybrid", {"short_conv_kernel_size": 4, "layer_group_size": 6}, {
              "max_position_embeddings": 262144, "num_local_experts": 512, "num_experts_per_tok": 8,
              "moe_intermediate_size": 768, "head_dim": 128, "first_k_dense_replace": 2})]],
]}

#: model_type spellings that name a family of this table.
ALIASES: dict[str, str] = {}

#: model_types of this group vramlab refuses, with what it does not know about their blocks.
UNMODELLED: dict[str, str] = {}
