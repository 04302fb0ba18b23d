"""Pandas sweeps: one row per model, format, context, GPU or precision pair.

Every table is a pure function of its arguments and returns a pandas DataFrame (pandas is
imported inside the functions). The figures come from the modules that own them: weights
and KV from :mod:`vramlab.memory`, decoding work from :mod:`vramlab.decoding`, fits from
:mod:`vramlab.planning`. Plots (:mod:`vramlab.plots`) draw these tables.

>>> t = kv_table(["Qwen/Qwen3-8B", "tiiuae/falcon-7b"])
>>> t["KiB/token"].tolist()
[144.0, 8.0]
"""

from __future__ import annotations

from typing import Any, Iterable

from .decoding import decode_work_curve
from .dtypes import get_dtype
from .errors import check_concurrency, check_int, check_items, check_tokens
from .families import MOE_QUANTIZES
from .gpus import get_gpu, list_gpus
from .memory import kv_bytes_per_token, kv_cache_bytes, resolve_kv_dtype, resolve_weight_dtype, weights_bytes
from .planning import DEFAULT_MAX_GPUS, fit
from .presets import list_models, load_model
from .report import layer_pattern
from .units import GB, GiB, to_unit

__all__ = [
    "ATTENTION_EXAMPLES", "WEIGHT_DTYPES", "KV_GROWTH_MODELS", "PRECISION_OPTIONS",
    "precisions_table", "weights_table", "decode_work_table", "kv_table", "kv_growth_table",
    "kv_concurrency_table", "fit_table", "precision_table", "CACHE_GROWTH_MODELS", "cache_growth_table",
]

#: Presets that show each attention layout (notebook 03).
ATTENTION_EXAMPLES: dict[str, tuple[str, ...]] = {
    "MHA": ("meta-llama/Llama-2-7b-hf", "microsoft/Phi-3-mini-4k-instruct"),
    "GQA": ("meta-llama/Llama-3.1-8B-Instruct", "Qwen/Qwen3-8B", "Qwen/QwQ-32B", "deepseek-ai/deepseek-llm-67b-base"),
    "MQA": ("tiiuae/falcon-7b",),
    "MLA": ("deepseek-ai/DeepSeek-V2", "deepseek-ai/DeepSeek-V3"),
    "sliding window": ("mistralai/Mistral-7B-v0.1", "google/gemma-2-9b", "google/gemma-3-27b-it", "openai/gpt-oss-20b"),
}

#: Weight formats compared in notebook 01: 32/16/8-bit floats, int8, and the 4-bit family.
WEIGHT_DTYPES = ("fp32", "bf16", "fp8", "int8", "Q8_0", "int4", "nf4", "mxfp4", "Q4_K_M")

#: One preset per attention kind: MHA, GQA, MQA, MLA, and sliding-window GQA.
KV_GROWTH_MODELS = (
    "meta-llama/Llama-2-7b-hf",
    "Qwen/Qwen3-8B",
    "tiiuae/falcon-7b",
    "deepseek-ai/DeepSeek-V2",
    "google/gemma-2-9b",
)

#: Four ways to cache a sequence (notebook 11): GQA, MLA, sliding windows, hybrid linear attention.
CACHE_GROWTH_MODELS = (
    "Qwen/Qwen3-32B",
    "deepseek-ai/DeepSeek-V3",
    "google/gemma-3-27b-it",
    "Qwen/Qwen3-Next-80B-A3B-Instruct",
)

#: Weight / KV precision pairs compared by :func:`precision_table`.
PRECISION_OPTIONS = (("bf16", "bf16"), ("bf16", "fp8"), ("int4", "bf16"), ("int4", "fp8"))


def _specs(models: Iterable[Any] | None) -> list:
    """ModelSpecs of ``models`` (default: every preset), each read once."""
    return [load_model(mm) for mm in (check_items("models", models) if models is not None else list_models())]


def _quantizes(d) -> str:
    """What a format stores quantized: every tensor, or the linear layers (MoE: only what it names)."""
    if not d.weight_only:
        return "every tensor"
    moe = MOE_QUANTIZES.get(d.name)
    return f"linear layers (MoE checkpoints: {', '.join(moe)} only)" if moe else "linear layers"


