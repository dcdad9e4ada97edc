"""Vinyl side files: one continuous pre-master file per side, and the side manifest.

Each side's timeline (:mod:`vinyl.sides`: lead-in, pauses, segues) is rendered
by :func:`sequencer.render.render`, the engine of the digital master, at the
timeline's rate (the master's native rate; nothing is upsampled), 24-bit WAV by
default (AIFF when the session delivers AIFF), named like
``CAT001_A_44100Hz_24bit.wav`` (``/work/shared/domain/vinyl.md``, "What the
plant and the cutting engineer want to receive").

Level policy (``/work/shared/domain/loudness.md``, vinyl pre-masters)
----------------------------------------------------------------------
Album-relative levels: :func:`sequencer.levels.plan_gains` in album mode, with
the tracks' offsets, no limiter and the vinyl ceiling (-1 dBTP by default).
With ``target_lufs=None`` the session's target is kept (the digital master's
album-relative gains), lowered as a whole where the ceiling demands it; a
target such as -18 LUFS sets the album's loudness instead. The same gains apply
to every side. When the processing or a segue can lift a true peak over the
tracks' own, a light pass measures each side's processed mix first and every
gain is lowered by the excess (relative levels kept); the chain is linear, so the
files are then written once. Each side's mix is true-peak metered again as it is
written, and rendered again lower in the unlikely case it is still over.
The side checks ride on the same pass as observers (:mod:`vinyl.workflow`).

Processing
----------
The session's vinyl plan may ask for a subsonic high-pass and mono below a
crossover (:mod:`vinyl.processing`); the chain runs as the render's bus
processor, after the mix and before dither.

Files appear under their final names only when every side is complete: the
sides are rendered under hidden pending names and moved into place together,
then the manifest is written atomically. A cancelled or failed run leaves no
file under a final name.
"""

from __future__ import annotations

import logging
import math
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from sequencer import __version__
from sequencer.analysis import CancelEvent, TrackAnalysis
from sequencer.deliver import safe_file_name, session_hash, write_json
from sequencer.errors import Cancelled, SessionError
from sequencer.findings import Finding
from sequencer.levels import GainPlan, plan_gains, programme_lufs
from sequencer.render import OutputFile, WrittenFile, dither_seed, mixed_blocks, render
from sequencer.session import FileFormat, LoudnessMode, LoudnessPolicy, Session
from sequencer.timeline import Timeline
from sequencer.truepeak import TruePeakMeter
from vinyl.processing import MidTreatment, VinylChain, ZeroLatencyProcessor, vinyl_chain
from vinyl.sides import SideLayout, SidePlan

__all__ = [
    "SIDE_MANIFEST_NAME",
    "SideFiles",
    "VinylLevelPolicy",
    "render_sides",
    "side_file_name",
    "vinyl_gain_plan",
]

logger = logging.getLogger(__name__)

#: File name of the side manifest in the output folder.
SIDE_MANIFEST_NAME = "vinyl_sides.json"
#: Renders after the first when a side's true peak is over the ceiling.
MAX_CEILING_CORRECTIONS = 2
#: Weight of the peak-measuring pass in the progress, relative to a render.
PEAK_PASS_SHARE = 0.25
#: Extra headroom taken by such a correction, dB.
CEILING_CORRECTION_MARGIN_DB = 0.02

#: Progress of the side render: (done, total, what is happening).
SideProgress = Callable[[float, float, str], None]


