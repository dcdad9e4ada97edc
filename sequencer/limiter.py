"""A streaming, stereo-linked true-peak limiter with look-ahead.

The render runs it only when the gain plan asks for it (:mod:`sequencer.levels`,
``GainPlan.limiter``). It holds the output's true peak, as
:class:`sequencer.truepeak.TruePeakMeter` measures it (ITU-R BS.1770-4 Annex 2),
at or under the ceiling.

How it works
------------
All gain arithmetic is in *gain reduction* ``r = 1 - gain`` (0 is untouched), one
value per input sample, shared by the channels (stereo-linked).

1. Detection: the peak around input sample ``m`` is the largest magnitude, over
   the channels, of the sample and of the values that the true-peak meter's
   polyphase interpolator (:func:`sequencer.truepeak.interpolator_phases`, 4x
   below 88.2 kHz) puts between ``m`` and ``m + 1``. Only samples whose
   neighbourhood could exceed the threshold are interpolated (the bound of
   :class:`~sequencer.truepeak.TruePeakMeter`). The required reduction is
   ``1 - threshold / peak`` where the peak is over the threshold.
2. Hold: a running maximum of the required reduction over ``W + 16`` samples,
   where ``W`` is the look-ahead. The 16 extra samples cover the interpolator:
   the value between ``m`` and ``m + 1`` is made of the samples ``m - 7 ..
   m + 8``, so every one of them must already be turned down.
3. Release: ``y[n] = max(h[n], a * y[n - 1])``: instant attack, the reduction
   then decays exponentially (``a = exp(-1 / release samples)``).
4. Attack smoothing: two running means of lengths ``W1 + W2 - 1 = W`` (a
   triangular window of ``W`` samples). Each smoothed value is a mean of held
   values that all cover the sample it applies to, so it is never less than the
   reduction that sample needs; the gain slides down over the look-ahead
   instead of jumping.
5. The audio is delayed by ``latency = W + 15`` samples and multiplied by
   ``1 - smoothed reduction``.

Block independence is exact (bit for bit), not approximate: detection uses only
element-wise arithmetic; the release recursion is evaluated as a running
maximum over chunks aligned to absolute stream positions (see
:meth:`TruePeakLimiter._release`); the running means are sums of integers
(the reduction rounded *up* to 2**-30), which are exact whatever the block
boundaries.

The threshold is the ceiling minus :data:`SAFETY_MARGIN_DB`: the gain changes
within the 16 samples an interpolated value depends on, which can move that
value by a few hundredths of a dB.
"""

from __future__ import annotations

import logging
import math

import numpy as np
from numpy.typing import NDArray

from sequencer.truepeak import TAPS_PER_PHASE, interpolator_phases, oversampling_factor

__all__ = ["DEFAULT_LOOKAHEAD_MS", "DEFAULT_RELEASE_MS", "SAFETY_MARGIN_DB", "TruePeakLimiter"]

logger = logging.getLogger(__name__)

#: The limiter aims this far under the ceiling, in dB (see the module docstring).
SAFETY_MARGIN_DB = 0.05
#: Default look-ahead (and attack time), milliseconds.
DEFAULT_LOOKAHEAD_MS = 5.0
#: Default release time constant, milliseconds.
DEFAULT_RELEASE_MS = 80.0

#: Samples before (and after) ``m`` that the interpolated values next to ``m`` depend on.
_SPREAD = TAPS_PER_PHASE // 2
#: Scale of the integer reduction used by the running means (resolution 2**-30).
_SCALE = float(2**30)
#: Longest piece processed at once (bounds the integer running sums and the memory).
_MAX_PIECE = 1 << 16


