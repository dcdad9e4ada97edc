"""Digital deliverables: the album file with its CUE sheet, per-track files, a manifest.

One render pass writes the continuous album file and the per-track files
together (they share the dither, so the per-track files concatenate to the
album file sample for sample). The files are then measured (integrated
loudness and true peak of what was written) and listed with their SHA-256 in
``manifest.json``, with the session's hash and the runout version.

Presets
-------
``cd``
    44.1 kHz / 16-bit WAV album image with a CUE sheet, track starts on CD
    frames, 2 s before track 1; per-track WAV files.
``streaming``
    24-bit per-track files (and the album file) at the master's sample rate,
    levelled by the session's loudness policy (-14 LUFS / -1 dBTP by default).
``hires``
    24-bit FLAC at the master's rate, per track and for the album.
Without a preset, the session's delivery settings are used.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from sequencer import __version__
from sequencer.analysis import CancelEvent, TrackAnalysis
from sequencer.batch import analyse_sources
from sequencer.cache import AnalysisCache
from sequencer.cue import cue_sheet, cue_text, write_cue_sheet
from sequencer.errors import RenderError
from sequencer.levels import GainPlan, plan_gains
from sequencer.limiter import TruePeakLimiter
from sequencer.render import OutputFile, RenderReport, dither_seed, render
from sequencer.session import FileFormat, Session
from sequencer.store import dump_session_json
from sequencer.timeline import SourceInfo, Timeline, album_timeline, probe_sources

logger = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.json"
#: Renders after the first when the written files' true peak is over the ceiling.
MAX_CEILING_CORRECTIONS = 2
#: Extra headroom taken by such a correction, dB.
CEILING_CORRECTION_MARGIN_DB = 0.02
_EXTENSIONS = {FileFormat.WAV: "wav", FileFormat.FLAC: "flac", FileFormat.AIFF: "aiff"}

#: Progress of a delivery: (done, total, what is happening).
DeliveryProgress = Callable[[float, float, str], None]


class Preset(StrEnum):
    """The common deliverables."""

    CD = "cd"
    STREAMING = "streaming"
    HIRES = "hires"


@dataclass(frozen=True)
class DeliverySpec:
    """What to write: rate, word length, container, CD rules, which files."""

    name: str
    """Preset name, or ``session`` for the session's own settings."""
    sample_rate: int
    """Output sample rate in Hz."""
    bit_depth: int
    """16, 24, or 32 (float)."""
    file_format: FileFormat
    """Container of the audio files."""
    cd_alignment: bool
    """Track starts on CD frames, 2 s before track 1."""
    cue: bool
    """Write a CUE sheet for the album file."""


def master_rate(sources: Mapping[str, SourceInfo], fallback: int) -> int:
    """Return the sources' sample rate when they all share one, else ``fallback``."""
    rates = {source.sample_rate for source in sources.values()}
    return rates.pop() if len(rates) == 1 else fallback


def delivery_spec(
    session: Session, preset: Preset | None, sources: Mapping[str, SourceInfo]
) -> DeliverySpec:
    """Resolve a preset (or the session's settings) into a :class:`DeliverySpec`."""
    delivery = session.delivery
    master = master_rate(sources, delivery.sample_rate)
    if preset == Preset.CD:
        return DeliverySpec("cd", 44100, 16, FileFormat.WAV, cd_alignment=True, cue=True)
    if preset == Preset.STREAMING:
        return DeliverySpec(
            "streaming", master, 24, delivery.file_format, cd_alignment=False, cue=False
        )
    if preset == Preset.HIRES:
        return DeliverySpec("hires", master, 24, FileFormat.FLAC, cd_alignment=False, cue=False)
    cd_like = delivery.cd_alignment and delivery.sample_rate == 44100
    return DeliverySpec(
        "session",
        delivery.sample_rate,
        delivery.bit_depth,
        delivery.file_format,
        cd_alignment=delivery.cd_alignment,
        cue=cd_like,
    )


def session_hash(session: Session) -> str:
    """Return the SHA-256 of the session as saved, with paths relative to its sources' folder.

    Relative paths make the hash (and so the dither seed) the same wherever the
    album folder is moved: the same session renders the same bytes.
    """
    folders = [str(Path(track.path).parent) for track in session.tracks]
    base = Path(os.path.commonpath(folders)) if folders else Path("/")
    return hashlib.sha256(dump_session_json(session, base).encode("utf-8")).hexdigest()


