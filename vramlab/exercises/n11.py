"""Exercises of notebook 11 (hybrid and linear attention: the cache that stops growing)."""

from . import Exercise

NEXT = "Qwen/Qwen3-Next-80B-A3B-Instruct"
DENSE = "Qwen/Qwen3-32B"


def _recurrent_bytes_per_layer() -> int:
    from ..memory import state_bytes_per_sequence
    from ..presets import load_model

    layers = sum(la.kind == "linear" for la in load_model(NEXT).layers)
    return state_bytes_per_sequence(NEXT)["recurrent"] // layers


def _next_256k_gib() -> float:
    from ..memory import kv_cache_bytes
    from ..units import to_unit

    return to_unit(kv_cache_bytes(NEXT, tokens=262144, concurrency=1, kv_dtype="bf16"), "GiB")


def _crossover() -> int:
    from ..planning import cache_crossover

    return cache_crossover(NEXT, DENSE, "bf16")


def _sequences_ratio_32k() -> float:
    from ..memory import kv_cache_bytes

    return kv_cache_bytes(DENSE, 32768, 1, "bf16") / kv_cache_bytes(NEXT, 32768, 1, "bf16")


EXERCISES = {
    "11.1": Exercise(
        question="By hand: a Gated DeltaNet layer of Qwen3-Next keeps, for each of its 32 value heads, one "
                 "128 x 128 matrix (key dim x value dim) in fp32. How many bytes is that recurrent state per "
                 "layer and sequence?",
        answer=_recurrent_bytes_per_layer,
        hint="heads x d_k x d_v values, 4 bytes each; no token count appears.",
        unit="bytes",
        solution="{answer} bytes: 32 x 128 x 128 x 4, at any context.",
    ),
    "11.2": Exercise(
        question="Qwen3-Next-80B-A3B (12 full-attention layers with 2 KV heads of 256, 36 Gated DeltaNet "
                 "layers) holds one sequence of 262,144 tokens with a bf16 KV cache. How many GiB is its "
                 "whole cache, K/V and state?",
        answer=_next_256k_gib,
        hint="K/V: 12 x 262,144 x (2 x 2 x 256) x 2 bytes; add the fixed state of the 36 linear layers "
             "(conv in bf16, recurrent in fp32); divide by 2**30.",
        rel_tol=0.005,
        unit="GiB",
        solution="{answer} GiB, almost all of it the K/V of the 12 full-attention layers.",
    ),
    "11.3": Exercise(
        question="From how many tokens per sequence on is Qwen3-Next's cache (bf16 K/V + its fixed state) "
                 "smaller than the dense Qwen3-32B's (64 layers, 8 KV heads of 128)?",
        answer=_crossover,
        hint="Solve 24,576 T + state = 262,144 T for T, with the state of vl.memory.state_bytes_per_sequence, "
             "and take the next whole token.",
        rel_tol=0.01,
        unit="tokens",
        solution="{answer} tokens: below that the fixed state costs more than the few K/V it saves.",
    ),
    "11.4": Exercise(
        question="Qwen3-Next's cache still grows with the context, by 24 KiB per token in bf16. Why? "
                 "(a) each Gated DeltaNet layer's recurrent matrix gains a row per token; "
                 "(b) its 12 full-attention layers cache K and V for every token, while the 36 Gated DeltaNet "
                 "layers keep a fixed state; "
                 "(c) the conv state keeps the inputs of every past token.",
        answer=lambda: "b",
        hint="Look at kv_cache_breakdown at two contexts: which part changes?",
        choices=("a", "b", "c"),
        solution="({answer}) The recurrent state is d_k x d_v per head at any length and the conv keeps only "
                 "the last K_conv inputs; only the attention layers' K/V grow: 12 x 2 x 2 x 256 x 2 bytes.",
    ),
    "11.5": Exercise(
        question="The same memory for the cache: how many times more 32,768-token sequences does it hold "
                 "for Qwen3-Next than for Qwen3-32B (bf16 K/V)?",
        answer=_sequences_ratio_32k,
        hint="Divide Qwen3-32B's cache per sequence at 32,768 tokens by Qwen3-Next's (K/V + state).",
        rel_tol=0.01,
        unit="x",
        solution="{answer} x: 8 GiB against 0.82 GiB per sequence.",
    ),
}
