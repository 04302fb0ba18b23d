"""The calculators as ipywidgets: controls wired with ``interactive_output`` to the pure
functions of :mod:`vramlab.widgets.compute`, results shown in HTML and Image widgets.

>>> import contextlib, io
>>> with contextlib.redirect_stdout(io.StringIO()):
...     kc = KVCalculator(model="Qwen/Qwen3-8B", kv_dtype="fp8")
>>> print(kc.result)
Qwen/Qwen3-8B (GQA, 36 full): 72 KiB/token in fp8; 1 x 32,768 tokens = 2.42 GB (2.25 GiB)
"""

from __future__ import annotations

from typing import Any

from ..errors import VramlabError
from ..gpus import get_gpu, list_gpus
from ..memory import Estimate
from ..planning import FitMap
from ..presets import list_models
from .compute import (
    CUSTOM, DEFAULTS, TOKENS_LOG2_RANGE, CalcOutput, MapOutput, calculate, explain_log, explore_fit_map, export_files,
    export_html, kv_text, pool_summary, render_breakdown_png, render_fit_map_png, rules_text, size_text, speed_text,
    weights_text,
)

__all__ = [
    "Calculator", "FitMapExplorer", "WeightsCalculator", "KVCalculator", "PoolCalculator", "LogExplainer",
    "SizeConverter", "RulesCalculator", "TrainingCalculator", "SpeedCalculator",
]


def _html_lines(text: str, error: bool = False) -> str:
    import html

    color = "#b00020" if error else "inherit"
    return (f'<pre style="color:{color};white-space:pre-wrap;margin:0;font-family:monospace;line-height:1.35">'
            f"{html.escape(text)}</pre>")


_STYLE = {"description_width": "130px"}


def _show_png(image: Any, png: bytes) -> None:
    """Put ``png`` in an Image widget, or hide the widget when there is none (an empty image
    would show the browser's broken-image icon)."""
    if png:
        image.value = png
    image.layout.display = "" if png else "none"


def _wide(width: str = "420px"):
    import ipywidgets as w

    return w.Layout(width=width)


def _dropdown(options, value, description: str):
    import ipywidgets as w

    return w.Dropdown(options=list(options), value=value, description=description, style=_STYLE, layout=_wide())


def _model_dropdown(value: str, custom: bool = True):
    return _dropdown([CUSTOM, *list_models()] if custom else list_models(), value, "Model")


def _gpu_dropdown(value: str):
    return _dropdown(list_gpus(), get_gpu(value).name, "GPU")


def _dtype_dropdown(value: str, kv: bool, auto: bool = True, description: str | None = None):
    from ..dtypes import list_dtypes

    names = list_dtypes(kv_only=True) if kv else list_dtypes()
    return _dropdown(["auto", *names] if auto else names, value,
                     description or ("KV precision" if kv else "Weight precision"))


def _int_slider(value: int, lo: int, hi: int, step: int, description: str):
    import ipywidgets as w

    return w.IntSlider(value=value, min=lo, max=hi, step=step, description=description, continuous_update=False,
                       style=_STYLE, layout=_wide())


class _Widget:
    """Controls wired with ``interactive_output`` to ``_update``; shown by ``ui``.

    Subclasses set ``controls`` (name -> widget) and call :meth:`_wire` with a CSS prefix.
    """

    controls: dict[str, Any]
    ui: Any
    output: Any = None

    def _wire(self, prefix: str) -> None:
        import ipywidgets as w

        for name, widget in self.controls.items():
            widget.add_class(f"{prefix}-{name.replace('_', '-')}")
        # interactive_output calls _update on every committed change; _update writes into
        # HTML and Image widgets (nothing is printed, so no output is captured)
        self._wiring = w.interactive_output(self._update, self.controls)

    def _first(self) -> None:
        if self.output is None:  # interactive_output draws once at creation; make sure
            self._update(**{k: c.value for k, c in self.controls.items()})

    def _update(self, **values: Any) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.ui)


