"""Mixture-of-experts families of vramlab/families/moe.py against transformers 5.24.

Parameter counts: vramlab's count of a config equals the model transformers builds from it on the
meta device, for configs other than the class defaults (sizes changed, switches toggled, the
per-layer lists given or left for the config class to derive). Caches: a tiny random model runs
one forward pass on the CPU and the bytes of its cache tensors (K/V of full and sliding layers,
MLA latents, MiniMax-M3's indexer keys) equal vramlab's cache figure.
"""

from __future__ import annotations

import pytest

import vramlab as vl
from vramlab.oracle import default_config, tensor_bytes

from .oracle import build_model, cache_bytes, forward_cache, meta_param_count, transformers  # noqa: F401

pytestmark = pytest.mark.oracle

#: Derived per-layer lists that a config.json may omit (the config class derives them again).
_DERIVED = ("layer_types", "mlp_layer_types", "num_attention_heads_per_layer", "layer_rope_theta", "rope_parameters",
            "qk_head_dim", "head_dim_mla")


def _config(model_type: str, keep: tuple[str, ...] = (), **overrides) -> dict:
    """transformers' default config of ``model_type`` with the lists it derived dropped, then ``overrides``."""
    cfg = default_config(model_type)
    for key in _DERIVED:
        if key not in keep:
            cfg.pop(key, None)
    cfg.update(overrides)
    return cfg


def _same_count(cfg: dict) -> vl.ModelSpec:
    m = vl.load_model(cfg)
    assert m.exact
    assert m.param_count() == meta_param_count(cfg), cfg["model_type"]
    return m


#: A tiny geometry: the cache depends on the layers, KV heads, head_dim and windows only.
_TINY = {"hidden_size": 64, "intermediate_size": 32, "moe_intermediate_size": 16, "vocab_size": 128,
         "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "num_experts_per_tok": 2,
         "pad_token_id": 0, "bos_token_id": 0, "eos_token_id": 0}
_WINDOW = 8


def _same_cache(cfg: dict, tokens=(3, _WINDOW - 1)) -> vl.ModelSpec:
    """Cache bytes after one pass equal vramlab's, below the window (the stored and read K/V are the same there)."""
    spec = vl.load_model(cfg)
    model = build_model(cfg, "float32")
    for n in tokens:
        cache = forward_cache(model, n)
        assert cache_bytes(cache) == vl.kv_cache_bytes(spec, tokens=n, kv_dtype="fp32"), (cfg["model_type"], n)
    return spec


