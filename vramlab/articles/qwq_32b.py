"""The QwQ-32B article, "How much video memory is needed for private deployment of large
models?": its figures as published, reproduced the article's way, and corrected.

>>> t = qwq_32b_totals()
>>> round(t["article_kv"] / t["kv"])                 # 40 x 64 heads against 64 x 8 KV heads
5
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from ..dtypes import get_dtype
from ..errors import check_int, check_number
from ..gpus import get_gpu, list_gpus
from ..memory import DEFAULT_FRAMEWORK_BYTES, DEFAULT_PREFILL_CHUNK, activation_bytes, estimate, kv_bytes_per_token
from ..memory import kv_cache_bytes, weights_bytes
from ..presets import load_model
from ..units import GB, format_bytes, to_unit
from .figure import Figure, _frame

__all__ = [
    "QWQ_32B_TITLE", "QWQ_32B_ARTICLE", "ZERO_MIXED_ADAM_BYTES_PER_PARAM", "qwq_32b_totals", "qwq_32b_cards",
    "deepseek_mla_reduction", "qwq_32b_figures", "qwq_32b",
]

#: Title of the QwQ-32B article.
QWQ_32B_TITLE = "How much video memory is needed for private deployment of large models?"

#: The QwQ-32B article's inputs, as printed ("Number of layers (L): 40", "heads (h): 64", ...).
QWQ_32B_ARTICLE: dict[str, Any] = {
    "model": "Qwen/QwQ-32B", "params_billion": 32, "layers": 40, "heads": 64, "head_dim": 128,
    "tokens": 16000, "bytes_per_value": 2, "margin_factor": 1.2,
}

#: Bytes per parameter of mixed-precision Adam training: fp16 weights (2) + fp16 gradients (2)
#: + fp32 master weights, momentum and variance (K = 12). Rajbhandari et al., "ZeRO: Memory
#: Optimizations Toward Training Trillion Parameter Models" (SC 2020), section 3.1: 16Ψ.
ZERO_MIXED_ADAM_BYTES_PER_PARAM = 16


def _qwq_article_kv_bytes(tokens: int | None = None) -> int:
    a = QWQ_32B_ARTICLE
    tokens = a["tokens"] if tokens is None else tokens
    return a["layers"] * 2 * a["heads"] * a["head_dim"] * tokens * a["bytes_per_value"]


def _round_up(x: float, digits: int) -> float:
    return math.ceil(round(x * 10**digits, 9)) / 10**digits


def qwq_32b_totals(tokens: int = 16000, margin_factor: float = 1.2) -> dict[str, int]:
    """QwQ-32B serving memory in bytes, the article's way and corrected.

    ``article_*`` follow the article: 32 × 10^9 parameters × 2 bytes, and KV bytes from
    its inputs (40 layers × 64 heads, no GQA); as the article does, ``article_base`` and
    ``article_total`` add that KV figure in GiB, rounded up to 0.01 and read as GB, to the
    64 GB of weights: (64 + 19.54) × 1.2 GB. ``weights``, ``kv``, ``base`` and ``total``
    use the real config (32,763,876,352 parameters, 64 layers, 8 KV heads) in BF16.
    Totals are (weights + KV) × ``margin_factor``; ``base`` is without the factor.

    Examples
    --------
    >>> t = qwq_32b_totals()
    >>> t["kv"] == 64 * 2 * 8 * 128 * 16000 * 2
    True
    >>> round(t["article_kv"] / 2**30, 5)
    19.53125
    """
    tokens = check_int("tokens", tokens, minimum=1, maximum=10**9)
    margin_factor = check_number("margin_factor", margin_factor, minimum=1.0, maximum=10.0)
    a = QWQ_32B_ARTICLE
    m = load_model(a["model"])
    f = Fraction(margin_factor)
    art_w = a["params_billion"] * GB * a["bytes_per_value"]
    art_kv = _qwq_article_kv_bytes(tokens)
    art_base = art_w + round(Fraction(str(_round_up(to_unit(art_kv, "GiB"), 2))) * GB)
    w = weights_bytes(m, "bf16")
    kv = kv_cache_bytes(m, tokens, 1, "bf16")
    return {
        "article_weights": art_w, "article_kv": art_kv, "article_base": art_base,
        "article_total": round(art_base * f),
        "weights": w, "kv": kv, "base": w + kv, "total": round((w + kv) * f),
    }


def qwq_32b_cards(tokens: int = 16000, margin_factor: float = 1.2):
    """Which single cards of the catalog hold QwQ-32B: the article's budget vs the corrected one.

    Compares each GPU's usable memory (:attr:`vramlab.gpus.GPU.usable_bytes`) with the
    article's (64 + 19.54) × 1.2 ≈ 100 GB and with the corrected budget with and without
    the ×1.2 factor; ``fits_estimate`` uses :func:`vramlab.estimate` (activations of one
    2,048-token prefill chunk, 1 GiB of framework memory, 10 % margin). ``min_cards_*`` divide the budget by one card's usable memory
    (a lower bound: tensor parallelism adds per-GPU overhead).

    Examples
    --------
    >>> c = qwq_32b_cards().set_index("gpu")
    >>> c.loc["H100 80GB", ["fits_article", "fits_corrected", "fits_corrected_margin"]].tolist()
    [False, True, True]
    >>> int(c.loc["A100 40GB", "min_cards_article"]), int(c.loc["A100 40GB", "min_cards_corrected"])
    (3, 2)
    """
    import pandas as pd

    t = qwq_32b_totals(tokens, margin_factor)
    art_printed = t["article_total"]
    full = estimate(QWQ_32B_ARTICLE["model"], tokens=tokens, weight_dtype="bf16", kv_dtype="bf16", margin=0.1).total
    rows = []
    for name in list_gpus():
        g = get_gpu(name)
        u = g.usable_bytes
        rows.append({
            "gpu": g.name, "memory_as_sold": g.memory_as_sold, "usable_GiB": to_unit(u, "GiB"),
            "usable_measured": g.usable_is_measured,
            "fits_article": art_printed <= u, "fits_corrected": t["base"] <= u,
            "fits_corrected_margin": t["total"] <= u, "fits_estimate": full <= u,
            "min_cards_article": math.ceil(art_printed / u), "min_cards_corrected": math.ceil(t["total"] / u),
        })
    return pd.DataFrame(rows)


def deepseek_mla_reduction(kv_bits_mla: int = 16) -> float:
    """Share of KV cache DeepSeek-V2 (MLA) saves against DeepSeek-67B (GQA, 16-bit), in percent.

    DeepSeek-V2's paper reports 93.3 %: that holds with its KV cache quantized to 6 bits
    (``kv_bits_mla=6``). MLA alone, both models at 16 bits, saves 82.2 %.

    Examples
    --------
    >>> round(deepseek_mla_reduction(16), 2), round(deepseek_mla_reduction(6), 2)
    (82.24, 93.34)
    """
    kv_bits_mla = check_int("kv_bits_mla", kv_bits_mla, minimum=1, maximum=32)
    v2 = load_model("deepseek-ai/DeepSeek-V2")
    base = kv_bytes_per_token("deepseek-ai/deepseek-llm-67b-base", "bf16")
    mla = v2.num_layers * v2.kv_elements_per_token_per_layer * Fraction(kv_bits_mla, 8)
    return float((1 - mla / base) * 100)


def qwq_32b_figures() -> list[Figure]:
    """Every figure the QwQ-32B article prints, reproduced and corrected.

    Examples
    --------
    >>> f = {x.quantity: x for x in qwq_32b_figures()}
    >>> f["total, (weights + KV) × 1.2"].reproduced
    '100GB'
    >>> round(f["total, (weights + KV) × 1.2"].corrected, 2)
    83.67
    """
    a = QWQ_32B_ARTICLE
    m = load_model(a["model"])
    cfg = m.hf_config
    params = m.param_count()
    t = qwq_32b_totals()
    art_kv_gib = to_unit(t["article_kv"], "GiB")
    art_kv_print = _round_up(art_kv_gib, 2)
    art_total = (a["params_billion"] * a["bytes_per_value"] + art_kv_print) * a["margin_factor"]
    h100 = get_gpu("H100 80GB")
    act_chunk = activation_bytes(m, DEFAULT_PREFILL_CHUNK)
    act_full = activation_bytes(m, a["tokens"])
    train = params * ZERO_MIXED_ADAM_BYTES_PER_PARAM
    out = [
        Figure("parameters", "32B", f"{a['params_billion']}B", params / 1e9, "billion",
               f"'32B' is the name; config.json gives {params:,} (the card says 32.5B).", 32.0),
        Figure("billion", "10⁹", "10⁹", 1e9, "", "Correct: B = 10^9.", 1e9),
        Figure("bytes per parameter, FP16", "2 bytes", "2 bytes", float(get_dtype(cfg["torch_dtype"]).bytes_per_value),
               "bytes", "Right (the article also writes 'FB16'; the checkpoint is BF16, also 2 bytes).", 2.0),
        Figure("weights, FP16", "64 GB", f"{a['params_billion'] * a['bytes_per_value']} GB", to_unit(t["weights"], "GB"),
               "GB", f"{params:,} × 2 = {t['weights']:,} bytes = {format_bytes(t['weights'], 'GB')} "
               f"= {format_bytes(t['weights'], 'GiB')}.", 64.0),
        Figure("training memory ('doubled')", "128GB", f"{2 * a['params_billion'] * a['bytes_per_value']}GB",
               to_unit(train, "GB"), "GB",
               f"Weights + gradients only. Mixed-precision Adam keeps {ZERO_MIXED_ADAM_BYTES_PER_PARAM} bytes per "
               f"parameter (ZeRO paper: 2 + 2 + 12): {format_bytes(train, 'GB')} before activations. "
               "See notebook 09-training-memory.", 128.0),
        Figure("number of layers (L)", "40", "40", float(cfg["num_hidden_layers"]), "layers",
               f"config.json num_hidden_layers is {cfg['num_hidden_layers']}; 40 is the number of query heads.", 40.0),
        Figure("number of attention heads (h)", "64", "64", float(cfg["num_attention_heads"]), "heads",
               f"config.json num_attention_heads is {cfg['num_attention_heads']}; 64 is the number of layers.", 64.0),
        Figure("heads in the KV formula", "64", "64", float(m.num_kv_heads), "heads",
               f"K and V are cached per KV head: num_key_value_heads = {m.num_kv_heads} (GQA, "
               f"{m.num_q_heads // m.num_kv_heads} query heads share one). Swapping L and h does not change "
               "the product; ignoring GQA multiplies the KV cache by 5.", 64.0),
        Figure("head dimension", "128", "128", float(m.head_dim), "", "Right: 5120 / 40.", 128.0),
        Figure("KV cache, 16,000 tokens", "19.54GB", f"{art_kv_print:.2f}GB", to_unit(t["kv"], "GB"), "GB",
               f"40 × 2 × 64 × 128 × 16,000 × 2 = {t['article_kv']:,} bytes = {art_kv_gib} GiB "
               f"= {format_bytes(t['article_kv'], 'GB')}: the figure is GiB, rounded up (to nearest: 19.53). "
               f"Real: 64 × 2 × 8 × 128 × 16,000 × 2 = {t['kv']:,} bytes = {format_bytes(t['kv'], 'GiB')} "
               f"= {format_bytes(t['kv'], 'GB')}.", 19.54),
        Figure("DeepSeek MLA KV reduction", "93%", f"{deepseek_mla_reduction(6):.0f}%", deepseek_mla_reduction(16), "%",
               "DeepSeek-V2 against DeepSeek-67B: 93.3% only with its KV cache quantized to 6 bits; MLA alone "
               "(both 16-bit) saves 82.2%. It concerns the inference KV cache, not training.", 93.0),
        Figure("training activations", "5-7 times", "n/a", None, "× parameters",
               "Activations scale with batch × sequence × hidden size × layers (Korthikanti et al. 2022), not "
               "with the parameter count; no fixed ratio exists. See notebook 09-training-memory."),
        Figure("training activations, 32B model", "160-224GB", "160-224GB", None, "GB",
               "32 × 5 and 32 × 7: a ratio times a parameter count in billions is not a size in GB."),
        Figure("inference activations", "5~10GB", "n/a", to_unit(act_chunk, "GB"), "GB",
               f"vramlab: {format_bytes(act_chunk, 'GB')} for one {DEFAULT_PREFILL_CHUNK:,}-token prefill chunk, "
               f"{format_bytes(act_full, 'GB')} for all 16,000 tokens in one pass (flash attention)."),
        Figure("framework overhead", "10-20%", "n/a", DEFAULT_FRAMEWORK_BYTES / t["base"] * 100, "% of weights + KV",
               f"Framework memory is roughly fixed (CUDA context, workspaces, CUDA graphs: about "
               f"{format_bytes(DEFAULT_FRAMEWORK_BYTES, 'GiB')}), not a share of the model; and the total below "
               "leaves it out."),
        Figure("safety margin", "20%", "n/a", None, "%", "A choice; the ×1.2 also has to cover the activations and "
               "framework memory the formula leaves out."),
        Figure("total, (weights + KV) × 1.2", "100GB", f"{art_total:.0f}GB", to_unit(t["total"], "GB"), "GB",
               f"({a['params_billion'] * a['bytes_per_value']} + {art_kv_print:.2f}) × 1.2 = {art_total:.3f}. "
               f"Corrected: ({format_bytes(t['weights'], 'GB')} + {format_bytes(t['kv'], 'GB')}) × 1.2 "
               f"= {format_bytes(t['total'], 'GB')} = {format_bytes(t['total'], 'GiB')}, within one "
               f"{h100.name} ({format_bytes(h100.usable_bytes, 'GiB')} usable).", 100.0),
        Figure("memory to choose", "128GB", "n/a", to_unit(t["total"], "GB"), "GB",
               "A choice above the 100 GB; the corrected need fits one 80 GB card.", 128.0),
        Figure("memory for basic reasoning", "90GB", f"{a['params_billion'] * a['bytes_per_value'] + art_kv_print:.0f}GB",
               to_unit(t["base"], "GB"), "GB",
               f"The article's own figures give {a['params_billion'] * a['bytes_per_value'] + art_kv_print:.2f} without "
               f"the margin and {art_total:.2f} with it; 90 follows from neither. Corrected without margin: "
               f"{format_bytes(t['base'], 'GB')} = {format_bytes(t['base'], 'GiB')}.", 90.0),
        Figure("underestimate of a 90 GB budget", "30%", f"{(art_total / 90 - 1) * 100:.0f}%",
               (to_unit(t["total"], "GB") / 90 - 1) * 100, "%",
               "Against the article's own 100 GB, 90 GB is 11% short; against the corrected "
               f"{format_bytes(t['total'], 'GB')} (margin included) 90 GB is 7% more than needed."),
    ]
    return out


def qwq_32b():
    """The QwQ-32B article's figures as a pandas DataFrame (see :func:`qwq_32b_figures`).

    Columns ``quantity, published, reproduced, corrected, unit, error_pct, matches, why``.

    >>> df = qwq_32b()
    >>> df.loc[df.quantity == "weights, FP16", "reproduced"].item()
    '64 GB'
    """
    return _frame(qwq_32b_figures())
