"""`distflow dev` (the README's first command) stops its whole stack when asked to by a signal: Ctrl-C (even when
started as a background job, where SIGINT comes ignored), a supervisor's SIGTERM or a closed terminal's SIGHUP must
leave no broker, Redis, worker, API or simulator behind."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
WAIT_LIMIT_S = 30.0  # a bound on waiting for the stack, never a figure under test


def children_of(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rpartition(")")[2].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def ignoring_sigint() -> None:
    """As a shell starts a background job: SIGINT ignored (Python then keeps ignoring it unless told otherwise)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_stops_the_whole_dev_stack(tmp_path: Path, stop_signal: signal.Signals) -> None:
    dev = subprocess.Popen([sys.executable, "-m", "streams.cli", "dev", "--rate", "20", "--run-dir", str(tmp_path)],
                           cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           preexec_fn=ignoring_sigint)
    assert dev.stdout is not None
    try:
        deadline = time.time() + 3 * WAIT_LIMIT_S
        for line in dev.stdout:
            if "Ctrl-C stops everything" in line:
                break
            assert time.time() < deadline, "the dev stack did not come up"
        started = children_of(dev.pid)
        assert len(started) >= 5  # broker, Redis, worker, API, simulator

        dev.send_signal(stop_signal)
        output = dev.communicate(timeout=2 * WAIT_LIMIT_S)[0]
    finally:
        if dev.poll() is None:
            dev.kill()

    assert "stopped: no process left behind" in output
    assert [pid for pid in started if running(pid)] == []
