"""Faults: a full disk, a killed or cancelled job, a changed source, two saving processes.

The disk-full cases run in a child process with a file-size limit
(``RLIMIT_FSIZE``, ``SIGXFSZ`` ignored), so writes fail with the operating
system's real error part-way through, as on a full disk.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import soundfile as sf

from sequencer.batch import analyse_sources
from sequencer.cache import AnalysisCache
from sequencer.deliver import Preset, deliver
from sequencer.edits import set_title, set_vinyl
from sequencer.errors import Cancelled, SessionError
from sequencer.session import new_session
from sequencer.store import load_session, save_session
from tests.signals import pink_noise

RATE = 44100
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def album(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Write three short tracks and their session; return the session path."""
    monkeypatch.setenv("RUNOUT_CACHE_DIR", str(tmp_path / "cache"))
    paths = []
    for number, seconds in enumerate((6.0, 5.0, 7.0), start=1):
        path = tmp_path / f"track{number}.wav"
        sf.write(
            path, pink_noise(seconds, RATE, seed=number, dbfs_rms=-20.0), RATE, subtype="PCM_24"
        )
        paths.append(path)
    session_path = tmp_path / "album.json"
    save_session(new_session(paths, title="Faults"), session_path)
    return session_path


def run_limited(args: list[str], limit_bytes: int, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``python ARGS`` with every file it writes limited to *limit_bytes*."""
    import resource

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        preexec_fn=limit,
        timeout=120,
        check=False,
    )


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


# --------------------------------------------------------------------------- disk full


def test_disk_full_while_saving_keeps_the_previous_session(album: Path) -> None:
    before = album.read_bytes()
    listing = files_under(album.parent)
    code = (
        "import sys\n"
        "from sequencer.edits import set_vinyl\n"
        "from sequencer.errors import SessionError\n"
        "from sequencer.store import load_session, save_session\n"
        f"path = {str(album)!r}\n"
        "session = set_vinyl(load_session(path), cutting_notes='n' * 2000)\n"
        "try:\n"
        "    save_session(session, path)\n"
        "except SessionError as error:\n"
        "    print(error)\n"
        "    sys.exit(3)\n"
    )
    result = run_limited(["-c", code], limit_bytes=len(before) + 100, cwd=album.parent)
    assert result.returncode == 3, result.stderr
    assert result.stdout.strip() == f"Cannot save the session to {album}: File too large"
    assert album.read_bytes() == before
    assert files_under(album.parent) == listing  # no temporary file, no backup written


def test_disk_full_while_rendering_leaves_no_output_under_a_final_name(album: Path) -> None:
    out = album.parent / "out"
    # Analyse first (cache entries are small), then render with a limit the CD image exceeds.
    subprocess.run(
        [sys.executable, "-m", "tui.cli", "analyze", str(album), "--workers", "1"],
        cwd=album.parent,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        check=True,
    )
    args = ["-m", "tui.cli", "render", str(album), "--preset", "cd", "--out", str(out)]
    result = run_limited([*args, "--workers", "1"], limit_bytes=400_000, cwd=album.parent)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("runout: error: ")
    assert "File too large" in lines[0]
    assert str(out) in lines[0]
    assert not out.exists() or files_under(out) == []


# --------------------------------------------------------------------------- killed and cancelled


def test_a_cancelled_render_leaves_no_output_and_a_consistent_cache(album: Path) -> None:
    session = load_session(album)
    cache = AnalysisCache()
    analyses = {t.id: a for t, a in zip(session.tracks, analyse_sources(
        [t.path for t in session.tracks], cache=cache, workers=1), strict=True)}  # fmt: skip
    cancel = threading.Event()
    calls = []

    def progress(done: float, total: float, label: str) -> None:
        calls.append(done)
        if len(calls) == 3:
            cancel.set()

    with pytest.raises(Cancelled):
        deliver(session, album.parent / "out", preset=Preset.CD, analyses=analyses, cache=cache,
                progress=progress, cancel=cancel)  # fmt: skip
    out = album.parent / "out"
    assert not out.exists() or files_under(out) == []
    # Every cache entry is complete and served; a new render gives the full result.
    for entry in cache.directory.glob("*.json"):
        json.loads(entry.read_text(encoding="utf-8"))
    for track in session.tracks:
        assert cache.get(track.path) is not None
    result = deliver(session, out, preset=Preset.CD, analyses=analyses, cache=cache)
    assert result.album_file.exists()
    assert files_under(cache.directory) == sorted(
        p.name for p in cache.directory.glob("*.json")
    )  # no temporary entries left


def test_an_analysis_killed_midway_leaves_the_cache_readable(album: Path) -> None:
    long_track = album.parent / "long.wav"
    # Ten minutes (a ten-second stretch repeated): long enough that the kill lands mid-analysis.
    stretch = pink_noise(10.0, RATE, seed=9, dbfs_rms=-20.0)
    with sf.SoundFile(long_track, "w", RATE, 2, "PCM_16") as handle:
        for _ in range(60):
            handle.write(stretch)
    cache_dir = album.parent / "cache"
    process = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "analyze", str(long_track), "--workers", "1"],
        cwd=album.parent,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.5)
    process.kill()
    assert process.wait() == -signal.SIGKILL  # killed midway, not finished before the kill
    assert AnalysisCache(cache_dir).get(long_track) is None  # nothing half-written is served


# --------------------------------------------------------------------------- a changed source


def test_a_source_changed_after_analysis_is_analysed_again_and_the_user_told(
    album: Path,
) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [sys.executable, "-m", "tui.cli", "analyze", str(album), "--json", "--workers", "1"]
    first = subprocess.run(args, cwd=album.parent, env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    source = album.parent / "track2.wav"
    sf.write(
        source, pink_noise(5.0, RATE, seed=2, dbfs_rms=-26.0206), RATE, subtype="PCM_24"
    )  # -6 dB
    second = subprocess.run(args, cwd=album.parent, env=env, capture_output=True, text=True)
    assert second.returncode == 0, second.stderr
    assert f"{source} changed since it was analysed; analysing it again" in second.stderr
    before = json.loads(first.stdout)[1]["integrated_lufs"]
    after = json.loads(second.stdout)[1]["integrated_lufs"]
    assert after == pytest.approx(before - 6.02, abs=0.05)
    third = subprocess.run(args, cwd=album.parent, env=env, capture_output=True, text=True)
    assert "changed since" not in third.stderr  # told once, then cached again


# --------------------------------------------------------------------------- two processes


def test_a_save_over_a_session_changed_by_another_process_is_refused(album: Path) -> None:
    mine = load_session(album)
    # Another runout (here: another process) loads, edits and saves the same file.
    code = (
        "from sequencer.edits import set_title\n"
        "from sequencer.store import load_session, save_session\n"
        f"path = {str(album)!r}\n"
        "save_session(set_title(load_session(path), 'track1', 'Theirs'), path)\n"
    )
    subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True
    )
    theirs = album.read_bytes()
    with pytest.raises(SessionError, match="changed on disk since it was loaded") as caught:
        save_session(set_title(mine, "track2", "Mine"), album)
    assert str(album) in str(caught.value)
    assert album.read_bytes() == theirs  # their decision is kept
    # Saving anyway is explicit.
    save_session(set_title(mine, "track2", "Mine"), album, overwrite_changes=True)
    assert load_session(album).track("track2").title == "Mine"


def test_consecutive_saves_in_one_process_are_not_refused(album: Path) -> None:
    session = load_session(album)
    for notes in ("one", "two", "three"):
        session = set_vinyl(session, cutting_notes=notes)
        save_session(session, album)
    assert load_session(album).vinyl.cutting_notes == "three"


def test_an_untracked_file_is_overwritten_as_before(tmp_path: Path) -> None:
    path = tmp_path / "new.json"
    path.write_text("{}")  # never loaded by this process: saving replaces it (as `new --force`)
    session = new_session([tmp_path / "a.wav"], title="T")
    save_session(session, path)
    assert load_session(path) == session


def test_same_size_change_within_the_same_second_is_detected(album: Path) -> None:
    session = load_session(album)
    data = album.read_bytes()
    stat = album.stat()
    changed = data.replace(b'"Faults"', b'"Fau1ts"')
    assert len(changed) == len(data)
    album.write_bytes(changed)
    os.utime(album, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size, same mtime
    with pytest.raises(SessionError, match="changed on disk"):
        save_session(session, album)
    assert album.read_bytes() == changed
