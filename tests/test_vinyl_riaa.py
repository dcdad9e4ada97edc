"""RIAA recording curve: the analog formula, the digital fit against it, streaming."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal as sps

from vinyl.riaa import (
    RiaaFilter,
    design_error_db,
    riaa_coefficients,
    riaa_digital_gain_db,
    riaa_gain_db,
)


@pytest.mark.parametrize(
    ("frequency", "expected_db"),
    # Domain notes (vinyl.md, "How audio becomes groove"), derived from the time constants.
    [(20.0, -19.3), (100.0, -13.1), (1000.0, 0.0), (10000.0, 13.7), (20000.0, 19.6)],
)
def test_analog_curve_matches_the_domain_figures(frequency: float, expected_db: float) -> None:
    assert float(riaa_gain_db(frequency)) == pytest.approx(expected_db, abs=0.05)


def test_neumann_pole_lowers_only_the_top() -> None:
    difference = riaa_gain_db([100.0, 20000.0], neumann=True) - riaa_gain_db([100.0, 20000.0])
    # -10 log10(1 + (f / 50 kHz)^2): -0.64 dB at 20 kHz, nothing at 100 Hz (both re 1 kHz).
    np.testing.assert_allclose(difference, [0.0017, -0.642], atol=0.003)


@pytest.mark.parametrize(
    # Achieved (vinyl/riaa.py): 0.06 / 0.10 dB at 44.1 kHz, 0.05 / 0.10 at 48, 0.02 / 0.02 at 96.
    ("rate", "to_16k_db", "to_20k_db"),
    [(44100, 0.1, 0.15), (48000, 0.1, 0.15), (88200, 0.05, 0.05), (96000, 0.05, 0.05)],
)
@pytest.mark.parametrize("neumann", [False, True])
def test_digital_filter_matches_the_analog_curve(
    rate: int, to_16k_db: float, to_20k_db: float, neumann: bool
) -> None:
    assert design_error_db(rate, 16000.0, neumann) < to_16k_db
    assert design_error_db(rate, 20000.0, neumann) < to_20k_db
    # And no wild excursion between 20 kHz and 0.95 x Nyquist.
    top = min(0.95 * rate / 2, 40000.0)
    assert design_error_db(rate, top, neumann) < 0.3


def test_filter_is_stable_minimum_phase_and_normalised() -> None:
    for rate in (32000, 44100, 48000, 96000, 192000):
        b, a = riaa_coefficients(rate)
        assert np.all(np.abs(np.roots(a)) < 1.0)
        assert np.all(np.abs(np.roots(b)) < 1.0)
        assert float(riaa_digital_gain_db(1000.0, rate)[0]) == pytest.approx(0.0, abs=1e-9)


def test_much_better_than_the_bilinear_transform_at_48k() -> None:
    # The pitfall of the domain notes: bilinear overstates 20 kHz by about 6 dB.
    t1, t2, t3 = 3180e-6, 318e-6, 75e-6
    # Recording curve made proper with a far pole (1 MHz) so that bilinear() accepts it.
    far = 1 / (2 * np.pi * 1e6)
    num = np.polymul([t1, 1], [t3, 1])
    den = np.polymul([t2, 1], [far, 1])
    b, a = sps.bilinear(num, den, fs=48000)
    _, h = sps.freqz(b, a, worN=[1000.0, 20000.0], fs=48000)
    bilinear_20k = 20 * np.log10(abs(h[1]) / abs(h[0]))
    assert bilinear_20k - float(riaa_gain_db(20000.0)) > 5.0
    digital_20k = float(riaa_digital_gain_db(20000.0, 48000)[0])
    assert abs(digital_20k - float(riaa_gain_db(20000.0))) < 0.15


@pytest.mark.parametrize("frequency", [50.0, 1000.0, 10000.0])
def test_streaming_sine_has_the_designed_gain(frequency: float) -> None:
    rate = 48000
    t = np.arange(rate) / rate
    x = np.sin(2 * np.pi * frequency * t)
    y = RiaaFilter(rate).process(np.stack([x, x]))
    steady = y[:, rate // 2 :]
    # Sample peak of a sine understates by at most 1 - cos(pi f / fs) (0.02 dB at 10 kHz here).
    gain_db = 20 * np.log10(np.abs(steady).max(axis=1))
    np.testing.assert_allclose(gain_db, float(riaa_gain_db(frequency)), atol=0.12)


@pytest.mark.parametrize("block_frames", [1, 7, 441, 4097])
def test_block_size_does_not_change_the_output(block_frames: int) -> None:
    rate = 44100
    rng = np.random.default_rng(11)
    x = rng.standard_normal((2, rate // 4)) * 0.1
    whole = RiaaFilter(rate).process(x)
    stream = RiaaFilter(rate)
    blocks = [
        stream.process(x[:, i : i + block_frames]) for i in range(0, x.shape[1], block_frames)
    ]
    np.testing.assert_allclose(np.concatenate(blocks, axis=1), whole, rtol=0, atol=1e-12)


def test_empty_block_and_reset() -> None:
    f = RiaaFilter(44100)
    assert f.process(np.zeros((2, 0))).shape == (2, 0)
    impulse = np.zeros((2, 64))
    impulse[:, 0] = 1.0
    first = f.process(impulse)
    f.reset()
    np.testing.assert_array_equal(f.process(impulse), first)
