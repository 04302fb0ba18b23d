"""The one exception vramlab raises for bad input, and the validators every entry point uses.

The validators are strict: a count or an amount is a real number (an ``int``, a ``float``,
a ``Fraction``, a ``Decimal`` or a numpy scalar), never a ``bool``, a ``str``, ``bytes``,
a numpy array, NaN or infinity; every value has a bounded range (:data:`MAX_BYTES`,
:data:`MAX_TOKENS`, :data:`MAX_CONCURRENCY`, :data:`MAX_INT`). Parsing of human text
(``"32k"``, ``"16 GiB"``, ``"10%"``) lives in :mod:`vramlab.units`, which calls these.

>>> from vramlab.errors import VramlabError, check_int
>>> issubclass(VramlabError, ValueError)
True
>>> check_int("tokens", True, minimum=1, maximum=MAX_TOKENS)
Traceback (most recent call last):
...
vramlab.errors.VramlabError: tokens must be an integer between 1 and 1000000000, got True
"""

from __future__ import annotations

import decimal
import itertools
import math
import numbers
import reprlib
from typing import Any, Callable, Iterable

__all__ = [
    "VramlabError", "MAX_BYTES", "MAX_TOKENS", "MAX_CONCURRENCY", "MAX_INT", "MAX_NUMBER",
    "check_int", "check_number", "check_fraction", "check_bytes", "check_tokens", "check_concurrency",
    "check_bool", "check_str", "check_choice", "check_items", "is_real", "show",
]

#: Largest size in bytes any argument may have: 1 PiB (2**50 bytes), far above any node's memory.
MAX_BYTES = 2**50
#: Largest token count (per sequence, per pass): 10**9, a thousand times the longest context.
MAX_TOKENS = 10**9
#: Largest number of sequences at once.
MAX_CONCURRENCY = 10**7
#: Default upper bound of :func:`check_int` when a caller names none.
MAX_INT = 10**18
#: Default upper bound of :func:`check_number` when a caller names none.
MAX_NUMBER = 1e18

_SHOW_CHARS = 60


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


def _short_repr() -> reprlib.Repr:
    r = reprlib.Repr()
    r.maxstring, r.maxother, r.maxlong, r.maxlevel = _SHOW_CHARS, _SHOW_CHARS, 40, 3
    r.maxlist = r.maxtuple = r.maxset = r.maxfrozenset = r.maxdeque = r.maxarray = 6
    r.maxdict = 4
    return r


_REPR = _short_repr()


def show(value: Any) -> str:
    """A short ``repr(value)`` for error messages: never long, never slow, never raises.

    >>> show([4096] * 10**6)
    '[4096, 4096, 4096, 4096, 4096, 4096, ...]'
    >>> show("x" * 3), show(1.5), show(True)
    ("'xxx'", '1.5', 'True')
    """
    try:
        text = _REPR.repr(value)
    except Exception:  # noqa: BLE001 - e.g. an int with more digits than Python prints
        text = f"<{type(value).__name__}>"
    text = " ".join(text.split())
    return text if len(text) <= _SHOW_CHARS else text[: _SHOW_CHARS - 3] + "..."


def is_real(value: Any) -> bool:
    """A real number: int, float, Fraction, Decimal, numpy scalar -- not bool, str, bytes, array.

    >>> [is_real(v) for v in (3, 2.5, True, "3", b"3", [3], None)]
    [True, True, False, False, False, False, False]
    """
    if isinstance(value, bool) or type(value).__name__ in ("bool_", "bool"):  # also numpy.bool_
        return False
    if isinstance(value, decimal.Decimal):
        return True
    if not isinstance(value, numbers.Real):
        return False
    shape = getattr(value, "shape", ())
    return shape == ()


def _range(minimum: Any, maximum: Any, inclusive_min: bool = True) -> str:
    lo = f">= {minimum}" if inclusive_min else f"> {minimum}"
    return lo if maximum is None else f"{lo} and <= {maximum}"


def check_int(name: str, value: Any, *, minimum: int = 0, maximum: int | None = MAX_INT) -> int:
    """Return ``value`` as an int, or raise :class:`VramlabError` naming ``name`` and the range.

    Accepted: ints, numpy integers, and finite floats with no fraction (``4096.0``).
    Refused: booleans, strings, bytes, arrays, NaN, infinity, fractions, values outside
    ``[minimum, maximum]``.

    >>> check_int("tokens", 4096, minimum=1, maximum=10)
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: tokens must be an integer between 1 and 10, got 4096
    >>> check_int("tokens", 4096.0, minimum=1)
    4096
    >>> check_int("tokens", 0, minimum=1, maximum=None)
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: tokens must be an integer >= 1, got 0
    """
    rng = f">= {minimum}" if maximum is None else f"between {minimum} and {maximum}"
    n: int | None = None
    if is_real(value):
        if isinstance(value, numbers.Integral):
            n = int(value)
        else:
            try:
                f = float(value)
            except (OverflowError, ValueError):
                f = math.nan
            if math.isfinite(f) and f == value and float(value).is_integer():
                n = int(value)
    if n is None or n < minimum or (maximum is not None and n > maximum):
        raise VramlabError(f"{name} must be an integer {rng}, got {show(value)}", field=name)
    return n


