"""Album loudness matching: the gain plan, with a reason for every gain.

From the tracks' analyses and the session's :class:`~sequencer.session.LoudnessPolicy`,
:func:`plan_gains` decides one gain per track of the running order:

``album``
    One gain ``G`` for every track (plus each track's ``offset_lu``), chosen so the
    integrated loudness of the whole programme meets the target. Relative levels
    are kept.
``track``
    Each track to the target plus its offset.
``anchor``
    One gain ``G`` (plus offsets) that brings the loudest track, as it will play
    (its loudness plus its offset), to the target; no track ends up above it.

Loudness is computed exactly from each analysis' ``block_loudness`` (the
BS.1770 gating blocks, ungated): a track at gain ``g`` has every block's energy
scaled by ``10 ** (g / 10)``, and the programme's integrated loudness applies
the absolute and relative gates to all tracks' blocks together
(:func:`sequencer.loudness.integrated_loudness`). Pauses add only silent blocks,
which the absolute gate drops. Blocks that straddle two tracks are not modelled:
on tracks of a few seconds or more a render differs by a few hundredths of a LU
(the tests render and measure). A track shorter than one 400 ms block has no
block, so its energy is not counted.

The true-peak ceiling (``/work/shared/domain/loudness.md``, "Album loudness
matching"): without the limiter no gain may push a track's true peak over the
ceiling; in album and anchor mode the shared gain comes down (the track that
forces it is named, with the loudness the album gives up), in track mode only
that track does. With the limiter allowed the gains stay and the plan asks the
render to limit, with the reduction each track needs at least.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict

from sequencer.analysis import TrackAnalysis
from sequencer.errors import AnalysisError, SessionError
from sequencer.loudness import LOUDNESS_OFFSET_DB, integrated_loudness
from sequencer.session import LoudnessMode, Session, Track

__all__ = ["SOLVER_TOLERANCE_LU", "GainPlan", "TrackGain", "plan_gains"]

logger = logging.getLogger(__name__)

#: The solved gain meets the target to within this many LU.
SOLVER_TOLERANCE_LU = 0.001
#: Largest gain the solver tries, dB (a target beyond it is not reachable).
_MAX_GAIN_DB = 120.0


class _Frozen(BaseModel):
    """Base of the plan's models: frozen, strict, with field docstrings."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class TrackGain(_Frozen):
    """The gain planned for one track, and why."""

    track_id: str
    """Id of the track."""
    gain_db: float
    """Gain to apply to the whole track, dB (its offset included)."""
    integrated_lufs_after: float | None
    """Integrated loudness after the gain (before any limiting), LUFS; ``None`` when
    the track has no measurable loudness."""
    true_peak_dbtp_after: float | None
    """True peak after the gain (the analysis' true peak + ``gain_db``), before any
    limiting, dBTP; ``None`` for digital silence."""
    limiter_reduction_db: float = 0.0
    """Gain reduction the limiter needs at least on this track, dB: the true peak
    after the gain minus the ceiling (0 when the limiter does not touch it). The
    render measures the exact value."""
    ceiling_cut_db: float = 0.0
    """How far the true-peak ceiling lowered this track's gain, dB (0 when it did not)."""
    reason: str
    """Why the track gets this gain, in plain words."""