@dataclass(frozen=True)
class VinylLevelPolicy:
    """The vinyl pre-master level preset: album-relative, no limiter, a ceiling.

    Attributes
    ----------
    target_lufs : float or None
        Album loudness target in LUFS; None keeps the session's target (the
        digital master's album-relative gains). -18 is the option some labels ask for.
    ceiling_dbtp : float
        Highest true peak of a side file, dBTP (cutting rooms ask for 0 to -3).
    bit_depth : int
        24 (default), 16, or 32 for float.
    mid : {"allpass", "exact"}
        Mid treatment of the mono-below filter (see :class:`vinyl.processing.MonoBelow`).
    """

    target_lufs: float | None = None
    ceiling_dbtp: float = -1.0
    bit_depth: int = 24
    mid: MidTreatment = "allpass"

    def __post_init__(self) -> None:
        if self.target_lufs is not None and not -40.0 <= self.target_lufs <= -5.0:
            raise ValueError(f"target {self.target_lufs} LUFS is outside -40 .. -5 LUFS")
        if not -20.0 <= self.ceiling_dbtp <= 0.0:
            raise ValueError(f"ceiling {self.ceiling_dbtp} dBTP is outside -20 .. 0 dBTP")
        if self.bit_depth not in (16, 24, 32):
            raise ValueError(f"bit depth must be 16, 24 or 32 (float), got {self.bit_depth}")

    def as_dict(self) -> dict[str, Any]:
        """Return the policy as JSON-ready data."""
        return {
            "target_lufs": self.target_lufs,
            "ceiling_dbtp": self.ceiling_dbtp,
            "limiter": False,
            "bit_depth": self.bit_depth,
        }


@dataclass(frozen=True)
class SideFiles:
    """What :func:`render_sides` wrote."""

    directory: Path
    """The output folder."""
    files: Mapping[str, Path]
    """The side file of each side with tracks, by side name."""
    manifest: Path
    """The side manifest."""
    timelines: Mapping[str, Timeline]
    """Each side's timeline, by side name (positions in the files)."""
    plan: GainPlan
    """The album-relative gain plan."""
    gains_db: Mapping[str, float] = field(default_factory=dict)
    """The gain each track was rendered with (plan plus ceiling correction), dB."""
    true_peak_dbtp: Mapping[str, float | None] = field(default_factory=dict)
    """True peak of each side file (its mix before dither), dBTP, by side name."""
    integrated_lufs: Mapping[str, float | None] = field(default_factory=dict)
    """Integrated loudness of each side (its tracks at their gains), LUFS, by side name."""
    sha256: Mapping[str, str] = field(default_factory=dict)
    """SHA-256 of each side file, by side name."""

    @property
    def paths(self) -> tuple[Path, ...]:
        """The side files in side order."""
        return tuple(self.files.values())


def side_file_name(
    session: Session, side_name: str, sample_rate: int, bit_depth: int, extension: str
) -> str:
    """Name a side file like ``CAT001_A_44100Hz_24bit.wav``.

    Parameters
    ----------
    session : Session
        Gives the catalogue number (or, without one, the album title).
    side_name : str
        The side, e.g. ``"A"``.
    sample_rate : int
        Rate of the file, Hz.
    bit_depth : int
        16, 24, or 32 (written ``32bitfloat``).
    extension : str
        ``wav`` or ``aiff``.

    Returns
    -------
    str
        The file name.
    """
    album = session.album
    stem = safe_file_name(album.catalogue_number or album.title, "album").replace(" ", "_")
    side = safe_file_name(side_name, "side").replace(" ", "_")
    depth = "32bitfloat" if bit_depth == 32 else f"{bit_depth}bit"
    return f"{stem}_{side}_{sample_rate}Hz_{depth}.{extension}"


def vinyl_gain_plan(
    session: Session,
    analyses: Mapping[str, TrackAnalysis],
    policy: VinylLevelPolicy,
    track_ids: tuple[str, ...] = (),
) -> GainPlan:
    """Plan album-relative gains under the vinyl policy.

    Parameters
    ----------
    session : Session
        The album (running order, offsets, loudness target).
    analyses : Mapping of str to TrackAnalysis
        The sources' analyses by track id.
    policy : VinylLevelPolicy
        Target (None: the session's) and ceiling; never a limiter.
    track_ids : tuple of str, optional
        Tracks on vinyl; those outside the running order are planned after it.

    Returns
    -------
    GainPlan
        The gains (album mode, gain only, under the ceiling).
    """
    loudness = LoudnessPolicy(
        mode=LoudnessMode.ALBUM,
        target_lufs=(
            session.loudness.target_lufs if policy.target_lufs is None else policy.target_lufs
        ),
        true_peak_ceiling_dbtp=policy.ceiling_dbtp,
        limiter_allowed=False,
    )
    extra = tuple(tid for tid in dict.fromkeys(track_ids) if tid not in session.order)
    update: dict[str, Any] = {"loudness": loudness}
    if extra:  # only the running order and the policy are read by plan_gains
        update["order"] = (*session.order, *extra)
    return plan_gains(session.model_copy(update=update), analyses)


