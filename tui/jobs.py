"""Run a long domain job from the command line with a rich progress bar.

The job runs in a worker thread with a ``threading.Event`` to cancel it; the
main thread draws the progress and turns Ctrl+C into a cancel, so the job
stops cleanly at its next block instead of dying mid-write.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from sequencer.errors import Cancelled

T = TypeVar("T")

#: A job's progress callback: (done, total, what it is doing now).
Report = Callable[[float, float, str], None]


def run_with_progress(
    console: Console,
    title: str,
    job: Callable[[Report, threading.Event], T],
) -> T:
    """Run ``job(report, cancel)`` in a thread, showing its progress on ``console``.

    Parameters
    ----------
    console
        Where the bar is drawn (stderr); without a terminal no bar is drawn.
    title
        What the bar says before the job reports anything.
    job
        The work; it calls ``report(done, total, description)`` as it goes and
        checks ``cancel.is_set()``.

    Returns
    -------
    T
        What the job returned.

    Raises
    ------
    Cancelled
        When the user pressed Ctrl+C (the job was asked to stop and did).
    Exception
        Whatever the job raised.
    """
    cancel = threading.Event()
    outcome: dict[str, object] = {}
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    task = progress.add_task(title, total=None)

    def report(done: float, total: float, description: str) -> None:
        progress.update(task, completed=done, total=total or None, description=description or title)

    def work() -> None:
        try:
            outcome["result"] = job(report, cancel)
        except BaseException as error:  # handed to the main thread and raised there
            outcome["error"] = error

    done = threading.Event()

    def run() -> None:
        try:
            work()
        finally:
            done.set()

    # Ctrl+C only asks the job to stop: the job cleans up (no partial file under a
    # final name) and returns, then Cancelled is raised here. (Waiting with
    # Thread.join and catching KeyboardInterrupt is unreliable on Python 3.11: an
    # interrupted join can report a running thread as finished.)
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGINT, lambda *_: cancel.set())
    thread = threading.Thread(target=run, name=f"runout: {title}", daemon=True)
    try:
        with progress:
            thread.start()
            while not done.wait(0.1):
                if cancel.is_set():
                    progress.update(task, description="cancelling…")
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    if cancel.is_set():
        raise Cancelled(f"{title}: cancelled")
    return outcome["result"]  # type: ignore[return-value]
