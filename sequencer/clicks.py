"""Streaming click and pop detector: isolated sample discontinuities in a source.

Method
------
1. **Residual.** The second difference ``r[k] = x[k+1] - 2 x[k] + x[k-1]`` of each
   channel: a cheap high-pass (+12 dB/octave) that leaves little of the music, which
   lives low in the spectrum, and all of a discontinuity. A one-sample spike of
   height ``A`` becomes ``(A, -2A, A)``, a step ``(A, -A)``, each edge of a dropout
   a step.
2. **Local level, excluding the point.** The residual is cut into frames of about
   0.75 ms. A frame's local level is the mean square of the residual over about
   3 ms on each side of it, one frame away (so the click's own samples never count),
   leaving out the loudest frame of each side (so a second click close by does not
   hide the first). The louder side counts: a drum or cymbal onset (quiet before,
   loud after) does not stand out against its quiet side.
3. **Threshold.** A residual sample is a hit when it exceeds the local level by
   ``threshold_db`` (20 dB) and the absolute floor ``floor_dbfs`` (-60 dBFS, far
   above 16-bit dither). Only frames whose energy could hold such a sample are
   looked at sample by sample, so the search costs three vectorised passes a block.
4. **Not a click.** A hit is kept only when (a) it is *sharp*: around its peak the
   residual flips sign from sample to sample, as a jump in value makes it, not one
   sign over a few samples, as a fast but smooth attack (a plucked note, a limited
   kick) or a slope change (the edge of a clipped passage) makes it; (b) it is
   *isolated*: the residual within 16 samples of the peak is quiet too, not a dense
   burst of high frequencies; (c) the audio within two samples of it stays below
   full scale (clipping is its own finding).
5. **Events.** Hits within ``merge_s`` (5 ms) of each other, in either channel,
   make one event, timed at its first hit.

Blocks of any size give the same events: the residual and its frames sit on
absolute sample positions, and a frame is decided once its right-hand context has
arrived. The residual lives in buffers reused from block to block: fresh block-sized
arrays cost more in page faults than the arithmetic on them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sequencer.samplestats import CLIP_LEVEL

logger = logging.getLogger(__name__)

__all__ = [
    "CLICK_FLOOR_DBFS",
    "CLICK_MERGE_S",
    "CLICK_THRESHOLD_DB",
    "MAX_CLICK_TIMES",
    "ClickDetector",
    "ClickResult",
]

#: A residual sample must exceed its local residual level by this much, dB.
CLICK_THRESHOLD_DB = 20.0
#: ... and this absolute level, dBFS (16-bit TPDF dither stays below -75 dBFS here).
CLICK_FLOOR_DBFS = -60.0
#: Hits closer than this make one event, seconds.
CLICK_MERGE_S = 0.005
#: How many event times a result keeps.
MAX_CLICK_TIMES = 10
#: Length of a frame of the residual, seconds.
FRAME_S = 0.00075
#: Context on each side of a frame for its local level, seconds.
CONTEXT_S = 0.003
#: A hit's peak is the largest residual this many samples either side of it.
SHARP_SPAN = 3
#: Least energy ratio of the residual's first difference to the residual around a
#: hit's peak: 4 sin^2(w/2) for a tone of w rad/sample; a spike gives 3.3, a step 3,
#: a dropout edge about 3.5, a kink 2, a fast but smooth attack less than 1.
SHARPNESS = 2.5
#: The isolation test looks at the residual this far from the peak, both sides, samples.
RING_SAMPLES = (4, 16)
#: ... leaving out this many of the loudest samples there (the other edge of a dropout).
RING_SKIP = 2
#: Samples either side of a hit that must stay below full scale.
CLIP_SPAN = 2

_RING = np.concatenate(
    (
        np.arange(-RING_SAMPLES[1], -RING_SAMPLES[0] + 1),
        np.arange(RING_SAMPLES[0], RING_SAMPLES[1] + 1),
    )
)
_NO_HITS = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class ClickResult:
    """Clicks found in a whole programme."""

    clicks: int
    """Number of click events (hits within the merge distance count once)."""
    click_frames: tuple[int, ...]
    """Sample positions of the first events (at most ``max_times``)."""


class ClickDetector:
    """Find clicks and pops in blocks of shape (channels, frames).

    Parameters
    ----------
    sample_rate
        Sample rate of the audio in Hz.
    channels
        Channels per block.
    threshold_db
        How far a residual sample must stand above its local level, dB.
    floor_dbfs
        Smallest residual that can be a click, dBFS.
    merge_s
        Hits closer than this are one event, seconds.
    max_times
        How many event positions to keep.
    """

    def __init__(
        self,
        sample_rate: int,
        channels: int = 2,
        *,
        threshold_db: float = CLICK_THRESHOLD_DB,
        floor_dbfs: float = CLICK_FLOOR_DBFS,
        merge_s: float = CLICK_MERGE_S,
        max_times: int = MAX_CLICK_TIMES,
    ) -> None:
        self.sample_rate = sample_rate
        self.channels = channels
        self.frame = max(8, round(sample_rate * FRAME_S))
        self.context = max(2, round(CONTEXT_S * sample_rate / self.frame))
        self.max_times = max_times
        self._ratio2 = 10.0 ** (threshold_db / 10.0)
        self._floor2 = 10.0 ** (floor_dbfs / 10.0)
        self._merge = max(1, round(merge_s * sample_rate))
        # The residual from absolute sample ``_res_start`` (a frame boundary: the first
        # frame still needed as context or still undecided) to the last one known.
        self._res = np.zeros((channels, 0))
        self._res_len = 0
        self._res_start = 0
        self._diff = np.zeros((channels, 0))
        # Raw samples from ``_res_start - CLIP_SPAN`` on (for the clipping test), and
        # at least the last two (for the residual across the next block's start).
        self._raw = np.zeros((channels, 0))
        self._raw_start = 0
        self._seen = 0
        self._next_frame = 0
        self._events = 0
        self._event_frames: list[int] = []
        self._last_hit: int | None = None

    def process(self, planar: NDArray[np.float64]) -> None:
        """Add the next block, shape (channels, frames), full scale 1.0."""
        count = planar.shape[1]
        if count == 0:
            return
        if self._seen == 0:
            # The stream's first sample gets a copy of itself as its left neighbour.
            self._raw, self._raw_start = planar[:, :1].copy(), -1
        start = self._seen
        self._append_residual(self._raw[:, -2:], planar)
        self._seen += count
        hits, next_frame = self._scan(self._raw, self._raw_start, planar, start, final=False)
        self._events, self._last_hit = self._merge_hits(hits, self._event_frames)
        self._next_frame = next_frame
        # Keep the residual from the first frame the next decisions need, and the raw
        # samples from CLIP_SPAN before it (at least the last two).
        keep_from = max(0, next_frame - self.context - 1) * self.frame
        drop = keep_from - self._res_start
        kept = self._res_len - drop
        self._res[:, :kept] = self._res[:, drop : self._res_len]
        self._res_len, self._res_start = kept, keep_from
        raw_from = min(max(keep_from - CLIP_SPAN, 0), self._seen - 2)
        if raw_from >= start:
            self._raw = planar[:, raw_from - start :].copy()
        else:
            old = self._raw[:, max(raw_from - self._raw_start, 0) :]
            self._raw = np.concatenate((old, planar), axis=1)
        self._raw_start = self._seen - self._raw.shape[1]

    def result(self) -> ClickResult:
        """Return the events so far, deciding the frames still waiting for context."""
        frames = list(self._event_frames)
        events = self._events
        if self._seen:
            hits, _ = self._scan(
                self._raw, self._raw_start, self._raw[:, :0], self._seen, final=True
            )
            events, _ = self._merge_hits(hits, frames)
        return ClickResult(clicks=events, click_frames=tuple(frames[: self.max_times]))

    def _append_residual(self, previous: NDArray[np.float64], planar: NDArray[np.float64]) -> None:
        """Append the residual centred on the samples before and in ``planar``.

        ``previous`` holds the (at most two) samples before the block. After the
        block, the residual is known up to the block's last sample but one.
        """
        count = planar.shape[1]
        head = np.concatenate((previous, planar[:, :2]), axis=1)
        joint = head.shape[1] - 2
        new = max(joint, 0) + max(count - 2, 0)
        if self._res_len + new > self._res.shape[1]:
            grown = np.zeros((self.channels, self._res_len + new))
            grown[:, : self._res_len] = self._res[:, : self._res_len]
            self._res = grown
        if self._diff.shape[1] < count:
            self._diff = np.zeros((self.channels, count))
        at = self._res_len
        if joint > 0:
            step = np.diff(head, axis=1)
            self._res[:, at : at + joint] = step[:, 1:] - step[:, :-1]
            if self._seen - previous.shape[1] + 1 == 0:
                self._res[:, at] = 0.0  # the first sample's left neighbour is made up
            at += joint
        if count > 2:
            diff = self._diff[:, : count - 1]
            np.subtract(planar[:, 1:], planar[:, :-1], out=diff)
            np.subtract(diff[:, 1:], diff[:, :-1], out=self._res[:, at : at + count - 2])
        self._res_len += new

    def _merge_hits(self, hits: NDArray[np.int64], frames: list[int]) -> tuple[int, int | None]:
        """Group sorted hit positions into events; append new event starts to ``frames``."""
        events, last = self._events, self._last_hit
        if hits.size == 0:
            return events, last
        new = np.empty(hits.size, dtype=bool)
        new[0] = last is None or hits[0] - last > self._merge
        new[1:] = np.diff(hits) > self._merge
        starts = hits[new]
        room = self.max_times - len(frames)
        if room > 0:
            frames.extend(int(f) for f in starts[:room])
        return events + int(starts.size), int(hits[-1])

    def _scan(
        self,
        old: NDArray[np.float64],
        old_start: int,
        block: NDArray[np.float64],
        block_start: int,
        *,
        final: bool,
    ) -> tuple[NDArray[np.int64], int]:
        """Decide every frame whose context is complete.

        ``old`` and ``block`` are the raw samples from ``old_start`` and from
        ``block_start`` (for the clipping test). Returns the sorted absolute positions
        of the hits and the next frame to decide. With ``final``, every remaining
        frame is decided with the context there is.
        """
        size = self.frame
        length = self._res_len
        residual = self._res[:, :length]
        frame0 = self._res_start // size
        if final:
            count = -(-length // size)
            if count <= self._next_frame - frame0:
                return _NO_HITS, self._next_frame
            padded = np.zeros((self.channels, count * size))
            padded[:, :length] = residual
            frames = padded.reshape(self.channels, count, size)
            last = frame0 + count - 1
        else:
            count = length // size
            last = frame0 + count - 1 - self.context - 1
            if last < self._next_frame:
                return _NO_HITS, self._next_frame
            frames = residual[:, : count * size].reshape(self.channels, count, size)
        energy = np.einsum("ijk,ijk->ij", frames, frames)
        start, stop = self._next_frame - frame0, last + 1 - frame0
        samples = np.full(count, float(size))
        samples[-1] = length - (count - 1) * size if final else size
        limit = np.maximum(
            self._local_level(energy, samples, start, stop) * self._ratio2, self._floor2
        )
        channel, index = np.nonzero(energy[:, start:stop] > limit)
        if channel.size == 0:
            return _NO_HITS, last + 1
        # Only frames whose energy could hold a hit are looked at sample by sample.
        frame = index + start
        which, offset = np.nonzero(frames[channel, frame] ** 2 > limit[channel, index][:, None])
        if which.size == 0:
            return _NO_HITS, last + 1
        channel = channel[which]
        position = frame[which] * size + offset
        keep = self._confirm(residual, channel, position)
        position, channel = position[keep], channel[keep]
        if position.size:
            keep = self._unclipped(old, old_start, block, block_start, channel, position)
            position = position[keep]
        hits = np.unique(position + self._res_start).astype(np.int64)
        if hits.size:
            logger.debug("click hits at samples %s", hits[:20].tolist())
        return hits, last + 1

    def _local_level(
        self, energy: NDArray[np.float64], samples: NDArray[np.float64], start: int, stop: int
    ) -> NDArray[np.float64]:
        """Mean square of the residual around frames ``start`` to ``stop``, its louder side.

        Each side is ``context`` frames, one frame away from the frame itself; frames
        outside the stream do not count. The loudest frame of a side is left out
        when the side has two or more.
        """
        context, count = self.context, energy.shape[1]
        if start >= context + 1 and stop + context + 1 <= count and samples[-1] == self.frame:
            return self._whole_level(energy, start, stop)
        pad = context + 2
        padded = np.zeros((energy.shape[0], count + 2 * pad))
        padded[:, pad : pad + count] = energy
        filled = np.zeros(count + 2 * pad)
        filled[pad : pad + count] = samples
        sums = np.zeros((energy.shape[0], padded.shape[1] + 1))
        np.cumsum(padded, axis=1, out=sums[:, 1:])
        totals = np.zeros(filled.size + 1)
        np.cumsum(filled, out=totals[1:])
        # loudest[:, b] is the largest energy of frames b .. b + context - 1.
        loudest = padded[:, : padded.shape[1] - context + 1].copy()
        for shift in range(1, context):
            np.maximum(loudest, padded[:, shift : shift + loudest.shape[1]], out=loudest)
        level = np.zeros((energy.shape[0], stop - start))
        for begin in (start + pad - context - 1, start + pad + 2):
            end = begin + stop - start
            energy_sum = sums[:, begin + context : end + context] - sums[:, begin:end]
            sample_sum = totals[begin + context : end + context] - totals[begin:end]
            several = sample_sum > self.frame
            energy_sum -= np.where(several, loudest[:, begin:end], 0.0)
            sample_sum -= np.where(several, float(self.frame), 0.0)
            np.maximum(level, energy_sum / np.maximum(sample_sum, 1.0), out=level)
        return level

    def _whole_level(
        self, energy: NDArray[np.float64], start: int, stop: int
    ) -> NDArray[np.float64]:
        """:meth:`_local_level` when every side frame exists and is whole (most blocks)."""
        context, size = self.context, stop - start
        sums = np.zeros((energy.shape[0], energy.shape[1] + 1))
        np.cumsum(energy, axis=1, out=sums[:, 1:])
        width = energy.shape[1] - context + 1
        loudest = energy[:, :width].copy()
        for shift in range(1, context):
            np.maximum(loudest, energy[:, shift : shift + width], out=loudest)
        left, right = start - context - 1, start + 2
        level = sums[:, left + context : left + context + size] - sums[:, left : left + size]
        level -= loudest[:, left : left + size]
        other = sums[:, right + context : right + context + size] - sums[:, right : right + size]
        other -= loudest[:, right : right + size]
        np.maximum(level, other, out=level)
        level *= 1.0 / ((context - 1) * self.frame)
        return level

    def _confirm(
        self, residual: NDArray[np.float64], channel: NDArray[np.int64], position: NDArray[np.int64]
    ) -> NDArray[np.bool_]:
        """Return which hits (residual index ``position``) are sharp and isolated."""
        length = residual.shape[1]
        rows = channel[:, None]
        span = np.arange(-SHARP_SPAN, SHARP_SPAN + 1)
        around = np.clip(position[:, None] + span, 0, length - 1)
        nearby = np.abs(residual[rows, around])
        peak_at = around[np.arange(around.shape[0]), nearby.argmax(axis=1)]
        peak2 = nearby.max(axis=1) ** 2
        # Sharpness: the eight changes that touch the seven samples around the peak.
        span = np.arange(-SHARP_SPAN - 1, SHARP_SPAN + 2)
        window = residual[rows, np.clip(peak_at[:, None] + span, 0, length - 1)]
        changes = np.diff(window, axis=1)
        inner = window[:, 1:-1]
        sharp = np.einsum("ij,ij->i", changes, changes) >= SHARPNESS * np.einsum(
            "ij,ij->i", inner, inner
        )
        # Isolation: the ring around the peak, without its loudest samples.
        ring = residual[rows, np.clip(peak_at[:, None] + _RING, 0, length - 1)]
        near = np.sort(ring**2, axis=1)[:, :-RING_SKIP]
        isolated = peak2 > self._ratio2 * near.mean(axis=1)
        keep: NDArray[np.bool_] = sharp & isolated
        return keep

    def _unclipped(
        self,
        old: NDArray[np.float64],
        old_start: int,
        block: NDArray[np.float64],
        block_start: int,
        channel: NDArray[np.int64],
        position: NDArray[np.int64],
    ) -> NDArray[np.bool_]:
        """Return which hits have no full-scale sample within ``CLIP_SPAN`` samples."""
        samples = position[:, None] + self._res_start + np.arange(-CLIP_SPAN, CLIP_SPAN + 1)
        rows = channel[:, None]
        in_block = samples >= block_start
        values = np.zeros(samples.shape)
        if block.shape[1]:
            at = np.clip(samples - block_start, 0, block.shape[1] - 1)
            values = np.where(in_block, block[rows, at], values)
        if old.shape[1]:
            at = np.clip(samples - old_start, 0, old.shape[1] - 1)
            values = np.where(in_block, values, old[rows, at])
        keep: NDArray[np.bool_] = np.abs(values).max(axis=1) < CLIP_LEVEL
        return keep
