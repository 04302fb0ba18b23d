"""Plain-text tables: what the command line and the notebooks print.

Every function returns a ``str``; nothing here computes a figure (the numbers come from
the modules that own them), so :mod:`vramlab.report` imports only the foundations
(units, dtypes, errors).

>>> print(render_table(["model", "KV/token"], [["Qwen/Qwen3-8B", "144.00 KiB"]], "lr"))
model            KV/token
Qwen/Qwen3-8B  144.00 KiB
"""

from __future__ import annotations

import html
import math
from typing import Any, Sequence

from .dtypes import DType
from .errors import VramlabError, check_int
from .units import format_both, format_bytes

__all__ = ["render_table", "layer_pattern", "kv_line", "weights_line", "figures_text", "pool_text", "html_table",
           "display_rows", "display_text", "RichDisplay", "pool_warnings", "model_line", "model_text", "models_text",
           "params_text", "approximate_notes", "estimate_text", "gpus_text", "training_text", "fit_text"]


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


# ---------------------------------------------------------------------------
# Rich display: the same rows as an HTML table (Jupyter) and as plain text (IPython)
def html_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], caption: str = "",
               notes: Sequence[str] = ()) -> str:
    """An HTML ``<table>`` (cells escaped), with a caption and notes below it.

    >>> html_table(["part", "GiB"], [["weights", "15.26"]], caption="Qwen <8B>")
    '<table><caption>Qwen &lt;8B&gt;</caption><thead><tr><th>part</th><th>GiB</th></tr></thead><tbody><tr><td>weights</td><td>15.26</td></tr></tbody></table>'
    """
    esc = html.escape
    head = "".join(f"<th>{esc(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{esc(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    out = f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    return out + "".join(f"<p>{esc(n)}</p>" for n in notes)


def _sizes(parts: Any) -> list[list[str]]:
    return [[k, f"{v:,}", format_bytes(v, "GB"), format_bytes(v, "GiB")] for k, v in parts]


_SIZE_HEADERS = ("part", "bytes", "GB", "GiB")


def _estimate_rows(e: Any):
    return str(e).splitlines()[0], _SIZE_HEADERS, _sizes(list(e.parts().items()) + [("total", e.total)])


def _training_rows(e: Any):
    return str(e).splitlines()[0], _SIZE_HEADERS, _sizes(list(e.parts().items()) + [("total", e.total)])


def _pool_rows(p: Any):
    caption = pool_text(p).splitlines()[0]
    rows = _sizes([("requested", p.requested)] + list(p.parts().items()))
    rows += [["blocks", f"{p.num_blocks:,}", "", ""], ["tokens", f"{p.tokens:,}", "", ""],
             [f"max concurrency at {p.max_model_len:,} tokens", f"{p.max_concurrency:.2f}x", "", ""]]
    return caption, _SIZE_HEADERS, rows


def _plan_rows(p: Any):
    rows = _sizes(list(p.parts().items()) + [("total", p.total), ("usable", p.usable)])
    rows.append(["headroom", f"{p.headroom:,}", format_bytes(p.headroom, "GB"), format_bytes(p.headroom, "GiB")])
    return f"per GPU on {p.tensor_parallel} x {p.gpu}", _SIZE_HEADERS, rows


def _fit_rows(f: Any):
    return f.verdict().replace("\n", " "), *_plan_rows(f.per_gpu)[1:]


def _gpu_rows(g: Any):
    rows = [["memory as sold", g.memory_as_sold], ["physical", format_bytes(g.physical_bytes, "GiB")],
            ["usable", format_bytes(g.usable_bytes, "GiB") + (" (measured)" if g.usable_is_measured else
                                                              " (estimated)")],
            ["bandwidth", "-" if g.memory_bandwidth is None else f"{g.memory_bandwidth / 10**12:g} TB/s"],
            ["source", g.source]]
    return f"{g.name} ({g.vendor})", ("field", "value"), rows


#: Row builders by class name: each returns (caption, headers, rows) read from the result's fields.
_DISPLAYS = {"Estimate": _estimate_rows, "TrainingEstimate": _training_rows, "Pool": _pool_rows,
             "GPUPlan": _plan_rows, "Fit": _fit_rows, "GPU": _gpu_rows}


def display_rows(obj: Any) -> tuple[str, Sequence[str], list[list[str]], tuple[str, ...]]:
    """Caption, headers, rows and warnings of a result (Estimate, Pool, Fit, GPU, ...).

    >>> import vramlab as vl
    >>> caption, headers, rows, notes = display_rows(vl.estimate("Qwen/Qwen3-8B", tokens=131072))
    >>> headers, rows[-1][0], notes[0][:32]
    (('part', 'bytes', 'GB', 'GiB'), 'total', 'tokens 131,072 exceed the 40,960')
    """
    try:
        build = _DISPLAYS[type(obj).__name__]
    except KeyError:
        raise VramlabError(f"no display for {type(obj).__name__}; valid: {', '.join(_DISPLAYS)}",
                           field="obj") from None
    caption, headers, rows = build(obj)
    return caption, headers, rows, tuple(getattr(obj, "warnings", ()) or ())


def display_text(obj: Any) -> str:
    """A result as plain text: its caption, its table and its warnings (``note:`` lines)."""
    caption, headers, rows, notes = display_rows(obj)
    align = "l" + "r" * (len(headers) - 1) if len(headers) > 2 else "ll"
    return "\n".join([caption, render_table(headers, rows, align)] + [f"note: {n}" for n in notes])


class RichDisplay:
    """Mixin of the result classes: Jupyter shows an HTML table, IPython's pretty printer the text.

    >>> import vramlab as vl
    >>> vl.estimate("Qwen/Qwen3-8B")._repr_html_().startswith("<table><caption>Qwen/Qwen3-8B")
    True
    """

    __slots__ = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # IPython reads _repr_pretty_ from the class's own __dict__, before its (dataclass) __repr__
        cls._repr_pretty_ = RichDisplay._repr_pretty_

    def _repr_html_(self) -> str:
        caption, headers, rows, notes = display_rows(self)
        return html_table(headers, rows, caption, tuple(f"⚠ {n}" for n in notes))

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(f"{type(self).__name__}(...)" if cycle else display_text(self))


def pool_warnings(p: Any) -> tuple[str, ...]:
    """Why a vLLM pool (:class:`vramlab.serving.Pool`) would not serve one request.

    >>> import vramlab as vl
    >>> pool_warnings(vl.kv_pool("meta-llama/Llama-3.1-70B-Instruct", gpu="RTX 4090"))[0][:29]
    'the weights and overhead need'
    >>> pool_warnings(vl.kv_pool("Qwen/Qwen3-8B", gpu="H100"))
    ()
    """
    if p.kv_bytes <= 0:
        return (f"the weights and overhead need {format_bytes(p.non_kv, 'GiB')} but vLLM may use "
                f"{format_bytes(p.requested, 'GiB')} per GPU: no memory is left for the KV cache, so vLLM "
                "refuses to start (more GPUs with --tp, a smaller weight format, or a larger "
                "gpu_memory_utilization)",)
    if not p.fits_max_model_len:
        return (f"the KV pool holds {p.tokens:,} tokens, fewer than one request of max_model_len "
                f"{p.max_model_len:,}: vLLM refuses to start (lower max_model_len or free memory)",)
    return ()


# ---------------------------------------------------------------------------
# A model's layout (ModelSpec.__repr__ and ModelSpec.describe)
def model_line(m: Any) -> str:
    """A :class:`~vramlab.spec.ModelSpec` in one line of at most 300 characters.

    >>> import vramlab as vl
    >>> vl.load_model("Qwen/Qwen3-8B")
    ModelSpec('Qwen/Qwen3-8B', qwen3, 36 layers, 32 q/8 kv heads x 128 (GQA), 8,190,735,360 params)
    """
    name = m.name if len(m.name) <= 120 else m.name[:119] + "…"
    try:
        params = f", {m.param_count():,} params"
    except KeyError:  # the parameter counters are not installed (vramlab.params not imported)
        params = ""
    return (f"ModelSpec({name!r}, {m.model_type[:40]}, {m.num_layers} layers, {m.num_q_heads} q/"
            f"{m.num_kv_heads} kv heads x {m.head_dim} ({m.attention_kind}){params})")


def _layer_runs(layers: Sequence[Any]) -> str:
    """The per-layer pattern in words: one kind, a repeated cycle, or runs of layers."""
    word = lambda la: la.kind if la.window is None else f"{la.kind} ({la.window:,})"  # noqa: E731
    n = len(layers)
    for p in range(1, min(n, 8) + 1):
        if all(layers[i] == layers[i % p] for i in range(n)):
            cycle = ", ".join(word(la) for la in layers[:p])
            return f"layers 0-{n - 1}: {cycle}" + (f" (a cycle of {p} layers, repeated)" if p > 1 else "")
    runs, start = [], 0
    for i in range(1, n + 1):
        if i == n or layers[i] != layers[start]:
            runs.append(f"{start}-{i - 1} {word(layers[start])}" if i - 1 > start else f"{start} {word(layers[start])}")
            start = i
    return "layers " + ", ".join(runs)


def model_text(m: Any) -> str:
    """Every field of a model's layout, one per line, the layer pattern and the warnings.

    >>> import vramlab as vl
    >>> print(vl.load_model("google/gemma-2-9b").describe().splitlines()[-2])
    layers 0-41: sliding (4,096), full (a cycle of 2 layers, repeated)
    """
    skip = {"layers", "config", "hf_config", "meta", "warnings"}
    lines = [f"{f}: {getattr(m, f)!r}" for f in m.__dataclass_fields__ if f not in skip]
    lines += [f"layers: {layer_pattern(m)}", _layer_runs(m.layers)]
    lines += [f"warning: {w}" for w in m.warnings] or ["warnings: none"]
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# What the command line prints (each subcommand's text, from the results it computed)
def _billions(n: int) -> str:
    return f"{n / 10**9:,.2f}"


def _share(part: int, total: int) -> str:
    return f"{100 * part / total:.2f} %" if total else "-"


def models_text(records: Sequence[dict]) -> str:
    """``vramlab models``: one row per preset (records of id, family, attention, layers, params, KV)."""
    rows = [[r["id"], r["family"], r["attention_kind"], r["layers"], _billions(r["params"]),
             f"{r['kv_bytes_per_token_16bit'] / 2**10:,.2f}"] for r in records]
    return (render_table(["id", "family", "attention", "layers", "params (B)", "KV/token 16-bit (KiB)"], rows,
                         "lllrrr")
            + f"\n\n{len(records)} presets. params (B) = billions of parameters; "
              "KV/token = KV-cache bytes per token at 16 bits (1 KiB = 1,024 bytes).")


def params_text(m: Any, parts: dict[str, int], order: Sequence[str], active: int | None,
                card_figures: dict[str, Any]) -> str:
    """``vramlab params``: the parameters of each component (in ``order``) and their shares."""
    total = sum(parts.values())
    rows = [[k, f"{parts[k]:,}", _share(parts[k], total)] for k in order]
    rows.append(["total", f"{total:,}", _share(total, total)])
    if active is not None:
        rows.append(["active per token", f"{active:,}", _share(active, total)])
    lines = [f"{m.name} ({m.model_type}, {m.attention_kind}, {m.num_layers} layers)",
             render_table(["component", "parameters", "share"], rows, "lrr")]
    labels = {"params_total": "total", "params_active": "active", "params_non_embedding": "non-embedding"}
    if card_figures:
        lines.append("model card: " + ", ".join(f"{labels.get(k, k)} {v}" for k, v in card_figures.items()))
    return "\n".join(lines + approximate_notes(m))


def approximate_notes(m: Any) -> list[str]:
    """``note:`` lines of a model whose count is approximate, and its reading warnings."""
    notes = [] if m.exact else ["note: parameter count is approximate (generic decoder layout)"]
    return notes + [f"note: {w}" for w in m.warnings]


def estimate_text(e: Any, m: Any, per_token: int, plan: Any = None) -> str:
    """``vramlab estimate``: the workload, each part in bytes, GB and GiB, the per-GPU share
    on ``plan`` (a :class:`vramlab.planning.GPUPlan`) and the warnings."""
    seqs = "sequence" if e.concurrency == 1 else "sequences"
    capped = f", averaged over {e.tokens:,} tokens with sliding-window layers capped" if m.num_sliding_layers else ""
    lines = [f"{e.model} ({m.model_type}, {m.attention_kind}, {m.param_count():,} parameters)",
             f"{e.concurrency:,} {seqs} x {e.tokens:,} tokens; weights {e.weight_dtype}; KV cache {e.kv_dtype} "
             f"({per_token:,} bytes = {format_bytes(per_token, 'KiB')} per token{capped}); "
             f"margin {e.margin_fraction:.0%}", "",
             render_table(_SIZE_HEADERS, _sizes(list(e.parts().items()) + [("total", e.total)]), "lrrr"), "",
             "GB = 10^9 bytes, GiB = 2^30 bytes. activations: one forward pass; "
             "framework: CUDA context, workspaces, CUDA graphs; margin: a fraction of the rest."]
    if plan is not None:
        state = (f"fits, {format_bytes(plan.headroom, 'GiB')} to spare" if plan.fits
                 else f"does not fit, short by {format_bytes(-plan.headroom, 'GiB')}")
        lines.append(f"on {plan.tensor_parallel} x {plan.gpu}: {format_bytes(plan.total, 'GiB')} per GPU of "
                     f"{format_bytes(plan.usable, 'GiB')} usable: {state} (`vramlab fit` for the fewest GPUs)")
    if not m.exact:
        lines.append("note: parameter count is approximate (generic decoder layout)")
    return "\n".join(lines + [f"warning: {w}" for w in e.warnings])


def gpus_text(gpus: Sequence[Any]) -> str:
    """``vramlab gpus``: the catalog, one row per GPU (:class:`vramlab.gpus.GPU`)."""
    rows = [[g.name, g.vendor, g.memory_as_sold, format_bytes(g.usable_bytes, "GiB"),
             "measured" if g.usable_is_measured else "estimated",
             "-" if g.memory_bandwidth is None else f"{g.memory_bandwidth / 10**12:.2f}",
             g.price_class or "-"] for g in gpus]
    return (render_table(["gpu", "vendor", "memory as sold", "usable", "usable is", "TB/s", "class"], rows,
                         "lllrlrl")
            + f"\n\n{len(gpus)} GPUs. usable: total memory as the driver reports it, measured (vLLM log, "
              "nvidia-smi) where known, else estimated as a share of the physical memory; TB/s: peak memory "
              "bandwidth (datasheet); class: the vendor's product line. Sources: `vramlab gpus --json`. "
              "A GPU outside the catalog: --gpu-memory 24GiB.")


def training_text(e: Any, gpu: Any = None, warnings: Sequence[str] = ()) -> str:
    """``vramlab train``: the parts of a training step per GPU, the model states per trainable
    parameter, the verdict on ``gpu`` and the warnings."""
    per = f" ({e.model_states / e.trainable_params:.1f} bytes per parameter)" if e.method == "full" else ""
    lines = [str(e), f"model states {format_bytes(e.model_states, 'GiB')}{per}: weights, gradients, master weights, "
                     f"optimizer states; activations {format_bytes(e.activations, 'GiB')} with recomputation {e.recompute}"]
    if gpu is not None:
        mark = "✓ fits" if e.total <= gpu.usable_bytes else "✗ does not fit"
        lines.append(f"{mark} on {gpu.name}: {format_bytes(e.total, 'GiB')} per GPU of "
                     f"{format_bytes(gpu.usable_bytes, 'GiB')} usable")
    return "\n".join(lines + [f"warning: {w}" for w in warnings])


def fit_text(f: Any) -> str:
    """``vramlab fit``: the verdict (:meth:`vramlab.planning.Fit.verdict`), the per-GPU table and the warnings."""
    _, headers, rows, notes = display_rows(f)
    caption = _plan_rows(f.per_gpu)[0] + (" (the estimate; vLLM's own budget is above)" if f.pool is not None else "")
    return "\n".join([f.verdict(), "", caption + ":", render_table(headers, rows, "lrrr")]
                     + [f"warning: {n}" for n in notes])
