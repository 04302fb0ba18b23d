"""Cases, outcomes and the runner of the robustness suite.

>>> c = Case("demo", "int('x')", lambda: int("7"), lambda v: check(v == 7, "seven"))
>>> run_cases([c]).counts["demo"]["value"]
1
"""

from __future__ import annotations

import math
import random
import signal
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, Callable, Iterable

import numpy as np

from vramlab.errors import VramlabError

OUTCOMES = ("refused", "value", "crash", "nonsense", "hung")


class Nonsense(AssertionError):
    """A returned value broke an invariant."""


def check(ok: Any, what: str) -> None:
    """Raise :class:`Nonsense` with ``what`` unless ``ok``."""
    if not ok:
        raise Nonsense(what)


#: Results are exact ints: an absurd workload (10**6 tokens x 10**7 sequences) needs exabytes,
#: and saying so is right. Past 2**80 bytes an output is a bug, not arithmetic.
MAX_RESULT = 2**80


def byte_count(name: str, v: Any, *, maximum: int = MAX_RESULT) -> None:
    """``v`` is an int of bytes, not a bool, in ``[0, maximum]``."""
    check(isinstance(v, int) and not isinstance(v, bool), f"{name} is {type(v).__name__}, not int")
    check(0 <= v <= maximum, f"{name} = {v} outside [0, {maximum}]")


def finite(name: str, v: Any, *, lo: float = 0.0, hi: float = 1e15) -> None:
    """``v`` is a finite real number in ``[lo, hi]``."""
    check(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool),
          f"{name} is {type(v).__name__}")
    check(math.isfinite(float(v)) and lo <= float(v) <= hi, f"{name} = {v} outside [{lo}, {hi}]")


@dataclass(frozen=True)
class Case:
    """One input: ``call()`` either raises VramlabError or returns a value ``verify`` accepts."""

    category: str
    label: str
    call: Callable[[], Any]
    verify: Callable[[Any], None] | None = None


@dataclass
class Report:
    """Counts by category and outcome, and the failing inputs."""

    counts: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    failures: list[tuple[str, str, str, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(sum(c.values()) for c in self.counts.values())

    def by_outcome(self) -> Counter:
        out: Counter = Counter()
        for c in self.counts.values():
            out.update(c)
        return out

    def table(self) -> str:
        rows = [f"{'category':<14}" + "".join(f"{o:>10}" for o in OUTCOMES)]
        for cat in sorted(self.counts):
            rows.append(f"{cat:<14}" + "".join(f"{self.counts[cat][o]:>10}" for o in OUTCOMES))
        tot = self.by_outcome()
        rows.append(f"{'total':<14}" + "".join(f"{tot[o]:>10}" for o in OUTCOMES))
        return "\n".join(rows)

    def failure_lines(self, limit: int = 40) -> str:
        """One line per distinct failure (function, exception and message start), with a reproducer."""
        groups: dict[tuple[str, str, str, str], list[str]] = {}
        for cat, outcome, label, err in self.failures:
            key = (cat, outcome, label.split("(")[0][:40], err[:28])
            groups.setdefault(key, []).append(label)
        lines = []
        for (cat, outcome, fn, _), labels in list(groups.items())[:limit]:
            err = next(e for c, o, lab, e in self.failures if lab == labels[0])
            lines.append(f"{cat} {outcome} x{len(labels)}: {err[:200]}\n    reproduce: {labels[0][:400]}")
        return "\n".join(lines)


class _Hung(BaseException):
    pass


def _alarm(signum, frame):  # pragma: no cover - only when a call hangs
    raise _Hung()


def run_cases(cases: Iterable[Case], *, hang_seconds: float | None = None) -> Report:
    """Run every case and classify its outcome.

    ``hang_seconds`` (Unix main thread only) interrupts a call that runs that long and
    counts it as ``hung``; the test suite leaves it off and relies on the CI's time limit.
    """
    report = Report()
    use_alarm = bool(hang_seconds) and hasattr(signal, "setitimer")
    old = signal.signal(signal.SIGALRM, _alarm) if use_alarm else None
    limit = sys.getrecursionlimit()
    try:
        for case in cases:
            outcome, err = "value", ""
            try:
                if use_alarm:
                    signal.setitimer(signal.ITIMER_REAL, hang_seconds)
                try:
                    value = case.call()
                finally:
                    if use_alarm:
                        signal.setitimer(signal.ITIMER_REAL, 0)
                if case.verify is not None:
                    case.verify(value)
            except VramlabError as exc:
                outcome = "refused"
                msg = str(exc)
                if "\n" in msg or not msg.strip():
                    outcome, err = "nonsense", f"VramlabError message is not one line: {msg[:200]!r}"
            except Nonsense as exc:
                outcome, err = "nonsense", f"Nonsense: {exc}"
            except _Hung:
                outcome, err = "hung", f"hung: ran over {hang_seconds} s"
            except Exception as exc:  # noqa: BLE001 - the point of the suite
                outcome, err = "crash", f"{type(exc).__name__}: {str(exc)[:300]}"
            finally:
                sys.setrecursionlimit(limit)
            report.counts[case.category][outcome] += 1
            if outcome not in ("refused", "value"):
                report.failures.append((case.category, outcome, case.label, err))
    finally:
        if use_alarm:
            signal.signal(signal.SIGALRM, old)
    return report


# -------------------------------------------------------------------------------------------
# Values a careless or hostile user passes

def _deep(n: int) -> list:
    x: list = []
    for _ in range(n):
        x = [x]
    return x


#: Anything at all, where a count, an amount, a name or a collection is expected.
GARBAGE: list[Any] = [
    0, -1, 1, 2, 3, 7, 100, 2**31, 2**63, 10**20, 10**400, -10**20,
    0.5, 1.5, -0.0, -0.5, 1e-300, 1e300, 1e305, math.nan, math.inf, -math.inf,
    True, False, None, "", " ", "x", "32", "32k", "1e3", "half", "bf16", "auto", "-1", "nan", "\x00", "💥" * 3,
    "a" * 10_000, b"1", bytearray(b"12"), [], [1], [None], ["x"], [4096, 8192], (1,), {1, 2}, {}, {"a": 1},
    complex(1, 1), Fraction(1, 3), Fraction(4096, 1), Decimal("1.5"), Decimal("NaN"),
    np.int64(5), np.float64(0.25), np.float64(math.nan), np.bool_(True), np.array([1, 2]), np.array(5),
    np.array([[1.0]]), object(), _deep(50), range(3), iter([1, 2]), Exception("x"), print,
]

#: Only what ``json.loads`` can produce (for config values and files).
JSON_GARBAGE: list[Any] = [
    0, -1, 1, 2, 3, 7, 64, 4097, 2**31, 2**63, 10**20, 10**300, -10**20, 0.5, 1.5, -0.0, 1e-300, 1e300,
    math.nan, math.inf, -math.inf, True, False, None, "", "x", "32", "bf16", "float16", "half", "llama",
    [], [1], [None], ["x"], [1.5, 2], {}, {"a": 1}, {"type": "yarn", "factor": "x"}, _deep(30),
]


def pick(rng: random.Random, pool: list[Any]) -> Any:
    return pool[rng.randrange(len(pool))]


def show(v: Any) -> str:
    from vramlab.errors import show as _show

    return _show(v)