class _TextWidget(_Widget):
    """A widget whose output is one block of text from a pure function ``compute``."""

    css = "vramlab-text"

    def _build(self, controls: dict[str, Any]) -> None:
        import ipywidgets as w

        self.controls = controls
        self.text = w.HTML().add_class(f"{self.css}-output")
        self.result: Any = None
        self._wire(self.css)
        self.ui = w.VBox([*controls.values(), self.text]).add_class(self.css)
        self._first()

    def _show(self, result: Any, text: str, error: bool) -> None:
        self.result = result
        self.output = text
        self.text.value = _html_lines(text, error=error)

    def _compute(self, **values: Any) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def _update(self, **values: Any) -> None:
        """Show the line of ``_compute``, or the message of the VramlabError it raises."""
        try:
            line = self._compute(**values)
        except VramlabError as exc:
            return self._show(None, f"✗ {exc}", True)
        self._show(line, line, False)


class Calculator(_Widget):
    """Memory calculator: model (preset or pasted config.json), workload, precisions, GPU.

    Attributes
    ----------
    controls : dict of str to widget
        The input widgets: ``model``, ``config``, ``tokens``, ``concurrency``,
        ``weight_dtype``, ``kv_dtype``, ``margin``, ``gpu``, ``gpu_memory`` (a custom memory).
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

        unknown = set(values) - set(DEFAULTS)
        if unknown:
            raise VramlabError(f"Calculator got unknown settings {sorted(unknown)}; valid: {', '.join(DEFAULTS)}",
                               field="Calculator")
        v = {**DEFAULTS, **values}
        self.plot = plot
        lo, hi = TOKENS_LOG2_RANGE
        self.controls = {
            "model": _model_dropdown(v["model"]),
            "config": w.Textarea(value=v["config"], description="config.json",
                                 placeholder='{"model_type": "llama", "hidden_size": 4096, ...}',
                                 continuous_update=False, rows=6, style=_STYLE, layout=_wide()),
            "tokens": w.FloatLogSlider(value=v["tokens"], base=2, min=lo, max=hi, step=1, description="Tokens / sequence",
                                       readout_format=",.0f", continuous_update=False, style=_STYLE, layout=_wide()),
            "concurrency": w.BoundedIntText(value=v["concurrency"], min=1, max=100_000, description="Concurrency",
                                            continuous_update=False, style=_STYLE, layout=_wide()),
            "weight_dtype": _dtype_dropdown(v["weight_dtype"], kv=False),
            "kv_dtype": _dtype_dropdown(v["kv_dtype"], kv=True),
            "margin": w.FloatSlider(value=v["margin"], min=0.0, max=0.5, step=0.05, description="Margin",
                                    readout_format=".0%", continuous_update=False, style=_STYLE, layout=_wide()),
            "gpu": _gpu_dropdown(v["gpu"]),
            "gpu_memory": w.Text(value=v["gpu_memory"], description="custom memory", continuous_update=False,
                                 placeholder="custom GPU memory, e.g. 24GiB; blank: the GPU's", style=_STYLE,
                                 layout=_wide()),
        }
        self.upload = w.FileUpload(accept=".json", multiple=False, description="Upload config.json")
        self.upload.observe(self._on_upload, names="value")
        self.controls["config"].observe(self._on_config, names="value")
        self.verdict = w.HTML().add_class("vramlab-verdict")
        self.speed = w.HTML().add_class("vramlab-decode-speed")
        self.figure = w.Image(format="png", layout=w.Layout(width="480px")).add_class("vramlab-figure")
        self.breakdown = w.HTML(layout=w.Layout(min_width="420px")).add_class("vramlab-breakdown")
        self.exports = w.HTML().add_class("vramlab-exports")
        self.output: CalcOutput | None = None
        self.result: Estimate | None = None
        self._wire("vramlab")
        left = w.VBox([self.controls["model"], self.controls["config"], self.upload])
        right = w.VBox([self.controls[k] for k in ("tokens", "concurrency", "weight_dtype", "kv_dtype", "margin", "gpu",
                                                   "gpu_memory")])
        self.ui = w.VBox([w.HBox([left, right]), self.verdict, self.speed, w.HBox([self.breakdown, self.figure]), self.exports])
        self.ui.add_class("vramlab-calculator")
        self._first()

    def _update(self, **values: Any) -> None:
        out = calculate(**values)
        self.output = out
        self.result = out.estimate
        self.verdict.value = _html_lines(out.verdict, error=out.error is not None or not out.fit.fits)
        from .compute import decode_line

        self.speed.value = _html_lines(decode_line(out, **values)) if out.error is None else ""
        png = render_breakdown_png(out) if self.plot else b""
        _show_png(self.figure, png)
        self.breakdown.value = _html_lines(out.text) if out.text else ""   # an error is shown once, above
        self.exports.value = export_html(export_files(out, png))

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


class FitMapExplorer(_Widget):
    """Context x concurrency map of what fits on a GPU, for a preset or a pasted config.

    The map is computed once per change (:func:`explore_fit_map`) and the figure drawn from it.

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

        self.plot = plot
        self.controls = {
            "model": _model_dropdown(model),
            "config": w.Textarea(description="config.json", continuous_update=False, rows=4, style=_STYLE,
                                 layout=_wide()),
            "gpu": _gpu_dropdown(gpu),
            "weight_dtype": _dtype_dropdown("auto", kv=False),
            "kv_dtype": _dtype_dropdown("auto", kv=True),
            "margin": w.FloatSlider(value=0.1, min=0.0, max=0.5, step=0.05, description="Margin", readout_format=".0%",
                                    continuous_update=False, style=_STYLE, layout=_wide()),
            "tensor_parallel": w.BoundedIntText(value=1, min=1, max=64, description="GPUs (tensor parallel)",
                                                continuous_update=False, style=_STYLE, layout=_wide()),
        }
        self.figure = w.Image(format="png", layout=w.Layout(width="560px"))
        self.output: MapOutput | None = None
        self.result: FitMap | None = None
        self.summary = w.HTML().add_class("vramlab-map-summary")
        self._wire("vramlab-map")
        self.ui = w.VBox([w.HBox([w.VBox([self.controls[k] for k in ("model", "config", "gpu")]),
                                  w.VBox([self.controls[k] for k in ("weight_dtype", "kv_dtype", "margin",
                                                                    "tensor_parallel")])]),
                          self.summary, self.figure])
        self._first()

    def _update(self, **values: Any) -> None:
        out = explore_fit_map(**values)
        self.output = out
        self.result = out.fit_map
        _show_png(self.figure, render_fit_map_png(out) if self.plot else b"")
        self.summary.value = _html_lines(out.summary, error=out.error is not None)


