"""The Qwen3-8B article, "Where does the GPU memory go?": its figures as published,
reproduced the article's way, and corrected from the real config.json.

>>> f = {x.quantity: x for x in qwen3_8b_figures()}
>>> f["KV cache per token, BF16"].published
'144 KB'
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from ..dtypes import get_dtype
from ..gpus import get_gpu
from ..memory import estimate, kv_bytes_per_token, kv_cache_bytes, weights_bytes
from ..presets import load_model
from ..units import GiB, KB, format_bytes, to_unit
from .figure import Figure, _frame

__all__ = [
    "QWEN3_8B_TITLE", "QWEN3_8B_ARTICLE", "QWEN3_8B_SCENARIOS", "qwen3_8b_scenarios",
    "qwen3_8b_scenarios_corrected", "qwen3_8b_conclusions", "qwen3_8b_figures", "qwen3_8b",
]

#: Title of the Qwen3-8B article (its Part 1 heading).
QWEN3_8B_TITLE = "Where does the GPU memory go?"
#: The Qwen3-8B article's inputs, as printed (Step 1 and Step 3).
QWEN3_8B_ARTICLE: dict[str, Any] = {
    "model": "Qwen/Qwen3-8B", "params_billion": 8.2, "num_hidden_layers": 36, "num_attention_heads": 32,
    "num_key_value_heads": 8, "head_dim": 128, "bytes_per_value": 2, "native_context": 32768,
    "margin_factor": 1.1, "card_gb": 24,
}

#: The Qwen3-8B article's budget table: (scene, concurrency, total tokens, KV precision,
#: KV cache as printed, total as printed).
QWEN3_8B_SCENARIOS: tuple[tuple[str, int, int, str, str, str], ...] = (
    ("single short conversation", 1, 4096, "FP16", "0.56", "18.7"),
    ("single long text", 1, 32768, "FP16", "4.50", "23.0"),
    ("single long text", 1, 32768, "FP8", "2.25", "20.5"),
    ("small batch short conversations", 8, 4096, "FP16", "4.50", "23.0"),
    ("small batch short conversations", 8, 4096, "FP8", "2.25", "20.5"),
    ("extremely long context", 1, 131072, "FP8", "9.00", "28.0"),
)

_KV_DTYPE = {"FP16": "fp16", "FP8": "fp8"}

def _qwen3_article_kv_per_token(kv: str = "FP16") -> int:
    """The article's per-token KV bytes: 2 × L × H_kv × d_head × bytes (FP8 is half)."""
    a = QWEN3_8B_ARTICLE
    full = 2 * a["num_hidden_layers"] * a["num_key_value_heads"] * a["head_dim"] * a["bytes_per_value"]
    return full if kv == "FP16" else full // 2


def _qwen3_article_weights_gb() -> float:
    return QWEN3_8B_ARTICLE["params_billion"] * QWEN3_8B_ARTICLE["bytes_per_value"]


def _qwen3_article_row(concurrency: int, tokens: int, kv: str) -> tuple[float, str, float, str]:
    """The article's table arithmetic: KV = bytes / 2**30 printed with 2 decimals (labelled GB);
    total = (16.4 + printed KV) × 1.1 printed with 1 decimal."""
    kv_value = concurrency * tokens * _qwen3_article_kv_per_token(kv) / GiB
    kv_text = f"{kv_value:.2f}"
    total = (round(_qwen3_article_weights_gb(), 1) + float(kv_text)) * QWEN3_8B_ARTICLE["margin_factor"]
    return kv_value, kv_text, total, f"{total:.1f}"


def qwen3_8b_scenarios():
    """The Qwen3-8B article's budget table, reproduced the article's way.

    Returns
    -------
    pandas.DataFrame
        Columns ``scene, concurrency, tokens, kv_precision, kv_published, kv_reproduced,
        kv_exact, total_published, total_reproduced, total_exact, matches``. ``kv_exact`` is
        concurrency × tokens × KV bytes per token / 2**30 (the article prints it as "GB", it is
        GiB); ``total_exact`` is (16.4 + printed KV) × 1.1 before rounding.

    Examples
    --------
    >>> t = qwen3_8b_scenarios()
    >>> t["kv_reproduced"].tolist()
    ['0.56', '4.50', '2.25', '4.50', '2.25', '9.00']
    >>> t["total_reproduced"].tolist()           # the article prints 28.0 for the last row
    ['18.7', '23.0', '20.5', '23.0', '20.5', '27.9']
    """
    import pandas as pd

    rows = []
    for scene, conc, tokens, kv, kv_pub, total_pub in QWEN3_8B_SCENARIOS:
        kv_value, kv_text, total, total_text = _qwen3_article_row(conc, tokens, kv)
        rows.append({
            "scene": scene, "concurrency": conc, "tokens": tokens, "kv_precision": kv,
            "kv_published": kv_pub, "kv_reproduced": kv_text, "kv_exact": kv_value,
            "total_published": total_pub, "total_reproduced": total_text, "total_exact": round(total, 6),
            "matches": kv_text == kv_pub and total_text == total_pub,
        })
    return pd.DataFrame(rows)


