"""Side checks end to end: one pass over a side's mix gives the findings at their times."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from samples.demo_album import render_track
from sequencer.analysis import analyse_array, analyse_file
from sequencer.findings import Severity
from sequencer.session import new_session
from sequencer.timeline import SourceInfo, TrackEntry, place
from vinyl.formats import get_format
from vinyl.groove import GrooveMeter
from vinyl.sidecheck import check_side, duration_findings
from vinyl.sides import SidePlan, plan_sides

RATE = 44100


def bass_track(path: Path, seconds: float, flip: tuple[float, float] | None = None) -> Path:
    """Write a mono 55 Hz bass at -12 dBFS, optionally inverted in R for a while."""
    t = np.arange(round(seconds * RATE)) / RATE
    bass = 10 ** (-12 / 20) * np.sin(2 * np.pi * 55 * t)
    left, right = bass.copy(), bass.copy()
    if flip is not None:
        begin, end = round(flip[0] * RATE), round(flip[1] * RATE)
        right[begin:end] *= -1
    sf.write(str(path), np.column_stack([left, right]), RATE, subtype="PCM_24")
    return path


def side_of(tmp_path: Path, tracks: list[Path]) -> tuple[object, SidePlan]:
    session = new_session(tracks, title="Side test")
    from sequencer.edits import assign_side

    for track in session.ordered_tracks():
        session = assign_side(session, track.id, "A")
    sources = {
        t.id: SourceInfo(frames=sf.info(str(t.path)).frames, sample_rate=RATE)
        for t in session.ordered_tracks()
    }
    layout = plan_sides(session, sources, disc_format="12in-33")
    return session, layout.sides[0]


def test_anti_phase_bass_is_an_error_at_its_time_and_mono_bass_passes(tmp_path: Path) -> None:
    clean = bass_track(tmp_path / "clean.wav", 12.0)
    faulty = bass_track(tmp_path / "faulty.wav", 12.0, flip=(5.0, 8.0))
    fmt = get_format("12in-33")
    session, side = side_of(tmp_path, [clean, faulty])
    analyses = {t.id: analyse_file(t.path) for t in session.ordered_tracks()}  # type: ignore[attr-defined]
    report = check_side(session, side, fmt, gains_db={}, analyses=analyses)  # type: ignore[arg-type]
    errors = [f for f in report.findings if f.severity == Severity.ERROR]
    assert [f.code for f in errors] == ["VINYL-LOWEND-ANTIPHASE"]
    placement = side.timeline.placements[1]
    expected = placement.start / RATE + 5.0
    assert errors[0].time_s == pytest.approx(expected, abs=0.5)
    assert errors[0].track_id == placement.track_id
    assert report.groove.fits
    assert report.fitting_cut_level_db is not None
    assert report.fitting_cut_level_db > 0.0
    assert report.summary.startswith("A: 0:26, fits at +")


def test_side_length_against_the_format_table() -> None:
    fmt = get_format("12-33")
    session = new_session([Path("/x/a.wav"), Path("/x/b.wav")], title="Long")
    entries = [TrackEntry(t) for t in session.ordered_tracks()]

    def side(minutes: float) -> SidePlan:
        frames = round(minutes * 60 / 2 * RATE)
        sources = {t.id: SourceInfo(frames=frames, sample_rate=RATE) for t in session.tracks}
        return SidePlan(
            name="A",
            disc=1,
            timeline=place(entries, sources, RATE),
            recommended_s=fmt.recommended_s,
            maximum_s=fmt.maximum_s,
        )

    assert duration_findings(side(18.0), fmt) == []
    long = duration_findings(side(21.0), fmt)
    assert [f.code for f in long] == ["VINYL-SIDE-LONG"]
    assert long[0].severity == Severity.WARNING
    too_long = duration_findings(side(24.0), fmt)
    assert [(f.code, f.severity) for f in too_long] == [("VINYL-SIDE-TOO-LONG", Severity.ERROR)]


@pytest.fixture(scope="module")
def loud_master() -> np.ndarray:
    """Return a minute of the demo pop track mastered loud (-9 LUFS), as (2, frames)."""
    audio = render_track(2, seconds=60.0).astype(np.float64)
    loudness = analyse_array(audio, RATE).integrated_lufs
    assert loudness is not None
    return np.ascontiguousarray((audio * 10 ** ((-9.0 - loudness) / 20)).T)


def groove_space_of(audio: np.ndarray, minutes: float) -> tuple[bool, float]:
    """Feed ``audio`` repeated to ``minutes`` through the default groove model."""
    fmt = get_format("12in-33")
    meter = GrooveMeter(RATE, fmt.rpm)
    remaining = round(minutes * 60 * RATE)
    while remaining > 0:
        piece = audio[:, : min(remaining, audio.shape[1])]
        meter.process(piece)
        remaining -= piece.shape[1]
    meter.finish()
    plan = meter.plan(fmt.outer_radius_mm, fmt.inner_radius_mm)
    return plan.fits, plan.space_mm


def test_the_default_calibration_matches_the_guideline_tables(loud_master: np.ndarray) -> None:
    # A loud pop master (-9 LUFS) fills a 12" 33 1/3 side at about 18-20 minutes at the
    # default cut level, as the tables say; 24 minutes does not fit.
    fits_17, space_17 = groove_space_of(loud_master, 17.0)
    fits_24, space_24 = groove_space_of(loud_master, 24.0)
    assert fits_17
    assert not fits_24
    assert space_24 > space_17


def test_side_curves_follow_the_audio(tmp_path: Path) -> None:
    """The plot curves: loudness at the tone's level, low-end correlation flips, HF step."""
    t = np.arange(round(12.0 * RATE)) / RATE
    tone = 10 ** (-20 / 20) * np.sin(2 * np.pi * 997 * t)
    sf.write(str(tmp_path / "tone.wav"), np.column_stack([tone, tone]), RATE, subtype="PCM_24")
    hiss = tone.copy()
    burst = (t >= 4.0) & (t < 4.4)
    hiss[burst] += 0.25 * np.sin(2 * np.pi * 8000 * t[burst])
    sf.write(str(tmp_path / "hiss.wav"), np.column_stack([hiss, hiss]), RATE, subtype="PCM_24")
    faulty = bass_track(tmp_path / "faulty.wav", 12.0, flip=(5.0, 8.0))
    session, side = side_of(tmp_path, [tmp_path / "tone.wav", tmp_path / "hiss.wav", faulty])
    tracks = session.ordered_tracks()  # type: ignore[attr-defined]
    analyses = {track.id: analyse_file(track.path) for track in tracks}
    gains = {tracks[0].id: -3.0}
    report = check_side(
        session,  # type: ignore[arg-type]
        side,
        get_format("12in-33"),
        gains_db=gains,
        analyses=analyses,
    )
    curves = report.curves
    assert curves is not None
    first, second, third = side.timeline.placements
    # A stereo sine at -20 dBFS reads -20 LUFS short-term (BS.1770 at 997 Hz), -23 after -3 dB.
    times = np.array(curves.loudness_times_s)
    values = np.array([np.nan if v is None else v for v in curves.loudness_lufs])
    inside = (times > 4.0) & (times < first.end / RATE)
    assert values[inside] == pytest.approx(-23.0, abs=0.1)
    second_start = second.start / RATE
    later = (times > second_start + 7.5) & (times < second.end / RATE)  # after the burst
    assert values[later] == pytest.approx(-20.0, abs=0.1)
    # The low-end correlation turns to -1 inside the flipped span of the third track.
    corr_times = np.array(curves.correlation_times_s)
    corr = np.array([np.nan if c is None else c for c in curves.correlation])
    flipped = (corr_times > third.start / RATE + 5.5) & (corr_times < third.start / RATE + 7.5)
    assert np.nanmax(corr[flipped]) < -0.9
    before = (corr_times > third.start / RATE + 0.5) & (corr_times < third.start / RATE + 4.0)
    assert np.nanmin(corr[before]) > 0.99
    # The high band's tracing demand peaks where the burst lands on the side.
    tracing_times = np.array(curves.tracing_times_s)
    share = np.array([-np.inf if v is None else v for v in curves.tracing_share_db])
    assert tracing_times[np.argmax(share)] == pytest.approx(second_start + 4.0, abs=0.5)
    assert share.max() > share[tracing_times < second_start].max() + 20.0


@pytest.mark.parametrize("block", [7, 1001, 65536])
def test_subsonic_ratio_from_the_decimated_low_band_equals_the_full_rate_filter(
    block: int,
) -> None:
    """The side check's subsonic meter reuses the low band, decimated: same answer."""
    import scipy.signal as sps

    from vinyl.lowend import LowEndMeter
    from vinyl.sidecheck import _SubsonicMeter

    rng = np.random.default_rng(7)
    t = np.arange(RATE * 12) / RATE
    mono = 0.1 * rng.standard_normal(t.size) + 0.05 * np.sin(2 * np.pi * 10 * t)
    planar = np.vstack([mono, mono])
    low, meter = LowEndMeter(RATE), _SubsonicMeter(RATE)
    for start in range(0, planar.shape[1], block):
        chunk = planar[:, start : start + block]
        low.process(chunk)
        meter.process(chunk, low.last_low)
    sos = sps.butter(4, 20.0, btype="lowpass", fs=RATE, output="sos")
    sub = sps.sosfilt(sos, planar, axis=1)
    expected = 10 * np.log10(np.sum(sub**2) / np.sum(planar**2))  # about -9.5 dB
    assert meter.ratio_db() == pytest.approx(expected, abs=0.02)
