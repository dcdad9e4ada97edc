"""The compiled kernels give their fallback's output to the last bit.

The IIR filters against scipy's sosfilt and lfilter, block by block; the output
quantiser against the numpy encoder of the render engine.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
import scipy.signal as sps

from sequencer import compiled, iir, render

needs_kernels = pytest.mark.skipif(
    bool(compiled.missing()) and not os.environ.get("RUNOUT_REQUIRE_KERNELS"),
    reason="runout's C kernels were not compiled (no C compiler at install): fallbacks in use",
)


def test_the_kernels_are_built_where_ci_asks_for_them() -> None:
    """CI sets RUNOUT_REQUIRE_KERNELS: a build that silently fell back must fail there."""
    if not os.environ.get("RUNOUT_REQUIRE_KERNELS"):
        pytest.skip("RUNOUT_REQUIRE_KERNELS is not set (only CI requires the compiled kernels)")
    assert compiled.missing() == [], "kernels did not build: is a C compiler installed?"


@needs_kernels
@pytest.mark.parametrize("sections", [1, 2, 3, 4, 5, 8, 9, 12])
@pytest.mark.parametrize("channels", [1, 2, 3])
def test_sosfilt_equals_scipy_bit_for_bit(sections: int, channels: int) -> None:
    """Same samples and same state as scipy, for paired, odd and long cascades."""
    rng = np.random.default_rng(sections * 10 + channels)
    sos = sps.butter(2 * sections, [0.05, 0.3], btype="bandpass", output="sos")[:sections]
    x = rng.standard_normal((channels, 4099))
    zi = rng.standard_normal((sections, channels, 2)) * 0.1
    original = x.copy()
    expected, expected_state = sps.sosfilt(sos, x, axis=-1, zi=zi)
    out, state = iir.sosfilt(sos, x, zi)
    assert np.array_equal(out, expected)
    assert np.array_equal(state, expected_state)
    assert np.array_equal(x, original)  # the input is not filtered in place


@needs_kernels
def test_sosfilt_one_dimensional_and_in_blocks() -> None:
    """A 1-D signal cut into uneven blocks gives the unbroken output, as scipy does."""
    rng = np.random.default_rng(7)
    sos = sps.butter(4, 150.0, btype="lowpass", fs=96000, output="sos")
    x = rng.standard_normal(10000)
    expected, _ = sps.sosfilt(sos, x, zi=np.zeros((2, 2)))
    state = np.zeros((2, 2))
    pieces = []
    for start, stop in [(0, 1), (1, 4000), (4000, 4003), (4003, 10000)]:
        piece, state = iir.sosfilt(sos, x[start:stop], state)
        pieces.append(piece)
    assert np.array_equal(np.concatenate(pieces), expected)


@needs_kernels
@pytest.mark.parametrize("order", [1, 2, 3, 4, 8, 9])
@pytest.mark.parametrize("channels", [1, 2, 3])
def test_lfilter_equals_scipy_bit_for_bit(order: int, channels: int) -> None:
    """Same samples and state as scipy, with a[0] not 1 and b longer than a."""
    rng = np.random.default_rng(order * 10 + channels)
    b = rng.standard_normal(order + 1)
    a = np.concatenate([[2.0], rng.uniform(-0.2, 0.2, max(order - 1, 0))])  # stable, shorter
    x = rng.standard_normal((channels, 3001)).astype(np.float32)  # converted as scipy does
    zi = rng.standard_normal((channels, order)) * 0.1
    expected, expected_state = sps.lfilter(b, a, x, axis=-1, zi=zi)
    out, state = iir.lfilter(b, a, x, zi)
    assert out.dtype == np.float64
    assert np.array_equal(out, expected)
    assert np.array_equal(state, expected_state)


def test_without_the_kernels_scipy_gives_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fallback is scipy itself: the same result whichever path runs."""
    rng = np.random.default_rng(3)
    sos = sps.butter(4, 0.1, output="sos")
    x = rng.standard_normal((2, 1000))
    zi = np.zeros((2, 2, 2))
    fast, fast_state = iir.sosfilt(sos, x, zi)
    monkeypatch.setattr(iir, "_iir", None)
    slow, slow_state = iir.sosfilt(sos, x, zi)
    assert np.array_equal(fast, slow)
    assert np.array_equal(fast_state, slow_state)
    b, a = sps.butter(2, 0.2)
    slow, _ = iir.lfilter(b, a, x, np.zeros((2, 2)))
    assert np.array_equal(slow, sps.lfilter(b, a, x, axis=-1, zi=np.zeros((2, 2)))[0])


