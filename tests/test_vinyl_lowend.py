"""Low-end mono compatibility and lift-off: meter, passages, findings (synthesized audio)."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from sequencer.findings import Severity
from sequencer.session import Session, new_session
from sequencer.timeline import SourceInfo, Timeline, TrackEntry, place
from vinyl.groove import RevolutionRecord
from vinyl.lowend import (
    LOWEND_CODES,
    LowEndMeter,
    LowEndResult,
    lift_off_passages,
    liftoff_findings,
    lowend_findings,
)

RATE = 44100


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


def tone(frequency: float, seconds: float, dbfs: float) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    return 10 ** (dbfs / 20) * np.sin(2 * np.pi * frequency * t)


def measure(planar: np.ndarray, block: int = 65536, **kwargs: float) -> LowEndResult:
    meter = LowEndMeter(RATE, **kwargs)
    for i in range(0, planar.shape[1], block):
        meter.process(planar[:, i : i + block])
    return meter.result()


def lr4_loss_db(frequency: float, crossover: float = 150.0) -> float:
    """Loss of the LR4 low-pass (two 2nd-order Butterworth sections) at ``frequency``, dB."""
    return 20 * math.log10(1 + (frequency / crossover) ** 4)


def codes(findings: list) -> list[str]:
    return [f.code for f in findings]


def test_measures_of_known_signals() -> None:
    bass = tone(60, 2.0, -12)
    mono = measure(np.stack([bass, bass]))
    anti = measure(np.stack([bass, -bass]))
    assert len(mono.windows) == 5
    window = mono.windows[2]
    assert window.correlation == pytest.approx(1.0)
    assert window.side_to_mid_db == -120.0  # clamped: no side at all
    # A -12 dBFS sine is -15.05 dB mean square; LR4 at 150 Hz (two Butterworth sections)
    # passes 60 Hz at -2 x 10 log10(1 + 0.4^4) = -0.22 dB.
    assert window.level_dbfs == pytest.approx(-12 - 3.01 - lr4_loss_db(60), abs=0.05)
    assert anti.windows[2].correlation == pytest.approx(-1.0)
    assert anti.correlation == pytest.approx(-1.0)
    assert mono.correlation == pytest.approx(1.0)


def test_high_frequencies_are_outside_the_low_band() -> None:
    treble = tone(2000, 2.0, -6)
    result = measure(np.stack([treble, -treble]))
    # LR4 at 150 Hz: -24 dB/octave, 2 kHz is 3.7 octaves up (about -90 dB).
    assert max(w.level_dbfs or -200 for w in result.windows[1:]) < -80


def test_mono_bass_passes_and_anti_phase_bass_fails_at_its_time(tmp_path: Path) -> None:
    session, timeline = side(tmp_path, [10.0, 10.0])
    bass = np.concatenate([tone(55, 10.0, -12), np.zeros(2 * RATE), tone(55, 10.0, -12)])
    mono = np.stack([bass, bass])
    clean = lowend_findings(measure(mono), side="A", timeline=timeline, session=session)
    assert clean == []

    # Track 2 (starting at 12 s on the side) has its bass inverted in R from 4 s to 7 s.
    flipped = mono.copy()
    begin, end = round(16.0 * RATE), round(19.0 * RATE)
    flipped[1, begin:end] *= -1
    findings = lowend_findings(measure(flipped), side="A", timeline=timeline, session=session)
    # The error, and (3 s of 10 s inverted) a track correlation of about (7 - 3) / 10 = 0.4.
    assert codes(findings) == ["VINYL-LOWEND-ANTIPHASE", "VINYL-LOWEND-CORRELATION"]
    finding, track = findings
    assert finding.severity is Severity.ERROR
    assert finding.side == "A"
    assert finding.track_id == "t2"
    assert finding.track_title == "t2"
    assert finding.time_s == pytest.approx(16.0, abs=0.5)
    assert finding.time_in_track_s == pytest.approx(4.0, abs=0.5)
    assert finding.measured is not None
    assert finding.measured < -0.9
    assert track.severity is Severity.WARNING
    assert track.track_id == "t2"
    assert track.time_s == pytest.approx(12.0)
    assert track.measured == pytest.approx(0.4, abs=0.05)
    assert "mono below" in finding.advice
    # The passage's length is in the message: 3 s, to a window (0.4 s) either side.
    length = re.search(r"for ([0-9.]+) s", finding.message)
    assert length is not None
    assert float(length.group(1)) == pytest.approx(3.0, abs=0.4)


def test_quiet_anti_phase_is_not_real_energy(tmp_path: Path) -> None:
    session, timeline = side(tmp_path, [5.0])
    bass = tone(55, 5.0, -50)
    findings = lowend_findings(
        measure(np.stack([bass, -bass])), side="A", timeline=timeline, session=session
    )
    assert findings == []


def test_wide_but_correlated_low_end_warns(tmp_path: Path) -> None:
    session, timeline = side(tmp_path, [6.0])
    # L = a + b, R = a - b with a 60 Hz mid and an orthogonal 90 Hz side 0.7 times as strong
    # (both whole cycles in 0.4 s). Through the LR4 (gain of two Butterworth sections,
    # -20 log10(1 + (f / 150)^4)) the side-to-mid energy ratio is r = 0.49 x 10^(-0.084)
    # (-3.9 dB) and the correlation (1 - r) / (1 + r) = +0.42.
    a, b = tone(60, 6.0, -12), 0.7 * tone(90, 6.0, -12)
    result = measure(np.stack([a + b, a - b]))
    inner = result.windows[3]
    ratio_db = 20 * math.log10(0.7) - lr4_loss_db(90) + lr4_loss_db(60)
    ratio = 10 ** (ratio_db / 10)
    assert inner.side_to_mid_db == pytest.approx(ratio_db, abs=0.05)
    assert inner.correlation == pytest.approx((1 - ratio) / (1 + ratio), abs=0.01)
    findings = lowend_findings(result, side="B", timeline=timeline, session=session)
    assert sorted(codes(findings)) == ["VINYL-LOWEND-CORRELATION", "VINYL-LOWEND-WIDE"]
    assert all(f.severity is Severity.WARNING for f in findings)
    wide = next(f for f in findings if f.code == "VINYL-LOWEND-WIDE")
    assert wide.time_s == pytest.approx(0.0, abs=0.5)
    assert wide.limit == -6.0


def test_slightly_wide_low_end_passes(tmp_path: Path) -> None:
    session, timeline = side(tmp_path, [6.0])
    # Side 0.3 of mid: -11.3 dB side-to-mid after the LR4, correlation +0.86.
    a, b = tone(60, 6.0, -12), 0.3 * tone(90, 6.0, -12)
    result = measure(np.stack([a + b, a - b]))
    assert lowend_findings(result, side="A", timeline=timeline, session=session) == []


@pytest.mark.parametrize("block", [1, 441, 17640, 100_000])
def test_block_size_does_not_change_the_result(block: int) -> None:
    rng = np.random.default_rng(7)
    planar = rng.standard_normal((2, round(1.3 * RATE))) * 0.1
    planar[1] = 0.5 * planar[0] + 0.5 * planar[1]
    reference = measure(planar, block=len(planar[0]))
    if block == 1:
        planar = planar[:, : RATE // 2]  # a sample at a time is slow: check half a second
        reference = measure(planar, block=len(planar[0]))
    result = measure(planar, block=block)
    assert len(result.windows) == len(reference.windows)
    for got, want in zip(result.windows, reference.windows, strict=True):
        assert got.start_s == want.start_s
        assert got.frames == want.frames
        np.testing.assert_allclose(
            [got.sum_ll, got.sum_rr, got.sum_lr],
            [want.sum_ll, want.sum_rr, want.sum_lr],
            rtol=1e-9,
        )
    assert result.correlation == pytest.approx(reference.correlation, rel=1e-9)


def record(index: int, up_um: float) -> RevolutionRecord:
    return RevolutionRecord(
        index=index,
        start_s=index * 1.8,
        lateral_um=40.0,
        vertical_up_um=up_um,
        vertical_down_um=up_um,
        lateral_velocity_m_s=0.05,
        vertical_velocity_m_s=0.05,
    )


def test_lift_off_from_revolution_records(tmp_path: Path) -> None:
    session, timeline = side(tmp_path, [10.0, 10.0])  # track 2 starts at 12 s
    ups = [5, 10, 24.9, 25.5, 31, 12, 8, 26, 27, 28, 10, 5]
    records = [record(i, up) for i, up in enumerate(ups)]
    passages = lift_off_passages(records, 25.0)
    assert passages == [
        (pytest.approx(3 * 1.8), pytest.approx(5 * 1.8), 31.0),
        (pytest.approx(7 * 1.8), pytest.approx(10 * 1.8), 28.0),
    ]
    findings = liftoff_findings(
        records, base_depth_um=25.0, side="A", timeline=timeline, session=session
    )
    assert codes(findings) == ["VINYL-LIFT-OFF", "VINYL-LIFT-OFF"]
    first, second = findings
    assert first.severity is Severity.ERROR
    assert first.time_s == pytest.approx(5.4)
    assert first.track_id == "t1"
    assert first.time_in_track_s == pytest.approx(5.4)
    assert first.measured == 31.0
    assert first.limit == 25.0
    assert first.unit == "um"
    assert "3.6 s" in first.message
    # 12.6-18.0 s lies in track 2 (12-22 s), 0.6 s into it.
    assert second.track_id == "t2"
    assert second.time_in_track_s == pytest.approx(0.6)
    assert (
        liftoff_findings(
            records[:3], base_depth_um=25.0, side="A", timeline=timeline, session=session
        )
        == []
    )


def test_codes_carry_their_severity() -> None:
    assert LOWEND_CODES["VINYL-LOWEND-ANTIPHASE"].severity is Severity.ERROR
    assert LOWEND_CODES["VINYL-LIFT-OFF"].severity is Severity.ERROR
    assert LOWEND_CODES["VINYL-LOWEND-WIDE"].severity is Severity.WARNING
    assert LOWEND_CODES["VINYL-LOWEND-CORRELATION"].severity is Severity.WARNING


def test_a_brief_or_shallow_anti_phase_dip_is_a_warning(tmp_path: Path) -> None:
    session, timeline = side(tmp_path, [10.0])
    bass = tone(55, 10.0, -12)
    flipped = np.stack([bass, bass])
    begin = round(4.0 * RATE)
    flipped[1, begin : begin + round(0.3 * RATE)] *= -1  # a 0.3 s polarity glitch
    findings = lowend_findings(measure(flipped), side="A", timeline=timeline, session=session)
    antiphase = [f for f in findings if f.code == "VINYL-LOWEND-ANTIPHASE"]
    assert len(antiphase) == 1
    assert antiphase[0].severity is Severity.WARNING
    assert antiphase[0].time_s == pytest.approx(4.0, abs=0.5)