class GainPlan(_Frozen):
    """A gain for every track of the running order, the resulting levels, and why."""

    mode: LoudnessMode
    """The policy's mode: album, track or anchor."""
    target_lufs: float
    """The policy's loudness target, LUFS."""
    ceiling_dbtp: float
    """The policy's true-peak ceiling, dBTP."""
    limiter: bool
    """True when the render must run the true-peak limiter (some track is over the
    ceiling after its gain, and the policy allows limiting)."""
    tracks: tuple[TrackGain, ...]
    """One gain per track, in running order."""
    shared_gain_db: float | None
    """The gain ``G`` shared by the tracks in album and anchor mode (offsets come on
    top); ``None`` in track mode."""
    anchor_track_id: str | None
    """The loudest track in anchor mode (brought to the target); ``None`` otherwise."""
    album_lufs_before: float | None
    """Integrated loudness of the whole programme as delivered, LUFS."""
    album_lufs_after: float | None
    """Integrated loudness of the whole programme after the gains (before any
    limiting), LUFS: every track's gating blocks together, gated as one programme."""
    limiting_track_id: str | None
    """In album and anchor mode without the limiter, the track whose true peak holds
    the shared gain down; ``None`` when the ceiling did not matter."""
    loudness_given_up_lu: float
    """How far the target is missed because of the ceiling, LU (0 when reached). In
    track mode, the largest shortfall of any track."""

    def gains_db(self) -> dict[str, float]:
        """Return each track's gain in dB by track id (what the render engine takes)."""
        return {gain.track_id: gain.gain_db for gain in self.tracks}

    def track(self, track_id: str) -> TrackGain:
        """Return the planned gain of one track.

        Parameters
        ----------
        track_id : str
            Id of a track in the running order.

        Returns
        -------
        TrackGain
            Its gain, levels and reason.

        Raises
        ------
        SessionError
            When the plan has no such track.
        """
        for gain in self.tracks:
            if gain.track_id == track_id:
                return gain
        raise SessionError(f'The gain plan has no track "{track_id}" (is it in the running order?)')

    def gain_db(self, track_id: str) -> float:
        """Return the gain in dB to apply to one track.

        Parameters
        ----------
        track_id : str
            Id of a track in the running order.

        Returns
        -------
        float
            The gain in dB, offset included.
        """
        return self.track(track_id).gain_db

    def summary(self) -> str:
        """Return the plan in two or three short sentences.

        Returns
        -------
        str
            What the plan does, whether the ceiling cost loudness, and whether the
            limiter runs.
        """
        after = _lufs(self.album_lufs_after)
        if self.album_lufs_after is None:
            text = "No track has measurable loudness: every gain is 0 dB plus its offset."
        elif self.mode is LoudnessMode.ALBUM:
            text = (
                f"Album mode: one gain of {_db(self.shared_gain_db)} for every track; "
                f"the album plays at {after} (target {_lufs(self.target_lufs)})."
            )
        elif self.mode is LoudnessMode.ANCHOR:
            text = (
                f"Anchor mode: one gain of {_db(self.shared_gain_db)} brings the loudest track, "
                f'"{self.anchor_track_id}", to {_lufs(self._anchor_lufs())} '
                f"(target {_lufs(self.target_lufs)}); the album plays at {after}."
            )
        else:
            text = (
                f"Track mode: each track to {_lufs(self.target_lufs)} plus its offset; "
                f"the album plays at {after}."
            )
        if self.loudness_given_up_lu > 0.0:
            if self.limiting_track_id is not None:
                text += (
                    f' Track "{self.limiting_track_id}" limits the album: its true peak would '
                    f"pass the {self.ceiling_dbtp:.1f} dBTP ceiling, so the album gives up "
                    f"{self.loudness_given_up_lu:.1f} LU."
                )
            else:
                cut = [gain.track_id for gain in self.tracks if gain.ceiling_cut_db > 0.0]
                text += (
                    f" The {self.ceiling_dbtp:.1f} dBTP ceiling holds down "
                    f"{_count(len(cut), 'track')} ({', '.join(cut)}), by up to "
                    f"{self.loudness_given_up_lu:.1f} LU."
                )
        if self.limiter:
            worst = max(self.tracks, key=lambda gain: gain.limiter_reduction_db)
            text += (
                f" The true-peak limiter runs at {self.ceiling_dbtp:.1f} dBTP: at least "
                f'{worst.limiter_reduction_db:.1f} dB of gain reduction on "{worst.track_id}".'
            )
        return text

    def _anchor_lufs(self) -> float | None:
        """Return the anchor track's loudness after its gain."""
        if self.anchor_track_id is None:
            return None
        return self.track(self.anchor_track_id).integrated_lufs_after


# --------------------------------------------------------------------------- formatting


def _db(value: float | None) -> str:
    """Format a gain as ``"+1.2 dB"``."""
    return "n/a" if value is None else f"{value:+.1f} dB"


def _lufs(value: float | None) -> str:
    """Format a loudness as ``"-14.0 LUFS"``, or ``"silent"``."""
    return "silent" if value is None else f"{value:.1f} LUFS"


