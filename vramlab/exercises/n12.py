"""Exercises of notebook 12 (memory sets the speed: decode and prefill bounds)."""

from . import Exercise

QWEN3 = "Qwen/Qwen3-8B"


def _qwen3_one_sequence_tokens_per_s() -> float:
    from ..speed import decode_speed

    return decode_speed(QWEN3, "H100 80GB", tokens=4096, concurrency=1, weight_dtype="bf16").tokens_per_s


def _qwen3_crossover_256() -> int:
    from ..speed import decode_speed

    return decode_speed(QWEN3, "H100 80GB", tokens=256, weight_dtype="bf16").crossover_concurrency


def _moe_over_dense() -> float:
    from ..speed import decode_speed

    moe = decode_speed("Qwen/Qwen3-30B-A3B", "H100 80GB", tokens=4096, weight_dtype="bf16")
    dense = decode_speed("Qwen/Qwen3-32B", "H100 80GB", tokens=4096, weight_dtype="bf16")
    return moe.tokens_per_s / dense.tokens_per_s


def _ttft_32k_ms() -> float:
    from ..speed import prefill_time

    return prefill_time(QWEN3, "H100 80GB", tokens=32768, weight_dtype="bf16").seconds * 1e3


EXERCISES = {
    "12.1": Exercise(
        question="By hand: Qwen3-8B in bf16 (8,190,735,360 parameters; 144 KiB of KV per token) decodes one "
                 "sequence at 4,096 tokens of context on an H100 SXM (3.35 TB/s). At most how many tokens "
                 "per second?",
        answer=_qwen3_one_sequence_tokens_per_s,
        hint="Each step reads 2 bytes per parameter plus 4,096 x 147,456 bytes of KV; the step takes at "
             "least bytes / 3.35e12 seconds, and one sequence gets one token per step.",
        rel_tol=0.02,
        unit="tokens/s",
        solution="{answer} tokens/s: about 17 GB per step at 3.35 TB/s is 5 ms.",
    ),
    "12.2": Exercise(
        question="Qwen3-8B (bf16) on an H100: how many sequences of 256 tokens must share a decode step before "
                 "it turns compute-bound?",
        answer=_qwen3_crossover_256,
        hint="Solve c x FLOPs per token / peak = (weights + c x KV per sequence) / bandwidth for c, or read "
             "decode_speed(...).crossover_concurrency.",
        rel_tol=0.05,
        unit="sequences",
        solution="{answer} sequences: below that the weight reads, shared by the batch, set the pace.",
    ),
    "12.3": Exercise(
        question="Decoding at 32,768 tokens with 16 sequences, an fp8 KV cache makes the bound much "
                 "faster; with 1 sequence at 1,024 tokens it changes almost nothing. Why? "
                 "(a) fp8 arithmetic is only fast for large batches; "
                 "(b) the bound counts bytes: with 16 long sequences the KV cache is most of the bytes read per "
                 "step, with one short sequence the weights are; "
                 "(c) an fp8 cache is only used beyond 8,192 tokens.",
        answer=lambda: "b",
        hint="Compare weight_bytes and kv_bytes of the two steps.",
        choices=("a", "b", "c"),
        solution="({answer}) Halving the KV bytes halves the step only when the KV dominates the bytes: "
                 "16 x 32,768 tokens x 144 KiB is 77 GB against 16 GB of weights.",
    ),
    "12.4": Exercise(
        question="Qwen3-30B-A3B (a mixture of experts, about 3.3 billion active parameters) against the dense "
                 "Qwen3-32B, both bf16, one sequence at 4,096 tokens on an H100: how many times faster is the "
                 "MoE's bound?",
        answer=_moe_over_dense,
        hint="One sequence reads only the 8 routed experts of 128 per layer: compare the bytes per step of "
             "the two models (weights read + KV).",
        rel_tol=0.03,
        unit="x",
        solution="{answer} x: the MoE holds 61 GB of weights but reads under 7 GB per step.",
    ),
    "12.5": Exercise(
        question="Time to first token: at least how many milliseconds does the prefill of one 32,768-token "
                 "prompt take for Qwen3-8B (bf16) on an H100 (989 dense bf16 TFLOP/s)?",
        answer=_ttft_32k_ms,
        hint="2 FLOPs per (non-embedding) parameter per prompt token, plus attention: each of 36 layers does "
             "2 x 32 heads x 256 x T(T+1)/2 FLOPs; divide by the peak.",
        rel_tol=0.03,
        unit="ms",
        solution="{answer} ms: prefill is compute-bound, and at 32k the quadratic attention term is already "
                 "a large share of it.",
    ),
}