# -- parameter counts ---------------------------------------------------------------------------------------------
COUNT_CASES = {
    "afmoe: 3 dense layers, biases, tied, window pattern derived": ("afmoe", dict(
        num_hidden_layers=8, num_dense_layers=3, num_shared_experts=1, attention_bias=True, tie_word_embeddings=True,
        global_attn_every_n_layers=3, num_key_value_heads=4, num_experts=16)),
    "axk1: legacy first_k_dense_replace and moe_layer_freq, biases": ("axk1", dict(
        num_hidden_layers=6, first_k_dense_replace=2, moe_layer_freq=2, attention_bias=True, n_shared_experts=2,
        n_routed_experts=16)),
    "axk1: mlp_layer_types given": ("axk1", dict(
        num_hidden_layers=4, mlp_layer_types=["sparse", "dense", "sparse", "sparse"], n_routed_experts=8,
        q_lora_rank=512)),
    "cohere2_moe: dense prefix of its own width, shared expert, RMSNorm": ("cohere2_moe", dict(
        num_hidden_layers=6, first_k_dense_replace=2, prefix_dense_intermediate_size=1024, num_shared_experts=1,
        prefix_dense_sliding_window_pattern=2, rms_norm_eps=1e-5, num_key_value_heads=8)),
    "cohere2_moe: untied, biases": ("cohere2_moe", dict(
        num_hidden_layers=4, tie_word_embeddings=False, attention_bias=True, num_experts=4)),
    "exaone_moe: 2 dense layers, 2 shared experts, GQA, tied": ("exaone_moe", dict(
        num_hidden_layers=6, first_k_dense_replace=2, num_shared_experts=2, num_key_value_heads=8,
        tie_word_embeddings=True)),
    "exaone_moe: a string sliding_window_pattern beside layer_types": ("exaone_moe", dict(
        num_hidden_layers=4, sliding_window_pattern="LLLG", num_experts=8,
        layer_types=["sliding_attention"] * 3 + ["full_attention"])),
    "flex_olmo: biases, GQA, tied": ("flex_olmo", dict(
        num_hidden_layers=4, attention_bias=True, num_key_value_heads=8, num_experts=4, num_experts_per_tok=2,
        tie_word_embeddings=True)),
    "glm4_moe_lite: no query LoRA, biases, mlp_layer_types given": ("glm4_moe_lite", dict(
        num_hidden_layers=5, q_lora_rank=None, attention_bias=True,
        mlp_layer_types=["dense", "dense", "sparse", "dense", "sparse"], n_shared_experts=2)),
    "granitemoe_swa: shared MLP, biases, GQA": ("granitemoe_swa", dict(
        num_hidden_layers=6, shared_intermediate_size=512, attention_bias=True, num_key_value_heads=8)),
    "hy_v3: MLP biases, 2 shared experts": ("hy_v3", dict(
        num_hidden_layers=4, mlp_bias=True, attention_bias=True, num_shared_experts=2, num_experts=16)),
    "laguna: heads per layer, per-element gate, biases": ("laguna", dict(
        num_hidden_layers=4, num_attention_heads_per_layer=[48, 64, 32, 8], gating=False, attention_bias=True,
        layer_types=["sliding_attention", "full_attention", "sliding_attention", "full_attention"],
        mlp_layer_types=["dense", "sparse", "dense", "sparse"], num_experts=16)),
    "laguna: per-head gate, derived lists": ("laguna", dict(num_hidden_layers=3, gating="per-head", num_experts=8)),
    "minimax_m2: GQA 4, head_dim 64, tied": ("minimax_m2", dict(
        num_hidden_layers=4, num_key_value_heads=4, head_dim=64, tie_word_embeddings=True, num_local_experts=16)),
    "minimax_m3_vl_text: sparse-attention layers and dense layers": ("minimax_m3_vl_text", dict(
        num_hidden_layers=4, layer_types=["full_attention", "minimax_m3_sparse", "minimax_m3_sparse", "full_attention"],
        mlp_layer_types=["dense", "sparse", "dense", "sparse"], index_n_heads=2, index_head_dim=64,
        num_local_experts=16)),
    "minimax_m3_vl_text: the legacy sparse_attention_config and moe_layer_freq": ("minimax_m3_vl_text", dict(
        num_hidden_layers=3, sparse_attention_config={"sparse_attention_freq": [0, 1, 1], "sparse_index_dim": 32,
                                                       "sparse_num_index_heads": 8},
        moe_layer_freq=[0, 1, 1], num_local_experts=8)),
    "phimoe: LayerNorm biases, lm_head bias, attention biases, window": ("phimoe", dict(
        num_hidden_layers=4, lm_head_bias=True, attention_bias=True, sliding_window=2047, num_local_experts=8)),
}


@pytest.mark.parametrize("case", COUNT_CASES)
def test_counts_equal_transformers(case):
    model_type, overrides = COUNT_CASES[case]
    _same_count(_config(model_type, **overrides))


def test_the_derived_lists_are_those_of_the_config_class():
    """The layer and MLP kinds vramlab derives for a config without them equal transformers' own lists."""
    for model_type, overrides in COUNT_CASES.values():
        cfg = _config(model_type, **overrides)
        theirs = transformers.AutoConfig.for_model(model_type, **{k: v for k, v in cfg.items() if k != "model_type"})
        mine = vl.load_model(cfg)
        if getattr(theirs, "mlp_layer_types", None) is not None:
            sparse = [i for i, t in enumerate(theirs.mlp_layer_types) if t == "sparse"]
            assert vl.params.moe_layer_indices(mine) == sparse, model_type
        if getattr(theirs, "layer_types", None) is not None:
            kinds = {"full_attention": "full", "sliding_attention": "sliding", "minimax_m3_sparse": "full"}
            assert [la.kind for la in mine.layers] == [kinds[t] for t in theirs.layer_types], model_type


