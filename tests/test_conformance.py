"""EBU Tech 3341 / Tech 3342 conformance of the streaming meter, on synthesized signals.

Every synthesizable case of Tech 3341 Table 1 (1-6, 9-23) and Tech 3342 Table 1
(1-4) is built by :mod:`tests.signals` at 44.1 and 48 kHz and analysed with
:func:`sequencer.analysis.analyse_array` at its default block size. Each reading
the case defines must fall inside the EBU tolerance: M, S and I +/-0.1 LU, LRA
+/-1 LU, true peak +0.2/-0.4 dB. Cases checked per file or per segment (10, 11,
13, 14) analyse each segment on its own and report every segment that misses.

Signals are built once per case and rate (tests of the same case run one after
the other) and analyses are cached for the module, so the whole file stays fast.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
import pytest

from sequencer.analysis import TrackAnalysis, analyse_array
from sequencer.errors import AudioError
from sequencer.loudness import LoudnessMeter
from tests.signals import (
    RATES,
    TECH3341,
    TECH3342,
    ConformanceCase,
    Document,
    Measure,
    conformance_case,
    music_like,
    pink_noise,
    sine,
)


def _params() -> list[Any]:
    """One test per (case, rate, measure), grouped so that a case's signal is built once."""
    params: list[Any] = []
    for document, table in (("Tech 3341", TECH3341), ("Tech 3342", TECH3342)):
        for n, info in table.items():
            for rate in RATES:
                for measure in info.measures:
                    short = document.split()[1]
                    params.append(
                        pytest.param(document, n, rate, measure, id=f"{short}-{n}-{rate}-{measure}")
                    )
    return params


@functools.lru_cache(maxsize=1)
def _case(document: Document, n: int, rate: int) -> ConformanceCase:
    return conformance_case(document, n, rate)


@functools.cache
def _analysis(document: Document, n: int, rate: int, start: int, stop: int | None) -> TrackAnalysis:
    case = _case(document, n, rate)
    return analyse_array(case.samples[start:stop], rate)


def _describe(value: float | None, expected: float, below: float, above: float) -> str:
    window = f"{expected:+.2f} (-{below:g}/+{above:g})"
    if value is None:
        return f"read None, expected {window}"
    return f"read {value:+.3f}, expected {window}, off by {value - expected:+.3f}"


@pytest.mark.parametrize(("document", "n", "rate", "measure"), _params())
def test_ebu_case(document: Document, n: int, rate: int, measure: Measure) -> None:
    case = _case(document, n, rate)
    assert measure in case.measures
    if case.samples.shape[1] > 2:
        # Sources are mono or stereo only (a 5.0 file is refused, see test_audio);
        # the meter itself takes BS.1770 channel weights, which case 6 checks.
        with pytest.raises(AudioError, match="mono and stereo only"):
            _analysis(document, n, rate, 0, None)
        meter = LoudnessMeter(rate, channel_weights=(1.0, 1.0, 1.0, 1.41, 1.41))
        meter.process(np.ascontiguousarray(case.samples.T))
        value = meter.result().integrated_lufs
        check = next(c for c in case.checks if c.measure == measure)
        assert check.accepts(value), _describe(value, check.expected, check.below, check.above)
        return
    failures = []
    for check in (c for c in case.checks if c.measure == measure):
        value = getattr(_analysis(document, n, rate, check.start, check.stop), measure)
        if not check.accepts(value):
            where = check.label or "signal"
            failures.append(
                f"{where}: {_describe(value, check.expected, check.below, check.above)}"
            )
    assert not failures, (
        f"{document} case {n} ({case.title}) at {rate} Hz, {measure}:\n" + "\n".join(failures)
    )


@pytest.mark.parametrize("n", [15, 16, 17, 18, 19])
@pytest.mark.parametrize("rate", RATES)
def test_true_peak_cases_sample_peak(n: int, rate: int) -> None:
    """The sample peak of cases 15-19 follows from the sine's phase (-6.02, -9.03, ...)."""
    period, amplitude, phase_deg = {
        15: (4, 0.5, 0.0),
        16: (4, 0.5, 45.0),
        17: (6, 0.5, 60.0),
        18: (8, 0.5, 67.5),
        19: (4, 1.41, 45.0),
    }[n]
    on_samples = max(
        abs(amplitude * math.sin(2.0 * math.pi * k / period + math.radians(phase_deg)))
        for k in range(period)
    )
    expected = 20.0 * math.log10(on_samples)
    _case("Tech 3341", n, rate)
    result = _analysis("Tech 3341", n, rate, 0, None)
    assert result.sample_peak_dbfs == pytest.approx(expected, abs=1e-5)


