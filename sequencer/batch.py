"""Analyse many sources: cached results first, the rest in parallel processes.

Each uncached source is analysed in one worker process (tracks are independent,
and the meters are single-threaded numpy), with progress and cancellation
carried across processes by a queue and an event.
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sequencer.analysis import METER_MODULES, CancelEvent, TrackAnalysis, analyse_file
from sequencer.audio import DEFAULT_BLOCK_FRAMES, probe
from sequencer.cache import AnalysisCache
from sequencer.errors import AnalysisError, Cancelled, RunoutError

if TYPE_CHECKING:
    from concurrent.futures import Future
    from multiprocessing.context import BaseContext

logger = logging.getLogger(__name__)

#: Progress callback for a batch: (frames done, frames in all, sources finished, sources in all).
BatchProgress = Callable[[int, int, int, int], None]

#: Called with (source, its analysis) as each source's analysis is ready.
ResultCallback = Callable[[Path, TrackAnalysis], None]

_worker_progress: Any = None
_worker_cancel: Any = None


def _initialise_worker(progress_queue: Any, cancel_event: Any) -> None:
    """Keep the queue and event handed to this worker process.

    Ctrl+C is ignored in workers: the parent turns it into the cancel event, so
    every worker stops at a block boundary instead of dying with a traceback.
    """
    global _worker_progress, _worker_cancel
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker_progress = progress_queue
    _worker_cancel = cancel_event


def _analyse_in_worker(index: int, path: str, block_frames: int) -> TrackAnalysis:
    """Analyse one source inside a worker, reporting progress to the parent."""

    def report(done: int, _total: int) -> None:
        _worker_progress.put((index, done))

    return analyse_file(
        Path(path), block_frames=block_frames, progress=report, cancel=_worker_cancel
    )


def _process_context() -> BaseContext:
    """Forkserver where available (safe beside threads, cheap per worker), else spawn."""
    # Imported here: the app imports this module before its first paint, without workers.
    import multiprocessing

    if sys.platform.startswith("linux"):
        context = multiprocessing.get_context("forkserver")
        # "__main__" makes the server import the main script once, so workers do not
        # each import it again; scipy.signal is the slow import (about a second).
        context.set_forkserver_preload(
            ["__main__", "scipy.signal", "sequencer.analysis", *METER_MODULES]
        )
        return context
    return multiprocessing.get_context("spawn")


def start_process_server(*, tracker_only: bool = False) -> None:
    """Start the server that forks the analysis workers, when the platform uses one.

    On Linux the workers come from a forkserver, and multiprocessing's resource
    tracker is started with it, handing the tracker ``sys.stderr``'s file
    descriptor. Call this before anything replaces ``sys.stderr`` with an
    object without one (a full-screen terminal app capturing prints, whose
    ``fileno()`` is -1): started from there, the launch fails with
    ``ValueError: bad value(s) in fds_to_keep``. Calling it again is cheap;
    where workers are spawned (macOS, Windows) it does nothing. When the server
    cannot start, a warning is logged.

    Parameters
    ----------
    tracker_only : bool, optional
        Start only the resource tracker, the part that needs the real
        ``sys.stderr``; the server itself (whose preloads take about a second of
        CPU) then starts with the first analysis that needs worker processes.
    """
    if not sys.platform.startswith("linux"):
        return
    from multiprocessing import forkserver, resource_tracker

    _process_context()  # sets the preloads the server is started with
    try:
        if tracker_only:
            resource_tracker.ensure_running()
        else:
            forkserver.ensure_running()
    except (OSError, ValueError) as error:  # pragma: no cover - depends on the host
        logger.warning("cannot start the analysis process server: %s", error)


def default_workers() -> int:
    """One worker per available core."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def analyse_sources(
    paths: Sequence[Path],
    *,
    cache: AnalysisCache | None = None,
    workers: int | None = None,
    block_frames: int = DEFAULT_BLOCK_FRAMES,
    progress: BatchProgress | None = None,
    cancel: CancelEvent | None = None,
    on_result: ResultCallback | None = None,
) -> list[TrackAnalysis]:
    """Analyse ``paths``, using and filling the cache, in parallel where it helps.

    Parameters
    ----------
    paths
        Source files; the result has the same order.
    cache
        Where analyses are kept; ``None`` disables caching.
    workers
        Worker processes; default one per core. With one worker, or one
        source to analyse, the work runs in this process.
    block_frames
        Frames per block when reading.
    progress
        Called with (frames done, frames in all, sources finished, sources in all).
    cancel
        When set, the workers stop at their next block and :class:`Cancelled`
        is raised.
    on_result
        Called once per source with (the source, resolved; its analysis) as
        soon as that analysis is ready: the cached ones first, then each one as
        it finishes; never for a source that fails. It runs in the calling
        thread.

    Returns
    -------
    list of TrackAnalysis
        One analysis per path, in order.

    Raises
    ------
    RunoutError
        The first source (in the given order) that failed, after the others
        finished; :class:`Cancelled` when cancelled.
    """
    resolved = [Path(p).resolve() for p in paths]
    results: dict[int, TrackAnalysis] = {}
    todo: list[int] = []
    for index, path in enumerate(resolved):
        cached = cache.get(path) if cache is not None else None
        if cached is not None:
            results[index] = cached
            if on_result is not None:
                on_result(path, cached)
        else:
            todo.append(index)
    sizes = {index: probe(resolved[index]).frames for index in todo}
    # Fingerprints from before the analysis: a file replaced while it is being
    # analysed must not have the old result stored under its new identity.
    fingerprints = {index: cache.fingerprint(resolved[index]) for index in todo} if cache else {}

    def store(index: int, analysis: TrackAnalysis) -> None:
        results[index] = analysis
        if cache is not None:
            cache.put(resolved[index], analysis, fingerprints[index])
        if on_result is not None:
            on_result(resolved[index], analysis)

    total = sum(sizes.values())

    def report(done: int) -> None:
        if progress is not None:
            progress(done, total, len(results), len(resolved))

    report(0)
    workers = min(workers or default_workers(), len(todo))
    failures: dict[int, RunoutError] = {}
    if workers <= 1:
        done_before = 0
        for index in todo:
            if cancel is not None and cancel.is_set():
                raise Cancelled("analysis cancelled")

            def track_progress(done: int, _total: int, base: int = done_before) -> None:
                report(base + done)

            try:
                analysis = analyse_file(
                    resolved[index],
                    block_frames=block_frames,
                    progress=track_progress,
                    cancel=cancel,
                )
            except Cancelled:
                raise
            except RunoutError as error:  # raised after the others, as from the pool
                failures[index] = error
            else:
                store(index, analysis)
            done_before += sizes[index]
            report(done_before)
    else:
        failures = _analyse_in_pool(
            resolved, todo, sizes, workers, block_frames, store, report, cancel
        )
    if failures:
        raise failures[min(failures)]
    return [results[index] for index in range(len(resolved))]


