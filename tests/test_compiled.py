"""The compiled kernels give their fallback's output to the last bit.

The IIR filters against scipy's sosfilt and lfilter, block by block; the output
quantiser against the numpy encoder of the render engine.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
import scipy.signal as sps

from sequencer import compiled, iir, render, truepeak, wavfile

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
@pytest.mark.parametrize("bits", [16, 24])
def test_the_quantiser_equals_the_numpy_encoder(bits: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Same dithered samples as the numpy path, including clipping at both rails."""
    rng = np.random.default_rng(bits)
    mix = rng.uniform(-1.2, 1.2, (20000, 2))  # over full scale on purpose
    mix[:4] = [[1.0, -1.0], [-1.0, 1.0], [0.0, -0.0], [0.5 / 2**23, -0.5 / 2**15]]
    # Halves, integers and negative fractions of an LSB, where rounding down is decided.
    mix[4:12, 0] = np.array([0.5, -0.5, 1.5, -1.5, 2.0, -2.0, -0.25, -3.75]) / 2 ** (bits - 1)
    fast = render._Encoder(bits, seed=11).encode(mix)
    fast_packed = render._Encoder(bits, seed=11).encode(mix, packed=True)
    monkeypatch.setattr(render, "_dither", None)
    slow = render._Encoder(bits, seed=11).encode(mix)
    slow_packed = render._Encoder(bits, seed=11).encode(mix, packed=True)
    assert fast.dtype == slow.dtype
    assert np.array_equal(fast, slow)
    # Packed: three little-endian bytes per 24-bit sample (16-bit samples are bytes already).
    assert np.array_equal(fast_packed, slow_packed)
    if bits == 24:
        assert fast_packed.shape == (20000, 2, 3)
        assert np.array_equal(fast_packed, wavfile.pack_24(fast))
    scale = 2 ** (bits - 1)
    rails = (fast >> 8) if bits == 24 else fast
    assert rails.max() == scale - 1
    assert rails.min() == -scale


@needs_kernels
def test_the_filters_read_views_with_any_strides() -> None:
    """A transposed interleaved block and a decimated slice filter as their copies do."""
    rng = np.random.default_rng(3)
    interleaved = rng.standard_normal((6001, 2))
    sos = sps.butter(6, [0.05, 0.3], btype="bandpass", output="sos")
    for view in (interleaved.T, interleaved.T[:, ::3], interleaved.T[::-1, 1:]):
        zi = rng.standard_normal((sos.shape[0], 2, 2)) * 0.1
        expected, expected_state = sps.sosfilt(sos, np.ascontiguousarray(view), zi=zi)
        out, state = iir.sosfilt(sos, view, zi)
        assert np.array_equal(out, expected)
        assert np.array_equal(state, expected_state)
        b, a = sps.butter(3, 0.1)
        lzi = rng.standard_normal((2, 3)) * 0.1
        expected, expected_state = sps.lfilter(b, a, np.ascontiguousarray(view), zi=lzi)
        out, state = iir.lfilter(b, a, view, lzi)
        assert np.array_equal(out, expected)
        assert np.array_equal(state, expected_state)


@pytest.mark.parametrize("kernels", [True, False])
@pytest.mark.parametrize(("mid_sections", "side_sections"), [(1, 4), (0, 2), (3, 3)])
def test_the_mid_side_filter_equals_its_numpy_recipe(
    kernels: bool, mid_sections: int, side_sections: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """L/R to mid/side, two cascades, back to L/R: the documented numpy code, bit for bit.

    Read from the planar view of interleaved samples and written into another, in
    blocks, as the vinyl chain does; also in place.
    """
    if kernels and compiled.missing() and not os.environ.get("RUNOUT_REQUIRE_KERNELS"):
        pytest.skip("runout's C kernels were not compiled")
    if not kernels:
        monkeypatch.setattr(iir, "_iir", None)
    rng = np.random.default_rng(mid_sections * 10 + side_sections)
    h = float(np.sqrt(0.5))
    sos_mid = sps.butter(2 * max(mid_sections, 1), 0.01, output="sos")[:mid_sections]
    sos_side = sps.butter(2 * side_sections, 0.02, btype="highpass", output="sos")
    interleaved = rng.uniform(-1.0, 1.0, (9000, 2))
    left, right = interleaved.T
    mid = (left + right) * h
    if mid_sections:
        mid = sps.sosfilt(sos_mid, mid)
    side = sps.sosfilt(sos_side, (left - right) * h)
    expected = np.stack(((mid + side) * h, (mid - side) * h))
    zi_mid, zi_side = np.zeros((mid_sections, 2)), np.zeros((side_sections, 2))
    out = np.empty((9000, 2)).T
    for start, stop in [(0, 1), (1, 4096), (4096, 9000)]:
        zi_mid, zi_side = iir.mid_side_sosfilt(
            sos_mid, zi_mid, sos_side, zi_side, interleaved.T[:, start:stop],
            out[:, start:stop], h,
        )  # fmt: skip
    assert np.array_equal(out, expected)
    in_place = interleaved.copy().T
    iir.mid_side_sosfilt(
        sos_mid, np.zeros((mid_sections, 2)), sos_side, np.zeros((side_sections, 2)),
        in_place, in_place, h,
    )  # fmt: skip
    assert np.array_equal(in_place, expected)


@needs_kernels
@pytest.mark.parametrize("rate", [44100, 96000])
def test_the_true_peak_scan_equals_the_numpy_meter(
    rate: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same peak to the last bit, and the same chunks interpolated, in uneven blocks.

    Loud noise (most chunks interpolated) with a planted inter-sample over, then
    quiet noise under it (most chunks skipped by the bound).
    """
    rng = np.random.default_rng(rate)
    loud = rng.uniform(-0.5, 0.5, (2, 7001))
    loud[1, 3000:3008] = [0.7, 0.7, -0.7, -0.7, 0.7, 0.7, -0.7, -0.7]
    signal = np.concatenate((loud, rng.uniform(-0.05, 0.05, (2, 9000))), axis=1)

    def metered() -> tuple[float, int]:
        meter = truepeak.TruePeakMeter(rate)
        for start, stop in [(0, 1), (1, 17), (17, 5000), (5000, 16001)]:
            meter.process(signal[:, start:stop])
        meter.finish()
        return meter.peak, meter.interpolated_samples

    fast = metered()
    monkeypatch.setattr(truepeak, "_truepeak", None)
    slow = metered()
    assert fast == slow
    assert fast[0] > 0.9  # the planted over: 0.7 at the samples, about 0.99 between them
    assert fast[1] < signal.size  # the quiet part was skipped
