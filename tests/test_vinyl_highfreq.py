"""Sibilance and high-frequency limits: burst meter and physical rating (synthesized audio)."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from scipy import signal as sps

from sequencer.findings import Finding, Severity
from sequencer.session import Session, new_session
from sequencer.timeline import SourceInfo, Timeline, TrackEntry, place
from vinyl.formats import get_format
from vinyl.groove import max_traceable_velocity
from vinyl.highfreq import (
    HF_CODES,
    HighFrequencyBurst,
    HighFrequencyMeter,
    HighFrequencyResult,
    highfreq_findings,
    rate_burst,
)
from vinyl.riaa import riaa_gain_db


def flagged(findings: list[Finding]) -> list[Finding]:
    """Return the findings that are warnings or errors (information left out)."""
    return [f for f in findings if f.severity != Severity.INFO]


RATE = 44100
REFERENCE_DBFS = -4.0
TWELVE = get_format("12in-33")
OUTER_MM = TWELVE.outer_radius_mm  # 146.3 mm
INNER_MM = TWELVE.inner_radius_mm  # 60.325 mm
#: Velocity the sine burst is cut at: 15 cm/s (cut level 0 dB, 1 kHz at -4 dBFS = 5 cm/s).
BURST_VELOCITY = 0.15
BURST_HZ = 8000.0


def side(tmp_path: Path, seconds: list[float], pause_s: float = 2.0) -> tuple[Session, Timeline]:
    """Return a session of tracks of these lengths, on one side with ``pause_s`` between."""
    session = new_session([tmp_path / f"t{i + 1}.wav" for i in range(len(seconds))], title="Album")
    entries = [
        TrackEntry(track, pause_s=0.0 if i == 0 else pause_s)
        for i, track in enumerate(session.ordered_tracks())
    ]
    sources = {
        track.id: SourceInfo(frames=round(s * RATE), sample_rate=RATE)
        for track, s in zip(session.ordered_tracks(), seconds, strict=True)
    }
    return session, place(entries, sources, RATE)


def ramp(samples: int, ramp_s: float = 0.005) -> np.ndarray:
    """Raised-cosine envelope with ``ramp_s`` edges (no click to splatter out of band)."""
    t = np.arange(samples) / RATE
    edge = np.clip(np.minimum(t, t[-1] - t) / ramp_s, 0.0, 1.0)
    return np.sin(np.pi / 2 * edge) ** 2


def sine_amplitude(velocity: float, frequency: float) -> float:
    """Digital amplitude (both channels) of a sine cut at ``velocity`` m/s peak lateral.

    velocity_scale: 1 kHz at -4 dBFS is 5 cm/s; the RIAA curve adds its gain at ``frequency``.
    """
    gain = 10 ** (riaa_gain_db(frequency) / 20)
    return float(10 ** (REFERENCE_DBFS / 20) * velocity / 0.05 / gain)


def sine_burst(frequency: float, velocity: float, seconds: float = 0.15) -> np.ndarray:
    n = round(seconds * RATE)
    t = np.arange(n) / RATE
    return sine_amplitude(velocity, frequency) * ramp(n) * np.sin(2 * np.pi * frequency * t)


def noise_burst(seconds: float, rms_dbfs: float, seed: int = 3) -> np.ndarray:
    """Band-limited noise, 5-10 kHz (8th-order Butterworth), at ``rms_dbfs`` RMS."""
    rng = np.random.default_rng(seed)
    sos = sps.butter(8, [5000, 10000], btype="bandpass", fs=RATE, output="sos")
    noise = sps.sosfilt(sos, rng.standard_normal(round(seconds * RATE) + 2000))[2000:]
    noise *= 10 ** (rms_dbfs / 20) / np.sqrt(np.mean(noise**2))
    return noise * ramp(noise.size, 0.002)


def put(bed: np.ndarray, at_s: float, burst: np.ndarray) -> np.ndarray:
    """Add a mono burst to both channels of ``bed`` (2, frames) at ``at_s``."""
    out = bed.copy()
    start = round(at_s * RATE)
    out[:, start : start + burst.size] += burst
    return out


def measure(planar: np.ndarray, block: int = 65536, **kwargs: float) -> HighFrequencyResult:
    meter = HighFrequencyMeter(RATE, reference_dbfs=REFERENCE_DBFS, **kwargs)  # type: ignore[arg-type]
    for i in range(0, planar.shape[1], block):
        meter.process(planar[:, i : i + block])
    return meter.result()


def music_bed(seconds: float) -> np.ndarray:
    """Return a soft chord with harmonics to 1.2 kHz plus faint broadband noise: no bursts."""
    t = np.arange(round(seconds * RATE)) / RATE
    chord = sum(
        0.05 / k * np.sin(2 * np.pi * k * f * t + k)
        for f in (110.0, 138.6, 164.8)
        for k in range(1, 8)
    )
    rng = np.random.default_rng(11)
    noise = 10 ** (-50 / 20) * rng.standard_normal((2, t.size))
    return np.asarray(np.stack([chord, 0.9 * chord]) + noise)


def flat_radius(radius_mm: float) -> Callable[[float], float]:
    return lambda _t: radius_mm


# --------------------------------------------------------------------------- the meter


def test_sine_burst_is_found_with_its_velocity_and_frequency() -> None:
    planar = put(np.zeros((2, 4 * RATE)), 1.5, sine_burst(BURST_HZ, BURST_VELOCITY))
    result = measure(planar)
    assert result.count == 1
    (burst,) = result.bursts
    assert burst.start_s == pytest.approx(1.5, abs=0.05)
    assert burst.end_s == pytest.approx(1.65, abs=0.05)
    # Known answer: 15 cm/s by construction (RIAA fit within 0.1 dB; the 4-12 kHz
    # Butterworth passes 8 kHz at 0 dB within 0.01 dB); peaks read at the sample rate.
    assert burst.lateral_velocity_m_s == pytest.approx(BURST_VELOCITY, rel=0.02)
    assert burst.lateral_frequency_hz == pytest.approx(BURST_HZ, rel=0.005)
    # Mono: nothing vertical.
    assert burst.vertical_velocity_m_s == pytest.approx(0.0, abs=1e-12)


def test_sibilant_noise_burst_is_found_at_its_time() -> None:
    bed = music_bed(5.0)
    result = measure(put(bed, 2.3, noise_burst(0.15, -18.0)))
    assert result.count == 1
    (burst,) = result.bursts
    assert burst.start_s == pytest.approx(2.3, abs=0.05)
    assert burst.end_s == pytest.approx(2.45, abs=0.05)
    # RMS frequency of the RIAA-weighted 5-10 kHz band: about 7.6-8 kHz.
    assert 7000 < burst.lateral_frequency_hz < 8500
    # -18 dBFS RMS noise peaks near -7 dBFS; +11.6 dB RIAA at 7.5 kHz: about 13 cm/s.
    assert 0.09 < burst.lateral_velocity_m_s < 0.2


def test_music_without_bursts_has_none() -> None:
    result = measure(music_bed(6.0))
    assert result.count == 0
    # A steady hi-hat-like hiss at a moderate level has no contrast and is not hot.
    steady = np.stack([noise_burst(6.0, -30.0, seed=5), noise_burst(6.0, -30.0, seed=6)])
    assert measure(music_bed(6.0) + steady).count == 0


def test_stereo_burst_drives_the_vertical_plane() -> None:
    burst = sine_burst(6000.0, BURST_VELOCITY)
    planar = np.zeros((2, 2 * RATE))
    start = RATE
    planar[0, start : start + burst.size] = burst  # left only: mid = side = L / sqrt2
    (found,) = measure(planar).bursts
    assert found.vertical_velocity_m_s == pytest.approx(found.lateral_velocity_m_s, rel=1e-9)
    assert found.lateral_velocity_m_s == pytest.approx(BURST_VELOCITY / 2, rel=0.02)


@pytest.mark.parametrize("block", [7, 882, 4410, 100_000])
def test_block_size_does_not_change_the_result(block: int) -> None:
    planar = music_bed(3.0)
    for at, level in ((0.4, -20.0), (1.1, -15.0), (2.2, -25.0)):
        planar = put(planar, at, noise_burst(0.1, level, seed=int(at * 10)))
    if block == 7:
        planar = planar[:, : round(1.5 * RATE)]  # tiny blocks are slow: 1.5 s of it
    reference = measure(planar, block=planar.shape[1])
    result = measure(planar, block=block)
    assert result.count == reference.count >= 2
    for got, want in zip(result.bursts, reference.bursts, strict=True):
        assert (got.start_s, got.end_s) == (want.start_s, want.end_s)
        np.testing.assert_allclose(
            [got.level_dbfs, got.lateral_velocity_m_s, got.lateral_frequency_hz],
            [want.level_dbfs, want.lateral_velocity_m_s, want.lateral_frequency_hz],
            rtol=1e-9,
        )


def test_many_bursts_keep_the_most_demanding() -> None:
    planar = np.zeros((2, 6 * RATE))
    for i in range(10):
        velocity = 0.02 * (1 + i % 5)
        planar = put(planar, 0.5 + 0.5 * i, sine_burst(BURST_HZ, velocity, 0.1))
    result = measure(planar, max_bursts=3)
    assert result.count == 10
    assert len(result.bursts) == 3
    # The two loudest (0.10 m/s, at 2.5 s and 5.0 s) and one of the 0.08 m/s ones.
    assert [b.start_s for b in result.bursts] == sorted(b.start_s for b in result.bursts)
    assert min(b.lateral_velocity_m_s for b in result.bursts) > 0.07


# --------------------------------------------------------------------------- the rating


def test_tracing_limit_numbers_of_a_12_inch_33_side() -> None:
    """The formulas of the domain notes, at the two ends of a 12" 33 1/3 side, 8 kHz."""
    # v = 2 pi r rpm / 60: 0.511 m/s outside, 0.211 m/s inside.
    outer = float(max_traceable_velocity(BURST_HZ, OUTER_MM, TWELVE.rpm))
    inner = float(max_traceable_velocity(BURST_HZ, INNER_MM, TWELVE.rpm))
    # V_max = v^2 / (2 pi f r), r = 12.5 um.
    assert outer == pytest.approx(0.5107**2 / (2 * math.pi * 8000 * 12.5e-6), rel=1e-3)
    assert outer == pytest.approx(0.415, abs=0.001)
    assert inner == pytest.approx(0.0706, abs=0.0005)
    burst = HighFrequencyBurst(1.0, 1.15, -10.0, BURST_VELOCITY, 0.0, BURST_HZ, 0.0)
    at_start = rate_burst(burst, OUTER_MM, TWELVE.rpm)
    at_end = rate_burst(burst, INNER_MM, TWELVE.rpm)
    assert at_start.tracing_db == pytest.approx(20 * math.log10(0.15 / 0.415), abs=0.02)  # -8.8
    assert at_end.tracing_db == pytest.approx(20 * math.log10(0.15 / 0.0706), abs=0.02)  # +6.5
    assert at_start.slope == pytest.approx(0.15 / 0.5107, rel=1e-3)
    assert at_end.slope == pytest.approx(0.15 / 0.2106, rel=1e-3)  # 0.71: the cutter is fine


