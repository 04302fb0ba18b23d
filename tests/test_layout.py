"""The package's layout rules: one job per module, imports only downwards, no cycles.

Each module of ``vramlab`` has a floor (``FLOORS``). A module may import modules on its own
floor or below, never above, and the import graph has no cycle. The checks read the source
with :mod:`ast` (imports inside functions count too), so they see what a reader sees.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "vramlab"
TESTS = Path(__file__).resolve().parent

#: The floor of every module, lowest first. A new module must be placed here.
FLOORS: dict[str, int] = {
    "errors": 0,
    "units": 1,
    "dtypes": 2,
    "report": 2,
    "quantization": 3,
    "fields": 3,
    "families": 3,
    "layers": 4,
    "spec": 4,
    "params": 5,
    "presets": 5,
    "memory": 6,
    "gpus": 7,
    "engines": 7,
    "engine_lines": 7,
    "serving": 8,
    "paging": 8,
    "calibration": 9,
    "oracle": 9,
    "vllm_log": 10,
    "planning": 10,
    "speed": 10,
    "training": 10,
    "overheads": 8,
    "decoding": 10,
    "articles": 11,
    "formulas": 12,
    "tables": 13,
    "plots": 14,
    "widgets": 15,
    "exercises": 15,
    "cli": 16,
    "__main__": 17,
    "__init__": 18,
}

#: Modules that are not checked for a floor: the package's front door imports everything.
FRONT = {"__init__"}


def _modules() -> dict[str, Path]:
    out = {}
    for p in sorted(PKG.rglob("*.py")):
        rel = p.relative_to(PKG).with_suffix("")
        out[".".join(rel.parts)] = p
    return out


def _top(name: str) -> str:
    """The floor key of a dotted module name inside the package (``plots.serving`` -> ``plots``)."""
    return name.split(".")[0]


def _imports(name: str, path: Path) -> set[str]:
    """Package-relative dotted names imported by module ``name`` (imports inside functions too)."""
    package = name.split(".")[:-1]  # "plots.serving" and "plots.__init__" live in package ["plots"]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0:
                if not (node.module or "").startswith("vramlab"):
                    continue
                base = node.module.split(".")[1:]
            else:
                base = package[: len(package) - (node.level - 1)] + (node.module.split(".") if node.module else [])
            if base:
                found.add(".".join(base))
            else:  # from . import x
                found.update(a.name for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".", 1)[1] for a in node.names if a.name.startswith("vramlab."))
    return found


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    g: dict[str, set[str]] = {}
    for name, path in mods.items():
        src = _top(name)
        g.setdefault(src, set())
        for dep in _imports(name, path):
            dst = _top(dep)
            if dst != src:
                g[src].add(dst)
    return g


def test_every_module_has_a_floor():
    tops = {_top(n) for n in _modules()}
    assert sorted(tops - set(FLOORS)) == []


def test_the_graph_reader_sees_imports():
    # the reader itself can fail: cli imports the presets, memory imports spec
    g = _graph()
    assert "presets" in g["cli"] and "spec" in g["memory"]


def test_no_upward_imports():
    g = _graph()
    upward = sorted(
        f"{a} (floor {FLOORS[a]}) imports {b} (floor {FLOORS.get(b)})"
        for a, deps in g.items() if a not in FRONT
        for b in deps if b in FLOORS and FLOORS[b] > FLOORS[a]
    )
    assert upward == []


def test_no_import_cycles():
    g = _graph()
    seen: dict[str, int] = {}
    cycles: list[str] = []

    def visit(n: str, stack: list[str]) -> None:
        seen[n] = 1
        for d in sorted(g.get(n, ())):
            if seen.get(d) == 1:
                cycles.append(" -> ".join(stack[stack.index(d):] + [d]))
            elif d not in seen:
                visit(d, stack + [d])
        seen[n] = 2

    for n in sorted(g):
        if n not in seen:
            visit(n, [n])
    assert cycles == []


def test_no_module_over_600_lines():
    big = {n: len(p.read_text().splitlines()) for n, p in _modules().items()}
    assert {n: k for n, k in big.items() if k > 600} == {}


def test_only_the_family_table_looks_at_model_type():
    pat = re.compile(r"model_type\s*(==|!=|in\s|not in\s)")
    hits = sorted(n for n, p in _modules().items()
                  if _top(n) not in ("families", "spec") and pat.search(p.read_text()))
    assert hits == []


def test_sympy_symbols_only_in_formulas():
    pat = re.compile(r"\b(sp|sympy)\.(symbols|Symbol)\(|\bSymbol\(")
    hits = sorted(n for n, p in _modules().items() if _top(n) != "formulas" and pat.search(p.read_text()))
    assert hits == []


def test_plots_never_load_models():
    hits = sorted(n for n, p in _modules().items() if _top(n) == "plots" and "load_model" in p.read_text())
    assert hits == []


def test_every_module_has_its_test_file():
    tops = sorted({_top(n) for n in _modules()} - {"__init__", "__main__"})
    assert [t for t in tops if not (TESTS / f"test_{t}.py").exists()] == []


def test_the_readme_names_every_module_and_its_job():
    readme = (PKG.parent / "README.md").read_text()
    section = readme.split("## How the package is laid out", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `(\w+)` \|", section, flags=re.M))
    tops = {_top(n) for n in _modules()} - {"__init__", "__main__"}
    assert (sorted(tops - listed), sorted(listed - tops)) == ([], [])
