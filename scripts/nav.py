#!/usr/bin/env python3
"""Write the navigation of the notebook series.

For every ``notebooks/NN-*.ipynb``:

* the first cell (a markdown cell starting with ``<!-- nav -->``) gets the line
  ``[← previous title](file) | [Contents](00-start-here.ipynb) | [next title →](file)``,
  titles read from each notebook's H1 (a nav cell is inserted when missing);
* the notebook table between ``<!-- notebooks:start -->`` and ``<!-- notebooks:end -->``
  is rewritten in README.md and in any markdown cell of ``00-start-here.ipynb`` holding
  those markers (number, title linked to the file, time to learn read from the notebook's
  "Time to learn: N minutes", and their total).

Notebooks are found by file name (``NN-kebab-title.ipynb``), so a new one joins the chain as
soon as it exists; ``PLANNED`` only adds what each one teaches.

Only markdown sources change; outputs and execution counts are never touched, and a file
is written only when its content changes (running twice changes nothing).

Usage::

    python scripts/nav.py            # rewrite what is stale
    python scripts/nav.py --check    # exit 1 and list what is stale, write nothing
    python scripts/nav.py --tracked --only README.md notebooks/00-start-here.ipynb
                                     # ignore untracked notebooks, write only the files named
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

NAV_MARK = "<!-- nav -->"
START = "<!-- notebooks:start -->"
END = "<!-- notebooks:end -->"
CONTENTS = "00-start-here.ipynb"
NAME = re.compile(r"^(\d{2})-[a-z0-9]+(?:-[a-z0-9]+)*\.ipynb$")
H1 = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)
TIME = re.compile(r"Time to learn\W*\s*(\d+)\s*min", re.IGNORECASE)

#: The series plan: what each notebook teaches (shown in the tables; a planned notebook
#: that does not exist yet is listed without a link).
PLANNED = {
    "00": ("Start here", "what the series teaches, how to run it, units"),
    "01": ("Weights", "parameters to bytes, precisions and quantization formats"),
    "02": ("KV cache", "why decoding caches K and V, the per-token formula, context and concurrency"),
    "03": ("Attention variants", "MHA, GQA, MQA, MLA, sliding windows and their KV per token"),
    "04": ("Worked example: Qwen3-8B", "the Qwen3-8B article's budget table, reproduced and checked"),
    "05": ("Worked example: QwQ-32B", "the QwQ-32B article's figures, reproduced and corrected"),
    "06": ("Overheads and margins", "activations, framework overhead, rules of thumb vs measurements"),
    "07": ("Serving with vLLM", "the KV pool, paged blocks, gpu_memory_utilization, start-up logs"),
    "08": ("Plan your deployment", "pick GPUs, precision and tensor parallelism for a workload"),
    "09": ("Training memory", "gradients, optimizer states, ZeRO, activations, LoRA/QLoRA"),
    "10": ("Check against reality", "vramlab against transformers and vLLM measurements"),
    "11": ("Hybrid and linear attention", "a fixed state instead of a growing cache: Gated DeltaNet, Qwen3-Next, the crossover"),
    "12": ("Memory sets the speed", "decode speed: bytes read per step, the bandwidth bound, tokens/s"),
}


README_HEAD = (
    "## Notebooks\n\n"
    "Start with [00-start-here](notebooks/00-start-here.ipynb). Each notebook derives its formulas,\n"
    "computes every number with vramlab and checks it another way.\n\n"
)


@dataclass(frozen=True)
class Notebook:
    number: str
    path: Path
    title: str
    minutes: int | None

    @property
    def file(self) -> str:
        return self.path.name


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _set_source(cell: dict, text: str) -> None:
    cell["source"] = text.splitlines(keepends=True)


def _is_nav(cell: dict) -> bool:
    return cell.get("cell_type") == "markdown" and _source(cell).lstrip().startswith(NAV_MARK)


def read_notebook(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def dump_notebook(nb: dict) -> str:
    """JSON as nbformat writes it (indent 1, sorted keys, UTF-8, final newline)."""
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False, separators=(",", ": ")) + "\n"


def describe(path: Path) -> Notebook:
    """Number, H1 title and time to learn of a notebook file."""
    nb = read_notebook(path)
    title = minutes = None
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "markdown" or _is_nav(cell):
            continue
        text = _source(cell)
        if title is None and (m := H1.search(text)):
            title = m.group(1).strip()
        if minutes is None and (t := TIME.search(text)):
            minutes = int(t.group(1))
    number = path.name[:2]
    if title is None:
        title = PLANNED.get(number, (path.stem[3:].replace("-", " ").capitalize(),))[0]
        print(f"warning: {path.name} has no H1 title; using {title!r}", file=sys.stderr)
    return Notebook(number, path, title, minutes)


def tracked_files(root: Path) -> set[Path]:
    """Files git tracks under ``root`` (empty when git or the repository is missing)."""
    import subprocess

    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return set()
    return {(root / name).resolve() for name in out.decode().split("\0") if name}


def find_notebooks(root: Path, keep: set[Path] | None = None) -> list[Notebook]:
    """The series' notebooks; with ``keep``, only those in it."""
    folder = root / "notebooks"
    paths = sorted(p for p in folder.glob("*.ipynb") if NAME.match(p.name)) if folder.is_dir() else []
    if keep is not None:
        paths = [p for p in paths if p.resolve() in keep]
    return [describe(p) for p in paths]


