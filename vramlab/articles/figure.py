"""One published figure, reproduced and corrected (:class:`Figure`), shared by both articles."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["Figure"]


@dataclass(frozen=True)
class Figure:
    """One figure an article publishes, reproduced and corrected.

    Attributes
    ----------
    quantity : str
        What the figure is.
    published : str
        The figure as printed in the article.
    reproduced : str
        The article's arithmetic on its own inputs, printed the article's way
        (``"n/a"`` for figures that are quoted or chosen, not computed).
    corrected : float or None
        The figure from the real config.json through vramlab, in ``unit``
        (None where no single number answers it; ``why`` explains).
    unit : str
        Unit of ``corrected`` and of ``published_value``.
    why : str
        What differs and why.
    published_value : float or None
        The published figure as a number in ``unit`` (None for ranges and words).

    Examples
    --------
    >>> f = Figure("weights", "64 GB", "64 GB", 65.53, "GB", "exact count", 64.0)
    >>> round(f.error_pct, 2), f.matches
    (-2.33, True)
    """

    quantity: str
    published: str
    reproduced: str
    corrected: float | None
    unit: str
    why: str
    published_value: float | None = None

    @property
    def error_pct(self) -> float:
        """(published − corrected) / corrected in percent; NaN where either is missing."""
        if self.published_value is None or self.corrected is None or self.corrected == 0:
            return math.nan
        return (self.published_value - self.corrected) / self.corrected * 100

    @property
    def matches(self) -> bool | None:
        """True when the reproduction prints the published digits; None when nothing is computed."""
        if self.reproduced == "n/a":
            return None
        return self.reproduced == self.published

    def to_dict(self) -> dict[str, Any]:
        """The row of the articles' DataFrames."""
        return {"quantity": self.quantity, "published": self.published, "reproduced": self.reproduced,
                "corrected": self.corrected, "unit": self.unit, "error_pct": self.error_pct,
                "matches": self.matches, "why": self.why}


def _frame(figures: list[Figure]):
    import pandas as pd

    return pd.DataFrame([f.to_dict() for f in figures])
