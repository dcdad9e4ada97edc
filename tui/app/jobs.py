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
from typing import Any

from sequencer.analysis import TrackAnalysis
from sequencer.batch import analyse_sources, default_workers
from sequencer.cache import AnalysisCache
from sequencer.deliver import Deliverable, Preset, deliver
from sequencer.errors import RunoutError
from sequencer.session import Session
from sequencer.timeline import SourceInfo, probe_sources

__all__ = [
    "CUTSHEET_NAME",
    "Progress",
    "analyse_in_batches",
    "check_sides",
    "digital_folder",
    "render_digital",
    "render_sides",
    "vinyl_folder",
    "write_cutsheet",
]

#: A job's progress callback: (done, total, what it is doing).
Progress = Callable[[float, float, str], None]

#: File name of the cut sheet inside the vinyl folder.
CUTSHEET_NAME = "cutsheet.pdf"


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
    """Check the sides and write the side files, as ``runout vinyl`` does.

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
        The side reports and files.
    """
    from vinyl.workflow import make_vinyl, plan_vinyl

    sources = probe_sources(session.ordered_tracks())
    plan = plan_vinyl(session, sources)
    return make_vinyl(session, plan, out_dir, analyses=analyses, progress=progress, cancel=cancel)


def check_sides(
    session: Session,
    sources: Mapping[str, SourceInfo],
    analyses: Mapping[str, TrackAnalysis],
    *,
    progress: Progress,
    cancel: threading.Event,
) -> tuple[Any, ...]:
    """Check the session's sides (groove space, low end, sibilance, hygiene) without files.

    The first half of :func:`vinyl.workflow.make_vinyl`, with the same gains
    and processing, so the verdicts match the side files'.

    Parameters
    ----------
    session : Session
        The album, with sides.
    sources : Mapping of str to SourceInfo
        The sources by track id.
    analyses : Mapping of str to TrackAnalysis
        The analyses by track id.
    progress : Progress
        Progress callback.
    cancel : threading.Event
        Stops the checks.

    Returns
    -------
    tuple of vinyl.sidecheck.SideReport
        One report per side.
    """
    from vinyl.premaster import VinylLevelPolicy, vinyl_gain_plan
    from vinyl.processing import vinyl_chain
    from vinyl.sidecheck import check_layout
    from vinyl.workflow import plan_vinyl

    layout = plan_vinyl(session, sources).layout
    policy = VinylLevelPolicy()
    track_ids = tuple(t for side in layout.sides for t in side.track_ids)
    gains = {
        g.track_id: g.gain_db for g in vinyl_gain_plan(session, analyses, policy, track_ids).tracks
    }
    return tuple(
        check_layout(
            session,
            layout,
            gains_db=gains,
            analyses=analyses,
            processor_factory=lambda rate: vinyl_chain(session.vinyl, rate, mid=policy.mid),
            progress=lambda d, t: progress(d, t, "checking the sides"),
            cancel=cancel,
        )
    )


def write_cutsheet(
    session: Session, result: Any, path: Path, analyses: Mapping[str, TrackAnalysis]
) -> Path:
    """Write the cut sheet PDF of a vinyl job's result.

    Parameters
    ----------
    session : Session
        The album.
    result : vinyl.workflow.VinylResult
        The side files job's result.
    path : Path
        The PDF to write.
    analyses : Mapping of str to TrackAnalysis
        The analyses by track id.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    RunoutError
        When this runout has no cut sheet module yet, or the sheet cannot be written.
    """
    try:
        from vinyl import cutsheet
    except ImportError:
        raise RunoutError(
            "this runout cannot write cut sheets yet (vinyl/cutsheet.py is missing)"
        ) from None
    written: Path = cutsheet.write_cutsheet(session, result, path, analyses=analyses)
    return written