def nav_line(nbs: list[Notebook], i: int) -> str:
    parts = []
    if i > 0:
        parts.append(f"[← {nbs[i - 1].title}]({nbs[i - 1].file})")
    parts.append(f"[Contents]({CONTENTS})")
    if i + 1 < len(nbs):
        parts.append(f"[{nbs[i + 1].title} →]({nbs[i + 1].file})")
    return " | ".join(parts)


def table(nbs: list[Notebook], prefix: str) -> str:
    """The notebook table; links are ``prefix + file``."""
    by_number = {nb.number: nb for nb in nbs}
    rows = ["| # | Notebook | What you learn | Time to learn |", "|---|---|---|---|"]
    for number in sorted(set(PLANNED) | set(by_number)):
        about = PLANNED.get(number, ("", ""))[1]
        nb = by_number.get(number)
        if nb is None:
            rows.append(f"| {number} | {PLANNED[number][0]} (in preparation) | {about} | – |")
            continue
        minutes = f"{nb.minutes} min" if nb.minutes is not None else "–"
        rows.append(f"| {number} | [{nb.title}]({prefix}{nb.file}) | {about} | {minutes} |")
    total = sum(nb.minutes for nb in nbs if nb.minutes is not None)
    if total:
        rows.append(f"| | **Total** | | **{total} min** (about {total / 60:.0f} h) |")
    return "\n".join(rows)


def replace_block(text: str, block: str) -> str | None:
    """Replace what lies between the markers; None when the markers are missing."""
    i, j = text.find(START), text.find(END)
    if i < 0 or j < i:
        return None
    return text[: i + len(START)] + "\n" + block + "\n" + text[j:]


def updated_notebook(nb: Notebook, nbs: list[Notebook]) -> str:
    """The file text after the nav cell (and, in 00, the table) are written."""
    data = read_notebook(nb.path)
    cells = data.setdefault("cells", [])
    text = NAV_MARK + "\n" + nav_line(nbs, nbs.index(nb))
    if cells and _is_nav(cells[0]):
        if _source(cells[0]) != text:
            _set_source(cells[0], text)
    else:
        cell = {"cell_type": "markdown", "metadata": {}, "source": []}
        if (data.get("nbformat", 4), data.get("nbformat_minor", 0)) >= (4, 5):
            ids = {c.get("id") for c in cells}
            cell["id"] = next(f"nav-{k}" if k else "nav" for k in range(len(ids) + 1)
                              if (f"nav-{k}" if k else "nav") not in ids)
        _set_source(cell, text)
        cells.insert(0, cell)
    if nb.file == CONTENTS:
        block = table(nbs, "")
        for cell in cells[1:]:
            if cell.get("cell_type") == "markdown":
                new = replace_block(_source(cell), block)
                if new is not None and new != _source(cell):
                    _set_source(cell, new)
    return dump_notebook(data)


def plan(root: Path, keep: set[Path] | None = None) -> dict[Path, str]:
    """Files whose content would change, with their new text (``keep``: see find_notebooks)."""
    nbs = find_notebooks(root, keep)
    out: dict[Path, str] = {}
    for nb in nbs:
        old = nb.path.read_text(encoding="utf-8")
        new = updated_notebook(nb, nbs)
        if json.loads(new) != json.loads(old):
            out[nb.path] = new
    readme = root / "README.md"
    if readme.exists():
        text = readme.read_text(encoding="utf-8")
        new = replace_block(text, README_HEAD + table(nbs, "notebooks/"))
        if new is None:
            raise SystemExit(f"{readme}: markers {START} ... {END} are missing")
        if new != text:
            out[readme] = new
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="list stale files and exit 1; write nothing")
    ap.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent,
                    help="repository root (default: the one holding this script)")
    ap.add_argument("--only", nargs="+", type=Path, metavar="PATH",
                    help="write only these files (paths relative to the root); report the others")
    ap.add_argument("--tracked", action="store_true",
                    help="leave out notebooks git does not track (except those named in --only)")
    args = ap.parse_args(argv)
    only = {(args.root / p).resolve() for p in args.only} if args.only else None
    keep = (tracked_files(args.root) | (only or set())) if args.tracked else None
    changes = plan(args.root, keep)
    for path in changes:
        if only is not None and path.resolve() not in only:
            print(f"{'stale' if args.check else 'not written'} (not in --only): {path.relative_to(args.root)}")
            continue
        rel = path.relative_to(args.root)
        print(f"stale: {rel}" if args.check else f"updated: {rel}")
        if not args.check:
            path.write_text(changes[path], encoding="utf-8")
    if args.check:
        return 1 if changes else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
