"""The demo album generator: data, determinism, files, cancel, and the planted faults.

Faults are measured with plain numpy/scipy on renders that cover the real fault times
(a shortened render composes the whole score and stops at ``seconds``).
"""

from __future__ import annotations

import json
import threading
from functools import cache, lru_cache

import numpy as np
import numpy.typing as npt
import pyloudnorm as pyln
import pytest
import soundfile as sf
from scipy import signal

from samples import (
    ALBUM_ARTIST,
    ALBUM_TITLE,
    DEMO_TRACKS,
    PLANTED_FAULTS,
    faults_for,
    generate_demo_album,
    render_track,
    track,
)
from samples.demo_album import MANIFEST_NAME
from sequencer.errors import Cancelled

SR = 44100
Stereo = npt.NDArray[np.float32]


@lru_cache(maxsize=4)
def _render(number: int, seconds: float | None = None) -> Stereo:
    audio = render_track(number, seconds=seconds)
    audio.setflags(write=False)
    return audio


def _fault(number: int, kind: str):
    (fault,) = [f for f in faults_for(number) if f.kind == kind]
    return fault


def _lowpass(x: np.ndarray, freq: float) -> np.ndarray:
    sos = signal.butter(4, freq, btype="lowpass", fs=SR, output="sos")
    return signal.sosfiltfilt(sos, x.astype(np.float64), axis=0)


def _band(x: np.ndarray, low: float, high: float) -> np.ndarray:
    sos = signal.butter(6, (low, high), btype="bandpass", fs=SR, output="sos")
    return signal.sosfilt(sos, x.astype(np.float64), axis=0)


def _correlation(x: np.ndarray) -> float:
    return float(np.sum(x[:, 0] * x[:, 1]) / np.sqrt(np.sum(x[:, 0] ** 2) * np.sum(x[:, 1] ** 2)))


def _rms_db(x: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(np.asarray(x, dtype=np.float64) ** 2) + 1e-30))


def _frames_db(x: np.ndarray, frame_s: float) -> np.ndarray:
    """Mean-square level in dB of consecutive frames of a mono signal."""
    size = round(frame_s * SR)
    count = len(x) // size
    power = np.mean(x[: count * size].reshape(count, size) ** 2, axis=1)
    return 10 * np.log10(power + 1e-30)


def _seconds(t: float) -> int:
    return round(t * SR)


@cache
def _energy(number: int, seconds: float | None = None) -> np.ndarray:
    """K-weighted energy (both channels) of a render per 100 ms, K-filter from pyloudnorm."""
    audio = _render(number, seconds)
    stages = [
        pyln.IIRfilter(4.0, 1 / np.sqrt(2), 1500.0, SR, "high_shelf"),
        pyln.IIRfilter(0.0, 0.5, 38.0, SR, "high_pass"),
    ]
    sos = np.array([np.concatenate([stage.b, stage.a]) for stage in stages], dtype=np.float32)
    hop = _seconds(0.1)
    count = len(audio) // hop
    energy = np.zeros(count)
    for ch in range(2):
        weighted = signal.sosfilt(sos, audio[:, ch])[: count * hop]
        energy += np.square(weighted).reshape(count, hop).sum(axis=1, dtype=np.float64)
    return energy


def _block_loudness(energy: np.ndarray, window_s: float) -> np.ndarray:
    """BS.1770 loudness of windows stepped by 100 ms, from :func:`_energy`."""
    per_window = round(window_s / 0.1)
    power = np.convolve(energy, np.ones(per_window), mode="valid") / (per_window * _seconds(0.1))
    return -0.691 + 10 * np.log10(power + 1e-30)


def _integrated(energy: np.ndarray) -> float:
    """Gated integrated loudness: 400 ms blocks, -70 LUFS absolute, -10 LU relative gate."""
    blocks = _block_loudness(energy, 0.4)
    blocks = blocks[blocks > -70.0]
    relative = 10 * np.log10(np.mean(10 ** (blocks / 10))) - 10.0
    return float(10 * np.log10(np.mean(10 ** (blocks[blocks > relative] / 10))))


