"""The leftover-process check in conftest.py finds this run's marked processes, and only those."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import leftover_service_processes

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs Linux /proc")


def test_a_marked_process_of_this_session_is_found_and_no_other():
    sleeper = [sys.executable, "-c", "import time; time.sleep(30)"]
    env = {k: v for k, v in os.environ.items() if k != "BOOK_SERVICE"}
    assert env.get("BOOK_TEST_SESSION"), "conftest.py gives every session a token"
    marked = subprocess.Popen(sleeper, env={**env, "BOOK_SERVICE": "test"})
    unmarked = subprocess.Popen(sleeper, env=env)
    other_run = subprocess.Popen(sleeper, env={**env, "BOOK_SERVICE": "test",
                                               "BOOK_TEST_SESSION": "another-run"})
    try:
        pids = [pid for pid, _ in leftover_service_processes()]
        assert marked.pid in pids
        assert unmarked.pid not in pids
        assert other_run.pid not in pids  # another run's services are not this run's business
        assert other_run.pid in [pid for pid, _ in leftover_service_processes(session="")]
    finally:
        for proc in (marked, unmarked, other_run):
            proc.kill()
            proc.wait(timeout=10)
    assert marked.pid not in [pid for pid, _ in leftover_service_processes()]
