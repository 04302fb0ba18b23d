"""Families with blocks of their own layout (vramlab/families/special.py) against transformers 5.24.

Parameter counts: vramlab's count of a config equals the model transformers builds from it on the
meta device, for configs other than the class defaults (sizes changed, switches toggled, per-layer
lists given). Caches: a tiny random model runs one forward pass on the CPU and the bytes of its
cache tensors (MLA latents, indexer keys, K/V) equal vramlab's cache figure; families whose cache
vramlab does not model refuse it, with the reason.
"""

from __future__ import annotations

import pytest

import vramlab as vl
from vramlab.memory import kv_bytes_per_layer
from vramlab.oracle import default_config

from .oracle import build_model, cache_bytes, forward_cache, meta_param_count, transformers  # noqa: F401

pytestmark = pytest.mark.oracle

#: Small MLA + MoE sizes (the cache depends only on the ranks, heads and index_head_dim).
_TINY_MLA = {"hidden_size": 64, "intermediate_size": 32, "moe_intermediate_size": 16, "vocab_size": 128,
             "num_attention_heads": 2, "num_key_value_heads": 2, "n_routed_experts": 4, "num_experts_per_tok": 2,
             "q_lora_rank": 16, "kv_lora_rank": 24, "qk_rope_head_dim": 8, "qk_nope_head_dim": 8, "v_head_dim": 8,
             "index_n_heads": 2, "index_head_dim": 16, "index_topk": 4, "pad_token_id": 0, "bos_token_id": 0,
             "eos_token_id": 0}


def _config(model_type: str, **overrides) -> dict:
    """transformers' default config of ``model_type`` with per-layer lists it derived dropped, then ``overrides``."""
    cfg = default_config(model_type)
    for key in ("layer_types", "mlp_layer_types", "indexer_types", "per_layer_config", "rope_parameters",
                "compress_rates"):
        cfg.pop(key, None)
    cfg.update(overrides)
    return cfg


def _same_count(cfg: dict) -> None:
    m = vl.load_model(cfg)
    assert m.exact
    assert m.param_count() == meta_param_count(cfg), cfg["model_type"]


def _same_cache(cfg: dict, tokens=(3, 7)) -> vl.ModelSpec:
    """The cache bytes after one pass equal vramlab's; a sliding layer stores W - 1 positions once the
    context reaches its window W, vramlab counts the W read while a token is computed (tests/test_kv_oracle.py)."""
    spec = vl.load_model(cfg)
    model = build_model(cfg, "float32")
    for n in tokens:
        cache = forward_cache(model, n)
        at_cap = sum(la.kind == "sliding" and n >= la.window for la in spec.layers)
        per_layer = kv_bytes_per_layer(spec, "fp32") if at_cap else 0
        assert cache_bytes(cache) + at_cap * per_layer == vl.kv_cache_bytes(spec, tokens=n, kv_dtype="fp32"), (
            cfg["model_type"], n)
    return spec


# -- DSA families: MLA plus the indexer -----------------------------------------------------------
@pytest.mark.parametrize("overrides", [
    {"num_hidden_layers": 6, "mlp_layer_types": ["dense", "dense", "sparse", "dense", "sparse", "dense"],
     "gated_norm_rank": 8, "attention_bias": True, "n_shared_experts": 2},
    {"num_hidden_layers": 7, "first_k_dense_replace": 2, "moe_layer_freq": 2, "q_lora_rank": 256},
])
def test_axk2_counts(overrides):
    _same_count(_config("axk2", **overrides))


def test_axk2_caches_the_latent_and_the_indexer_key():
    spec = _same_cache(_config("axk2", num_hidden_layers=3, **_TINY_MLA))
    assert [la.index_keys for la in spec.layers] == [16] * 3


def test_mlp_layer_types_outside_the_dense_then_periodic_rule_are_refused():
    cfg = _config("axk2", num_hidden_layers=4, mlp_layer_types=["dense", "sparse", "sparse", "dense"])
    with pytest.raises(vl.VramlabError) as e:
        vl.load_model(cfg)
    assert e.value.field == "mlp_layer_types"


