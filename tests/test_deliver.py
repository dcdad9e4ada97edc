"""Digital deliverables end to end: presets, CUE, per-track files, manifest, ceiling."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from sequencer.analysis import TrackAnalysis, analyse_file
from sequencer.cache import AnalysisCache
from sequencer.deliver import MANIFEST_NAME, Preset, deliver, session_hash
from sequencer.edits import set_crossfade, set_loudness_policy, set_pause
from sequencer.errors import Cancelled
from sequencer.session import Album, Curve, Session, new_session

RATE = 44100


def song(path: Path, seconds: float, level: float, seed: int, rate: int = RATE) -> Path:
    """Beat-modulated noise with a bass tone: music-like, with real peaks."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * rate)) / rate
    beat = 0.4 + 0.6 * (np.sin(2 * np.pi * 2 * t) > 0.5)
    data = (
        rng.standard_normal((t.size, 2)) * 0.2 * beat[:, None]
        + 0.3 * np.sin(2 * np.pi * 60 * t)[:, None]
    )
    sf.write(str(path), np.clip(data * level, -1, 1), rate, subtype="PCM_24")
    return path


@pytest.fixture
def album(tmp_path: Path) -> tuple[Session, dict[str, TrackAnalysis]]:
    paths = [
        song(tmp_path / "one.wav", 6.0, 0.5, 1),
        song(tmp_path / "two.wav", 5.0, 1.0, 2),
        song(tmp_path / "three.wav", 7.0, 0.25, 3, rate=48000),
    ]
    session = new_session(paths, title="Deliverables", artist="Tester")
    session = session.model_copy(
        update={
            "album": Album(
                title="Deliverables",
                artist="Tester",
                catalogue_number="TST01",
                upc_ean="036000291452",
            )
        }
    )
    session = Session.model_validate(session.model_dump())
    session = set_pause(session, session.order[1], 1.5)
    session = set_crossfade(session, session.order[2], 1.0, Curve.EQUAL_POWER)
    analyses = {track.id: analyse_file(track.path) for track in session.tracks}
    return session, analyses


def manifest_of(folder: Path) -> dict[str, Any]:
    return json.loads((folder / MANIFEST_NAME).read_text())


def test_cd_preset_writes_image_cue_tracks_and_manifest(tmp_path: Path, album: tuple) -> None:
    session, analyses = album
    result = deliver(
        session,
        tmp_path / "cd",
        preset=Preset.CD,
        analyses=analyses,
        cache=AnalysisCache(tmp_path / "c"),
    )
    assert result.cue_file is not None
    assert result.cue_file.read_text().startswith("CATALOG 0036000291452")
    image, rate = sf.read(str(result.album_file), dtype="int16")
    assert rate == RATE
    assert sf.info(str(result.album_file)).subtype == "PCM_16"
    for placement in result.timeline.placements:
        assert placement.start % 588 == 0
    assert result.timeline.placements[0].start == 2 * RATE
    parts = np.concatenate([sf.read(str(p), dtype="int16")[0] for p in result.track_files])
    np.testing.assert_array_equal(parts, image)
    manifest = manifest_of(result.directory)
    assert manifest["session_sha256"] == session_hash(session)
    files = {entry["path"]: entry for entry in manifest["files"]}
    measured = analyse_file(result.album_file)
    entry = files[result.album_file.name]
    assert entry["duration_samples"] == image.shape[0]
    assert entry["integrated_lufs"] == measured.integrated_lufs
    # The plan's album loudness (here held below the -14 target by the ceiling) is what plays.
    assert entry["integrated_lufs"] == pytest.approx(result.plan.album_lufs_after, abs=0.1)
    assert entry["true_peak_dbtp"] <= -1.0


def test_same_session_same_bytes(tmp_path: Path, album: tuple) -> None:
    session, analyses = album
    first = deliver(session, tmp_path / "a", preset=Preset.CD, analyses=analyses)
    second = deliver(session, tmp_path / "b", preset=Preset.CD, analyses=analyses)
    for one, two in zip(
        (first.album_file, *first.track_files),
        (second.album_file, *second.track_files),
        strict=True,
    ):
        assert one.read_bytes() == two.read_bytes()
    assert first.cue_file is not None
    assert second.cue_file is not None
    assert first.cue_file.read_bytes() == second.cue_file.read_bytes()


