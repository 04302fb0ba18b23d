"""Overheads and margins: what sits on the GPU besides weights and KV cache.

Three things, all in integer bytes:

* **activations**: transient buffers of one forward pass. During prefill a pass covers a
  chunk of prompt tokens (``DEFAULT_PREFILL_CHUNK``); during decode it covers one token per
  running sequence, so decode activations are small and grow with concurrency (mostly
  through the fp32 logits of each sequence). See :func:`vramlab.memory.activation_bytes`.
* **framework**: CUDA context, library workspaces, CUDA-graph pools, NCCL buffers
  (``DEFAULT_FRAMEWORK_BYTES``, 1 GiB).
* **rules of thumb**: "overhead is 5-20 % of weights + KV cache" (Qwen3-8B article) and
  "total = (weights + KV cache) × 1.2" (QwQ-32B article). :func:`compare_rules` turns them
  into bytes next to the explicit model; :func:`measured_overheads` puts both next to what
  vLLM logged at start-up (``data/vllm_logs_calibration.csv``).

>>> import vramlab as vl
>>> from vramlab.overheads import compare_rules
>>> c = compare_rules("Qwen/Qwen3-8B", tokens=32768)
>>> vl.format_bytes(c.explicit_overhead, "GiB"), vl.format_bytes(c.rule_overhead(0.20), "GiB")
('1.17 GiB', '3.95 GiB')
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Iterable

from .errors import VramlabError, check_fraction, check_int
from .memory import (
    DEFAULT_FRAMEWORK_BYTES,
    Estimate,
    DEFAULT_PREFILL_CHUNK,
    activation_bytes,
    activation_terms,
    estimate,
    kv_cache_bytes,
)
from .presets import list_models, load_model
from .units import UNITS, GiB, format_bytes, from_unit, to_unit

__all__ = [
    "RULE_LOW", "RULE_HIGH", "RULE_FACTOR", "VLLM_PROFILE_TOKENS", "VLLM_PROFILE_SEQS",
    "CALIBRATION_PRESETS", "activation_phases", "activation_table", "RuleComparison", "compare_rules", "rules_table",
    "crossover_bytes", "load_vllm_calibration", "measured_overheads", "overhead_formulas",
    "activation_symbols", "evaluate_formula",
    "plot_rules", "plot_measured",
]

#: The Qwen3-8B article's rule: activations, workspace and framework are 5 % to 20 % of
#: weights + KV cache.
RULE_LOW = Fraction(5, 100)
RULE_HIGH = Fraction(20, 100)
#: The QwQ-32B article's rule: total = (weights + KV cache) × 1.2.
RULE_FACTOR = Fraction(6, 5)

#: Tokens and sequences vLLM's start-up profile run uses on an 80 GB-class GPU when started
#: with ``vllm serve`` (defaults of ``max_num_batched_tokens`` and ``max_num_seqs``): the
#: forward pass covers 8192 tokens, the sampler 1024 sequences.
VLLM_PROFILE_TOKENS = 8192
VLLM_PROFILE_SEQS = 1024

#: Calibration-log models whose config equals a shipped preset's in every field vramlab uses
#: (instruction-tuned and base checkpoints share the architecture).
CALIBRATION_PRESETS = {"google/gemma-2-9b-it": "google/gemma-2-9b"}


def activation_phases(m: Any, chunk: int = DEFAULT_PREFILL_CHUNK, concurrency: int = 1) -> dict[str, int]:
    """Peak activations of one prefill pass and of one decode step, in bytes.

    Prefill: one chunk of ``chunk`` prompt tokens of one sequence (chunked prefill).
    Decode: one new token for each of ``concurrency`` sequences, each sampled from fp32 logits.

    Parameters
    ----------
    m : ModelSpec or preset id
    chunk : int
        Tokens per prefill pass (vLLM's ``max_num_batched_tokens``).
    concurrency : int
        Sequences decoding together.

    Returns
    -------
    dict
        ``{"prefill": bytes, "decode": bytes}``.

    Examples
    --------
    >>> p = activation_phases("Qwen/Qwen3-8B", chunk=2048, concurrency=1)
    >>> p["decode"] == 2 * (2 * 4096 + 3 * 12288) + 151936 * 4   # one token: bf16 buffers + fp32 logits
    True
    """
    chunk = check_int("chunk", chunk, minimum=1, maximum=10**8)
    concurrency = check_int("concurrency", concurrency, minimum=1, maximum=10**7)
    return {
        "prefill": activation_bytes(m, chunk, 1),
        "decode": activation_bytes(m, concurrency, concurrency),
    }


@dataclass(frozen=True)
class RuleComparison:
    """One serving case: the explicit overhead model next to the rules of thumb (bytes).

    Attributes
    ----------
    estimate : Estimate
        The explicit model (:func:`vramlab.estimate`): weights, KV cache, activations,
        framework and margin.

    Examples
    --------
    >>> import vramlab as vl
    >>> c = RuleComparison(vl.estimate("Qwen/Qwen3-8B", tokens=4096, margin=0))
    >>> c.rule_overhead(0.05) == round((c.weights + c.kv_cache) / 20)
    True
    """

    estimate: Estimate

    @property
    def model(self) -> str:
        return self.estimate.model

    @property
    def tokens(self) -> int:
        return self.estimate.tokens

    @property
    def weights(self) -> int:
        return self.estimate.weights

    @property
    def kv_cache(self) -> int:
        return self.estimate.kv_cache

    @property
    def base(self) -> int:
        """Weights + KV cache, the quantity both rules scale."""
        return self.estimate.weights + self.estimate.kv_cache

    @property
    def explicit_overhead(self) -> int:
        """Activations + framework, as :func:`vramlab.estimate` counts them."""
        return self.estimate.overhead

    @property
    def explicit_total(self) -> int:
        """The explicit model's total, margin included."""
        return self.estimate.total

    def rule_overhead(self, fraction: float | Fraction = RULE_HIGH) -> int:
        """``fraction`` of weights + KV cache, rounded to a byte."""
        check_fraction("fraction", float(fraction))
        return round(self.base * Fraction(fraction))

    @property
    def factor_total(self) -> int:
        """(weights + KV cache) × 1.2, the QwQ-32B article's total."""
        return round(self.base * RULE_FACTOR)

    @property
    def verdict(self) -> str:
        """Where the explicit overhead falls against the 5-20 % band."""
        if self.explicit_overhead > self.rule_overhead(RULE_HIGH):
            return "rule undershoots"
        if self.explicit_overhead < self.rule_overhead(RULE_LOW):
            return "rule overshoots"
        return "within 5-20 %"

    def __str__(self) -> str:
        e = self.estimate
        lines = [
            f"{e.model}: {e.concurrency} x {e.tokens:,} tokens, weights {e.weight_dtype}, KV {e.kv_dtype}",
            f"  weights + KV cache      {format_bytes(self.base, 'GiB'):>12}",
            f"  explicit overhead       {format_bytes(self.explicit_overhead, 'GiB'):>12}"
            f"  (activations {format_bytes(e.activations, 'GiB')} + framework {format_bytes(e.framework, 'GiB')})",
            f"  5-20 % rule             {format_bytes(self.rule_overhead(RULE_LOW), 'GiB'):>12}"
            f" to {format_bytes(self.rule_overhead(RULE_HIGH), 'GiB')}  -> {self.verdict}",
            f"  x1.2 total              {format_bytes(self.factor_total, 'GiB'):>12}",
            f"  {'explicit total (+' + format(e.margin_fraction, '.0%') + ')':<24}"
            f"{format_bytes(self.explicit_total, 'GiB'):>12}",
        ]
        return "\n".join(lines)


def compare_rules(m: Any, tokens: int, concurrency: int = 1, weight_dtype: Any = "auto",
                  kv_dtype: Any = "auto", margin: float = 0.1, *, activation_tokens: int | None = None,
                  framework_bytes: int = DEFAULT_FRAMEWORK_BYTES) -> RuleComparison:
    """The explicit overhead of a serving case next to the rules of thumb.

    Parts come from :func:`vramlab.estimate` (same arguments), so the activations are one
    prefill chunk (``min(tokens × concurrency, 2048)`` tokens by default).

    Examples
    --------
    >>> import vramlab as vl
    >>> c = compare_rules("meta-llama/Llama-3.1-70B-Instruct", tokens=131072)
    >>> c.verdict
    'rule overshoots'
    >>> c.factor_total == round((c.weights + c.kv_cache) * 6 / 5)
    True
    """
    return RuleComparison(estimate(m, tokens=tokens, concurrency=concurrency, weight_dtype=weight_dtype,
                                   kv_dtype=kv_dtype, margin=margin, activation_tokens=activation_tokens,
                                   framework_bytes=framework_bytes))


def rules_table(cases: Iterable[RuleComparison], unit: str = "GiB"):
    """A pandas DataFrame of rule comparisons, sizes in ``unit`` (rounded to 2 decimals).

    Columns: model, tokens, weights+KV, explicit overhead, 5 % rule, 20 % rule, verdict,
    ×1.2 total, explicit total (with the estimate's margin).

    >>> t = rules_table([compare_rules("Qwen/Qwen3-8B", tokens=4096)])
    >>> t.columns[2]
    'weights+KV (GiB)'
    """
    import pandas as pd

    if unit not in UNITS:
        raise VramlabError(f"unit must be one of {', '.join(UNITS)}, got {unit!r}", field="unit")

    def u(x: int) -> float:
        return round(to_unit(x, unit), 2)

    rows = []
    for c in cases:
        rows.append({
            "model": c.model, "tokens": c.tokens,
            f"weights+KV ({unit})": u(c.base),
            f"explicit overhead ({unit})": u(c.explicit_overhead),
            f"5 % rule ({unit})": u(c.rule_overhead(RULE_LOW)),
            f"20 % rule ({unit})": u(c.rule_overhead(RULE_HIGH)),
            "verdict": c.verdict,
            f"x1.2 total ({unit})": u(c.factor_total),
            f"explicit total ({unit})": u(c.explicit_total),
        })
    return pd.DataFrame(rows)


def activation_table(models: Iterable[Any], chunks: Iterable[int] = (DEFAULT_PREFILL_CHUNK, 8192),
                     concurrencies: Iterable[int] = (1, 64, 256), unit: str = "MiB"):
    """Activations of one prefill pass per chunk size and one decode step per concurrency.

    A pandas DataFrame, one row per model, sizes in ``unit`` (rounded to 1 decimal).

    >>> t = activation_table(["Qwen/Qwen3-8B"], chunks=[2048], concurrencies=[1])
    >>> t.columns.tolist()
    ['model', 'prefill 2,048 tok (MiB)', 'decode x1 (MiB)']
    """
    import pandas as pd

    if unit not in UNITS:
        raise VramlabError(f"unit must be one of {', '.join(UNITS)}, got {unit!r}", field="unit")
    chunks, concurrencies = list(chunks), list(concurrencies)
    rows = []
    for m in models:
        m = load_model(m)
        row: dict[str, Any] = {"model": m.name}
        for c in chunks:
            row[f"prefill {c:,} tok ({unit})"] = round(to_unit(activation_phases(m, chunk=c)["prefill"], unit), 1)
        for n in concurrencies:
            row[f"decode x{n} ({unit})"] = round(to_unit(activation_phases(m, concurrency=n)["decode"], unit), 1)
        rows.append(row)
    return pd.DataFrame(rows)


def crossover_bytes(overhead: int, fraction: float | Fraction) -> int:
    """Weights + KV at which ``fraction`` of it equals ``overhead`` (bytes, rounded).

    Below this size the percentage rule undershoots a fixed overhead, above it it overshoots.

    >>> crossover_bytes(2**30, 0.05) == 20 * 2**30
    True
    """
    overhead = check_int("overhead", overhead, minimum=0)
    check_fraction("fraction", float(fraction))
    return round(overhead / Fraction(fraction))


def load_vllm_calibration():
    """The shipped vLLM start-up figures (``data/vllm_logs_calibration.csv``) as a DataFrame.

    One row per logged start-up; sizes are in GiB as vLLM prints them (``weights_value``
    in ``weights_unit_as_printed``).

    >>> df = load_vllm_calibration()
    >>> {"non_torch_memory_gib", "activation_peak_gib", "cuda_graph_capture_gib"} <= set(df.columns)
    True
    """
    from importlib import resources

    import pandas as pd

    with resources.files("vramlab").joinpath("data", "vllm_logs_calibration.csv").open("r", encoding="utf-8") as f:
        return pd.read_csv(f)


def measured_overheads(batched_tokens: int = VLLM_PROFILE_TOKENS, sequences: int = VLLM_PROFILE_SEQS,
                       framework_bytes: int = DEFAULT_FRAMEWORK_BYTES):
    """Per GPU: vLLM's measured overhead next to the explicit model and the 5-20 % rule (GiB).

    Rows are the calibration logs that print all three overhead figures. Measured overhead =
    non-torch memory (CUDA context, NCCL) + activation peak of the profile run + CUDA-graph
    capture. The explicit model is ``activation_bytes(model, batched_tokens, sequences)`` +
    ``framework_bytes``. The rule's base is the logged weights plus the KV cache of one
    ``max_model_len`` sequence, per GPU (divided by the tensor-parallel size). Models with no
    shipped preset get NaN in the model columns. ``rule vs measured`` says whether the
    measured overhead lies below, within or above the 5-20 % band.

    Examples
    --------
    >>> df = measured_overheads()
    >>> r = df[df.row_id == 22].iloc[0]       # Llama-3.1-8B, one H100
    >>> print(r["measured (GiB)"])
    3.05
    """
    batched_tokens = check_int("batched_tokens", batched_tokens, minimum=1, maximum=10**8)
    sequences = check_int("sequences", sequences, minimum=0, maximum=10**7)
    framework_bytes = check_int("framework_bytes", framework_bytes, minimum=0)
    import pandas as pd

    df = load_vllm_calibration()
    cols = ["non_torch_memory_gib", "activation_peak_gib", "cuda_graph_capture_gib"]
    df = df.dropna(subset=cols)
    presets = set(list_models())
    rows = []
    for r in df.itertuples(index=False):
        preset = CALIBRATION_PRESETS.get(r.model, r.model)
        tp = int(r.tensor_parallel_size)
        weights = from_unit(float(r.weights_value), str(r.weights_unit_as_printed))
        row = {
            "row_id": int(r.row_id), "model": r.model, "gpu": r.gpu, "tp": tp,
            "max_model_len": int(r.max_model_len),
            "weights (GiB)": to_unit(weights, "GiB"),
            "non-torch (GiB)": float(r.non_torch_memory_gib),
            "activation peak (GiB)": float(r.activation_peak_gib),
            "CUDA graphs (GiB)": float(r.cuda_graph_capture_gib),
        }
        row["measured (GiB)"] = round(sum(float(getattr(r, c)) for c in cols), 2)
        if preset in presets:
            m = load_model(preset)
            act = activation_bytes(m, batched_tokens, sequences)
            kv_dtype = r.kv_cache_dtype if isinstance(r.kv_cache_dtype, str) else "auto"
            kv = kv_cache_bytes(m, int(r.max_model_len), 1, kv_dtype) // tp
            row["model activations (GiB)"] = to_unit(act, "GiB")
            row["model overhead (GiB)"] = to_unit(act + framework_bytes, "GiB")
            low, high = round((weights + kv) * RULE_LOW), round((weights + kv) * RULE_HIGH)
            row["5 % rule (GiB)"] = to_unit(low, "GiB")
            row["20 % rule (GiB)"] = to_unit(high, "GiB")
            measured = from_unit(row["measured (GiB)"], "GiB")
            row["rule vs measured"] = ("rule undershoots" if high < measured else
                                       "rule overshoots" if low > measured else "within 5-20 %")
        else:
            for k in ("model activations (GiB)", "model overhead (GiB)", "5 % rule (GiB)", "20 % rule (GiB)"):
                row[k] = float("nan")
            row["rule vs measured"] = "no preset"
        rows.append(row)
    return pd.DataFrame(rows).round(2)


def overhead_formulas() -> dict[str, Any]:
    """The activation formula and the rule of thumb as sympy ``Eq`` objects (sympy imported here).

    * ``"activations"``: one forward pass over T_pass tokens with S sequences sampled,
      ``M_act = T_pass (2 h + max(3 d_ff, (2 H_q + 2 H_kv) d_head)) b_act + 4 S V``
      (MoE models: ``d_ff`` is k × the expert width).
    * ``"rule_total"``: ``M_rule = (M_w + M_KV)(1 + r)``; r = 0.05-0.2 is the 5-20 % rule,
      r = 0.2 the ×1.2 rule.

    The total of the explicit model is :func:`vramlab.formulas.total_memory`.

    >>> f = overhead_formulas()
    >>> sorted(f)
    ['activations', 'rule_total']
    >>> str(f["rule_total"].rhs)
    '(M_KV + M_w)*(r + 1)'
    """
    import sympy as sp

    T, h, dff, Hq, Hkv, d, b, S, V = sp.symbols("T_pass h d_ff H_q H_kv d_head b_act S V", nonnegative=True)
    Mw, Mkv, r = sp.symbols("M_w M_KV r", nonnegative=True)
    act = sp.Eq(sp.Symbol("M_act"), T * (2 * h + sp.Max(3 * dff, (2 * Hq + 2 * Hkv) * d)) * b + 4 * S * V)
    rule = sp.Eq(sp.Symbol("M_rule"), (Mw + Mkv) * (1 + r))
    return {"activations": act, "rule_total": rule}


def activation_symbols(m: Any, batched_tokens: int = DEFAULT_PREFILL_CHUNK, sequences: int = 1) -> dict[str, int]:
    """Values of the symbols of the activation formula for a model, by symbol name
    (:func:`vramlab.memory.activation_terms`).

    >>> v = activation_symbols("Qwen/Qwen3-8B", 2048, 1)
    >>> v["h"], v["d_ff"], v["H_kv"], v["b_act"]
    (4096, 12288, 8, 2)
    """
    return activation_terms(m, batched_tokens, sequences)


def evaluate_formula(eq, values: dict[str, Any]) -> int:
    """Evaluate a formula of :func:`overhead_formulas` exactly (``lambdify(..., modules="math")``
    on Fractions), rounded up to whole bytes.

    >>> f = overhead_formulas()["activations"]
    >>> evaluate_formula(f, activation_symbols("Qwen/Qwen3-8B", 2048, 1)) == activation_bytes("Qwen/Qwen3-8B", 2048, 1)
    True
    """
    from .formulas import evaluate_named

    # decimal reading of floats (0.1 is 1/10), as the notebooks' hand checks do
    exact = {k: Fraction(str(v)) if isinstance(v, float) else v for k, v in values.items()}
    return evaluate_named(eq, exact, rounding="ceil")


def plot_rules(cases: Iterable[RuleComparison], ax=None):
    """Bars: the explicit overhead beside the 5 % and 20 % rules, per case (GiB).

    >>> ax = plot_rules([compare_rules("Qwen/Qwen3-8B", tokens=4096)])
    >>> ax.get_ylabel()
    'overhead (GiB)'
    """
    import matplotlib.pyplot as plt

    cases = list(cases)
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


def plot_measured(df=None, ax=None):
    """Stacked bars of vLLM's measured overhead, with the explicit model and the 5-20 % band (GiB).

    ``df`` is :func:`measured_overheads` output (computed when None).

    >>> ax = plot_measured()
    >>> ax.get_ylabel()
    'overhead per GPU (GiB)'
    """
    import matplotlib.pyplot as plt

    if df is None:
        df = measured_overheads()
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
