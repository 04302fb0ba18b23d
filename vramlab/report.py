"""Plain-text tables: what the command line and the notebooks print.

Every function returns a ``str``; nothing here computes a figure (the numbers come from
the modules that own them), so :mod:`vramlab.report` imports only the foundations
(units, dtypes, errors).

>>> print(render_table(["model", "KV/token"], [["Qwen/Qwen3-8B", "144.00 KiB"]], "lr"))
model            KV/token
Qwen/Qwen3-8B  144.00 KiB
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from .dtypes import DType
from .errors import VramlabError, check_int
from .units import format_both, format_bytes

__all__ = ["render_table", "layer_pattern", "kv_line", "weights_line", "figures_text", "pool_text"]


def render_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], align: str | None = None) -> str:
    """An aligned plain-text table; ``align`` has one ``"l"`` or ``"r"`` per column.

    Parameters
    ----------
    headers : sequence of str
        Column titles.
    rows : sequence of sequences
        One sequence of cells per row (any values; shown with ``str``).
    align : str, optional
        ``"l"`` (left) or ``"r"`` (right) per column; default: first column left, the rest right.

    Returns
    -------
    str
        The table, columns separated by two spaces, no trailing blanks.

    Examples
    --------
    >>> print(render_table(["part", "bytes"], [["weights", "1,000"], ["kv", "10"]], "lr"))
    part     bytes
    weights  1,000
    kv          10
    >>> render_table(["a", "b"], [["x"]])
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: rows[0] has 1 cells; valid: 2, one per header
    """
    n = len(headers)
    align = align or "l" + "r" * (n - 1)
    if len(align) != n or set(align) - {"l", "r"}:
        raise VramlabError(f"align {align!r} must hold one 'l' or 'r' per column ({n} columns)", field="align")
    for i, row in enumerate(rows):
        if len(row) != n:
            raise VramlabError(f"rows[{i}] has {len(row)} cells; valid: {n}, one per header", field="rows")
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(n)]
    lines = []
    for r in cells:
        parts = [c.ljust(w) if a == "l" else c.rjust(w) for c, w, a in zip(r, widths, align)]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def layer_pattern(m: Any) -> str:
    """The model's layers as text: ``"36 full"``, ``"4 full + 20 sliding (4,096)"``.

    ``m`` is a :class:`~vramlab.spec.ModelSpec` (only its layer counts and window are read).

    >>> import vramlab as vl
    >>> layer_pattern(vl.load_model("google/gemma-2-9b"))
    '21 full + 21 sliding (4,096)'
    """
    if not m.num_sliding_layers:
        return f"{m.num_layers} full"
    if not m.num_full_layers:
        return f"{m.num_layers} sliding ({m.sliding_window:,})"
    return f"{m.num_full_layers} full + {m.num_sliding_layers} sliding ({m.sliding_window:,})"


def kv_line(m: Any, kv_dtype: DType, per_token: int, tokens: int, concurrency: int, total: int) -> str:
    """One line on a model's KV cache: per token, and for ``concurrency`` x ``tokens`` tokens.

    ``m`` is the :class:`~vramlab.spec.ModelSpec` (name, attention kind, layers are read);
    the byte counts come from :mod:`vramlab.memory` (see :func:`vramlab.widgets.kv_text`).

    >>> import vramlab as vl
    >>> m, d = vl.load_model("Qwen/Qwen3-8B"), vl.get_dtype("fp8")
    >>> print(kv_line(m, d, vl.kv_bytes_per_token(m, d), 32768, 1, vl.kv_cache_bytes(m, 32768, 1, d)))
    Qwen/Qwen3-8B (GQA, 36 full): 72 KiB/token in fp8; 1 x 32,768 tokens = 2.42 GB (2.25 GiB)
    """
    return (f"{m.name} ({m.attention_kind}, {layer_pattern(m)}): {format_bytes(per_token, 'KiB', 0)}/token in "
            f"{kv_dtype.name}; {concurrency:,} x {tokens:,} tokens = {format_both(total)}")


def weights_line(model: str, params: int, dtype: DType, weights: int) -> str:
    """One line on a model's weights in a format (see :func:`vramlab.widgets.weights_text`).

    >>> import vramlab as vl
    >>> d = vl.get_dtype("int4")
    >>> print(weights_line("Qwen/Qwen3-8B", 8190735360, d, vl.weights_bytes("Qwen/Qwen3-8B", d)))
    Qwen/Qwen3-8B: 8,190,735,360 parameters in int4 (4.156 bits, linear layers only) = 6.10 GB (5.68 GiB)
    """
    scope = ", linear layers only" if dtype.weight_only else ""
    return f"{model}: {params:,} parameters in {dtype.name} ({float(dtype.bits):.4g} bits{scope}) = {format_both(weights)}"


def figures_text(figures: Any, width: int = 44) -> str:
    """Published vs reproduced vs corrected as a fixed-width text table.

    Parameters
    ----------
    figures : list of vramlab.articles.Figure, or a DataFrame
        From ``vramlab.articles.qwen3_8b_figures``/``qwq_32b_figures`` or their DataFrames
        (rows with ``quantity, published, reproduced, corrected, unit, error_pct``).
    width : int
        Width of the quantity column.

    Examples
    --------
    >>> import vramlab.articles as art
    >>> print(figures_text(art.qwq_32b_figures()[3:4]))
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


def pool_text(p: Any) -> str:
    """A vLLM KV pool (:class:`vramlab.serving.Pool`) as the lines ``vramlab pool`` prints.

    >>> import vramlab as vl
    >>> print(pool_text(vl.kv_pool("Qwen/Qwen3-8B", gpu="H100 80GB", max_model_len=32768)).splitlines()[0])
    Qwen/Qwen3-8B on H100 80GB x1 (vLLM v1), gpu_memory_utilization 0.90, KV bf16, block 16
    """
    g = lambda v: format_bytes(v, "GiB")  # noqa: E731
    return "\n".join([
        f"{p.model} on {p.gpu} x{p.tensor_parallel} (vLLM {p.engine}), "
        f"gpu_memory_utilization {p.gpu_memory_utilization:.2f}, KV {p.kv_dtype}, block {p.block_size}",
        f"  requested   {g(p.total_memory)} x {p.gpu_memory_utilization:.2f} = {g(p.requested)}",
        f"  weights     {g(p.weights)}",
        f"  activation  {g(p.activation)}  (profile run: {p.max_num_batched_tokens:,} tokens, {p.max_num_seqs:,} sequences)",
        f"  non-torch   {g(p.non_torch)}",
        f"  CUDA graphs {g(p.cuda_graphs)}",
        f"  KV cache    {g(p.kv_bytes)} = {p.num_blocks:,} blocks = {p.tokens:,} tokens "
        f"({format_bytes(p.kv_bytes_per_token, 'KiB')} per token)",
        f"  max concurrency for {p.max_model_len:,} tokens per request: {p.max_concurrency:.2f}x",
    ])
