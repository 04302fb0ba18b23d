"""Exercises of notebook 08 (plan your deployment): by hand with the budget formulas, and why."""

from ..units import to_unit
from . import Exercise

BIG = "meta-llama/Llama-3.1-70B-Instruct"


def _weights_per_gpu_tp4() -> float:
    import vramlab as vl

    return to_unit(-(-vl.weights_bytes(vl.load_model(BIG), "bf16") // 4), "GiB")


def _longest_4090() -> int:
    import vramlab as vl

    return vl.fit("Qwen/Qwen3-8B", "RTX 4090", tokens=4096, concurrency=1, weight_dtype="bf16",
                  kv_dtype="bf16").max_context


EXERCISES = {
    "08.1": Exercise(
        question="By hand: Llama-3.1-70B-Instruct in bf16 on H100s with tensor parallelism 4. How many GiB "
                 "of weights does each GPU hold?",
        answer=_weights_per_gpu_tp4,
        hint="The weights are 2 bytes per parameter (vl.load_model(...).param_count()), split evenly "
             "over the 4 GPUs; divide by 2**30.",
        rel_tol=0.005,
        unit="GiB",
        solution="{answer} GiB per GPU, a quarter of the bf16 weights.",
    ),
    "08.2": Exercise(
        question="By hand: Qwen3-8B, bf16 weights and bf16 KV, one sequence on an RTX 4090 (23.64 GiB usable). "
                 "Solve the budget formula for the longest context (tokens) that fits.",
        answer=_longest_4090,
        hint="usable / 1.1 = weights + activations + framework + 144 KiB x T; above 2,048 tokens the "
             "activations stop growing (chunked at 2,048 tokens), so solve for T.",
        rel_tol=0.005,
        unit="tokens",
        solution="{answer} tokens fit by memory.",
    ),
    "08.3": Exercise(
        question="Why does the fit never try Llama-3.1-70B (64 query heads, 8 KV heads) on 3 GPUs? "
                 "(a) tensor parallelism splits the attention heads evenly, and 3 divides neither 64 nor 8; "
                 "(b) 3 GPUs never have enough memory for a 70B model; (c) NCCL cannot connect 3 GPUs.",
        answer=lambda: "a",
        hint="Look at the per-GPU formula: what does each GPU hold 1/t of?",
        choices=("a", "b", "c"),
        solution="({answer}) Each GPU computes a whole number of heads: t must divide the query heads, "
                 "and the KV heads must split (or replicate) evenly; gpus.tp_degrees lists 1, 2, 4, 8.",
    ),
    "08.4": Exercise(
        question="In the catalog table, an A100 80GB has twice the memory of an A100 40GB, yet its longest "
                 "context at 4 sequences is only a little longer. Why? (a) the KV cache grows faster than "
                 "linearly with context; (b) the search stops at the model's own context limit, "
                 "max_position_embeddings 40,960 in config.json; (c) the margin takes the extra memory.",
        answer=lambda: "b",
        hint="Compare the column with the model's max_position_embeddings.",
        choices=("a", "b", "c"),
        solution="({answer}) Every card with room to spare stops at the same 40,960 tokens: the model "
                 "cannot attend further (without YaRN), however much memory is left.",
    ),
}
