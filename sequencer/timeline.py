"""The timeline: every track of a running order placed at exact sample positions.

A pure function of the session and the sources' lengths. Seconds from the
session are converted to whole samples at the output rate once, here; every
later stage (render, CUE sheet, per-track files, vinyl sides, cut sheet) works
from these integers, so they agree to the sample.

Placement rules
---------------
- A pause of ``p`` seconds puts the next track's first sample ``round(p * rate)``
  samples after the previous track's last sample.
- A crossfade of ``d`` seconds overlaps the end of the previous track with the
  start of the next by ``round(d * rate)`` samples.
- With CD alignment, track starts fall on CD frames (1/75 s, 588 samples at
  44.1 kHz): a pause is rounded to the nearest frame boundary that does not cut
  into the previous track, a crossfade to the nearest boundary inside it; the
  pause before track 1 is at least 2 s and the album ends on a frame boundary
  (padded with silence).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from sequencer.audio import probe
from sequencer.errors import SessionError
from sequencer.session import Crossfade, Curve, Session, Track

#: CD frames (sectors) per second.
CD_FRAMES_PER_SECOND = 75
#: Red Book: the pause before track 1 is at least 2 s.
CD_MIN_FIRST_PAUSE_S = 2.0


@dataclass(frozen=True)
class SourceInfo:
    """What the timeline needs to know of a track's source file."""

    frames: int
    """Length of the file in samples per channel, at its own rate."""
    sample_rate: int
    """The file's sample rate in Hz."""


@dataclass(frozen=True)
class TrackEntry:
    """One track of a running order and how it is joined to the one before.

    The album and each vinyl side build their entries from their own rules,
    then :func:`place` turns them into a :class:`Timeline`.
    """

    track: Track
    """The session's track."""
    pause_s: float = 0.0
    """Pause before the track (for the first entry: the lead-in)."""
    crossfade: Crossfade | None = None
    """The crossfade into this track from the previous entry, if any."""


@dataclass(frozen=True)
class Placement:
    """One track on the timeline; all positions in samples at the output rate."""

    track_id: str
    """The track's id in the session."""
    number: int
    """Position in the running order, from 1."""
    path: Path
    """Its source file."""
    source_rate: int
    """Sample rate of the source (resampled when it differs from the output rate)."""
    source_start: int
    """First source sample used (the trim-in), at the source rate."""
    source_stop: int
    """One past the last source sample used (the trim-out), at the source rate."""
    start: int
    """Where the track's first sample lands on the timeline (CD: INDEX 01)."""
    length: int
    """Length of the track's audio on the timeline."""
    pause_before: int
    """Silence before ``start`` (from the previous track's end or the timeline's start)."""
    crossfade_in: int = 0
    """Samples overlapping the previous track (0 without a crossfade)."""
    crossfade_in_curve: Curve = Curve.EQUAL_POWER
    """Shape of the crossfade into this track."""
    crossfade_out: int = 0
    """Samples overlapping the next track (0 without a crossfade)."""
    crossfade_out_curve: Curve = Curve.EQUAL_POWER
    """Shape of the crossfade out of this track."""
    fade_in: int = 0
    """Length of the track's own fade-in, from ``start``."""
    fade_in_curve: Curve = Curve.LINEAR
    """Shape of the fade-in."""
    fade_out: int = 0
    """Length of the track's own fade-out, ending at ``end``."""
    fade_out_curve: Curve = Curve.LINEAR
    """Shape of the fade-out."""

    @property
    def end(self) -> int:
        """One past the track's last sample on the timeline."""
        return self.start + self.length

    @property
    def pause_start(self) -> int:
        """Where the pause before the track begins (CD: INDEX 00 when there is a pause)."""
        return self.start - self.pause_before


