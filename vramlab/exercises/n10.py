"""Exercises of notebook 10 (check against reality)."""

from . import Exercise

#: A vLLM start-up log none of vramlab's constants were fitted to (held out): vLLM v0.19.0,
#: meta-llama/Llama-3.1-8B-Instruct with ``--quantization fp8`` (fp8 weights, bf16 KV cache) on one
#: H100 80GB, gpu_memory_utilization 0.95, max_model_len 8192, which logged
#: "GPU KV cache size: 529,248 tokens". Source: llm-d-incubation/llm-d-planner PR 205,
#: accuracy/results/v0.19.0/logs/meta-llama-llama-3---h100-80gb--tp1pp1dp1--8192-qfp8.log.
HELD_OUT_FP8_TOKENS_LOGGED = 529_248


def _tokens_row22_from_logged_kv() -> int:
    from ..units import GiB

    kv = 58.11  # "Available KV cache memory: 58.11 GiB" in calibration row 22
    per_block = 16 * 2 * 32 * 8 * 128 * 2
    return int(kv * GiB // per_block) * 16


def _kv_per_token_per_gpu_tp4() -> int:
    import vramlab as vl

    return vl.kv_pool("meta-llama/Llama-3.1-8B-Instruct", gpu="H100 80GB", gpu_memory_utilization=0.95,
                      max_model_len=8192, tensor_parallel=4).kv_bytes_per_token


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
        question="Rows 1-2 print the weights as '14.9888 GB', and vramlab's 14.99 GiB matches them to 0.00 %, "
                 "although a GB is 7 % smaller than a GiB. Why? (a) the RoPE cache makes up the 7 %; "
                 "(b) that vLLM version divided by 2**30 and printed the unit 'GB': the figure is in GiB; "
                 "(c) an RTX 3090 stores weights more compactly.",
        answer=lambda: "b",
        hint="Divide 8,030,261,248 parameters x 2 bytes by 10**9, then by 2**30.",
        choices=("a", "b", "c"),
        solution="({answer}) 16.06 x 10**9 bytes are 14.96 GiB (+ 32 MiB of RoPE cache = 14.99): the "
                 "old log's 'GB' is GiB; newer versions print 'GiB'.",
    ),
    "10.3": Exercise(
        question="By hand: row 24 runs Llama-3.1-8B (32 layers, 8 KV heads of 128, bf16 KV) with "
                 "tensor_parallel 2. With tensor_parallel 4 instead, how many bytes of KV cache does one "
                 "token take on each GPU?",
        answer=_kv_per_token_per_gpu_tp4,
        hint="Each GPU keeps K and V for its share of the KV heads: 2 x layers x (8 / 4) x 128 x 2 bytes.",
        unit="bytes",
        solution="{answer} bytes per token per GPU: a quarter of the KV heads, so four times the tokens per GiB.",
    ),
    "10.4": Exercise(
        question="Predict a held-out log: vLLM v0.19.0, Llama-3.1-8B-Instruct with --quantization fp8 "
                 "(fp8 weights, bf16 KV cache) on one H100 80GB, gpu_memory_utilization 0.95, "
                 "max_model_len 8192. What 'GPU KV cache size' (tokens) did it log? Within 0.5 %.",
        answer=lambda: HELD_OUT_FP8_TOKENS_LOGGED,
        hint="vl.kv_pool(..., weight_dtype='fp8') with the log's settings; fp8 halves the weights, "
             "which leaves about 6.5 GiB more for the KV pool than row 22.",
        rel_tol=0.005,
        unit="tokens",
        solution="vLLM logged {answer} tokens; none of vramlab's constants were fitted to this log.",
    ),
}
