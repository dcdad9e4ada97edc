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
to every side. After the render every side file is measured; when the
processing, a segue or dither lifts a true peak over the ceiling, every gain is
lowered by the excess and the sides are rendered again (relative levels kept).

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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sequencer import __version__
from sequencer.analysis import CancelEvent, TrackAnalysis, analyse_file
from sequencer.deliver import safe_file_name, session_hash, write_json
from sequencer.errors import Cancelled, SessionError
from sequencer.findings import Finding
from sequencer.levels import GainPlan, plan_gains
from sequencer.render import OutputFile, WrittenFile, dither_seed, render
from sequencer.session import FileFormat, LoudnessMode, LoudnessPolicy, Session
from sequencer.timeline import Timeline
from vinyl.processing import MidTreatment, VinylChain, vinyl_chain
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
    measured: Mapping[str, TrackAnalysis] = field(default_factory=dict)
    """Analyses of the written side files, by side name."""

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


def render_sides(
    session: Session,
    layout: SideLayout,
    out_dir: Path,
    *,
    analyses: Mapping[str, TrackAnalysis],
    policy: VinylLevelPolicy | None = None,
    findings: Sequence[Finding] = (),
    side_notes: Mapping[str, Mapping[str, Any]] | None = None,
    progress: SideProgress | None = None,
    cancel: CancelEvent | None = None,
) -> SideFiles:
    """Render one continuous pre-master file per side, and the side manifest.

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
    findings : sequence of Finding, optional
        The side checks' findings, recorded in the manifest.
    side_notes : Mapping of str to Mapping, optional
        Extra figures per side name (e.g. the groove space), added to its entry.
    progress : callable, optional
        Called with (frames done, frames in all sides, description).
    cancel : CancelEvent, optional
        Stops the run; nothing is left under a final name.

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
    on_vinyl = tuple(p.track_id for side in sides for p in side.timeline.placements)
    plan = vinyl_gain_plan(session, analyses, policy, on_vinyl)
    planned = {gain.track_id: gain.gain_db for gain in plan.tracks}
    digest = session_hash(session)
    total = float(sum(side.samples for side in sides))
    correction_db = 0.0
    written: dict[str, WrittenFile] = {}
    mix_peaks: dict[str, float | None] = {}
    measured: dict[str, TrackAnalysis] = {}
    chain_description: list[Mapping[str, Any]] | None = None
    try:
        for attempt in range(1 + MAX_CEILING_CORRECTIONS):
            gains = {tid: gain + correction_db for tid, gain in planned.items()}
            what = "rendering side" if attempt == 0 else "rendering again, a little lower: side"
            done = 0
            for side in sides:
                chain = vinyl_chain(session.vinyl, side.timeline.sample_rate, mid=policy.mid)
                chain_description = None if chain is None else chain.describe()
                written[side.name], mix_peaks[side.name] = _render_side(
                    side, gains, pending[side.name], policy, file_format, chain, digest,
                    _offset_progress(progress, done, total, f"{what} {side.name}"), cancel,
                )  # fmt: skip
                done += side.samples
            measured = {}
            for side in sides:
                if progress is not None:
                    progress(total, total, f"measuring side {side.name}")
                measured[side.name] = analyse_file(pending[side.name], cancel=cancel)
            # The mix's own sample peak counts too: processing (the mono-below allpass
            # rotates the phase of clipped or limited material) can push the mix past full
            # scale, where the file clips and its measured true peak no longer tells how
            # far over the ceiling the mix is.
            peaks = [m.true_peak_dbtp for m in measured.values() if m.true_peak_dbtp is not None]
            peaks += [peak for peak in mix_peaks.values() if peak is not None]
            excess = max(peaks, default=-math.inf) - policy.ceiling_dbtp
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
        for name, path in pending.items():
            os.replace(path, finals[name])
    except BaseException:
        for path in pending.values():
            path.unlink(missing_ok=True)
        raise
    gains = {tid: gain + correction_db for tid, gain in planned.items()}
    manifest = out_dir / SIDE_MANIFEST_NAME
    content = _manifest(
        session, layout, sides, finals, written, measured, plan, policy, gains,
        correction_db, chain_description, digest,
    )  # fmt: skip
    content["findings"] = [finding.model_dump(mode="json") for finding in findings]
    for entry in content["sides"]:
        entry.update((side_notes or {}).get(entry["side"], {}))
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
        measured=measured,
    )


def _offset_progress(
    progress: SideProgress | None, done: int, total: float, what: str
) -> Callable[[int, int], None] | None:
    """Turn one side's render progress into progress over all sides."""
    if progress is None:
        return None

    def report(frames: int, _side_total: int) -> None:
        progress(done + frames, total, what)

    return report


def _render_side(
    side: SidePlan,
    gains: Mapping[str, float],
    path: Path,
    policy: VinylLevelPolicy,
    file_format: FileFormat,
    chain: VinylChain | None,
    digest: str,
    progress: Callable[[int, int], None] | None,
    cancel: CancelEvent | None,
) -> tuple[WrittenFile, float | None]:
    """Render one side into ``path``; return the written file and the mix's sample peak."""
    timeline = side.timeline
    output = OutputFile(path, 0, timeline.length, policy.bit_depth, file_format)
    report = render(
        timeline,
        gains,
        [output],
        seed=dither_seed(digest, "vinyl", side.name),
        limiter=chain,
        progress=progress,
        cancel=cancel,
    )
    return report.files[0], report.peak_dbfs


def _seconds(samples: int, rate: int) -> float:
    return round(samples / rate, 6)


def _manifest(
    session: Session,
    layout: SideLayout,
    sides: list[SidePlan],
    finals: Mapping[str, Path],
    written: Mapping[str, WrittenFile],
    measured: Mapping[str, TrackAnalysis],
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
        file = written[side.name]
        analysis = measured.get(side.name)
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
                "true_peak_dbtp": None if analysis is None else analysis.true_peak_dbtp,
                "integrated_lufs": None if analysis is None else analysis.integrated_lufs,
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
