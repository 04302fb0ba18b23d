"""Exercises of notebook 06 (overheads and margins)."""

from ..units import GiB, to_unit
from . import Exercise


def _rule_high_gib() -> float:
    from ..overheads import RULE_HIGH, compare_rules

    return to_unit(compare_rules("Qwen/Qwen3-8B", tokens=32768).rule_overhead(RULE_HIGH), "GiB")


def _decode_mib() -> float:
    from ..overheads import activation_phases

    return to_unit(activation_phases("Qwen/Qwen3-8B", concurrency=64)["decode"], "MiB")


def _measured_gib() -> float:
    from ..calibration import measured_overheads

    df = measured_overheads()
    return float(df.loc[df.row_id == 22, "measured (GiB)"].iloc[0])


def _crossover_gib() -> float:
    from ..overheads import RULE_LOW, crossover_bytes

    return to_unit(crossover_bytes(GiB, RULE_LOW), "GiB")


EXERCISES = {
    "06.1": Exercise(
        question="Qwen3-8B in bf16 with one 32,768-token sequence: how many GiB of overhead does "
                 "the upper end of the 5-20 % rule allow?",
        answer=_rule_high_gib,
        hint="Add weights and KV cache in bytes (vl.estimate gives both), take 20 %, divide by 2**30.",
        rel_tol=0.01,
        unit="GiB",
        solution="20 % of weights + KV is {answer} GiB.",
    ),
    "06.2": Exercise(
        question="Qwen3-8B, 64 sequences decoding together (one token each): how many MiB of "
                 "activations does one decode step need?",
        answer=_decode_mib,
        hint="vl.activation_bytes(m, batched_tokens=64, sequences=64); the fp32 logits "
             "(64 x vocab x 4 bytes) dominate.",
        rel_tol=0.01,
        unit="MiB",
        solution="One decode step of 64 sequences needs {answer} MiB of activations.",
    ),
    "06.3": Exercise(
        question="vLLM's start-up log of Llama-3.1-8B-Instruct on one H100 (calibration row 22): "
                 "non-torch memory + activation peak + CUDA graphs, in GiB?",
        answer=_measured_gib,
        hint="Read the three columns of row 22 in vramlab/data/vllm_logs_calibration.csv and add them.",
        rel_tol=0.01,
        unit="GiB",
        solution="vLLM measured {answer} GiB of overhead on that GPU.",
    ),
    "06.4": Exercise(
        question="Above what size of weights + KV cache (GiB) does the 5 % rule give more than "
                 "a fixed 1 GiB overhead?",
        answer=_crossover_gib,
        hint="Solve 0.05 x size = 1 GiB.",
        rel_tol=0.01,
        unit="GiB",
        solution="Above {answer} GiB the 5 % rule exceeds 1 GiB.",
    ),
}
