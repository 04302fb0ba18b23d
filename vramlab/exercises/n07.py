"""Exercises of notebook 07 (serving with vLLM)."""

from . import Exercise


def _tokens_qwen3_h100() -> int:
    from ..serving import kv_pool

    return kv_pool("Qwen/Qwen3-8B", gpu="H100 80GB", gpu_memory_utilization=0.9, max_model_len=32768).tokens


def _concurrency_fp8() -> float:
    from ..serving import kv_pool

    return round(kv_pool("Qwen/Qwen3-8B", gpu="H100 80GB", gpu_memory_utilization=0.9, max_model_len=32768,
                         kv_dtype="fp8").max_concurrency, 2)


def _blocks_per_request() -> int:
    from ..serving import kv_pool

    return kv_pool("Qwen/Qwen3-8B", gpu="H100 80GB", max_model_len=10000, block_size=16).blocks_per_request


def _paged_waste() -> float:
    from ..serving import simulate_paging

    return round(simulate_paging(1000, max_model_len=2048, block_size=32, seed=0).paged_waste_pct, 1)


EXERCISES = {
    "07.1": Exercise(
        question="How many tokens does vLLM's KV pool hold for Qwen3-8B on one H100 80GB at "
                 "gpu_memory_utilization 0.9 and max_model_len 32768?",
        answer=_tokens_qwen3_h100,
        hint="vl.kv_pool(...).tokens: KV memory divided by 144 KiB per token, in whole 16-token blocks.",
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
        question="Simulate 1000 requests (seed 0, max_model_len 2048) with 32-token blocks: what % of the "
                 "paged reservation is waste (1 decimal)?",
        answer=_paged_waste,
        hint="vl.serving.simulate_paging(1000, max_model_len=2048, block_size=32, seed=0).paged_waste_pct",
        rel_tol=0.01,
        unit="%",
        solution="{answer} %: bigger blocks waste more of each request's last block.",
    ),
}
