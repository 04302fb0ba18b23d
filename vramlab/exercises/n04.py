"""Exercises of notebook 04 (the Qwen3-8B article, reproduced and checked)."""

from fractions import Fraction

from ..units import GiB
from . import Exercise


def _kv_fp8_per_token() -> int:
    from ..memory import kv_bytes_per_token

    return kv_bytes_per_token("Qwen/Qwen3-8B", "fp8")


def _total_8x4096_fp16_gib() -> float:
    from ..memory import estimate

    e = estimate("Qwen/Qwen3-8B", tokens=4096, concurrency=8, weight_dtype="bf16", kv_dtype="fp16",
                 margin=0.1, activation_tokens=0, framework_bytes=0)
    return e.total / GiB


def _yarn_factor() -> int:
    from ..articles import QWEN3_8B_ARTICLE, QWEN3_8B_SCENARIOS

    longest = max(tokens for _, _, tokens, _, _, _ in QWEN3_8B_SCENARIOS)
    return int(Fraction(longest, QWEN3_8B_ARTICLE["native_context"]))


def _kv_row_gb() -> float:
    from ..memory import kv_cache_bytes
    from ..units import GB

    return kv_cache_bytes("Qwen/Qwen3-8B", tokens=32768, concurrency=1, kv_dtype="fp16") / GB


EXERCISES = {
    "04.1": Exercise(
        question="How many bytes of KV cache does one token of Qwen3-8B take with an FP8 (1-byte) KV cache?",
        answer=_kv_fp8_per_token,
        hint="2 (K and V) × layers × KV heads × head_dim × 1 byte, with the values from config.json.",
        unit="bytes",
        solution="2 × 36 × 8 × 128 × 1 = {answer} bytes (72 KiB).",
    ),
    "04.2": Exercise(
        question="The article's 32,768-token FP16 row prints a KV cache of 4.50 'GB'. How many GB (10**9 bytes) is it?",
        answer=_kv_row_gb,
        hint="32,768 tokens × 147,456 bytes per token, divided by 10**9.",
        rel_tol=0.001,
        unit="GB",
        solution="{answer} GB: 4.50 is the figure in GiB.",
    ),
    "04.3": Exercise(
        question="Total for 8 conversations of 4,096 tokens with FP16 KV, the article's method "
                 "((weights + KV) × 1.1) with the exact parameter count, in GiB?",
        answer=_total_8x4096_fp16_gib,
        hint="Weights 16,381,470,720 bytes + 8 × 4,096 × 147,456 bytes, times 1.1, divided by 2**30.",
        rel_tol=0.002,
        unit="GiB",
        solution="{answer} GiB.",
    ),
    "04.4": Exercise(
        question="By what factor must YaRN stretch Qwen3-8B's native context to reach the article's 131,072 tokens?",
        answer=_yarn_factor,
        hint="Divide 131,072 by the native context from the model card.",
        solution="131,072 / 32,768 = {answer}.",
    ),
}