class SideObserver(Protocol):
    """Something fed the processed mix of a side as it is rendered (the side checks)."""

    def process(self, planar: NDArray[np.float64]) -> None:
        """Take the next block, shape (2, frames), exactly as it goes to the file."""
        ...

    def true_peak_dbtp(self) -> float | None:
        """Return the true peak of all blocks taken, dBTP (called once, after the last)."""
        ...


#: Makes the observer of a side for one render attempt, from the side, the gains used and
#: the side's true peak at those gains when the peak pass measured it (dBTP, -inf when
#: silent; None when not measured: the observer meters it).
ObserverFactory = Callable[[SidePlan, Mapping[str, float], float | None], SideObserver]
#: Called once the sides are rendered, before anything is moved into place: gets the
#: observers of the final attempt and returns the findings and per-side notes for the
#: manifest.
ManifestNotes = Callable[
    [Mapping[str, SideObserver]],
    tuple[Sequence[Finding], Mapping[str, Mapping[str, Any]]],
]


def render_sides(
    session: Session,
    layout: SideLayout,
    out_dir: Path,
    *,
    analyses: Mapping[str, TrackAnalysis],
    policy: VinylLevelPolicy | None = None,
    observers: ObserverFactory | None = None,
    notes: ManifestNotes | None = None,
    progress: SideProgress | None = None,
    cancel: CancelEvent | None = None,
    workers: int = 2,
) -> SideFiles:
    """Render one continuous pre-master file per side, and the side manifest.

    Each side is one streaming pass: mix, vinyl processing, true-peak meter, any
    observer (the side checks), dither, file. Sides render side by side on
    ``workers`` threads.

    Parameters
    ----------
    session : Session
        The album; its vinyl plan gives the processing, its delivery format the
        container (AIFF when it is AIFF, else WAV).
    layout : SideLayout
        The sides and their timelines (:func:`vinyl.sides.plan_sides`).
    out_dir : Path
        Where the files go (created when missing).
    analyses : Mapping of str to TrackAnalysis
        The sources' analyses by track id (for the gain plan).
    policy : VinylLevelPolicy, optional
        The level preset; the conservative default when None.
    observers : callable, optional
        Makes an observer per side and attempt, fed the processed mix as it is written.
    notes : callable, optional
        Turns the final attempt's observers into findings and per-side notes for the manifest.
    progress : callable, optional
        Called with (frames done, frames in all sides, description).
    cancel : CancelEvent, optional
        Stops the run; nothing is left under a final name.
    workers : int, optional
        Sides rendered at once.

    Returns
    -------
    SideFiles
        The side files, the manifest, the timelines and the gains.

    Raises
    ------
    SessionError
        When no side has tracks.
    RenderError, AudioError, Cancelled
        Nothing is left under a final name.
    """
    policy = VinylLevelPolicy() if policy is None else policy
    sides = [side for side in layout.sides if side.timeline.placements]
    if not sides:
        raise SessionError("no vinyl side has tracks: nothing to render")
    out_dir = Path(out_dir)
    aiff = session.delivery.file_format == FileFormat.AIFF
    file_format = FileFormat.AIFF if aiff else FileFormat.WAV
    extension = "aiff" if file_format == FileFormat.AIFF else "wav"
    finals = {
        side.name: out_dir
        / side_file_name(session, side.name, side.timeline.sample_rate, policy.bit_depth, extension)
        for side in sides
    }
    if len(set(finals.values())) != len(finals):
        raise SessionError("two sides would get the same file name: give the sides distinct names")
    pending = {name: path.with_name(f".{path.name}.pending") for name, path in finals.items()}
    digest = session_hash(session)
    total = float(sum(side.samples for side in sides))
    outcomes: dict[str, _SideOutcome] = {}
    chain_description: list[Mapping[str, Any]] | None = None
    try:
        # The peak pass, when there is one, counts as a quarter of a render in the progress.
        share = PEAK_PASS_SHARE if _may_exceed_track_peaks(session, sides) else 0.0
        grand_total = total * (1.0 + share)
        plan, peaks = _plan_and_peaks(
            session, sides, analyses, policy,
            _Progress(progress, grand_total, "measuring peaks", weight=share), cancel, workers,
        )  # fmt: skip
        planned = plan.gains_db()
        correction_db = _correction(peaks, policy)
        for attempt in range(1 + MAX_CEILING_CORRECTIONS):
            gains = {tid: gain + correction_db for tid, gain in planned.items()}
            # The chain is linear: a side's peak at these gains is its measured peak
            # moved by the correction, so the render's observers need not meter it again.
            known = None if peaks is None else {n: p + correction_db for n, p in peaks.items()}
            what = "rendering sides" if attempt == 0 else "rendering again, a little lower"
            chain = vinyl_chain(session.vinyl, sides[0].timeline.sample_rate, mid=policy.mid)
            chain_description = None if chain is None else chain.describe()
            outcomes = _render_all(
                session, sides, gains, known, pending, policy, file_format, digest, observers,
                _Progress(progress, grand_total, what, offset=share * total), cancel, workers,
            )  # fmt: skip
            # The true peak of the processed mix in floating point, before dither: the
            # processing (the mono-below allpass rotates the phase of clipped or limited
            # material) can push it past full scale, where a measure of the file would
            # see the clipped samples and not how far over the ceiling the mix is.
            rendered = [o.true_peak_dbtp for o in outcomes.values() if o.true_peak_dbtp is not None]
            excess = max(rendered, default=-math.inf) - policy.ceiling_dbtp
            if excess <= 0.0 or attempt == MAX_CEILING_CORRECTIONS:
                if excess > 0.0:
                    logger.warning(
                        "side true peak %.3f dB over the ceiling after corrections", excess
                    )
                break
            correction_db -= excess + CEILING_CORRECTION_MARGIN_DB
            logger.info(
                "side true peak %.3f dB over the ceiling; lowering every gain by %.3f dB",
                excess,
                -correction_db,
            )
        if cancel is not None and cancel.is_set():
            raise Cancelled("side render cancelled")
        findings: Sequence[Finding] = ()
        side_notes: Mapping[str, Mapping[str, Any]] = {}
        if notes is not None:
            findings, side_notes = notes(
                {name: o.observer for name, o in outcomes.items() if o.observer is not None}
            )
        for name, path in pending.items():
            os.replace(path, finals[name])
    except BaseException:
        for path in pending.values():
            path.unlink(missing_ok=True)
        raise
    gains = {tid: gain + correction_db for tid, gain in planned.items()}
    loudness = {side.name: side_loudness(side, analyses, gains) for side in sides}
    manifest = out_dir / SIDE_MANIFEST_NAME
    content = _manifest(
        session, layout, sides, finals, outcomes, loudness, plan, policy, gains,
        correction_db, chain_description, digest,
    )  # fmt: skip
    content["findings"] = [finding.model_dump(mode="json") for finding in findings]
    for entry in content["sides"]:
        entry.update(side_notes.get(entry["side"], {}))
    try:
        write_json(manifest, content)
    except BaseException:
        for path in finals.values():
            path.unlink(missing_ok=True)
        raise
    return SideFiles(
        directory=out_dir,
        files=finals,
        manifest=manifest,
        timelines={side.name: side.timeline for side in sides},
        plan=plan,
        gains_db=gains,
        true_peak_dbtp={name: o.true_peak_dbtp for name, o in outcomes.items()},
        integrated_lufs=loudness,
        sha256={name: o.written.sha256 for name, o in outcomes.items()},
    )


