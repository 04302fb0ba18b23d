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
  into bytes next to the explicit model; :func:`vramlab.calibration.measured_overheads` puts both next to what
  vLLM logged at start-up (``data/vllm_logs_calibration.csv``).

The rules as sympy equations are :func:`vramlab.formulas.rule_overhead`,
:func:`~vramlab.formulas.rule_total` and :func:`~vramlab.formulas.rule_crossover`; the
activation formula is :func:`vramlab.formulas.activation_memory`. Figures:
:mod:`vramlab.plots.overheads`.

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
    estimate,
)
from .presets import load_model
from .units import UNITS, format_bytes, to_unit

__all__ = [
    "RULE_LOW", "RULE_HIGH", "RULE_FACTOR",
    "activation_phases", "activation_table", "RuleComparison", "compare_rules", "rules_table",
    "crossover_bytes",
]

#: The Qwen3-8B article's rule: activations, workspace and framework are 5 % to 20 % of
#: weights + KV cache.
RULE_LOW = Fraction(5, 100)
RULE_HIGH = Fraction(20, 100)
#: The QwQ-32B article's rule: total = (weights + KV cache) × 1.2.
RULE_FACTOR = Fraction(6, 5)


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
    m = load_model(m)
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