class WeightsCalculator(_TextWidget):
    """Weights of a preset in a format, as one line (:func:`weights_text`; notebook 01).

    ``result`` is the line, or None while the input is bad (``output`` then holds the error).

    >>> import contextlib, io
    >>> with contextlib.redirect_stdout(io.StringIO()):
    ...     wc = WeightsCalculator()
    ...     wc.controls["dtype"].value = "int4"
    >>> wc.result == weights_text("Qwen/Qwen3-8B", "int4")
    True
    """

    css = "vramlab-weights"

    def __init__(self, model: str = "Qwen/Qwen3-8B", dtype: str = "bf16") -> None:
        self._build({"model": _model_dropdown(model, custom=False),
                     "dtype": _dtype_dropdown(dtype, kv=False, auto=False, description="format")})

    def _compute(self, model: str, dtype: str) -> str:
        return weights_text(model, dtype)


class KVCalculator(_TextWidget):
    """KV cache of a preset, per token and for a workload, as one line (:func:`kv_text`;
    notebooks 02 and 03).

    >>> import contextlib, io
    >>> with contextlib.redirect_stdout(io.StringIO()):
    ...     kc = KVCalculator(model="deepseek-ai/DeepSeek-V3")
    ...     kc.controls["concurrency"].value = 4
    >>> kc.result == kv_text("deepseek-ai/DeepSeek-V3", "bf16", 32768, 4)
    True
    """

    css = "vramlab-kv"

    def __init__(self, model: str = "Qwen/Qwen3-8B", kv_dtype: str = "bf16", tokens: int = 32768,
                 concurrency: int = 1) -> None:
        self._build({
            "model": _model_dropdown(model, custom=False),
            "kv_dtype": _dtype_dropdown(kv_dtype, kv=True, auto=False, description="KV format"),
            "tokens": _int_slider(tokens, 1024, 131072, 1024, "tokens"),
            "concurrency": _int_slider(concurrency, 1, 64, 1, "sequences"),
        })

    def _compute(self, model: str, kv_dtype: str, tokens: int, concurrency: int) -> str:
        return kv_text(model, kv_dtype, tokens, concurrency)


