"""Plots for the teaching notebooks (matplotlib; each function takes ax=None and returns the axes).

* :func:`plot_weights_by_precision` -- weights of the presets in several formats (notebook 01);
* :func:`plot_decode_work` -- work per decoding step with and without a KV cache (notebook 02);
* :func:`plot_kv_concurrency` -- KV cache against concurrency, beside the weights (notebook 02);
* :func:`plot_kv_per_token` -- KV per token of the presets, coloured by attention kind (notebook 03).

The KV cache against context is :func:`vramlab.plots.plot_kv_growth`.

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> ax = plot_weights_by_precision(["Qwen/Qwen3-8B"], ["bf16", "int4"])
>>> ax.get_xlabel()
'weights (GB)'
"""

from __future__ import annotations

from typing import Any, Iterable

__all__ = ["plot_weights_by_precision", "plot_decode_work", "plot_kv_concurrency", "plot_kv_per_token",
           "KIND_COLORS"]

#: Colour of each attention kind (sliding-window models are hatched).
KIND_COLORS = {"MHA": "#c44e52", "GQA": "#4c72b0", "MQA": "#55a868", "MLA": "#8172b3"}


def _ax(ax, size=(7, 4)):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=size)
    return ax


def _plain_log_ticks(ax, *axes: str) -> None:
    """Log axes with plain tick labels (1, 32, 1,024) and no minor ticks: easier to read,
    and much faster to draw than mathtext powers."""
    from matplotlib.ticker import FuncFormatter, NullLocator

    fmt = FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}")
    for name in axes:
        axis = ax.xaxis if name == "x" else ax.yaxis
        axis.set_minor_locator(NullLocator())
        axis.set_major_formatter(fmt)


def _short(name: str) -> str:
    return name.split("/")[-1]


def plot_weights_by_precision(models: Iterable[Any] | None = None, dtypes: Iterable[str] = ("bf16", "fp8", "int4"),
                              unit: str = "GB", ax=None):
    """Horizontal grouped bars: the weights of each model in each format (log scale).

    Parameters
    ----------
    models : iterable of preset ids or ModelSpec, optional
        Default: every preset, sorted by parameter count.
    dtypes : iterable of str
        Weight formats (weight-only formats keep embeddings and lm_head in 16-bit).
    unit : str
        "GB" or "GiB".
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = plot_weights_by_precision(["Qwen/Qwen3-8B"], ["bf16"])
    >>> round(float(ax.patches[0].get_width()), 2)
    16.38
    """
    from ..memory import weights_bytes
    from ..presets import load_model
    from ..presets import list_models
    from ..units import to_unit

    specs = [load_model(m) for m in (models if models is not None else list_models())]
    specs.sort(key=lambda m: m.param_count())
    dtypes = list(dtypes)
    ax = _ax(ax, (7, max(3.0, 0.12 * len(specs) * len(dtypes) + 1)))
    height = 0.8 / len(dtypes)
    for j, d in enumerate(dtypes):
        ys = [i + (j - (len(dtypes) - 1) / 2) * height for i in range(len(specs))]
        ax.barh(ys, [to_unit(weights_bytes(m, d), unit) for m in specs], height=height, label=d)
    ax.set_yticks(range(len(specs)))
    ax.set_yticklabels([_short(m.name) for m in specs], fontsize=8)
    ax.set_xscale("log")
    _plain_log_ticks(ax, "x")
    ax.set_xlabel(f"weights ({unit})")
    ax.grid(True, axis="x", which="major", alpha=0.3)
    ax.legend(title="format", fontsize=8)
    ax.figure.tight_layout()
    return ax


def plot_decode_work(model: Any, contexts: Iterable[int] | None = None, ax=None):
    """Floating-point work of one decoding step against the context, with and without a cache.

    Uses :func:`vramlab.teaching.decode_work` (log-log axes).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = plot_decode_work("Qwen/Qwen3-8B", [1, 2, 4])
    >>> len(ax.lines)
    2
    """
    from ..presets import load_model
    from ..teaching import decode_work

    m = load_model(model)
    contexts = list(contexts) if contexts is not None else [2**k for k in range(0, 16)]
    work = [decode_work(m, c) for c in contexts]
    ax = _ax(ax, (6, 4))
    ax.plot(contexts, [w.flops_no_cache / 1e9 for w in work], marker="o", markersize=3, label="no cache: recompute all")
    ax.plot(contexts, [w.flops_cache / 1e9 for w in work], marker="o", markersize=3, label="KV cache: new token only")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    _plain_log_ticks(ax, "x", "y")
    ax.set_xlabel("context (tokens)")
    ax.set_ylabel("work per generated token (GFLOP)")
    ax.set_title(_short(m.name), fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8)
    return ax