def test_a_wrong_state_shape_is_refused() -> None:
    """A state of the wrong shape raises instead of filtering with garbage."""
    sos = sps.butter(4, 0.1, output="sos")
    with pytest.raises(ValueError, match="zi"):
        iir.sosfilt(sos, np.zeros((2, 100)), np.zeros((2, 2)))


@needs_kernels
@pytest.mark.parametrize(("sections_a", "sections_b"), [(1, 4), (3, 3), (4, 2), (8, 1)])
def test_two_cascades_at_once_equal_each_alone(sections_a: int, sections_b: int) -> None:
    """Two different cascades in one call give what scipy gives for each on its own."""
    rng = np.random.default_rng(sections_a * 10 + sections_b)
    sos_a = sps.butter(2 * sections_a, 0.02, btype="highpass", output="sos")
    sos_b = sps.butter(2 * sections_b, 0.2, output="sos")
    x_a, x_b = rng.standard_normal((2, 5000))
    zi_a = rng.standard_normal((sections_a, 2)) * 0.1
    zi_b = rng.standard_normal((sections_b, 2)) * 0.1
    y_a, zf_a, y_b, zf_b = iir.sosfilt_two(sos_a, x_a, zi_a, sos_b, x_b, zi_b)
    expected_a, expected_zf_a = sps.sosfilt(sos_a, x_a, zi=zi_a)
    expected_b, expected_zf_b = sps.sosfilt(sos_b, x_b, zi=zi_b)
    assert np.array_equal(y_a, expected_a)
    assert np.array_equal(zf_a, expected_zf_a)
    assert np.array_equal(y_b, expected_b)
    assert np.array_equal(zf_b, expected_zf_b)


@needs_kernels
@pytest.mark.parametrize("bits", [16, 24])
def test_the_quantiser_equals_the_numpy_encoder(bits: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Same dithered samples as the numpy path, including clipping at both rails."""
    rng = np.random.default_rng(bits)
    mix = rng.uniform(-1.2, 1.2, (20000, 2))  # over full scale on purpose
    mix[:4] = [[1.0, -1.0], [-1.0, 1.0], [0.0, -0.0], [0.5 / 2**23, -0.5 / 2**15]]
    fast = render._Encoder(bits, seed=11).encode(mix)
    monkeypatch.setattr(render, "_dither", None)
    slow = render._Encoder(bits, seed=11).encode(mix)
    assert fast.dtype == slow.dtype
    assert np.array_equal(fast, slow)
    scale = 2 ** (bits - 1)
    rails = (fast >> 8) if bits == 24 else fast
    assert rails.max() == scale - 1
    assert rails.min() == -scale


@pytest.mark.parametrize("kernels", [True, False])
def test_an_empty_cascade_passes_its_signal_unchanged(
    kernels: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The vinyl chain's mid has no sections when the mid is left exact: x comes back."""
    if not kernels:
        monkeypatch.setattr(iir, "_iir", None)
    rng = np.random.default_rng(5)
    sos_b = sps.butter(4, 0.05, btype="highpass", output="sos")
    x_a, x_b = rng.standard_normal((2, 3000))
    zi_b = rng.standard_normal((2, 2)) * 0.1
    none, no_state = np.zeros((0, 6)), np.zeros((0, 2))
    y_a, zf_a, y_b, zf_b = iir.sosfilt_two(none, x_a, no_state, sos_b, x_b, zi_b)
    expected_b, expected_zf_b = sps.sosfilt(sos_b, x_b, zi=zi_b)
    assert np.array_equal(y_a, x_a)
    assert zf_a.shape == (0, 2)
    assert np.array_equal(y_b, expected_b)
    assert np.array_equal(zf_b, expected_zf_b)
