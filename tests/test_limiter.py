"""The true-peak limiter on hard material, in blocks of any size, and on quiet material.

The ceiling holds (measured with the analysis' own true-peak meter), blocks of any
size give the same bits, material under the ceiling passes untouched, and a lone
peak does not pump its passage.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from numpy.typing import NDArray

from sequencer.limiter import SAFETY_MARGIN_DB, TruePeakLimiter
from sequencer.truepeak import TruePeakMeter, interpolator_phases, oversampling_factor
from tests.signals import db_to_amplitude, music_like, sine

RATE = 44100
CEILING = -1.0


def limit(
    planar: NDArray[np.float64],
    limiter: TruePeakLimiter,
    blocks: list[int] | None = None,
) -> NDArray[np.float64]:
    """Run ``planar`` through ``limiter`` in blocks of the given sizes (cycled), then flush."""
    sizes = blocks or [planar.shape[1] or 1]
    out = []
    start, index = 0, 0
    while start < planar.shape[1]:
        size = sizes[index % len(sizes)]
        out.append(limiter.process(planar[:, start : start + size]))
        start, index = start + size, index + 1
    out.append(limiter.flush())
    return np.concatenate(out, axis=1)


def true_peak_dbtp(planar: NDArray[np.float64], rate: int = RATE) -> float:
    meter = TruePeakMeter(rate, channels=planar.shape[0])
    meter.process(planar)
    meter.finish()
    peak = meter.peak_dbtp()
    assert peak is not None
    return peak


def planar(frames_by_channels: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.ascontiguousarray(frames_by_channels.T)


def clipped_noise(seconds: float, rate: int = RATE) -> NDArray[np.float64]:
    """Return full-scale noise, hard clipped: runs at +/-1 with overs between samples."""
    rng = np.random.default_rng(7)
    return np.clip(rng.standard_normal((2, round(seconds * rate))) * 0.8, -1.0, 1.0)


def quarter_rate_sine(seconds: float, rate: int = RATE) -> NDArray[np.float64]:
    """Return an fs/4 sine at 45 degrees whose samples reach 0 dBFS (true peak about +3 dBTP)."""
    n = np.arange(round(seconds * rate))
    tone = math.sqrt(2.0) * np.sin(0.5 * np.pi * n + 0.25 * np.pi)
    return np.vstack([tone, tone])


def isolated_peaks(seconds: float, rate: int = RATE) -> NDArray[np.float64]:
    """Return quiet noise with +6 dBFS single samples and a +6 dBFS pair of opposite sign."""
    rng = np.random.default_rng(3)
    frames = round(seconds * rate)
    out = 0.01 * rng.standard_normal((2, frames))
    for at in (0.1, 0.37, 0.61):
        out[:, round(at * frames)] = 2.0
    # Opposite signs on neighbouring samples: the biggest inter-sample over there is.
    i = round(0.8 * frames)
    out[0, i], out[0, i + 1] = 2.0, -2.0
    return out


HARD = {
    "clipped noise": lambda: clipped_noise(1.0),
    "music at +6 dBFS": lambda: planar(music_like(3.0, RATE, seed=5) * db_to_amplitude(7.0)),
    "fs/4 sine at 45 degrees": lambda: quarter_rate_sine(1.0),
    "isolated peaks": lambda: isolated_peaks(1.0),
}


@pytest.mark.parametrize("material", list(HARD))
def test_the_ceiling_holds_on_hard_material(material):
    signal = HARD[material]()
    assert true_peak_dbtp(signal) > 2.0
    limiter = TruePeakLimiter(RATE, CEILING)
    out = limit(signal, limiter, blocks=[4096])

    assert true_peak_dbtp(out) <= CEILING
    assert limiter.max_reduction_db > 3.0


@pytest.mark.parametrize("rate", [48000, 96000, 192000])
def test_the_ceiling_holds_at_other_rates(rate):
    # 4x, 2x and no oversampling: the limiter detects as the meter measures.
    signal = np.vstack([clipped_noise(0.5, rate)[0], quarter_rate_sine(0.5, rate)[0]])
    out = limit(signal, TruePeakLimiter(rate, -2.0), blocks=[1000])

    assert true_peak_dbtp(out, rate) <= -2.0


def test_the_ceiling_sits_at_the_safety_margin():
    # A steady fs/4 tone needs a steady reduction: exactly its true peak minus the
    # threshold (ceiling minus the margin).
    signal = quarter_rate_sine(1.0)
    limiter = TruePeakLimiter(RATE, CEILING)
    out = limit(signal, limiter)

    expected = true_peak_dbtp(signal) - (CEILING - SAFETY_MARGIN_DB)
    assert limiter.max_reduction_db == pytest.approx(expected, abs=1e-6)
    assert true_peak_dbtp(out) == pytest.approx(CEILING - SAFETY_MARGIN_DB, abs=1e-3)


@pytest.mark.parametrize("blocks", [[1], [7], [441], [4096], [3, 1000, 1, 4096, 17]])
def test_any_block_size_gives_the_same_bits(blocks):
    # Music at +6 dBFS: the limiter works all the time.
    seconds = 0.1 if blocks == [1] else 1.0
    signal = planar(music_like(seconds, RATE, seed=9) * db_to_amplitude(6.0))
    reference = TruePeakLimiter(RATE, CEILING)
    whole = limit(signal, reference)
    pieces = limit(signal, TruePeakLimiter(RATE, CEILING), blocks=blocks)

    assert reference.max_reduction_db > 1.0
    assert_array_equal(pieces, whole)


def test_long_blocks_are_cut_internally_without_changing_the_result():
    signal = clipped_noise(3.5)  # longer than the 65536-frame internal piece
    whole = limit(signal, TruePeakLimiter(RATE, CEILING))
    pieces = limit(signal, TruePeakLimiter(RATE, CEILING), blocks=[4096])

    assert_array_equal(pieces, whole)


def test_material_under_the_ceiling_passes_untouched():
    signal = planar(music_like(2.0, RATE, seed=4))  # peaks at -1 dBFS sample peak
    signal *= db_to_amplitude(-3.0)
    assert true_peak_dbtp(signal) < CEILING - SAFETY_MARGIN_DB
    limiter = TruePeakLimiter(RATE, CEILING)
    out = limit(signal, limiter, blocks=[4096])

    latency = limiter.latency
    assert out.shape == (2, signal.shape[1] + latency)
    assert_array_equal(out[:, :latency], 0.0)
    assert_array_equal(out[:, latency:], signal)
    assert limiter.max_reduction_db == 0.0


def test_latency_and_flush_keep_sample_positions():
    signal = isolated_peaks(0.5)
    limiter = TruePeakLimiter(RATE, CEILING, lookahead_ms=2.0)
    assert limiter.latency == round(2.0 * RATE / 1000) + 15
    body = limiter.process(signal)
    tail = limiter.flush()

    assert body.shape == signal.shape
    assert tail.shape == (2, limiter.latency)
    assert limiter.position == signal.shape[1] + limiter.latency
    out = np.concatenate([body, tail], axis=1)[:, limiter.latency :]
    # Away from the peaks the output is the input, sample for sample.
    assert_array_equal(out[:, :1000], signal[:, :1000])


def test_a_lone_peak_does_not_pump_the_passage():
    # A quiet -20 dBFS tone with one sample at +6 dBFS in the middle.
    tone = planar(sine(440.0, -20.0, 3.0, RATE))
    spike = RATE + RATE // 2
    tone[:, spike] = 2.0
    limiter = TruePeakLimiter(RATE, CEILING)
    out = limit(tone, limiter)[:, limiter.latency :]
    gain = np.abs(out[0]) / np.maximum(np.abs(tone[0]), 1e-12)

    lookahead = limiter.latency
    before = slice(0, spike - lookahead - 1)
    assert_array_equal(out[:, before], tone[:, before])
    # The gain dips a few milliseconds before the peak and recovers with the release
    # (80 ms): back within 0.05 dB 400 ms later and within 0.005 dB 600 ms later.
    nonzero = np.abs(tone[0]) > 1e-3
    late = nonzero & (np.arange(tone.shape[1]) > spike + int(0.4 * RATE))
    later = nonzero & (np.arange(tone.shape[1]) > spike + int(0.6 * RATE))
    assert 20 * np.log10(gain[late].min()) > -0.05
    assert 20 * np.log10(gain[later].min()) > -0.005
    assert true_peak_dbtp(out) <= CEILING


def test_reduction_is_reported_per_frame():
    signal = isolated_peaks(0.5)
    limiter = TruePeakLimiter(RATE, CEILING)
    reductions = []
    for start in range(0, signal.shape[1], 1000):
        limiter.process(signal[:, start : start + 1000])
        assert limiter.last_gain.shape == (min(1000, signal.shape[1] - start),)
        reductions.append(limiter.last_reduction_db())
    per_frame = np.concatenate(reductions)

    assert per_frame.max() == pytest.approx(limiter.max_reduction_db)
    # Frame k of the output carries input frame k - latency: the first reduction
    # starts inside the look-ahead before the first peak (input frame 0.1 s).
    first = int(np.flatnonzero(per_frame > 0.0)[0]) - limiter.latency
    peak = round(0.1 * signal.shape[1])
    assert peak - limiter.latency <= first < peak
    assert per_frame[limiter.latency + peak] >= 20 * math.log10(2.0) - CEILING


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="lookahead_ms"):
        TruePeakLimiter(RATE, CEILING, lookahead_ms=0.0)
    with pytest.raises(ValueError, match="release_ms"):
        TruePeakLimiter(RATE, CEILING, release_ms=-1.0)
    with pytest.raises(ValueError, match="shape"):
        TruePeakLimiter(RATE, CEILING).process(np.zeros((1, 10)))


def reference_limiter(
    x: NDArray[np.float64], rate: int, ceiling: float, lookahead: int, release_ms: float
) -> NDArray[np.float64]:
    """Limit ``x`` with the algorithm written out sample by sample, without vector tricks.

    Peak of each sample and its interpolated neighbours, required reduction, hold
    over ``W + 16`` samples, ``y = max(h, a * y)``, triangular mean over ``W``,
    output delayed by ``W + 15`` samples.
    """
    phases = interpolator_phases(oversampling_factor(rate))
    threshold = 10.0 ** ((ceiling - SAFETY_MARGIN_DB) / 20.0)
    frames = x.shape[1]
    latency = lookahead + 15
    padded = np.concatenate([np.zeros((2, 15)), x, np.zeros((2, latency + 16))], axis=1)
    total = frames + latency
    required = np.zeros(total)
    for s in range(total):
        window = padded[:, s : s + 16]  # input frames s - 15 .. s: centred on s - 8
        peak = max(np.abs(window[:, 7]).max(), np.abs(window @ phases.T).max())
        if peak > threshold:
            required[s] = 1.0 - threshold / peak
    hold = lookahead + 16
    decay = math.exp(-1000.0 / (release_ms * rate))
    released = np.zeros(total)
    previous = 0.0
    for s in range(total):
        previous = max(required[max(0, s - hold + 1) : s + 1].max(), decay * previous)
        released[s] = previous
    first_box = lookahead // 2 + 1
    second_box = lookahead - first_box + 1

    def running_mean(values: NDArray[np.float64], length: int) -> NDArray[np.float64]:
        padded = np.concatenate([np.zeros(length - 1), values])
        return np.array([padded[t : t + length].mean() for t in range(values.size)])

    smoothed = running_mean(running_mean(released, first_box), second_box)
    delayed = np.concatenate([np.zeros((2, latency)), x], axis=1)
    return delayed * (1.0 - smoothed)


def test_the_vectorised_limiter_matches_the_algorithm_written_out():
    signal = planar(music_like(0.08, RATE, seed=2) * db_to_amplitude(6.0))
    limiter = TruePeakLimiter(RATE, CEILING, lookahead_ms=1.0, release_ms=10.0)
    out = limit(signal, limiter, blocks=[500])

    expected = reference_limiter(signal, RATE, CEILING, limiter.lookahead, 10.0)
    assert limiter.max_reduction_db > 3.0
    np.testing.assert_allclose(out, expected, rtol=0.0, atol=1e-8)
