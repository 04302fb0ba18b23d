"""Plots for the training notebooks (matplotlib; each function takes ax=None and returns the axes)."""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from ..errors import VramlabError
from ..units import to_unit

__all__ = ["plot_activations_vs_seq_len", "plot_training_breakdown", "DEFAULT_ACTIVATION_SERIES"]

#: Curves drawn by :func:`plot_activations_vs_seq_len`: label -> keyword arguments of
#: :func:`vramlab.training.activation_bytes`.
DEFAULT_ACTIVATION_SERIES: dict[str, dict[str, Any]] = {
    "no recomputation, attention without FlashAttention (s² scores)": {"flash_attention": False},
    "no recomputation, FlashAttention (= selective recomputation)": {},
    "full recomputation (gradient checkpointing)": {"recompute": "full"},
}


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(7, 4))
    return ax


def plot_activations_vs_seq_len(model: Any, seq_lens: Sequence[int], micro_batch: int = 1,
                                series: dict[str, dict[str, Any]] | None = None, unit: str = "GiB",
                                lines: dict[str, int] | None = None, ax=None):
    """Training activations of one micro-batch against tokens per sequence, log-log.

    Parameters
    ----------
    model : ModelSpec or preset id
    seq_lens : sequence of int
        Tokens per sequence on the x axis.
    micro_batch : int
        Sequences per micro-batch.
    series : dict, optional
        Label -> keyword arguments of :func:`vramlab.training.activation_bytes`
        (default :data:`DEFAULT_ACTIVATION_SERIES`).
    unit : str
        Unit of the y axis (named in its label).
    lines : dict, optional
        Label -> bytes drawn as horizontal reference lines (e.g. a GPU's memory).

    Examples
    --------
    >>> ax = plot_activations_vs_seq_len("Qwen/Qwen3-8B", [1024, 4096])
    >>> ax.get_ylabel(), len(ax.get_lines())
    ('activations per GPU (GiB)', 3)
    """
    from ..training import activation_bytes

    seq_lens = list(seq_lens)
    if not seq_lens:
        raise VramlabError("seq_lens must list at least one sequence length", field="seq_lens")
    ax = _axes(ax)
    for label, kwargs in (series or DEFAULT_ACTIVATION_SERIES).items():
        ys = [to_unit(activation_bytes(model, s, micro_batch, **kwargs), unit) for s in seq_lens]
        ax.plot(seq_lens, ys, marker="o", label=label)
    for label, n in (lines or {}).items():
        ax.axhline(to_unit(n, unit), color="grey", linestyle="--", linewidth=1)
        ax.annotate(label, (seq_lens[0], to_unit(n, unit)), textcoords="offset points", xytext=(2, 3),
                    fontsize=8, color="grey")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel(f"tokens per sequence (micro-batch {micro_batch})")
    ax.set_ylabel(f"activations per GPU ({unit})")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    return ax


def plot_training_breakdown(estimates: Iterable[Any], labels: Sequence[str] | None = None,
                            unit: str = "GiB", ax=None):
    """Stacked bars of :class:`vramlab.training.TrainingEstimate` parts, one bar per estimate.

    Examples
    --------
    >>> from vramlab import training as tr
    >>> es = [tr.estimate("Qwen/Qwen3-8B", m, 2048) for m in ("full", "lora", "qlora")]
    >>> ax = plot_training_breakdown(es)
    >>> ax.get_ylabel()
    'memory per GPU (GiB)'
    """
    estimates = list(estimates)
    if not estimates:
        raise VramlabError("estimates must hold at least one TrainingEstimate", field="estimates")
    labels = list(labels) if labels is not None else [f"{e.model}\n{e.method}" for e in estimates]
    if len(labels) != len(estimates):
        raise VramlabError(f"labels must have {len(estimates)} entries, got {len(labels)}", field="labels")
    ax = _axes(ax)
    bottoms = [0.0] * len(estimates)
    for part in estimates[0].parts():
        vals = [to_unit(e.parts()[part], unit) for e in estimates]
        if not any(vals):
            continue
        ax.bar(range(len(estimates)), vals, bottom=bottoms, label=part.replace("_", " "))
        bottoms = [b + v for b, v in zip(bottoms, vals)]
    ax.set_xticks(range(len(estimates)))
    ax.set_xticklabels(labels, fontsize=8)
    ax.set_ylabel(f"memory per GPU ({unit})")
    ax.legend(fontsize=8)
    return ax