@pytest.mark.parametrize("overrides", [
    {"num_hidden_layers": 8, "index_topk_pattern": "FFSSFSFS", "attention_bias": True},
    {"num_hidden_layers": 9, "index_topk_freq": 3, "index_skip_topk_offset": 1, "first_k_dense_replace": 1},
])
def test_glm_moe_dsa_counts(overrides):
    _same_count(_config("glm_moe_dsa", **overrides))


def test_glm_moe_dsa_shared_layers_cache_no_indexer_key():
    spec = _same_cache(_config("glm_moe_dsa", num_hidden_layers=4, index_topk_pattern="FSFS", **_TINY_MLA))
    assert [la.index_keys for la in spec.layers] == [16, 0, 16, 0]


@pytest.mark.parametrize("overrides", [
    {"num_hidden_layers": 7, "hc_mult": 3},
    {"num_hidden_layers": 5, "indexer_types": ["full", "shared", "full", "full", "shared"], "v_head_dim": 128},
])
def test_hy_v4_counts(overrides):
    _same_count(_config("hy_v4", **overrides))


def test_hy_v4_caches_the_latent_and_the_keys_of_its_indexers():
    spec = _same_cache(_config("hy_v4", num_hidden_layers=6, **_TINY_MLA))
    assert [la.index_keys for la in spec.layers] == [16, 16, 0, 0, 0, 16]


@pytest.mark.parametrize("overrides", [
    {"num_hidden_layers": 10, "swa_kv_lora_rank": 256, "swa_num_attention_heads": 32, "swa_num_key_value_heads": 32, "swa_qk_nope_head_dim": 64,
     "swa_head_dim": 96, "attention_bias": True, "first_k_dense_replace": 2},
    {"num_hidden_layers": 6, "use_sliding_window": False, "moe_layer_freq": [1, 0, 1, 0, 1, 0],
     "n_shared_experts": 2, "moe_shared_expert_intermediate_size": 512},
    {"num_hidden_layers": 6, "use_dsa": False, "sliding_window_size": 64},
])
def test_dots3_note_counts(overrides):
    _same_count(_config("dots3_note_text", **overrides))


def test_dots3_note_counts_the_language_model_of_the_multimodal_config():
    cfg = default_config("dots3_note")
    cfg["text_config"]["num_hidden_layers"] = 5
    for key in ("layer_types", "mlp_layer_types", "per_layer_config", "rope_parameters"):
        cfg["text_config"].pop(key)
    m = vl.load_model(cfg)
    assert m.model_type == "dots3_note_text" and m.param_count() == meta_param_count(cfg["text_config"])


def test_dots3_note_refuses_its_cache():
    m = vl.load_model(_config("dots3_note_text", num_hidden_layers=6))
    with pytest.raises(vl.VramlabError, match="sliding-window MLA layers"):
        vl.kv_cache_bytes(m, tokens=16)


@pytest.mark.parametrize("overrides", [
    {"num_hidden_layers": 7, "attention_bias": True, "sliding_window_size": 64, "v_head_dim": 64},
    {"num_hidden_layers": 4, "layer_types": ["sliding_attention", "full_attention"] * 2,
     "mlp_layer_types": ["dense", "dense", "sparse", "sparse"], "num_key_value_heads": 8},
])
def test_mimo_v2_flash_counts(overrides):
    _same_count(_config("mimo_v2_flash", **overrides))


def test_mimo_v2_flash_refuses_its_cache_of_two_kv_widths():
    m = vl.load_model(_config("mimo_v2_flash", num_hidden_layers=6))
    with pytest.raises(vl.VramlabError, match="twice the KV heads"):
        vl.kv_cache_bytes(m, tokens=16)


@pytest.mark.parametrize("overrides", [
    {"num_layers": 3, "router_bias": True, "zero_expert_num": 5, "attention_bias": True, "q_lora_rank": 64},
    {"num_layers": 2, "zero_expert_num": 0, "expert_ffn_hidden_size": 512, "ffn_hidden_size": 1024},
])
def test_longcat_flash_counts(overrides):
    _same_count(_config("longcat_flash", **overrides))


