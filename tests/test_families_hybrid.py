"""Oracle: hybrid and attention-free families (Mamba-1/2, short convolutions, linear attention) against transformers.

For each family a config other than transformers' default (sizes changed, switches toggled, the
layer pattern of a real checkpoint) is counted by vramlab and by the model built on the meta device;
then a tiny model is built on the CPU, one forward pass runs with ``use_cache=True`` and the bytes of
its cache (K/V of the attention layers, conv and recurrent states of the others) are set beside
:func:`vramlab.memory.kv_cache_breakdown`, in float32 and bfloat16, for two lengths and batch sizes.
"""

from __future__ import annotations

import pytest

import vramlab as vl
from vramlab.memory import kv_cache_breakdown

from .oracle import TORCH_KV_DTYPES, build_model, cache_layers, forward_cache, meta_param_count, tensor_bytes, torch
from .oracle import one_torch_thread  # noqa: F401  (autouse: forward passes on one thread)

pytestmark = pytest.mark.oracle

_IDS = {"pad_token_id": 0, "bos_token_id": 0, "eos_token_id": 0, "vocab_size": 128}
_ATT = {"hidden_size": 64, "intermediate_size": 32, "num_attention_heads": 4, "num_key_value_heads": 2, **_IDS}
_M2 = {"mamba_n_heads": 8, "mamba_d_state": 8, "mamba_chunk_size": 4}

