"""Families of vramlab.families.recurrent against transformers: parameters on the meta device, caches
after a forward pass on the CPU.

Every config below differs from transformers' default config of its class (flags toggled, sizes changed),
so these cases test more than ``tests/test_coverage.py``'s sweep of the defaults.
"""

from __future__ import annotations

import copy

import pytest

import vramlab as vl
from vramlab.errors import VramlabError
from vramlab.oracle import default_config

from .oracle import build_model, cache_bytes, cache_layers, forward_cache, meta_param_count, torch, transformers  # noqa: F401

pytestmark = pytest.mark.oracle


def _config(model_type: str, **overrides) -> dict:
    """transformers' default config of ``model_type`` as a config.json dict, with ``overrides``."""
    cfg = default_config(model_type)
    if "num_hidden_layers" in overrides:  # lists per layer: let the config class derive them for the new count
        for k in ("per_layer_config", "layer_types", "activation_sparsity_pattern", "mlp_layer_types"):
            cfg.pop(k, None)
        if isinstance(cfg.get("intermediate_size"), list):
            cfg["intermediate_size"] = cfg["intermediate_size"][0]
    cfg.update(overrides)
    return cfg


def _same_count(cfg: dict) -> None:
    m = vl.load_model(copy.deepcopy(cfg))
    assert m.exact
    assert m.param_count() == meta_param_count(copy.deepcopy(cfg)), cfg.get("model_type")


# -- Gemma-3n ---------------------------------------------------------------------------------------------
GEMMA3N = {
    "E2B-like: 30 layers, 10 shared, per-layer widths": dict(
        num_hidden_layers=30, num_kv_shared_layers=10, intermediate_size=[8192] * 15 + [6144] * 15),
    "attention biases, no sharing, untied": dict(
        num_hidden_layers=10, num_kv_shared_layers=0, attention_bias=True, tie_word_embeddings=False),
    "other AltUp, LAuReL and PLE sizes": dict(
        num_hidden_layers=12, num_kv_shared_layers=4, altup_num_inputs=3, laurel_rank=32,
        hidden_size_per_layer_input=128, vocab_size_per_layer_input=1000, vocab_size=5000, intermediate_size=4096),
}


@pytest.mark.parametrize("case", list(GEMMA3N))
def test_gemma3n_parameters(case):
    _same_count(_config("gemma3n_text", **GEMMA3N[case]))


def _tiny(model_type: str, **kw) -> dict:
    base = dict(hidden_size=64, num_attention_heads=4, num_key_value_heads=2, head_dim=16, vocab_size=128,
                intermediate_size=32, sliding_window=16, pad_token_id=0, bos_token_id=0, eos_token_id=0)
    return _config(model_type, **{**base, **kw})


def _check_cache(cfg: dict, tokens_list=(5, 9)) -> None:
    """Bytes of the cache transformers fills equal vramlab's, and the layers caching nothing are the same."""
    spec = vl.load_model(copy.deepcopy(cfg))
    model = build_model(copy.deepcopy(cfg), "float32")
    for tokens in tokens_list:  # below the window minus one: no sliding layer is capped yet
        cache = forward_cache(model, tokens)
        held = [getattr(layer, "keys", None) is not None for layer in cache.layers]
        assert held == [la.kind != "none" for la in spec.layers]
        assert cache_bytes(cache) == vl.kv_cache_bytes(spec, tokens=tokens, kv_dtype="fp32")


def test_gemma3n_cache_skips_the_shared_kv_layers():
    cfg = _tiny("gemma3n_text", num_hidden_layers=10, num_kv_shared_layers=5, hidden_size_per_layer_input=8,
                vocab_size_per_layer_input=128, laurel_rank=4)
    spec = vl.load_model(copy.deepcopy(cfg))
    assert [la.kind for la in spec.layers] == ["sliding"] * 4 + ["full"] + ["none"] * 5
    _check_cache(cfg)
    # a sliding layer is capped at the window (transformers stores W - 1 positions between passes)
    cache = forward_cache(build_model(copy.deepcopy(cfg), "float32"), 40)
    assert [k.shape[-2] for k, _ in cache_layers(cache)] == [15] * 4 + [40]


