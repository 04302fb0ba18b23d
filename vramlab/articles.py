"""The two source articles' calculations, reproduced as published and then corrected.

Two public articles are the reason many people look at GPU memory at all:

* the Qwen3-8B article, "Where does the GPU memory go?" (weights 16.4 GB, 144 KB of KV
  cache per token, a six-row budget table, conclusions for 24 GB cards);
* the QwQ-32B article, "How much video memory is needed for private deployment of large
  models?" (64 GB of weights, "19.54 GB" of KV cache for 16k tokens, ×1.2 → "100 GB").

For every figure an article prints, this module gives three things:

``published``
    The figure as printed (a quotation).
``reproduced``
    Our arithmetic done the article's way, from the article's own inputs, rounded as
    the article rounds. Where it does not give the printed digits, ``matches`` is False
    and ``why`` says what the printed figure would need.
``corrected``
    The figure from the real ``config.json`` through vramlab: the exact parameter count,
    the real KV heads (GQA), and a named unit (GB = 10**9 bytes, GiB = 2**30 bytes).

``error_pct`` is (published − corrected) / corrected, both read in ``unit``.

>>> import vramlab.articles as art
>>> f = {x.quantity: x for x in art.qwq_32b_figures()}
>>> f["KV cache, 16,000 tokens"].published, f["KV cache, 16,000 tokens"].reproduced
('19.54GB', '19.54GB')
>>> round(f["KV cache, 16,000 tokens"].corrected, 3)          # GB, with GQA and 64 layers
4.194
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .dtypes import get_dtype
from .errors import check_int, check_number
from .gpus import get_gpu, list_gpus
from .memory import DEFAULT_PREFILL_CHUNK, activation_bytes, estimate, kv_bytes_per_token, kv_cache_bytes, weights_bytes
from .presets import load_model
from .units import GB, GiB, KB, format_bytes, to_unit

__all__ = [
    "QWEN3_8B_TITLE", "QWQ_32B_TITLE", "QWEN3_8B_ARTICLE", "QWQ_32B_ARTICLE", "QWEN3_8B_SCENARIOS",
    "ZERO_MIXED_ADAM_BYTES_PER_PARAM", "Figure",
    "qwen3_8b_figures", "qwq_32b_figures", "qwen3_8b", "qwq_32b",
    "qwen3_8b_scenarios", "qwen3_8b_scenarios_corrected", "qwen3_8b_conclusions",
    "qwq_32b_totals", "qwq_32b_cards", "deepseek_mla_reduction", "figures_text",
]

#: Title of the Qwen3-8B article (its Part 1 heading).
QWEN3_8B_TITLE = "Where does the GPU memory go?"
#: Title of the QwQ-32B article.
QWQ_32B_TITLE = "How much video memory is needed for private deployment of large models?"

#: The Qwen3-8B article's inputs, as printed (Step 1 and Step 3).
QWEN3_8B_ARTICLE: dict[str, Any] = {
    "model": "Qwen/Qwen3-8B", "params_billion": 8.2, "num_hidden_layers": 36, "num_attention_heads": 32,
    "num_key_value_heads": 8, "head_dim": 128, "bytes_per_value": 2, "native_context": 32768,
    "margin_factor": 1.1, "card_gb": 24,
}

#: The QwQ-32B article's inputs, as printed ("Number of layers (L): 40", "heads (h): 64", ...).
QWQ_32B_ARTICLE: dict[str, Any] = {
    "model": "Qwen/QwQ-32B", "params_billion": 32, "layers": 40, "heads": 64, "head_dim": 128,
    "tokens": 16000, "bytes_per_value": 2, "margin_factor": 1.2,
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

#: Bytes per parameter of mixed-precision Adam training: fp16 weights (2) + fp16 gradients (2)
#: + fp32 master weights, momentum and variance (K = 12). Rajbhandari et al., "ZeRO: Memory
#: Optimizations Toward Training Trillion Parameter Models" (SC 2020), section 3.1: 16Ψ.
ZERO_MIXED_ADAM_BYTES_PER_PARAM = 16

_KV_DTYPE = {"FP16": "fp16", "FP8": "fp8"}


@dataclass(frozen=True)
class Figure:
    """One figure an article publishes, reproduced and corrected.

    Attributes
    ----------
    quantity : str
        What the figure is.
    published : str
        The figure as printed in the article.
    reproduced : str
        The article's arithmetic on its own inputs, printed the article's way
        (``"n/a"`` for figures that are quoted or chosen, not computed).
    corrected : float or None
        The figure from the real config.json through vramlab, in ``unit``
        (None where no single number answers it; ``why`` explains).
    unit : str
        Unit of ``corrected`` and of ``published_value``.
    why : str
        What differs and why.
    published_value : float or None
        The published figure as a number in ``unit`` (None for ranges and words).

    Examples
    --------
    >>> f = Figure("weights", "64 GB", "64 GB", 65.53, "GB", "exact count", 64.0)
    >>> round(f.error_pct, 2), f.matches
    (-2.33, True)
    """

    quantity: str
    published: str
    reproduced: str
    corrected: float | None
    unit: str
    why: str
    published_value: float | None = None

    @property
    def error_pct(self) -> float:
        """(published − corrected) / corrected in percent; NaN where either is missing."""
        if self.published_value is None or self.corrected is None or self.corrected == 0:
            return math.nan
        return (self.published_value - self.corrected) / self.corrected * 100

    @property
    def matches(self) -> bool | None:
        """True when the reproduction prints the published digits; None when nothing is computed."""
        if self.reproduced == "n/a":
            return None
        return self.reproduced == self.published

    def to_dict(self) -> dict[str, Any]:
        """The row of the articles' DataFrames."""
        return {"quantity": self.quantity, "published": self.published, "reproduced": self.reproduced,
                "corrected": self.corrected, "unit": self.unit, "error_pct": self.error_pct,
                "matches": self.matches, "why": self.why}


