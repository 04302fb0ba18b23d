"""Exercises of notebook 05 (the QwQ-32B article, reproduced and corrected)."""

from ..units import GB, GiB
from . import Exercise


def _kv_gib() -> float:
    from ..articles import qwq_32b_totals

    return qwq_32b_totals()["kv"] / GiB


def _overstatement() -> int:
    from ..articles import qwq_32b_totals

    t = qwq_32b_totals()
    return t["article_kv"] // t["kv"]


def _total_gib() -> float:
    from ..articles import qwq_32b_totals

    return qwq_32b_totals()["total"] / GiB


def _adam_gb() -> float:
    from ..articles import ZERO_MIXED_ADAM_BYTES_PER_PARAM
    from ..presets import load_model

    return load_model("Qwen/QwQ-32B").param_count() * ZERO_MIXED_ADAM_BYTES_PER_PARAM / GB


EXERCISES = {
    "05.1": Exercise(
        question="KV cache of QwQ-32B for 16,000 tokens in BF16, from config.json (GQA), in GiB?",
        answer=_kv_gib,
        hint="2 × num_hidden_layers × num_key_value_heads × head_dim × 2 bytes × 16,000, divided by 2**30.",
        rel_tol=0.001,
        unit="GiB",
        solution="64 × 2 × 8 × 128 × 16,000 × 2 bytes = {answer} GiB.",
    ),
    "05.2": Exercise(
        question="By what whole factor does the article's formula overstate QwQ-32B's KV cache?",
        answer=_overstatement,
        hint="Layers × heads is the same whichever way round; compare the heads the article uses with num_key_value_heads.",
        solution="40 query heads (or 64, as printed, times 40 layers) against 8 KV heads: {answer}×.",
    ),
    "05.3": Exercise(
        question="Corrected total (weights + KV) × 1.2 for 16,000 tokens, in GiB?",
        answer=_total_gib,
        hint="(32,763,876,352 × 2 + 4,194,304,000) bytes × 1.2, divided by 2**30.",
        rel_tol=0.002,
        unit="GiB",
        solution="{answer} GiB: one 80 GB card holds it.",
    ),
    "05.4": Exercise(
        question="Weights, gradients and Adam states of QwQ-32B in mixed precision (16 bytes per parameter), in GB?",
        answer=_adam_gb,
        hint="The exact parameter count × 16 bytes, divided by 10**9.",
        rel_tol=0.002,
        unit="GB",
        solution="{answer} GB before activations, not the article's 128 GB.",
    ),
}
