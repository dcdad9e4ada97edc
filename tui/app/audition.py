"""Audition: render the seam around a transition through the real engine and play it.

The seam is the last seconds of one track into the first seconds of the next,
placed by :func:`sequencer.timeline.place` exactly as on the album (the same
pause or crossfade with its curve, the same fades and planned gains) and
rendered by :func:`sequencer.render.render` to a temporary 24-bit WAV. It is
played by whatever command-line player the machine has.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sequencer.errors import RunoutError, SessionError
from sequencer.levels import GainPlan
from sequencer.limiter import TruePeakLimiter
from sequencer.render import CancelEvent, OutputFile, dither_seed, render
from sequencer.session import Crossfade, Fade, Session
from sequencer.timeline import SourceInfo, Timeline, TrackEntry, place

__all__ = [
    "PLAYERS",
    "PLAYER_ENV",
    "Seam",
    "find_player",
    "render_seam",
    "seam_timeline",
]

#: Environment variable naming the player command (the file's path is appended).
PLAYER_ENV = "RUNOUT_PLAYER"

#: Players tried in order, with the arguments that make them play a file and exit.
PLAYERS: tuple[tuple[str, ...], ...] = (
    ("afplay",),
    ("paplay",),
    ("aplay", "-q"),
    ("ffplay", "-nodisp", "-autoexit", "-loglevel", "error"),
)

#: Seconds of each track heard around the seam.
SEAM_S = 5.0


def find_player(command: Sequence[str] | str | None = None) -> list[str] | None:
    """Return the player command to use, or None when the machine has none.

    Parameters
    ----------
    command : sequence of str or str, optional
        An explicit command (a string is split like a shell would); otherwise
        ``$RUNOUT_PLAYER``, otherwise the first of :data:`PLAYERS` on the ``PATH``.

    Returns
    -------
    list of str or None
        The command without the file name.
    """
    if command is None:
        command = os.environ.get(PLAYER_ENV) or None
    if command is not None:
        words = shlex.split(command) if isinstance(command, str) else list(command)
        return words or None
    for candidate in PLAYERS:
        if shutil.which(candidate[0]):
            return list(candidate)
    return None


@dataclass(frozen=True)
class Seam:
    """A rendered seam."""

    path: Path
    """The temporary WAV file."""
    description: str
    """What it holds, e.g. ``Track 3 "Dead Wax" into 4 "Run Out" (crossfade 4 s)``."""
    seam_s: float
    """Where, in the file, the second track starts, seconds."""


def seam_timeline(
    session: Session,
    sources: Mapping[str, SourceInfo],
    track_id: str,
    *,
    seconds: float = SEAM_S,
) -> tuple[Timeline, str]:
    """Place the seam into *track_id*: the end of the track before, then the start of it.

    Parameters
    ----------
    session : Session
        The album.
    sources : Mapping of str to SourceInfo
        Length and rate of the two sources, by track id.
    track_id : str
        The track the seam leads into; not the first of the running order.
    seconds : float, optional
        How much of each track is heard beyond the transition.

    Returns
    -------
    tuple of (Timeline, str)
        The two-track timeline at the session's delivery rate, and a description.

    Raises
    ------
    SessionError
        When the track is first or parked, or a source is unknown.
    """
    index = session.position(track_id)
    if index == 0:
        raise SessionError("the first track has no seam before it: select a later track")
    before = session.track(session.order[index - 1])
    after = session.track(track_id)
    for track in (before, after):
        if track.id not in sources:
            raise SessionError(f"the source of {track.display_name} cannot be read")
    transition = session.transition_into(track_id)
    overlap = transition.seconds if isinstance(transition, Crossfade) else 0.0
    window = seconds + overlap
    first = sources[before.id]
    end_s = first.frames / first.sample_rate if before.trim_out_s is None else before.trim_out_s
    tail = before.model_copy(
        update={
            "trim_in_s": max(before.trim_in_s, end_s - window - before.fade_out.seconds),
            "trim_out_s": end_s,
            "fade_in": Fade(),
        }
    )
    head_start = after.trim_in_s
    second = sources[after.id]
    length_s = (
        second.frames / second.sample_rate if after.trim_out_s is None else after.trim_out_s
    ) - head_start
    head = after.model_copy(
        update={
            "trim_out_s": head_start + min(length_s, window + after.fade_in.seconds),
            "fade_out": Fade(),
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
    return timeline, text


def render_seam(
    session: Session,
    sources: Mapping[str, SourceInfo],
    track_id: str,
    *,
    plan: GainPlan | None = None,
    directory: Path | None = None,
    seconds: float = SEAM_S,
    cancel: CancelEvent | None = None,
) -> Seam:
    """Render the seam into *track_id* to a temporary WAV file.

    Parameters
    ----------
    session : Session
        The album.
    sources : Mapping of str to SourceInfo
        The sources by track id.
    track_id : str
        The track the seam leads into.
    plan : GainPlan, optional
        The gain plan (and limiter) of the album; without it both tracks play at 0 dB.
    directory : Path, optional
        Where the file goes; a new temporary folder by default.
    seconds : float, optional
        How much of each track is heard beyond the transition.
    cancel : CancelEvent, optional
        Stops the render.

    Returns
    -------
    Seam
        The file and what it holds.

    Raises
    ------
    RunoutError
        When the seam cannot be placed or rendered.
    """
    timeline, description = seam_timeline(session, sources, track_id, seconds=seconds)
    folder = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="runout-seam-"))
    path = folder / "seam.wav"
    gains = {g.track_id: g.gain_db for g in plan.tracks} if plan else {}
    limiter = (
        TruePeakLimiter(timeline.sample_rate, session.loudness.true_peak_ceiling_dbtp)
        if plan is not None and plan.limiter
        else None
    )
    render(
        timeline,
        gains,
        [OutputFile(path, 0, timeline.length, 24)],
        seed=dither_seed("audition", track_id),
        limiter=limiter,
        cancel=cancel,
    )
    second = timeline.placements[1]
    return Seam(path=path, description=description, seam_s=second.start / timeline.sample_rate)


def play(command: Sequence[str], path: Path, cancel: CancelEvent | None = None) -> None:
    """Play *path* with *command*, waiting until it ends or *cancel* is set.

    Parameters
    ----------
    command : sequence of str
        The player (see :func:`find_player`); the file is appended.
    path : Path
        The file.
    cancel : CancelEvent, optional
        Stops the player when set.

    Raises
    ------
    RunoutError
        When the player cannot start or exits with an error (its message included).
    """
    try:
        process = subprocess.Popen(
            [*command, str(path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
    except OSError as error:
        raise RunoutError(f"cannot start the player {command[0]!r}: {error.strerror}") from None
    while True:
        try:
            _, err = process.communicate(timeout=0.1)
            break
        except subprocess.TimeoutExpired:
            if cancel is not None and cancel.is_set():
                process.terminate()
                process.communicate()
                return
    if process.returncode != 0:
        text = err.decode("utf-8", "replace").strip().splitlines()
        detail = f": {text[-1]}" if text else ""
        raise RunoutError(
            f"the player {command[0]!r} stopped with status {process.returncode}{detail}"
        )
