"""Navigation of the notebook series: local links resolve and scripts/nav.py is up to date.

The link checker here is independent of scripts/nav.py; the nav tests run the script on a
throw-away series in a temporary folder and compare with nav lines written out by hand.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parent.parent
NAV = ROOT / "scripts" / "nav.py"

_MD_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HTML_LINK = re.compile(r"""(?:href|src)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def _strip_code(text: str) -> str:
    """Markdown without fenced code blocks and inline code (links there are not links)."""
    text = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    return re.sub(r"`[^`\n]*`", "", text)


def local_targets(text: str) -> list[str]:
    """Link targets in markdown/HTML text that point to local files (anchors and queries cut)."""
    text = _strip_code(text)
    out = []
    for target in _MD_LINK.findall(text) + _HTML_LINK.findall(text):
        if _SCHEME.match(target) or target.startswith(("#", "//")):
            continue
        path = unquote(target.split("#", 1)[0].split("?", 1)[0])
        if path:
            out.append(path)
    return out


def broken_links(path: Path) -> list[str]:
    """``file: target`` for every local link of a README/markdown file or notebook that does not resolve."""
    if path.suffix == ".ipynb":
        nb = json.loads(path.read_text(encoding="utf-8"))
        texts = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                 for c in nb["cells"] if c["cell_type"] == "markdown"]
    else:
        texts = [path.read_text(encoding="utf-8")]
    bad = []
    for text in texts:
        for target in local_targets(text):
            if not (path.parent / target).exists():
                bad.append(f"{path.name}: {target}")
    return bad


def _documents() -> list[Path]:
    return [ROOT / "README.md"] + sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_local_links_resolve():
    docs = _documents()
    assert any(p.suffix == ".ipynb" for p in docs), "no notebooks found"
    bad = [b for p in docs for b in broken_links(p)]
    assert bad == []


def test_link_checker_sees_broken_and_good_links(tmp_path):
    (tmp_path / "there.ipynb").write_text("{}", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    doc = tmp_path / "doc.md"
    doc.write_text(
        "[ok](there.ipynb#section) [dir](sub/) [web](https://example.org/x.ipynb) [anchor](#top)\n"
        "[gone](missing.ipynb) ![img](pics/none.png) <a href=\"also%20missing.md\">x</a>\n"
        "`[not a link](nowhere.md)`\n",
        encoding="utf-8",
    )
    assert broken_links(doc) == ["doc.md: missing.ipynb", "doc.md: pics/none.png", "doc.md: also missing.md"]


def test_nav_check_passes():
    r = subprocess.run([sys.executable, str(NAV), "--check"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, "scripts/nav.py --check found stale files:\n" + r.stdout + r.stderr


# -- scripts/nav.py on a throw-away series --------------------------------------------------

def _nb(cells: list[dict]) -> dict:
    return {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                        "language": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def _md(text: str, cid: str) -> dict:
    return {"cell_type": "markdown", "id": cid, "metadata": {}, "source": text}


def _code(cid: str) -> dict:
    return {"cell_type": "code", "id": cid, "execution_count": 7, "metadata": {},
            "outputs": [{"name": "stdout", "output_type": "stream", "text": ["42 GiB\n"]}],
            "source": "print('42 GiB')"}


@pytest.fixture()
def series(tmp_path):
    nbdir = tmp_path / "notebooks"
    nbdir.mkdir()
    (tmp_path / "README.md").write_text("# x\n\n<!-- notebooks:start -->\nold\n<!-- notebooks:end -->\n\nrest\n",
                                        encoding="utf-8")
    files = {
        "00-start-here.ipynb": _nb([_md("<!-- nav -->\n[Contents](00-start-here.ipynb)", "a"),
                                    _md("# Start here\n\nTime to learn: 15 minutes", "b"),
                                    _md("Map:\n<!-- notebooks:start -->\n<!-- notebooks:end -->", "c")]),
        "01-weights.ipynb": _nb([_md("<!-- nav -->\nstale", "a"),
                                 _md("# Weights: params to bytes\n\n**Time to learn: 20 minutes**", "b"),
                                 _code("c")]),
        "03-third-one.ipynb": _nb([_md("# Third one", "b"), _code("c")]),   # no nav cell yet
    }
    for name, nb in files.items():
        (nbdir / name).write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return tmp_path


def _run(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(NAV), "--root", str(root), *args], capture_output=True, text=True)


def _load(root: Path, name: str) -> dict:
    return json.loads((root / "notebooks" / name).read_text(encoding="utf-8"))


def _src(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def test_nav_writes_links_tables_and_is_idempotent(series):
    before = _load(series, "01-weights.ipynb")
    r = _run(series, "--check")
    assert r.returncode == 1 and "01-weights.ipynb" in r.stdout and "README.md" in r.stdout

    assert _run(series).returncode == 0
    first = _load(series, "01-weights.ipynb")
    assert _src(first["cells"][0]) == (
        "<!-- nav -->\n[← Start here](00-start-here.ipynb) | [Contents](00-start-here.ipynb) | "
        "[Third one →](03-third-one.ipynb)")
    assert _src(_load(series, "00-start-here.ipynb")["cells"][0]) == (
        "<!-- nav -->\n[Contents](00-start-here.ipynb) | [Weights: params to bytes →](01-weights.ipynb)")
    third = _load(series, "03-third-one.ipynb")
    assert _src(third["cells"][0]) == (
        "<!-- nav -->\n[← Weights: params to bytes](01-weights.ipynb) | [Contents](00-start-here.ipynb)")
    assert len(third["cells"]) == 3 and third["cells"][0]["cell_type"] == "markdown"

    # outputs and execution counts untouched
    assert first["cells"][2]["outputs"] == before["cells"][2]["outputs"]
    assert first["cells"][2]["execution_count"] == 7

    readme = (series / "README.md").read_text(encoding="utf-8")
    assert "| 01 | [Weights: params to bytes](notebooks/01-weights.ipynb) |" in readme
    assert readme.rstrip().endswith("rest") and "old" not in readme
    assert re.search(r"\| 01 \|.*\| 20 min \|", readme)
    assert re.search(r"\| 02 \| KV cache \(in preparation\) \|", readme)
    assert re.search(r"\| 03 \|.*\| – \|", readme)          # no "Time to learn" in 03
    assert "| | **Total** | | **35 min** (about 1 h) |" in readme   # 15 + 20; 03 has no time
    contents = _src(_load(series, "00-start-here.ipynb")["cells"][2])
    assert "| 00 | [Start here](00-start-here.ipynb) |" in contents and "| 15 min |" in contents

    snapshot = {p: p.read_bytes() for p in series.rglob("*") if p.is_file()}
    assert _run(series, "--check").returncode == 0
    assert _run(series).stdout == ""
    assert {p: p.read_bytes() for p in series.rglob("*") if p.is_file()} == snapshot


def test_nav_check_sees_a_changed_title(series):
    _run(series)
    path = series / "notebooks" / "03-third-one.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    nb["cells"][1]["source"] = ["# A new title"]
    path.write_text(json.dumps(nb), encoding="utf-8")
    r = _run(series, "--check")
    assert r.returncode == 1
    assert "notebooks/01-weights.ipynb" in r.stdout and "README.md" in r.stdout
    _run(series, "--only", "notebooks/01-weights.ipynb")
    assert "[A new title →](03-third-one.ipynb)" in _src(_load(series, "01-weights.ipynb")["cells"][0])
    assert "A new title" not in (series / "README.md").read_text(encoding="utf-8")
