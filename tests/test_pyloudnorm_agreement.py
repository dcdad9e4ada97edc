"""The streaming meter against pyloudnorm, and against itself at other block sizes.

pyloudnorm measures whole arrays with its own K-weighting design; on noise and
music it reads a few hundredths of a LU below libebur128 and ffmpeg (see
/work/shared/domain/loudness.md), so agreement is asked within 0.05 LU.

The meter streams: the same signal cut into tiny, odd or huge blocks must give
the same results to 1e-9 (relative, or absolute in dB/LU).
"""

from __future__ import annotations

import functools

import numpy as np
import pyloudnorm
import pytest

from sequencer.analysis import TrackAnalysis, analyse_array
from tests.signals import RATES, conformance_case, music_like, pink_noise, sine

#: Agreement with pyloudnorm's integrated loudness, LU.
PYLOUDNORM_TOLERANCE_LU = 0.05

#: Block sizes that must not change any result (tiny, 0.1 s at 44.1 kHz, odd, 2**16, larger
#: than the signal).
BLOCK_SIZES = (1000, 4410, 12345, 65536, 10_000_000)

FIELDS = (
    "integrated_lufs",
    "loudness_range_lu",
    "max_momentary_lufs",
    "max_short_term_lufs",
    "true_peak_dbtp",
    "sample_peak_dbfs",
)


def _pyloudnorm_integrated(samples: np.ndarray, rate: int) -> float:
    return float(pyloudnorm.Meter(rate).integrated_loudness(samples))


@pytest.mark.parametrize(("seed", "dbfs_rms"), [(1, -18.0), (2, -24.0), (3, -31.0)])
@pytest.mark.parametrize("rate", RATES)
def test_pink_noise_integrated_agrees_with_pyloudnorm(
    rate: int, seed: int, dbfs_rms: float
) -> None:
    samples = pink_noise(30.0, rate, seed, dbfs_rms)
    ours = analyse_array(samples, rate).integrated_lufs
    assert ours == pytest.approx(_pyloudnorm_integrated(samples, rate), abs=PYLOUDNORM_TOLERANCE_LU)


@pytest.mark.parametrize("seed", [11, 12, 13])
@pytest.mark.parametrize("rate", RATES)
def test_music_integrated_agrees_with_pyloudnorm(rate: int, seed: int) -> None:
    samples = music_like(30.0, rate, seed)
    ours = analyse_array(samples, rate).integrated_lufs
    assert ours == pytest.approx(_pyloudnorm_integrated(samples, rate), abs=PYLOUDNORM_TOLERANCE_LU)


@pytest.mark.parametrize("rate", RATES)
def test_music_with_a_quiet_passage_agrees_with_pyloudnorm(rate: int) -> None:
    """Gating: a long passage 30 dB down is dropped by the relative gate in both meters."""
    music = music_like(20.0, rate, 21)
    quiet = music_like(20.0, rate, 22) * 10.0 ** (-30.0 / 20.0)
    samples = np.concatenate([music, quiet, music[::-1]])
    ours = analyse_array(samples, rate).integrated_lufs
    assert ours == pytest.approx(_pyloudnorm_integrated(samples, rate), abs=PYLOUDNORM_TOLERANCE_LU)


@functools.lru_cache(maxsize=1)
def _block_signal(name: str, rate: int) -> np.ndarray:
    if name == "music":
        return music_like(20.0, rate, 5)
    if name == "music with silence":
        music = music_like(12.0, rate, 6)
        return np.concatenate([np.zeros((rate // 3, 2)), music, np.zeros((5 * rate, 2)), music])
    if name == "pink noise":
        return pink_noise(12.0, rate, 8, -20.0)
    if name == "tone steps":
        return np.concatenate([sine(1000.0, -20.0, 8.0, rate), sine(1000.0, -30.0, 8.0, rate)])
    # Inter-sample peaks: true peak must not depend on where blocks cut.
    case = 16 if name == "fs/4 at 45 deg" else 22
    return conformance_case("Tech 3341", case, rate).samples


SIGNALS = (
    "music",
    "music with silence",
    "pink noise",
    "tone steps",
    "fs/4 at 45 deg",
    "hidden fs/4 period",
)


@functools.cache
def _reference(name: str, rate: int) -> TrackAnalysis:
    return analyse_array(_block_signal(name, rate), rate)


def _assert_same(result: TrackAnalysis, reference: TrackAnalysis, context: str) -> None:
    for field in FIELDS:
        got, want = getattr(result, field), getattr(reference, field)
        if want is None or got is None:
            assert got is None, f"{context}: {field} {got} vs {want}"
            assert want is None, f"{context}: {field} {got} vs {want}"
        else:
            np.testing.assert_allclose(
                got, want, rtol=1e-9, atol=1e-9, err_msg=f"{context}: {field}"
            )


@pytest.mark.parametrize("block_frames", BLOCK_SIZES)
@pytest.mark.parametrize("name", SIGNALS)
@pytest.mark.parametrize("rate", RATES)
def test_block_size_does_not_change_results(rate: int, name: str, block_frames: int) -> None:
    samples = _block_signal(name, rate)
    result = analyse_array(samples, rate, block_frames=block_frames)
    _assert_same(result, _reference(name, rate), f"{name} at {rate} Hz, blocks of {block_frames}")


@pytest.mark.parametrize("block_frames", [7, 441])
def test_very_small_blocks_on_a_short_signal(block_frames: int) -> None:
    rate = 44100
    samples = sine(997.0, -12.0, 1.0, rate, phase=0.7) + pink_noise(1.0, rate, 9, -30.0)
    reference = analyse_array(samples, rate)
    result = analyse_array(samples, rate, block_frames=block_frames)
    _assert_same(result, reference, f"1 s at {rate} Hz, blocks of {block_frames}")
