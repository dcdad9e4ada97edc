"""The long jobs the app runs, as plain functions over the core (no Textual here).

Each takes a ``progress(done, total, what)`` callback and a cancel event, like
the command line's jobs, so the app's thread workers only wrap them. Where a
job exists in the core (``deliver``, ``make_vinyl``), it is called as the
command line calls it; the analysis is :func:`sequencer.batch.analyse_sources`
itself, which reports each track as it finishes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sequencer.analysis import TrackAnalysis
from sequencer.cache import AnalysisCache
from sequencer.session import Session
from sequencer.timeline import probe_sources

if TYPE_CHECKING:
    from sequencer.deliver import Deliverable

__all__ = [
    "Progress",
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
