"""pytest configuration shared by the notebook run (nbval) and the book-wide checks."""
from __future__ import annotations

import collections

# Build Matplotlib's font cache here, once, before any notebook kernel starts: on a fresh
# machine the first import prints "Matplotlib is building the font cache" to stderr, which
# would land in a cell's output and fail the comparison.
import matplotlib.font_manager  # noqa: F401

_notebook_seconds: dict[str, float] = collections.defaultdict(float)


def pytest_collectstart(collector):
    """Make nbval compare figures too.

    nbval skips image/png by default, so a figure that changed on re-execution would pass.
    Figures here are rendered deterministically (pinned Matplotlib, seeded data), so the
    committed PNG must equal the fresh one byte for byte. Cells whose output is legitimately
    variable (benchmarks) carry the nbval-ignore-output tag, which covers their figures too.
    """
    if type(collector).__name__ == "IPyNbFile":
        collector.skip_compare = tuple(k for k in collector.skip_compare if k != "image/png")


def pytest_runtest_logreport(report):
    """Add up the run time of every notebook's cells."""
    if report.nodeid.endswith(".ipynb") or ".ipynb::" in report.nodeid:
        _notebook_seconds[report.nodeid.split("::")[0]] += report.duration


def pytest_terminal_summary(terminalreporter):
    """Print each notebook's run time, slowest first (the budget is 30 s per notebook)."""
    if not _notebook_seconds:
        return
    terminalreporter.section("notebook run times")
    for path, seconds in sorted(_notebook_seconds.items(), key=lambda kv: -kv[1]):
        terminalreporter.write_line(f"{seconds:6.1f} s  {path}")
    terminalreporter.write_line(f"{sum(_notebook_seconds.values()):6.1f} s  total")


def pytest_addoption(parser):
    """`--site _build/html`: check the built site in a browser (tests/test_site.py)."""
    parser.addoption("--site", default="", help="a built site to check in Chromium (tests/test_site.py)")