def test_longcat_flash_caches_one_latent_per_attention_sublayer():
    tiny = {k: v for k, v in _TINY_MLA.items() if not k.startswith("index") and k not in (
        "intermediate_size", "moe_intermediate_size", "num_experts_per_tok")}
    cfg = _config("longcat_flash", num_layers=2, ffn_hidden_size=32, expert_ffn_hidden_size=16, moe_topk=2,
                  zero_expert_num=2, qk_head_dim=None, head_dim=8, **tiny)
    spec = _same_cache(cfg)
    assert spec.num_layers == 4 and spec.num_experts_per_tok == 2


def _tiny_mla(**extra) -> dict:
    return {**{k: v for k, v in _TINY_MLA.items() if not k.startswith("index")}, **extra}


@pytest.mark.parametrize("overrides", [
    {"use_qkv_bias": True, "num_experts": 16, "num_shared_experts": 2, "use_qk_norm": False, "num_hidden_layers": 4,
     "first_k_dense_replace": 2},
    {"num_hidden_layers": 3, "head_dim": 128, "num_key_value_heads": 8},
])
def test_sarvam_moe_counts(overrides):
    _same_count(_config("sarvam_moe", **overrides))


@pytest.mark.parametrize("overrides", [
    {"num_experts": 16, "num_shared_experts": 2, "q_lora_rank": 512, "num_hidden_layers": 4, "attention_bias": True,
     "head_dim": 576},
    {"num_hidden_layers": 5, "first_k_dense_replace": 3, "kv_lora_rank": 256},
])
def test_sarvam_mla_counts(overrides):
    _same_count(_config("sarvam_mla", **overrides))


def test_sarvam_caches_gqa_keys_and_values_and_mla_latents():
    _same_cache(_config("sarvam_moe", num_hidden_layers=2, hidden_size=64, intermediate_size=32,
                        moe_intermediate_size=16, vocab_size=128, num_attention_heads=4, num_key_value_heads=2,
                        head_dim=16, n_routed_experts=4, num_experts_per_tok=2, pad_token_id=0, eos_token_id=0))
    _same_cache(_config("sarvam_mla", num_hidden_layers=2, **_tiny_mla(q_lora_rank=None)))


_TINY = {"num_hidden_layers": 2, "hidden_size": 64, "intermediate_size": 32, "vocab_size": 128, "pad_token_id": 0,
         "bos_token_id": 0, "eos_token_id": 0}


def test_aria_text_counts_and_cache():
    _same_count(_config("aria_text", mlp_bias=True, attention_bias=True, moe_num_shared_experts=1, moe_topk=3,
                        num_key_value_heads=8, num_hidden_layers=3))
    spec = _same_cache(_config("aria_text", **_TINY, num_attention_heads=4, num_key_value_heads=2, head_dim=16,
                               moe_num_experts=4, moe_topk=2))
    assert spec.num_experts_per_tok == 2


def test_jetmoe_counts_and_caches_the_shared_keys_and_values():
    _same_count(_config("jetmoe", num_experts_per_tok=3, num_key_value_heads=4, kv_channels=64,
                        tie_word_embeddings=False, num_local_experts=6))
    by_alias = _config("jetmoe", head_dim=64)  # transformers' attribute_map: head_dim is kv_channels
    del by_alias["kv_channels"]
    _same_count(by_alias)
    spec = _same_cache(_config("jetmoe", **_TINY, num_key_value_heads=2, kv_channels=16, num_local_experts=4,
                               num_experts_per_tok=2))
    assert (spec.num_q_heads, spec.num_kv_heads, spec.head_dim) == (4, 2, 16)


@pytest.mark.parametrize("overrides", [
    {"is_moe": True, "num_experts": 1000, "attention_bias": True, "mlp_bias": True, "num_key_value_heads": 2,
     "num_hidden_layers": 3},
    {"num_hidden_layers": 2, "head_dim": 64, "num_attention_heads": 4, "num_key_value_heads": 4},
])
def test_doge_counts(overrides):
    _same_count(_config("doge", **overrides))


@pytest.mark.parametrize("window", [None, 4])
def test_doge_caches_keys_and_values_whatever_its_dynamic_mask_keeps(window):
    _same_cache(_config("doge", **_TINY, num_attention_heads=4, num_key_value_heads=2, keep_window_size=2,
                        sliding_window=window), tokens=(3, 9))