def precisions_table(names: Iterable[str] = WEIGHT_DTYPES):
    """The formats as a table: bits per value (scales included), bytes per billion parameters.

    Returns a pandas DataFrame with columns ``format``, ``bits``, ``overhead_bits``
    (above the nominal width), ``GB_per_1B_params``, ``quantizes`` and ``layout``.

    >>> t = precisions_table(["bf16", "int4"])
    >>> t["bits"].tolist(), t["overhead_bits"].tolist()
    ([16.0, 4.15625], [0.0, 0.15625])
    """
    import pandas as pd

    rows = []
    for n in check_items("names", names):
        d = get_dtype(n)
        nominal = int(d.bits)  # the integer part: 4 for the 4-bit family, 8 for Q8_0
        rows.append({
            "format": d.name,
            "bits": float(d.bits),
            "overhead_bits": float(d.bits - nominal),
            "GB_per_1B_params": d.bytes_for(10**9) / GB,
            "quantizes": _quantizes(d),
            "layout": d.description,
        })
    return pd.DataFrame(rows)


def weights_table(models: Iterable[Any] | None = None, dtypes: Iterable[str] = ("bf16", "fp8", "int4"),
                  unit: str = "GB"):
    """Weights of each model in each format, in ``unit`` (a pandas DataFrame).

    One row per model: ``model``, ``params`` and one column per format, rounded to 0.01;
    ``attrs["unit"]`` holds ``unit``.
    Weight-only formats keep embeddings, lm_head, norms and biases in 16-bit (see
    :mod:`vramlab.dtypes`).

    >>> t = weights_table(["Qwen/Qwen3-8B"], ["bf16", "int4"])
    >>> t.loc[0, ["bf16", "int4"]].tolist()
    [16.38, 6.1]
    """
    import pandas as pd

    dtypes = check_items("dtypes", dtypes)
    rows = []
    for m in _specs(models):
        row: dict[str, Any] = {"model": m.name, "params": m.param_count()}
        for d in dtypes:
            row[d] = round(to_unit(weights_bytes(m, d), unit), 2)
        rows.append(row)
    df = pd.DataFrame(rows)
    df.attrs["unit"] = unit
    return df


def decode_work_table(model: Any, contexts: Iterable[int] = (1, 128, 1024, 8192, 32768)):
    """:func:`vramlab.decoding.decode_work` at several positions, as a pandas DataFrame.

    Columns: ``context``, ``KV projections (no cache)``, ``KV projections (cache)``,
    ``GFLOP (no cache)``, ``GFLOP (cache)``, ``ratio``.

    >>> t = decode_work_table("Qwen/Qwen3-8B", [1, 2])
    >>> t["KV projections (no cache)"].tolist()
    [36, 72]
    """
    import pandas as pd

    rows = []
    for w in decode_work_curve(model, contexts):
        rows.append({
            "context": w.context,
            "KV projections (no cache)": w.kv_vectors_no_cache,
            "KV projections (cache)": w.kv_vectors_cache,
            "GFLOP (no cache)": round(w.flops_no_cache / 1e9, 1),
            "GFLOP (cache)": round(w.flops_cache / 1e9, 1),
            "ratio": round(w.flops_ratio, 1),
        })
    return pd.DataFrame(rows)


_KIND_ORDER = {"MHA": 0, "GQA": 1, "MQA": 2, "MLA": 3}


def kv_table(models: Iterable[Any] | None = None, kv_dtype: str = "bf16", context: int = 32768):
    """KV cache per token of each model, side by side, as a pandas DataFrame.

    Columns: ``model``, ``attention``, ``layers`` (full / sliding pattern), ``H_q``,
    ``H_kv``, ``d_head``, ``values/token/layer`` (2 H_kv d_head, or d_c + d_R for MLA),
    ``KiB/token`` (every layer), ``GiB @ context`` (one sequence of ``context`` tokens,
    sliding layers capped) and ``KiB/token @ context`` (that, per token).
    Rows sorted by attention kind (MHA, GQA, MQA, MLA), then by KiB per token;
    ``attrs`` holds ``kv_dtype`` and ``context``.

    >>> t = kv_table(["Qwen/Qwen3-8B", "tiiuae/falcon-7b"])
    >>> t["KiB/token"].tolist()
    [144.0, 8.0]
    """
    import pandas as pd

    context = check_tokens("context", context)
    rows = []
    for m in _specs(models):
        cache = kv_cache_bytes(m, context, 1, kv_dtype)
        rows.append({
            "model": m.name,
            "attention": m.attention_kind,
            "layers": layer_pattern(m),
            "H_q": m.num_q_heads,
            "H_kv": m.num_kv_heads if m.attention_kind != "MLA" else "latent",
            "d_head": m.head_dim if m.attention_kind != "MLA" else f"{m.kv_lora_rank}+{m.qk_rope_head_dim}",
            "values/token/layer": m.kv_elements_per_token_per_layer,
            "KiB/token": round(to_unit(kv_bytes_per_token(m, kv_dtype), "KiB"), 2),
            f"GiB @ {context:,}": round(to_unit(cache, "GiB"), 3),
            f"KiB/token @ {context:,}": round(to_unit(cache, "KiB") / context, 2),
        })
    df = pd.DataFrame(rows)
    order = df["attention"].map(_KIND_ORDER)
    df = df.assign(_o=order).sort_values(["_o", "KiB/token", "model"]).drop(columns="_o").reset_index(drop=True)
    df.attrs.update(kv_dtype=str(kv_dtype), context=context)
    return df


