"""Family table: Mixture-of-experts decoders beyond the core table.

Each entry was read from transformers 5.24 (configuration_<family>.py defaults, modeling_<family>.py
blocks); ``tests/test_coverage.py`` checks every family against the model built on the meta device
and ``tests/test_families_moe.py`` checks other configs of each family and their caches.

Many of these families say per layer whether its MLP is dense or a mixture of experts
(``mlp_layer_types``: ``"dense"`` / ``"sparse"``), and which attention it runs (``layer_types``).
Their ``prepare`` hooks derive both lists as the transformers config class does when a
config.json omits them, then read the MoE layers into the ``moe_layers`` list of the
``"interleave"`` rule (:func:`vramlab.params.moe_layer_indices`).
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Callable

from ..errors import VramlabError, show
from ..fields import check_field
from .family import Family, config_int

_fam = Family


# -- config helpers: prepare hooks read fields before vramlab.fields validates them ---------------------------------
def _int(cfg: dict, key: str, minimum: int = 0, maximum: int = 10**8) -> int:
    """A config integer read by a prepare hook, normalised in place (``4096.0`` -> ``4096``)."""
    cfg[key] = config_int(cfg, key, None, minimum, maximum)
    return cfg[key]


def _layers(cfg: dict) -> int | None:
    """num_hidden_layers when it is a valid integer (else None: spec refuses it, naming the field)."""
    try:
        return _int(cfg, "num_hidden_layers", 1, 10_000)
    except VramlabError:
        return None


def _str_list(cfg: dict, key: str, n: int, valid: tuple[str, ...]) -> list[str]:
    v = cfg.get(key)
    if not isinstance(v, list) or len(v) != n or any(t not in valid for t in v):
        raise VramlabError(f"config field {key!r} must list {n} layers (num_hidden_layers), each one of "
                           f"{', '.join(valid)}; got {show(v)}", field=key)
    return v


def _moe_from_mlp_types(cfg: dict, default: Callable[[int], list[str]]) -> None:
    """``mlp_layer_types`` (derived by ``default(n)`` when absent, as the config class does) into ``moe_layers``."""
    n = _layers(cfg)
    if n is None:
        return
    if cfg.get("mlp_layer_types") is None:
        cfg["mlp_layer_types"] = default(n)
    types = _str_list(cfg, "mlp_layer_types", n, ("dense", "sparse"))
    cfg["moe_layers"] = [i for i, t in enumerate(types) if t == "sparse"]


def _first_dense(k: int) -> Callable[[int], list[str]]:
    return lambda n: ["dense" if i < k else "sparse" for i in range(n)]


def _layer_types(cfg: dict, full: Callable[[int], bool]) -> None:
    """``layer_types`` derived as the config class does when absent: full attention where ``full(i)``."""
    n = _layers(cfg)
    if n is not None and cfg.get("layer_types") is None:
        cfg["layer_types"] = ["full_attention" if full(i) else "sliding_attention" for i in range(n)]


def _moe_layer_list(m: Any) -> list[int]:
    """The MoE layers of a family of the ``"interleave"`` rule whose prepare hook listed them in ``moe_layers``."""
    return sorted(i for i in set(m.config.get("moe_layers") or ()) if i < m.num_layers)


def _c(m: Any, key: str, default: Any = None) -> Any:
    v = m.config.get(key)
    return default if v is None else v


# -- AFMoE (Arcee): gated attention, q/k norms, four norms per layer, a dense prefix ----------------------------
def _afmoe_prepare(cfg: dict) -> None:
    """transformers 5.24 configuration_afmoe.py: ``num_dense_layers`` dense layers first; layer_types full on every
    ``global_attn_every_n_layers``-th layer, sliding elsewhere."""
    cfg["first_k_dense_replace"] = _int(cfg, "num_dense_layers", 0, 10_000)
    every = _int(cfg, "global_attn_every_n_layers", 1, 10_000)
    _layer_types(cfg, lambda i: (i + 1) % every == 0)


# -- A.X-K1 (SK Telecom): DeepSeek-V3 MLA and MoE, plus a norm after each MoE block ------------------------------
def _mla_prepare(cfg: dict, alias: bool) -> None:
    """MLA configs: transformers sets ``head_dim`` to ``qk_rope_head_dim`` itself (``alias`` false) or reads
    ``head_dim`` as that field (``alias`` true), so the spec's MLA head width (qk_nope + qk_rope) is derived."""
    hd = cfg.pop("head_dim", None)
    if alias and hd is not None and hd != cfg.get("qk_rope_head_dim"):
        raise VramlabError(f"config field 'head_dim' ({show(hd)}) must equal 'qk_rope_head_dim' "
                           f"({show(cfg.get('qk_rope_head_dim'))}) for an MLA model: transformers reads it as the "
                           "RoPE key width", field="head_dim")


