"""Run a long domain job from the command line with a rich progress bar.

The job runs in a worker thread with a ``threading.Event`` to cancel it; the
main thread draws the progress and turns Ctrl+C into a cancel, so the job
stops cleanly at its next block instead of dying mid-write.
"""

from __future__ import annotations

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

    thread = threading.Thread(target=work, name=f"runout: {title}", daemon=True)
    with progress:
        thread.start()
        while thread.is_alive():
            try:
                thread.join(timeout=0.1)
            except KeyboardInterrupt:
                cancel.set()
                progress.update(task, description="cancelling…")
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    if cancel.is_set():
        raise Cancelled(f"{title}: cancelled")
    return outcome["result"]  # type: ignore[return-value]
