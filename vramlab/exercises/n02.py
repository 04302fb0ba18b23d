"""Exercises of notebook 02 (the KV cache)."""

from . import Exercise


def _llama8b_kv_per_token() -> int:
    from ..memory import kv_bytes_per_token

    return kv_bytes_per_token("meta-llama/Llama-3.1-8B-Instruct", "bf16")


def _qwen3_8b_16x8192_fp8_gib() -> float:
    from ..memory import kv_cache_bytes
    from ..units import to_unit

    return to_unit(kv_cache_bytes("Qwen/Qwen3-8B", tokens=8192, concurrency=16, kv_dtype="fp8"), "GiB")


def _llama70b_tokens_in_10_gib() -> int:
    from ..memory import kv_bytes_per_token
    from ..units import GiB

    return 10 * GiB // kv_bytes_per_token("meta-llama/Llama-3.1-70B-Instruct", "bf16")


def _projections_without_cache() -> int:
    from ..decoding import decode_work

    w = decode_work("Qwen/Qwen3-8B", context=1000)
    return w.kv_vectors_no_cache // w.kv_vectors_cache


EXERCISES = {
    "02.1": Exercise(
        question="How many bytes of bf16 KV cache does one token of Llama-3.1-8B take "
                 "(32 layers, 8 KV heads, head_dim 128)?",
        answer=_llama8b_kv_per_token,
        hint="2 (K and V) x layers x KV heads x head_dim x 2 bytes.",
        unit="bytes",
        solution="{answer} bytes: 2 x 32 x 8 x 128 x 2 (128 KiB).",
    ),
    "02.2": Exercise(
        question="Qwen3-8B serves 16 conversations of 8,192 tokens each with an FP8 KV cache. "
                 "How many GiB does the KV cache take?",
        answer=_qwen3_8b_16x8192_fp8_gib,
        hint="concurrency x tokens x KV per token; FP8 halves the 147,456 bf16 bytes per token.",
        rel_tol=0.005,
        unit="GiB",
        solution="{answer} GiB: 16 x 8,192 x 73,728 bytes.",
    ),
    "02.3": Exercise(
        question="How many whole tokens of bf16 KV cache for Llama-3.1-70B fit in 10 GiB?",
        answer=_llama70b_tokens_in_10_gib,
        hint="Divide 10 x 2**30 bytes by the KV per token (2 x 80 x 8 x 128 x 2 bytes), rounding down.",
        unit="tokens",
        solution="{answer} tokens.",
    ),
    "02.4": Exercise(
        question="Without a KV cache, generating the 1,000th token of a sequence projects K and V for how "
                 "many tokens in every layer? (With a cache: 1.)",
        answer=_projections_without_cache,
        hint="Without a cache nothing is remembered: the whole sequence goes through every layer again.",
        unit="tokens",
        solution="{answer} tokens per layer, where the cache needs 1.",
    ),
}