def check_number(
    name: str,
    value: Any,
    *,
    minimum: float = 0.0,
    maximum: float | None = MAX_NUMBER,
    inclusive_min: bool = True,
) -> float:
    """Return ``value`` as a finite float within range, or raise :class:`VramlabError`.

    Accepted: ints, floats, ``Fraction``, ``Decimal``, numpy scalars. Refused: booleans,
    strings, bytes, arrays, NaN, infinity, ints too large for a float, values out of range.

    >>> check_number("margin", 0.1, maximum=10)
    0.1
    >>> check_number("margin", float("nan"), maximum=None)
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: margin must be a finite number >= 0.0, got nan
    >>> check_number("margin", b"1", maximum=10)
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: margin must be a finite number >= 0.0 and <= 10, got b'1'
    """
    f = math.nan
    if is_real(value):
        try:
            f = float(value)
        except (OverflowError, ValueError, TypeError):
            f = math.nan
    ok = math.isfinite(f) and (f >= minimum if inclusive_min else f > minimum) and (maximum is None or f <= maximum)
    if not ok:
        raise VramlabError(
            f"{name} must be a finite number {_range(minimum, maximum, inclusive_min)}, got {show(value)}",
            field=name,
        )
    return f


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


def check_bytes(name: str, value: Any, *, minimum: int = 0, maximum: int = MAX_BYTES) -> int:
    """A size as an int of bytes, at most :data:`MAX_BYTES` (1 PiB) unless told otherwise.

    >>> check_bytes("framework_bytes", 2**30)
    1073741824
    >>> check_bytes("framework_bytes", 10**300)
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: framework_bytes must be an integer between 0 and 1125899906842624, got 1000000...
    """
    return check_int(name, value, minimum=minimum, maximum=maximum)


def check_tokens(name: str, value: Any, *, minimum: int = 1, maximum: int = MAX_TOKENS) -> int:
    """A token count in ``[minimum, MAX_TOKENS]``.

    >>> check_tokens("tokens", 32768)
    32768
    """
    return check_int(name, value, minimum=minimum, maximum=maximum)


def check_concurrency(name: str, value: Any, *, minimum: int = 1, maximum: int = MAX_CONCURRENCY) -> int:
    """A number of sequences in ``[minimum, MAX_CONCURRENCY]``.

    >>> check_concurrency("concurrency", 8)
    8
    """
    return check_int(name, value, minimum=minimum, maximum=maximum)


def check_bool(name: str, value: Any) -> bool:
    """``True`` or ``False`` (numpy booleans too); never ``0``, ``"yes"`` or ``None``.

    >>> check_bool("count_cuda_graphs", False)
    False
    >>> check_bool("count_cuda_graphs", "no")
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: count_cuda_graphs must be True or False, got 'no'
    """
    if isinstance(value, bool) or type(value).__name__ in ("bool_", "bool"):  # numpy's too
        return bool(value)
    raise VramlabError(f"{name} must be True or False, got {show(value)}", field=name)


def check_str(name: str, value: Any, *, max_len: int = 10_000, allow_empty: bool = False) -> str:
    """A string of at most ``max_len`` characters (non-empty unless ``allow_empty``).

    >>> check_str("gpu", "H100")
    'H100'
    >>> check_str("gpu", b"H100")
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: gpu must be a non-empty string of at most 10000 characters, got b'H100'
    """
    if not isinstance(value, str) or len(value) > max_len or (not allow_empty and not value.strip()):
        what = "a string" if allow_empty else "a non-empty string"
        raise VramlabError(f"{name} must be {what} of at most {max_len} characters, got {show(value)}", field=name)
    return value


def check_choice(name: str, value: Any, choices: Iterable[str]) -> str:
    """One of ``choices`` (strings, compared exactly).

    >>> check_choice("usage", "serve", ("serve", "llm"))
    'serve'
    >>> check_choice("usage", ["serve"], ("serve", "llm"))
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: usage must be one of serve, llm, got ['serve']
    """
    valid = tuple(choices)
    if not isinstance(value, str) or value not in valid:
        raise VramlabError(f"{name} must be one of {', '.join(valid)}, got {show(value)}", field=name)
    return value


def check_items(
    name: str,
    value: Any,
    check: Callable[[Any], Any] | None = None,
    *,
    min_len: int = 1,
    max_len: int = 10_000,
) -> tuple:
    """A collection (list, tuple, range, set, numpy 1-d array) as a tuple, each item checked.

    A string, bytes, a mapping or a lone number is refused: pass ``[4096]``, not ``4096``.

    >>> check_items("contexts", [1024, 4096.0], lambda c: check_tokens("context", c))
    (1024, 4096)
    >>> check_items("contexts", 4096)
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: contexts must be a list of 1 to 10000 items, got 4096
    >>> check_items("contexts", [])
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: contexts must be a list of 1 to 10000 items, got []
    """
    bad = isinstance(value, (str, bytes, bytearray, dict)) or not hasattr(value, "__iter__")
    items: tuple = ()
    if not bad:
        if getattr(value, "ndim", 1) != 1:  # a numpy 0-d or 2-d array
            bad = True
        else:
            try:
                items = tuple(itertools.islice(value, max_len + 1))  # never drains an endless iterator
            except Exception:  # noqa: BLE001 - an iterable that fails
                bad = True
            bad = bad or not (min_len <= len(items) <= max_len)
    if bad:
        raise VramlabError(f"{name} must be a list of {min_len} to {max_len} items, got {show(value)}", field=name)
    return items if check is None else tuple(check(v) for v in items)