def test_active_parameters_leave_out_the_idle_routed_experts():
    m = vl.load_model(_config("afmoe", num_hidden_layers=4))
    idle = (m.num_experts - m.num_experts_per_tok) * 3 * m.hidden_size * m.config["moe_intermediate_size"]
    assert m.param_count() - m.active_param_count() == 3 * idle  # layer 0 is dense


# -- refusals -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("model_type, overrides, field", [
    ("axk1", {"q_lora_rank": None}, "q_lora_rank"),
    ("glm4_moe_lite", {"head_dim": 32}, "head_dim"),
    ("laguna", {"num_hidden_layers": 2, "num_attention_heads_per_layer": [48]}, "num_attention_heads_per_layer"),
    ("laguna", {"num_hidden_layers": 2, "num_attention_heads_per_layer": [48, 12]}, "num_attention_heads_per_layer"),
    ("hy_v3", {"num_hidden_layers": 2, "mlp_layer_types": ["dense", "moe"]}, "mlp_layer_types"),
    ("afmoe", {"num_dense_layers": -1}, "num_dense_layers"),
    ("phimoe", {"lm_head_bias": "yes"}, "lm_head_bias"),
    ("granitemoe_swa", {"sliding_window": None}, "sliding_window"),
])
def test_bad_fields_are_refused_by_name(model_type, overrides, field):
    with pytest.raises(vl.VramlabError) as e:
        vl.load_model(_config(model_type, **overrides))
    assert e.value.field == field


# -- caches -------------------------------------------------------------------------------------------------------
CACHE_CASES = {
    "afmoe: sliding and full layers": ("afmoe", dict(
        num_hidden_layers=4, num_dense_layers=1, num_experts=4, num_shared_experts=1, sliding_window=_WINDOW,
        global_attn_every_n_layers=2)),
    "cohere2_moe: sliding and full layers, dense prefix": ("cohere2_moe", dict(
        num_hidden_layers=4, first_k_dense_replace=1, num_experts=4, sliding_window=_WINDOW, sliding_window_pattern=2)),
    "exaone_moe: sliding and full layers": ("exaone_moe", dict(
        num_hidden_layers=4, num_experts=4, sliding_window=_WINDOW, sliding_window_pattern=2)),
    "flex_olmo: full layers": ("flex_olmo", dict(num_hidden_layers=2, num_experts=4)),
    "granitemoe_swa: sliding layers with sinks": ("granitemoe_swa", dict(
        num_hidden_layers=5, num_local_experts=4, sliding_window=_WINDOW)),
    "hy_v3: full layers": ("hy_v3", dict(num_hidden_layers=2, num_experts=4)),
    "laguna: heads per layer, sliding and full layers": ("laguna", dict(
        num_hidden_layers=3, num_attention_heads_per_layer=[4, 8, 2], num_experts=4, sliding_window=_WINDOW,
        shared_expert_intermediate_size=16, layer_types=["sliding_attention", "full_attention", "sliding_attention"])),
    "minimax_m2: full layers": ("minimax_m2", dict(num_hidden_layers=2, num_local_experts=4)),
    "phimoe: every layer sliding": ("phimoe", dict(num_hidden_layers=2, num_local_experts=4, sliding_window=_WINDOW)),
}


@pytest.mark.parametrize("case", CACHE_CASES)
def test_kv_cache_equals_the_cache_tensors(case):
    model_type, overrides = CACHE_CASES[case]
    spec = _same_cache(_config(model_type, **{**_TINY, **overrides}))
    assert spec.exact and all(la.index_keys == 0 for la in spec.layers)


_TINY_MLA = {**_TINY, "num_attention_heads": 2, "num_key_value_heads": 2, "q_lora_rank": 16, "kv_lora_rank": 24,
             "qk_rope_head_dim": 8, "qk_nope_head_dim": 8, "v_head_dim": 8, "n_routed_experts": 4,
             "n_group": 1, "topk_group": 1}


@pytest.mark.parametrize("model_type", ["axk1", "glm4_moe_lite"])
def test_mla_families_cache_the_latent(model_type):
    """A.X-K1 and GLM-4.7-Flash cache the normalised latent (kv_lora_rank) and the RoPE key (qk_rope_head_dim)."""
    cfg = _config(model_type, **_TINY_MLA, num_hidden_layers=3)
    cfg.pop("head_dim")  # transformers derives it (qk_rope_head_dim); RoPE is that wide
    spec = _same_cache(cfg)
    assert spec.attention_kind == "MLA" and spec.kv_elements_per_token_per_layer == 24 + 8