@pytest.mark.parametrize("freq", [997.0, 1000.0])
@pytest.mark.parametrize("rate", RATES)
def test_full_scale_sine_in_one_channel_reads_minus_3_01(rate: int, freq: float) -> None:
    """BS.1770-4 Annex 1: a 0 dBFS 997 Hz sine in one channel reads -3.01 LKFS.

    At 1 kHz the exact K-weighting gives -3.004; 0.02 LU covers both.
    """
    samples = sine(freq, 0.0, 10.0, rate)
    samples[:, 1] = 0.0
    result = analyse_array(samples, rate)
    assert result.integrated_lufs == pytest.approx(-3.01, abs=0.02)
    assert result.max_momentary_lufs == pytest.approx(-3.01, abs=0.02)
    assert result.max_short_term_lufs == pytest.approx(-3.01, abs=0.02)


@pytest.mark.parametrize("rate", RATES)
def test_mono_reads_as_two_identical_channels(rate: int) -> None:
    stereo = sine(1000.0, -23.0, 5.0, rate)
    mono = np.ascontiguousarray(stereo[:, 0])
    as_stereo = analyse_array(stereo, rate)
    assert as_stereo.integrated_lufs == pytest.approx(-23.0, abs=0.1)
    for variant in (mono, mono[:, None]):
        result = analyse_array(variant, rate)
        assert result.integrated_lufs == as_stereo.integrated_lufs
        assert result.max_momentary_lufs == as_stereo.max_momentary_lufs
        assert result.true_peak_dbtp == as_stereo.true_peak_dbtp


@pytest.mark.parametrize("rate", RATES)
def test_silence_is_unmeasurable(rate: int) -> None:
    result = analyse_array(np.zeros((10 * rate, 2)), rate)
    assert result.integrated_lufs is None
    assert result.loudness_range_lu is None
    assert result.max_momentary_lufs is None
    assert result.max_short_term_lufs is None


@pytest.mark.parametrize("rate", RATES)
def test_silence_has_no_peak(rate: int) -> None:
    result = analyse_array(np.zeros((rate, 2)), rate)
    assert result.sample_peak_dbfs is None
    assert result.true_peak_dbtp is None


@pytest.mark.parametrize("frames", [1, 100, 4410, 17639])
def test_shorter_than_one_gating_block_has_no_integrated_loudness(frames: int) -> None:
    """Under 0.4 s (17640 frames at 44.1 kHz) there is no gating block: None, no crash."""
    rate = 44100
    result = analyse_array(sine(1000.0, -20.0, frames / rate, rate, phase=0.5 * math.pi), rate)
    assert result.integrated_lufs is None
    assert result.sample_peak_dbfs is not None


@pytest.mark.parametrize("rate", RATES)
def test_half_a_second_is_measurable(rate: int) -> None:
    result = analyse_array(sine(1000.0, -23.0, 0.5, rate), rate)
    assert result.integrated_lufs == pytest.approx(-23.0, abs=0.1)


def _peak_signals(rate: int) -> dict[str, np.ndarray]:
    impulse = np.zeros((rate, 2))
    impulse[rate // 2] = 0.9
    square = np.sign(sine(3000.0, -3.0, 1.0, rate))
    signals = {
        "pink noise": pink_noise(5.0, rate, 7, -12.0),
        "music": music_like(10.0, rate, 3),
        "impulse": impulse,
        "square 3 kHz": square * 0.7,
        "sine 17 kHz": sine(17000.0, -1.0, 1.0, rate, phase=0.3),
    }
    for n in range(15, 24):
        signals[f"Tech 3341 case {n}"] = _case_samples(n, rate)
    return signals


@functools.cache
def _case_samples(n: int, rate: int) -> np.ndarray:
    return conformance_case("Tech 3341", n, rate).samples


@pytest.mark.parametrize("rate", RATES)
def test_true_peak_is_never_below_sample_peak(rate: int) -> None:
    low = []
    for name, samples in _peak_signals(rate).items():
        result = analyse_array(samples, rate)
        assert result.true_peak_dbtp is not None
        assert result.sample_peak_dbfs is not None
        if result.true_peak_dbtp < result.sample_peak_dbfs - 1e-9:
            low.append(
                f"{name}: true peak {result.true_peak_dbtp} < sample peak {result.sample_peak_dbfs}"
            )
    assert not low, "\n".join(low)