def _analyse_in_pool(
    resolved: list[Path],
    todo: list[int],
    sizes: dict[int, int],
    workers: int,
    block_frames: int,
    store: Callable[[int, TrackAnalysis], None],
    report: Callable[[int], None],
    cancel: CancelEvent | None,
) -> dict[int, RunoutError]:
    """Run the uncached analyses in worker processes; return the failures by index."""
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    # Each worker is single-threaded: one BLAS thread per process avoids oversubscription.
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")
    # Blocks of about a megabyte are allocated and freed all the time; glibc would
    # map and unmap each one (a page fault per page, about a fifth of the analysis
    # time). Keeping them on the heap costs a few tens of megabytes, reused.
    os.environ.setdefault("MALLOC_MMAP_THRESHOLD_", str(32 * 1024 * 1024))
    os.environ.setdefault("MALLOC_TRIM_THRESHOLD_", str(128 * 1024 * 1024))
    context = _process_context()
    progress_queue = context.Queue()
    cancel_event = context.Event()
    frames_done = dict.fromkeys(todo, 0)
    failures: dict[int, RunoutError] = {}
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_initialise_worker,
        initargs=(progress_queue, cancel_event),
    ) as pool:
        # Longest first, so the last worker to finish is not left with a long track.
        futures: dict[Future[TrackAnalysis], int] = {
            pool.submit(_analyse_in_worker, index, str(resolved[index]), block_frames): index
            for index in sorted(todo, key=lambda i: -sizes[i])
        }
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
            if cancel is not None and cancel.is_set():
                cancel_event.set()
            _drain(progress_queue, frames_done)
            for future in done:
                index = futures[future]
                try:
                    analysis = future.result()
                except RunoutError as error:
                    failures[index] = error
                    continue
                except Exception as error:  # a worker that died, or a bug: name the file
                    failures[index] = AnalysisError(
                        f"{resolved[index]}: the analysis failed ({type(error).__name__}: {error})"
                    )
                    continue
                store(index, analysis)
                frames_done[index] = sizes[index]
            report(sum(frames_done.values()))
    _drain(progress_queue, frames_done)
    if cancel_event.is_set() or (cancel is not None and cancel.is_set()):
        raise Cancelled("analysis cancelled")
    return failures


def _drain(progress_queue: Any, frames_done: dict[int, int]) -> None:
    """Take every progress report waiting in the queue."""
    while True:
        try:
            index, done = progress_queue.get_nowait()
        except queue.Empty:
            return
        frames_done[index] = max(frames_done[index], done)
