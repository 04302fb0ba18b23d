#!/usr/bin/env python3
"""Execute every notebook of the series and print how long each one takes.

Each notebook runs with nbclient in a temporary copy of ``notebooks/`` (the committed files
are never written). Two figures per notebook: the wall time including the kernel start, and
the time spent in its cells. Targets: every notebook under 10 s, the series under 60 s.

Usage::

    python benchmarks/bench_notebooks.py                 # all notebooks/NN-*.ipynb
    python benchmarks/bench_notebooks.py notebooks/06-overheads-and-margins.ipynb
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAME = re.compile(r"^\d{2}-.*\.ipynb$")
PER_NOTEBOOK_S = 10.0
SERIES_S = 60.0


def _cell_seconds(nb) -> float:
    """Sum of the cells' execution times nbclient recorded (shell.execute_reply - execute_input)."""
    total = 0.0
    for cell in nb.cells:
        ex = cell.get("metadata", {}).get("execution", {})
        start, end = ex.get("iopub.execute_input"), ex.get("shell.execute_reply")
        if start and end:
            total += (datetime.fromisoformat(end.replace("Z", "+00:00"))
                      - datetime.fromisoformat(start.replace("Z", "+00:00"))).total_seconds()
    return total


def run_one(path: Path, workdir: Path, timeout: int) -> tuple[float, float, str]:
    """Execute the copy of ``path`` in ``workdir``; return (wall s, cells s, error or "")."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    copy = workdir / path.name
    nb = nbformat.read(copy, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=True,
                            resources={"metadata": {"path": str(workdir)}})
    t0 = time.perf_counter()
    error = ""
    try:
        client.execute()
    except CellExecutionError as exc:
        error = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    wall = time.perf_counter() - t0
    return wall, _cell_seconds(nb), error


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("notebooks", nargs="*", type=Path, help="notebooks to run (default: all)")
    ap.add_argument("--timeout", type=int, default=120, help="seconds allowed per cell")
    args = ap.parse_args(argv)
    paths = [p.resolve() for p in args.notebooks] or sorted(
        p for p in (ROOT / "notebooks").glob("*.ipynb") if NAME.match(p.name))
    if not paths:
        print("no notebooks found")
        return 1
    total = 0.0
    failed = 0
    print(f"{'notebook':<44}{'wall (s)':>10}{'cells (s)':>11}")
    with tempfile.TemporaryDirectory(prefix="vramlab-bench-") as tmp:
        work = Path(tmp) / "notebooks"
        shutil.copytree(ROOT / "notebooks", work)
        for p in paths:
            if not (work / p.name).exists():
                shutil.copy2(p, work / p.name)
            wall, cells, error = run_one(p, work, args.timeout)
            total += wall
            flag = "" if wall < PER_NOTEBOOK_S else f"  over {PER_NOTEBOOK_S:.0f} s"
            if error:
                failed += 1
                flag += f"  FAILED: {error}"
            print(f"{p.name:<44}{wall:>10.2f}{cells:>11.2f}{flag}", flush=True)
    over = "" if total < SERIES_S else f"  over {SERIES_S:.0f} s"
    print(f"{'total (' + str(len(paths)) + ' notebooks)':<44}{total:>10.2f}{'':>11}{over}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
