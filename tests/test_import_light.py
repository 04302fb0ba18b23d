"""`import vramlab` (and the command line) must not load heavy libraries.

sympy, pandas, matplotlib, ipywidgets and torch are imported inside the functions that
need them, so that `import vramlab` and `vramlab estimate ...` start fast.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("sympy", "pandas", "matplotlib", "ipywidgets", "torch", "transformers")


def heavy_modules_after(code: str) -> list[str]:
    """Heavy top-level packages present in sys.modules after running ``code`` in a fresh process."""
    probe = (
        f"{code}\nimport json, sys\n"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({list(HEAVY)!r}))))"
    )
    res = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_probe_detects_a_heavy_import():
    # the probe itself can fail: a heavy import is seen
    assert heavy_modules_after("import sympy") == ["sympy"]


@pytest.mark.parametrize(
    "code",
    [
        "import vramlab",
        "import vramlab as vl; vl.estimate('Qwen/Qwen3-8B', tokens=4096); str(vl.estimate('Qwen/Qwen3-8B'))",
        "from vramlab.cli import main; main(['models']); main(['params', 'Qwen/Qwen3-30B-A3B'])",
        "from vramlab.cli import main; main(['estimate', 'Qwen/Qwen3-8B', '--tokens', '32768'])",
    ],
)
def test_import_is_light(code):
    assert heavy_modules_after(code) == []
