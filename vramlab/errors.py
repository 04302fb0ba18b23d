"""The one exception vramlab raises for bad input.

>>> from vramlab.errors import VramlabError
>>> issubclass(VramlabError, ValueError)
True
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["VramlabError", "check_int", "check_fraction", "check_number"]


class VramlabError(ValueError):
    """Bad input: the message names the field, the value and what would be valid.

    Parameters
    ----------
    message : str
        Human-readable text.
    field : str, optional
        The name of the offending field or argument.

    Examples
    --------
    >>> err = VramlabError("tokens must be >= 1, got 0", field="tokens")
    >>> err.field
    'tokens'
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def check_int(name: str, value: Any, *, minimum: int = 0, maximum: int | None = None) -> int:
    """Return ``value`` as an int, or raise :class:`VramlabError` naming ``name``.

    Booleans, floats with a fraction, NaN and values outside ``[minimum, maximum]``
    are refused.

    >>> check_int("tokens", 4096, minimum=1)
    4096
    >>> check_int("tokens", 0, minimum=1)
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: tokens must be an integer >= 1, got 0
    """
    rng = f">= {minimum}" if maximum is None else f"between {minimum} and {maximum}"
    ok = isinstance(value, int) and not isinstance(value, bool)
    if not ok and isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value, ok = int(value), True
    if not ok and hasattr(value, "__index__") and not isinstance(value, bool):
        value, ok = int(value.__index__()), True
    if not ok or value < minimum or (maximum is not None and value > maximum):
        raise VramlabError(f"{name} must be an integer {rng}, got {value!r}", field=name)
    return int(value)


def check_number(
    name: str,
    value: Any,
    *,
    minimum: float = 0.0,
    maximum: float | None = None,
    inclusive_min: bool = True,
) -> float:
    """Return ``value`` as a finite float within range, or raise :class:`VramlabError`.

    >>> check_number("margin", 0.1, maximum=10)
    0.1
    >>> check_number("margin", float("nan"))
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: margin must be a finite number >= 0.0, got nan
    """
    lo = f">= {minimum}" if inclusive_min else f"> {minimum}"
    rng = lo if maximum is None else f"{lo} and <= {maximum}"
    try:
        ok = not isinstance(value, (bool, str)) and math.isfinite(float(value))
    except (TypeError, ValueError):
        ok = False
    if ok:
        f = float(value)
        ok = (f >= minimum if inclusive_min else f > minimum) and (maximum is None or f <= maximum)
    if not ok:
        raise VramlabError(f"{name} must be a finite number {rng}, got {value!r}", field=name)
    return float(value)


def check_fraction(name: str, value: Any, *, allow_zero: bool = False) -> float:
    """A fraction in (0, 1] (or [0, 1] with ``allow_zero``), e.g. gpu_memory_utilization.

    >>> check_fraction("gpu_memory_utilization", 0.9)
    0.9
    >>> check_fraction("gpu_memory_utilization", 1.5)
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: gpu_memory_utilization must be a finite number > 0.0 and <= 1.0, got 1.5
    """
    return check_number(name, value, minimum=0.0, maximum=1.0, inclusive_min=allow_zero)