def _axk1_prepare(cfg: dict) -> None:
    """transformers 5.24 configuration_axk1.py: mlp_layer_types from the legacy first_k_dense_replace (1) and
    moe_layer_freq (1); modeling_axk1.py always builds the query LoRA."""
    _mla_prepare(cfg, alias=False)
    if cfg.get("q_lora_rank") is None:
        raise VramlabError("config of model_type 'axk1' has 'q_lora_rank' null; A.X-K1 always compresses the "
                           "queries (valid: an integer >= 1, 1536 in the released checkpoints)", field="q_lora_rank")
    k = _int(cfg, "first_k_dense_replace", 0, 10_000) if cfg.get("first_k_dense_replace") is not None else 1
    freq = _int(cfg, "moe_layer_freq", 1, 10_000) if cfg.get("moe_layer_freq") is not None else 1
    _moe_from_mlp_types(cfg, lambda n: ["sparse" if i >= k and i % freq == 0 else "dense" for i in range(n)])


def _axk1_params(m: Any, c: Counter, std: Any) -> None:
    """transformers 5.24 modeling_axk1.py: DeepSeek-V3's blocks, and AXK1MoE's post_mlp_layernorm (h)."""
    for step in (std.embeddings, std.attention, std.mlp, std.norms):
        step(m, c)
    c["norms"] += len(_moe_layer_list(m)) * m.hidden_size


# -- Cohere-2 MoE: one LayerNorm per layer, a dense prefix of its own width and window pattern ---------------------
def _cohere2_moe_prepare(cfg: dict) -> None:
    """transformers 5.24 configuration_cohere2_moe.py: ``first_k_dense_replace`` (0) dense layers first, with their
    own sliding pattern; modeling_cohere2_moe.py: the dense MLP is ``prefix_dense_intermediate_size`` wide (null:
    intermediate_size)."""
    k = _int(cfg, "first_k_dense_replace", 0, 10_000) if cfg.get("first_k_dense_replace") is not None else 0
    pre = _int(cfg, "prefix_dense_sliding_window_pattern", 1, 10_000)
    rest = cfg.get("sliding_window_pattern")
    if isinstance(rest, int) and not isinstance(rest, bool) and rest >= 1:  # else FIELDS refuses it
        _layer_types(cfg, lambda i: (i + 1) % pre == 0 if i < k else (i - k + 1) % rest == 0)
    _moe_from_mlp_types(cfg, _first_dense(k))
    if cfg.get("prefix_dense_intermediate_size") is None:
        cfg["prefix_dense_intermediate_size"] = cfg.get("intermediate_size")
    if cfg.get("prefix_dense_intermediate_size") is not None:
        _int(cfg, "prefix_dense_intermediate_size", 1)