def side_loudness(
    side: SidePlan,
    analyses: Mapping[str, TrackAnalysis],
    gains_db: Mapping[str, float],
) -> float | None:
    """Return a side's integrated loudness from its tracks' gating blocks and gains, LUFS.

    Exact for the tracks as one programme at these gains (BS.1770 gates); the
    pauses add no blocks and the vinyl processing is not included.
    """
    ids = [p.track_id for p in side.timeline.placements if p.track_id in analyses]
    return programme_lufs([analyses[t] for t in ids], [gains_db.get(t, 0.0) for t in ids])


@dataclass
class _SideOutcome:
    """One side's render: the file written, the mix's true peak, its observer."""

    written: WrittenFile
    true_peak_dbtp: float | None
    observer: SideObserver | None


class _Progress:
    """Adds up the progress of sides rendered at once (thread-safe)."""

    def __init__(
        self,
        progress: SideProgress | None,
        total: float,
        what: str,
        offset: float = 0.0,
        weight: float = 1.0,
    ) -> None:
        self._progress = progress
        self._total = total
        self._what = what
        self._offset = offset
        self._weight = weight
        self._done: dict[str, int] = {}
        self._lock = threading.Lock()

    def for_side(self, name: str) -> Callable[[int, int], None] | None:
        """Return the callback of one side's render."""
        if self._progress is None:
            return None

        def report(frames: int, _side_total: int) -> None:
            with self._lock:
                self._done[name] = frames
                done = sum(self._done.values())
            assert self._progress is not None
            self._progress(self._offset + self._weight * done, self._total, self._what)

        return report


