"""Vinyl bus processing and side files: filters, exact side render, names, manifest, cancel."""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from numpy.typing import NDArray
from scipy import signal as sps

from sequencer import edits
from sequencer.analysis import TrackAnalysis, analyse_file
from sequencer.errors import Cancelled
from sequencer.render import envelope
from sequencer.session import Album, FileFormat, Session, VinylPlan, new_session
from sequencer.timeline import Timeline, probe_sources
from vinyl.premaster import (
    SIDE_MANIFEST_NAME,
    VinylLevelPolicy,
    render_sides,
    side_file_name,
)
from vinyl.processing import MonoBelow, SubsonicFilter, VinylChain, vinyl_chain
from vinyl.sides import plan_sides

RATE = 44100


def band_correlation(stereo: NDArray[np.float64], rate: int, below_hz: float) -> float:
    """Correlation of left and right after a steep low-pass (planar (2, n))."""
    sos = sps.butter(8, below_hz, btype="lowpass", fs=rate, output="sos")
    low = sps.sosfiltfilt(sos, stereo, axis=1)[:, rate // 2 : -rate // 2]
    return float(np.sum(low[0] * low[1]) / np.sqrt(np.sum(low[0] ** 2) * np.sum(low[1] ** 2)))


def rms_db(x: NDArray[np.float64]) -> float:
    return float(10 * np.log10(np.mean(x**2)))


def anti_phase_bass(seconds: float, rate: int, seed: int = 0) -> NDArray[np.float64]:
    """Planar (2, n): bass largely anti-phase (L = b, R = -0.5 b) plus uncorrelated highs."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * rate)) / rate
    bass = 0.4 * np.sin(2 * np.pi * 40 * t) + 0.2 * np.sin(2 * np.pi * 50 * t + 1.0)
    hp = sps.butter(4, 2000, btype="highpass", fs=rate, output="sos")
    highs = sps.sosfilt(hp, rng.standard_normal((2, t.size)) * 0.05, axis=1)
    return np.vstack((bass, -0.5 * bass)) + highs


# --------------------------------------------------------------------------- processing


@pytest.mark.parametrize("mid", ["allpass", "exact"])
def test_mono_below_makes_low_band_mono_and_keeps_the_sum(mid: str) -> None:
    x = anti_phase_bass(4.0, RATE)
    assert band_correlation(x, RATE, 100) < -0.99
    y = MonoBelow(RATE, 150.0, mid).process(x)  # type: ignore[arg-type]
    assert band_correlation(y, RATE, 100) > 0.99
    summed_in, summed_out = x[0] + x[1], y[0] + y[1]
    assert abs(rms_db(summed_out[RATE:]) - rms_db(summed_in[RATE:])) < 0.1
    if mid == "exact":
        np.testing.assert_allclose(summed_out, summed_in, atol=1e-12)


def test_mono_below_passes_stereo_above_the_crossover() -> None:
    rng = np.random.default_rng(3)
    t = np.arange(2 * RATE) / RATE
    x = np.vstack((np.sin(2 * np.pi * 1000 * t), 0.3 * np.sin(2 * np.pi * 2500 * t + 0.4)))
    x += sps.sosfilt(
        sps.butter(4, 1500, btype="highpass", fs=RATE, output="sos"),
        rng.standard_normal(x.shape) * 0.1,
        axis=1,
    )
    y = MonoBelow(RATE, 150.0).process(x)[:, RATE:]
    ref = x[:, RATE:]
    for ch in range(2):
        assert abs(rms_db(y[ch]) - rms_db(ref[ch])) < 0.05
    corr_in = float(np.corrcoef(ref[0], ref[1])[0][1])
    corr_out = float(np.corrcoef(y[0], y[1])[0][1])
    assert abs(corr_out - corr_in) < 0.01
    # a hard-panned 1 kHz tone stays in its channel (leak below -60 dB)
    tone = np.vstack((np.sin(2 * np.pi * 1000 * t), np.zeros_like(t)))
    out = MonoBelow(RATE, 150.0).process(tone)[:, RATE:]
    assert rms_db(out[1]) - rms_db(out[0]) < -60


def test_subsonic_removes_10_hz_and_keeps_100_hz() -> None:
    t = np.arange(3 * RATE) / RATE
    for freq, low, high in ((10.0, -200.0, -20.0), (100.0, -0.5, 0.5)):
        x = np.tile(np.sin(2 * np.pi * freq * t), (2, 1))
        y = SubsonicFilter(RATE, 20.0).process(x)
        change = rms_db(y[0, RATE:]) - rms_db(x[0, RATE:])
        assert low < change < high, (freq, change)


@pytest.mark.parametrize("block", [1, 7, 441, 4096])
def test_chain_is_block_size_independent(block: int) -> None:
    x = anti_phase_bass(0.1, RATE, seed=2)
    whole = VinylChain([SubsonicFilter(RATE, 25.0), MonoBelow(RATE, 150.0)]).process(x)
    chain = VinylChain([SubsonicFilter(RATE, 25.0), MonoBelow(RATE, 150.0)])
    pieces = [chain.process(x[:, i : i + block]) for i in range(0, x.shape[1], block)]
    assert chain.position == x.shape[1]
    assert chain.latency == 0
    assert chain.flush().shape == (2, 0)
    assert np.all(chain.last_reduction_db() == 0)
    np.testing.assert_allclose(np.concatenate(pieces, axis=1), whole, rtol=0, atol=1e-13)


def test_vinyl_chain_from_plan() -> None:
    assert vinyl_chain(VinylPlan(), RATE) is None
    chain = vinyl_chain(VinylPlan(subsonic_hz=20.0, mono_below_hz=120.0), RATE)
    assert chain is not None
    kinds = [stage["kind"] for stage in chain.describe()]
    assert kinds == ["subsonic_highpass", "mono_below"]
    with pytest.raises(ValueError, match="half the sample rate"):
        MonoBelow(8000, 5000.0)


# --------------------------------------------------------------------------- side files


def write_song(path: Path, seconds: float, level: float, seed: int, rate: int = RATE) -> Path:
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * rate)) / rate
    data = rng.standard_normal((t.size, 2)) * 0.1 + 0.3 * np.sin(2 * np.pi * 60 * t)[:, None]
    sf.write(str(path), np.clip(data * level, -1, 1), rate, subtype="FLOAT")
    return path


def make_album(
    tmp_path: Path, rate: int = RATE, catalogue: str | None = "CAT001", **vinyl: object
) -> tuple[Session, dict[str, TrackAnalysis]]:
    paths = [
        write_song(tmp_path / "a.wav", 2.0, 0.8, 1, rate),
        write_song(tmp_path / "b.wav", 1.5, 0.4, 2, rate),
        write_song(tmp_path / "c.wav", 2.5, 0.6, 3, rate),
    ]
    session = new_session(paths, title="Side Test", artist="Tester")
    session = session.model_copy(
        update={"album": Album(title="Side Test", artist="Tester", catalogue_number=catalogue)}
    )
    session = Session.model_validate(session.model_dump())
    session = edits.set_vinyl(session, pause_s=1.0, lead_in_s=0.5, **vinyl)
    a, b, c = session.order
    session = edits.set_offset(session, b, -3.0)
    for tid, side in ((a, "A"), (b, "A"), (c, "B")):
        session = edits.assign_side(session, tid, side)
    analyses = {track.id: analyse_file(track.path) for track in session.tracks}
    return session, analyses


def reference_side(session: Session, timeline: Timeline, gains: dict[str, float]) -> np.ndarray:
    """Place the sources by the timeline's placements with their gains (frames, 2)."""
    out = np.zeros((timeline.length, 2))
    for p in timeline.placements:
        audio, _ = sf.read(str(p.path), dtype="float64", always_2d=True)
        audio = audio[p.source_start : p.source_stop]
        out[p.start : p.end] += audio * envelope(p, 0, p.length, gains[p.track_id])[:, None]
    return out


@pytest.mark.parametrize(("depth", "tolerance"), [(32, 1e-7), (24, 1.5 * 2.0**-23)])
def test_side_file_equals_the_side_timeline(tmp_path: Path, depth: int, tolerance: float) -> None:
    session, analyses = make_album(tmp_path)
    layout = plan_sides(session, probe_sources(session.tracks))
    result = render_sides(
        session, layout, tmp_path / "out", analyses=analyses,
        policy=VinylLevelPolicy(bit_depth=depth),
    )  # fmt: skip
    for side in layout.sides:
        data, rate = sf.read(str(result.files[side.name]), dtype="float64")
        assert rate == RATE
        expected = reference_side(session, side.timeline, dict(result.gains_db))
        assert data.shape == expected.shape == (side.samples, 2)
        assert np.max(np.abs(data - expected)) <= tolerance
    # album-relative: the offset of track b survives (3 dB below a's shared gain)
    a, b, _ = session.order
    assert result.gains_db[a] - result.gains_db[b] == pytest.approx(3.0, abs=1e-6)
    for name, path in result.files.items():
        measured = analyse_file(path).true_peak_dbtp  # the file itself, after dither
        metered = result.true_peak_dbtp[name]  # the mix as it was written
        assert measured is not None
        assert metered is not None
        assert measured <= -1.0 + 1e-3
        assert measured == pytest.approx(metered, abs=0.01)


def test_names_and_manifest(tmp_path: Path) -> None:
    session, analyses = make_album(tmp_path, subsonic_hz=20.0)
    layout = plan_sides(session, probe_sources(session.tracks))
    progress: list[tuple[float, float, str]] = []
    result = render_sides(
        session, layout, tmp_path / "out", analyses=analyses,
        progress=lambda d, t, w: progress.append((d, t, w)),
    )  # fmt: skip
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["CAT001_A_44100Hz_24bit.wav", "CAT001_B_44100Hz_24bit.wav", SIDE_MANIFEST_NAME]
    assert sf.info(str(result.files["A"])).subtype == "PCM_24"
    # The subsonic filter can lift peaks: a peak pass first (a quarter of a render).
    total = sum(side.samples for side in layout.sides) * 1.25
    assert progress[-1][0] == pytest.approx(progress[-1][1]) == pytest.approx(total)
    assert progress[0][2] == "measuring peaks"
    assert all(b[0] >= a[0] for a, b in itertools.pairwise(progress))
    manifest = json.loads(result.manifest.read_text())
    assert manifest["findings"] == []
    assert len(manifest["session_sha256"]) == 64
    assert manifest["runout_version"]
    assert manifest["processing"][0]["kind"] == "subsonic_highpass"
    for entry, side in zip(manifest["sides"], layout.sides, strict=True):
        path = result.directory / entry["file"]
        assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert entry["length_samples"] == side.samples == sf.info(str(path)).frames
        assert entry["length_s"] == pytest.approx(side.samples / RATE)
        assert (entry["sample_rate"], entry["bit_depth"]) == (RATE, 24)
        placements = side.timeline.placements
        assert [t["position"] for t in entry["tracks"]] == [
            f"{side.name}{i}" for i in range(1, len(placements) + 1)
        ]
        for track, placement in zip(entry["tracks"], placements, strict=True):
            assert track["track_id"] == placement.track_id
            assert track["start_samples"] == placement.start
            assert track["end_samples"] == placement.end
            assert track["start_s"] == pytest.approx(placement.start / RATE)
            assert track["gain_db"] == pytest.approx(result.gains_db[placement.track_id], abs=1e-4)
    assert manifest["sides"][0]["tracks"][0]["start_samples"] == round(0.5 * RATE)


def test_file_name_falls_back_to_title_and_aiff(tmp_path: Path) -> None:
    session, analyses = make_album(tmp_path, catalogue=None)
    assert side_file_name(session, "A", 96000, 24, "wav") == "Side_Test_A_96000Hz_24bit.wav"
    session = edits.set_delivery(session, file_format=FileFormat.AIFF)
    layout = plan_sides(session, probe_sources(session.tracks))
    result = render_sides(session, layout, tmp_path / "out", analyses=analyses)
    assert result.files["B"].name == "Side_Test_B_44100Hz_24bit.aiff"
    assert sf.info(str(result.files["B"])).format == "AIFF"


def test_minus_18_lufs_option(tmp_path: Path) -> None:
    session, analyses = make_album(tmp_path)
    layout = plan_sides(session, probe_sources(session.tracks))
    quiet = render_sides(
        session, layout, tmp_path / "q", analyses=analyses,
        policy=VinylLevelPolicy(target_lufs=-18.0),
    )  # fmt: skip
    assert quiet.plan.target_lufs == -18.0
    assert quiet.plan.album_lufs_after == pytest.approx(-18.0, abs=0.01)
    assert not quiet.plan.limiter


def test_mono_below_side_file_low_band_is_mono(tmp_path: Path) -> None:
    path = tmp_path / "wide.wav"
    sf.write(str(path), anti_phase_bass(3.0, RATE).T, RATE, subtype="FLOAT")
    session = new_session([path], title="Wide")
    session = edits.set_vinyl(session, mono_below_hz=150.0)
    session = edits.assign_side(session, session.order[0], "A")
    analyses = {session.order[0]: analyse_file(path)}
    layout = plan_sides(session, probe_sources(session.tracks))
    result = render_sides(
        session, layout, tmp_path / "out", analyses=analyses,
        policy=VinylLevelPolicy(bit_depth=32),
    )  # fmt: skip
    data, _ = sf.read(str(result.files["A"]), dtype="float64")
    assert band_correlation(data.T, RATE, 100) > 0.99
    manifest = json.loads(result.manifest.read_text())
    assert manifest["sides"][0]["processing"][0]["crossover_hz"] == 150.0


def test_native_rate_is_kept(tmp_path: Path) -> None:
    session, analyses = make_album(tmp_path, rate=48000)
    layout = plan_sides(session, probe_sources(session.tracks))
    result = render_sides(session, layout, tmp_path / "out", analyses=analyses)
    for path in result.paths:
        assert sf.info(str(path)).samplerate == 48000
        assert "_48000Hz_24bit" in path.name


def test_cancel_leaves_nothing(tmp_path: Path) -> None:
    session, analyses = make_album(tmp_path)
    layout = plan_sides(session, probe_sources(session.tracks))
    cancel = threading.Event()

    def progress(done: float, total: float, what: str) -> None:
        if done > total / 2:
            cancel.set()  # midway through the sides

    out = tmp_path / "out"
    with pytest.raises(Cancelled):
        render_sides(session, layout, out, analyses=analyses, progress=progress, cancel=cancel)
    assert not out.exists() or list(out.iterdir()) == []