@dataclass(frozen=True)
class Timeline:
    """A running order placed at exact sample positions."""

    sample_rate: int
    """Output sample rate in Hz."""
    placements: tuple[Placement, ...]
    """The tracks in order."""
    length: int
    """Total length in samples (the last track's end, padded to a CD frame when aligned)."""
    cd_aligned: bool = False
    """Whether track starts fall on CD frames."""
    frame: int = field(default=0)
    """Samples per CD frame when aligned, else 0."""

    def placement(self, track_id: str) -> Placement:
        """Return the placement of ``track_id`` (SessionError when absent)."""
        for placement in self.placements:
            if placement.track_id == track_id:
                return placement
        raise SessionError(f"track {track_id!r} is not on this timeline")

    def file_ranges(self) -> tuple[tuple[int, int], ...]:
        """Return the range each per-track file covers, so that the files tile the timeline.

        Ownership rule: a track's file runs from its start to the next track's
        start. The pause before a track therefore ends the previous track's file
        (the first file also holds the lead-in), and the overlapping audio of a
        crossfade belongs to the track that starts. The last file runs to the end.
        """
        starts = [p.start for p in self.placements]
        starts[0] = 0
        stops = [p.start for p in self.placements[1:]] + [self.length]
        return tuple(zip(starts, stops, strict=True))

    def seconds(self, samples: int) -> float:
        """Convert a sample count at the output rate to seconds."""
        return samples / self.sample_rate


def to_samples(seconds: float, sample_rate: int) -> int:
    """Seconds to a whole number of samples, rounding halves up (never negative)."""
    return max(0, math.floor(seconds * sample_rate + 0.5))


