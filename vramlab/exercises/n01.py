"""Exercises of notebook 01 (weights: parameters to bytes, precisions, quantization)."""

from . import Exercise


def _llama8b_embedding_and_head() -> int:
    from ..params import embedding_split
    from ..presets import load_model

    s = embedding_split(load_model("meta-llama/Llama-3.1-8B-Instruct"))
    return s["embeddings"] + s["lm_head"]


def _qwen3_8b_bf16_gb() -> float:
    from ..memory import weights_bytes
    from ..units import to_unit

    return to_unit(weights_bytes("Qwen/Qwen3-8B", "bf16"), "GB")


def _llama70b_int4_gib() -> float:
    from ..memory import weights_bytes
    from ..units import to_unit

    return to_unit(weights_bytes("meta-llama/Llama-3.1-70B-Instruct", "int4"), "GiB")


def _int4_g32_bits() -> float:
    from ..dtypes import int4_group_bits

    return float(int4_group_bits(32))


EXERCISES = {
    "01.1": Exercise(
        question="Qwen3-8B has 8,190,735,360 parameters stored in bf16. How many GB (10**9 bytes) of weights is that?",
        answer=_qwen3_8b_bf16_gb,
        hint="bf16 takes 16 bits = 2 bytes per parameter; divide the bytes by 10**9.",
        rel_tol=0.005,
        unit="GB",
        solution="{answer} GB: 2 bytes x 8,190,735,360 parameters.",
    ),
    "01.2": Exercise(
        question="How many parameters do Llama-3.1-8B's embeddings and lm_head hold together "
                 "(vocab_size 128,256, hidden_size 4,096, tie_word_embeddings false)?",
        answer=_llama8b_embedding_and_head,
        hint="Each is a vocab_size x hidden_size matrix; untied means there are two of them.",
        unit="parameters",
        solution="{answer} parameters: 2 x 128,256 x 4,096.",
    ),
    "01.3": Exercise(
        question="How many GiB do Llama-3.1-70B's weights take in GPTQ/AWQ int4 (group 128), with the "
                 "embeddings, lm_head and norms kept in 16-bit?",
        answer=_llama70b_int4_gib,
        hint="Linear layers at 4.15625 bits (4 + (16 + 4)/128), everything else at 16 bits; "
             "vl.weights_bytes(m, 'int4') does it; divide by 2**30.",
        rel_tol=0.01,
        unit="GiB",
        solution="{answer} GiB.",
    ),
    "01.4": Exercise(
        question="4-bit integers in groups of 32, each group with an fp16 scale and a 4-bit zero point: "
                 "how many bits per weight?",
        answer=_int4_g32_bits,
        hint="4 bits per weight plus (16 + 4) bits shared by the 32 weights of a group.",
        unit="bits",
        solution="{answer} bits: 4 + 20/32.",
    ),
}
