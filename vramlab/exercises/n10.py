"""Exercises of notebook 10 (check against reality)."""

from . import Exercise


def _row(row_id: int):
    from ..serving import calibration_table

    df = calibration_table()
    return df[df.row_id == row_id].iloc[0]


def _tokens_row22_from_logged_kv() -> int:
    from ..units import GiB

    kv = 58.11  # "Available KV cache memory: 58.11 GiB" in calibration row 22
    per_block = 16 * 2 * 32 * 8 * 128 * 2
    return int(kv * GiB // per_block) * 16


def _worst_tokens_row() -> int:
    from ..serving import calibration_table

    df = calibration_table()
    return int(df.loc[df["tokens_err_%"].abs().idxmax(), "row_id"])


def _tp2_weights() -> float:
    return round(float(_row(24)["weights_pred"]), 2)


EXERCISES = {
    "10.1": Exercise(
        question="Row 22 logs 'Available KV cache memory: 58.11 GiB' for Llama-3.1-8B (bf16 KV). How many "
                 "tokens is that in whole 16-token blocks?",
        answer=_tokens_row22_from_logged_kv,
        hint="Bytes per token: 2 x 32 layers x 8 KV heads x 128 x 2 bytes = 128 KiB; a block holds 16 tokens.",
        rel_tol=0.0005,
        unit="tokens",
        solution="{answer} tokens (the log says 476,016: 58.11 is rounded).",
    ),
    "10.2": Exercise(
        question="Which calibration row does vramlab predict the KV tokens of least accurately (its row_id)?",
        answer=_worst_tokens_row,
        hint="vl.serving.calibration_table() and the column 'tokens_err_%'.",
        solution="Row {answer}.",
    ),
    "10.3": Exercise(
        question="With tensor_parallel 2, how many GiB of Llama-3.1-8B weights does each GPU hold (2 decimals)?",
        answer=_tp2_weights,
        hint="Half of everything sharded, plus the replicated norms and the RoPE cache.",
        rel_tol=0.002,
        unit="GiB",
        solution="{answer} GiB (vLLM logged 7.51 GiB).",
    ),
}