def qwen3_8b_scenarios_corrected(gpu: str = "RTX 3090"):
    """The Qwen3-8B budget table from the real config, in GB and GiB, against a card.

    ``total`` follows the article's method exactly (weights + KV cache, +10 %), with the
    exact parameter count and KV bytes; ``realistic`` adds what the article leaves out:
    activations of one 2,048-token prefill chunk and 1 GiB of framework/CUDA context
    (:func:`vramlab.estimate` defaults), also with 10 % margin.

    Parameters
    ----------
    gpu : str
        A catalog GPU; its usable memory (what the driver reports) is the budget.

    Returns
    -------
    pandas.DataFrame
        Columns ``scene, concurrency, tokens, kv_precision, kv_GB, kv_GiB, total_GB, total_GiB,
        realistic_GiB, usable_GiB, fits, fits_realistic, native_context``; ``attrs["gpu"]``
        names the card.

    Examples
    --------
    >>> t = qwen3_8b_scenarios_corrected("RTX 3090")
    >>> t["kv_GiB"].round(4).tolist()
    [0.5625, 4.5, 2.25, 4.5, 2.25, 9.0]
    >>> t["fits"].tolist()
    [True, True, True, True, True, False]
    """
    import pandas as pd

    g = get_gpu(gpu)
    m = load_model(QWEN3_8B_ARTICLE["model"])
    native = QWEN3_8B_ARTICLE["native_context"]
    rows = []
    for scene, conc, tokens, kv, _, _ in QWEN3_8B_SCENARIOS:
        e = estimate(m, tokens=tokens, concurrency=conc, weight_dtype="bf16", kv_dtype=_KV_DTYPE[kv],
                     margin=0.1, activation_tokens=0, framework_bytes=0)
        r = estimate(m, tokens=tokens, concurrency=conc, weight_dtype="bf16", kv_dtype=_KV_DTYPE[kv], margin=0.1)
        rows.append({
            "scene": scene, "concurrency": conc, "tokens": tokens, "kv_precision": kv,
            "kv_GB": to_unit(e.kv_cache, "GB"), "kv_GiB": to_unit(e.kv_cache, "GiB"),
            "total_GB": to_unit(e.total, "GB"), "total_GiB": to_unit(e.total, "GiB"),
            "realistic_GiB": to_unit(r.total, "GiB"), "usable_GiB": to_unit(g.usable_bytes, "GiB"),
            "fits": e.total <= g.usable_bytes, "fits_realistic": r.total <= g.usable_bytes,
            "native_context": tokens <= native,
        })
    df = pd.DataFrame(rows)
    df.attrs["gpu"] = g.name
    return df