# -- EXAONE-MoE (LG): q/k norms, DeepSeek-style shared experts, dense first layer ----------------------------------
def _exaone_moe_prepare(cfg: dict) -> None:
    """transformers 5.24 configuration_exaone_moe.py: mlp_layer_types from first_k_dense_replace; layer_types
    full on every ``sliding_window_pattern``-th layer (all full without a window)."""
    k = _int(cfg, "first_k_dense_replace", 0, 10_000)
    _moe_from_mlp_types(cfg, _first_dense(k))
    p = cfg.get("sliding_window_pattern")
    if isinstance(p, str) and cfg.get("layer_types") is not None:  # "LLLG" beside layer_types: the list is read
        cfg.pop("sliding_window_pattern")
    if cfg.get("sliding_window") is None:
        _layer_types(cfg, lambda i: True)
    elif isinstance(p, int) and not isinstance(p, bool) and p >= 1:  # a string pattern: FIELDS refuses it
        _layer_types(cfg, lambda i: (i + 1) % p == 0)


def _glm4_moe_lite_prepare(cfg: dict) -> None:
    """transformers 5.24 configuration_glm4_moe_lite.py: the first layer dense, MoE from the second on;
    ``head_dim`` is an alias of ``qk_rope_head_dim``."""
    _mla_prepare(cfg, alias=True)
    _moe_from_mlp_types(cfg, _first_dense(1))


def _granitemoe_swa_prepare(cfg: dict) -> None:
    """transformers 5.24 configuration_granitemoe_swa.py: full attention on layers 0, 4, 8, ..., sliding elsewhere."""
    _layer_types(cfg, lambda i: i % 4 == 0)


def _hy_v3_prepare(cfg: dict) -> None:
    """transformers 5.24 configuration_hy_v3.py: the first layer dense, MoE from the second on."""
    _moe_from_mlp_types(cfg, _first_dense(1))


# -- Laguna (poolside): a query head count per layer, a gate per head, q/k norms ------------------------------------
def _laguna_prepare(cfg: dict) -> None:
    """transformers 5.24 configuration_laguna.py: layer_types all full, the first layer dense, and
    ``num_attention_heads_per_layer`` (null: num_attention_heads on every layer)."""
    _layer_types(cfg, lambda i: True)
    _moe_from_mlp_types(cfg, _first_dense(1))
    gating = cfg.get("gating")
    if gating is not None and not isinstance(gating, (bool, str)):
        raise VramlabError(f"config field 'gating' must be true, false or a string such as \"per-head\", got "
                           f"{show(gating)}", field="gating")
    n, heads = _layers(cfg), cfg.get("num_attention_heads_per_layer")
    if n is None or heads is None:
        return
    kv = cfg.get("num_key_value_heads") or cfg.get("num_attention_heads")
    ok = isinstance(heads, list) and len(heads) == n and all(
        isinstance(h, int) and not isinstance(h, bool) and h >= 1 for h in heads)
    if not ok or (isinstance(kv, int) and any(h % kv for h in heads)):
        raise VramlabError(f"config field 'num_attention_heads_per_layer' must list {n} query head counts "
                           f"(num_hidden_layers), each a multiple of num_key_value_heads ({show(kv)}); got "
                           f"{show(heads)}", field="num_attention_heads_per_layer")


def _laguna_params(m: Any, c: Counter, std: Any) -> None:
    """transformers 5.24 modeling_laguna.py LagunaAttention: q/o of the layer's own head count, k/v of
    num_key_value_heads, per-head q/k RMSNorms and g_proj (h -> heads for ``gating`` true or "per-head",
    else h -> heads x d_head); the MLP, MoE and norms are the standard ones."""
    std.embeddings(m, c)
    std.mlp(m, c)
    std.norms(m, c)
    h, hd, kv = m.hidden_size, m.head_dim, m.num_kv_heads
    heads = _c(m, "num_attention_heads_per_layer") or [m.num_q_heads] * m.num_layers
    gating = _c(m, "gating", True)
    per_head = gating is True or gating == "per-head"
    bias = bool(_c(m, "attention_bias", False))
    for nq in heads:
        c["attention"] += 2 * h * nq * hd + 2 * h * kv * hd + h * (nq if per_head else nq * hd)
        c["norms"] += 2 * hd
        c["biases"] += bias * (nq * hd + 2 * kv * hd + h)