def test_solar_open_counts_and_cache():
    _same_count(_config("solar_open", attention_bias=True, n_shared_experts=2, num_hidden_layers=3, head_dim=64))
    _same_cache(_config("solar_open", **_TINY, num_attention_heads=4, num_key_value_heads=2, head_dim=16,
                        moe_intermediate_size=16, n_routed_experts=4, num_experts_per_tok=2))


@pytest.mark.parametrize("overrides", [
    {"attention_bias": True, "num_hidden_layers": 5, "head_dim": 64},
    {"num_hidden_layers": 4, "mlp_layer_types": ["dense", "dense", "sparse", "dense"],
     "layer_types": ["full_attention", "sliding_attention", "sliding_attention", "full_attention"]},
])
def test_beam_counts(overrides):
    _same_count(_config("beam", **overrides))


def test_beam_caches_sliding_and_full_layers():
    spec = _same_cache(_config("beam", **{**_TINY, "num_hidden_layers": 6}, num_attention_heads=4,
                               num_key_value_heads=2, head_dim=16, moe_intermediate_size=16, num_experts=8,
                               num_experts_per_tok=2, n_group=2, topk_group=1, sliding_window=4), tokens=(3, 9))
    assert [la.kind for la in spec.layers] == ["sliding"] * 5 + ["full"]


@pytest.mark.parametrize("model_type, overrides", [
    ("flint", {"attention_bias": True, "num_hidden_layers": 6, "mlp_only_layers": [0, 3], "decoder_sparse_step": 2}),
    ("flint", {"num_hidden_layers": 5, "shared_expert_intermediate_size": 256, "head_dim": 64}),
    ("kolibri1", {"num_hidden_layers": 6, "head_dim": 64, "shared_expert_intermediate_size": 256,
                  "num_key_value_heads": 4}),
])
def test_sliding_moe_families_count(model_type, overrides):
    _same_count(_config(model_type, **overrides))


@pytest.mark.parametrize("model_type, layers", [("flint", 6), ("kolibri1", 5)])
def test_sliding_moe_families_cache_sliding_and_full_layers(model_type, layers):
    spec = _same_cache(_config(model_type, **{**_TINY, "num_hidden_layers": layers}, num_attention_heads=4,
                               num_key_value_heads=2, head_dim=16, moe_intermediate_size=16,
                               shared_expert_intermediate_size=16, num_experts=4, num_experts_per_tok=2,
                               sliding_window=4), tokens=(3, 9))
    assert {la.kind for la in spec.layers} == {"sliding", "full"}


@pytest.mark.parametrize("overrides", [
    {"num_hidden_layers": 5, "compress_ratios": [0, 4, 128, 4, 0], "mlp_bias": True, "o_groups": 4, "hc_mult": 2,
     "compress_rate_csa": 8, "compress_rate_hca": 32},
    {"num_hidden_layers": 4, "compress_rates": {"compressed_sparse_attention": 2, "heavily_compressed_attention": 16},
     "index_head_dim": 64, "q_lora_rank": 512},
])
def test_deepseek_v4_counts(overrides):
    _same_count(_config("deepseek_v4", **overrides))


def test_deepseek_v4_refuses_its_compressed_cache():
    m = vl.load_model(_config("deepseek_v4", num_hidden_layers=4))
    with pytest.raises(vl.VramlabError, match="compressed KV caches"):
        vl.kv_cache_bytes(m, tokens=16)


@pytest.mark.parametrize("model_type, key, value", [
    ("deepseek_v4", "compress_rates", "x"),
    ("glm_moe_dsa", "indexer_types", ["full"]),
    ("glm_moe_dsa", "index_topk_pattern", "FX"),
    ("dots3_note_text", "per_layer_config", {"2": {"hidden_size": 8}}),
    ("hy_v4", "hc_mult", 0),
    ("axk2", "gated_norm_rank", "16"),
    ("longcat_flash", "zero_expert_num", -1),
    ("jetmoe", "kv_channels", 1.5),
])
def test_bad_fields_of_these_families_are_refused_by_name(model_type, key, value):
    cfg = _config(model_type, num_hidden_layers=6)
    cfg[key] = value
    with pytest.raises(vl.VramlabError) as e:
        vl.load_model(cfg).param_count()
    assert e.value.field == key
