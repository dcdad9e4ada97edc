"""``runout demo`` end to end, as CI runs it: no terminal, a fresh folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from samples.demo_album import DEMO_TRACKS
from samples.demo_session import SESSION_NAME


def test_demo_builds_the_album_and_reports_its_planted_faults(tmp_path: Path) -> None:
    env = {**os.environ, "RUNOUT_CACHE_DIR": str(tmp_path / "cache")}
    folder = tmp_path / "demo"
    result = subprocess.run(
        [sys.executable, "-m", "tui.cli", "demo", str(folder)],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    for track in DEMO_TRACKS:
        assert track.title in result.stdout
    session_path = folder / SESSION_NAME
    assert session_path.is_file()

    # The analysis of the session, as JSON, finds what the generator planted.
    analysis = subprocess.run(
        [sys.executable, "-m", "tui.cli", "analyze", str(session_path), "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    by_title = {entry["title"]: entry for entry in json.loads(analysis.stdout)}
    assert by_title["Brickwall"]["clipped_runs"] > 1000
    assert by_title["Brickwall"]["integrated_lufs"] > -9.0
    assert by_title["Centre Hole"]["dc_offset"][0] > 0.015
    assert by_title["Run-Out"]["trailing_silence_s"] > 20.0
    assert by_title["Paper Sleeve"]["integrated_lufs"] < -19.0
    assert by_title["Paper Sleeve"]["loudness_range_lu"] > 10.0
    clean = by_title["Lead-In Groove"]
    assert clean["clipped_runs"] == 0
    assert clean["true_peak_dbtp"] < 0.0

    # The vinyl side files are written, and the side checks find the planted faults.
    manifest = json.loads((folder / "vinyl" / "vinyl_sides.json").read_text())
    assert len(manifest["sides"]) >= 2
    for side in manifest["sides"]:
        assert (folder / "vinyl" / side["file"]).is_file()
    findings = manifest["findings"]
    antiphase = [
        f for f in findings if f["code"] == "VINYL-LOWEND-ANTIPHASE" and f["severity"] == "error"
    ]
    assert [(f["track_title"], round(f["time_in_track_s"])) for f in antiphase] == [
        ("Elliptical", 60)
    ]
    sibilance = [
        f for f in findings if f["code"].startswith("VINYL-HF") and f["track_title"] == "Esses"
    ]
    assert sibilance
    assert abs(sibilance[0]["time_in_track_s"] - 48.5) < 0.5
    dc = [f for f in findings if f["code"] == "VINYL-DC-OFFSET"]
    assert [f["track_title"] for f in dc] == ["Centre Hole"]

    # The cut sheet is written beside the side files.
    cutsheet = folder / "vinyl" / "RUN001_cutsheet.pdf"
    assert f"cut sheet: {cutsheet}" in result.stdout.replace("\n", "")
    assert cutsheet.read_bytes().startswith(b"%PDF")

    # A second run reuses the album and the session (the user's edits survive).
    text = session_path.read_text()
    again = subprocess.run(
        [sys.executable, "-m", "tui.cli", "demo", str(folder)],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=600,
    )
    assert again.returncode == 0, again.stderr
    assert session_path.read_text() == text
