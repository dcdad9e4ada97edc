"""Per-track analysis: one streaming pass over a source gives a TrackAnalysis.

The pass reads the file in blocks and feeds four meters, so memory stays flat
whatever the file's length: the BS.1770 loudness meter (:mod:`sequencer.loudness`),
the true-peak meter (:mod:`sequencer.truepeak`), the sample statistics
(:mod:`sequencer.samplestats`) and the click detector (:mod:`sequencer.clicks`).
Results are cached per source (:mod:`sequencer.cache`) and computed in parallel by
:mod:`sequencer.batch`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict

from sequencer.audio import DEFAULT_BLOCK_FRAMES, as_stereo, probe, read_blocks
from sequencer.errors import AudioError, Cancelled

#: The meters' modules, imported by :func:`analyse_blocks` when it first runs (reading
#: analyses does not need them); the analysis workers' server preloads them.
METER_MODULES = (
    "sequencer.clicks",
    "sequencer.loudness",
    "sequencer.samplestats",
    "sequencer.truepeak",
)

#: Bump when a change to the meters changes any result, so cached analyses are redone.
ANALYSIS_VERSION = 3

#: Progress callback: (frames done, frames in all).
Progress = Callable[[int, int], None]


class CancelEvent(Protocol):
    """Anything with ``is_set()``: a ``threading.Event`` or a ``multiprocessing`` event."""

    def is_set(self) -> bool:
        """Return True once cancellation was asked for."""
        ...


def _db(value: float) -> float | None:
    """Linear magnitude to dB; ``None`` for zero."""
    return round(20.0 * math.log10(value), 6) if value > 0 else None


class TrackAnalysis(BaseModel):
    """Everything runout measures on one source, at its own sample rate.

    Unmeasurable values (silence, too short) are ``None``, written as ``null``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str
    """The analysed source file (absolute)."""
    analysis_version: int = ANALYSIS_VERSION
    """Version of the meters that produced this result."""
    duration_samples: int
    """Length in samples per channel."""
    sample_rate: int
    """Sample rate of the source in Hz."""
    channels: int
    """Channels in the source (1 or 2; mono is measured as two identical channels)."""
    format: str
    """Container, e.g. WAV, FLAC, OGG (``array`` for in-memory audio)."""
    subtype: str
    """Sample encoding, e.g. PCM_24, FLOAT, OPUS."""
    integrated_lufs: float | None
    """Integrated loudness, BS.1770-4 gated, LUFS."""
    loudness_range_lu: float | None
    """Loudness range, EBU Tech 3342, LU."""
    max_momentary_lufs: float | None
    """Highest momentary (400 ms) loudness, LUFS."""
    max_short_term_lufs: float | None
    """Highest short-term (3 s) loudness, LUFS."""
    true_peak_dbtp: float | None
    """True peak, BS.1770-4 Annex 2 (4x oversampled below 88.2 kHz), dBTP."""
    sample_peak_dbfs: float | None
    """Highest sample magnitude, dBFS."""
    plr_db: float | None
    """Peak-to-loudness ratio: true peak minus integrated loudness, dB."""
    dc_offset: tuple[float, ...]
    """Mean sample value per source channel, full scale 1.0."""
    correlation: float | None
    """Phase correlation of L and R over the whole track (+1 mono, 0 wide, -1 anti-phase)."""
    clipped_runs: int
    """Runs of 3 or more consecutive samples at full scale (per channel, added up)."""
    clip_times_s: tuple[float, ...]
    """Start times of the first clipped runs, seconds."""
    clicks: int
    """Clicks and pops: isolated sample discontinuities far above the local
    high-frequency level (see :mod:`sequencer.clicks`), hits within 5 ms counted once."""
    click_times_s: tuple[float, ...]
    """Times of the first clicks, seconds."""
    leading_silence_s: float
    """Time before the first sample above -60 dBFS, seconds."""
    trailing_silence_s: float
    """Time after the last sample above -60 dBFS, seconds."""
    block_loudness: tuple[float | None, ...]
    """Loudness of each 400 ms gating block, one every ``profile_step_s``, before any
    gate (None for digital silence): the integrated loudness of the track at another
    gain, or of several tracks as one programme, follows exactly from these."""
    short_term_profile: tuple[float | None, ...]
    """Short-term loudness every ``profile_step_s`` (None where silent), for plots and checks."""
    profile_step_s: float
    """Time between two profile values, seconds."""

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return self.duration_samples / self.sample_rate

    def warnings(self) -> tuple[str, ...]:
        """Short plain-words warnings about the measured values."""
        notes: list[str] = []
        if self.integrated_lufs is None:
            notes.append("no measurable loudness")
        if self.true_peak_dbtp is not None and self.true_peak_dbtp > 0.0:
            notes.append(f"true peak over 0 dBTP ({self.true_peak_dbtp:+.1f})")
        if self.clipped_runs:
            notes.append(f"{self.clipped_runs} clipped runs")
        if self.clicks:
            notes.append(f"{self.clicks} click{'s' if self.clicks > 1 else ''}")
        if any(abs(dc) >= 0.001 for dc in self.dc_offset):
            worst = max(self.dc_offset, key=abs)
            notes.append(f"DC offset {worst * 100:+.1f} %")
        if self.correlation is not None and self.correlation < 0.0:
            notes.append(f"negative correlation ({self.correlation:+.2f})")
        if self.trailing_silence_s >= 5.0:
            notes.append(f"{self.trailing_silence_s:.0f} s silent tail")
        if self.leading_silence_s >= 2.0:
            notes.append(f"{self.leading_silence_s:.0f} s silent start")
        return tuple(notes)