class _Tap(ZeroLatencyProcessor):
    """The render's bus processor: the vinyl chain, then the observer or a true-peak meter.

    The true peak of the processed mix comes from the observer when there is one
    (the side checks meter it anyway), else from the tap's own meter.
    """

    def __init__(
        self, chain: VinylChain | None, sample_rate: int, observer: SideObserver | None
    ) -> None:
        super().__init__()
        self._chain = chain
        self._observer = observer
        self._peak = TruePeakMeter(sample_rate) if observer is None else None

    def process(self, planar: NDArray[np.float64]) -> NDArray[np.float64]:
        """Process a block (2, frames) and meter it."""
        out = planar if self._chain is None else self._chain.process(planar)
        if self._observer is not None:
            self._observer.process(out)
        else:
            assert self._peak is not None
            self._peak.process(out)
        self._advance(out.shape[1])
        return out

    def true_peak_dbtp(self) -> float | None:
        """Return the true peak of everything processed (call once, at the end)."""
        if self._observer is not None:
            return self._observer.true_peak_dbtp()
        assert self._peak is not None
        self._peak.finish()
        return self._peak.peak_dbtp()


def _may_exceed_track_peaks(session: Session, sides: Sequence[SidePlan]) -> bool:
    """Return True when a side's mix can peak above its tracks' own true peaks.

    The vinyl processing (the mono-below allpass, the subsonic filter) changes
    peaks, and a crossfade adds two tracks; otherwise each sample of the mix is
    one track's sample at its gain (fades only lower it).
    """
    if session.vinyl.subsonic_hz is not None or session.vinyl.mono_below_hz is not None:
        return True
    return any(p.crossfade_in for side in sides for p in side.timeline.placements)