def test_same_burst_passes_outside_and_fails_inside(tmp_path: Path) -> None:
    session, timeline = side(tmp_path, [4.0])
    result = measure(put(np.zeros((2, 4 * RATE)), 1.5, sine_burst(BURST_HZ, BURST_VELOCITY)))
    kwargs = {"side": "A", "timeline": timeline, "session": session, "disc_format": TWELVE}
    outside = highfreq_findings(result, radius_at=flat_radius(OUTER_MM), **kwargs)  # type: ignore[arg-type]
    # It traces there, 8.8 dB under the limit: within 10 dB, so reported as information.
    assert [(f.code, f.severity) for f in outside] == [("VINYL-HF-NEAR-LIMIT", Severity.INFO)]
    findings = flagged(highfreq_findings(result, radius_at=flat_radius(INNER_MM), **kwargs))  # type: ignore[arg-type]
    assert [f.code for f in findings] == ["VINYL-HF-TRACING"]
    (finding,) = findings
    assert finding.severity is Severity.ERROR  # 6.5 dB beyond: more than 3 dB
    assert finding.side == "A"
    assert finding.track_id == "t1"
    assert finding.time_s == pytest.approx(1.5, abs=0.05)
    assert finding.time_in_track_s == pytest.approx(1.5, abs=0.05)
    assert finding.measured == pytest.approx(BURST_VELOCITY, rel=0.02)
    assert finding.limit == pytest.approx(0.0706, abs=0.0005)
    assert finding.unit == "m/s"
    assert "De-ess" in finding.advice
    assert "earlier on the side" in finding.advice
    assert "lower level" in finding.advice