def _frame(figures: list[Figure]):
    import pandas as pd

    return pd.DataFrame([f.to_dict() for f in figures])


# --------------------------------------------------------------------------- Qwen3-8B


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
        realistic_GiB, usable_GiB, fits, fits_realistic, native_context``.

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
    return pd.DataFrame(rows)


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


# --------------------------------------------------------------------------- QwQ-32B


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
    from .memory import DEFAULT_FRAMEWORK_BYTES

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


# --------------------------------------------------------------------------- text


def figures_text(figures: list[Figure] | Any, width: int = 44) -> str:
    """Published vs reproduced vs corrected as a fixed-width text table.

    Parameters
    ----------
    figures : list of Figure or DataFrame
        From :func:`qwen3_8b_figures`/:func:`qwq_32b_figures` or the DataFrames.
    width : int
        Width of the quantity column.

    Examples
    --------
    >>> print(figures_text(qwq_32b_figures()[3:4]))
    quantity                                     published     reproduced    corrected            error
    weights, FP16                                64 GB         64 GB         65.53 GB            -2.3%
    """
    width = check_int("width", width, minimum=8, maximum=200)
    if hasattr(figures, "to_dict") and not isinstance(figures, list):
        rows = figures.to_dict("records")
    else:
        rows = [f.to_dict() for f in figures]
    lines = [f"{'quantity':<{width}} {'published':<13} {'reproduced':<13} {'corrected':<20} {'error':>6}"]
    for r in rows:
        c = r["corrected"]
        if c is None or (isinstance(c, float) and math.isnan(c)):
            corr = "—"
        else:
            unit = r["unit"]
            corr = f"{int(c):,}" if c == int(c) else f"{c:,.2f}"
            corr = f"{corr} {unit}".strip()
        e = r["error_pct"]
        err = "" if e is None or math.isnan(e) else f"{e:+.1f}%"
        q = r["quantity"] if len(r["quantity"]) <= width else r["quantity"][: width - 1] + "…"
        lines.append(f"{q:<{width}} {r['published']:<13} {r['reproduced']:<13} {corr:<20} {err:>6}")
    return "\n".join(line.rstrip() for line in lines)