def analyse_blocks(
    blocks: Iterable[NDArray[np.float64]],
    sample_rate: int,
    *,
    total_frames: int = 0,
    progress: Progress | None = None,
    cancel: CancelEvent | None = None,
) -> tuple[int, dict[str, object]]:
    """Run every meter over stereo ``blocks`` and return the measured fields.

    Parameters
    ----------
    blocks
        Stereo float64 blocks, shape (frames, 2), in order (each is transposed
        once to (2, frames), the layout the meters work on fastest).
    sample_rate
        Their sample rate in Hz.
    total_frames
        Expected length, for progress reports only.
    progress
        Called with (frames done, ``total_frames``) after each block.
    cancel
        Checked before each block; when set, :class:`Cancelled` is raised.

    Returns
    -------
    frames, fields
        The number of frames seen and the measurement fields of :class:`TrackAnalysis`.
    """
    # The meters are imported here (METER_MODULES): reading analyses does not need them.
    from sequencer.clicks import ClickDetector
    from sequencer.loudness import LoudnessMeter
    from sequencer.samplestats import SampleStats
    from sequencer.truepeak import TruePeakMeter

    loudness = LoudnessMeter(sample_rate)
    true_peak = TruePeakMeter(sample_rate)
    stats = SampleStats()
    clicks = ClickDetector(sample_rate)
    done = 0
    for block in blocks:
        if cancel is not None and cancel.is_set():
            raise Cancelled("analysis cancelled")
        planar = np.ascontiguousarray(block.T)
        loudness.process(planar)
        true_peak.process(planar)
        stats.process(planar)
        clicks.process(planar)
        done += block.shape[0]
        if progress is not None:
            progress(done, total_frames)
    true_peak.finish()
    level = loudness.result()
    sample = stats.result()
    click = clicks.result()
    true_peak_dbtp = true_peak.peak_dbtp()
    integrated = level.integrated_lufs
    last_sound = sample.last_sound_frame
    fields: dict[str, object] = {
        "integrated_lufs": integrated,
        "loudness_range_lu": level.loudness_range_lu,
        "max_momentary_lufs": level.max_momentary_lufs,
        "max_short_term_lufs": level.max_short_term_lufs,
        "true_peak_dbtp": None if true_peak_dbtp is None else round(true_peak_dbtp, 6),
        "sample_peak_dbfs": _db(sample.sample_peak),
        "plr_db": (
            round(true_peak_dbtp - integrated, 6)
            if true_peak_dbtp is not None and integrated is not None
            else None
        ),
        "dc_offset": sample.dc_offset,
        "correlation": sample.correlation,
        "clipped_runs": sample.clipped_runs,
        "clip_times_s": tuple(round(f / sample_rate, 4) for f in sample.clip_frames),
        "clicks": click.clicks,
        "click_times_s": tuple(round(f / sample_rate, 4) for f in click.click_frames),
        "leading_silence_s": round(
            (sample.first_sound_frame if sample.first_sound_frame is not None else done)
            / sample_rate,
            4,
        ),
        "trailing_silence_s": round(
            (done - 1 - last_sound if last_sound is not None else done) / sample_rate, 4
        ),
        "block_loudness": level.block_loudness,
        "short_term_profile": level.short_term_profile,
        "profile_step_s": level.profile_step_s,
    }
    return done, fields


def analyse_array(
    samples: NDArray[np.floating],
    sample_rate: int,
    block_frames: int | None = None,
    *,
    path: str = "<array>",
) -> TrackAnalysis:
    """Analyse audio held in memory (tests, generated audio).

    Parameters
    ----------
    samples
        Shape (frames,), (frames, 1) or (frames, 2); full scale 1.0.
    sample_rate
        Sample rate in Hz.
    block_frames
        Analyse in blocks of this many frames (default: the file-reading block);
        the result does not depend on it.
    path
        Name to record in the result.

    Returns
    -------
    TrackAnalysis
        The measurements.
    """
    source_channels = 1 if samples.ndim == 1 else samples.shape[1]
    stereo = as_stereo(np.asarray(samples, dtype=np.float64))
    step = block_frames or DEFAULT_BLOCK_FRAMES
    blocks = (stereo[i : i + step] for i in range(0, stereo.shape[0], step))
    frames, fields = analyse_blocks(blocks, sample_rate, total_frames=stereo.shape[0])
    return TrackAnalysis(
        path=path,
        duration_samples=frames,
        sample_rate=sample_rate,
        channels=source_channels,
        format="array",
        subtype="FLOAT64",
        **fields,
    )


def analyse_file(
    path: Path,
    *,
    block_frames: int = DEFAULT_BLOCK_FRAMES,
    progress: Progress | None = None,
    cancel: CancelEvent | None = None,
) -> TrackAnalysis:
    """Analyse one source file in a single streaming pass.

    Parameters
    ----------
    path
        The source audio file.
    block_frames
        Frames per block.
    progress
        Called with (frames done, frames in the file) as the pass advances.
    cancel
        When set, the pass stops and :class:`Cancelled` is raised.

    Returns
    -------
    TrackAnalysis
        The measurements.

    Raises
    ------
    AudioError
        When the file cannot be read.
    Cancelled
        When ``cancel`` was set.
    """
    path = Path(path).resolve()
    info = probe(path)
    frames, fields = analyse_blocks(
        read_blocks(path, block_frames),
        info.sample_rate,
        total_frames=info.frames,
        progress=progress,
        cancel=cancel,
    )
    if frames == 0:
        raise AudioError(f"{path}: holds no audio (0 samples)")
    return TrackAnalysis(
        path=str(path),
        duration_samples=frames,
        sample_rate=info.sample_rate,
        channels=info.channels,
        format=info.format,
        subtype=info.subtype,
        **fields,
    )