def _count(number: int, noun: str) -> str:
    """Format a count: ``"1 track"``, ``"3 tracks"``."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _offset_note(track: Track) -> str:
    """Return ``"; offset -4.0 LU as set"`` when the track has an offset, else nothing."""
    return f"; offset {track.offset_lu:+.1f} LU as set" if track.offset_lu else ""


# --------------------------------------------------------------------------- loudness


class _Programme:
    """Every gating block of the running order, with the track each belongs to."""

    def __init__(self, energies: Sequence[NDArray[np.float64]]) -> None:
        self.energies = np.concatenate([np.zeros(0), *energies])
        self.owner = np.repeat(np.arange(len(energies)), [e.size for e in energies])

    def lufs(self, gains_db: NDArray[np.float64]) -> float | None:
        """Return the programme's integrated loudness with one gain per track (BS.1770 gates)."""
        scale = 10.0 ** (gains_db[self.owner] / 10.0)
        return integrated_loudness(self.energies * scale)


def programme_lufs(analyses: Sequence[TrackAnalysis], gains_db: Sequence[float]) -> float | None:
    """Return the integrated loudness of tracks played as one programme, each at a gain.

    Exact from the tracks' 400 ms gating blocks (BS.1770 absolute and relative
    gates over all of them); ``None`` when nothing is measurable.
    """
    programme = _Programme([_block_energies(analysis) for analysis in analyses])
    return programme.lufs(np.asarray(gains_db, dtype=np.float64))


def _block_energies(analysis: TrackAnalysis) -> NDArray[np.float64]:
    """Return the weighted mean square of each gating block (0 for digital silence)."""
    levels = np.array(
        [np.nan if value is None else value for value in analysis.block_loudness], dtype=float
    )
    energies = 10.0 ** ((levels - LOUDNESS_OFFSET_DB) / 10.0)
    return np.nan_to_num(energies, nan=0.0)


def _solve(loudness: Callable[[float], float | None], target: float) -> float:
    """Return the gain ``g`` at which ``loudness(g)`` meets ``target``.

    ``loudness`` rises with ``g``, about one LU per dB (exactly, unless blocks cross
    the -70 LUFS absolute gate), so the step ``g += target - loudness(g)`` lands in
    one or two steps; a bracket falls back to bisection when a step would leave it.
    """
    low, high = -_MAX_GAIN_DB, _MAX_GAIN_DB
    gain = 0.0
    best, best_error = 0.0, math.inf
    for _ in range(60):
        value = loudness(gain)
        error = math.inf if value is None else target - value
        if abs(error) < best_error:
            best, best_error = gain, abs(error)
        if abs(error) <= SOLVER_TOLERANCE_LU:
            return gain
        if error > 0:
            low = gain
        else:
            high = gain
        step = gain + error
        gain = step if low < step < high else 0.5 * (low + high)
        if high - low < 1e-9:
            break
    logger.warning("loudness solver stopped %.3f LU from %.1f LUFS", best_error, target)
    return best


# --------------------------------------------------------------------------- the plan


class _Entry:
    """Working state of one track while the plan is made."""

    def __init__(self, track: Track, analysis: TrackAnalysis) -> None:
        self.track = track
        self.offset = track.offset_lu
        self.lufs = analysis.integrated_lufs
        self.peak = analysis.true_peak_dbtp
        self.energies = _block_energies(analysis)
        self.gain = track.offset_lu
        self.cut = 0.0
        self.reason = ""

    @property
    def name(self) -> str:
        """Return the track's id in quotes, for reasons."""
        return f'"{self.track.id}"'

    def lufs_at(self, gain_db: float) -> float | None:
        """Return the track's integrated loudness at ``gain_db``, gated as BS.1770 says."""
        if self.lufs is None:
            return None
        return integrated_loudness(self.energies * 10.0 ** (gain_db / 10.0))

    def headroom(self, ceiling: float) -> float:
        """Return the largest gain that keeps the true peak at or under ``ceiling``."""
        return math.inf if self.peak is None else ceiling - self.peak

    def peak_at(self, gain_db: float) -> str:
        """Format the true peak at ``gain_db`` as ``"-0.3 dBTP"``."""
        return "n/a" if self.peak is None else f"{self.peak + gain_db:+.1f} dBTP"


