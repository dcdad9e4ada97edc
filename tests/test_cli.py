"""The runout command: analyze (table and JSON), new, errors, demo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from sequencer.store import load_session
from tui.cli import main
from tui.report import JSON_KEYS

RATE = 44100


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNOUT_CACHE_DIR", str(tmp_path / "cache"))


def tone_file(path: Path, dbfs: float, seconds: float = 5.0) -> Path:
    t = np.arange(round(seconds * RATE)) / RATE
    x = 10 ** (dbfs / 20) * np.sin(2 * np.pi * 1000 * t)
    sf.write(str(path), np.column_stack([x, x]), RATE, subtype="PCM_24")
    return path


def test_analyze_json_is_the_documented_interface(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    loud = tone_file(tmp_path / "loud.wav", -10.0)
    quiet = tone_file(tmp_path / "quiet.wav", -30.0)
    assert main(["analyze", str(loud), str(quiet), "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert [Path(e["path"]).name for e in entries] == ["loud.wav", "quiet.wav"]
    for key in JSON_KEYS:
        assert key in entries[0]
    assert entries[0]["integrated_lufs"] == pytest.approx(-10.0, abs=0.1)
    assert entries[1]["integrated_lufs"] == pytest.approx(-30.0, abs=0.1)
    assert entries[0]["duration_s"] == pytest.approx(5.0)
    assert entries[0]["sample_rate"] == RATE


def test_silence_is_null_in_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "silence.wav"
    sf.write(str(path), np.zeros((RATE, 2)), RATE)
    assert main(["analyze", str(path), "--json"]) == 0
    entry = json.loads(capsys.readouterr().out)[0]
    assert entry["integrated_lufs"] is None
    assert entry["true_peak_dbtp"] is None
    assert "no measurable loudness" in entry["warnings"]


def test_new_then_analyze_the_session(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = tone_file(tmp_path / "first_song.wav", -12.0)
    second = tone_file(tmp_path / "second_song.wav", -14.0)
    session_path = tmp_path / "album.json"
    code = main(
        ["new", str(session_path), str(first), str(second), "--title", "Album", "--artist", "Me"]
    )
    assert code == 0
    session = load_session(session_path)
    assert [t.title for t in session.ordered_tracks()] == ["first song", "second song"]
    assert session.transition_into(session.order[1]) == 2.0
    assert session.album.artist == "Me"
    capsys.readouterr()
    assert main(["analyze", str(session_path), "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert [e["title"] for e in entries] == ["first song", "second song"]
    assert main(["analyze", str(session_path)]) == 0
    table = capsys.readouterr().out
    assert "first song" in table
    assert "-12.0" in table


def test_new_refuses_to_overwrite_and_bad_audio(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    song = tone_file(tmp_path / "song.wav", -12.0)
    session_path = tmp_path / "album.json"
    session_path.write_text("precious")
    assert main(["new", str(session_path), str(song)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert session_path.read_text() == "precious"
    assert main(["new", str(tmp_path / "other.json"), str(tmp_path / "nope.wav")]) == 1
    err = capsys.readouterr().err
    assert "nope.wav: no such file" in err
    assert not (tmp_path / "other.json").exists()


def test_errors_are_one_line_without_traceback(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"schema_version": 1, "album": ')
    result = subprocess.run(
        [sys.executable, "-m", "tui.cli", "analyze", str(broken)],
        capture_output=True,
        text=True,
        env={**os.environ, "RUNOUT_CACHE_DIR": str(tmp_path / "cache")},
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("runout: error: ")
    assert "broken.json" in result.stderr
    assert broken.read_text() == '{"schema_version": 1, "album": '


def test_analyze_reports_trims_beyond_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    song = tone_file(tmp_path / "song.wav", -12.0, seconds=3.0)
    session_path = tmp_path / "album.json"
    assert main(["new", str(session_path), str(song)]) == 0
    text = session_path.read_text().replace('"trim_out_s": null', '"trim_out_s": 10.0')
    session_path.write_text(text)
    assert main(["analyze", str(session_path)]) == 1
    err = capsys.readouterr().err
    assert "song" in err
    assert "trim" in err


def clipped_file(path: Path, seconds: float = 5.0) -> Path:
    t = np.arange(round(seconds * RATE)) / RATE
    x = np.clip(1.5 * np.sin(2 * np.pi * 220 * t), -1.0, 1.0)
    sf.write(str(path), np.column_stack([x, x]), RATE, subtype="PCM_24")
    return path


def test_check_lists_findings_and_exits_1_on_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    loud = clipped_file(tmp_path / "loud.wav")
    short = tone_file(tmp_path / "short.wav", -20.0, seconds=2.0)
    session_path = tmp_path / "album.json"
    assert main(["new", str(session_path), str(loud), str(short)]) == 0
    capsys.readouterr()
    # Without CD rules: the clipping is a warning, so the exit status is 0.
    assert main(["check", str(session_path), "--json"]) == 0
    codes = {f["code"] for f in json.loads(capsys.readouterr().out)}
    assert "SOURCE-CLIPPING" in codes
    assert "CD-TRACK-TOO-SHORT" not in codes
    # With CD rules, a 2 s track is an error (Red Book: at least 4 s).
    assert main(["check", str(session_path), "--cd", "--json"]) == 1
    findings = json.loads(capsys.readouterr().out)
    short_track = next(f for f in findings if f["code"] == "CD-TRACK-TOO-SHORT")
    assert short_track["severity"] == "error"
    assert short_track["track_title"] == "short"


def test_render_writes_the_deliverables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = tone_file(tmp_path / "first.wav", -12.0)
    second = tone_file(tmp_path / "second.wav", -18.0)
    session_path = tmp_path / "album.json"
    assert main(["new", str(session_path), str(first), str(second), "--title", "Tones"]) == 0
    out = tmp_path / "out"
    assert main(["render", str(session_path), "--preset", "cd", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Tones.wav" in printed
    assert (out / "Tones.cue").is_file()
    assert (out / "01 first.wav").is_file()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["preset"] == "cd"
    assert len(manifest["files"]) == 4  # album, two tracks, CUE


def test_levels_prints_the_plan_and_the_platform_preview(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    loud = tone_file(tmp_path / "loud.wav", -10.0)
    quiet = tone_file(tmp_path / "quiet.wav", -20.0)
    session_path = tmp_path / "album.json"
    assert main(["new", str(session_path), str(loud), str(quiet)]) == 0
    assert main(["loudness", str(session_path), "--mode", "track", "--target", "-16"]) == 0
    capsys.readouterr()
    assert main(["levels", str(session_path), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    gains = [track["gain_db"] for track in document["plan"]["tracks"]]
    assert gains == [pytest.approx(-6.0, abs=0.1), pytest.approx(4.0, abs=0.1)]
    names = [platform["name"] for platform in document["platforms"]]
    assert names == ["Spotify", "Apple Music", "YouTube", "Amazon Music", "Tidal", "Deezer"]


def test_vinyl_plans_checks_and_writes_the_sides(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    t = np.arange(8 * RATE) / RATE
    bass = 0.25 * np.sin(2 * np.pi * 55 * t)
    clean = tmp_path / "clean.wav"
    faulty = tmp_path / "faulty.wav"
    sf.write(str(clean), np.column_stack([bass, bass]), RATE, subtype="PCM_24")
    sf.write(str(faulty), np.column_stack([bass, -bass]), RATE, subtype="PCM_24")
    session_path = tmp_path / "album.json"
    assert main(["new", str(session_path), str(clean), str(faulty)]) == 0
    capsys.readouterr()
    out = tmp_path / "sides"
    code = main(["vinyl", str(session_path), "--format", "7-45", "--json", "--out", str(out)])
    assert code == 1  # the anti-phase bass is an error
    document = json.loads(capsys.readouterr().out)
    assert document["format"] == "7in-45"
    assert "Proposed split" in document["note"]
    errors = [f for f in document["findings"] if f["severity"] == "error"]
    assert [f["code"] for f in errors] == ["VINYL-LOWEND-ANTIPHASE"]
    assert errors[0]["track_title"] == "faulty"
    side = document["sides"][0]
    assert Path(side["file"]).is_file()
    assert sf.info(side["file"]).subtype == "PCM_24"
    assert side["groove"]["fits"] is True