def test_burst_late_on_the_side_is_flagged_and_early_is_not(tmp_path: Path) -> None:
    # Two tracks: the same burst 1 s into track 1 and 2 s into track 2 (which starts at 6 s).
    session, timeline = side(tmp_path, [4.0, 4.0], pause_s=2.0)
    bed = np.zeros((2, 10 * RATE))
    planar = put(put(bed, 1.0, sine_burst(BURST_HZ, 0.12)), 8.0, sine_burst(BURST_HZ, 0.12))
    result = measure(planar)
    assert result.count == 2

    # The radius falls linearly from the outside (t = 0) to the label (t = 10 s).
    def radius_at(time_s: float) -> float:
        return OUTER_MM - (OUTER_MM - INNER_MM) * time_s / 10.0

    findings = highfreq_findings(
        result,
        side="B",
        timeline=timeline,
        session=session,
        disc_format=TWELVE,
        radius_at=radius_at,
    )
    # The early burst traces (at most an information finding); the late one is flagged.
    assert [f.code for f in flagged(findings)] == ["VINYL-HF-TRACING"]
    (finding,) = flagged(findings)
    assert finding.track_id == "t2"
    assert finding.time_s == pytest.approx(8.0, abs=0.05)
    assert finding.time_in_track_s == pytest.approx(2.0, abs=0.05)
    # At the burst's end (8.15 s) r = 76.2 mm: v = 0.266 m/s, V_max(8 kHz) = 11.3 cm/s, and
    # 12 cm/s is 0.5 dB beyond: a warning (an elliptical stylus still traces it).
    radius = radius_at(8.15)
    limit = float(max_traceable_velocity(BURST_HZ, radius, TWELVE.rpm))
    assert limit == pytest.approx(0.113, abs=0.002)
    assert finding.limit == pytest.approx(limit, rel=0.01)
    assert finding.severity is Severity.WARNING
    # The first burst, at r = 134.5 mm: V_max = 35 cm/s, far from 12 cm/s.
    assert float(max_traceable_velocity(BURST_HZ, radius_at(1.15), TWELVE.rpm)) > 0.34


