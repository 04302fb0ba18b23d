"""Exercises of the notebooks, checked against answers computed by vramlab.

Each notebook has a module here (``n01.py`` for notebook 01, ...) defining ``EXERCISES``:
a dict from an exercise id such as ``"01.2"`` to an :class:`Exercise`, whose answer is a
function computing it with vramlab (answers are never stored as plain text).

Every exercise in a notebook has the same shape: the question (markdown), an answer cell
``answer = None`` that the learner fills and runs through :func:`check` (a hint comes with a
wrong answer), and a worked solution inside a collapsed ``<details>`` block. Nothing a notebook
prints gives the answer away: with ``None`` the check only asks for an answer.

Two kinds of answer: a number (compared within ``rel_tol``), or one letter of a multiple choice
for the "explain why" questions (``choices`` lists the valid letters).

>>> import vramlab as vl
>>> vl.exercises.check("00.1", 1073741824)
'✓ Right: 1 GiB is 1,073,741,824 bytes.'
>>> vl.exercises.check("00.1", 10**9)
'✗ Not quite (got 1,000,000,000 bytes). Hint: GiB is a power of two: 2**30.'
>>> vl.exercises.check("00.1", None)
'Replace None with your answer (in bytes) and run the cell again.'
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Any, Callable

from ..errors import VramlabError

__all__ = ["Exercise", "check", "answer", "list_exercises"]


@dataclass(frozen=True)
class Exercise:
    """One exercise.

    Attributes
    ----------
    question : str
    answer : callable
        No arguments; returns the exact answer (a number or a string) from vramlab.
    hint : str
        Shown when the answer is wrong.
    rel_tol : float
        Relative tolerance for numeric answers (0 = exact).
    unit : str
        Unit of the answer, named in the feedback ("" for none).
    solution : str
        Shown when right; ``{answer}`` is replaced by the formatted answer.
    choices : tuple of str
        The letters of a multiple-choice question (``()`` for a numeric one); the answer
        function then returns one of them.
    """

    question: str
    answer: Callable[[], Any]
    hint: str
    rel_tol: float = 0.0
    unit: str = ""
    solution: str = "{answer}."
    choices: tuple[str, ...] = ()


def _registry() -> dict[str, Exercise]:
    out: dict[str, Exercise] = {}
    for mod in pkgutil.iter_modules(__path__):
        if mod.name.startswith("n"):
            out.update(importlib.import_module(f"{__name__}.{mod.name}").EXERCISES)
    return out


def list_exercises() -> list[str]:
    """Ids of all exercises, sorted.

    >>> "00.1" in list_exercises()
    True
    """
    return sorted(_registry())


def _get(exercise_id: str) -> Exercise:
    reg = _registry()
    if exercise_id not in reg:
        raise VramlabError(
            f"exercise {exercise_id!r} is unknown; valid: {', '.join(sorted(reg))}", field="exercise_id"
        )
    return reg[exercise_id]


def answer(exercise_id: str) -> Any:
    """The exact answer (computed by vramlab), for the notebooks' ``<details>`` blocks.

    >>> answer("00.1")
    1073741824
    """
    return _get(exercise_id).answer()


def _fmt(x: Any) -> str:
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, int):
        return f"{x:,}"
    if isinstance(x, float):
        return f"{x:,.4g}"
    return str(x)


def check(exercise_id: str, value: Any) -> str:
    """Say whether ``value`` answers the exercise, with a hint when it does not.

    Numbers are compared within the exercise's relative tolerance; the letter of a
    multiple choice case-insensitively. ``None`` (the answer cell as committed) only asks
    for an answer, so running a notebook top to bottom shows no hint and no answer.

    >>> check("07.4", "z")
    "Answer with one of the letters 'a', 'b', 'c' (got 'z')."
    """
    ex = _get(exercise_id)
    unit = f" (in {ex.unit})" if ex.unit else ""
    if value is None:
        return f"Replace None with your answer{unit} and run the cell again."
    right = ex.answer()
    if ex.choices:
        letter = value.strip().lower() if isinstance(value, str) else value
        if letter not in ex.choices:
            valid = ", ".join(repr(c) for c in ex.choices)
            return f"Answer with one of the letters {valid} (got {value!r})."
        ok = letter == right
    else:
        try:
            v = float(value)
        except (TypeError, ValueError):
            return f"✗ Expected a number{unit}, got {value!r}. Hint: {ex.hint}"
        ok = abs(v - right) <= ex.rel_tol * abs(right) if ex.rel_tol else v == right
    if ok:
        return "✓ Right: " + ex.solution.format(answer=_fmt(right))
    got = repr(value) if ex.choices else f"{_fmt(value)}{' ' + ex.unit if ex.unit else ''}"
    return f"✗ Not quite (got {got}). Hint: {ex.hint}"
