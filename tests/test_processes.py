"""The leftover-process check in conftest.py finds a marked process, and only marked ones."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import leftover_service_processes

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs Linux /proc")


def test_a_marked_process_is_found_and_an_unmarked_one_is_not():
    sleeper = [sys.executable, "-c", "import time; time.sleep(30)"]
    env = {k: v for k, v in os.environ.items() if k != "BOOK_SERVICE"}
    marked = subprocess.Popen(sleeper, env={**env, "BOOK_SERVICE": "test"})
    unmarked = subprocess.Popen(sleeper, env=env)
    try:
        pids = [pid for pid, _ in leftover_service_processes()]
        assert marked.pid in pids
        assert unmarked.pid not in pids
    finally:
        for proc in (marked, unmarked):
            proc.kill()
            proc.wait(timeout=10)
    assert marked.pid not in [pid for pid, _ in leftover_service_processes()]
