"""Exercises of notebook 08 (plan your deployment)."""

from ..units import to_unit
from . import Exercise


def _fewest_h100() -> int:
    from ..gpus import fit

    return fit("meta-llama/Llama-3.1-70B-Instruct", "H100 80GB", tokens=8192, concurrency=8,
               weight_dtype="bf16", kv_dtype="bf16").min_gpus


def _longest_4090() -> int:
    from ..gpus import max_context

    return max_context("Qwen/Qwen3-8B", "RTX 4090", concurrency=1, weight_dtype="bf16", kv_dtype="bf16",
                       limit=10**6)


def _fp8_more_sequences() -> int:
    from ..gpus import max_concurrency

    kw = dict(tokens=32768, weight_dtype="bf16")
    return (max_concurrency("Qwen/Qwen3-8B", "H100 80GB", kv_dtype="fp8", **kw)
            - max_concurrency("Qwen/Qwen3-8B", "H100 80GB", kv_dtype="bf16", **kw))


def _qwq_int4_headroom() -> float:
    from ..gpus import fit

    return to_unit(fit("Qwen/QwQ-32B", "RTX 4090", tokens=16000, weight_dtype="int4").headroom, "GiB")


EXERCISES = {
    "08.1": Exercise(
        question="Llama-3.1-70B-Instruct in bf16 (weights and KV), 8 sequences of 8,192 tokens: "
                 "how many H100 80GB GPUs with tensor parallelism at the fewest?",
        answer=_fewest_h100,
        hint="vl.fit(...).min_gpus; the per-GPU share must fit in 79.19 GiB, the heads must split evenly.",
        unit="GPUs",
        solution="{answer} GPUs: the fewest tensor-parallel size whose per-GPU share fits.",
    ),
    "08.2": Exercise(
        question="Qwen3-8B, bf16 weights and bf16 KV, one sequence on an RTX 4090: the longest context "
                 "(tokens) that fits, by memory alone?",
        answer=_longest_4090,
        hint="vl.gpus.max_context(..., limit=10**6) searches past the model's own limit.",
        unit="tokens",
        solution="{answer} tokens fit by memory.",
    ),
    "08.3": Exercise(
        question="Qwen3-8B in bf16 on an H100 80GB with 32,768-token sequences: how many more sequences "
                 "fit with FP8 KV than with BF16 KV?",
        answer=_fp8_more_sequences,
        hint="Subtract two vl.gpus.max_concurrency(...) results, kv_dtype='fp8' and 'bf16'.",
        unit="sequences",
        solution="{answer} more sequences.",
    ),
    "08.4": Exercise(
        question="QwQ-32B with int4 weights, one sequence of 16,000 tokens, on an RTX 4090: the headroom "
                 "in GiB (negative when short)?",
        answer=_qwq_int4_headroom,
        hint="vl.fit(..., weight_dtype='int4').headroom, divided by 2**30.",
        rel_tol=0.01,
        unit="GiB",
        solution="{answer} GiB.",
    ),
}