def cut_gains(
    session: Session,
    sides: Sequence[SidePlan],
    analyses: Mapping[str, TrackAnalysis],
    policy: VinylLevelPolicy,
    progress: _Progress | None = None,
    cancel: CancelEvent | None = None,
    workers: int = 2,
) -> tuple[GainPlan, float]:
    """Return the gain plan of the tracks on ``sides`` and the ceiling correction, dB.

    The level the sides are cut at is each track's planned gain plus the
    correction: the gain change (dB, <= 0) that keeps every side's processed mix
    under the ceiling, from a light pass per side (:func:`side_peaks`) when the
    processing or a crossfade can lift a peak above the tracks' own. Everything in
    the chain is linear, so the correction is exact and the side files and their
    checks are made once, at the final level. The side files and a check without
    files (:func:`vinyl.workflow.check_vinyl`) both take it from here.
    """
    plan, peaks = _plan_and_peaks(session, sides, analyses, policy, progress, cancel, workers)
    return plan, _correction(peaks, policy)


def _plan_and_peaks(
    session: Session,
    sides: Sequence[SidePlan],
    analyses: Mapping[str, TrackAnalysis],
    policy: VinylLevelPolicy,
    progress: _Progress | None,
    cancel: CancelEvent | None,
    workers: int,
) -> tuple[GainPlan, dict[str, float] | None]:
    """Return the gain plan of the tracks on ``sides`` and each side's peak at it."""
    on_vinyl = tuple(p.track_id for side in sides for p in side.timeline.placements)
    plan = vinyl_gain_plan(session, analyses, policy, on_vinyl)
    peaks = side_peaks(session, sides, plan.gains_db(), policy, progress, cancel, workers)
    return plan, peaks


def side_peaks(
    session: Session,
    sides: Sequence[SidePlan],
    gains: Mapping[str, float],
    policy: VinylLevelPolicy,
    progress: _Progress | None = None,
    cancel: CancelEvent | None = None,
    workers: int = 2,
) -> dict[str, float] | None:
    """Return each side's processed-mix true peak at ``gains``, dBTP (-inf when silent).

    The peak pass of :func:`cut_gains`; None when the pass is not
    needed (no processing and no crossfade: no sample exceeds its track's peak).
    """
    if not sides or not _may_exceed_track_peaks(session, sides):
        return None
    progress = progress or _Progress(None, 0.0, "")

    def one(side: SidePlan) -> float:
        timeline = side.timeline
        chain = vinyl_chain(session.vinyl, timeline.sample_rate, mid=policy.mid)
        meter = TruePeakMeter(timeline.sample_rate)
        report = progress.for_side(side.name)
        for start, mix in mixed_blocks(timeline, gains, limiter=chain, cancel=cancel):
            meter.process(mix.T)
            if report is not None:
                report(start + mix.shape[0], timeline.length)
        meter.finish()
        peak = meter.peak_dbtp()
        return -math.inf if peak is None else peak

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(sides)))) as pool:
        peaks = dict(zip([side.name for side in sides], pool.map(one, sides), strict=True))
    if cancel is not None and cancel.is_set():
        raise Cancelled("side render cancelled")
    return peaks


def _correction(peaks: Mapping[str, float] | None, policy: VinylLevelPolicy) -> float:
    """Return the gain change (dB, <= 0) that brings the highest side peak under the ceiling."""
    excess = max((peaks or {}).values(), default=-math.inf) - policy.ceiling_dbtp
    if excess <= 0.0:
        return 0.0
    logger.info(
        "side true peak %.3f dB over the ceiling; lowering every gain by %.3f dB",
        excess,
        excess + CEILING_CORRECTION_MARGIN_DB,
    )
    return -(excess + CEILING_CORRECTION_MARGIN_DB)


