"""Figures of the rules of thumb against the explicit overhead model and vLLM's logs (matplotlib).

Each function takes results (:class:`~vramlab.overheads.RuleComparison` objects, the
DataFrame of :func:`vramlab.calibration.measured_overheads`), ``ax=None``, and returns the axes.
"""

from __future__ import annotations

from typing import Iterable

from ..errors import VramlabError
from ..overheads import RULE_HIGH, RULE_LOW, RuleComparison
from ..units import GiB

__all__ = ["plot_rules", "plot_measured"]


def plot_rules(cases: Iterable[RuleComparison], ax=None):
    """Bars: the explicit overhead beside the 5 % and 20 % rules, per case (GiB).

    >>> from vramlab.overheads import compare_rules
    >>> ax = plot_rules([compare_rules("Qwen/Qwen3-8B", tokens=4096)])
    >>> ax.get_ylabel()
    'overhead (GiB)'
    """
    import matplotlib.pyplot as plt

    cases = list(cases)
    if not cases:
        raise VramlabError("cases must hold at least one RuleComparison", field="cases")
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4))
    labels = [f"{c.model.split('/')[-1]}\n{c.tokens:,} tok" for c in cases]
    xs = range(len(cases))
    series = [
        ("explicit (activations + framework)", [c.explicit_overhead for c in cases]),
        ("5 % of weights+KV", [c.rule_overhead(RULE_LOW) for c in cases]),
        ("20 % of weights+KV (= the ×1.2 extra)", [c.rule_overhead(RULE_HIGH) for c in cases]),
    ]
    w = 0.27
    for i, (name, vals) in enumerate(series):
        ax.bar([x + (i - 1) * w for x in xs], [v / GiB for v in vals], width=w, label=name)
    ax.set_xticks(list(xs))
    ax.set_xticklabels(labels, fontsize=8)
    ax.set_ylabel("overhead (GiB)")
    ax.set_title("Rules of thumb vs the explicit overhead model")
    ax.legend(fontsize=8)
    return ax


_MEASURED_COLUMNS = ("non-torch (GiB)", "activation peak (GiB)", "CUDA graphs (GiB)", "model overhead (GiB)",
                     "5 % rule (GiB)", "20 % rule (GiB)", "model", "tp")


def plot_measured(df, ax=None):
    """Stacked bars of vLLM's measured overhead, with the explicit model and the 5-20 % band (GiB).

    ``df`` is the output of :func:`vramlab.calibration.measured_overheads`; rows without a
    model overhead (no shipped preset) are left out.

    >>> import pandas as pd
    >>> df = pd.DataFrame({"model": ["a/b"], "tp": [1], "non-torch (GiB)": [0.5], "activation peak (GiB)": [1.2],
    ...                    "CUDA graphs (GiB)": [0.3], "model overhead (GiB)": [1.8], "5 % rule (GiB)": [0.9],
    ...                    "20 % rule (GiB)": [3.6]})
    >>> plot_measured(df).get_ylabel()
    'overhead per GPU (GiB)'
    """
    import matplotlib.pyplot as plt

    missing = [c for c in _MEASURED_COLUMNS if c not in getattr(df, "columns", ())]
    if missing:
        raise VramlabError(f"df must be measured_overheads() output; missing columns: {', '.join(missing)}",
                           field="df")
    df = df.dropna(subset=["model overhead (GiB)"])
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4))
    xs = list(range(len(df)))
    bottom = [0.0] * len(df)
    for col in ("non-torch (GiB)", "activation peak (GiB)", "CUDA graphs (GiB)"):
        vals = df[col].tolist()
        ax.bar(xs, vals, bottom=bottom, width=0.5, label=f"measured: {col.replace(' (GiB)', '')}")
        bottom = [a + b for a, b in zip(bottom, vals)]
    ax.scatter(xs, df["model overhead (GiB)"], marker="D", color="black", zorder=3, label="explicit model")
    ax.vlines(xs, df["5 % rule (GiB)"], df["20 % rule (GiB)"], colors="red", linewidth=3, zorder=3,
              label="5-20 % rule")
    ax.set_xticks(xs)
    ax.set_xticklabels([f"{m.split('/')[-1]}\nTP={tp}" for m, tp in zip(df["model"], df["tp"])], fontsize=8)
    ax.set_ylabel("overhead per GPU (GiB)")
    ax.set_title("vLLM start-up logs: overhead measured vs modelled")
    ax.legend(fontsize=8)
    return ax