def test_sibilant_noise_burst_rated_at_both_ends(tmp_path: Path) -> None:
    session, timeline = side(tmp_path, [5.0])
    result = measure(put(music_bed(5.0), 2.3, noise_burst(0.15, -18.0)))
    kwargs = {"side": "A", "timeline": timeline, "session": session, "disc_format": TWELVE}
    outside = highfreq_findings(result, radius_at=flat_radius(OUTER_MM), **kwargs)  # type: ignore[arg-type]
    # It traces there, 8.8 dB under the limit: within 10 dB, so reported as information.
    assert [(f.code, f.severity) for f in outside] == [("VINYL-HF-NEAR-LIMIT", Severity.INFO)]
    findings = flagged(highfreq_findings(result, radius_at=flat_radius(INNER_MM), **kwargs))  # type: ignore[arg-type]
    assert [(f.code, f.severity) for f in findings] == [("VINYL-HF-TRACING", Severity.ERROR)]
    assert findings[0].time_s == pytest.approx(2.3, abs=0.05)


def test_cutter_slope_is_an_error(tmp_path: Path) -> None:
    session, timeline = side(tmp_path, [3.0])
    # 30 cm/s at 5 kHz: above the 21 cm/s groove speed at the label.
    result = measure(put(np.zeros((2, 3 * RATE)), 1.0, sine_burst(5000.0, 0.30)))
    findings = highfreq_findings(
        result,
        side="A",
        timeline=timeline,
        session=session,
        disc_format=TWELVE,
        radius_at=flat_radius(INNER_MM),
    )
    assert sorted(f.code for f in findings) == ["VINYL-HF-SLOPE", "VINYL-HF-TRACING"]
    slope = next(f for f in findings if f.code == "VINYL-HF-SLOPE")
    assert slope.severity is Severity.ERROR
    assert slope.measured == pytest.approx(0.30 / 0.2106, rel=0.03)
    assert slope.limit == 1.0


def test_a_run_of_esses_is_one_finding(tmp_path: Path) -> None:
    session, timeline = side(tmp_path, [8.0])
    planar = np.zeros((2, 8 * RATE))
    for at in (1.0, 1.8, 2.6, 3.4):
        planar = put(planar, at, sine_burst(BURST_HZ, 0.10))
    planar = put(planar, 4.2, sine_burst(BURST_HZ, BURST_VELOCITY))  # the worst
    result = measure(planar)
    assert result.count == 5
    findings = highfreq_findings(
        result,
        side="A",
        timeline=timeline,
        session=session,
        disc_format=TWELVE,
        radius_at=flat_radius(INNER_MM),
    )
    assert [f.code for f in findings] == ["VINYL-HF-TRACING"]
    (finding,) = findings
    assert finding.time_s == pytest.approx(1.0, abs=0.05)
    assert finding.measured == pytest.approx(BURST_VELOCITY, rel=0.02)
    assert "5 bursts from 0:01.0 to 0:04.4" in finding.message


def test_codes_table() -> None:
    assert HF_CODES["VINYL-HF-SLOPE"].severity is Severity.ERROR
    assert HF_CODES["VINYL-HF-TRACING"].severity is Severity.WARNING


@pytest.mark.parametrize("width", [1, 2, 3, 4, 7, 24, 25])
def test_row_medians_equal_numpy_median(width: int) -> None:
    """The partition-based running median gives np.median's values, even widths and ties too."""
    from vinyl.highfreq import _row_medians

    rng = np.random.default_rng(width)
    rows = np.round(rng.normal(-30.0, 6.0, (50, width)), 1)  # rounded: ties happen
    assert np.array_equal(_row_medians(rows), np.median(rows, axis=1))