def test_minimax_m3_sparse_layers_cache_the_indexer_key():
    """MiniMax-M3's minimax_m3_sparse layers keep K/V and one index_head_dim indexer key per token (idx_keys)."""
    cfg = _config("minimax_m3_vl_text", **{**_TINY, "num_hidden_layers": 3, "num_local_experts": 4,
                                           "shared_intermediate_size": 16, "dense_intermediate_size": 32,
                                           "index_n_heads": 2, "index_head_dim": 24, "index_block_size": 2,
                                           "index_topk_blocks": 2, "index_local_blocks": 1,
                                           "layer_types": ["full_attention", "minimax_m3_sparse", "minimax_m3_sparse"]})
    spec = vl.load_model(cfg)
    assert [la.index_keys for la in spec.layers] == [0, 24, 24]
    model = build_model(cfg, "float32")
    for n in (3, 7):
        cache = forward_cache(model, n)
        idx = [layer.idx_keys for layer in cache.layers if getattr(layer, "idx_keys", None) is not None]
        assert len(idx) == 2 and all(t.shape[-1] == 24 and t.shape[-2] == n for t in idx)
        assert cache_bytes(cache) + sum(tensor_bytes(t) for t in idx) == vl.kv_cache_bytes(spec, tokens=n,
                                                                                            kv_dtype="fp32")


# -- the core table's DeepSeek-V2 and GLM-4-MoE ---------------------------------------------------------------------
@pytest.mark.parametrize("model_type, overrides", [
    ("deepseek_v2", dict(num_hidden_layers=4, first_k_dense_replace=1, moe_layer_freq=2, num_experts_per_tok=6)),
    ("deepseek_v2", dict(num_hidden_layers=4, mlp_bias=True, first_k_dense_replace=2, q_lora_rank=None,
                         attention_bias=True)),
    ("glm4_moe", dict(num_hidden_layers=4, attention_bias=True, use_qk_norm=True, first_k_dense_replace=2)),
    ("glm4_moe", dict(num_hidden_layers=3, hidden_size=4000, moe_layer_freq=2, mlp_bias=True)),
    ("glm4_moe", dict(num_hidden_layers=3, head_dim=128, tie_word_embeddings=True, num_key_value_heads=4)),
])
def test_core_moe_counts_equal_transformers(model_type, overrides):
    """DeepSeek-V2 and GLM-4-MoE read neither moe_layer_freq nor (GLM) mlp_bias; DeepSeek-V2's shared experts
    carry mlp_bias; GLM-4-MoE without head_dim has hidden // heads, rounded down."""
    _same_count(_config(model_type, **overrides))


def test_deepseek_v2_default_counts_but_refuses_the_active_parameters():
    """DeepseekV2Config's num_experts_per_tok is None: transformers builds the model; the experts per token are
    unknown, so the active parameters are refused, naming the field."""
    cfg = _config("deepseek_v2")
    assert cfg.get("num_experts_per_tok") is None
    m = _same_count(cfg)
    with pytest.raises(vl.VramlabError) as e:
        m.active_param_count()
    assert e.value.field == "num_experts_per_tok"
    assert vl.load_model(dict(cfg, num_experts_per_tok=6)).active_param_count() < m.param_count()


def test_glm4_moe_default_head_dim_is_rounded_down():
    cfg = _config("glm4_moe")
    assert "head_dim" not in cfg and cfg["hidden_size"] % cfg["num_attention_heads"]
    assert _same_count(cfg).head_dim == cfg["hidden_size"] // cfg["num_attention_heads"]


def test_glm4_moe_and_deepseek_v2_caches():
    glm = _config("glm4_moe", **{**_TINY, "hidden_size": 132, "num_attention_heads": 8, "num_hidden_layers": 2,
                                 "n_routed_experts": 4})
    del glm["head_dim"]  # 132 // 8 = 16 per head, as transformers derives it
    assert _same_cache(glm).head_dim == 16
    ds = _config("deepseek_v2", **_TINY_MLA, num_hidden_layers=2)
    ds.pop("head_dim")
    assert _same_cache(ds).kv_elements_per_token_per_layer == 24 + 8
