"""Bytes and their units. GB means 10**9 bytes and GiB means 2**30 bytes, everywhere.

Inside vramlab every size is an ``int`` of bytes; units appear only when formatting.

>>> from vramlab.units import GB, GiB, format_bytes
>>> format_bytes(16_381_470_720, "GB")
'16.38 GB'
>>> format_bytes(16_381_470_720, "GiB")
'15.26 GiB'
"""

from __future__ import annotations

import math
import re

from .errors import VramlabError, check_int

__all__ = [
    "KB", "MB", "GB", "TB", "KiB", "MiB", "GiB", "TiB", "UNITS",
    "to_unit", "from_unit", "format_bytes", "parse_bytes", "format_both",
]

KB, MB, GB, TB = 10**3, 10**6, 10**9, 10**12
KiB, MiB, GiB, TiB = 2**10, 2**20, 2**30, 2**40

#: Every unit vramlab knows, by its symbol.
UNITS: dict[str, int] = {
    "B": 1, "KB": KB, "MB": MB, "GB": GB, "TB": TB,
    "KiB": KiB, "MiB": MiB, "GiB": GiB, "TiB": TiB,
}


def _unit(unit: str) -> int:
    try:
        return UNITS[unit]
    except (KeyError, TypeError):
        raise VramlabError(
            f"unit must be one of {', '.join(UNITS)}, got {unit!r}", field="unit"
        ) from None


def _amount(name: str, value: object) -> int | float:
    """``value`` if it is a finite real number (not a bool), else :class:`VramlabError`."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not ok and hasattr(value, "__float__") and not isinstance(value, (str, bytes, bool)):
        try:
            value, ok = float(value), True  # numpy scalars, Fraction, Decimal
        except (TypeError, ValueError):
            ok = False
    if not ok or not math.isfinite(value):
        raise VramlabError(f"{name} must be a finite number, got {value!r}", field=name)
    return value


def to_unit(n_bytes: int, unit: str) -> float:
    """Bytes as a float in ``unit``.

    >>> to_unit(147_456, "KiB")
    144.0
    >>> to_unit(147_456, "KB")
    147.456
    """
    return _amount("n_bytes", n_bytes) / _unit(unit)


def from_unit(value: float, unit: str) -> int:
    """An amount in ``unit`` as whole bytes (rounded to the nearest byte).

    >>> from_unit(79.19, "GiB")
    85029615043
    >>> from_unit(24, "GB")
    24000000000
    """
    return round(_amount("value", value) * _unit(unit))


def format_bytes(n_bytes: int, unit: str = "GiB", digits: int = 2) -> str:
    """Format bytes in one named unit; the unit is always printed.

    ``unit="auto"`` picks the largest binary unit that keeps the figure >= 1,
    ``unit="auto-si"`` does the same with decimal units.

    >>> format_bytes(147_456, "KiB", 0)
    '144 KiB'
    >>> format_bytes(3 * 2**30, "auto")
    '3.00 GiB'
    >>> format_bytes(1_500, "auto-si")
    '1.50 KB'
    """
    n_bytes = _amount("n_bytes", n_bytes)
    digits = check_int("digits", digits, minimum=0, maximum=20)
    if unit in ("auto", "auto-si"):
        ladder = ["B", "KiB", "MiB", "GiB", "TiB"] if unit == "auto" else ["B", "KB", "MB", "GB", "TB"]
        unit = "B"
        for u in ladder:
            if abs(n_bytes) >= UNITS[u]:
                unit = u
        if unit == "B":
            digits = 0
    return f"{to_unit(n_bytes, unit):,.{digits}f} {unit}"


def format_both(n_bytes: int, digits: int = 2) -> str:
    """The same size in GB and GiB, e.g. for tables read by people who mix them.

    >>> format_both(80 * 10**9)
    '80.00 GB (74.51 GiB)'
    """
    return f"{format_bytes(n_bytes, 'GB', digits)} ({format_bytes(n_bytes, 'GiB', digits)})"


# a plain number, or one with thousands separators as format_bytes writes them ("1,234.50 GB")
_SIZE = re.compile(
    r"^\s*([0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([KMGT]i?B|B)\s*$"
)


def parse_bytes(text: str) -> int:
    """Parse ``"79.19 GiB"`` or ``"24GB"`` into bytes; the unit is required.

    >>> parse_bytes("144 KiB")
    147456
    >>> parse_bytes("24 GB")
    24000000000
    >>> parse_bytes(format_bytes(1_234_500_000_000, "GB"))
    1234500000000
    >>> parse_bytes("24")
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: size must be a number with a unit (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB), got '24'
    """
    m = _SIZE.match(str(text))
    if not m:
        raise VramlabError(
            f"size must be a number with a unit ({', '.join(UNITS)}), got {text!r}", field="size"
        )
    value = float(m.group(1).replace(",", ""))
    if not math.isfinite(value):
        raise VramlabError(f"size must be a finite number with a unit, got {text!r}", field="size")
    return from_unit(value, m.group(2))
