"""Ctrl+C during a long job: the job is asked to stop, cleans up, then Cancelled is raised."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
from rich.console import Console

from sequencer.errors import Cancelled
from tui.jobs import Report, run_with_progress


def test_ctrl_c_cancels_and_waits_for_the_job_to_clean_up() -> None:
    steps: list[str] = []

    def job(report: Report, cancel: threading.Event) -> str:
        steps.append("started")
        while not cancel.wait(0.01):
            report(1, 10, "working")
        time.sleep(0.2)  # cleaning up takes a moment: the caller must wait for it
        steps.append("cleaned up")
        raise Cancelled("job cancelled")

    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    with pytest.raises(Cancelled):
        run_with_progress(Console(file=open(os.devnull, "w")), "job", job)  # noqa: SIM115
    assert steps == ["started", "cleaned up"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_finished_job_returns_its_result() -> None:
    assert run_with_progress(Console(file=open(os.devnull, "w")), "job", lambda r, c: 42) == 42  # noqa: SIM115
