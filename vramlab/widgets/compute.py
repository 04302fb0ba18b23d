"""The calculators' logic: pure functions of the control values (no ipywidgets here).

Each returns what its widget shows; bad input gives an output with ``error`` set (or raises
:class:`~vramlab.errors.VramlabError` for the one-line texts), so tests drive them directly.

>>> out = calculate("Qwen/Qwen3-8B", "", tokens=4096, concurrency=8, weight_dtype="bf16",
...                 kv_dtype="fp8", margin=0.1, gpu="RTX 4090")
>>> out.error is None, out.fit.fits
(True, True)
>>> print(calculate(CUSTOM, '{"model_type": "llama"', 4096, 1, "auto", "auto", 0.1, "L4").error)
config.json is not valid JSON: Expecting ',' delimiter: line 1 column 23 (char 22)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import MAX_TOKENS, VramlabError, check_number
from ..gpus import GPU, get_gpu
from ..memory import Estimate, kv_bytes_per_token, kv_cache_bytes, resolve_kv_dtype, resolve_weight_dtype, weights_bytes
from ..planning import MAP_CONCURRENCIES, MAP_CONTEXTS, Fit, FitMap, fit, fit_map
from ..presets import load_model
from ..report import kv_line, pool_warnings, weights_line
from ..units import parse_size
from ..spec import ModelSpec, parse_config_json

__all__ = [
    "CUSTOM", "DEFAULTS", "TOKENS_LOG2_RANGE", "LOG_COLUMNS", "CalcOutput", "MapOutput", "PoolOutput", "LogOutput",
    "read_config", "resolve_model", "calculate", "explore_fit_map", "weights_text", "kv_text", "pool_summary",
    "explain_log", "size_text", "rules_text", "speed_text", "decode_line", "render_breakdown_png", "render_fit_map_png",
    "custom_gpu", "export_files", "export_html",
]

#: Model-dropdown entry that reads the pasted / uploaded config.json instead of a preset.
CUSTOM = "Custom config.json (paste below)"

#: Starting values of the calculator's controls.
DEFAULTS: dict[str, Any] = {
    "model": "Qwen/Qwen3-8B",
    "config": "",
    "tokens": 4096,
    "concurrency": 1,
    "weight_dtype": "auto",
    "kv_dtype": "auto",
    "margin": 0.1,
    "gpu": "RTX 4090",
    "gpu_memory": "",
}

#: The tokens slider runs over powers of two from 2**7 to 2**20 (128 to 1,048,576 tokens).
TOKENS_LOG2_RANGE = (7, 20)


def read_config(text: str, name: str = "pasted config") -> ModelSpec:
    """A ModelSpec from the text of a config.json (parsed strictly by
    :func:`vramlab.spec.parse_config_json`, never executed).

    >>> read_config('{"model_type": "llama", "hidden_size": 4096, "intermediate_size": 11008, '
    ...             '"num_hidden_layers": 32, "num_attention_heads": 32, "vocab_size": 32000}').num_kv_heads
    32
    >>> read_config("[1, 2]")
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: config.json must hold a JSON object, got list
    """
    text = str(text or "").strip()
    if not text:
        raise VramlabError("config.json is empty: paste the model's config.json or upload the file", field="config")
    return load_model(parse_config_json(text), name=name)


def resolve_model(model: str, config: str = "") -> ModelSpec:
    """The preset ``model``, or the pasted ``config`` when ``model`` is :data:`CUSTOM`.

    >>> resolve_model("Qwen/Qwen3-8B").num_layers
    36
    """
    return read_config(config) if isinstance(model, str) and model == CUSTOM else load_model(model)


def custom_gpu(gpu: Any, gpu_memory: str = "") -> GPU:
    """The GPU of the dropdown, or, when ``gpu_memory`` is typed (``"24GiB"``, ``"80 GB"``; a
    bare number is GiB), that GPU with this memory (:meth:`vramlab.GPU.custom`).

    >>> custom_gpu("RTX 4090", "48").name
    'RTX 4090 with 48.00 GiB'
    >>> custom_gpu("RTX 4090").name
    'RTX 4090'
    """
    text = str(gpu_memory or "").strip()
    if not text:
        return get_gpu(gpu)
    return GPU.custom(memory=parse_size(text, field="custom GPU memory", default_unit="GiB"), like=get_gpu(gpu))


@dataclass(frozen=True)
class CalcOutput:
    """What the calculator shows for one set of inputs.

    ``estimate`` and ``fit`` are None and ``error`` holds the message when the inputs are bad
    (shown once, in ``verdict``; ``text`` is then empty). ``warnings`` are the estimate's
    (a context past the model's trained positions, an approximate family), also at the end of
    ``verdict``.
    """

    estimate: Estimate | None
    fit: Fit | None
    text: str
    verdict: str
    error: str | None
    warnings: tuple[str, ...] = ()


def calculate(model: str, config: str, tokens: float, concurrency: int, weight_dtype: str, kv_dtype: str,
              margin: float, gpu: str, gpu_memory: str = "") -> CalcOutput:
    """Estimate and fit check for the calculator's control values (a pure function).

    Bad input gives a :class:`CalcOutput` with ``error`` set instead of raising, so the
    widget can show the message and carry on.

    >>> import vramlab as vl
    >>> out = calculate("Qwen/Qwen3-8B", "", 32768, 2, "bf16", "auto", 0.1, "RTX 4090")
    >>> out.estimate == vl.estimate("Qwen/Qwen3-8B", 32768, 2, "bf16", "auto", 0.1)
    True
    >>> out.fit.fits
    False
    >>> calculate("Qwen/Qwen3-8B", "", 65536, 1, "auto", "auto", 0.1, "H100").warnings[0][:48]
    'tokens 65,536 exceed the 40,960 positions the mo'
    """
    try:
        m = resolve_model(model, config)
        tokens = round(check_number("tokens", tokens, minimum=1, maximum=MAX_TOKENS))  # a slider's float
        f = fit(m, custom_gpu(gpu, gpu_memory), tokens, concurrency, weight_dtype, kv_dtype, margin)
    except VramlabError as exc:
        msg = str(exc)
        return CalcOutput(None, None, "", f"✗ {msg}", msg)
    warnings = f.estimate.warnings
    verdict = "\n".join([f.verdict(), *(f"⚠ {w}" for w in warnings)])
    return CalcOutput(f.estimate, f, str(f.estimate), verdict, None, warnings)


def export_files(out: CalcOutput, png: bytes = b"") -> dict[str, tuple[str, bytes]]:
    """What the calculator's export buttons download: file name -> (MIME type, content).

    The table as CSV (bytes, GB, GiB per part), the whole fit as JSON
    (:meth:`vramlab.planning.Fit.to_dict`) and, when drawn, the figure as PNG; nothing for an error.

    >>> files = export_files(calculate("Qwen/Qwen3-8B", "", 4096, 1, "bf16", "auto", 0.1, "RTX 4090"))
    >>> sorted(files), files["vramlab-estimate.csv"][1].splitlines()[0]
    (['vramlab-estimate.csv', 'vramlab-fit.json'], b'part,bytes,GB,GiB')
    """
    import csv
    import io
    import json

    if out.estimate is None or out.fit is None:
        return {}
    e = out.estimate
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["part", "bytes", "GB", "GiB"])
    for k, v in [*e.parts().items(), ("total", e.total)]:
        writer.writerow([k, v, f"{v / 10**9:.3f}", f"{v / 2**30:.3f}"])
    files = {"vramlab-estimate.csv": ("text/csv", buf.getvalue().encode()),
             "vramlab-fit.json": ("application/json", json.dumps(out.fit.to_dict(), indent=2).encode())}
    if png:
        files["vramlab-breakdown.png"] = ("image/png", png)
    return files


def export_html(files: dict[str, tuple[str, bytes]]) -> str:
    """Download buttons (links with the content inline, so no server is needed) for ``files``.

    >>> export_html({"a.csv": ("text/csv", b"x")})[:61]
    '<a class="vramlab-export vramlab-export-csv" download="a.csv"'
    """
    import base64
    import html

    style = ("display:inline-block;margin:4px 8px 4px 0;padding:3px 10px;border:1px solid #888;"
             "border-radius:3px;text-decoration:none;color:inherit;font-family:sans-serif;font-size:12px")
    return "".join(
        f'<a class="vramlab-export vramlab-export-{name.rsplit(".", 1)[-1]}" download="{html.escape(name)}" '
        f'href="data:{mime};base64,{base64.b64encode(data).decode()}" style="{style}">'
        f'⬇ {name.rsplit(".", 1)[-1].upper()}</a>' for name, (mime, data) in files.items())


@dataclass(frozen=True)
class MapOutput:
    """What the fit-map explorer shows: the map, a one-line summary, or an error."""

    fit_map: FitMap | None
    summary: str
    error: str | None


def explore_fit_map(model: str, config: str, gpu: str, weight_dtype: str, kv_dtype: str, margin: float,
                    tensor_parallel: int, contexts=MAP_CONTEXTS, concurrencies=MAP_CONCURRENCIES) -> MapOutput:
    """Fit map and a summary for the explorer's control values (a pure function).

    >>> out = explore_fit_map("Qwen/Qwen3-8B", "", "RTX 4090", "bf16", "auto", 0.1, 1,
    ...                       contexts=(4096, 8192), concurrencies=(1, 2))
    >>> out.summary
    '4 of 4 (context, concurrency) pairs fit on RTX 4090; at 8,192 tokens: up to 2 of the sequences tried.'
    """
    try:
        m = resolve_model(model, config)
        fm = fit_map(m, gpu, contexts, concurrencies, weight_dtype, kv_dtype, margin, tensor_parallel=tensor_parallel)
    except VramlabError as exc:
        return MapOutput(None, f"✗ {exc}", str(exc))
    n = sum(ok for row in fm.fits for ok in row)
    ref = 8192 if 8192 in fm.contexts else fm.contexts[len(fm.contexts) // 2]
    j = fm.contexts.index(ref)
    ok_c = [c for c, row in zip(fm.concurrencies, fm.fits) if row[j]]
    tp = f" x {fm.tensor_parallel} (tensor parallel)" if fm.tensor_parallel > 1 else ""
    most = f"up to {max(ok_c):,} of the sequences tried" if ok_c else "not even one sequence"
    summary = (f"{n} of {len(fm.contexts) * len(fm.concurrencies)} (context, concurrency) pairs fit on {fm.gpu}{tp}; "
               f"at {ref:,} tokens: {most}.")
    return MapOutput(fm, summary, None)


def weights_text(model: Any, dtype: str = "auto") -> str:
    """One line on a model's weights in a format (the weights calculator of notebook 01).

    >>> print(weights_text("Qwen/Qwen3-8B", "int4"))
    Qwen/Qwen3-8B: 8,190,735,360 parameters in int4 (4.156 bits, linear layers only) = 6.10 GB (5.68 GiB)
    """
    m = load_model(model)
    d = resolve_weight_dtype(m, dtype)
    return weights_line(m.name, m.param_count(), d, weights_bytes(m, d))


def kv_text(model: Any, kv_dtype: str = "bf16", tokens: int = 32768, concurrency: int = 1) -> str:
    """One line on a model's KV cache (the KV calculator of notebooks 02 and 03).

    >>> print(kv_text("Qwen/Qwen3-8B", "fp8", 32768))
    Qwen/Qwen3-8B (GQA, 36 full): 72 KiB/token in fp8; 1 x 32,768 tokens = 2.42 GB (2.25 GiB)
    """
    m = load_model(model)
    d = resolve_kv_dtype(m, kv_dtype)
    total = kv_cache_bytes(m, tokens, concurrency, d)
    return kv_line(m, d, kv_bytes_per_token(m, d), tokens, concurrency, total)


@dataclass(frozen=True)
class PoolOutput:
    """What the vLLM pool calculator shows: the :class:`~vramlab.serving.Pool`, or an error."""

    pool: Any
    text: str
    error: str | None


def pool_summary(model: Any, gpu: Any = "H100 80GB", gpu_memory_utilization: float = 0.9,
                 max_model_len: int = 32768, kv_dtype: str = "auto") -> PoolOutput:
    """vLLM's KV pool for the pool calculator's control values (notebook 07; a pure function).

    >>> import vramlab as vl
    >>> out = pool_summary("Qwen/Qwen3-8B", "H100 80GB", 0.9, 32768)
    >>> out.pool == vl.kv_pool("Qwen/Qwen3-8B", gpu="H100 80GB", gpu_memory_utilization=0.9, max_model_len=32768)
    True
    >>> pool_summary("Qwen/Qwen3-8B", "H100 80GB", 1.5).error
    'gpu_memory_utilization must be a finite number > 0.0 and <= 1.0, got 1.5'
    """
    from ..serving import kv_pool

    try:
        p = kv_pool(model, gpu=gpu, gpu_memory_utilization=gpu_memory_utilization, max_model_len=max_model_len,
                    kv_dtype=kv_dtype)
    except VramlabError as exc:
        return PoolOutput(None, f"✗ {exc}", str(exc))
    return PoolOutput(p, "\n".join([str(p), *(f"⚠ {w}" for w in pool_warnings(p))]), None)


@dataclass(frozen=True)
class LogOutput:
    """What the log explainer shows: the table of :func:`vramlab.explain_vllm_log`, or an error."""

    table: Any
    text: str
    error: str | None


#: Columns of the log explainer's text.
LOG_COLUMNS = ("quantity", "logged", "vramlab", "difference_%")


def explain_log(text: str) -> LogOutput:
    """vLLM start-up lines explained, for the log explainer (notebook 10; a pure function).

    >>> out = explain_log("INFO [kv_cache_utils.py] GPU KV cache size: 476,016 tokens")
    >>> out.error is None, out.text.split()[:4]
    (True, ['quantity', 'logged', 'vramlab', 'difference_%'])
    >>> explain_log("").error is not None
    True
    """
    from ..vllm_log import explain_vllm_log

    try:
        df = explain_vllm_log(text)
    except VramlabError as exc:
        return LogOutput(None, f"vramlab: {exc}", str(exc))
    return LogOutput(df, df[list(LOG_COLUMNS)].to_string(index=False), None)


def size_text(value: float, unit: str = "GB") -> str:
    """A size in both families of units (the converter of notebook 00).

    >>> size_text(80, "GB")
    '80.000 GB (74.506 GiB)'
    """
    from ..units import format_both, parse_bytes

    return format_both(parse_bytes(f"{value} {unit}"), digits=3)


def rules_text(model: Any, tokens: int = 32768, concurrency: int = 1) -> str:
    """The rules of thumb beside the explicit overhead of a serving case (notebook 06).

    >>> import vramlab as vl
    >>> rules_text("Qwen/Qwen3-8B", 32768, 8) == str(vl.overheads.compare_rules("Qwen/Qwen3-8B", 32768, 8))
    True
    """
    from ..overheads import compare_rules

    return str(compare_rules(load_model(model), tokens=tokens, concurrency=concurrency))


def speed_text(model: Any, gpu: Any = "H100 80GB", tokens: int = 4096, concurrency: int = 1,
               weight_dtype: str = "auto", kv_dtype: str = "auto") -> str:
    """The decode-speed bound of a workload (the speed calculator of notebook 12).

    >>> import vramlab as vl
    >>> speed_text("Qwen/Qwen3-8B") == vl.decode_speed("Qwen/Qwen3-8B", "H100 80GB", 4096, 1).summary()
    True
    """
    from ..speed import decode_speed

    return decode_speed(load_model(model), gpu, tokens, concurrency, weight_dtype, kv_dtype).summary()


def decode_line(out: CalcOutput, model: str, config: str = "", gpu: Any = "H100 80GB", **_: Any) -> str:
    """The decode-speed bound of the calculator's workload, shown beside its memory (notebook 12).

    Uses the estimate's resolved tokens, sequences and formats, on the GPUs of the fit's plan
    (one when none fits); empty for an output with an error.

    >>> out = calculate("Qwen/Qwen3-8B", "", 4096, 1, "bf16", "auto", 0.1, "H100 80GB")
    >>> decode_line(out, "Qwen/Qwen3-8B", gpu="H100 80GB").split(":")[0]
    'Decode speed bound on 1 x H100 80GB'
    """
    from ..speed import decode_speed

    if out.error is not None or out.estimate is None:
        return ""
    e = out.estimate
    tp = out.fit.plan.tensor_parallel if out.fit is not None and out.fit.plan is not None else 1
    try:
        s = decode_speed(resolve_model(model, config), gpu, e.tokens, e.concurrency, e.weight_dtype, e.kv_dtype, tp)
    except VramlabError as exc:
        return f"Decode speed bound: ✗ {exc}"
    return (f"Decode speed bound on {tp} x {s.gpu}: <= {s.tokens_per_s:,.0f} tokens/s "
            f"({s.tokens_per_s_per_sequence:,.1f} per sequence), {s.bound}-bound, "
            f"{s.bytes_per_step / 1e9:,.2f} GB read per step (a roofline bound; notebook 12)")


def _png(fig) -> bytes:
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    return buf.getvalue()


def _figure(size=(6.0, 4.0), bottom: float = 0.1):
    from matplotlib.figure import Figure

    fig = Figure(figsize=size)      # fixed margins: a tight layout would cost a second draw
    fig.subplots_adjust(left=0.12, right=0.97, top=0.92, bottom=bottom)
    return fig, fig.add_subplot()


def render_breakdown_png(out: CalcOutput) -> bytes:
    """PNG of the stacked breakdown of one GPU (and one GPU's share under tensor parallelism).

    >>> out = calculate("Qwen/Qwen3-8B", "", 4096, 1, "auto", "auto", 0.1, "RTX 4090")
    >>> render_breakdown_png(out)[:4] == b"\\x89PNG"
    True
    """
    from ..plots.planning import plot_memory_breakdown

    if out.estimate is None:
        return b""
    fig, ax = _figure()
    bars: dict[str, Any] = {"one GPU": out.estimate}
    if out.fit.plan is not None and out.fit.plan.tensor_parallel > 1:
        bars[f"per GPU, TP={out.fit.plan.tensor_parallel}"] = out.fit.plan
    plot_memory_breakdown(bars, gpu=out.fit.gpu, ax=ax)
    ax.set_title(f"{out.estimate.model}: {out.estimate.concurrency} x {out.estimate.tokens:,} tokens", fontsize=9)
    return _png(fig)


def render_fit_map_png(out: MapOutput) -> bytes:
    """PNG of the fit map of ``out``, drawn from the map already computed (empty bytes when
    ``out`` is an error).

    >>> out = explore_fit_map("Qwen/Qwen3-8B", "", "RTX 4090", "bf16", "auto", 0.1, 1, (4096,), (1,))
    >>> render_fit_map_png(out)[:4] == b"\\x89PNG"
    True
    """
    from ..plots.planning import plot_fit_map

    if out.fit_map is None:
        return b""
    fig, ax = _figure((7.0, 4.5), bottom=0.2)
    plot_fit_map(out.fit_map, ax=ax)
    return _png(fig)
