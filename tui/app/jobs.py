"""The long jobs the app runs, as plain functions over the core (no Textual here).

Each takes a ``progress(done, total, what)`` callback and a cancel event, like
the command line's jobs, so the app's thread workers only wrap them. Where a
job exists in the core (``deliver``, ``make_vinyl``), it is called as the
command line calls it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sequencer.analysis import TrackAnalysis
from sequencer.batch import analyse_sources, default_workers
from sequencer.cache import AnalysisCache
from sequencer.errors import RunoutError
from sequencer.session import Session
from sequencer.timeline import probe_sources

if TYPE_CHECKING:
    from sequencer.deliver import Deliverable

__all__ = [
    "Progress",
    "analyse_in_batches",
    "cutsheet_path",
    "digital_folder",
    "render_digital",
    "render_sides",
    "vinyl_folder",
]

#: A job's progress callback: (done, total, what it is doing).
Progress = Callable[[float, float, str], None]


def digital_folder(session_path: Path, preset: str | None) -> Path:
    """Return where ``runout render`` puts the digital deliverables of a session.

    Parameters
    ----------
    session_path : Path
        The session file.
    preset : str or None
        The preset, or None for the session's settings.

    Returns
    -------
    Path
        ``NAME-PRESET`` (or ``NAME-master``) next to the session.
    """
    return session_path.with_name(f"{session_path.stem}-{preset or 'master'}")


def vinyl_folder(session_path: Path) -> Path:
    """Return where ``runout vinyl`` puts the side files of a session.

    Parameters
    ----------
    session_path : Path
        The session file.

    Returns
    -------
    Path
        ``NAME-vinyl`` next to the session.
    """
    return session_path.with_name(f"{session_path.stem}-vinyl")


def cutsheet_path(session_path: Path, session: Session) -> Path:
    """Return where ``runout vinyl`` and ``runout cutsheet`` put the cut sheet.

    Parameters
    ----------
    session_path : Path
        The session file.
    session : Session
        The session (its catalogue number names the file).

    Returns
    -------
    Path
        ``CAT001_cutsheet.pdf`` (see :func:`vinyl.cutsheet.cutsheet_file_name`)
        in the vinyl folder.
    """
    # Imported here: the cut sheet module loads reportlab, which the first paint does not need.
    from vinyl.cutsheet import cutsheet_file_name

    return vinyl_folder(session_path) / cutsheet_file_name(session)


@dataclass(frozen=True)
class AnalysisBatch:
    """Analyses that arrived together."""

    analyses: dict[str, TrackAnalysis]
    """By source path (resolved, as text)."""
    error: RunoutError | None = None
    """A source of this batch that failed (the batch's other sources may be missing too)."""


def analyse_in_batches(
    paths: Sequence[Path],
    *,
    cache: AnalysisCache | None,
    workers: int | None,
    progress: Progress,
    cancel: threading.Event,
) -> Any:
    """Analyse sources a few at a time, yielding each batch as it finishes.

    Cached analyses come first, in one batch; the others are measured in
    batches of one per worker process, so the screen fills in as tracks finish
    while every core is busy.

    Parameters
    ----------
    paths : sequence of Path
        The sources.
    cache : AnalysisCache or None
        The analysis cache.
    workers : int or None
        Worker processes; one per core by default.
    progress : Progress
        Called with (frames done, frames in all, what).
    cancel : threading.Event
        Stops the analysis (:class:`sequencer.errors.Cancelled` is raised).

    Yields
    ------
    AnalysisBatch
        The analyses of a batch, or the error of a batch that failed.
    """
    resolved = list(dict.fromkeys(Path(p).resolve() for p in paths))
    ready: dict[str, TrackAnalysis] = {}
    todo: list[Path] = []
    for path in resolved:
        cached = cache.get(path) if cache is not None else None
        if cached is not None:
            ready[str(path)] = cached
        else:
            todo.append(path)
    yield AnalysisBatch(ready)
    if not todo:
        progress(1, 1, f"analysed {len(resolved)} tracks")
        return
    sizes: dict[Path, int] = {}
    for path in todo:
        try:
            sizes[path] = probe_sources_frames(path)
        except RunoutError as error:
            yield AnalysisBatch({}, error)
    todo = [p for p in todo if p in sizes]
    total = sum(sizes.values())
    step = max(1, workers or default_workers())
    done_before = 0
    for start in range(0, len(todo), step):
        batch = todo[start : start + step]

        what = f"analysing {start + 1}-{start + len(batch)} of {len(todo)}"

        def report(
            done: int,
            _total: int,
            _finished: int,
            _count: int,
            base: int = done_before,
            what: str = what,
        ) -> None:
            progress(base + done, total, what)

        try:
            results = analyse_sources(
                batch, cache=cache, workers=len(batch), progress=report, cancel=cancel
            )
        except RunoutError as error:
            if cancel.is_set():
                raise
            yield AnalysisBatch({}, error)
        else:
            yield AnalysisBatch({str(p): a for p, a in zip(batch, results, strict=True)})
        done_before += sum(sizes[p] for p in batch)
        progress(done_before, total, f"analysed {start + len(batch)} of {len(todo)}")


def probe_sources_frames(path: Path) -> int:
    """Return the length of a source in frames (AudioError naming it when unreadable).

    Parameters
    ----------
    path : Path
        The source file.

    Returns
    -------
    int
        Frames per channel.
    """
    from sequencer.audio import probe

    return probe(path).frames


def render_digital(
    session: Session,
    out_dir: Path,
    preset: str | None,
    analyses: Mapping[str, TrackAnalysis],
    *,
    progress: Progress,
    cancel: threading.Event,
) -> Deliverable:
    """Render the digital deliverables, as ``runout render`` does.

    Parameters
    ----------
    session : Session
        The album.
    out_dir : Path
        The output folder.
    preset : str or None
        ``cd``, ``streaming``, ``hires`` or None for the session's settings.
    analyses : Mapping of str to TrackAnalysis
        The analyses by track id.
    progress : Progress
        Progress callback.
    cancel : threading.Event
        Stops the render.

    Returns
    -------
    Deliverable
        What was written.
    """
    from sequencer.deliver import Preset, deliver  # the render engine: loaded when used

    return deliver(
        session,
        out_dir,
        preset=Preset(preset) if preset else None,
        analyses=analyses,
        cache=AnalysisCache(),
        progress=progress,
        cancel=cancel,
    )


def render_sides(
    session: Session,
    out_dir: Path,
    analyses: Mapping[str, TrackAnalysis],
    *,
    progress: Progress,
    cancel: threading.Event,
) -> Any:
    """Check the sides, write the side files and the cut sheet, as ``runout vinyl`` does.

    Parameters
    ----------
    session : Session
        The album; its sides, or a proposed split when it has none.
    out_dir : Path
        The output folder.
    analyses : Mapping of str to TrackAnalysis
        The analyses by track id.
    progress : Progress
        Progress callback.
    cancel : threading.Event
        Stops the job.

    Returns
    -------
    vinyl.workflow.VinylResult
        The side reports and files; ``result.cutsheet`` is the cut sheet PDF.
    """
    from vinyl.workflow import make_vinyl, plan_vinyl

    sources = probe_sources(session.ordered_tracks())
    plan = plan_vinyl(session, sources)
    return make_vinyl(
        session,
        plan,
        out_dir,
        analyses=analyses,
        progress=progress,
        cancel=cancel,
        cutsheet=True,
    )
