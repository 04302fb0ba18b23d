"""Plain-text tables: what the command line and the notebooks print.

Every function returns a ``str``; nothing here computes a figure (the numbers come from
the modules that own them), so :mod:`vramlab.report` imports only the foundations
(units, dtypes, errors).

>>> print(render_table(["model", "KV/token"], [["Qwen/Qwen3-8B", "144.00 KiB"]], "lr"))
model            KV/token
Qwen/Qwen3-8B  144.00 KiB
"""

from __future__ import annotations

from typing import Any, Sequence

from .errors import VramlabError

__all__ = ["render_table"]


def render_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], align: str | None = None) -> str:
    """An aligned plain-text table; ``align`` has one ``"l"`` or ``"r"`` per column.

    Parameters
    ----------
    headers : sequence of str
        Column titles.
    rows : sequence of sequences
        One sequence of cells per row (any values; shown with ``str``).
    align : str, optional
        ``"l"`` (left) or ``"r"`` (right) per column; default: first column left, the rest right.

    Returns
    -------
    str
        The table, columns separated by two spaces, no trailing blanks.

    Examples
    --------
    >>> print(render_table(["part", "bytes"], [["weights", "1,000"], ["kv", "10"]], "lr"))
    part     bytes
    weights  1,000
    kv          10
    >>> render_table(["a", "b"], [["x"]])
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: rows[0] has 1 cells; valid: 2, one per header
    """
    n = len(headers)
    align = align or "l" + "r" * (n - 1)
    if len(align) != n or set(align) - {"l", "r"}:
        raise VramlabError(f"align {align!r} must hold one 'l' or 'r' per column ({n} columns)", field="align")
    for i, row in enumerate(rows):
        if len(row) != n:
            raise VramlabError(f"rows[{i}] has {len(row)} cells; valid: {n}, one per header", field="rows")
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(n)]
    lines = []
    for r in cells:
        parts = [c.ljust(w) if a == "l" else c.rjust(w) for c, w, a in zip(r, widths, align)]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)
