"""Messages the app's workers post: past-tense events, progress coalesced.

Workers run the domain's long jobs in threads and report back only through
these messages (``post_message`` is thread-safe); the app turns them into
screen updates. Progress messages of one job replace each other in the queue
(``can_replace``), so a fast job cannot flood the interface.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual.message import Message

from sequencer.analysis import TrackAnalysis
from sequencer.errors import RunoutError

__all__ = [
    "AnalysisFailed",
    "AnalysisFinished",
    "AuditionFailed",
    "AuditionFinished",
    "AuditionStarted",
    "DemoBuilt",
    "DemoFailed",
    "JobFailed",
    "JobFinished",
    "JobProgressed",
    "SessionChanged",
    "SidesChecked",
    "TrackAnalysed",
]


@dataclass
class JobProgressed(Message):
    """A long job advanced (analysis, demo build, render, side check)."""

    job: str
    """Which job: ``"analysis"``, ``"demo"``, ``"digital"``, ``"sides"``, ``"cutsheet"``..."""
    done: float
    """Work done, in the job's own unit."""
    total: float
    """Work in all (0 when unknown)."""
    what: str = ""
    """What the job is doing now, in a few words."""

    def can_replace(self, message: Message) -> bool:
        """Return whether this progress makes an older one of the same job obsolete."""
        return isinstance(message, JobProgressed) and message.job == self.job


@dataclass
class JobFinished(Message):
    """A long job finished and returned ``result``."""

    job: str
    """Which job."""
    result: Any
    """What it returned."""


@dataclass
class JobFailed(Message):
    """A long job stopped with an error, or was cancelled."""

    job: str
    """Which job."""
    error: BaseException
    """The error; :class:`sequencer.errors.Cancelled` when the user cancelled."""


@dataclass
class TrackAnalysed(Message):
    """A track's analysis arrived (from the cache or just measured)."""

    path: str
    """The source (resolved, as text)."""
    analysis: TrackAnalysis
    """Its analysis."""


@dataclass
class AnalysisFinished(Message):
    """Every source of the session has been analysed."""

    count: int
    """How many sources were analysed or read from the cache."""


@dataclass
class AnalysisFailed(Message):
    """A source could not be analysed; the others were."""

    error: RunoutError
    """What went wrong, written for the user."""


@dataclass
class DemoBuilt(Message):
    """The demo album and its session are ready."""

    session_path: Path
    """The demo session file."""


@dataclass
class DemoFailed(Message):
    """Building the demo album failed or was cancelled."""

    error: BaseException
    """Why."""


@dataclass
class SidesChecked(Message):
    """The side checks (groove space, findings) finished for a session."""

    reports: tuple[Any, ...]
    """One :class:`vinyl.sidecheck.SideReport` per side."""
    session: Any
    """The :class:`sequencer.session.Session` the checks were run on (stale once it changed)."""


@dataclass
class AuditionStarted(Message):
    """The seam was rendered and the player started."""

    description: str
    """What is playing, e.g. ``"Track 2 into 3 with the player ffplay"``."""


@dataclass
class AuditionFinished(Message):
    """The player stopped (at the end, or because the user stopped it)."""

    description: str
    """What played."""


@dataclass
class AuditionFailed(Message):
    """The seam could not be rendered or played."""

    reason: str
    """Why, in plain words."""


@dataclass
class SessionChanged(Message):
    """The app's session was replaced (an edit, undo, redo, load or save)."""

    structural: bool = True
    """False when only the saved state changed (a save), not the session itself."""
