"""Streaming sample statistics: peaks, DC offset, correlation, clipping, silence.

These work on the raw samples (no weighting) in blocks of any size and give
the same answer as on the whole array.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

#: A sample at or above this magnitude counts as full scale for clip detection
#: (-0.0087 dBFS; above the largest positive 16-bit code, 32767/32768, minus a hair).
CLIP_LEVEL = 0.999
#: A run of at least this many consecutive full-scale samples in one channel is a clip.
MIN_CLIP_RUN = 3
#: Samples below this magnitude count as silence for leading and trailing silence.
SILENCE_DBFS = -60.0
#: How many clip times the result keeps.
MAX_CLIP_TIMES = 10


@dataclass(frozen=True)
class SampleStatsResult:
    """Sample-level statistics of a whole programme."""

    frames: int
    """Frames seen."""
    sample_peak: float
    """Largest absolute sample value over both channels (full scale 1.0)."""
    dc_offset: tuple[float, ...]
    """Mean sample value per channel (full scale 1.0)."""
    correlation: float | None
    """Pearson-style phase correlation of L and R over the whole programme
    (sum LR / sqrt(sum L^2 sum R^2)); ``None`` when a channel is silent."""
    clipped_runs: int
    """Runs of at least ``MIN_CLIP_RUN`` consecutive samples at full scale, over both channels."""
    clip_frames: tuple[int, ...]
    """Start frames of the first clipped runs (at most ``MAX_CLIP_TIMES``)."""
    first_sound_frame: int | None
    """First frame above the silence threshold; ``None`` when all silent."""
    last_sound_frame: int | None
    """Last frame above the silence threshold; ``None`` when all silent."""


class SampleStats:
    """Accumulates :class:`SampleStatsResult` over blocks of shape (channels, frames)."""

    def __init__(self, channels: int = 2) -> None:
        self.channels = channels
        self._frames = 0
        self._peak = 0.0
        self._sums = np.zeros(channels)
        self._squares = np.zeros(channels)
        self._cross = 0.0
        self._clip_runs = 0
        self._clip_frames: list[int] = []
        # Length of the full-scale run still open at the end of the last block, per channel.
        self._open_run = [0] * channels
        self._first_sound: int | None = None
        self._last_sound: int | None = None
        self._silence = 10.0 ** (SILENCE_DBFS / 20.0)

    def process(self, planar: NDArray[np.float64]) -> None:
        """Add the next block, shape (channels, frames)."""
        frames = planar.shape[1]
        if frames == 0:
            return
        peak = float(max(planar.max(), -planar.min()))
        self._peak = max(self._peak, peak)
        self._sums += planar.sum(axis=1)
        self._squares += np.einsum("ij,ij->i", planar, planar)
        if self.channels == 2:
            self._cross += float(np.einsum("i,i->", planar[0], planar[1]))  # no BLAS threads
        if peak >= CLIP_LEVEL or any(self._open_run):
            for channel in range(self.channels):
                self._find_clips(planar[channel], channel)
            self._clip_frames = sorted(self._clip_frames)[:MAX_CLIP_TIMES]
        if peak > self._silence:
            self._find_sound(planar)
        self._frames += frames

    def _find_clips(self, samples: NDArray[np.float64], channel: int) -> None:
        """Count runs of full-scale samples in one channel, including runs across blocks."""
        hits = np.flatnonzero((samples >= CLIP_LEVEL) | (samples <= -CLIP_LEVEL))
        open_run = self._open_run[channel]
        if hits.size == 0:
            if open_run:
                self._close_run(open_run, self._frames - open_run)
            self._open_run[channel] = 0
            return
        # Split the hit positions into runs of consecutive samples.
        breaks = np.flatnonzero(np.diff(hits) != 1)
        run_starts = np.concatenate(([hits[0]], hits[breaks + 1]))
        run_ends = np.concatenate((hits[breaks], [hits[-1]])) + 1
        lengths = run_ends - run_starts
        starts = run_starts + self._frames
        if open_run:
            if run_starts[0] == 0:
                lengths[0] += open_run
                starts[0] -= open_run
            else:
                self._close_run(open_run, self._frames - open_run)
        last_open = run_ends[-1] == samples.size
        closed = slice(0, lengths.size - 1) if last_open else slice(0, lengths.size)
        long_enough = lengths[closed] >= MIN_CLIP_RUN
        self._clip_runs += int(long_enough.sum())
        self._clip_frames.extend(int(f) for f in starts[closed][long_enough][:MAX_CLIP_TIMES])
        self._open_run[channel] = int(lengths[-1]) if last_open else 0

    def _close_run(self, length: int, start_frame: int) -> None:
        """Count a finished full-scale run when it is long enough to be a clip."""
        if length >= MIN_CLIP_RUN:
            self._clip_runs += 1
            self._clip_frames.append(start_frame)

    def _find_sound(self, planar: NDArray[np.float64]) -> None:
        """Track the first and last frames above the silence threshold.

        Searches from the block's start (only until the first sound is found) and
        from its end in small steps, so a loud block costs almost nothing.
        """
        frames = planar.shape[1]
        step = 4096
        tail = planar[:, -64:]
        if self._first_sound is not None and max(tail.max(), -tail.min()) > self._silence:
            # The usual case in music: the block ends in sound. Find the exact frame.
            loud = np.flatnonzero(np.abs(tail).max(axis=0) > self._silence)
            self._last_sound = self._frames + frames - tail.shape[1] + int(loud[-1])
            return
        if self._first_sound is None:
            for begin in range(0, frames, step):
                loud = np.flatnonzero(
                    np.abs(planar[:, begin : begin + step]).max(axis=0) > self._silence
                )
                if loud.size:
                    self._first_sound = self._frames + begin + int(loud[0])
                    break
        for end in range(frames, 0, -step):
            begin = max(0, end - step)
            loud = np.flatnonzero(np.abs(planar[:, begin:end]).max(axis=0) > self._silence)
            if loud.size:
                self._last_sound = self._frames + begin + int(loud[-1])
                return

    def result(self) -> SampleStatsResult:
        """Return the statistics so far (runs still open at the end are closed)."""
        clip_runs, clip_frames = self._clip_runs, list(self._clip_frames)
        for channel in range(self.channels):
            length = self._open_run[channel]
            if length >= MIN_CLIP_RUN:
                clip_runs += 1
                clip_frames.append(self._frames - length)
        frames = max(self._frames, 1)
        correlation = None
        if self.channels == 2:
            denominator = math.sqrt(float(self._squares[0]) * float(self._squares[1]))
            if denominator > 0:
                correlation = round(self._cross / denominator, 6)
        return SampleStatsResult(
            frames=self._frames,
            sample_peak=self._peak,
            dc_offset=tuple(round(float(s) / frames, 9) for s in self._sums),
            correlation=correlation,
            clipped_runs=clip_runs,
            clip_frames=tuple(sorted(clip_frames)[:MAX_CLIP_TIMES]),
            first_sound_frame=self._first_sound,
            last_sound_frame=self._last_sound,
        )