class TruePeakLimiter:
    """Streaming look-ahead true-peak limiter, one gain for all channels.

    Parameters
    ----------
    sample_rate : int
        Sample rate in Hz.
    ceiling_dbtp : float
        Highest true peak of the output, dBTP.
    lookahead_ms : float, optional
        Look-ahead in milliseconds: the gain starts to fall this long before a
        peak (triangular attack). 5 ms by default.
    release_ms : float, optional
        Release time constant in milliseconds (the reduction falls to 1/e in this
        time). 80 ms by default.
    channels : int, optional
        Number of channels (2 by default).

    Notes
    -----
    The output is the input delayed by :attr:`latency` samples: the first
    ``latency`` output samples of a stream are silence, and :meth:`flush` returns
    the last ``latency`` samples at the end. A caller that drops the first
    ``latency`` output samples keeps every sample position exact.

    After each :meth:`process` call, :attr:`last_gain` (and
    :meth:`last_reduction_db`) give the gain of every output frame; output frame
    ``k`` of the call carries input frame ``position - frames + k - latency``, so
    the maximum reduction within any input range (a track) follows from them.
    :attr:`max_reduction_db` is the largest reduction of the stream.
    """

    def __init__(
        self,
        sample_rate: int,
        ceiling_dbtp: float,
        lookahead_ms: float = DEFAULT_LOOKAHEAD_MS,
        release_ms: float = DEFAULT_RELEASE_MS,
        channels: int = 2,
    ) -> None:
        if sample_rate <= 0 or channels <= 0:
            raise ValueError("sample_rate and channels must be positive")
        if not 0.0 < lookahead_ms <= 50.0:
            raise ValueError(f"lookahead_ms must be in (0, 50], got {lookahead_ms}")
        if release_ms <= 0.0:
            raise ValueError(f"release_ms must be positive, got {release_ms}")
        # Imported here: scipy.ndimage takes a quarter of a second to import, and most
        # renders never limit.
        from scipy.ndimage import maximum_filter1d

        self._maximum_filter = maximum_filter1d
        self.sample_rate = sample_rate
        self.ceiling_dbtp = ceiling_dbtp
        self.channels = channels
        self.threshold = 10.0 ** ((ceiling_dbtp - SAFETY_MARGIN_DB) / 20.0)
        """Linear level the detected peaks are brought down to."""
        factor = oversampling_factor(sample_rate)
        self._phases = interpolator_phases(factor) if factor > 1 else np.zeros((0, TAPS_PER_PHASE))
        self._gain_bound = max(1.0, float(np.abs(self._phases).sum(axis=1).max(initial=0.0)))
        self.lookahead = max(1, round(lookahead_ms * sample_rate / 1000.0))
        """Look-ahead ``W`` in samples."""
        self._box1 = self.lookahead // 2 + 1
        self._box2 = self.lookahead - self._box1 + 1
        self._hold = self.lookahead + 2 * _SPREAD
        release_samples = release_ms * sample_rate / 1000.0
        self._decay = math.exp(-1.0 / release_samples)
        # Chunk of the release recursion: a**-chunk stays below 2**100.
        self._chunk = max(1, min(4096, int(100.0 * math.log(2.0) * release_samples)))
        steps = np.arange(self._chunk, dtype=np.float64)
        self._rise = self._decay**-steps
        self._fall = self._decay**steps
        # From a chunk's last running maximum to the next chunk's starting value.
        self._carry = float(self._fall[-1]) * self._decay
        self.latency = self.lookahead + 2 * _SPREAD - 1
        """Delay of the output in samples (``W + 15``)."""
        self.reset()

    def reset(self) -> None:
        """Forget the stream and the statistics: start a new stream."""
        self._tail = np.zeros((self.channels, self.latency))
        self._held = np.zeros(self._hold - 1)
        self._box1_tail = np.zeros(self._box1 - 1, dtype=np.int64)
        self._box2_tail = np.zeros(self._box2 - 1, dtype=np.int64)
        self._position = 0
        self._running = 0.0
        self._last_gain = np.ones(0)
        self._min_gain = 1.0

    @property
    def position(self) -> int:
        """Frames output so far (including the first ``latency`` silent ones)."""
        return self._position

    @property
    def max_reduction_db(self) -> float:
        """Largest gain reduction since the start (or :meth:`reset`), dB (0 when none)."""
        return _reduction_db(self._min_gain)

    @property
    def last_gain(self) -> NDArray[np.float64]:
        """Linear gain applied to each frame of the last output (1.0 where untouched)."""
        return self._last_gain

    def last_reduction_db(self) -> NDArray[np.float64]:
        """Return the gain reduction of each frame of the last output, in dB.

        Returns
        -------
        numpy.ndarray
            Shape (frames,), 0 where the gain was 1. Frame ``k`` of the last output
            is stream position ``position - frames + k``; minus :attr:`latency`, it is
            the input frame the gain was applied to.
        """
        gain = self._last_gain
        reduction = np.zeros(gain.shape)
        touched = gain < 1.0
        reduction[touched] = -20.0 * np.log10(np.maximum(gain[touched], 1e-12))
        return reduction

    def process(self, planar: NDArray[np.float64]) -> NDArray[np.float64]:
        """Limit the next block of audio.

        Parameters
        ----------
        planar : numpy.ndarray
            Shape (channels, frames), float64, full scale 1.0.

        Returns
        -------
        numpy.ndarray
            Shape (channels, frames): the limited signal, delayed by :attr:`latency`.
        """
        planar = np.asarray(planar, dtype=np.float64)
        if planar.ndim != 2 or planar.shape[0] != self.channels:
            raise ValueError(f"expected shape ({self.channels}, frames), got {tuple(planar.shape)}")
        pieces = [
            self._process_piece(planar[:, start : start + _MAX_PIECE])
            for start in range(0, planar.shape[1], _MAX_PIECE)
        ]
        if not pieces:
            self._last_gain = np.ones(0)
            return np.zeros_like(planar)
        if len(pieces) == 1:
            out, self._last_gain = pieces[0]
            return out
        self._last_gain = np.concatenate([gain for _, gain in pieces])
        return np.concatenate([out for out, _ in pieces], axis=1)

    def flush(self) -> NDArray[np.float64]:
        """Return the last :attr:`latency` frames, ending the stream with silence.

        Call :meth:`reset` before starting another stream.

        Returns
        -------
        numpy.ndarray
            Shape (channels, latency).
        """
        return self.process(np.zeros((self.channels, self.latency)))

    def _process_piece(
        self, planar: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Limit up to ``_MAX_PIECE`` frames; return the output and the gain of each frame."""
        frames = planar.shape[1]
        # The last `latency` input frames, then the new ones: the delay line and the
        # history the detection windows need.
        extended = np.concatenate((self._tail, planar), axis=1)
        self._tail = extended[:, frames:].copy()
        required = self._detect(extended[:, self.latency - (TAPS_PER_PHASE - 1) :], frames)
        held = self._hold_max(required)
        released = self._release(held)
        reduction = self._smooth(released)
        self._position += frames
        if not reduction.any():
            return extended[:, :frames].copy(), np.ones(frames)
        gain = 1.0 - reduction
        self._min_gain = min(self._min_gain, float(gain.min()))
        return extended[:, :frames] * gain, gain

    def _detect(self, history: NDArray[np.float64], frames: int) -> NDArray[np.float64]:
        """Return the reduction each new window requires (0 where none).

        ``history`` holds ``TAPS - 1`` earlier frames, then the new ones; window ``w``
        is ``history[:, w : w + TAPS]``, centred between its samples ``TAPS/2 - 1``
        and ``TAPS/2``: the reduction is for that earlier sample (8 frames back).
        """
        magnitude = np.abs(history[0])
        for channel in history[1:]:
            np.maximum(magnitude, np.abs(channel), out=magnitude)
        required = np.zeros(frames)
        # Largest magnitude in each window, times the most an interpolated value can
        # exceed it by: only windows whose bound passes the threshold are interpolated.
        window_max = self._maximum_filter(magnitude, TAPS_PER_PHASE, mode="nearest")
        window_max = window_max[_SPREAD : _SPREAD + frames]
        candidates = np.flatnonzero(window_max > self.threshold / self._gain_bound)
        if candidates.size == 0:
            return required
        peak = magnitude[candidates + _SPREAD - 1]
        if self._phases.shape[0]:
            peak = np.maximum(peak, self._interpolated_peak(history, candidates))
        over = peak > self.threshold
        required[candidates[over]] = 1.0 - self.threshold / peak[over]
        return required

    def _interpolated_peak(
        self, history: NDArray[np.float64], candidates: NDArray[np.intp]
    ) -> NDArray[np.float64]:
        """Largest interpolated magnitude (all phases and channels) of the candidate windows."""
        low, high = int(candidates[0]), int(candidates[-1]) + 1
        dense = 4 * candidates.size >= high - low
        if dense:
            # Contiguous slices: every window from the first candidate to the last.
            taps = [history[:, low + tap : high + tap] for tap in range(TAPS_PER_PHASE)]
        else:
            taps = [history[:, candidates + tap] for tap in range(TAPS_PER_PHASE)]
        peak = np.zeros(taps[0].shape[1])
        for phase in self._phases:
            # An explicit sum over the taps in a fixed order: element-wise arithmetic gives
            # the same bits whatever the block boundaries (a BLAS product need not).
            value = phase[0] * taps[0]
            for weight, samples in zip(phase[1:], taps[1:], strict=True):
                value += weight * samples
            np.abs(value, out=value)
            for channel in value:
                np.maximum(peak, channel, out=peak)
        return peak[candidates - low] if dense else peak

    def _hold_max(self, required: NDArray[np.float64]) -> NDArray[np.float64]:
        """Return the running maximum of the required reduction over ``W + 16`` values."""
        frames = required.size
        extended = np.concatenate((self._held, required))
        self._held = extended[frames:].copy()
        if not extended.any():
            return np.zeros(frames)
        # A centred window of size H covers [i - H//2, i + (H - 1)//2]; shift it so
        # that it ends at i.
        origin = (self._hold - 1) // 2
        held = self._maximum_filter(extended, self._hold, mode="nearest", origin=origin)
        return held[self._hold - 1 :]

    def _release(self, held: NDArray[np.float64]) -> NDArray[np.float64]:
        """Apply ``y[n] = max(h[n], a * y[n - 1])`` (instant attack, exponential release).

        Within a chunk starting at stream position ``s0``, ``y[n] = a**(n - s0) *
        max(a * y[s0 - 1], max over k in [s0, n] of h[k] * a**-(k - s0))``: a running
        maximum, vectorised. Chunks are aligned to absolute stream positions so the
        values do not depend on how the stream was cut into blocks.
        """
        out = np.empty(held.size)
        start = 0
        position = self._position
        running = self._running
        while start < held.size:
            offset = position % self._chunk
            if offset == 0:
                # A new chunk starts from the previous output, decayed by one step.
                running *= self._carry
            stop = min(held.size, start + self._chunk - offset)
            scaled = held[start:stop] * self._rise[offset : offset + stop - start]
            peak = np.maximum.accumulate(scaled)
            np.maximum(peak, running, out=peak)
            running = float(peak[-1])
            out[start:stop] = peak * self._fall[offset : offset + stop - start]
            position += stop - start
            start = stop
        self._running = running
        return out

    def _smooth(self, released: NDArray[np.float64]) -> NDArray[np.float64]:
        """Triangular running mean over ``W`` values (two exact integer running sums)."""
        frames = released.size
        # Round up, so the smoothed reduction is never less than the exact mean.
        quantised = np.ceil(released * _SCALE).astype(np.int64)
        first, self._box1_tail = _running_sum(self._box1_tail, quantised, self._box1)
        second, self._box2_tail = _running_sum(self._box2_tail, first, self._box2)
        if frames and not second.any():
            return np.zeros(frames)
        return second / (_SCALE * self._box1 * self._box2)


def _running_sum(
    tail: NDArray[np.int64], values: NDArray[np.int64], length: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Sum of the last ``length`` values at each new value; return the sums and the new tail."""
    extended = np.concatenate((tail, values))
    sums = np.concatenate((np.zeros(1, dtype=np.int64), np.cumsum(extended)))
    return sums[length:] - sums[:-length], extended[values.size :]


def _reduction_db(gain: float) -> float:
    """Gain reduction in dB of a linear gain (0 for a gain of 1)."""
    return 0.0 if gain >= 1.0 else -20.0 * math.log10(max(gain, 1e-12))
