"""Independent arithmetic for the tests: sizes worked out from a preset's raw config.json fields.

These never call vramlab's counting code, so a test comparing them with vramlab can fail.
"""

from __future__ import annotations

from vramlab.presets import preset_record


def checkpoint_params(model_id: str) -> int:
    """Parameters of the whole checkpoint: the language model and a multimodal checkpoint's vision
    tower, each counted by transformers on the meta device (the preset's reference figures)."""
    ref = preset_record(model_id)["reference"]
    return ref["params_computed_from_config"] + ref.get("vision_tower_params_computed", 0)


def bf16_weights(model_id: str) -> int:
    """Bytes of the weights in 16 bit: 2 per parameter of the checkpoint."""
    return 2 * checkpoint_params(model_id)


def kv_per_token_16bit(model_id: str) -> int:
    """Bytes of 16-bit K and V per token: 2 x layers x KV heads x head_dim x 2 (one KV head for MQA)."""
    c = preset_record(model_id)["config"]
    head_dim = c.get("head_dim") or c["hidden_size"] // c["num_attention_heads"]
    kv_heads = 1 if c.get("multi_query") else c["num_key_value_heads"]
    return 2 * c["num_hidden_layers"] * kv_heads * head_dim * 2


#: Small hybrid configs (Mamba-2 beside attention; Nemotron-H's block pattern) for tests that need one of each.
FALCON_H1 = {"model_type": "falcon_h1", "num_hidden_layers": 2, "hidden_size": 64, "intermediate_size": 64,
             "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "mamba_d_ssm": 32,
             "mamba_n_heads": 4, "mamba_d_head": 8, "mamba_n_groups": 1, "mamba_d_state": 8, "mamba_d_conv": 4,
             "vocab_size": 128}
NEMOTRON_H = {"model_type": "nemotron_h", "hybrid_override_pattern": "ME*-M*", "hidden_size": 64,
              "intermediate_size": 32, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
              "mamba_num_heads": 4, "mamba_head_dim": 8, "n_groups": 2, "ssm_state_size": 8, "conv_kernel": 4,
              "n_routed_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 16,
              "moe_shared_expert_intermediate_size": 16, "vocab_size": 128}