def qwen3_8b_conclusions(gpu: str = "RTX 3090"):
    """The article's verdicts for a 24 GB card, checked against the card's usable memory.

    Each claim is turned into a workload; ``total_GiB`` uses the article's method (weights +
    KV cache, +10 %) with exact figures, ``realistic_GiB`` adds activations and framework
    memory (:func:`vramlab.estimate` defaults). ``article_says`` is the article's verdict
    (fits or not); ``fits`` is ours. ``fits_at_0.9`` compares the realistic need without
    margin with 90 % of the usable memory, vLLM's default ``gpu_memory_utilization``.

    Examples
    --------
    >>> c = qwen3_8b_conclusions("RTX 3090")
    >>> c[["weights", "kv_precision", "fits"]].tail(3).values.tolist()
    [['bf16', 'FP8', False], ['int8', 'FP8', True], ['int4', 'FP8', True]]
    """
    import pandas as pd

    g = get_gpu(gpu)
    m = load_model(QWEN3_8B_ARTICLE["model"])
    claims = [
        ("FP16 KV handles a 32K context (close to the limit)", 1, 32768, "bf16", "FP16", True),
        ("FP16 KV: almost no concurrency (two 32K sequences)", 2, 32768, "bf16", "FP16", False),
        ("FP8 KV runs a 32K context easily", 1, 32768, "bf16", "FP8", True),
        ("FP8 KV supports 8 concurrent short conversations", 8, 4096, "bf16", "FP8", True),
        ("131K context needs the weights quantized (16-bit weights)", 1, 131072, "bf16", "FP8", False),
        ("131K context with 8-bit weights", 1, 131072, "int8", "FP8", None),
        ("131K context with 4-bit weights (the article's example)", 1, 131072, "int4", "FP8", True),
    ]
    rows = []
    for claim, conc, tokens, wd, kv, says in claims:
        e = estimate(m, tokens=tokens, concurrency=conc, weight_dtype=wd, kv_dtype=_KV_DTYPE[kv],
                     margin=0.1, activation_tokens=0, framework_bytes=0)
        r = estimate(m, tokens=tokens, concurrency=conc, weight_dtype=wd, kv_dtype=_KV_DTYPE[kv], margin=0.1)
        r0 = estimate(m, tokens=tokens, concurrency=conc, weight_dtype=wd, kv_dtype=_KV_DTYPE[kv], margin=0.0)
        rows.append({
            "claim": claim, "concurrency": conc, "tokens": tokens, "weights": wd, "kv_precision": kv,
            "total_GiB": to_unit(e.total, "GiB"), "realistic_GiB": to_unit(r.total, "GiB"),
            "usable_GiB": to_unit(g.usable_bytes, "GiB"), "article_says": says,
            "fits": e.total <= g.usable_bytes, "fits_realistic": r.total <= g.usable_bytes,
            "fits_at_0.9": r0.total <= g.usable_bytes * Fraction(9, 10),
        })
    return pd.DataFrame(rows)