def plan_gains(session: Session, analyses: Mapping[str, TrackAnalysis]) -> GainPlan:
    """Plan the gain of every track in the running order.

    Parameters
    ----------
    session : Session
        The session: its running order, the tracks' offsets and the loudness policy.
    analyses : Mapping of str to TrackAnalysis
        The analysis of each track in the running order, by track id.

    Returns
    -------
    GainPlan
        The gains, the levels before and after, and a reason for each gain.

    Raises
    ------
    AnalysisError
        When a track of the running order has no analysis.
    """
    policy = session.loudness
    entries: list[_Entry] = []
    for track in session.ordered_tracks():
        analysis = analyses.get(track.id)
        if analysis is None:
            raise AnalysisError(
                f"Track {track.display_name} has not been analysed; analyse it before "
                "planning the album's levels"
            )
        entries.append(_Entry(track, analysis))
    programme = _Programme([entry.energies for entry in entries])
    gain_only = not policy.limiter_allowed
    ceiling = policy.true_peak_ceiling_dbtp

    for entry in entries:
        if entry.lufs is None:
            _plan_unmeasurable(entry, ceiling, gain_only)
    measurable = [entry for entry in entries if entry.lufs is not None]
    shared: float | None = None
    anchor: _Entry | None = None
    limiting: _Entry | None = None
    given_up = 0.0
    if policy.mode is LoudnessMode.TRACK:
        given_up = _plan_each_track(measurable, policy.target_lufs, ceiling, gain_only)
    elif measurable:
        if policy.mode is LoudnessMode.ANCHOR:
            anchor = max(measurable, key=lambda entry: (entry.lufs or 0.0) + entry.offset)
        shared, limiting, given_up = _plan_shared(
            entries, measurable, programme, anchor, policy.target_lufs, ceiling, gain_only
        )

    gains = np.array([entry.gain for entry in entries])
    tracks = tuple(_track_gain(entry, ceiling, policy.limiter_allowed) for entry in entries)
    plan = GainPlan(
        mode=policy.mode,
        target_lufs=policy.target_lufs,
        ceiling_dbtp=ceiling,
        limiter=any(gain.limiter_reduction_db > 0.0 for gain in tracks),
        tracks=tracks,
        shared_gain_db=shared,
        anchor_track_id=None if anchor is None else anchor.track.id,
        album_lufs_before=programme.lufs(np.zeros(len(entries))),
        album_lufs_after=programme.lufs(gains),
        limiting_track_id=None if limiting is None else limiting.track.id,
        loudness_given_up_lu=given_up,
    )
    logger.info("gain plan: %s", plan.summary())
    return plan


def _plan_unmeasurable(entry: _Entry, ceiling: float, gain_only: bool) -> None:
    """Plan a track without integrated loudness: 0 dB plus its offset, under the ceiling."""
    entry.reason = (
        "no measurable loudness (silent, or no 400 ms block above the -70 LUFS gate): "
        "gain left at 0 dB" + _offset_note(entry.track)
    )
    headroom = entry.headroom(ceiling)
    if gain_only and entry.gain > headroom:
        entry.cut = entry.gain - headroom
        entry.reason += (
            f"; lowered by {entry.cut:.1f} dB: its true peak would reach "
            f"{entry.peak_at(entry.gain)}, over the {ceiling:.1f} dBTP ceiling"
        )
        entry.gain = headroom


def _plan_each_track(
    entries: Sequence[_Entry], target: float, ceiling: float, gain_only: bool
) -> float:
    """Track mode: bring each track to the target plus its offset; return the largest shortfall."""
    shortfall = 0.0
    for entry in entries:
        aim = target + entry.offset
        gain = _solve(entry.lufs_at, aim)
        where = f"{aim:.1f} LUFS" + (
            f" (the target {target:.1f} LUFS with its offset {entry.offset:+.1f} LU as set)"
            if entry.offset
            else ""
        )
        headroom = entry.headroom(ceiling)
        if gain_only and gain > headroom:
            entry.cut = gain - headroom
            reached = entry.lufs_at(headroom)
            missed = 0.0 if reached is None else max(0.0, aim - reached)
            shortfall = max(shortfall, missed)
            entry.reason = (
                f"gain lowered by {entry.cut:.1f} dB to {headroom:+.1f} dB: its true peak would "
                f"reach {entry.peak_at(gain)}, over the {ceiling:.1f} dBTP ceiling; the track "
                f"plays at {_lufs(reached)}, {missed:.1f} LU under {where}"
            )
            gain = headroom
        else:
            entry.reason = f"gain {gain:+.1f} dB brings the track to {where}"
        entry.gain = gain
    return shortfall