def test_gemma3n_refuses_a_width_list_of_the_wrong_length():
    cfg = _config("gemma3n_text", num_hidden_layers=10, intermediate_size=[64] * 9)
    with pytest.raises(VramlabError) as e:
        vl.load_model(cfg)
    assert e.value.field == "intermediate_size"


# -- Gemma-4 ----------------------------------------------------------------------------------------------
GEMMA4 = {
    "MoE block beside the MLP, K = V on full layers": dict(
        num_hidden_layers=12, enable_moe_block=True, num_experts=16, top_k_experts=4, moe_intermediate_size=512,
        attention_k_eq_v=True, global_head_dim=512, num_global_key_value_heads=2),
    "KV sharing with double-wide MLPs, PLE off": dict(
        num_hidden_layers=12, num_kv_shared_layers=6, use_double_wide_mlp=True, hidden_size_per_layer_input=0),
    "biases, untied, bidirectional, own head widths": dict(
        num_hidden_layers=7, attention_bias=True, tie_word_embeddings=False, use_bidirectional_attention="all",
        global_head_dim=128, head_dim=64),
}


@pytest.mark.parametrize("case", list(GEMMA4))
def test_gemma4_parameters(case):
    _same_count(_config("gemma4_text", **GEMMA4[case]))


def test_gemma4_reads_per_layer_config_as_transformers_writes_it():
    cfg = _config("gemma4_text", num_hidden_layers=12, attention_k_eq_v=True, global_head_dim=384,
                  num_global_key_value_heads=1)
    written = transformers.AutoConfig.for_model("gemma4_text", **{k: v for k, v in cfg.items() if k != "model_type"})
    saved = {**written.to_dict(), "model_type": "gemma4_text"}
    assert "per_layer_config" in saved and "global_head_dim" not in saved
    _same_count(saved)


def test_gemma4_unified_parameters_and_the_assistant():
    _same_count(_config("gemma4_unified_text", num_hidden_layers=12, num_kv_shared_layers=6, use_double_wide_mlp=True))
    assistant = default_config("gemma4_unified_assistant")["text_config"]  # every layer reuses the target's K/V
    assistant = {**assistant, "num_hidden_layers": 4, "per_layer_config": None, "layer_types": None}
    assistant["num_kv_shared_layers"] = 4
    _same_count({k: v for k, v in assistant.items() if v is not None})


def test_gemma4_cache_is_refused_with_the_reason():
    m = vl.load_model(_config("gemma4_text", num_hidden_layers=6))
    assert m.param_count() > 0
    with pytest.raises(VramlabError, match="global_head_dim"):
        vl.kv_cache_bytes(m, tokens=128)


# -- Inkling ----------------------------------------------------------------------------------------------
_INKLING_SMALL = dict(hidden_size=256, num_attention_heads=8, num_key_value_heads=2, head_dim=32,
                      swa_num_attention_heads=4, swa_num_key_value_heads=4, swa_head_dim=48, vocab_size=1000,
                      moe_intermediate_size=96, n_routed_experts=8, num_experts_per_tok=2)
INKLING = {
    "dense prefix, own local layers, other kernel and bias bank": dict(
        _INKLING_SMALL, num_hidden_layers=9, dense_mlp_idx=2, local_layer_ids=[1, 2, 4, 5, 7], intermediate_size=512,
        conv_kernel_size=3, d_rel=8, rel_extent=64, sliding_window_size=32, n_shared_experts=1),
    "checkpoint spelling: dense_intermediate_size and sconv_kernel_size": dict(
        _INKLING_SMALL, num_hidden_layers=6, dense_mlp_idx=1, intermediate_size=96, dense_intermediate_size=640,
        sconv_kernel_size=2),
}