#: name: (config, attention layers, layers with a fixed state)
CASES = {
    "mamba: untied, expand 3, kernel 3, projection biases, dt rank 5": ({
        "model_type": "mamba", "num_hidden_layers": 2, "hidden_size": 64, "state_size": 8, "expand": 3,
        "conv_kernel": 3, "use_bias": True, "time_step_rank": 5, "tie_word_embeddings": False, **_IDS}, 0, 2),
    "falcon_mamba: no conv bias, dt rank auto": ({
        "model_type": "falcon_mamba", "num_hidden_layers": 3, "hidden_size": 48, "state_size": 4,
        "use_conv_bias": False, **_IDS}, 0, 3),
    "mamba2: 8 heads of 16, 2 groups, projection biases": ({
        "model_type": "mamba2", "num_hidden_layers": 2, "hidden_size": 64, "state_size": 8, "num_heads": 8,
        "head_dim": 16, "n_groups": 2, "chunk_size": 4, "use_bias": True, **_IDS}, 0, 2),
    "bamba: attention at layer 1 of 3, attention and projection biases": ({
        "model_type": "bamba", "num_hidden_layers": 3, **_ATT, **_M2, "attn_layer_indices": [1],
        "mamba_n_groups": 2, "mamba_proj_bias": True, "attention_bias": True}, 1, 2),
    "granitemoehybrid: legacy mamba/attention layer_types, 4 experts": ({
        "model_type": "granitemoehybrid", "num_hidden_layers": 3, **_ATT, **_M2,
        "layer_types": ["mamba", "attention", "mamba"], "num_local_experts": 4, "shared_intermediate_size": 48}, 1, 2),
    "granitemoehybrid: no experts (Granite-4.0-H-Micro), tied": ({
        "model_type": "granitemoehybrid", "num_hidden_layers": 4, **_ATT, **_M2,
        "layer_types": ["linear_attention", "full_attention"] * 2, "num_local_experts": 0,
        "shared_intermediate_size": 48, "tie_word_embeddings": True}, 2, 2),
    "lfm2: legacy block_ff_dim and tie_embedding, width multiplier, conv biases": ({
        "model_type": "lfm2", "num_hidden_layers": 3, **_ATT, "block_ff_dim": 96, "block_multiple_of": 32,
        "block_ffn_dim_multiplier": 1.5, "tie_embedding": False, "conv_bias": True,
        "layer_types": ["conv", "full_attention", "conv"]}, 1, 2),
    "lfm2: full_attn_idxs, no width adjustment": ({
        "model_type": "lfm2", "num_hidden_layers": 4, **_ATT, "full_attn_idxs": [1, 3],
        "block_auto_adjust_ff_dim": False, "conv_L_cache": 5}, 2, 2),
    "lfm3: default pattern (conv, sliding, full), biases, no sandwich norms": ({
        "model_type": "lfm3", "num_hidden_layers": 6, **_ATT, "head_dim": 16, "sliding_window": 16,
        "conv_bias": True, "attention_bias": True, "use_sandwich_norm": False}, 2, 4),
    "lfm3: no output gate, kernel 3": ({
        "model_type": "lfm3", "num_hidden_layers": 4, **_ATT, "head_dim": 8, "sliding_window": 16,
        "use_attention_gate": False, "conv_L_cache": 3,
        "layer_types": ["conv", "sliding_attention", "conv", "full_attention"]}, 2, 2),
    "olmo_hybrid: default pattern (full every 4th), derived linear heads and widths, biases, kernel 3": ({
        "model_type": "olmo_hybrid", "num_hidden_layers": 4, **_ATT, "attention_bias": True,
        "linear_num_key_heads": 2, "linear_conv_kernel_dim": 3}, 1, 3),
    "olmo_hybrid: layer_types, MHA, explicit d_k and d_v": ({
        "model_type": "olmo_hybrid", "num_hidden_layers": 3, **_ATT, "num_key_value_heads": 4,
        "layer_types": ["linear_attention", "full_attention", "linear_attention"], "linear_key_head_dim": 8,
        "linear_value_head_dim": 12}, 1, 2),
    "zamba: default block pattern from attn_layer_period 3 / offset 1, untied (a block per hybrid layer)": ({
        "model_type": "zamba", "num_hidden_layers": 10, **_ATT, "attn_layer_period": 3, "attn_layer_offset": 1,
        "n_mamba_heads": 2, "mamba_d_state": 8, "use_mamba_kernels": False, "mamba_proj_bias": True,
        "mamba_dt_rank": 6, "tie_word_embeddings": False}, 3, 10),
    "zamba: legacy mamba/hybrid blocks, tied (one shared block), no conv bias": ({
        "model_type": "zamba", "num_hidden_layers": 4, **_ATT, "num_key_value_heads": 4,
        "layers_block_type": ["mamba", "hybrid", "mamba", "hybrid"], "n_mamba_heads": 1, "mamba_d_state": 8,
        "use_mamba_kernels": False, "mamba_conv_bias": False}, 2, 4),
    "zamba2: 2 memory blocks, attention adapters, biases, 2 groups, untied": ({
        "model_type": "zamba2", "num_hidden_layers": 4, **_ATT, "num_key_value_heads": 4,
        "layers_block_type": ["mamba", "hybrid", "hybrid", "hybrid"], "n_mamba_heads": 4, "mamba_d_state": 8,
        "chunk_size": 4, "use_mamba_kernels": False, "num_mem_blocks": 2, "adapter_rank": 8,
        "use_shared_attention_adapter": True, "add_bias_linear": True, "mamba_ngroups": 2,
        "tie_word_embeddings": False}, 3, 4),
    "zamba2: tied memory blocks, GQA, MLP width given": ({
        "model_type": "zamba2", "num_hidden_layers": 5, **_ATT, "intermediate_size": 48,
        "layers_block_type": ["mamba", "hybrid", "hybrid", "mamba", "hybrid"], "n_mamba_heads": 2,
        "mamba_d_state": 8, "chunk_size": 4, "use_mamba_kernels": False, "num_mem_blocks": 2, "adapter_rank": 4}, 3, 5),
    "kimi_linear: checkpoint spellings (linear_attn_config, num_experts, num_shared_experts 2)": ({
        "model_type": "kimi_linear", "num_hidden_layers": 3, **_ATT, "num_key_value_heads": 4,
        "moe_intermediate_size": 16, "num_experts": 4, "num_experts_per_token": 2, "num_shared_experts": 2,
        "kv_lora_rank": 16, "qk_rope_head_dim": 8, "qk_nope_head_dim": 8, "v_head_dim": 8,
        "linear_attn_config": {"full_attn_layers": [2], "kda_layers": [1, 3], "head_dim": 8, "num_heads": 4,
                               "short_conv_kernel_size": 3}}, 1, 2),
    "kimi_linear: compressed queries, biases, mlp_layer_types, never tied": ({
        "model_type": "kimi_linear", "num_hidden_layers": 5, **_ATT, "num_key_value_heads": 4,
        "moe_intermediate_size": 16, "num_local_experts": 4, "num_experts_per_tok": 2, "kv_lora_rank": 16,
        "q_lora_rank": 24, "attention_bias": True, "qk_rope_head_dim": 8, "qk_nope_head_dim": 8, "v_head_dim": 12,
        "linear_head_dim": 8, "linear_num_heads": 2, "mlp_layer_types": ["sparse", "dense", "sparse", "dense", "sparse"],
        "tie_word_embeddings": True}, 1, 4),
    "falcon_mamba: intermediate_size of the file (not expand x hidden), dt rank 3": ({
        "model_type": "falcon_mamba", "num_hidden_layers": 2, "hidden_size": 48, "intermediate_size": 80,
        "state_size": 4, "time_step_rank": 3, **_IDS}, 0, 2),
    "bailing_hybrid: Ring-2.5 spellings, KDA of head_dim 8, MLA every 2nd layer, first layer dense": ({
        "model_type": "bailing_hybrid", "num_hidden_layers": 4, **_ATT, "num_key_value_heads": 4,
        "moe_intermediate_size": 16, "num_experts": 4, "num_experts_per_token": 2, "num_shared_experts": 1,
        "n_group": 1, "topk_group": 1, "kv_lora_rank": 16, "qk_rope_head_dim": 8, "qk_nope_head_dim": 8,
        "v_head_dim": 8, "head_dim": 8, "short_conv_kernel_size": 3, "layer_group_size": 2,
        "first_k_dense_replace": 1}, 2, 2),
    "bailing_hybrid: saved linear_* fields win, compressed queries, biases": ({
        "model_type": "bailing_hybrid", "num_hidden_layers": 3, **_ATT, "num_key_value_heads": 4,
        "moe_intermediate_size": 16, "num_local_experts": 4, "num_experts_per_tok": 2, "n_group": 1, "topk_group": 1,
        "kv_lora_rank": 16, "q_lora_rank": 24, "attention_bias": True, "qk_rope_head_dim": 8, "qk_nope_head_dim": 8,
        "v_head_dim": 12, "head_dim": 8, "linear_head_dim": 16, "linear_num_heads": 2, "linear_conv_kernel_dim": 2,
        "layer_types": ["linear_attention", "full_attention", "linear_attention"],
        "mlp_layer_types": ["sparse", "dense", "sparse"]}, 1, 2),
}