def qwen3_8b_figures() -> list[Figure]:
    """Every figure the Qwen3-8B article prints, reproduced and corrected.

    Examples
    --------
    >>> f = {x.quantity: x for x in qwen3_8b_figures()}
    >>> f["KV cache per token, BF16"].reproduced, f["KV cache per token, BF16"].corrected
    ('144 KB', 147.456)
    """
    a = QWEN3_8B_ARTICLE
    m = load_model(a["model"])
    cfg = m.hf_config
    params = m.param_count()
    w = weights_bytes(m, "bf16")
    out: list[Figure] = []

    for name, pub, dt, val in [("FP32", "4 bytes", "fp32", 4), ("FP16/BF16", "2 bytes", "bf16", 2),
                               ("FP8", "1 byte", "fp8", 1), ("INT8", "1 byte", "int8", 1)]:
        out.append(Figure(f"bytes per parameter, {name}", pub, pub, float(get_dtype(dt).bytes_per_value),
                          "bytes", "Exact: the format's bits / 8.", val))
    int4 = get_dtype("int4")
    out.append(Figure(
        "bytes per parameter, INT4", "~0.5 bytes", "n/a", float(int4.bytes_per_value), "bytes",
        f"0.5 bytes of 4-bit values plus the group scales ({float(int4.bits):.3f} bits per value for GPTQ/AWQ, "
        "group 128); embeddings and lm_head usually stay 16-bit, so a whole 4-bit model is larger.", 0.5))

    for field in ("num_hidden_layers", "num_attention_heads", "num_key_value_heads", "head_dim"):
        out.append(Figure(f"config.json {field}", str(a[field]), str(a[field]), float(cfg[field]), "",
                          "Read correctly from config.json.", float(a[field])))
    out.append(Figure("bytes per value of torch_dtype bfloat16", "2 bytes", "2 bytes",
                      float(get_dtype(cfg["torch_dtype"]).bytes_per_value), "bytes", "Correct.", 2.0))
    out.append(Figure(
        "parameters", "8.2B", f"{params / 1e9:.1f}B", params / 1e9, "billion",
        f"The card rounds config.json's exact {params:,} parameters to 8.2B; right to the digit shown.",
        a["params_billion"]))
    out.append(Figure(
        "native context", "32,768 tokens", "n/a", 32768.0, "tokens",
        f"Right per the model card; config.json says max_position_embeddings {cfg['max_position_embeddings']:,}, "
        "and anything beyond 32,768 tokens needs YaRN rope scaling (factor 4 → 131,072).", 32768.0))

    out.append(Figure(
        "weights, BF16", "16.4 GB", f"{_qwen3_article_weights_gb():.1f} GB", to_unit(w, "GB"), "GB",
        f"8.2 × 2 uses the rounded count; exact: {params:,} × 2 = {w:,} bytes = {format_bytes(w, 'GB')} "
        f"= {format_bytes(w, 'GiB')}. The article is in GB (10^9 bytes) here.", 16.4))
    for kv, label in (("FP16", "BF16"), ("FP8", "FP8")):
        art_b = _qwen3_article_kv_per_token(kv)
        real = kv_bytes_per_token(m, _KV_DTYPE[kv])
        pub = "144 KB" if kv == "FP16" else "72 KB"
        out.append(Figure(
            f"KV cache per token, {label}", pub, f"{art_b / 1024:.0f} KB", real / KB, "KB",
            f"2 × 36 × 8 × 128 × {2 if kv == 'FP16' else 1} = {real:,} bytes = {real / 1024:.0f} KiB "
            f"= {real / KB:.3f} KB: the number is KiB (2^10 bytes) labelled KB.", float(pub.split()[0])))

    for i, (scene, conc, tokens, kv, kv_pub, total_pub) in enumerate(QWEN3_8B_SCENARIOS, 1):
        kv_value, kv_text, total, total_text = _qwen3_article_row(conc, tokens, kv)
        real_kv = kv_cache_bytes(m, tokens, conc, _KV_DTYPE[kv])
        real_total = estimate(m, tokens=tokens, concurrency=conc, weight_dtype="bf16", kv_dtype=_KV_DTYPE[kv],
                              margin=0.1, activation_tokens=0, framework_bytes=0).total
        yarn = " Beyond the native 32,768 tokens: needs YaRN." if tokens > a["native_context"] else ""
        out.append(Figure(
            f"row {i} KV cache, {conc} × {tokens:,} {kv}", kv_pub, kv_text, to_unit(real_kv, "GB"), "GB",
            f"{real_kv:,} bytes = {format_bytes(real_kv, 'GiB')} = {format_bytes(real_kv, 'GB')}: "
            f"the column says GB but holds GiB.{yarn}", float(kv_pub)))
        slip = ("" if total_text == total_pub else
                f" The article's own arithmetic gives ({_qwen3_article_weights_gb():.1f} + {kv_text}) × 1.1 = "
                f"{total:.2f}, which prints as {total_text}; {total_pub} is that figure rounded to whole GB.")
        out.append(Figure(
            f"row {i} total, (16.4 + KV) × 1.1", total_pub, total_text, to_unit(real_total, "GB"), "GB",
            f"Adds GB of weights to GiB of KV cache. In one unit: {format_bytes(real_total, 'GB')} "
            f"= {format_bytes(real_total, 'GiB')}.{slip}", float(total_pub)))

    g3090 = get_gpu("RTX 3090")
    out.append(Figure(
        "memory of a 24 GB card (RTX 3090/4090)", "24GB", "n/a", to_unit(g3090.usable_bytes, "GB"), "GB",
        f"The card holds 24 GiB = {format_bytes(24 * GiB, 'GB')}; the driver reports "
        f"{format_bytes(g3090.usable_bytes, 'GiB')} = {format_bytes(g3090.usable_bytes, 'GB')} usable (RTX 3090, "
        "vLLM log). Compared in GB, the card is larger than '24' suggests.", 24.0))
    out.append(Figure("safety margin (rule of thumb)", "5% to 20%", "n/a", None, "%",
                      "A choice, not a measurement; notebook 06 compares it with measured overheads."))
    out.append(Figure("gpu_memory_utilization default", "0.9", "n/a", 0.9, "",
                      "vLLM's default (EngineArgs.gpu_memory_utilization = 0.9).", 0.9))
    out.append(Figure("KV memory wasted before PagedAttention", "60-80%", "n/a", None, "%",
                      "Quoted from the vLLM paper (Kwon et al., SOSP 2023: 20.4-38.2% of KV memory holds tokens)."))
    out.append(Figure("KV memory wasted with PagedAttention", "less than 4%", "n/a", None, "%",
                      "Quoted from the vLLM announcement (waste only in each sequence's last block)."))
    out.append(Figure("PagedAttention throughput gain", "2-4 times", "n/a", None, "×",
                      "Quoted from the vLLM paper (against FasterTransformer and Orca)."))
    out.append(Figure("KV cache inference speed-up", "10-100 times", "n/a", None, "×",
                      "No source given; the gain grows with sequence length, so no fixed factor holds. "
                      "Not a memory figure."))
    return out


def qwen3_8b():
    """The Qwen3-8B article's figures as a pandas DataFrame (see :func:`qwen3_8b_figures`).

    Columns ``quantity, published, reproduced, corrected, unit, error_pct, matches, why``.

    >>> df = qwen3_8b()
    >>> df.loc[df.quantity == "weights, BF16", ["published", "reproduced"]].values.tolist()
    [['16.4 GB', '16.4 GB']]
    """
    return _frame(qwen3_8b_figures())