# -- MiniMax-M3 (text model of MiniMax-M3-VL): dense/MoE per layer, Lightning-indexer sparse attention layers ----------
_M3_LEGACY_INDEX = {"index_n_heads": "sparse_num_index_heads", "index_head_dim": "sparse_index_dim",
                    "index_block_size": "sparse_block_size", "index_topk_blocks": "sparse_topk_blocks",
                    "index_local_blocks": "sparse_local_block"}


def _minimax_m3_prepare(cfg: dict) -> None:
    """transformers 5.24 configuration_minimax_m3_vl.py MiniMaxM3VLTextConfig: the legacy
    ``sparse_attention_config`` names the indexer sizes and its ``sparse_attention_freq`` the sparse layers; the
    legacy ``moe_layer_freq`` list the MoE layers (else every layer is MoE)."""
    sparse = cfg.get("sparse_attention_config") or {}
    if not isinstance(sparse, dict):
        raise VramlabError(f"config field 'sparse_attention_config' must be a JSON object, got {show(sparse)}",
                           field="sparse_attention_config")
    for flat, legacy in _M3_LEGACY_INDEX.items():
        if legacy in sparse:
            cfg[flat] = sparse[legacy]
    if cfg.get("layer_types") is None and sparse.get("sparse_attention_freq") is not None:
        freq = sparse["sparse_attention_freq"]
        if not isinstance(freq, list):
            raise VramlabError(f"config field 'sparse_attention_config.sparse_attention_freq' must be a list of 0/1 "
                               f"per layer, got {show(freq)}", field="sparse_attention_config")
        cfg["layer_types"] = ["minimax_m3_sparse" if f else "full_attention" for f in freq]
    _layer_types(cfg, lambda i: True)
    freq = cfg.pop("moe_layer_freq", None)  # transformers pops the legacy list (FIELDS reads an integer there)
    if cfg.get("mlp_layer_types") is None and freq is not None:
        if not isinstance(freq, list):
            raise VramlabError(f"config field 'moe_layer_freq' must be a list of 0/1 per layer for minimax_m3_vl, "
                               f"got {show(freq)}", field="moe_layer_freq")
        cfg["mlp_layer_types"] = ["sparse" if f else "dense" for f in freq]
    _moe_from_mlp_types(cfg, lambda n: ["sparse"] * n)
    if cfg.get("dense_intermediate_size") is not None:
        _int(cfg, "dense_intermediate_size", 1)


def _minimax_m3_params(m: Any, c: Counter, std: Any) -> None:
    """transformers 5.24 modeling_minimax_m3_vl.py: the standard blocks, and on each ``minimax_m3_sparse`` layer
    the MiniMaxM3VLIndexer: q_proj h -> index_n_heads x index_head_dim, k_proj h -> index_head_dim and two
    index_head_dim RMSNorms."""
    for step in (std.embeddings, std.attention, std.mlp, std.norms):
        step(m, c)
    sparse = sum(la.index_keys > 0 for la in m.layers)
    n_i, d_i = int(_c(m, "index_n_heads", 0)), int(_c(m, "index_head_dim", 0))
    c["attention"] += sparse * (m.hidden_size * n_i * d_i + m.hidden_size * d_i)
    c["norms"] += sparse * 2 * d_i


# -- prepare hooks of the core table's DeepSeek-V2 and GLM-4-MoE entries (vramlab/families/core.py) -------------------
def deepseek_v2_prepare(cfg: dict) -> None:
    """transformers 5.24 modeling_deepseek_v2.py: every layer from ``first_k_dense_replace`` on is MoE (the config's
    ``moe_layer_freq`` is not read); configuration_deepseek_v2.py sets ``head_dim`` to ``qk_rope_head_dim``."""
    _mla_prepare(cfg, alias=False)
    cfg.pop("moe_layer_freq", None)