class PoolCalculator(_TextWidget):
    """vLLM's KV pool on a GPU (:func:`pool_summary`; notebook 07).

    ``result`` is the :class:`~vramlab.serving.Pool` (None while the inputs are bad).

    >>> import contextlib, io
    >>> with contextlib.redirect_stdout(io.StringIO()):
    ...     pc = PoolCalculator()
    ...     pc.controls["gpu_memory_utilization"].value = 0.8
    >>> pc.result == pool_summary("Qwen/Qwen3-8B", "H100 80GB", 0.8, 32768).pool
    True
    """

    css = "vramlab-pool"

    def __init__(self, model: str = "Qwen/Qwen3-8B", gpu: str = "H100 80GB", gpu_memory_utilization: float = 0.9,
                 max_model_len: int = 32768, kv_dtype: str = "auto") -> None:
        import ipywidgets as w

        self._build({
            "model": _model_dropdown(model, custom=False),
            "gpu": _gpu_dropdown(gpu),
            "gpu_memory_utilization": w.FloatSlider(value=gpu_memory_utilization, min=0.5, max=1.0, step=0.01,
                                                    description="utilization", continuous_update=False,
                                                    style=_STYLE, layout=_wide()),
            "max_model_len": _int_slider(max_model_len, 1024, 131072, 1024, "max_model_len"),
            "kv_dtype": _dropdown(["auto", "fp8"], kv_dtype, "KV dtype"),
        })

    def _update(self, **values: Any) -> None:
        out = pool_summary(**values)
        self._show(out.pool, out.text, out.error is not None)


class LogExplainer(_TextWidget):
    """Paste vLLM start-up lines, read each figure beside vramlab's (:func:`explain_log`; notebook 10).

    The box starts with calibration row ``row_id`` written back as a log. ``result`` is the
    DataFrame of :func:`vramlab.explain_vllm_log` (None when the text cannot be explained).

    >>> import contextlib, io
    >>> with contextlib.redirect_stdout(io.StringIO()):
    ...     le = LogExplainer()
    ...     le.controls["text"].value = "INFO [kv_cache_utils.py] GPU KV cache size: 476,016 tokens"
    >>> le.output == explain_log(le.controls["text"].value).text
    True
    """

    css = "vramlab-log"

    def __init__(self, row_id: int = 43) -> None:
        import ipywidgets as w

        from ..calibration import calibration_log

        self._build({"text": w.Textarea(value=calibration_log(row_id), continuous_update=False,
                                        layout=w.Layout(width="100%", height="160px"))})

    def _update(self, text: str) -> None:
        out = explain_log(text)
        self._show(out.table, out.text, out.error is not None)


