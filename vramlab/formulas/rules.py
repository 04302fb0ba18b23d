"""Rules of thumb (:mod:`vramlab.overheads`): overhead as a fraction of weights + KV cache.

The Qwen3-8B article's rule takes ``rho`` = 0.05 to 0.2; the QwQ-32B article's ×1.2 is
``rho = 0.2`` in :func:`rule_total`.

>>> from vramlab import formulas as F
>>> F.rule_total()
Eq(M_rule, (M_KV + M_w)*(rho + 1))
"""

from __future__ import annotations

from . import _eq, _over, _prod, _s, _sum

__all__ = ["rule_overhead", "rule_total", "rule_crossover"]


def rule_overhead():
    """The overhead a rule of thumb adds: ``M_oh = rho (M_w + M_KV)``
    (:meth:`vramlab.overheads.RuleComparison.rule_overhead`; evaluate with ``rounding="nearest"``).

    >>> from vramlab.formulas import evaluate
    >>> evaluate(rule_overhead(), M_w=16, M_KV=4, rho=0.2, rounding="nearest")
    4
    """
    rho, Mw, Mkv = _s("rho", "M_w", "M_KV")
    return _eq("M_oh", _prod(rho, _sum(Mw, Mkv)))


def rule_total():
    """The total by a rule of thumb: ``M_rule = (M_w + M_KV)(1 + rho)``; ``rho = 0.2`` is
    the ×1.2 rule (:attr:`vramlab.overheads.RuleComparison.factor_total`).

    The explicit model's total is :func:`total_memory`.

    >>> from fractions import Fraction
    >>> from vramlab.formulas import evaluate
    >>> evaluate(rule_total(), M_w=60, M_KV=40, rho=Fraction(1, 5))
    120
    """
    Mw, Mkv, rho = _s("M_w", "M_KV", "rho")
    return _eq("M_rule", _prod(_sum(Mw, Mkv), _sum(1, rho)))


def rule_crossover():
    """Weights + KV cache at which a rule's overhead equals the explicit overhead:
    ``M_cross = (M_act + M_fw) / rho`` (:func:`vramlab.overheads.crossover_bytes`).

    Below it the rule undershoots a fixed overhead, above it the rule overshoots.

    >>> from vramlab.formulas import evaluate
    >>> evaluate(rule_crossover(), M_act=0, M_fw=2**30, rho=0.05, rounding="nearest") == 20 * 2**30
    True
    """
    Ma, Mf, rho = _s("M_act", "M_fw", "rho")
    return _eq("M_cross", _over(_sum(Ma, Mf), rho))