def converted_length(frames: int, source_rate: int, output_rate: int) -> int:
    """Length of ``frames`` source samples after resampling to ``output_rate`` (rounded)."""
    if source_rate == output_rate:
        return frames
    return (frames * output_rate + source_rate // 2) // source_rate


def cd_frame(sample_rate: int) -> int:
    """Return the samples per CD frame (1/75 s) at ``sample_rate``; SessionError when not whole."""
    if sample_rate % CD_FRAMES_PER_SECOND:
        raise SessionError(
            f"delivery.sample_rate {sample_rate} Hz: CD alignment needs a rate divisible by 75 "
            "(44100 Hz for CD)"
        )
    return sample_rate // CD_FRAMES_PER_SECOND


def _source_range(track: Track, source: SourceInfo) -> tuple[int, int]:
    """Return the trimmed source range of ``track`` in source samples."""
    start = to_samples(track.trim_in_s, source.sample_rate)
    stop = (
        source.frames
        if track.trim_out_s is None
        else to_samples(track.trim_out_s, source.sample_rate)
    )
    stop = min(stop, source.frames)
    if start >= stop:
        raise SessionError(
            f"track {track.display_name}: trim_in_s ({track.trim_in_s:g} s) is at or past the "
            f"end of the audio ({source.frames / source.sample_rate:.3f} s)"
        )
    return start, stop


def place(
    entries: Sequence[TrackEntry],
    sources: Mapping[str, SourceInfo],
    sample_rate: int,
    *,
    cd_alignment: bool = False,
) -> Timeline:
    """Place ``entries`` on a timeline at ``sample_rate``.

    Parameters
    ----------
    entries
        The tracks in order, each with the pause or crossfade into it.
    sources
        Length and rate of each track's source, by track id.
    sample_rate
        The output rate.
    cd_alignment
        Put track starts on CD frames, at least 2 s before track 1, and pad the
        end to a frame.

    Returns
    -------
    Timeline
        Exact positions.

    Raises
    ------
    SessionError
        When a source is unknown, a trim leaves nothing, or a crossfade or fade
        is longer than the track (naming the track).
    """
    if not entries:
        raise SessionError("the running order is empty: add tracks first")
    frame = cd_frame(sample_rate) if cd_alignment else 0
    placed: list[Placement] = []
    for number, entry in enumerate(entries, start=1):
        track = entry.track
        if track.id not in sources:
            raise SessionError(f"track {track.display_name}: its source length is unknown")
        source = sources[track.id]
        source_start, source_stop = _source_range(track, source)
        length = converted_length(source_stop - source_start, source.sample_rate, sample_rate)
        previous = placed[-1] if placed else None
        crossfade = 0
        if previous is None:
            lead_in = to_samples(entry.pause_s, sample_rate)
            if frame:
                lead_in = max(lead_in, to_samples(CD_MIN_FIRST_PAUSE_S, sample_rate))
                lead_in = -(-lead_in // frame) * frame
            start = lead_in
        elif entry.crossfade is not None:
            start = previous.end - to_samples(entry.crossfade.seconds, sample_rate)
            if frame:
                start = _frame_inside(start, previous, frame)
            crossfade = previous.end - start
            _check_crossfade(track, previous, crossfade, length, sample_rate)
        else:
            start = previous.end + to_samples(entry.pause_s, sample_rate)
            if frame:
                start = round(start / frame) * frame
                if start < previous.end:
                    start += frame
        fade_in = to_samples(track.fade_in.seconds, sample_rate)
        fade_out = to_samples(track.fade_out.seconds, sample_rate)
        if fade_in > length or fade_out > length:
            raise SessionError(
                f"track {track.display_name}: a fade is longer than the track "
                f"({length / sample_rate:.3f} s after trimming)"
            )
        if previous is not None and crossfade:
            placed[-1] = _with_crossfade_out(previous, crossfade, entry)
        placed.append(
            Placement(
                track_id=track.id,
                number=number,
                path=Path(track.path),
                source_rate=source.sample_rate,
                source_start=source_start,
                source_stop=source_stop,
                start=start,
                length=length,
                pause_before=0 if crossfade else _pause(start, previous),
                crossfade_in=crossfade,
                crossfade_in_curve=entry.crossfade.curve if entry.crossfade else Curve.EQUAL_POWER,
                fade_in=fade_in,
                fade_in_curve=track.fade_in.curve,
                fade_out=fade_out,
                fade_out_curve=track.fade_out.curve,
            )
        )
    end = max(p.end for p in placed)
    if frame:
        end = -(-end // frame) * frame
    return Timeline(
        sample_rate=sample_rate,
        placements=tuple(placed),
        length=end,
        cd_aligned=bool(frame),
        frame=frame,
    )


def _pause(start: int, previous: Placement | None) -> int:
    """Silence between the previous track's end (or the timeline start) and ``start``."""
    return start - (previous.end if previous is not None else 0)


def _frame_inside(start: int, previous: Placement, frame: int) -> int:
    """Return the frame boundary nearest ``start`` that still overlaps the previous track."""
    aligned = round(start / frame) * frame
    if aligned >= previous.end:
        aligned = ((previous.end - 1) // frame) * frame
    return aligned


def _check_crossfade(
    track: Track, previous: Placement, crossfade: int, length: int, sample_rate: int
) -> None:
    """Refuse a crossfade longer than either track or reaching into the track before."""
    if crossfade > length or crossfade > previous.length:
        raise SessionError(
            f"track {track.display_name}: the crossfade into it ({crossfade / sample_rate:.3f} s) "
            "is longer than one of the two tracks"
        )
    if crossfade + previous.crossfade_in > previous.length:
        raise SessionError(
            f"track {track.display_name}: the crossfade into it overlaps the crossfade into the "
            "track before; shorten one of them"
        )


def _with_crossfade_out(previous: Placement, crossfade: int, entry: TrackEntry) -> Placement:
    """Return the previous placement with the outgoing side of a crossfade set."""
    curve = entry.crossfade.curve if entry.crossfade else Curve.EQUAL_POWER
    return replace(previous, crossfade_out=crossfade, crossfade_out_curve=curve)


def probe_sources(tracks: Sequence[Track]) -> dict[str, SourceInfo]:
    """Read the length and rate of each track's source from its header.

    Raises
    ------
    AudioError
        When a source cannot be read (naming the file).
    """
    sources = {}
    for track in tracks:
        info = probe(track.path)
        sources[track.id] = SourceInfo(frames=info.frames, sample_rate=info.sample_rate)
    return sources


def album_entries(session: Session) -> list[TrackEntry]:
    """Turn the session's running order into timeline entries (pauses and crossfades)."""
    entries = []
    for track in session.ordered_tracks():
        transition = session.transition_into(track.id)
        if isinstance(transition, Crossfade):
            entries.append(TrackEntry(track=track, crossfade=transition))
        else:
            entries.append(TrackEntry(track=track, pause_s=transition))
    return entries


def album_timeline(
    session: Session,
    sources: Mapping[str, SourceInfo],
    *,
    sample_rate: int | None = None,
    cd_alignment: bool | None = None,
) -> Timeline:
    """Build the digital album's timeline: the session's running order, pauses and crossfades.

    Parameters
    ----------
    session
        The session.
    sources
        Length and rate of each track's source, by track id.
    sample_rate
        Output rate; default the session's delivery rate.
    cd_alignment
        Default the session's delivery setting.

    Returns
    -------
    Timeline
        Exact positions.
    """
    rate = sample_rate or session.delivery.sample_rate
    aligned = session.delivery.cd_alignment if cd_alignment is None else cd_alignment
    return place(album_entries(session), sources, rate, cd_alignment=aligned)