def plot_kv_concurrency(model: Any, tokens: int = 4096, concurrencies: Iterable[int] | None = None,
                        kv_dtypes: Iterable[str] = ("bf16", "fp8"), weight_dtype: str = "auto",
                        unit: str = "GiB", ax=None):
    """KV cache against the number of sequences held at once, one line per KV format,
    with the weights as a horizontal line: where the cache overtakes the model.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = plot_kv_concurrency("Qwen/Qwen3-8B", 4096, [1, 2])
    >>> ax.get_ylabel()
    'memory (GiB)'
    """
    from ..memory import kv_cache_bytes, resolve_weight_dtype, weights_bytes
    from ..presets import load_model
    from ..units import format_bytes, to_unit

    m = load_model(model)
    conc = list(concurrencies) if concurrencies is not None else [1, 2, 4, 8, 16, 32, 64]
    ax = _ax(ax, (6, 4))
    for d in kv_dtypes:
        ax.plot(conc, [to_unit(kv_cache_bytes(m, tokens, n, d), unit) for n in conc], marker="o",
                markersize=3, label=f"KV cache, {d}")
    w = weights_bytes(m, weight_dtype)
    ax.axhline(to_unit(w, unit), color="black", linestyle="--", linewidth=1.2,
               label=f"weights, {resolve_weight_dtype(m, weight_dtype).name} ({format_bytes(w, unit)})")
    ax.set_xlabel(f"concurrent sequences of {tokens:,} tokens")
    ax.set_ylabel(f"memory ({unit})")
    ax.set_title(_short(m.name), fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return ax


def plot_kv_per_token(models: Iterable[Any] | None = None, kv_dtype: str = "bf16", context: int | None = None,
                      unit: str = "KiB", ax=None):
    """Bars of KV cache per token, coloured by attention kind; sliding-window models hatched.

    With ``context`` the bar is the average per token over that context (sliding layers
    capped at their window); without, every layer counts.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = plot_kv_per_token(["Qwen/Qwen3-8B", "tiiuae/falcon-7b"])
    >>> [float(p.get_width()) for p in ax.patches]
    [144.0, 8.0]
    """
    from matplotlib.patches import Patch

    from ..memory import kv_bytes_per_token
    from ..presets import load_model
    from ..presets import list_models
    from ..units import to_unit

    specs = [load_model(m) for m in (models if models is not None else list_models())]
    vals = [to_unit(kv_bytes_per_token(m, kv_dtype, context=context), unit) for m in specs]
    ax = _ax(ax, (7, max(3.0, 0.3 * len(specs) + 1)))
    ys = list(range(len(specs)))[::-1]
    for y, m, v in zip(ys, specs, vals):
        ax.barh(y, v, color=KIND_COLORS.get(m.attention_kind, "grey"),
                hatch="//" if m.num_sliding_layers else None, edgecolor="white")
        ax.annotate(f"{v:,.0f}", (v, y), xytext=(3, 0), textcoords="offset points", va="center", fontsize=7)
    ax.set_yticks(ys)
    ax.set_yticklabels([_short(m.name) for m in specs], fontsize=8)
    where = f", average over {context:,} tokens" if context else ""
    ax.set_xlabel(f"KV cache per token ({unit}, {kv_dtype}{where})")
    handles = [Patch(color=c, label=k) for k, c in KIND_COLORS.items()]
    handles.append(Patch(facecolor="white", edgecolor="grey", hatch="//", label="sliding-window layers"))
    ax.legend(handles=handles, fontsize=8, loc="lower right")
    ax.grid(True, axis="x", alpha=0.3)
    ax.figure.tight_layout()
    return ax
