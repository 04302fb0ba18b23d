"""Exercises of notebook 09 (training memory: model states, ZeRO, LoRA, activations)."""

from . import Exercise


def _adamw_bytes_per_param() -> int:
    from ..training import model_states_bytes

    return int(model_states_bytes(1).bytes_per_param)


def _qwq_zero2_gb() -> float:
    from ..training import model_states_bytes
    from ..units import to_unit

    return to_unit(model_states_bytes("Qwen/QwQ-32B", zero_stage=2, num_gpus=8).total, "GB")


def _qwen3_lora_qv() -> int:
    from ..training import lora_params

    return lora_params("Qwen/Qwen3-8B", 16, ["q_proj", "v_proj"])


def _qwq_tokens_160gb() -> int:
    from ..training import tokens_for_activation_bytes
    from ..units import GB

    return tokens_for_activation_bytes("Qwen/QwQ-32B", 160 * GB)


EXERCISES = {
    "09.1": Exercise(
        question="Mixed-precision AdamW: how many bytes of model states does one parameter cost "
                 "(bf16 weight and gradient, fp32 master copy, fp32 m and v)?",
        answer=_adamw_bytes_per_param,
        hint="2 + 2 + K, where K = 4 (master) + 4 (m) + 4 (v).",
        unit="bytes",
        solution="{answer} bytes per parameter: 2 + 2 + 12.",
    ),
    "09.2": Exercise(
        question="Full fine-tuning of QwQ-32B (32,763,876,352 parameters) with mixed-precision AdamW "
                 "and ZeRO stage 2 on 8 GPUs: model states per GPU, in GB?",
        answer=_qwq_zero2_gb,
        hint="Stage 2 keeps the full 2-byte weights on every GPU and shards gradients (2 bytes) and "
             "optimizer states (12 bytes): 2·P + 14·P / 8.",
        rel_tol=0.005,
        unit="GB",
        solution="{answer} GB per GPU.",
    ),
    "09.3": Exercise(
        question="LoRA rank 16 on q_proj and v_proj only: how many trainable parameters for Qwen3-8B "
                 "(36 layers, hidden 4,096, 32 query heads and 8 KV heads of 128)?",
        answer=_qwen3_lora_qv,
        hint="Per layer r·(in + out) for each: q_proj 4,096 -> 4,096, v_proj 4,096 -> 1,024 (GQA).",
        unit="parameters",
        solution="{answer} parameters: 36 x 16 x ((4,096 + 4,096) + (4,096 + 1,024)).",
    ),
    "09.4": Exercise(
        question="At how many tokens in one sequence do QwQ-32B's training activations (no recomputation, "
                 "FlashAttention, bf16) reach the article's lower figure of 160 GB?",
        answer=_qwq_tokens_160gb,
        hint="Activations grow with tokens, not with parameters: use "
             "vl.training.tokens_for_activation_bytes(m, 160 * vl.GB), or divide 160 GB by the bytes per token.",
        rel_tol=0.02,
        unit="tokens",
        solution="{answer} tokens.",
    ),
}