def safe_file_name(text: str, fallback: str = "untitled") -> str:
    """Make ``text`` usable as a file name on every common filesystem."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", text).strip(" .")
    return text[:120] or fallback


@dataclass(frozen=True)
class Deliverable:
    """Everything a delivery wrote."""

    directory: Path
    """The output folder."""
    spec: DeliverySpec
    """What was written."""
    plan: GainPlan
    """The gain plan the render followed."""
    timeline: Timeline
    """Where every track sits in the album file."""
    manifest: Path
    """The manifest file."""
    album_file: Path
    """The continuous album file."""
    track_files: tuple[Path, ...]
    """The per-track files, in running order."""
    cue_file: Path | None
    """The CUE sheet, when the spec asks for one."""
    measured: Mapping[str, TrackAnalysis]
    """Analyses of the written files, by path."""
    checksums: Mapping[str, str]
    """SHA-256 of each written audio file, by path."""


def deliver(
    session: Session,
    out_dir: Path,
    *,
    preset: Preset | None = None,
    analyses: Mapping[str, TrackAnalysis],
    cache: AnalysisCache | None = None,
    progress: DeliveryProgress | None = None,
    cancel: CancelEvent | None = None,
) -> Deliverable:
    """Render the album's digital deliverables into ``out_dir``.

    Parameters
    ----------
    session
        The album.
    out_dir
        Where the files go (created when missing).
    preset
        ``cd``, ``streaming``, ``hires``, or None for the session's settings.
    analyses
        The sources' analyses by track id (for the gain plan).
    cache
        Where analyses of the written files may be kept.
    progress
        Called with (done, total, description).
    cancel
        Stops the render; nothing is left under a final name.

    Returns
    -------
    Deliverable
        The files, the plan, the timeline and the measurements.
    """
    tracks = session.ordered_tracks()
    sources = probe_sources(tracks)
    spec = delivery_spec(session, preset, sources)
    plan = plan_gains(session, analyses)
    timeline = album_timeline(
        session, sources, sample_rate=spec.sample_rate, cd_alignment=spec.cd_alignment
    )
    out_dir = Path(out_dir)
    extension = _EXTENSIONS[spec.file_format]
    stem = safe_file_name(session.album.catalogue_number or session.album.title, "album")
    if spec.cue:
        # A CUE sheet names the album file in plain text: keep its name ASCII.
        stem = safe_file_name(cue_text(stem, limit=120).replace("?", "_"), "album")
    album_path = out_dir / f"{stem}.{extension}"
    outputs = [
        OutputFile(
            album_path, 0, timeline.length, spec.bit_depth, spec.file_format, _album_tags(session)
        )
    ]
    track_paths = []
    for placement, (start, stop) in zip(timeline.placements, timeline.file_ranges(), strict=True):
        track = session.track(placement.track_id)
        path = out_dir / f"{placement.number:02d} {safe_file_name(track.title)}.{extension}"
        tags = _track_tags(session, placement.track_id, placement.number)
        outputs.append(OutputFile(path, start, stop, spec.bit_depth, spec.file_format, tags))
        track_paths.append(path)
    # The CUE sheet is made (and so checked) before anything is rendered.
    sheet = None
    if spec.cue:
        sheet = cue_sheet(
            session, timeline, album_path.name, off_frame="error" if spec.cd_alignment else "round"
        )
    gains = plan.gains_db()
    ceiling = session.loudness.true_peak_ceiling_dbtp
    digest = session_hash(session)
    correction_db = 0.0
    for attempt in range(1 + MAX_CEILING_CORRECTIONS):
        limiter = TruePeakLimiter(spec.sample_rate, ceiling) if plan.limiter else None

        what = "rendering" if attempt == 0 else "rendering again, a little lower"

        def render_progress(done: int, total: int, what: str = what) -> None:
            if progress is not None:
                progress(done, total, what)

        report = render(
            timeline,
            {track_id: gain + correction_db for track_id, gain in gains.items()},
            outputs,
            seed=dither_seed(digest, spec.name),
            limiter=limiter,
            progress=render_progress,
            cancel=cancel,
        )

        def measure_progress(done: int, total: int, finished: int, count: int) -> None:
            if progress is not None:
                progress(done, total, f"measuring {finished}/{count} files")

        written = [file.path for file in report.files]
        measured_list = analyse_sources(
            written, cache=cache, progress=measure_progress, cancel=cancel
        )
        measured = {
            str(path): analysis for path, analysis in zip(written, measured_list, strict=True)
        }
        # The mix's sample peak counts too: past full scale the files clip and their
        # measured true peak understates how far over the ceiling the mix is.
        highest = max(
            [(a.true_peak_dbtp or -math.inf) for a in measured_list]
            + [report.peak_dbfs or -math.inf]
        )
        excess = highest - ceiling
        if excess <= 0.0 or plan.limiter or attempt == MAX_CEILING_CORRECTIONS:
            break
        # A crossfade's sum, resampling or dither can lift an inter-sample peak a
        # little above what the sources' analyses predicted: lower every gain by the
        # excess (relative levels kept) and render again, so the ceiling holds.
        correction_db -= excess + CEILING_CORRECTION_MARGIN_DB
        logger.info(
            "rendered true peak %.3f dB over the ceiling; lowering gains by %.3f dB",
            excess,
            -correction_db,
        )
    cue_path = None
    if sheet is not None:
        cue_path = album_path.with_suffix(".cue")
        try:
            write_cue_sheet(cue_path, sheet)
        except OSError as error:
            raise RenderError(f"{cue_path}: cannot write the CUE sheet ({error})") from error
    manifest = out_dir / MANIFEST_NAME
    content = _manifest(session, spec, plan, timeline, report, measured, cue_path, digest)
    content["loudness"]["ceiling_correction_db"] = round(correction_db, 4)
    content["loudness"]["true_peak_over_ceiling_db"] = (
        round(max(excess, 0.0), 4) if not plan.limiter else 0.0
    )
    write_json(manifest, content)
    return Deliverable(
        directory=out_dir,
        spec=spec,
        plan=plan,
        timeline=timeline,
        manifest=manifest,
        album_file=album_path,
        track_files=tuple(track_paths),
        cue_file=cue_path,
        measured=measured,
        checksums={str(file.path): file.sha256 for file in report.files},
    )


def _album_tags(session: Session) -> dict[str, str]:
    """Tags of the album file."""
    album = session.album
    tags = {"title": album.title, "album": album.title}
    if album.artist:
        tags["artist"] = album.artist
    if album.year:
        tags["date"] = str(album.year)
    return tags


def _track_tags(session: Session, track_id: str, number: int) -> dict[str, str]:
    """Tags of a per-track file: title, artist, album, track number, ISRC."""
    track = session.track(track_id)
    tags = {"title": track.title, "album": session.album.title, "tracknumber": str(number)}
    artist = track.artist or session.album.artist
    if artist:
        tags["artist"] = artist
    if session.album.year:
        tags["date"] = str(session.album.year)
    if track.isrc:
        tags["isrc"] = track.isrc
        tags["comment"] = f"ISRC {track.isrc}"
    return tags


def _manifest(
    session: Session,
    spec: DeliverySpec,
    plan: GainPlan,
    timeline: Timeline,
    report: RenderReport,
    measured: Mapping[str, TrackAnalysis],
    cue_path: Path | None,
    digest: str,
) -> dict[str, Any]:
    """Build the manifest's content: every output with its length, level and checksum."""
    files = []
    for index, written in enumerate(report.files):
        analysis = measured[str(written.path)]
        files.append(
            {
                "path": written.path.name,
                "kind": "album" if index == 0 else "track",
                "track_id": None if index == 0 else timeline.placements[index - 1].track_id,
                "duration_samples": written.frames,
                "duration_s": round(written.frames / spec.sample_rate, 6),
                "sample_rate": spec.sample_rate,
                "bit_depth": spec.bit_depth,
                "format": spec.file_format.value,
                "integrated_lufs": analysis.integrated_lufs,
                "true_peak_dbtp": analysis.true_peak_dbtp,
                "sha256": written.sha256,
            }
        )
    if cue_path is not None:
        files.append(
            {
                "path": cue_path.name,
                "kind": "cue",
                "sha256": hashlib.sha256(cue_path.read_bytes()).hexdigest(),
            }
        )
    return {
        "runout_version": __version__,
        "session_sha256": digest,
        "album": {"title": session.album.title, "artist": session.album.artist},
        "preset": spec.name,
        "loudness": {
            "mode": plan.mode,
            "target_lufs": plan.target_lufs,
            "ceiling_dbtp": plan.ceiling_dbtp,
            "limiter": plan.limiter,
            "album_lufs_planned": plan.album_lufs_after,
            "summary": plan.summary(),
            "tracks": [
                {
                    "track_id": gain.track_id,
                    "gain_db": gain.gain_db,
                    "reason": gain.reason,
                    "limiter_reduction_db": report.limiter_reduction_db.get(gain.track_id, 0.0),
                }
                for gain in plan.tracks
            ],
        },
        "timeline": [
            {
                "number": placement.number,
                "track_id": placement.track_id,
                "start_samples": placement.start,
                "length_samples": placement.length,
                "pause_before_samples": placement.pause_before,
                "crossfade_in_samples": placement.crossfade_in,
            }
            for placement in timeline.placements
        ],
        "files": files,
    }


def _read_umask() -> int:
    """Return the process's file-creation mask (read once, at import)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()


def write_json(path: Path, content: Mapping[str, Any]) -> None:
    """Write JSON atomically (temp file in the same folder, fsync, rename).

    Raises
    ------
    RenderError
        Naming the file, when it cannot be written; nothing is left behind.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        # mkstemp makes the file private (0600); a manifest is for everyone who gets the files.
        os.fchmod(handle, 0o666 & ~_UMASK)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(content, stream, indent=2, ensure_ascii=False)
            stream.write("\n")
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise RenderError(f"{path}: cannot write the file ({error})") from error
