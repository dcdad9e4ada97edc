"""Streaming true-peak meter (ITU-R BS.1770-4, Annex 2), exact and fast.

The signal is oversampled by a polyphase interpolator (4x below 88.2 kHz, 2x
below 176.4 kHz, none above, as libebur128 does) and the largest magnitude of
the interpolated signal is the true peak.

Oversampling every sample is what makes a true-peak meter slow, and most of it
is wasted: an interpolated value between samples can never exceed the largest
magnitude of the samples under the filter times the largest L1 norm of the
filter's phases (``gain_bound``). So the meter only interpolates chunks whose
neighbourhood could beat the running maximum. The result is the same as
interpolating everything (no approximation), which the tests check.

The scan runs in ``sequencer._truepeak`` when it was compiled; the numpy code
here sums every interpolated value in the same order (first tap to last, no
fused multiply-add), so the peak is the same to the last bit either way.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

from sequencer import compiled

_truepeak = compiled.load("sequencer._truepeak")

#: Taps per polyphase branch of the interpolator.
TAPS_PER_PHASE = 16
#: Kaiser window shape of the interpolator (passband flat to 0.1 dB to about 0.8 fs/2).
KAISER_BETA = 7.0


def oversampling_factor(sample_rate: int) -> int:
    """How many times to oversample at ``sample_rate`` (4x, 2x or 1x)."""
    if sample_rate < 88200:
        return 4
    if sample_rate < 176400:
        return 2
    return 1


def interpolator_phases(factor: int) -> NDArray[np.float64]:
    """Return the polyphase branches of a Kaiser-windowed sinc interpolator.

    The prototype is a Nyquist filter (cutoff at the original Nyquist
    frequency), so branch 0 is the identity and only branches 1 to
    ``factor - 1`` are returned, each of ``TAPS_PER_PHASE`` taps. Branch ``p``
    applied to the samples ``x[n - TAPS/2 + 1 .. n + TAPS/2]`` gives the signal
    at ``n + p / factor``.

    Parameters
    ----------
    factor
        The oversampling factor (2 or more).

    Returns
    -------
    numpy.ndarray
        Shape ``(factor - 1, TAPS_PER_PHASE)``, taps in time order of the samples.
    """
    length = factor * TAPS_PER_PHASE
    k = np.arange(length) - length // 2
    prototype = np.sinc(k / factor) * np.kaiser(length + 1, KAISER_BETA)[:length]
    # prototype[j] weights the sample that lies (j - length/2)/factor before the output time.
    phases = []
    for p in range(1, factor):
        # Output at n + p/factor uses samples n + m with tap index length/2 + p - m*factor.
        taps = [
            prototype[length // 2 + p - m * factor]
            if 0 <= length // 2 + p - m * factor < length
            else 0.0
            for m in range(-TAPS_PER_PHASE // 2 + 1, TAPS_PER_PHASE // 2 + 1)
        ]
        phases.append(taps)
    return np.asarray(phases)


class TruePeakMeter:
    """Streaming true-peak meter for audio of shape (frames, channels).

    Parameters
    ----------
    sample_rate
        The sample rate of the audio in Hz.
    channels
        The number of channels.
    chunk
        Samples per chunk for the bound test (at least ``TAPS_PER_PHASE``).
    """

    def __init__(self, sample_rate: int, channels: int = 2, chunk: int = 16) -> None:
        self.factor = oversampling_factor(sample_rate)
        self.channels = channels
        self.chunk = max(chunk, TAPS_PER_PHASE)
        self.phases = (
            interpolator_phases(self.factor) if self.factor > 1 else np.zeros((0, TAPS_PER_PHASE))
        )
        self.gain_bound = float(np.abs(self.phases).sum(axis=1).max()) if self.factor > 1 else 1.0
        self._history = np.zeros((channels, TAPS_PER_PHASE - 1))
        # Work buffers, reused from block to block (allocating them anew costs page faults).
        self._buffer = np.zeros(0)
        self._magnitude = np.zeros(0)
        self._starts = np.zeros(0, dtype=np.intp)
        self._peak = 0.0
        self.interpolated_samples = 0
        """How many windows were actually interpolated (for the benchmark)."""

    @property
    def peak(self) -> float:
        """The true peak so far as a linear magnitude (full scale 1.0)."""
        return self._peak

    def peak_dbtp(self) -> float | None:
        """Return the true peak so far in dBTP; ``None`` for digital silence."""
        return 20.0 * math.log10(self._peak) if self._peak > 0 else None

    def process(self, planar: NDArray[np.float64]) -> None:
        """Meter the next block of audio, shape (channels, frames)."""
        frames = planar.shape[1]
        if frames == 0:
            return
        if self.factor == 1:
            self._peak = max(self._peak, float(planar.max()), float(-planar.min()))
            return
        chunks = -(-frames // self.chunk)
        length = (chunks + 1) * self.chunk
        if self._buffer.shape[0] < length:
            self._buffer = np.zeros(length)
            self._magnitude = np.zeros(length)
        history = TAPS_PER_PHASE - 1
        for channel in range(self.channels):
            extended = self._buffer[:length]
            extended[:history] = self._history[channel]
            extended[history : history + frames] = planar[channel]
            extended[history + frames :] = 0.0
            self._history[channel] = extended[frames : frames + history]
            self._process_channel(extended, frames)

    def finish(self) -> None:
        """Interpolate the last samples, as if the programme were followed by silence."""
        if self.factor > 1:
            self.process(np.zeros((self.channels, TAPS_PER_PHASE // 2)))

    def _process_channel(self, extended: NDArray[np.float64], windows: int) -> None:
        """Take the samples of one channel and interpolate the windows that could beat the peak.

        ``extended`` holds ``TAPS - 1`` samples of history, the block, then zeros
        up to a whole number of chunks plus one; window ``w`` is
        ``extended[w : w + TAPS]`` and yields the values between its two middle
        samples. The windows of chunk ``c`` lie inside chunks ``c`` and ``c + 1``, so
        a chunk is interpolated only when the larger of those two chunks' peaks,
        times ``gain_bound``, beats the peak after this block's samples.
        """
        if _truepeak is not None:
            self._peak, interpolated = _truepeak.scan(
                extended, windows, self.phases, self.phases.shape[0], TAPS_PER_PHASE,
                self.chunk, self.gain_bound, self._peak,
            )  # fmt: skip
            self.interpolated_samples += interpolated
            return
        chunk = self.chunk
        magnitude = np.abs(extended, out=self._magnitude[: extended.size])
        chunk_max = np.maximum.reduceat(magnitude, self._chunk_starts(extended.size))
        threshold = max(self._peak, float(chunk_max.max()))
        bound = np.maximum(chunk_max[:-1], chunk_max[1:]) * self.gain_bound
        candidates = np.flatnonzero(bound > threshold)
        candidates = candidates[candidates * chunk < windows]
        self._peak = threshold
        if candidates.size == 0:
            return
        self.interpolated_samples += candidates.size * chunk
        starts = (candidates[:, np.newaxis] * chunk + np.arange(chunk)).ravel()
        rows = sliding_window_view(extended, TAPS_PER_PHASE)[starts[starts < windows]]
        for phase in self.phases:
            # Tap by tap, in the compiled scan's order, so both give the same peak.
            value = rows[:, 0] * phase[0]
            for tap in range(1, TAPS_PER_PHASE):
                value += rows[:, tap] * phase[tap]
            self._peak = max(self._peak, float(np.abs(value).max()))

    def _chunk_starts(self, length: int) -> NDArray[np.intp]:
        """Start index of every chunk in a buffer of ``length`` samples (cached)."""
        if self._starts.size != length // self.chunk:
            self._starts = np.arange(0, length, self.chunk)
        return self._starts
