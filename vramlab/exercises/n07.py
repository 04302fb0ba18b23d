"""Exercises of notebook 07 (serving with vLLM)."""

from . import Exercise


def _concurrency_fp8() -> float:
    from ..serving import kv_pool

    return round(kv_pool("Qwen/Qwen3-8B", gpu="H100 80GB", gpu_memory_utilization=0.9, max_model_len=32768,
                         kv_dtype="fp8").max_concurrency, 2)


def _blocks_per_request() -> int:
    from ..serving import kv_pool

    return kv_pool("Qwen/Qwen3-8B", gpu="H100 80GB", max_model_len=10000, block_size=16).blocks_per_request


def _tokens_at_085() -> int:
    from ..serving import kv_pool

    return kv_pool("Qwen/Qwen3-8B", gpu="H100 80GB", gpu_memory_utilization=0.85, max_model_len=32768).tokens


def _why_bigger_blocks_waste_more() -> str:
    return "b"


EXERCISES = {
    "07.1": Exercise(
        question="By hand, from the pool printed in section 1 (Qwen3-8B, one H100 80GB, max_model_len "
                 "32768): how many tokens does the KV pool hold at gpu_memory_utilization 0.85?",
        answer=_tokens_at_085,
        hint="Weights, activation peak and non-torch memory do not depend on the utilization: the KV "
             "memory shrinks by 0.05 x 79.19 GiB; divide by 16 x 144 KiB per block, keep whole blocks, x 16.",
        rel_tol=0.001,
        unit="tokens",
        solution="{answer} tokens.",
    ),
    "07.2": Exercise(
        question="Same deployment with kv_dtype='fp8': what max concurrency does vLLM report (2 decimals)?",
        answer=_concurrency_fp8,
        hint="fp8 halves the bytes per token, so roughly twice the blocks; divide by 2048 blocks per request.",
        rel_tol=0.005,
        unit="x",
        solution="{answer}x.",
    ),
    "07.3": Exercise(
        question="With 16-token blocks, how many blocks does one request of max_model_len 10000 need?",
        answer=_blocks_per_request,
        hint="ceil(10000 / 16).",
        unit="blocks",
        solution="{answer} blocks: the last one is partly empty.",
    ),
    "07.4": Exercise(
        question="With 32-token blocks instead of 16, the paged waste of the simulation roughly doubles. Why? "
                 "(a) a request needs twice as many blocks; (b) only the last block of a request is partly "
                 "empty, on average by about half a block, and that block is twice as large; (c) vLLM "
                 "reserves max_model_len tokens per request with bigger blocks.",
        answer=_why_bigger_blocks_waste_more,
        hint="Which block of a request can be partly empty, and how big is it?",
        choices=("a", "b", "c"),
        solution="({answer}) The waste per request is the empty part of its last block: about (b - 1) / 2 "
                 "tokens for block size b, so it grows with b while the tokens stored stay the same.",
    ),
}