@pytest.mark.parametrize("case", list(INKLING))
def test_inkling_parameters(case):
    _same_count(_config("inkling_text", **INKLING[case]))


def test_inkling_active_parameters_leave_out_the_idle_routed_experts():
    cfg = _config("inkling_text", **INKLING["dense prefix, own local layers, other kernel and bias bank"])
    m = vl.load_model(cfg)
    idle = (m.num_experts - m.num_experts_per_tok) * 3 * m.hidden_size * cfg["moe_intermediate_size"]
    assert m.active_param_count() == m.param_count() - (9 - 2) * idle


INKLING2 = {
    "inkling2_text": dict(_INKLING_SMALL, num_hidden_layers=8, unpadded_vocab_size=900, d_rel=4, rel_extent=48,
                          sliding_window_size=40, conv_kernel_size=3, layer_types=["hybrid_sliding", "hybrid"] * 4),
    "inkling2_loop_text": dict(_INKLING_SMALL, num_hidden_layers=12, unpadded_vocab_size=1000, loop_layer_index_start=3,
                               loop_layer_index_end=9, loop_gate_rank=16, n_layers_per_attn_res_block=3),
}


@pytest.mark.parametrize("model_type", list(INKLING2))
def test_inkling2_parameters(model_type):
    _same_count(_config(model_type, **INKLING2[model_type]))


@pytest.mark.parametrize("model_type", ["inkling_text", "inkling2_text", "inkling2_loop_text"])
def test_inkling_caches_are_refused_with_the_reason(model_type):
    m = vl.load_model(_config(model_type))
    with pytest.raises(VramlabError, match="short-convolution"):
        vl.kv_cache_bytes(m, tokens=128)


# -- Dory ---------------------------------------------------------------------------------------------------
DORY = {
    "biases, tied head, own sections": dict(num_hidden_layers=10, n_input_layers=2, n_recurrent_layers=5,
                                            n_output_layers=3, attention_bias=True, mlp_bias=True,
                                            tie_word_embeddings=True, n_recurrent_loops=3, intermediate_size=5120),
    "released layout: an attention and an mlp block per layer": dict(
        num_hidden_layers=12, n_input_layers=4, n_recurrent_layers=4, n_output_layers=4,
        layer_types=["sliding_attention", "mlp", "full_attention", "mlp"] * 3, recurrent_kv_cache_mode="last_loop"),
}


@pytest.mark.parametrize("case", list(DORY))
def test_dory_parameters(case):
    cfg = _config("dory", **DORY[case])
    _same_count(cfg)
    if "mlp" in (cfg.get("layer_types") or []):
        assert vl.load_model(cfg).num_layers == 6