def kv_growth_table(models: Iterable[Any] = KV_GROWTH_MODELS, contexts: Iterable[int] | None = None,
                    kv_dtype: str = "bf16"):
    """KV cache of one sequence against its context, one row per (model, context).

    Columns: ``model``, ``attention`` (kind, "+ sliding window" where layers slide),
    ``context``, ``kv_dtype`` and ``kv_bytes`` (exact bytes, sliding layers capped at their
    window). Default contexts: 512 to 131,072 tokens, powers of two. What
    :func:`vramlab.plots.plot_kv_growth` draws.

    >>> t = kv_growth_table(["Qwen/Qwen3-8B"], contexts=[1024, 2048])
    >>> t["kv_bytes"].tolist()
    [150994944, 301989888]
    """
    import pandas as pd

    ctx = check_items("contexts", contexts if contexts is not None else [2**k for k in range(9, 18)],
                      lambda c: check_tokens("context", c))
    rows = []
    for m in _specs(models):
        kind = m.attention_kind + (" + sliding window" if m.num_sliding_layers else "")
        d = resolve_kv_dtype(m, kv_dtype)
        for t in ctx:
            rows.append({"model": m.name, "attention": kind, "context": t, "kv_dtype": d.name,
                         "kv_bytes": kv_cache_bytes(m, t, 1, d)})
    return pd.DataFrame(rows)


def cache_growth_table(models: Iterable[Any] = CACHE_GROWTH_MODELS, contexts: Iterable[int] | None = None,
                       kv_dtype: str = "bf16", state_dtype: str = "auto"):
    """The cache of one sequence against its context, split into what grows and what does not.

    One row per (model, context). Columns: ``model``, ``layers`` (attention kind and layer
    counts by kind, windows in brackets: ``"GQA, 12 full + 36 linear"``), ``context``,
    ``kv_dtype``, ``kv_bytes`` (K/V of the attention layers, windows capped), ``state_bytes``
    (the fixed conv + recurrent state of linear-attention and SSM layers) and ``cache_bytes``
    (their sum, :func:`vramlab.kv_cache_bytes`), from :func:`vramlab.memory.kv_cache_breakdown`.
    Default contexts: 128 to 262,144 tokens, powers of two. What
    :func:`vramlab.plots.plot_cache_growth` draws.

    >>> t = cache_growth_table(["Qwen/Qwen3-Next-80B-A3B-Instruct"], contexts=[4096])
    >>> t["layers"].tolist(), t["kv_bytes"].tolist()    # 12 layers x 4,096 x (2 x 2 x 256 values) x 2 bytes
    (['GQA, 36 linear + 12 full'], [100663296])
    """
    import pandas as pd

    from .memory import kv_cache_breakdown

    ctx = check_items("contexts", contexts if contexts is not None else [2**k for k in range(7, 19)],
                      lambda c: check_tokens("context", c))
    rows = []
    for m in _specs(models):
        counts: dict[str, int] = {}
        for la in m.layers:
            key = la.kind + (f" ({la.window:,})" if la.is_attention and la.window else "") + (
                " with a state" if la.is_attention and (la.conv_state or la.recurrent_state) else "")
            counts[key] = counts.get(key, 0) + 1
        label = f"{m.attention_kind}, " + " + ".join(f"{n} {k}" for k, n in counts.items())
        d = resolve_kv_dtype(m, kv_dtype)
        for t in ctx:
            b = kv_cache_breakdown(m, t, 1, d, state_dtype)
            rows.append({"model": m.name, "layers": label, "context": t, "kv_dtype": d.name, "kv_bytes": b["kv"],
                         "state_bytes": b["conv_state"] + b["recurrent_state"], "cache_bytes": b["total"]})
    return pd.DataFrame(rows)


