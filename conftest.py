"""Root pytest configuration.

* nbval: compare text outputs only (html, svg, png, javascript and widget state are
  rendered differently on every machine).
* VRAMLAB_REQUIRE_ORACLE=1 (set by CI): a skipped ``oracle`` test fails the run.
"""

import os

import pytest

_SKIP_COMPARE = (
    "text/html",
    "image/png",
    "image/svg+xml",
    "image/jpeg",
    "application/javascript",
    "application/vnd.jupyter.widget-view+json",
    "application/vnd.jupyter.widget-state+json",
    "stderr",
)


def pytest_collectstart(collector):
    if getattr(collector, "fspath", None) and collector.fspath.ext == ".ipynb":
        collector.skip_compare += _SKIP_COMPARE


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if (
        report.skipped
        and os.environ.get("VRAMLAB_REQUIRE_ORACLE") == "1"
        and item.get_closest_marker("oracle") is not None
    ):
        report.outcome = "failed"
        report.longrepr = f"oracle test skipped but VRAMLAB_REQUIRE_ORACLE=1: {report.longrepr}"