# -- ZAYA ---------------------------------------------------------------------------------------------------
def test_zaya_parameters():
    _same_count(_config("zaya", num_hidden_layers=5, attention_bias=True, lm_head_bias=True, tie_word_embeddings=False,
                        cca_time0=3, cca_time1=4, router_hidden_size=64, num_experts=6, moe_intermediate_size=256,
                        num_attention_heads=16, num_key_value_heads=4, head_dim=64))


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_zaya_cache_keys_values_convolution_window_and_delayed_values(dtype):
    """K/V per token; per sequence the q/k convolution's input window and the previous token's delayed value half,
    both in the model dtype."""
    from vramlab.oracle import state_tensors

    cfg = _tiny("zaya", num_hidden_layers=3, num_experts=3, moe_intermediate_size=32, router_hidden_size=8,
                layer_types=["hybrid", "hybrid_sliding", "hybrid"], cca_time0=3, torch_dtype=dtype)
    spec = vl.load_model(copy.deepcopy(cfg))
    model = build_model(copy.deepcopy(cfg), dtype)
    kv_dtype = {"float32": "fp32", "bfloat16": "bf16"}[dtype]
    for tokens, batch in ((1, 1), (5, 2), (9, 2)):
        cache = forward_cache(model, tokens, batch=batch)
        states = state_tensors(cache)
        assert [tuple(t.shape) for t in states["conv"]] == [(batch, 6 * 16, 2 + 1)] * 3  # q+k channels, window
        assert [tuple(t.shape) for t in states["recurrent"]] == [(batch, 2 * 16 // 2)] * 3
        assert all(t.dtype == getattr(torch, dtype) for t in states["conv"] + states["recurrent"])
        assert cache_bytes(cache) == vl.kv_cache_bytes(spec, tokens=tokens, concurrency=batch, kv_dtype=kv_dtype)


# -- Lara-mini ----------------------------------------------------------------------------------------------
def test_lara_mini_parameters():
    _same_count(_config("lara_mini", num_hidden_layers=7, attention_bias=True, tie_word_embeddings=False,
                        num_experts=16, num_experts_per_tok=2, shared_expert_intermediate_size=768,
                        linear_num_key_heads=4, linear_num_value_heads=8, linear_value_head_dim=64))


def test_lara_mini_cache_gated_deltanet_states_and_windows():
    from vramlab.oracle import state_tensors

    cfg = _tiny("lara_mini", num_hidden_layers=5, num_experts=4, num_experts_per_tok=2, moe_intermediate_size=32,
                shared_expert_intermediate_size=16, linear_conv_kernel_dim=3, linear_key_head_dim=8,
                linear_value_head_dim=12, linear_num_key_heads=2, linear_num_value_heads=4, torch_dtype="float32")
    spec = vl.load_model(copy.deepcopy(cfg))
    assert [la.kind for la in spec.layers] == ["linear", "sliding", "linear", "full", "sliding"]
    model = build_model(copy.deepcopy(cfg), "float32")
    for tokens, batch in ((3, 1), (9, 2)):
        cache = forward_cache(model, tokens, batch=batch)
        states = state_tensors(cache)
        assert [tuple(t.shape) for t in states["conv"]] == [(batch, 2 * 2 * 8 + 4 * 12, 3)] * 2
        assert cache_bytes(cache) == vl.kv_cache_bytes(spec, tokens=tokens, concurrency=batch, kv_dtype="fp32")


# -- RecurrentGemma -----------------------------------------------------------------------------------------
def test_recurrent_gemma_parameters():
    _same_count(_config("recurrent_gemma", num_hidden_layers=7, block_types=["recurrent", "attention"],
                        lru_width=1536, num_key_value_heads=2, attention_bias=True, tie_word_embeddings=False,
                        conv1d_width=3, intermediate_size=4096, hidden_size=1024, num_attention_heads=8))
    _same_count({k: v for k, v in _config("recurrent_gemma", num_hidden_layers=4, hidden_size=512).items()
                 if k != "head_dim"})  # head_dim derived as hidden / heads


# -- RWKV ---------------------------------------------------------------------------------------------------
def test_rwkv_parameters():
    _same_count(_config("rwkv", num_hidden_layers=6, hidden_size=512, attention_hidden_size=384, intermediate_size=1000,
                        tie_word_embeddings=True, vocab_size=3000))


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_rwkv_state_equals_the_tensors_transformers_returns(dtype):
    """RWKV's cache is ``output.state``: five (batch, hidden, layers) tensors, two in the model dtype, three fp32."""
    cfg = _config("rwkv", num_hidden_layers=3, hidden_size=32, attention_hidden_size=32, intermediate_size=64,
                  vocab_size=128, torch_dtype=dtype)
    spec = vl.load_model(copy.deepcopy(cfg))
    model = build_model(copy.deepcopy(cfg), dtype)
    kv_dtype = {"float32": "fp32", "bfloat16": "bf16"}[dtype]
    for tokens, batch in ((1, 1), (7, 2)):
        with torch.no_grad():
            out = model(input_ids=torch.zeros((batch, tokens), dtype=torch.long), use_cache=True)
        assert [t.dtype for t in out.state] == [getattr(torch, dtype)] * 2 + [torch.float32] * 3
        measured = sum(t.numel() * t.element_size() for t in out.state)
        assert measured == vl.kv_cache_bytes(spec, tokens=tokens, concurrency=batch, kv_dtype=kv_dtype)


# -- xLSTM --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["single", "fused"])
def test_xlstm_parameters(mode):
    """The layers use hidden x factor for the q/k and v widths, unrounded; the FFN width is rounded up."""
    _same_count(_config("xlstm", num_hidden_layers=3, num_blocks=3, hidden_size=128, embedding_dim=128, num_heads=4,
                        use_bias=True, weight_mode=mode, tie_word_embeddings=True, qk_dim_factor=0.3,
                        v_dim_factor=0.7, ffn_proj_factor=1.9, vocab_size=300))


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_xlstm_state_equals_the_rnn_state_transformers_keeps(dtype):
    cfg = _config("xlstm", num_hidden_layers=3, num_blocks=3, hidden_size=256, embedding_dim=256, num_heads=4,
                  vocab_size=128, torch_dtype=dtype)
    spec = vl.load_model(copy.deepcopy(cfg))
    model = build_model(copy.deepcopy(cfg), dtype)
    kv_dtype = {"float32": "fp32", "bfloat16": "bf16"}[dtype]
    for tokens, batch in ((1, 1), (9, 2)):
        with torch.no_grad():
            out = model(input_ids=torch.zeros((batch, tokens), dtype=torch.long), use_cache=True)
        cache = getattr(out, "cache", None) or out.cache_params
        states = [t for layer in cache.rnn_state.values() for t in layer]
        assert {t.dtype for t in states} == {getattr(torch, dtype)}
        measured = sum(t.numel() * t.element_size() for t in states)
        assert measured == vl.kv_cache_bytes(spec, tokens=tokens, concurrency=batch, kv_dtype=kv_dtype)


def test_xlstm_refuses_embedding_dim_other_than_hidden_size():
    with pytest.raises(VramlabError) as e:
        vl.load_model(_config("xlstm", hidden_size=256, embedding_dim=512))
    assert e.value.field == "embedding_dim"


# -- HRM ----------------------------------------------------------------------------------------------------
def _hrm(**kw) -> dict:
    cfg = _config("hrm_text", **kw)
    return {k: v for k, v in cfg.items() if v is not None}


def test_hrm_parameters_and_cache_slots():
    """One cache slot per attention call: per-stack layers x H_cycles x (L_cycles + 1)."""
    _same_count(_hrm(num_hidden_layers=3, num_layers_per_stack=None, H_cycles=3, L_cycles=2, attention_bias=True,
                     mlp_bias=True, tie_word_embeddings=True))
    cfg = _hrm(num_hidden_layers=2, num_layers_per_stack=None, hidden_size=64, num_attention_heads=4, head_dim=16,
               vocab_size=128, intermediate_size=32, H_cycles=2, L_cycles=2, torch_dtype="float32")
    spec = vl.load_model(copy.deepcopy(cfg))
    assert spec.num_layers == 2 * 2 * 3
    model = build_model(copy.deepcopy(cfg), "float32")
    for tokens in (3, 8):
        cache = forward_cache(model, tokens, batch=2)
        assert len(cache_layers(cache)) == spec.num_layers
        assert cache_bytes(cache) == vl.kv_cache_bytes(spec, tokens=tokens, concurrency=2, kv_dtype="fp32")
    saved = _hrm(num_hidden_layers=24, num_layers_per_stack=2, H_cycles=2, L_cycles=5)  # as to_dict writes it
    _same_count(saved)