def _loudness_range(energy: np.ndarray) -> float:
    """EBU Tech 3342: 3 s windows every 0.1 s, gates -70 LUFS and -20 LU, 95th - 10th."""
    short = _block_loudness(energy, 3.0)
    short = short[short > -70.0]
    short = short[short > 10 * np.log10(np.mean(10 ** (short / 10))) - 20.0]
    return float(np.percentile(short, 95) - np.percentile(short, 10))


def test_loudness_helper_agrees_with_pyloudnorm():
    audio = _render(6, 40.0).astype(np.float64)
    assert _integrated(_energy(6, 40.0)) == pytest.approx(
        pyln.Meter(SR).integrated_loudness(audio), abs=0.05
    )


# --------------------------------------------------------------------------------------
# The album as data.
# --------------------------------------------------------------------------------------


def test_album_table_is_consistent():
    assert ALBUM_TITLE
    assert ALBUM_ARTIST
    assert [t.number for t in DEMO_TRACKS] == list(range(1, 11))
    assert len({t.file_name for t in DEMO_TRACKS}) == 10
    assert all(t.file_name.endswith(".wav") for t in DEMO_TRACKS)
    assert all(150.0 <= t.duration_s <= 300.0 for t in DEMO_TRACKS)
    assert 40 * 60 <= sum(t.duration_s for t in DEMO_TRACKS) <= 45 * 60
    assert len({(t.recipe.tempo_bpm, t.key) for t in DEMO_TRACKS}) == 10
    for item in DEMO_TRACKS:
        assert item.frames == item.duration_s * SR
        # The final chord rings for at least 3 s after the last bar.
        assert item.recipe.music_s + 3.0 <= item.duration_s
        assert track(item.number) is item


def test_faults_are_placed_inside_their_tracks():
    kinds = {f.kind for f in PLANTED_FAULTS}
    assert kinds == {
        "lowend-antiphase",
        "sibilance",
        "clipping",
        "quiet-dynamic",
        "dc-offset",
        "silent-tail",
    }
    for fault in PLANTED_FAULTS:
        item = track(fault.track)
        assert 0.0 <= fault.start_s < fault.end_s <= item.duration_s
        assert fault.description
        assert fault.expected
        for start in fault.events_s:
            assert fault.start_s <= start < start + fault.event_length_s <= fault.end_s
    assert _fault(6, "clipping").value == track(6).recipe.target_lufs
    assert _fault(7, "quiet-dynamic").value == track(7).recipe.target_lufs
    assert _fault(10, "silent-tail").end_s == track(10).duration_s
    # The anti-phase passage is whole bars.
    antiphase = _fault(3, "lowend-antiphase")
    bars = np.array([antiphase.start_s, antiphase.end_s]) / track(3).recipe.bar_s
    np.testing.assert_allclose(bars, np.round(bars), atol=1e-9)


# --------------------------------------------------------------------------------------
# Determinism, files, reuse and cancel.
# --------------------------------------------------------------------------------------


def test_render_is_deterministic():
    first = render_track(2, seconds=4.0)
    second = render_track(2, seconds=4.0)
    assert first.dtype == np.float32
    assert first.shape == (4 * SR, 2)
    np.testing.assert_array_equal(first, second)


