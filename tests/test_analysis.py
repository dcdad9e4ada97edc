"""The streaming meters: known answers, block independence, the exact true-peak shortcut."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from sequencer.analysis import analyse_array
from sequencer.loudness import LoudnessMeter, k_weighting_coefficients
from sequencer.samplestats import SampleStats
from sequencer.truepeak import TAPS_PER_PHASE, TruePeakMeter, interpolator_phases

RATE = 44100


def tone(seconds: float, dbfs: float, freq: float = 1000.0, rate: int = RATE) -> np.ndarray:
    """Make a sine at ``dbfs`` peak."""
    t = np.arange(round(seconds * rate)) / rate
    return 10 ** (dbfs / 20) * np.sin(2 * np.pi * freq * t)


def music(seconds: float, seed: int, rate: int = RATE) -> np.ndarray:
    """Beat-modulated noise with a bassline: loud and quiet passages, stereo."""
    rng = np.random.default_rng(seed)
    n = round(seconds * rate)
    t = np.arange(n) / rate
    beat = 0.3 + 0.7 * (np.sin(2 * np.pi * 2 * t) > 0.7)
    noise = rng.standard_normal((n, 2)) * 0.08 * beat[:, None]
    bass = 0.3 * np.sin(2 * np.pi * 55 * t)[:, None]
    sections = np.where((t // 7) % 2 == 0, 1.0, 0.3)[:, None]
    return (noise + bass) * sections


def test_k_weighting_reproduces_the_standard_48k_coefficients() -> None:
    b, a = k_weighting_coefficients(48000)
    # ITU-R BS.1770-4, Tables 1 and 2 (the two stages, multiplied out).
    shelf_b = [1.53512485958697, -2.69169618940638, 1.19839281085285]
    shelf_a = [1.0, -1.69065929318241, 0.73248077421585]
    highpass_a = [1.0, -1.99004745483398, 0.99007225036621]
    np.testing.assert_allclose(b, np.convolve(shelf_b, [1.0, -2.0, 1.0]), atol=1e-9)
    np.testing.assert_allclose(a, np.convolve(shelf_a, highpass_a), atol=1e-9)


@pytest.mark.parametrize("rate", [44100, 48000, 96000])
def test_stereo_sine_reads_its_level(rate: int) -> None:
    x = tone(10, -23.0, rate=rate)
    result = analyse_array(np.column_stack([x, x]), rate)
    assert result.integrated_lufs == pytest.approx(-23.0, abs=0.1)
    assert result.max_momentary_lufs == pytest.approx(-23.0, abs=0.1)
    assert result.max_short_term_lufs == pytest.approx(-23.0, abs=0.1)
    assert result.sample_peak_dbfs == pytest.approx(-23.0, abs=0.01)
    assert result.true_peak_dbtp == pytest.approx(-23.0, abs=0.05)
    assert result.plr_db == pytest.approx(0.0, abs=0.15)
    assert result.loudness_range_lu == pytest.approx(0.0, abs=0.1)


def test_mono_is_measured_as_two_identical_channels() -> None:
    x = tone(5, -20.0)
    mono = analyse_array(x, RATE)
    stereo = analyse_array(np.column_stack([x, x]), RATE)
    assert mono.channels == 1
    assert mono.integrated_lufs == stereo.integrated_lufs
    assert mono.correlation == pytest.approx(1.0)


def test_profile_follows_the_programme() -> None:
    quiet, loud = tone(5, -30.0), tone(5, -10.0)
    x = np.concatenate([quiet, loud])
    result = analyse_array(np.column_stack([x, x]), RATE)
    assert result.profile_step_s == pytest.approx(0.1)
    assert len(result.short_term_profile) == 100
    assert result.short_term_profile[45] == pytest.approx(-30.0, abs=0.1)
    assert result.short_term_profile[-1] == pytest.approx(-10.0, abs=0.1)


@pytest.mark.parametrize("block_frames", [1, 7, 441, 1000, 4097, 12345, 65536])
def test_block_size_does_not_change_any_result(block_frames: int) -> None:
    x = music(12 if block_frames > 7 else 0.6, seed=3)
    x[RATE // 4 : RATE // 4 + 40] = 1.0  # a clipped run
    whole = analyse_array(x, RATE, block_frames=len(x))
    blocks = analyse_array(x, RATE, block_frames=block_frames)
    exact = whole.model_dump(exclude={"dc_offset", "correlation"})
    assert blocks.model_dump(exclude={"dc_offset", "correlation"}) == exact
    # Sums over blocks round differently in the last bits.
    np.testing.assert_allclose(blocks.dc_offset, whole.dc_offset, atol=1e-9)
    assert blocks.correlation == pytest.approx(whole.correlation, abs=1e-6)


def brute_force_true_peak(x: np.ndarray, rate: int) -> float:
    """Interpolate every window of every channel (no shortcut)."""
    phases = interpolator_phases(4)
    best = float(np.abs(x).max())
    for channel in x.T:
        padded = np.concatenate([np.zeros(TAPS_PER_PHASE - 1), channel, np.zeros(TAPS_PER_PHASE)])
        values = sliding_window_view(padded, TAPS_PER_PHASE) @ phases.T
        best = max(best, float(np.abs(values).max()))
    return best


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_true_peak_shortcut_is_exact(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = music(4, seed)
    # Inter-sample overs planted at random places: fs/4 at 45 degrees phase.
    for start in rng.integers(0, len(x) - 8, size=5):
        x[start : start + 8, int(rng.integers(0, 2))] = [0.7, 0.7, -0.7, -0.7, 0.7, 0.7, -0.7, -0.7]
    meter = TruePeakMeter(RATE)
    for i in range(0, len(x), 5000):
        meter.process(np.ascontiguousarray(x[i : i + 5000].T))
    meter.finish()
    assert meter.peak == pytest.approx(brute_force_true_peak(x, RATE), rel=1e-12)
    assert meter.interpolated_samples < 0.5 * x.size  # the shortcut skipped most of it


def test_true_peak_finds_the_inter_sample_over_and_is_never_below_sample_peak() -> None:
    n = np.arange(RATE)
    x = np.sin(2 * np.pi * (RATE / 4) * n / RATE + np.pi / 4)  # samples at 0.707
    result = analyse_array(np.column_stack([x, x]), RATE)
    assert result.sample_peak_dbfs == pytest.approx(-3.01, abs=0.01)
    assert result.true_peak_dbtp == pytest.approx(0.0, abs=0.2)
    quiet = analyse_array(music(3, 9), RATE)
    assert quiet.true_peak_dbtp is not None
    assert quiet.sample_peak_dbfs is not None
    assert quiet.true_peak_dbtp >= quiet.sample_peak_dbfs


def test_silence_and_short_signals_are_unmeasurable_not_errors() -> None:
    silent = analyse_array(np.zeros((RATE * 5, 2)), RATE)
    assert silent.integrated_lufs is None
    assert silent.loudness_range_lu is None
    assert silent.max_momentary_lufs is None
    assert silent.true_peak_dbtp is None
    assert silent.correlation is None
    assert silent.leading_silence_s == pytest.approx(5.0)
    short = analyse_array(np.column_stack([tone(0.3, -10)] * 2), RATE)
    assert short.integrated_lufs is None
    assert short.max_short_term_lufs is None
    assert short.sample_peak_dbfs == pytest.approx(-10, abs=0.01)


def test_dc_offset_correlation_silence_and_clips() -> None:
    x = music(6, 4)
    x[:, 1] = -x[:, 0]  # anti-phase
    x[:, 0] += 0.05
    x[: RATE // 2] = 0.0
    x[-RATE:] = 0.0
    x[3 * RATE : 3 * RATE + 10, 0] = 1.0
    x[4 * RATE : 4 * RATE + 2, 1] = -1.0  # too short to count as a clip
    stats = SampleStats()
    for i in range(0, len(x), 3001):  # the clipped run crosses no boundary here
        stats.process(np.ascontiguousarray(x[i : i + 3001].T))
    result = analyse_array(x, RATE, block_frames=3 * RATE + 5)  # this one crosses one
    assert result.dc_offset[0] == pytest.approx(0.05 * 4.5 / 6, abs=2e-3)
    assert result.correlation is not None
    assert result.correlation < -0.9
    assert result.leading_silence_s == pytest.approx(0.5, abs=1e-3)
    assert result.trailing_silence_s == pytest.approx(1.0, abs=1e-3)
    assert result.clipped_runs == 1 == stats.result().clipped_runs
    assert result.clip_times_s == (3.0,)


def test_momentary_maximum_is_found_between_100ms_steps() -> None:
    # A 400 ms burst starting 50 ms after a 100 ms boundary: a 100 ms grid misses it.
    x = np.zeros(RATE * 3)
    start = round(1.05 * RATE)
    x[start : start + round(0.4 * RATE)] = tone(0.4, -20.0)
    meter = LoudnessMeter(RATE)
    meter.process(np.vstack([x, x]))
    result = meter.result()
    assert result.max_momentary_lufs == pytest.approx(-20.0, abs=0.1)