@pytest.mark.parametrize("limiter", [False, True])
def test_the_ceiling_is_never_exceeded(tmp_path: Path, album: tuple, limiter: bool) -> None:
    session, analyses = album
    session = set_loudness_policy(
        session, target_lufs=-8.0, true_peak_ceiling_dbtp=-1.0, limiter_allowed=limiter
    )
    result = deliver(session, tmp_path / "hot", preset=Preset.STREAMING, analyses=analyses)
    for path in (result.album_file, *result.track_files):
        true_peak = analyse_file(path).true_peak_dbtp
        assert true_peak is not None
        assert true_peak <= -1.0
    if limiter:
        assert result.plan.limiter
        loudness = manifest_of(result.directory)["loudness"]
        assert any(t["limiter_reduction_db"] > 0 for t in loudness["tracks"])
    else:
        assert result.plan.loudness_given_up_lu > 0
        assert result.plan.limiting_track_id is not None


def test_streaming_and_hires_presets(tmp_path: Path, album: tuple) -> None:
    session, analyses = album
    session = set_loudness_policy(session, target_lufs=-20.0)
    hires = deliver(session, tmp_path / "hires", preset=Preset.HIRES, analyses=analyses)
    assert analyse_file(hires.album_file).integrated_lufs == pytest.approx(-20.0, abs=0.1)
    assert hires.cue_file is None
    info = sf.info(str(hires.track_files[0]))
    assert (info.format, info.subtype) == ("FLAC", "PCM_24")
    # Mixed source rates: the session's delivery rate (44.1 kHz) is the master rate.
    assert info.samplerate == RATE


def test_cancelled_delivery_leaves_no_file(tmp_path: Path, album: tuple) -> None:
    session, analyses = album
    cancel = threading.Event()
    with pytest.raises(Cancelled):
        deliver(
            session,
            tmp_path / "out",
            preset=Preset.CD,
            analyses=analyses,
            progress=lambda *_: cancel.set(),
            cancel=cancel,
        )
    out = tmp_path / "out"
    assert not out.exists() or [p for p in out.iterdir() if p.is_file()] == []


def test_moving_the_album_folder_keeps_the_bytes(tmp_path: Path, album: tuple) -> None:
    import shutil

    from sequencer.store import load_session, save_session

    session, analyses = album
    save_session(session, tmp_path / "album.json")
    first = deliver(session, tmp_path / "out1", preset=Preset.CD, analyses=analyses)
    moved = tmp_path / "moved"
    moved.mkdir()
    for name in ("one.wav", "two.wav", "three.wav", "album.json"):
        shutil.copy(tmp_path / name, moved / name)
    relocated = load_session(moved / "album.json")
    second = deliver(relocated, tmp_path / "out2", preset=Preset.CD, analyses=analyses)
    assert first.album_file.read_bytes() == second.album_file.read_bytes()


def test_a_crossfade_that_sums_over_the_ceiling_is_rendered_lower(tmp_path: Path) -> None:
    # Two copies of the same tone, crossfaded with equal power: in the middle of the
    # crossfade the correlated signals add up to +3 dB, which no track's own analysis
    # predicts. The render measures that and renders again, lower.
    t = np.arange(4 * RATE) / RATE
    tone = 0.5 * np.sin(2 * np.pi * 440 * t)
    paths = []
    for name in ("a.wav", "b.wav"):
        sf.write(str(tmp_path / name), np.column_stack([tone, tone]), RATE, subtype="PCM_24")
        paths.append(tmp_path / name)
    session = new_session(paths, title="Sum")
    session = set_crossfade(session, session.order[1], 2.0, Curve.EQUAL_POWER)
    session = set_loudness_policy(session, target_lufs=-5.0, true_peak_ceiling_dbtp=-4.0)
    analyses = {track.id: analyse_file(track.path) for track in session.tracks}
    result = deliver(session, tmp_path / "out", preset=Preset.STREAMING, analyses=analyses)
    true_peak = analyse_file(result.album_file).true_peak_dbtp
    assert true_peak is not None
    assert true_peak <= -4.0
    assert manifest_of(result.directory)["loudness"]["ceiling_correction_db"] < -2.0


def test_accented_album_title_gets_an_ascii_cd_image_name(tmp_path: Path, album: tuple) -> None:
    session, analyses = album
    session = session.model_copy(update={"album": Album(title="Café № 5", artist="Tester")})
    session = Session.model_validate(session.model_dump())
    result = deliver(session, tmp_path / "cd", preset=Preset.CD, analyses=analyses)
    assert result.album_file.name.isascii()
    assert result.cue_file is not None
    assert f'FILE "{result.album_file.name}" WAVE' in result.cue_file.read_text()


def test_json_files_are_readable_by_others_as_the_umask_allows(tmp_path: Path) -> None:
    """Manifests are written through a private temp file; the result must not stay 0600."""
    import os
    import stat

    from sequencer.deliver import write_json

    path = tmp_path / "manifest.json"
    write_json(path, {"a": 1})
    mask = os.umask(0o022)
    os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask
