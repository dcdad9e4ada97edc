"""The seam audition: placed and rendered like the album, and ``runout audition``."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from sequencer import edits
from sequencer.audition import render_seam, seam_timeline
from sequencer.errors import SessionError
from sequencer.render import OutputFile, render
from sequencer.session import Curve, Session
from sequencer.store import load_session, save_session
from sequencer.timeline import album_timeline, probe_sources
from tests.tui_support import RATE, small_session
from tui.cli import main

# Two 24-bit renders with different dither differ by a couple of LSBs at most.
DITHER_TOLERANCE = 4 / 2**23


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNOUT_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def session_path(tmp_path: Path) -> Path:
    """Four seeded tracks of 4, 5, 3 and 4 s, 2 s pauses."""
    return small_session(tmp_path / "album")


def test_a_pause_seam_holds_the_seconds_asked_for(session_path: Path) -> None:
    session = load_session(session_path)
    second = session.order[1]
    seam = seam_timeline(session, probe_sources(session.tracks), second, before_s=1.0, after_s=1.5)
    assert seam.timeline.sample_rate == RATE
    assert seam.seam_s == pytest.approx(1.0 + 2.0)  # 1 s of the track before, 2 s pause
    assert seam.timeline.length == round((1.0 + 2.0 + 1.5) * RATE)
    assert "pause 2 s" in seam.description


def test_a_crossfade_seam_adds_the_overlap_on_both_sides(session_path: Path) -> None:
    session = load_session(session_path)
    second = session.order[1]
    session = edits.set_crossfade(session, second, 1.5, Curve("linear"))
    seam = seam_timeline(session, probe_sources(session.tracks), second, before_s=1.0, after_s=1.0)
    assert seam.seam_s == pytest.approx(1.0)  # the crossfade starts after 1 s
    assert seam.timeline.length == round((1.0 + 1.5 + 1.0) * RATE)
    assert "crossfade 1.5 s, linear" in seam.description


def test_the_first_track_and_negative_lengths_are_refused(session_path: Path) -> None:
    session = load_session(session_path)
    sources = probe_sources(session.tracks)
    with pytest.raises(SessionError, match="first track"):
        seam_timeline(session, sources, session.order[0])
    with pytest.raises(SessionError, match="seconds before"):
        seam_timeline(session, sources, session.order[1], before_s=-1.0)


def album_samples(session: Session, folder: Path) -> tuple[np.ndarray, dict[str, int]]:
    """Render the whole album at 0 dB; return its samples and the track starts."""
    timeline = album_timeline(session, probe_sources(session.tracks))
    path = folder / "album.wav"
    render(timeline, {}, [OutputFile(path, 0, timeline.length, 24)], seed=1)
    data, _rate = sf.read(str(path))
    return data, {p.track_id: p.start for p in timeline.placements}


def test_the_seam_is_what_the_album_holds_there(session_path: Path, tmp_path: Path) -> None:
    session = load_session(session_path)
    third = session.order[2]
    session = edits.set_crossfade(session, third, 1.0, Curve("equal-power"))
    album, starts = album_samples(session, tmp_path)
    seam = render_seam(session, probe_sources(session.tracks), third, path=tmp_path / "seam.wav")
    heard, rate = sf.read(str(seam.path))
    assert rate == RATE
    offset = starts[third] - round(seam.seam_s * RATE)
    np.testing.assert_allclose(
        heard, album[offset : offset + len(heard)], rtol=0, atol=DITHER_TOLERANCE
    )


def test_runout_audition_writes_the_seam_and_prints_json(
    session_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "seam.wav"
    argv = ["audition", str(session_path), "2", "--before", "1", "--after", "1"]
    assert main([*argv, "--out", str(out), "--json", "--workers", "1"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["file"] == str(out)
    assert document["seam_s"] == pytest.approx(3.0)
    assert sf.info(str(out)).frames == round(4.0 * RATE)


def test_runout_audition_plays_with_the_stand_in_player(
    session_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    heard = tmp_path / "heard.wav"
    copy = f"import shutil, sys; shutil.copy(sys.argv[1], {str(heard)!r})"
    player = shlex.join([sys.executable, "-c", copy])
    argv = ["audition", str(session_path), "3", "--after", "0.5", "--workers", "1"]
    assert main([*argv, "--play", "--player", player]) == 0
    output = capsys.readouterr().out
    assert "playing with" in output
    assert sf.info(str(heard)).frames > 0
    assert "file:" not in output  # a temporary file, removed after playing


def test_runout_audition_says_plainly_when_there_is_no_player(
    session_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("RUNOUT_PLAYER", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    argv = ["audition", str(session_path), "2", "--play", "--workers", "1"]
    assert main(argv) == 1
    message = capsys.readouterr().err
    assert "No audio player found" in message
    kept = Path(message.rsplit("The seam is in ", 1)[1].strip())
    assert kept.is_file()  # nothing played, but the seam is not thrown away
    kept.unlink()
    kept.parent.rmdir()


def test_runout_audition_refuses_a_failing_player(
    session_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    failing = shlex.join([sys.executable, "-c", "import sys; sys.exit('no sound device')"])
    argv = ["audition", str(session_path), "2", "--play", "--player", failing, "--workers", "1"]
    assert main(argv) == 1
    assert "no sound device" in capsys.readouterr().err


def test_parked_tracks_are_not_auditioned(session_path: Path, tmp_path: Path) -> None:
    session = load_session(session_path)
    parked = edits.set_order(session, session.order[:3])
    save_session(parked, session_path)
    argv = ["audition", str(session_path), f"id:{session.order[3]}", "--workers", "1"]
    assert main(argv) == 1
