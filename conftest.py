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


# Processes a notebook starts for a running service (the capstone's app servers, workers,
# balancer, collector, Redis) carry BOOK_SERVICE in their environment, and, inherited from this
# pytest session through the notebook's kernel, BOOK_TEST_SESSION with this session's token. So
# a run can tell whether any of *its* service processes outlived the notebook, without touching
# another run's (a developer's notebook, a second pytest) on the same machine.
SERVICE_MARKER = b"BOOK_SERVICE="
SESSION_VARIABLE = "BOOK_TEST_SESSION"


def pytest_configure(config):
    """Give this session a token that every kernel, and every process a kernel starts, inherits."""
    import os
    import uuid
    os.environ.setdefault(SESSION_VARIABLE, uuid.uuid4().hex)


def leftover_service_processes(session: str | None = None) -> list[tuple[int, str]]:
    """(pid, command line) of every live process whose environment holds SERVICE_MARKER and
    this session's token (or, with session="", any token)."""
    import os
    token = os.environ.get(SESSION_VARIABLE, "") if session is None else session
    wanted = f"{SESSION_VARIABLE}={token}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as env:
                variables = env.read().split(b"\0")
            if not any(v.startswith(SERVICE_MARKER) for v in variables):
                continue
            if token and wanted not in variables:
                continue
            with open(f"/proc/{entry}/cmdline", "rb") as cmd:
                cmdline = cmd.read().replace(b"\0", b" ").decode(errors="replace").strip()
            with open(f"/proc/{entry}/stat", "rb") as stat:
                if stat.read().rsplit(b")", 1)[1].split()[0] == b"Z":
                    continue  # a zombie has exited already; only its parent's wait is missing
        except OSError:  # gone meanwhile, or not ours to read
            continue
        found.append((int(entry), cmdline))
    return sorted(found)


def pytest_sessionfinish(session, exitstatus):
    """Fail the run if a notebook left a service process behind (and stop those processes)."""
    import os
    import signal
    if not os.path.isdir("/proc") or os.environ.get("BOOK_SERVICE"):
        return
    left = leftover_service_processes()
    for pid, _ in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    if left:
        lines = "\n".join(f"  pid {pid}: {cmd[:120]}" for pid, cmd in left)
        print(f"\nservice processes left behind by the notebooks (now killed):\n{lines}")
        session.exitstatus = 1