def kv_concurrency_table(model: Any, tokens: int = 4096, concurrencies: Iterable[int] | None = None,
                         kv_dtypes: Iterable[str] = ("bf16", "fp8"), weight_dtype: str = "auto"):
    """KV cache against the number of sequences held at once, beside the weights.

    One row per (KV format, concurrency). Columns: ``model``, ``tokens``, ``concurrency``,
    ``kv_dtype``, ``kv_bytes``, ``weight_dtype`` and ``weights_bytes`` (the same on every
    row). Default concurrencies: 1 to 64, powers of two. What
    :func:`vramlab.plots.plot_kv_concurrency` draws.

    >>> t = kv_concurrency_table("Qwen/Qwen3-8B", 4096, [1, 2], ["bf16"], "bf16")
    >>> t["kv_bytes"].tolist(), t["weights_bytes"].tolist()
    ([603979776, 1207959552], [16381470720, 16381470720])
    """
    import pandas as pd

    m = load_model(model)
    tokens = check_tokens("tokens", tokens)
    conc = check_items("concurrencies", concurrencies if concurrencies is not None else [1, 2, 4, 8, 16, 32, 64],
                       lambda c: check_concurrency("concurrency", c))
    wd = resolve_weight_dtype(m, weight_dtype)
    w = weights_bytes(m, wd)
    rows = []
    for kd in check_items("kv_dtypes", kv_dtypes):
        d = resolve_kv_dtype(m, kd)
        for n in conc:
            rows.append({"model": m.name, "tokens": tokens, "concurrency": n, "kv_dtype": d.name,
                         "kv_bytes": kv_cache_bytes(m, tokens, n, d), "weight_dtype": wd.name, "weights_bytes": w})
    return pd.DataFrame(rows)


def fit_table(model: Any, gpus: list[str] | None = None, tokens: int = 4096, concurrency: int = 1,
              weight_dtype: str | None = "auto", kv_dtype: str | None = "auto", margin: float = 0.1, *,
              max_gpus: int = DEFAULT_MAX_GPUS):
    """One row per GPU: usable memory, headroom on one GPU, fewest GPUs, longest context, most sequences.

    Returns a pandas DataFrame; memory in GiB (rounded to 0.01), ``usable measured`` says
    whether the usable figure comes from a vLLM log. Each row is
    :func:`vramlab.planning.fit` on that GPU.

    >>> t = fit_table("Qwen/Qwen3-8B", ["RTX 4090", "H100 80GB"], tokens=32768)
    >>> t["fewest GPUs"].tolist()
    [1, 1]
    """
    import pandas as pd

    m = load_model(model)
    max_gpus = check_int("max_gpus", max_gpus, minimum=1, maximum=4096)
    rows = []
    for name in check_items("gpus", gpus) if gpus is not None else list_gpus():
        g = get_gpu(name)
        f = fit(m, g, tokens, concurrency, weight_dtype, kv_dtype, margin, max_gpus=max_gpus)
        rows.append({
            "GPU": g.name, "usable (GiB)": round(f.usable / GiB, 2), "usable measured": g.usable_is_measured,
            "headroom on one (GiB)": round(f.headroom / GiB, 2), "fits on one": f.fits,
            "fewest GPUs": f.min_gpus if f.min_gpus is not None else f">{max_gpus}",
            "longest context": f.max_context, "most sequences": f.max_concurrency,
        })
    return pd.DataFrame(rows)


def precision_table(model: Any, gpu: Any, tokens: int = 4096, concurrency: int = 1,
                    options=PRECISION_OPTIONS, margin: float = 0.1):
    """What FP8 KV and 4-bit weights buy: one row per (weight, KV) precision pair.

    Returns a pandas DataFrame with weights, KV cache and total in GiB, the headroom on one
    GPU, the fewest GPUs, the longest context and the most sequences (each row is
    :func:`vramlab.planning.fit` with that pair).

    >>> t = precision_table("Qwen/Qwen3-8B", "RTX 4090", tokens=32768)
    >>> t["KV cache (GiB)"].tolist()
    [4.5, 2.25, 4.5, 2.25]
    """
    import pandas as pd

    m = load_model(model)
    g = get_gpu(gpu)
    rows = []
    for pair in check_items("options", options):
        w, kv = check_items("options[i]", pair, min_len=2, max_len=2)
        f = fit(m, g, tokens, concurrency, w, kv, margin)
        e = f.estimate
        rows.append({
            "weights": e.weight_dtype, "KV": e.kv_dtype, "weights (GiB)": round(e.weights / GiB, 2),
            "KV cache (GiB)": round(e.kv_cache / GiB, 2), "total (GiB)": round(e.total / GiB, 2),
            "headroom (GiB)": round(f.headroom / GiB, 2),
            "fewest GPUs": f.min_gpus if f.min_gpus is not None else f">{f.max_gpus}",
            "longest context": f.max_context, "most sequences": f.max_concurrency,
        })
    return pd.DataFrame(rows)
