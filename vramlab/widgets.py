"""Interactive calculators for notebooks and the Voila app (ipywidgets, imported lazily).

The widgets hold no logic: :func:`calculate` and :func:`explore_fit_map` are pure functions
of the control values, and the widgets only call them and show the result. Tests set a
control's ``value`` and read ``result``, without a browser.

>>> out = calculate("Qwen/Qwen3-8B", "", tokens=4096, concurrency=8, weight_dtype="bf16",
...                 kv_dtype="fp8", margin=0.1, gpu="RTX 4090")
>>> out.error is None, out.fit.fits
(True, True)
>>> print(calculate(CUSTOM, '{"model_type": "llama"', 4096, 1, "auto", "auto", 0.1, "L4").error)
config.json is not valid JSON: Expecting ',' delimiter: line 1 column 23 (char 22)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .errors import VramlabError
from .gpus import MAP_CONCURRENCIES, MAP_CONTEXTS, Fit, FitMap, fit, fit_map, get_gpu
from .memory import Estimate
from .presets import load_model
from .spec import ModelSpec

__all__ = [
    "CUSTOM", "DEFAULTS", "CalcOutput", "MapOutput", "read_config", "resolve_model", "calculate",
    "explore_fit_map", "render_breakdown_png", "render_fit_map_png", "Calculator", "FitMapExplorer",
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
}

#: The tokens slider runs over powers of two from 2**7 to 2**20 (128 to 1,048,576 tokens).
TOKENS_LOG2_RANGE = (7, 20)


def read_config(text: str, name: str = "pasted config") -> ModelSpec:
    """A ModelSpec from the text of a config.json (parsed as JSON, never executed).

    >>> read_config('{"model_type": "llama", "hidden_size": 4096, "intermediate_size": 11008, '
    ...             '"num_hidden_layers": 32, "num_attention_heads": 32, "vocab_size": 32000}').num_kv_heads
    32
    >>> read_config("[1, 2]")
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: config.json must be a JSON object ({...}), got list
    """
    text = str(text or "").strip()
    if not text:
        raise VramlabError("config.json is empty: paste the model's config.json or upload the file", field="config")
    try:
        cfg = json.loads(text)
    except json.JSONDecodeError as exc:
        raise VramlabError(f"config.json is not valid JSON: {exc}", field="config") from None
    if not isinstance(cfg, dict):
        raise VramlabError(f"config.json must be a JSON object ({{...}}), got {type(cfg).__name__}", field="config")
    return load_model(cfg, name=name)


def resolve_model(model: str, config: str = "") -> ModelSpec:
    """The preset ``model``, or the pasted ``config`` when ``model`` is :data:`CUSTOM`.

    >>> resolve_model("Qwen/Qwen3-8B").num_layers
    36
    """
    return read_config(config) if model == CUSTOM else load_model(model)


@dataclass(frozen=True)
class CalcOutput:
    """What the calculator shows for one set of inputs.

    ``estimate`` and ``fit`` are None and ``error`` holds the message when the inputs are bad.
    """

    estimate: Estimate | None
    fit: Fit | None
    text: str
    verdict: str
    error: str | None


def calculate(model: str, config: str, tokens: float, concurrency: int, weight_dtype: str, kv_dtype: str,
              margin: float, gpu: str) -> CalcOutput:
    """Estimate and fit check for the calculator's control values (a pure function).

    Bad input gives a :class:`CalcOutput` with ``error`` set instead of raising, so the
    widget can show the message and carry on.

    >>> import vramlab as vl
    >>> out = calculate("Qwen/Qwen3-8B", "", 32768, 2, "bf16", "auto", 0.1, "RTX 4090")
    >>> out.estimate == vl.estimate("Qwen/Qwen3-8B", 32768, 2, "bf16", "auto", 0.1)
    True
    >>> out.fit.fits
    False
    """
    try:
        m = resolve_model(model, config)
        f = fit(m, gpu, int(round(tokens)), concurrency, weight_dtype, kv_dtype, margin)
    except VramlabError as exc:
        msg = str(exc)
        return CalcOutput(None, None, f"✗ {msg}", f"✗ {msg}", msg)
    return CalcOutput(f.estimate, f, str(f.estimate), f.verdict(), None)


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
    from .plots.planning import plot_memory_breakdown

    if out.estimate is None:
        return b""
    fig, ax = _figure()
    bars: dict[str, Any] = {"one GPU": out.estimate}
    if out.fit.plan is not None and out.fit.plan.tensor_parallel > 1:
        bars[f"per GPU, TP={out.fit.plan.tensor_parallel}"] = out.fit.plan
    plot_memory_breakdown(bars, gpu=out.fit.gpu, ax=ax)
    ax.set_title(f"{out.estimate.model}: {out.estimate.concurrency} x {out.estimate.tokens:,} tokens", fontsize=9)
    return _png(fig)


def _html_lines(text: str, error: bool = False) -> str:
    import html

    color = "#b00020" if error else "inherit"
    return (f'<pre style="color:{color};white-space:pre-wrap;margin:0;font-family:monospace;line-height:1.35">'
            f"{html.escape(text)}</pre>")


class Calculator:
    """Memory calculator: model (preset or pasted config.json), workload, precisions, GPU.

    Attributes
    ----------
    controls : dict of str to widget
        The input widgets: ``model``, ``config``, ``tokens``, ``concurrency``,
        ``weight_dtype``, ``kv_dtype``, ``margin``, ``gpu``.
    result : Estimate or None
        The latest estimate (None while the inputs are bad).
    output : CalcOutput
        The latest full output (estimate, fit, texts, error).
    ui : ipywidgets.Widget
        The layout to display.

    Examples
    --------
    Outside a kernel, ``clear_output`` (called by ``interactive_output``) writes a terminal
    escape to stdout; it is set aside here.

    >>> import contextlib, io
    >>> with contextlib.redirect_stdout(io.StringIO()):
    ...     calc = Calculator(plot=False)
    ...     calc.controls["concurrency"].value = 8
    >>> calc.result.concurrency
    8
    """

    def __init__(self, plot: bool = True, **values: Any) -> None:
        import ipywidgets as w

        from .dtypes import list_dtypes
        from .gpus import list_gpus
        from .presets import list_models

        unknown = set(values) - set(DEFAULTS)
        if unknown:
            raise VramlabError(f"Calculator got unknown settings {sorted(unknown)}; valid: {', '.join(DEFAULTS)}",
                               field="Calculator")
        v = {**DEFAULTS, **values}
        self.plot = plot
        style = {"description_width": "130px"}
        wide = w.Layout(width="420px")
        lo, hi = TOKENS_LOG2_RANGE
        self.controls = {
            "model": w.Dropdown(options=[CUSTOM, *list_models()], value=v["model"], description="Model",
                                style=style, layout=wide),
            "config": w.Textarea(value=v["config"], description="config.json",
                                 placeholder='{"model_type": "llama", "hidden_size": 4096, ...}',
                                 continuous_update=False, rows=6, style=style, layout=wide),
            "tokens": w.FloatLogSlider(value=v["tokens"], base=2, min=lo, max=hi, step=1, description="Tokens / sequence",
                                       readout_format=",.0f", continuous_update=False, style=style, layout=wide),
            "concurrency": w.BoundedIntText(value=v["concurrency"], min=1, max=100_000, description="Concurrency",
                                            continuous_update=False, style=style, layout=wide),
            "weight_dtype": w.Dropdown(options=["auto", *list_dtypes()], value=v["weight_dtype"],
                                       description="Weight precision", style=style, layout=wide),
            "kv_dtype": w.Dropdown(options=["auto", *list_dtypes(kv_only=True)], value=v["kv_dtype"],
                                   description="KV precision", style=style, layout=wide),
            "margin": w.FloatSlider(value=v["margin"], min=0.0, max=0.5, step=0.05, description="Margin",
                                    readout_format=".0%", continuous_update=False, style=style, layout=wide),
            "gpu": w.Dropdown(options=list_gpus(), value=get_gpu(v["gpu"]).name, description="GPU",
                              style=style, layout=wide),
        }
        for name, widget in self.controls.items():
            widget.add_class(f"vramlab-{name.replace('_', '-')}")
        self.upload = w.FileUpload(accept=".json", multiple=False, description="Upload config.json")
        self.upload.observe(self._on_upload, names="value")
        self.controls["config"].observe(self._on_config, names="value")
        self.verdict = w.HTML().add_class("vramlab-verdict")
        self.figure = w.Image(format="png", layout=w.Layout(width="480px")).add_class("vramlab-figure")
        self.breakdown = w.HTML(layout=w.Layout(min_width="420px")).add_class("vramlab-breakdown")
        self.output: CalcOutput | None = None
        self.result: Estimate | None = None
        # interactive_output calls _update on every committed change; _update writes into the
        # HTML and Image widgets (nothing is printed, so no output is captured)
        self._wiring = w.interactive_output(self._update, self.controls)
        left = w.VBox([self.controls["model"], self.controls["config"], self.upload])
        right = w.VBox([self.controls[k] for k in ("tokens", "concurrency", "weight_dtype", "kv_dtype", "margin", "gpu")])
        self.ui = w.VBox([w.HBox([left, right]), self.verdict, w.HBox([self.breakdown, self.figure])])
        self.ui.add_class("vramlab-calculator")
        if self.output is None:  # interactive_output draws once at creation; make sure
            self._update(**{k: c.value for k, c in self.controls.items()})

    # -- callbacks -----------------------------------------------------------------
    def _update(self, **values: Any) -> None:
        out = calculate(**values)
        self.output = out
        self.result = out.estimate
        self.verdict.value = _html_lines(out.verdict, error=out.error is not None or not out.fit.fits)
        if self.plot:
            self.figure.value = render_breakdown_png(out)
        self.breakdown.value = _html_lines(out.text, error=out.error is not None)

    def _on_config(self, change: dict) -> None:
        if str(change["new"]).strip() and self.controls["model"].value != CUSTOM:
            self.controls["model"].value = CUSTOM

    def _on_upload(self, change: dict) -> None:
        files = change["new"]
        if not files:
            return
        item = files[0]
        content = item["content"] if isinstance(item, dict) else item.content
        try:
            text = bytes(content).decode("utf-8")
        except UnicodeDecodeError:
            text = "<uploaded file is not UTF-8 text>"
        self.controls["config"].value = text

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.ui)


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


def render_fit_map_png(model: Any, out: MapOutput, weight_dtype: str = "auto", kv_dtype: str = "auto",
                       margin: float = 0.1) -> bytes:
    """PNG of the fit map of ``out`` (empty bytes when ``out`` is an error)."""
    from .plots.planning import plot_fit_map

    if out.fit_map is None:
        return b""
    fm = out.fit_map
    fig, ax = _figure((7.0, 4.5), bottom=0.2)
    plot_fit_map(model, fm.gpu, fm.contexts, fm.concurrencies, weight_dtype, kv_dtype, margin,
                 tensor_parallel=fm.tensor_parallel, ax=ax)
    return _png(fig)


class FitMapExplorer:
    """Context x concurrency map of what fits on a GPU, for a preset or a pasted config.

    Attributes
    ----------
    controls : dict of str to widget
        ``model``, ``config``, ``gpu``, ``weight_dtype``, ``kv_dtype``, ``margin``, ``tensor_parallel``.
    result : FitMap or None
        The latest map (None while the inputs are bad).
    ui : ipywidgets.Widget

    Examples
    --------
    >>> import contextlib, io
    >>> with contextlib.redirect_stdout(io.StringIO()):
    ...     ex = FitMapExplorer(plot=False)
    ...     ex.controls["gpu"].value = "H100 80GB"
    >>> ex.result.gpu
    'H100 80GB'
    """

    def __init__(self, plot: bool = True, model: str = "Qwen/Qwen3-8B", gpu: str = "RTX 4090") -> None:
        import ipywidgets as w

        from .dtypes import list_dtypes
        from .gpus import list_gpus
        from .presets import list_models

        self.plot = plot
        style = {"description_width": "130px"}
        wide = w.Layout(width="420px")
        self.controls = {
            "model": w.Dropdown(options=[CUSTOM, *list_models()], value=model, description="Model", style=style, layout=wide),
            "config": w.Textarea(description="config.json", continuous_update=False, rows=4, style=style, layout=wide),
            "gpu": w.Dropdown(options=list_gpus(), value=get_gpu(gpu).name, description="GPU", style=style, layout=wide),
            "weight_dtype": w.Dropdown(options=["auto", *list_dtypes()], value="auto", description="Weight precision",
                                       style=style, layout=wide),
            "kv_dtype": w.Dropdown(options=["auto", *list_dtypes(kv_only=True)], value="auto",
                                   description="KV precision", style=style, layout=wide),
            "margin": w.FloatSlider(value=0.1, min=0.0, max=0.5, step=0.05, description="Margin", readout_format=".0%",
                                    continuous_update=False, style=style, layout=wide),
            "tensor_parallel": w.BoundedIntText(value=1, min=1, max=64, description="GPUs (tensor parallel)",
                                                continuous_update=False, style=style, layout=wide),
        }
        for name, widget in self.controls.items():
            widget.add_class(f"vramlab-map-{name.replace('_', '-')}")
        self.figure = w.Image(format="png", layout=w.Layout(width="560px"))
        self.output: MapOutput | None = None
        self.result: FitMap | None = None
        self.summary = w.HTML().add_class("vramlab-map-summary")
        self._wiring = w.interactive_output(self._update, self.controls)
        self.ui = w.VBox([w.HBox([w.VBox([self.controls[k] for k in ("model", "config", "gpu")]),
                                  w.VBox([self.controls[k] for k in ("weight_dtype", "kv_dtype", "margin",
                                                                    "tensor_parallel")])]),
                          self.summary, self.figure])
        if self.output is None:
            self._update(**{k: c.value for k, c in self.controls.items()})

    def _update(self, **values: Any) -> None:
        out = explore_fit_map(**values)
        self.output = out
        self.result = out.fit_map
        if self.plot:
            model = resolve_model(values["model"], values["config"]) if out.fit_map is not None else None
            self.figure.value = render_fit_map_png(model, out, values["weight_dtype"], values["kv_dtype"],
                                                   values["margin"]) if model is not None else b""
        self.summary.value = _html_lines(out.summary, error=out.error is not None)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.ui)

