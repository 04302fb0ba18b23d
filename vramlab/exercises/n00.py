"""Exercises of notebook 00 (units)."""

from ..units import GB, GiB, to_unit
from . import Exercise


def _card_gib() -> float:
    return to_unit(80 * GB, "GiB")


def _kv_token_kb() -> float:
    from ..memory import kv_bytes_per_token
    from ..presets import load_model

    return to_unit(kv_bytes_per_token(load_model("Qwen/Qwen3-8B"), kv_dtype="bf16"), "KB")


EXERCISES = {
    "00.1": Exercise(
        question="How many bytes are in 1 GiB?",
        answer=lambda: GiB,
        hint="GiB is a power of two: 2**30.",
        unit="bytes",
        solution="1 GiB is {answer} bytes.",
    ),
    "00.2": Exercise(
        question="A model card says the weights take '80 GB', that is 80 x 10**9 bytes. How many GiB is that?",
        answer=_card_gib,
        hint="Divide the bytes by 2**30, not by 10**9.",
        rel_tol=1e-3,
        unit="GiB",
        solution="80 GB is {answer} GiB: a GiB is 7.4 % larger than a GB.",
    ),
    "00.3": Exercise(
        question="Qwen3-8B's KV cache takes 144 KiB per token in bf16. How many KB (10**3 bytes) is that?",
        answer=_kv_token_kb,
        hint="144 KiB = 144 x 1024 bytes; divide by 1000.",
        rel_tol=1e-3,
        unit="KB",
        solution="144 KiB is {answer} KB.",
    ),
}