@pytest.mark.parametrize("case", list(CASES))
def test_parameters_equal_transformers(case):
    cfg = CASES[case][0]
    m = vl.load_model(cfg)
    assert m.exact
    assert m.param_count() == meta_param_count(cfg)
    assert sum(m.param_breakdown().values()) == m.param_count()


@pytest.mark.parametrize("case", list(CASES))
def test_cache_equals_transformers(case):
    """K/V grows with the tokens in the attention layers; conv and recurrent states are fixed per sequence."""
    from vramlab.oracle import state_tensors

    cfg, n_attention, n_state = CASES[case]
    for dtype in ("float32", "bfloat16"):
        spec = vl.load_model({**cfg, "torch_dtype": dtype})
        assert spec.num_attention_layers == n_attention
        assert sum(la.conv_state + la.recurrent_state > 0 for la in spec.layers) == n_state
        model = build_model(cfg, dtype)
        per_sequence = set()
        for tokens, batch in [(3, 1), (9, 2)]:
            cache = forward_cache(model, tokens, batch=batch)
            kv = sum(tensor_bytes(k) + tensor_bytes(v) for k, v in cache_layers(cache))
            states = state_tensors(cache)
            conv = sum(tensor_bytes(t) for t in states["conv"])
            rec = sum(tensor_bytes(t) for t in states["recurrent"])
            assert len(states["conv"]) == sum(la.conv_state > 0 for la in spec.layers)
            assert len(states["recurrent"]) == sum(la.recurrent_state > 0 for la in spec.layers)
            got = kv_cache_breakdown(spec, tokens=tokens, concurrency=batch, kv_dtype=TORCH_KV_DTYPES[dtype])
            assert (kv, conv, rec) == (got["kv"], got["conv_state"], got["recurrent_state"]), (dtype, tokens, batch)
            per_sequence.add((got["conv_state"] // batch, got["recurrent_state"] // batch))
        assert len(per_sequence) == 1


def test_mamba_without_heads_caches_no_kv():
    m = vl.load_model(CASES["mamba: untied, expand 3, kernel 3, projection biases, dt rank 5"][0])
    assert m.num_attention_layers == 0
    assert kv_cache_breakdown(m, tokens=10_000)["kv"] == 0


def test_bad_mamba2_heads_are_refused():
    cfg = {**CASES["mamba2: 8 heads of 16, 2 groups, projection biases"][0], "head_dim": 12}
    with pytest.raises(vl.VramlabError) as e:
        vl.load_model(cfg)
    assert e.value.field == "head_dim"


@pytest.mark.parametrize("case, key, value", [
    ("lfm2: full_attn_idxs, no width adjustment", "layer_types", [["conv"], "conv", "conv", "conv"]),
    ("zamba2: tied memory blocks, GQA, MLP width given", "layers_block_type", ["hybrid", "attention"]),
    ("bamba: attention at layer 1 of 3, attention and projection biases", "mamba_n_heads", 0),
    ("zamba: default block pattern from attn_layer_period 3 / offset 1, untied (a block per hybrid layer)",
     "attn_layer_offset", {"a": 1}),
    ("kimi_linear: checkpoint spellings (linear_attn_config, num_experts, num_shared_experts 2)",
     "linear_attn_config", [1, 2]),
])
def test_bad_family_fields_are_refused_by_name(case, key, value):
    with pytest.raises(vl.VramlabError) as e:
        m = vl.load_model({**CASES[case][0], key: value})
        m.param_count()
    assert e.value.field is not None
