"""The calculator app (notebooks/app.ipynb, what Binder serves) and notebook 08 as Voila apps in a
real headless Chromium: change an input, read the new total.

Needs Debian's Chromium at /usr/bin/chromium (``apt-get install chromium chromium-driver``; another
path: ``VRAMLAB_CHROMIUM``),
Playwright's Python package and Voila. Without Chromium the test is skipped and says why;
with ``VRAMLAB_REQUIRE_BROWSER=1`` (set by CI, which installs Chromium) it fails instead.
A screenshot is saved to tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import vramlab as vl

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
#: Notebooks whose calculator is driven: the Voila app, and notebook 08's "Try it".
NOTEBOOKS = ("app.ipynb", "08-plan-your-deployment.ipynb")
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = os.environ.get("VRAMLAB_CHROMIUM", "/usr/bin/chromium")   # Debian's package
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-quic"]

# The calculator of both notebooks: Calculator(model=MODEL, tokens=TOKENS,
# concurrency=CONCURRENCY, weight_dtype="bf16", kv_dtype="bf16", gpu="RTX 4090"), margin 0.1.
MODEL, TOKENS, CONCURRENCY, GPU = "Qwen/Qwen3-8B", 32768, 4, "RTX 4090"
NEW_CONCURRENCY = 8

TIMEOUT_MS = 240_000


def _missing(reason: str):
    if os.environ.get("VRAMLAB_REQUIRE_BROWSER") == "1":
        pytest.fail(f"VRAMLAB_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"voila exited with code {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"voila did not listen on 127.0.0.1:{port} within {timeout:.0f} s")


@pytest.fixture(scope="module", params=NOTEBOOKS)
def voila_url(request, tmp_path_factory):
    if not Path(CHROMIUM).exists():
        _missing(f"Chromium is absent ({CHROMIUM} not found): apt-get install chromium chromium-driver to run it")
    try:
        import playwright  # noqa: F401
        import voila  # noqa: F401
    except ImportError as exc:
        _missing(f"the browser test needs playwright and voila (pip install -e '.[browser]'): {exc}")
    port = _free_port()
    runtime = tmp_path_factory.mktemp("jupyter-runtime")
    log = open(runtime / "voila.log", "w")
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(runtime), "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "voila", str(ROOT / "notebooks" / request.param), "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1"],
        cwd=ROOT / "notebooks", stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
    )
    try:
        _wait_for_port(port, proc)
        yield f"http://127.0.0.1:{port}/"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)     # voila and the kernel it started
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()


_TOTAL = re.compile(r"^\s*total\s+([\d,.]+ GB)\s+([\d,.]+ GiB)\s*$", re.M)


def _totals(text: str) -> tuple[str, str]:
    found = _TOTAL.search(text)
    assert found, f"no total line in the calculator's breakdown:\n{text}"
    return found.group(1), found.group(2)


def _expected(concurrency: int) -> tuple[str, str]:
    total = vl.estimate(MODEL, TOKENS, concurrency, "bf16", "bf16", 0.1).total
    return vl.format_bytes(total, "GB"), vl.format_bytes(total, "GiB")


def test_calculator_in_voila_updates_the_total(voila_url):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(voila_url, timeout=TIMEOUT_MS)
            breakdown = page.locator(".vramlab-breakdown")
            breakdown.locator("pre").wait_for(timeout=TIMEOUT_MS)
            before = breakdown.inner_text()
            assert f"{CONCURRENCY} x {TOKENS:,} tokens" in before
            assert _totals(before) == _expected(CONCURRENCY)

            box = page.locator(".vramlab-concurrency input")
            box.fill(str(NEW_CONCURRENCY))
            box.press("Enter")                       # continuous_update=False: commit on Enter
            page.wait_for_function(
                "([sel, want]) => document.querySelector(sel).innerText.includes(want)",
                arg=[".vramlab-breakdown", f"{NEW_CONCURRENCY} x {TOKENS:,} tokens"], timeout=60_000,
            )
            after = breakdown.inner_text()
            assert _totals(after) == _expected(NEW_CONCURRENCY)
            assert _totals(after) != _totals(before)
            verdict = page.locator(".vramlab-verdict").inner_text()
            fit = vl.fit(MODEL, GPU, TOKENS, NEW_CONCURRENCY, "bf16", "bf16", 0.1)
            assert verdict.strip().splitlines()[0] == fit.verdict().splitlines()[0]
            page.locator(".vramlab-calculator").screenshot(path=str(ARTIFACTS / "calculator-voila.png"))
            name = page.url.rstrip("/").rsplit("/", 1)[-1] or "voila"
            page.screenshot(path=str(ARTIFACTS / f"{name}-voila.png"), full_page=False)
        finally:
            browser.close()


BAD_CONFIG = '{"model_type": "llama", "hidden_size": 4096'


def test_export_button_and_bad_config_message(voila_url):
    """The CSV export downloads the table shown; a bad pasted config.json shows one message
    and no broken image."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
            page.goto(voila_url, timeout=TIMEOUT_MS)
            page.locator(".vramlab-breakdown pre").wait_for(timeout=TIMEOUT_MS)
            button = page.locator(".vramlab-export-csv")
            button.wait_for(timeout=60_000)
            with page.expect_download(timeout=60_000) as download:
                button.click()
            assert download.value.suggested_filename == "vramlab-estimate.csv"
            rows = [line.split(",") for line in Path(download.value.path()).read_text().splitlines()]
            total = vl.estimate(MODEL, TOKENS, CONCURRENCY, "bf16", "bf16", 0.1).total
            assert rows[0] == ["part", "bytes", "GB", "GiB"] and rows[-1][:2] == ["total", str(total)]

            box = page.locator(".vramlab-config textarea")
            box.fill(BAD_CONFIG)
            box.evaluate("e => e.blur()")              # continuous_update=False: commit on blur
            message = "config.json is not valid JSON"
            page.wait_for_function("want => document.body.innerText.includes(want)", arg=message, timeout=60_000)
            assert page.evaluate("want => document.body.innerText.split(want).length - 1", message) == 1
            assert page.locator(".vramlab-figure").is_hidden()
            broken = page.evaluate("[...document.images].filter(i => i.offsetParent !== null"
                                   " && (!i.getAttribute('src') || (i.complete && i.naturalWidth === 0))).length")
            assert broken == 0
            assert page.locator(".vramlab-export").count() == 0
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "calculator-bad-config.png"), full_page=False)
        finally:
            browser.close()