def _plan_shared(
    entries: Sequence[_Entry],
    measurable: Sequence[_Entry],
    programme: _Programme,
    anchor: _Entry | None,
    target: float,
    ceiling: float,
    gain_only: bool,
) -> tuple[float, _Entry | None, float]:
    """Album and anchor mode: one gain for every measurable track, plus offsets.

    Returns the shared gain, the track that limits it (or ``None``) and the loudness
    given up to the ceiling.
    """
    fixed = np.array([entry.gain for entry in entries])
    shares = np.array([entry.lufs is not None for entry in entries])
    offsets = np.array([entry.offset for entry in entries])

    def album_lufs(shared: float) -> float | None:
        return programme.lufs(np.where(shares, shared + offsets, fixed))

    def reached(shared: float) -> float | None:
        if anchor is None:
            return album_lufs(shared)
        return anchor.lufs_at(shared + anchor.offset)

    shared = _solve(reached, target)
    limiting: _Entry | None = None
    cut = 0.0
    if gain_only:
        limiting = min(measurable, key=lambda entry: entry.headroom(ceiling) - entry.offset)
        highest = limiting.headroom(ceiling) - limiting.offset
        if shared > highest:
            cut = shared - highest
        else:
            limiting = None
    wanted = shared
    shared -= cut
    level = reached(shared)
    given_up = 0.0 if limiting is None or level is None else max(0.0, target - level)
    for entry in measurable:
        what = "the album" if anchor is None else f"the loudest track, {anchor.name},"
        if entry is anchor:
            what = "this loudest track"
        entry.gain = shared + entry.offset
        entry.cut = cut
        offset = _offset_note(entry.track)
        label = "album gain" if anchor is None else "anchor gain"
        if limiting is None:
            if anchor is None or entry is anchor:
                subject = "the album" if anchor is None else "this loudest track"
                entry.reason = f"{label} {shared:+.1f} dB brings {subject} to {target:.1f} LUFS"
            else:
                entry.reason = _below_anchor(entry, anchor, shared, label)
            entry.reason += offset
        elif entry is limiting:
            entry.reason = (
                f"{label} lowered by {cut:.1f} dB to {shared:+.1f} dB: its true peak would reach "
                f"{entry.peak_at(wanted + entry.offset)}, over the {ceiling:.1f} dBTP ceiling; "
                f"{what} plays at {_lufs(level)} and gives up {given_up:.1f} LU{offset}"
            )
        else:
            entry.reason = (
                f"{label} {shared:+.1f} dB, lowered by {cut:.1f} dB for the true peak of "
                f"{limiting.name}; {what} plays at {_lufs(level)}, {given_up:.1f} LU under the "
                f"target{offset}"
            )
    return shared, limiting, given_up


def _below_anchor(entry: _Entry, anchor: _Entry, shared: float, label: str) -> str:
    """Write the reason of a track that follows the anchor's gain."""
    mine = entry.lufs_at(shared + entry.offset)
    theirs = anchor.lufs_at(shared + anchor.offset)
    if mine is None or theirs is None:
        return f"{label} {shared:+.1f} dB, set by the loudest track {anchor.name}"
    return (
        f"{label} {shared:+.1f} dB, set by the loudest track {anchor.name}: it stays "
        f"{theirs - mine:.1f} LU under it"
    )


def _track_gain(entry: _Entry, ceiling: float, limiter_allowed: bool) -> TrackGain:
    """Build the plan's record of one track, with the limiter's share when it runs."""
    peak_after = None if entry.peak is None else entry.peak + entry.gain
    if peak_after is not None and entry.cut > 0.0:
        # The gain was set from the ceiling: do not let rounding put the peak over it.
        peak_after = min(peak_after, ceiling)
    reduction = 0.0
    reason = entry.reason
    if limiter_allowed and peak_after is not None and peak_after > ceiling:
        reduction = peak_after - ceiling
        reason += (
            f"; the limiter brings its true peak from {peak_after:+.1f} to {ceiling:.1f} dBTP "
            f"(at least {reduction:.1f} dB of gain reduction)"
        )
    return TrackGain(
        track_id=entry.track.id,
        gain_db=entry.gain,
        integrated_lufs_after=entry.lufs_at(entry.gain),
        true_peak_dbtp_after=peak_after,
        limiter_reduction_db=reduction,
        ceiling_cut_db=entry.cut,
        reason=reason,
    )
