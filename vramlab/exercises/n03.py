"""Exercises of notebook 03 (attention variants: MHA, GQA, MQA, MLA, sliding windows)."""

from fractions import Fraction

from . import Exercise


def _mha_over_gqa() -> float:
    from ..memory import kv_bytes_per_token

    return float(Fraction(kv_bytes_per_token("meta-llama/Llama-2-7b-hf", "bf16"),
                          kv_bytes_per_token("meta-llama/Llama-3.1-8B-Instruct", "bf16")))


def _gemma2_32k_gib() -> float:
    from ..memory import kv_cache_bytes
    from ..units import to_unit

    return to_unit(kv_cache_bytes("google/gemma-2-9b", tokens=32768, concurrency=1, kv_dtype="bf16"), "GiB")


def _deepseek_v3_kv_per_token() -> int:
    from ..memory import kv_bytes_per_token

    return kv_bytes_per_token("deepseek-ai/DeepSeek-V3", "bf16")


def _deepseek_v2_reduction_8bit() -> float:
    from ..articles import deepseek_mla_reduction

    return deepseek_mla_reduction(8)


EXERCISES = {
    "03.1": Exercise(
        question="How many times more bf16 KV cache per token does Llama-2-7B (MHA, 32 KV heads) need than "
                 "Llama-3.1-8B (GQA, 8 KV heads)? Both have 32 layers and head_dim 128.",
        answer=_mha_over_gqa,
        hint="Only H_kv differs in 2 L H_kv d_head bytes.",
        rel_tol=1e-9,
        unit="x",
        solution="{answer} times: 32 KV heads against 8.",
    ),
    "03.2": Exercise(
        question="Gemma-2-9B alternates 21 sliding-window layers (window 4,096) with 21 full layers "
                 "(8 KV heads, head_dim 256). How many GiB of bf16 KV cache does one 32,768-token sequence take?",
        answer=_gemma2_32k_gib,
        hint="Full layers keep 32,768 positions, sliding layers min(32,768, 4,096); "
             "each position costs 2 x 8 x 256 x 2 bytes per layer.",
        rel_tol=0.005,
        unit="GiB",
        solution="{answer} GiB: (21 x 32,768 + 21 x 4,096) x 8,192 bytes.",
    ),
    "03.3": Exercise(
        question="DeepSeek-V3 caches a 512-value latent plus a 64-value RoPE key per layer (61 layers). "
                 "How many bytes per token in bf16?",
        answer=_deepseek_v3_kv_per_token,
        hint="MLA has no factor 2: (d_c + d_R) x L x 2 bytes.",
        unit="bytes",
        solution="{answer} bytes: 576 x 61 x 2.",
    ),
    "03.4": Exercise(
        question="With an 8-bit KV cache for DeepSeek-V2 (MLA) against a bf16 cache for DeepSeek-67B (GQA), "
                 "how many percent less KV cache per token?",
        answer=_deepseek_v2_reduction_8bit,
        hint="1 - (576 x 60 x 8) / (2 x 8 x 128 x 95 x 16), as a percentage.",
        rel_tol=0.001,
        unit="%",
        solution="{answer} %.",
    ),
}