class SizeConverter(_TextWidget):
    """A size in GB and GiB at once (:func:`size_text`; notebook 00).

    >>> import contextlib, io
    >>> with contextlib.redirect_stdout(io.StringIO()):
    ...     sc = SizeConverter()
    ...     sc.controls["unit"].value = "GiB"
    >>> sc.result
    '85.899 GB (80.000 GiB)'
    """

    css = "vramlab-size"

    def __init__(self, value: float = 80, unit: str = "GB") -> None:
        import ipywidgets as w

        self._build({"value": w.FloatText(value=value, description="size", continuous_update=False, style=_STYLE),
                     "unit": _dropdown(["GB", "GiB", "MB", "MiB"], unit, "unit")})

    def _compute(self, value: float, unit: str) -> str:
        return size_text(value, unit)


class RulesCalculator(_TextWidget):
    """Rules of thumb beside the explicit overhead of a serving case (:func:`rules_text`; notebook 06)."""

    css = "vramlab-rules"

    def __init__(self, model: str = "Qwen/Qwen3-8B", tokens: int = 32768, concurrency: int = 1) -> None:
        self._build({"model": _model_dropdown(model, custom=False),
                     "tokens": _int_slider(tokens, 1024, 131072, 1024, "tokens"),
                     "concurrency": _int_slider(concurrency, 1, 64, 1, "sequences")})

    def _compute(self, model: str, tokens: int, concurrency: int) -> str:
        return rules_text(model, tokens, concurrency)


#: Models of the training calculator (dense models a single node fine-tunes).
TRAINING_MODELS = ("Qwen/Qwen3-8B", "Qwen/QwQ-32B", "meta-llama/Llama-3.1-8B-Instruct",
                   "meta-llama/Llama-3.1-70B-Instruct", "mistralai/Mistral-7B-v0.1")


class TrainingCalculator(_TextWidget):
    """Training memory per GPU: method, sequence, micro-batch, ZeRO stage, GPUs, recomputation
    (:func:`vramlab.training.estimate_text`; notebook 09)."""

    css = "vramlab-training"

    def __init__(self, model: str = "Qwen/Qwen3-8B", method: str = "lora", seq_len: int = 4096) -> None:
        import ipywidgets as w

        self._build({
            "model": _dropdown(TRAINING_MODELS, model, "model"),
            "method": w.ToggleButtons(options=["full", "lora", "qlora"], value=method, description="method"),
            "seq_len": _int_slider(seq_len, 512, 32768, 512, "tokens"),
            "micro_batch": _int_slider(1, 1, 16, 1, "micro-batch"),
            "zero_stage": _int_slider(0, 0, 3, 1, "ZeRO stage"),
            "num_gpus": _int_slider(1, 1, 64, 1, "GPUs"),
            "recompute": w.ToggleButtons(options=["none", "selective", "full"], value="full", description="recompute"),
        })

    def _compute(self, model: str, method: str, seq_len: int, micro_batch: int, zero_stage: int, num_gpus: int,
                 recompute: str) -> str:
        from ..training import estimate

        return str(estimate(model, method, seq_len, micro_batch, zero_stage=zero_stage, num_gpus=num_gpus,
                            recompute=recompute))


class SpeedCalculator(_TextWidget):
    """The decode-speed bound of a workload on a GPU (:func:`speed_text`; notebook 12)."""

    css = "vramlab-speed"

    def __init__(self, model: str = "Qwen/Qwen3-8B", gpu: str = "H100 80GB", tokens: int = 4096,
                 concurrency: int = 1) -> None:
        self._build({
            "model": _model_dropdown(model, custom=False),
            "gpu": _gpu_dropdown(gpu),
            "tokens": _int_slider(tokens, 64, 131072, 64, "tokens"),
            "concurrency": _int_slider(concurrency, 1, 1024, 1, "batch"),
            "weight_dtype": _dropdown(["auto", "bf16", "fp8", "int4"], "auto", "weights"),
            "kv_dtype": _dropdown(["auto", "bf16", "fp8"], "auto", "KV"),
        })

    def _compute(self, **values: Any) -> str:
        return speed_text(**values)
