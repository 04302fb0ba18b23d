"""Bytes and their units, and the parsers of what people type.

GB means 10**9 bytes and GiB means 2**30 bytes, everywhere. Inside vramlab every size is
an ``int`` of bytes; units appear only when formatting.

The parsers read human input for the command line and the widgets (the same functions):
:func:`parse_count` (``"32k"``, ``"1M"``, ``"32,768"``), :func:`parse_size` (``"16GiB"``,
``"80 GB"``), :func:`parse_fraction` (``"0.1"``, ``"10%"``). Each refuses bad input with a
:class:`~vramlab.errors.VramlabError` naming the field and the valid range; numbers (not
text) are validated by the same rules.

>>> from vramlab.units import GB, GiB, format_bytes
>>> format_bytes(16_381_470_720, "GB")
'16.38 GB'
>>> format_bytes(16_381_470_720, "GiB")
'15.26 GiB'
"""

from __future__ import annotations

import math
import re

from .errors import MAX_BYTES, MAX_NUMBER, VramlabError, check_int, check_number, is_real, show

__all__ = [
    "KB", "MB", "GB", "TB", "KiB", "MiB", "GiB", "TiB", "UNITS",
    "COUNT_SUFFIXES", "to_unit", "from_unit", "format_bytes", "format_both",
    "parse_bytes", "parse_size", "parse_count", "parse_fraction",
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
    """``value`` if it is a finite real number (not a bool) of magnitude <= 1e18, else an error."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) <= MAX_NUMBER:
        return value  # exact: no float rounding of large byte counts
    return check_number(name, value, minimum=-MAX_NUMBER, maximum=MAX_NUMBER)


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
    if not isinstance(unit, str):
        _unit(unit)  # refuses it, naming the valid units
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
_NUMBER = r"([0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)"
_SIZE = re.compile(r"^\s*" + _NUMBER + r"\s*([KMGTkmgt]?i?[Bb])?\s*$")
_UNIT_BY_LOWER = {u.lower(): u for u in UNITS}
_TEXT_CHARS = 100  # longer text is never a number someone typed


def _text(field: str, value: str, what: str) -> str:
    if len(value) > _TEXT_CHARS:
        raise VramlabError(f"{field} must be {what}, got {show(value)}", field=field)
    return value


def parse_size(
    text: str | float, *, field: str = "size", default_unit: str | None = None, maximum: int = MAX_BYTES
) -> int:
    """A size typed by a person, as whole bytes in ``[0, maximum]`` (default 1 PiB).

    ``"16GiB"``, ``"80 GB"``, ``"24 gib"`` (units are case-insensitive: ``gb`` is GB, ``gib``
    is GiB; ``B`` always means bytes). A bare number is in ``default_unit``, and refused when
    there is none. A number (not text) is an amount of ``default_unit``.

    >>> parse_size("16GiB"), parse_size("80 GB"), parse_size("24 gib") == 24 * GiB
    (17179869184, 80000000000, True)
    >>> parse_size("1.5", default_unit="GiB", field="framework_gib")
    1610612736
    >>> parse_size("-1 GB")
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: size must be a number of bytes with a unit (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB) between 0 and 1 PiB, got '-1 GB'
    """
    limit = "between 0 and " + ("1 PiB" if maximum == MAX_BYTES else format_bytes(maximum, "auto"))
    units = f"({', '.join(UNITS)})"
    what = (f"a number of bytes with a unit {units} {limit}" if default_unit is None
            else f"a number of {default_unit} or a size with a unit {units} {limit}")
    if isinstance(text, str):
        m = _SIZE.match(_text(field, text, what))
        unit = None if not m else (_UNIT_BY_LOWER.get(m.group(2).lower()) if m.group(2) else default_unit)
        if not m or unit is None:
            raise VramlabError(f"{field} must be {what}, got {show(text)}", field=field)
        value: float = float(m.group(1).replace(",", ""))
    elif default_unit is not None and is_real(text):
        value, unit = text, default_unit
    else:
        raise VramlabError(f"{field} must be {what}, got {show(text)}", field=field)
    if not (math.isfinite(value) and 0 <= value * _unit(unit) <= maximum):
        raise VramlabError(f"{field} must be {what}, got {show(text)}", field=field)
    return from_unit(value, unit)


def parse_bytes(text: str) -> int:
    """Parse ``"79.19 GiB"`` or ``"24GB"`` into bytes; the unit is required.

    The same reader as :func:`parse_size` with no default unit.

    >>> parse_bytes("144 KiB")
    147456
    >>> parse_bytes("24 GB")
    24000000000
    >>> parse_bytes(format_bytes(1_234_500_000_000, "GB"))
    1234500000000
    >>> parse_bytes("24")
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: size must be a number of bytes with a unit (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB) between 0 and 1 PiB, got '24'
    """
    return parse_size(text, field="size")


#: Suffixes of token and sequence counts. k = 1024, because context lengths are written that
#: way: Llama 3.1's model card says "128k" context and its config.json says
#: ``max_position_embeddings: 131072`` = 128 x 1024 (both recorded in
#: ``data/models/meta-llama__Llama-3.1-8B-Instruct.json``). So ``--tokens 32k`` is
#: ``--tokens 32768``. Sizes in bytes never use these suffixes: they name a unit (GB, GiB).
COUNT_SUFFIXES: dict[str, int] = {"": 1, "k": 2**10, "K": 2**10, "M": 2**20}
_COUNT = re.compile(r"^\s*([0-9]{1,3}(?:[,_][0-9]{3})+|[0-9]+)(\.[0-9]+)?\s*([kKM]?)\s*$")


def parse_count(text: str | int, *, field: str = "tokens", minimum: int = 1, maximum: int = 10**9) -> int:
    """A whole count typed by a person: ``"32768"``, ``"32,768"``, ``"32k"`` (= 32768), ``"1M"``.

    ``k``/``K`` = 1024 and ``M`` = 1024**2 (see :data:`COUNT_SUFFIXES`); ``"1.5k"`` = 1536.
    The result must be whole and in ``[minimum, maximum]``. A number (not text) is
    checked by the same rule (:func:`~vramlab.errors.check_int`).

    >>> parse_count("32k") == parse_count("32768") == parse_count("32,768") == 32768
    True
    >>> parse_count("1M"), parse_count("1.5k"), parse_count(8, field="concurrency")
    (1048576, 1536, 8)
    >>> parse_count("32x")
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: tokens must be a whole number between 1 and 1000000000 (e.g. 32768 or 32k, k = 1024), got '32x'
    """
    what = f"a whole number between {minimum} and {maximum} (e.g. 32768 or 32k, k = 1024)"
    if not isinstance(text, str):
        return check_int(field, text, minimum=minimum, maximum=maximum)
    m = _COUNT.match(_text(field, text, what))
    if m:
        whole, frac, suffix = m.group(1), m.group(2) or "", m.group(3)
        mult = COUNT_SUFFIXES[suffix]
        num = int((whole + frac[1:]).replace(",", "").replace("_", "")) * mult
        den = 10 ** max(len(frac) - 1, 0)
        if num % den == 0 and minimum <= num // den <= maximum:
            return num // den
    raise VramlabError(f"{field} must be {what}, got {show(text)}", field=field)


_FRACTION = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE]([-+]?[0-9]{1,3}))?\s*(%?)\s*$")


def parse_fraction(
    text: str | float, *, field: str = "margin", maximum: float = 1.0, allow_zero: bool = True
) -> float:
    """A fraction typed by a person: ``"0.1"`` or ``"10%"`` (both 0.1).

    A bare number must be at most 1 -- ``"10"`` is refused, not read as 1000 %; a
    percentage may go up to ``maximum`` (e.g. ``"150%"`` with ``maximum=10``). A number
    (not text) must be in ``[0, min(1, maximum)]``.

    >>> parse_fraction("0.1"), parse_fraction("10%"), parse_fraction("150%", maximum=10)
    (0.1, 0.1, 1.5)
    >>> parse_fraction("10")
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: margin must be a fraction from 0 to 1 (e.g. 0.1) or a percentage from 0% to 100% (e.g. 10%), got '10'
    """
    lo = "from 0" if allow_zero else "above 0"
    what = (f"a fraction {lo} to {min(1.0, maximum):g} (e.g. 0.1) or a percentage {lo}% "
            f"to {maximum * 100:g}% (e.g. 10%)")
    if not isinstance(text, str):
        try:
            return check_number(field, text, minimum=0.0, maximum=min(1.0, maximum), inclusive_min=allow_zero)
        except VramlabError:
            raise VramlabError(f"{field} must be {what}, got {show(text)}", field=field) from None
    m = _FRACTION.match(_text(field, text, what))
    if m:
        value = float(m.group(1) + (f"e{m.group(2)}" if m.group(2) else ""))
        limit = maximum if m.group(3) else min(1.0, maximum)
        value = value / 100 if m.group(3) else value
        if (value > 0 or (allow_zero and value == 0)) and value <= limit:
            return value
    raise VramlabError(f"{field} must be {what}, got {show(text)}", field=field)