def test_generated_files_are_byte_identical_and_reused(tmp_path):
    calls: list[tuple[int, int]] = []
    first = generate_demo_album(
        tmp_path / "a", seconds=2.0, progress=lambda d, t: calls.append((d, t))
    )
    second = generate_demo_album(tmp_path / "b", seconds=2.0)
    assert [p.name for p in first] == [t.file_name for t in DEMO_TRACKS]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes()
        info = sf.info(str(a))
        assert (info.samplerate, info.channels, info.subtype, info.frames) == (
            SR,
            2,
            "PCM_24",
            2 * SR,
        )
    manifest = json.loads((tmp_path / "a" / MANIFEST_NAME).read_text())
    assert sorted(manifest["files"]) == sorted(t.file_name for t in DEMO_TRACKS)

    # Progress: in frames of the whole album, never decreasing, ending at the total.
    done = [d for d, _ in calls]
    assert done == sorted(done)
    assert len(set(done)) == len(done) > 20
    assert {t for _, t in calls} == {20 * SR}
    assert (done[0], done[-1]) == (0, 20 * SR)

    # Complete files are reused untouched.
    stamps = {p: p.stat().st_mtime_ns for p in first}
    calls.clear()
    again = generate_demo_album(
        tmp_path / "a", seconds=2.0, progress=lambda d, t: calls.append((d, t))
    )
    assert again == first
    assert {p: p.stat().st_mtime_ns for p in first} == stamps
    assert calls[-1] == (20 * SR, 20 * SR)

    # A damaged file is regenerated, identical to before; the others stay.
    damaged = first[3]
    damaged.write_bytes(second[3].read_bytes()[: damaged.stat().st_size // 2])
    generate_demo_album(tmp_path / "a", seconds=2.0)
    assert damaged.read_bytes() == second[3].read_bytes()
    assert all(p.stat().st_mtime_ns == stamps[p] for p in first if p != damaged)


def test_cancel_stops_and_leaves_no_partial_file(tmp_path):
    cancel = threading.Event()
    per_track = round(2.0 * SR)

    def progress(done: int, total: int) -> None:
        if done > 2.5 * per_track:  # halfway through the third track
            cancel.set()

    with pytest.raises(Cancelled):
        generate_demo_album(tmp_path, seconds=2.0, progress=progress, cancel=cancel)

    names = {p.name for p in tmp_path.iterdir()}
    assert names == {MANIFEST_NAME, DEMO_TRACKS[0].file_name, DEMO_TRACKS[1].file_name}
    for path in tmp_path.glob("*.wav"):
        assert sf.info(str(path)).frames == per_track

    # Resuming finishes the album and keeps the two finished files.
    stamps = {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*.wav")}
    paths = generate_demo_album(tmp_path, seconds=2.0)
    assert all(p.exists() for p in paths)
    assert {n: (tmp_path / n).stat().st_mtime_ns for n in stamps} == stamps
    assert not list(tmp_path.glob(".*"))


def test_cancel_before_start_raises_at_once(tmp_path):
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        generate_demo_album(tmp_path, seconds=1.0, cancel=cancel)
    assert not list(tmp_path.glob("*.wav"))
    with pytest.raises(Cancelled):
        render_track(1, seconds=1.0, cancel=cancel)


# --------------------------------------------------------------------------------------
# The planted faults, measured at their real times.
# --------------------------------------------------------------------------------------


def test_antiphase_bass_below_150_hz():
    fault = _fault(3, "lowend-antiphase")
    low = _lowpass(_render(3, 95.0), 150.0)
    a, b = _seconds(fault.start_s), _seconds(fault.end_s)
    inside = low[a + _seconds(0.2) : b - _seconds(0.2)]
    assert _correlation(inside) < -0.95
    assert _rms_db(inside) > -25.0  # real energy, not a trace
    mid = inside.sum(axis=1) / 2
    side = (inside[:, 0] - inside[:, 1]) / 2
    assert _rms_db(side) - _rms_db(mid) > 20.0
    for start, end in ((20.0, 59.8), (80.2, 95.0)):
        outside = low[_seconds(start) : _seconds(end)]
        assert _correlation(outside) > 0.95
        assert _rms_db(outside) > -25.0
    # Second by second: negative exactly inside the window.
    for t in range(20, 95):
        window = low[_seconds(t) : _seconds(t + 1)]
        inside_window = fault.start_s <= t and t + 1 <= fault.end_s
        assert (_correlation(window) < -0.9) == inside_window, t


def test_sibilant_bursts_at_the_listed_times():
    fault = _fault(5, "sibilance")
    audio = _render(5, 85.0).mean(axis=1)
    band = _band(audio, 5000.0, 10000.0)
    full = audio.astype(np.float64)
    is_burst = np.zeros(len(audio), dtype=bool)
    for start in fault.events_s:
        is_burst[_seconds(start) : _seconds(start + fault.event_length_s)] = True
    assert len(fault.events_s) == 16
    for start in fault.events_s:
        burst = slice(_seconds(start + 0.02), _seconds(start + fault.event_length_s - 0.02))
        before = slice(_seconds(start - 0.45), _seconds(start - 0.05))
        # The 5-10 kHz band jumps by more than 15 dB and dominates the signal.
        assert _rms_db(band[burst]) - _rms_db(band[before]) > 15.0, start
        assert _rms_db(band[burst]) - _rms_db(full[burst]) > -4.0, start
    # Nothing else in the track comes near: 50 ms frames outside the bursts.
    frame = _seconds(0.05)
    frames = _frames_db(np.where(is_burst, 0.0, band), 0.05)
    touched = is_burst[: len(frames) * frame].reshape(len(frames), frame).any(axis=1)
    burst_level = min(_rms_db(band[_seconds(t) : _seconds(t + 0.15)]) for t in fault.events_s)
    assert frames[~touched].max() < burst_level - 6.0


def test_hot_track_is_hard_clipped():
    audio = _render(6, 40.0)
    assert _integrated(_energy(6, 40.0)) == pytest.approx(-7.5, abs=0.5)
    assert np.abs(audio).max() == 1.0
    runs = 0
    for ch in range(2):
        clipped = np.abs(audio[:, ch]) >= 1.0
        edges = np.diff(np.concatenate([[0], clipped.astype(np.int8), [0]]))
        lengths = np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)
        runs += int(np.sum(lengths >= 3))
    assert runs > 200
    # Both polarities reach full scale.
    assert (audio >= 1.0).any()
    assert (audio <= -1.0).any()


def test_quiet_track_is_quiet_and_dynamic():
    audio = _render(7)
    energy = _energy(7)
    assert _integrated(energy) == pytest.approx(-21.0, abs=0.5)
    assert np.abs(audio).max() < 0.9  # not limited
    assert _loudness_range(energy) > 10.0
    short_term = _block_loudness(energy, 3.0)
    soft = short_term[: round(40 / 0.1)].max()
    climax = short_term[round(190 / 0.1) : round(235 / 0.1)].mean()
    assert climax - soft > 15.0


def test_dc_offset_on_both_channels():
    fault = _fault(8, "dc-offset")
    audio = _render(8, 20.0).astype(np.float64)
    np.testing.assert_allclose(audio.mean(axis=0), [fault.value, fault.value], atol=1e-3)


def test_silent_tail_is_digital_silence():
    fault = _fault(10, "silent-tail")
    audio = _render(10)
    assert len(audio) == track(10).frames
    tail = audio[_seconds(fault.start_s) :]
    assert len(tail) == _seconds(25.0)
    assert not tail.any()
    assert _rms_db(audio[_seconds(fault.start_s - 1.0) : _seconds(fault.start_s)]) < -70.0
    assert _rms_db(audio[_seconds(fault.start_s - 10.0) : _seconds(fault.start_s - 5.0)]) > -40.0


# --------------------------------------------------------------------------------------
# Everything else is clean.
# --------------------------------------------------------------------------------------

CLEAN_TRACKS = [t.number for t in DEMO_TRACKS if not faults_for(t.number)]


def test_clean_tracks_are_the_unfaulted_ones():
    assert CLEAN_TRACKS == [1, 2, 4, 9]


@pytest.mark.parametrize("number", CLEAN_TRACKS)
def test_clean_track_has_no_planted_faults(number):
    # The first 75 s hold the intro, a verse and part of the first chorus.
    audio = _render(number, 75.0).astype(np.float64)
    assert np.abs(audio).max() < 10 ** (-0.9 / 20)  # limited to -1 dBFS, no clipping
    assert np.abs(audio.mean(axis=0)).max() < 1e-3  # no DC
    correlation = _correlation(audio)
    assert 0.3 < correlation < 0.9  # musical stereo width
    low = _lowpass(audio, 150.0)
    for t in range(0, 74):
        window = low[_seconds(t) : _seconds(t + 1)]
        if _rms_db(window) > -40.0:
            assert _correlation(window) > 0.5, t
    # No sibilance: the 5-10 kHz band stays well below the whole signal.
    mono = audio.mean(axis=1)
    band_frames = _frames_db(_band(mono, 5000.0, 10000.0), 0.05)
    full_frames = _frames_db(mono, 0.05)
    loud = full_frames > -40.0
    assert (band_frames - full_frames)[loud].max() < -6.0


def test_normal_tracks_are_mastered_in_range():
    assert -14.0 <= _integrated(_energy(1, 75.0)) <= -10.0
    chorus = _render(1, 75.0)[_seconds(50.0) :].astype(np.float64)
    oversampled = signal.resample_poly(chorus, 4, 1, axis=0)
    assert 20 * np.log10(np.abs(oversampled).max()) < 0.0  # true peak below 0 dBTP
