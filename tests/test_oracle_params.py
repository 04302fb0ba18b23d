"""Oracle: vramlab's exact parameter counts equal transformers' for every preset."""

import pytest

import vramlab as vl
from vramlab.presets import preset_record

from .oracle import meta_param_count

pytestmark = pytest.mark.oracle


@pytest.mark.parametrize("model_id", vl.list_models())
def test_param_count_equals_transformers_meta_model(model_id):
    config = preset_record(model_id)["config"]  # the language model (vision towers: tests/test_towers.py)
    assert vl.load_model(model_id).param_count(towers=False) == meta_param_count(config)


#: One case per family of the table beyond the presets (and the switches each one reads),
#: small geometry: vramlab's count must equal transformers' meta-device model exactly.
_SMALL = {"num_hidden_layers": 3, "hidden_size": 64, "intermediate_size": 96, "num_attention_heads": 4,
          "num_key_value_heads": 2, "vocab_size": 300, "pad_token_id": 0, "bos_token_id": 0, "eos_token_id": 0}
_GPT = {"n_layer": 3, "n_embd": 64, "n_head": 4, "vocab_size": 300}
FAMILY_CASES = {
    "gpt2": {**_GPT, "model_type": "gpt2", "n_positions": 128},
    "gpt2 n_inner": {**_GPT, "model_type": "gpt2", "n_positions": 64, "n_inner": 80, "tie_word_embeddings": False},
    "gptj": {**_GPT, "model_type": "gptj", "n_positions": 64, "rotary_dim": 8},
    "gpt_neox": {**_SMALL, "model_type": "gpt_neox", "num_key_value_heads": 4, "rotary_pct": 0.25},
    "gpt_neox no bias": {**_SMALL, "model_type": "gpt_neox", "num_key_value_heads": 4, "attention_bias": False},
    "opt": {"model_type": "opt", "pad_token_id": 0, "num_hidden_layers": 2, "hidden_size": 64, "ffn_dim": 96, "num_attention_heads": 4,
            "vocab_size": 300, "max_position_embeddings": 100, "word_embed_proj_dim": 64},
    "opt projected, no affine": {"model_type": "opt", "pad_token_id": 0, "num_hidden_layers": 2, "hidden_size": 64, "ffn_dim": 96,
                                 "num_attention_heads": 4, "vocab_size": 300, "max_position_embeddings": 100,
                                 "word_embed_proj_dim": 32, "layer_norm_elementwise_affine": False,
                                 "enable_bias": False},
    "opt post-norm": {"model_type": "opt", "pad_token_id": 0, "num_hidden_layers": 2, "hidden_size": 64, "ffn_dim": 96,
                      "num_attention_heads": 4, "vocab_size": 300, "max_position_embeddings": 100,
                      "word_embed_proj_dim": 64, "do_layer_norm_before": False},
    "bloom": {"model_type": "bloom", "n_layer": 2, "hidden_size": 64, "n_head": 4, "vocab_size": 300},
    "phi": {**_SMALL, "model_type": "phi", "num_key_value_heads": 4},
    "phi qk_layernorm": {**_SMALL, "model_type": "phi", "qk_layernorm": True},
    "starcoder2": {**_SMALL, "model_type": "starcoder2", "sliding_window": 32},
    "starcoder2 no bias": {**_SMALL, "model_type": "starcoder2", "use_bias": False},
    "gemma": {**_SMALL, "model_type": "gemma", "head_dim": 32},
    "cohere qk norm": {**_SMALL, "model_type": "cohere", "use_qk_norm": True},
    "cohere2": {**_SMALL, "model_type": "cohere2", "head_dim": 16, "sliding_window": 32},
    "olmo": {**_SMALL, "model_type": "olmo"},
    "olmo2": {**_SMALL, "model_type": "olmo2"},
    "olmo3": {**_SMALL, "model_type": "olmo3", "sliding_window": 32},
    "olmoe": {**_SMALL, "model_type": "olmoe", "num_experts": 4, "num_experts_per_tok": 2},
    "glm": {**_SMALL, "model_type": "glm", "head_dim": 16},
    "glm4": {**_SMALL, "model_type": "glm4", "head_dim": 16},
    "glm4_moe": {**_SMALL, "model_type": "glm4_moe", "head_dim": 32, "moe_intermediate_size": 24,
                 "n_routed_experts": 8, "num_experts_per_tok": 2, "n_shared_experts": 1, "first_k_dense_replace": 1},
    "glm4_moe qk norm, bias": {**_SMALL, "model_type": "glm4_moe", "head_dim": 32, "moe_intermediate_size": 24,
                               "n_routed_experts": 8, "num_experts_per_tok": 2, "n_shared_experts": 2,
                               "first_k_dense_replace": 2, "use_qk_norm": True, "attention_bias": True},
    "seed_oss out bias": {**_SMALL, "model_type": "seed_oss", "head_dim": 16, "attention_out_bias": True},
    "smollm3": {**_SMALL, "model_type": "smollm3"},
    "exaone4": {**_SMALL, "model_type": "exaone4", "sliding_window": 32},
    "qwen3_next": {**_SMALL, "model_type": "qwen3_next", "head_dim": 16, "num_hidden_layers": 4, "num_experts": 4,
                   "num_experts_per_tok": 2, "moe_intermediate_size": 24, "shared_expert_intermediate_size": 40,
                   "linear_num_key_heads": 2, "linear_num_value_heads": 4, "linear_key_head_dim": 8,
                   "linear_value_head_dim": 12, "mlp_only_layers": [1], "full_attention_interval": 2},
    "jamba": {**_SMALL, "model_type": "jamba", "num_hidden_layers": 4, "num_experts": 4, "num_experts_per_tok": 2,
              "attn_layer_period": 2, "attn_layer_offset": 1, "mamba_d_state": 8, "mamba_expand": 2},
    "jamba biases, dt rank": {**_SMALL, "model_type": "jamba", "num_hidden_layers": 3, "num_experts": 4,
                              "num_experts_per_tok": 2, "attn_layer_period": 3, "attn_layer_offset": 2,
                              "expert_layer_period": 3, "expert_layer_offset": 0, "mamba_dt_rank": 5,
                              "mamba_conv_bias": False, "mamba_proj_bias": True},
    "falcon_h1": {**_SMALL, "model_type": "falcon_h1", "head_dim": 16, "mamba_n_heads": 4, "mamba_d_head": 8,
                  "mamba_d_ssm": 32, "mamba_d_state": 8},
    "falcon_h1 norms, biases, no d_ssm": {**_SMALL, "model_type": "falcon_h1", "head_dim": 16, "mamba_n_heads": 16,
                                          "mamba_d_head": 8, "mamba_d_ssm": None, "mamba_n_groups": 2,
                                          "mamba_d_state": 8, "mamba_rms_norm": True, "mamba_proj_bias": True,
                                          "projectors_bias": True, "mamba_conv_bias": False, "mlp_bias": True},
    "ernie4_5 biases": {**_SMALL, "model_type": "ernie4_5", "use_bias": True, "tie_word_embeddings": False},
    "ernie4_5_moe": {**_SMALL, "model_type": "ernie4_5_moe", "num_hidden_layers": 4, "moe_num_experts": 4, "moe_k": 2,
                     "moe_intermediate_size": 24, "moe_num_shared_experts": 1, "moe_layer_start_index": 1,
                     "moe_layer_end_index": 3},
    "ernie4_5_moe biases, interval": {**_SMALL, "model_type": "ernie4_5_moe", "num_hidden_layers": 5,
                                      "moe_num_experts": 4, "moe_k": 2, "moe_intermediate_size": 24,
                                      "moe_num_shared_experts": 2, "moe_layer_start_index": 0,
                                      "moe_layer_end_index": 3, "moe_layer_interval": 2, "use_bias": True},
    "granite biases": {**_SMALL, "model_type": "granite", "attention_bias": True, "mlp_bias": True},
    "granitemoe": {**_SMALL, "model_type": "granitemoe", "num_local_experts": 4, "num_experts_per_tok": 2,
                   "attention_bias": True},
    "granitemoeshared": {**_SMALL, "model_type": "granitemoeshared", "num_local_experts": 4,
                         "num_experts_per_tok": 2, "shared_intermediate_size": 40},
    "ministral3": {**_SMALL, "model_type": "ministral3", "head_dim": 16, "sliding_window": 32},
    "vaultgemma": {**_SMALL, "model_type": "vaultgemma", "head_dim": 32, "attention_bias": True},
    "deepseek_v32": {**_SMALL, "model_type": "deepseek_v32", "hidden_size": 128, "num_key_value_heads": 4,
                     "moe_intermediate_size": 16, "n_routed_experts": 4, "num_experts_per_tok": 2, "n_group": 2,
                     "topk_group": 1, "first_k_dense_replace": 1, "kv_lora_rank": 32, "q_lora_rank": 48,
                     "qk_rope_head_dim": 16, "qk_nope_head_dim": 16, "v_head_dim": 16, "index_n_heads": 2,
                     "index_head_dim": 32, "index_topk": 4, "layer_types": ["indexed_attention"] * 3},
    "minimax": {**_SMALL, "model_type": "minimax", "num_hidden_layers": 4, "head_dim": 16, "num_local_experts": 4,
                "num_experts_per_tok": 2, "layer_types": ["linear_attention", "full_attention"] * 2},
    "nemotron_h": {"model_type": "nemotron_h", "hybrid_override_pattern": "M-M*E", "hidden_size": 64,
                   "intermediate_size": 48, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
                   "mamba_num_heads": 4, "mamba_head_dim": 8, "n_groups": 2, "ssm_state_size": 8,
                   "n_routed_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 16,
                   "moe_shared_expert_intermediate_size": 24, "vocab_size": 300, "pad_token_id": 0},
    "nemotron_h latent, biases": {"model_type": "nemotron_h", "layers_block_type": ["linear_attention", "moe", "mlp",
                                                                                   "full_attention"],
                                  "hidden_size": 64, "intermediate_size": 48, "num_attention_heads": 4,
                                  "num_key_value_heads": 2, "head_dim": 16, "mamba_num_heads": 4,
                                  "mamba_head_dim": 8, "n_groups": 1, "ssm_state_size": 8, "n_routed_experts": 4,
                                  "num_experts_per_tok": 2, "moe_intermediate_size": 16, "moe_latent_size": 32,
                                  "moe_shared_expert_intermediate_size": 24, "use_bias": True, "mlp_bias": True,
                                  "use_conv_bias": False, "vocab_size": 300, "pad_token_id": 0},
    "llama4_text interleaved": {**_SMALL, "model_type": "llama4_text", "num_hidden_layers": 4, "head_dim": 16,
                                "intermediate_size_mlp": 48, "num_local_experts": 4, "num_experts_per_tok": 1,
                                "interleave_moe_layer_step": 2},
    "llama4_text moe_layers, bias": {**_SMALL, "model_type": "llama4_text", "num_hidden_layers": 3, "head_dim": 16,
                                     "intermediate_size_mlp": 48, "num_local_experts": 4, "num_experts_per_tok": 2,
                                     "moe_layers": [1], "attention_bias": True, "attention_chunk_size": 16},
}


@pytest.mark.parametrize("case", list(FAMILY_CASES))
def test_family_case_equals_transformers_meta_model(case):
    config = FAMILY_CASES[case]
    m = vl.load_model(config)
    assert m.exact, case
    assert m.param_count() == meta_param_count(config), case
