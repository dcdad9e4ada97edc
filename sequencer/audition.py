"""The seam around a transition, placed and rendered exactly as on the album.

The seam into a track is the end of the track before it, the pause or the
crossfade (with its curve), and the start of the track, placed by
:func:`sequencer.timeline.place` and rendered by :func:`sequencer.render.render`
with the album's planned gains and limiter, so what is heard is what the album
file holds at that point. Playing it is left to the caller (``runout audition``
and the app find a player); this module writes a WAV file and nothing else.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sequencer.errors import SessionError
from sequencer.levels import GainPlan
from sequencer.limiter import TruePeakLimiter
from sequencer.render import CancelEvent, OutputFile, dither_seed, render
from sequencer.session import Crossfade, Fade, Session
from sequencer.timeline import SourceInfo, Timeline, TrackEntry, place

__all__ = ["SEAM_S", "Seam", "SeamTimeline", "render_seam", "seam_timeline"]

logger = logging.getLogger(__name__)

#: Default seconds of each track heard around the transition.
SEAM_S = 5.0

#: Bit depth of the seam file.
SEAM_BITS = 24


@dataclass(frozen=True)
class SeamTimeline:
    """The two-track timeline of a seam."""

    timeline: Timeline
    """The end of the track before, then the start of the track, at the delivery rate."""
    description: str
    """What it holds, e.g. ``3 "Dead Wax" into 4 "Run Out" (crossfade 4 s, equal-power)``."""
    seam_s: float
    """Where the second track starts on the timeline, seconds."""


@dataclass(frozen=True)
class Seam:
    """A rendered seam."""

    path: Path
    """The WAV file."""
    description: str
    """What it holds (see :attr:`SeamTimeline.description`)."""
    seam_s: float
    """Where, in the file, the second track starts, seconds."""
    duration_s: float
    """Length of the file, seconds."""


def _seconds(value: float, what: str) -> float:
    """Check a length of audio around the seam."""
    if not value >= 0.0 or value == float("inf"):
        raise SessionError(f"{what}: {value!r} is not a length in seconds (0 or more)")
    return float(value)


def seam_timeline(
    session: Session,
    sources: Mapping[str, SourceInfo],
    track_id: str,
    *,
    before_s: float = SEAM_S,
    after_s: float = SEAM_S,
) -> SeamTimeline:
    """Place the seam into *track_id*: the end of the track before it, then its start.

    Parameters
    ----------
    session : Session
        The album.
    sources : Mapping of str to SourceInfo
        Length and rate of the two sources, by track id.
    track_id : str
        The track the seam leads into; not the first of the running order.
    before_s : float, optional
        Seconds of the track before heard ahead of the transition (its fade-out
        and the crossfade come on top).
    after_s : float, optional
        Seconds of the track heard after the transition (after the crossfade,
        and after its own fade-in).

    Returns
    -------
    SeamTimeline
        The two-track timeline at the session's delivery rate.

    Raises
    ------
    SessionError
        When the track is first or parked, a source is unknown, or a length is
        negative.
    """
    before_s = _seconds(before_s, "seconds before the seam")
    after_s = _seconds(after_s, "seconds after the seam")
    index = session.position(track_id)
    if index == 0:
        raise SessionError("the first track has no seam before it: choose a later track")
    before = session.track(session.order[index - 1])
    after = session.track(track_id)
    for track in (before, after):
        if track.id not in sources:
            raise SessionError(f"the source of {track.display_name} cannot be read")
    transition = session.transition_into(track_id)
    overlap = transition.seconds if isinstance(transition, Crossfade) else 0.0

    first = sources[before.id]
    end_s = first.frames / first.sample_rate if before.trim_out_s is None else before.trim_out_s
    tail_start = max(before.trim_in_s, end_s - before_s - overlap - before.fade_out.seconds)
    tail = before.model_copy(
        update={
            "trim_in_s": tail_start,
            "trim_out_s": end_s,
            # Cut into the middle of the track, its fade-in is not heard.
            "fade_in": before.fade_in if tail_start == before.trim_in_s else Fade(),
        }
    )
    second = sources[after.id]
    head_end_s = (
        second.frames / second.sample_rate if after.trim_out_s is None else after.trim_out_s
    )
    head_stop = min(head_end_s, after.trim_in_s + overlap + after.fade_in.seconds + after_s)
    head = after.model_copy(
        update={
            "trim_out_s": head_stop,
            "fade_out": after.fade_out if head_stop == head_end_s else Fade(),
        }
    )
    if isinstance(transition, Crossfade):
        entries = [TrackEntry(track=tail), TrackEntry(track=head, crossfade=transition)]
        how = f"crossfade {transition.seconds:g} s, {transition.curve}"
    else:
        entries = [TrackEntry(track=tail), TrackEntry(track=head, pause_s=float(transition))]
        how = f"pause {float(transition):g} s"
    timeline = place(entries, sources, session.delivery.sample_rate)
    text = f'{index} "{before.title}" into {index + 1} "{after.title}" ({how})'
    return SeamTimeline(
        timeline=timeline,
        description=text,
        seam_s=timeline.placements[1].start / timeline.sample_rate,
    )


def render_seam(
    session: Session,
    sources: Mapping[str, SourceInfo],
    track_id: str,
    *,
    plan: GainPlan | None = None,
    before_s: float = SEAM_S,
    after_s: float = SEAM_S,
    path: Path | None = None,
    cancel: CancelEvent | None = None,
) -> Seam:
    """Render the seam into *track_id* to a 24-bit WAV file.

    Parameters
    ----------
    session : Session
        The album.
    sources : Mapping of str to SourceInfo
        The sources by track id.
    track_id : str
        The track the seam leads into.
    plan : GainPlan, optional
        The album's gain plan (:func:`sequencer.levels.plan_gains`): its gains
        and, when it asks for one, the true-peak limiter at the session's
        ceiling. Without it both tracks play at 0 dB.
    before_s, after_s : float, optional
        Seconds heard before and after the transition (see :func:`seam_timeline`).
    path : Path, optional
        The file to write; ``seam.wav`` in a new temporary folder by default
        (the caller removes it).
    cancel : CancelEvent, optional
        Stops the render (:class:`sequencer.errors.Cancelled`; no file is left).

    Returns
    -------
    Seam
        The file and what it holds.

    Raises
    ------
    RunoutError
        When the seam cannot be placed or rendered.
    """
    seam = seam_timeline(session, sources, track_id, before_s=before_s, after_s=after_s)
    timeline = seam.timeline
    if path is None:
        path = Path(tempfile.mkdtemp(prefix="runout-seam-")) / "seam.wav"
    gains = plan.gains_db() if plan is not None else {}
    limiter = (
        TruePeakLimiter(timeline.sample_rate, session.loudness.true_peak_ceiling_dbtp)
        if plan is not None and plan.limiter
        else None
    )
    logger.info("rendering the seam %s to %s", seam.description, path)
    render(
        timeline,
        gains,
        [OutputFile(Path(path), 0, timeline.length, SEAM_BITS)],
        seed=dither_seed("audition", track_id),
        limiter=limiter,
        cancel=cancel,
    )
    return Seam(
        path=Path(path),
        description=seam.description,
        seam_s=seam.seam_s,
        duration_s=timeline.length / timeline.sample_rate,
    )
