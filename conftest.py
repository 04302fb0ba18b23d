"""Root pytest configuration.

* nbval: compare text outputs only (html, svg, png, javascript and widget state are
  rendered differently on every machine).
* VRAMLAB_REQUIRE_ORACLE=1 (set by CI): a skipped ``oracle`` test fails the run;
  VRAMLAB_REQUIRE_BROWSER=1 (set by CI) does the same for ``browser`` tests.
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


_REQUIRED = {"oracle": "VRAMLAB_REQUIRE_ORACLE", "browser": "VRAMLAB_REQUIRE_BROWSER"}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.skipped:
        return
    for marker, variable in _REQUIRED.items():
        if os.environ.get(variable) == "1" and item.get_closest_marker(marker) is not None:
            report.outcome = "failed"
            report.longrepr = f"{marker} test skipped but {variable}=1: {report.longrepr}"
            return