def _render_all(
    session: Session,
    sides: Sequence[SidePlan],
    gains: Mapping[str, float],
    known_peaks: Mapping[str, float] | None,
    pending: Mapping[str, Path],
    policy: VinylLevelPolicy,
    file_format: FileFormat,
    digest: str,
    observers: ObserverFactory | None,
    progress: _Progress,
    cancel: CancelEvent | None,
    workers: int,
) -> dict[str, _SideOutcome]:
    """Render every side into its pending file, ``workers`` at a time."""

    def one(side: SidePlan) -> _SideOutcome:
        timeline = side.timeline
        chain = vinyl_chain(session.vinyl, timeline.sample_rate, mid=policy.mid)
        known = None if known_peaks is None else known_peaks[side.name]
        observer = None if observers is None else observers(side, gains, known)
        tap = _Tap(chain, timeline.sample_rate, observer)
        output = OutputFile(pending[side.name], 0, timeline.length, policy.bit_depth, file_format)
        report = render(
            timeline,
            gains,
            [output],
            seed=dither_seed(digest, "vinyl", side.name),
            limiter=tap,
            progress=progress.for_side(side.name),
            cancel=cancel,
        )
        return _SideOutcome(report.files[0], tap.true_peak_dbtp(), observer)

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(sides)))) as pool:
        futures = [pool.submit(one, side) for side in sides]
        try:
            return {side.name: future.result() for side, future in zip(sides, futures, strict=True)}
        except BaseException:
            if cancel is not None and hasattr(cancel, "set"):
                cancel.set()  # stop the other side too: nothing of this run is kept
            raise


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _seconds(samples: int, rate: int) -> float:
    return round(samples / rate, 6)


def _manifest(
    session: Session,
    layout: SideLayout,
    sides: list[SidePlan],
    finals: Mapping[str, Path],
    outcomes: Mapping[str, _SideOutcome],
    loudness: Mapping[str, float | None],
    plan: GainPlan,
    policy: VinylLevelPolicy,
    gains: Mapping[str, float],
    correction_db: float,
    processing: list[Mapping[str, Any]] | None,
    digest: str,
) -> dict[str, Any]:
    """Build the side manifest's content."""
    entries = []
    for side in sides:
        timeline = side.timeline
        rate = timeline.sample_rate
        outcome = outcomes[side.name]
        file = outcome.written
        tracks = []
        for index, placement in enumerate(timeline.placements, start=1):
            track = session.track(placement.track_id)
            tracks.append(
                {
                    "position": f"{side.name}{index}",
                    "track_id": placement.track_id,
                    "title": track.title,
                    "artist": track.artist or session.album.artist,
                    "start_samples": placement.start,
                    "end_samples": placement.end,
                    "start_s": _seconds(placement.start, rate),
                    "end_s": _seconds(placement.end, rate),
                    "duration_s": _seconds(placement.length, rate),
                    "pause_before_samples": placement.pause_before,
                    "crossfade_in_samples": placement.crossfade_in,
                    "gain_db": round(gains.get(placement.track_id, 0.0), 4),
                }
            )
        entries.append(
            {
                "side": side.name,
                "disc": side.disc,
                "file": finals[side.name].name,
                "sha256": file.sha256,
                "length_samples": file.frames,
                "length_s": _seconds(file.frames, rate),
                "sample_rate": rate,
                "bit_depth": policy.bit_depth,
                "format": finals[side.name].suffix.lstrip("."),
                "true_peak_dbtp": _round(outcome.true_peak_dbtp, 3),
                "integrated_lufs": _round(loudness.get(side.name), 2),
                "processing": processing or [],
                "tracks": tracks,
            }
        )
    album = session.album
    return {
        "runout_version": __version__,
        "session_sha256": digest,
        "album": {
            "title": album.title,
            "artist": album.artist,
            "label": album.label,
            "catalogue_number": album.catalogue_number,
        },
        "disc_format": layout.disc_format.id,
        "sample_rate_note": layout.rate_note,
        "level": {
            "policy": policy.as_dict(),
            "mode": plan.mode,
            "target_lufs": plan.target_lufs,
            "album_lufs_planned": plan.album_lufs_after,
            "ceiling_correction_db": round(correction_db, 4),
            "summary": plan.summary(),
        },
        "processing": processing or [],
        "sides": entries,
        "findings": [],
    }