def glm4_moe_prepare(cfg: dict) -> None:
    """transformers 5.24 modeling_glm4_moe.py: ``head_dim`` absent (Glm4MoeConfig has no such field) is
    ``hidden_size // num_attention_heads``, rounded down (42 for the class default 4096 / 96); every layer from
    ``first_k_dense_replace`` on is MoE (``moe_layer_freq`` is not read)."""
    cfg.pop("moe_layer_freq", None)
    if cfg.get("head_dim") is None:
        hidden, heads = (check_field(k, cfg[k]) if cfg.get(k) is not None else None
                         for k in ("hidden_size", "num_attention_heads"))
        if hidden is not None and heads is not None:
            cfg["head_dim"] = hidden // heads


# Defaults: transformers 5.24 configuration_<family>.py signatures.
FAMILIES: dict[str, Family] = {f.model_type: f for f in [
    _fam("afmoe", norms_per_layer=4, qk_norm=True, attn_gate=True, moe=True, experts_keys=("num_experts",),
         moe_layers="first_k_dense", shared_expert="deepseek", shared_count_key="num_shared_experts",
         router_bias_param=True, prepare=_afmoe_prepare, defaults={  # expert_bias is an nn.Parameter
             "tie_word_embeddings": False, "attention_bias": False, "mlp_bias": False, "head_dim": 128,
             "max_position_embeddings": 16384, "num_dense_layers": 1, "num_experts": 64, "num_experts_per_tok": 6,
             "num_shared_experts": 2, "moe_intermediate_size": 1408, "global_attn_every_n_layers": 4,
             "sliding_window": 1024}),
    _fam("axk1", layout="mla", moe=True, experts_keys=("n_routed_experts", "num_local_experts"),
         moe_layers="interleave", shared_expert="deepseek", mlp_bias="never", prepare=_axk1_prepare,
         param_rule=_axk1_params, defaults={
             "tie_word_embeddings": False, "attention_bias": False, "n_shared_experts": 1, "n_routed_experts": 192,
             "num_experts_per_tok": 8, "moe_intermediate_size": 2048, "kv_lora_rank": 512, "q_lora_rank": 1536,
             "qk_rope_head_dim": 64, "qk_nope_head_dim": 128, "v_head_dim": 128, "max_position_embeddings": 32768}),
    _fam("cohere2_moe", norms_per_layer=1, moe=True, experts_keys=("num_experts",),
         expert_width_key="intermediate_size", mlp_width_key="prefix_dense_intermediate_size", moe_layers="interleave",
         shared_expert="deepseek", shared_count_key="num_shared_experts", mlp_bias="never",
         prepare=_cohere2_moe_prepare, defaults={
             "tie_word_embeddings": True, "attention_bias": False, "head_dim": 128, "max_position_embeddings": 8192,
             "sliding_window": 4096, "sliding_window_pattern": 4, "prefix_dense_sliding_window_pattern": 1,
             "num_experts": 8, "num_experts_per_tok": 2, "num_shared_experts": 0}),
    _fam("exaone_moe", qk_norm=True, qkv_bias="never", o_bias="never", mlp_bias="never", moe=True,
         experts_keys=("num_experts",), moe_layers="interleave", shared_expert="deepseek",
         shared_count_key="num_shared_experts", prepare=_exaone_moe_prepare, defaults={
             "tie_word_embeddings": False, "max_position_embeddings": 2048, "sliding_window": 4096,
             "sliding_window_pattern": 4, "first_k_dense_replace": 1, "moe_intermediate_size": 1024,
             "num_experts": 64, "num_experts_per_tok": 8, "num_shared_experts": 1}),
    _fam("flex_olmo", qk_norm=True, qk_norm_kind="full", moe=True, experts_keys=("num_experts", "num_local_experts"),
         expert_width_key="intermediate_size", mlp_bias="never", defaults={
             "tie_word_embeddings": False, "attention_bias": False, "max_position_embeddings": 4096,
             "num_experts": 7, "num_experts_per_tok": 5}),
    _fam("glm4_moe_lite", layout="mla", moe=True, experts_keys=("n_routed_experts", "num_local_experts"),
         moe_layers="interleave", shared_expert="deepseek", mlp_bias="never", prepare=_glm4_moe_lite_prepare,
         defaults={
             "tie_word_embeddings": False, "attention_bias": False, "n_shared_experts": 1, "n_routed_experts": 64,
             "num_experts_per_tok": 4, "moe_intermediate_size": 1536, "kv_lora_rank": 512, "q_lora_rank": 768,
             "qk_rope_head_dim": 64, "qk_nope_head_dim": 192, "v_head_dim": 256, "max_position_embeddings": 202752}),
    _fam("granitemoe_swa", attention_sinks=True, moe=True, experts_keys=("num_local_experts",),
         expert_width_key="intermediate_size", shared_expert="sized", mlp_bias="never",
         prepare=_granitemoe_swa_prepare, defaults={
             "tie_word_embeddings": False, "attention_bias": False, "max_position_embeddings": 2048,
             "num_local_experts": 8, "num_experts_per_tok": 2, "shared_intermediate_size": 0, "sliding_window": 128}),
    _fam("hy_v3", qk_norm=True, moe=True, experts_keys=("num_experts", "num_local_experts"), moe_layers="interleave",
         shared_expert="deepseek", shared_count_key="num_shared_experts", shared_bias=True, prepare=_hy_v3_prepare,
         defaults={
             "tie_word_embeddings": False, "attention_bias": False, "mlp_bias": False, "head_dim": 128,
             "max_position_embeddings": 131072, "num_experts": 192, "num_experts_per_tok": 8,
             "num_shared_experts": 1, "moe_intermediate_size": 1536}),
    _fam("laguna", moe=True, experts_keys=("num_experts",), moe_layers="interleave", shared_expert="sized",
         shared_width_key="shared_expert_intermediate_size", router_bias_param=True, mlp_bias="never",
         prepare=_laguna_prepare, param_rule=_laguna_params, defaults={  # e_score_correction_bias: nn.Parameter
             "tie_word_embeddings": False, "attention_bias": False, "head_dim": 128,
             "max_position_embeddings": 131072, "sliding_window": 512, "moe_intermediate_size": 512,
             "shared_expert_intermediate_size": 512, "num_experts": 256, "num_experts_per_tok": 8}),
    _fam("minimax_m2", qk_norm=True, qk_norm_kind="full", qkv_bias="never", o_bias="never", mlp_bias="never",
         moe=True, experts_keys=("num_local_experts", "num_experts"), expert_width_key="intermediate_size", defaults={
             "tie_word_embeddings": False, "head_dim": 128, "max_position_embeddings": 196608,
             "num_local_experts": 256, "num_experts_per_tok": 8}),
    _fam("minimax_m3_vl_text", qk_norm=True, qkv_bias="never", o_bias="never", mlp_bias="never", moe=True,
         experts_keys=("num_local_experts", "num_experts"), expert_width_key="intermediate_size",
         mlp_width_key="dense_intermediate_size", moe_layers="interleave", shared_expert="sized",
         layer_kinds={"minimax_m3_sparse": "indexed"}, prepare=_minimax_m3_prepare, param_rule=_minimax_m3_params,
         defaults={
             "tie_word_embeddings": False, "head_dim": 128, "max_position_embeddings": 524288,
             "num_local_experts": 128, "num_experts_per_tok": 4, "dense_intermediate_size": 12288,
             "shared_intermediate_size": 3072, "index_n_heads": 4, "index_head_dim": 128}),
    _fam("phimoe", norm_size=2, moe=True, experts_keys=("num_local_experts",), expert_width_key="intermediate_size",
         layer_pattern="all_sliding", lm_head_bias="lm_head_bias", mlp_bias="never", defaults={
             "tie_word_embeddings": False, "attention_bias": False, "lm_head_bias": False,
             "max_position_embeddings": 131072, "num_local_experts": 16, "num_experts_per_tok": 2}),
]}

#: model_type spellings that name a family of this table.
ALIASES: dict[str, str] = {}

#: model_types of this group vramlab refuses, with what it does not know about their blocks.
UNMODELLED: dict[str, str] = {}
