"""The vinyl job: the checks that ride on the side render equal a separate check pass."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from sequencer import edits
from sequencer.analysis import TrackAnalysis, analyse_file
from sequencer.session import Session, new_session
from sequencer.timeline import probe_sources
from vinyl.workflow import check_vinyl, make_vinyl, plan_vinyl

RATE = 44100


def clipped_album(tmp_path: Path) -> tuple[Session, dict[str, TrackAnalysis]]:
    """Two hot, clipped tracks with wide low end: mono-below lifts their peaks."""
    rng = np.random.default_rng(3)
    paths = []
    for index in range(2):
        t = np.arange(RATE * 3) / RATE
        left = 1.6 * np.sin(2 * np.pi * 60 * t) + 0.4 * rng.standard_normal(t.size)
        right = 1.6 * np.sin(2 * np.pi * 60 * t + 2.0) + 0.4 * rng.standard_normal(t.size)
        audio = np.clip(np.column_stack([left, right]), -1.0, 1.0)
        path = tmp_path / f"hot{index}.wav"
        sf.write(str(path), audio, RATE, subtype="PCM_24")
        paths.append(path)
    session = new_session(paths, title="Hot", artist="Tester")
    session = edits.set_vinyl(session, mono_below_hz=150.0)
    # A target this loud leaves the ceiling to set the gains: peaks at -1 dBTP before
    # the processing, which then lifts them.
    session = edits.set_loudness_policy(session, target_lufs=-5.0)
    for track in session.ordered_tracks():
        session = edits.assign_side(session, track.id, "A")
    analyses = {track.id: analyse_file(track.path) for track in session.tracks}
    return session, analyses


def test_checks_on_the_render_equal_a_check_without_files(tmp_path: Path) -> None:
    session, analyses = clipped_album(tmp_path)
    plan = plan_vinyl(session, probe_sources(session.ordered_tracks()))
    checked = check_vinyl(session, plan, analyses=analyses)
    made = make_vinyl(
        session,
        plan,
        tmp_path / "out",
        analyses=analyses,
        cutsheet=False,
    )
    assert len(checked) == len(made.reports) == 1
    alone, rendered = checked[0], made.reports[0]
    # The ceiling correction applies to both: the side is checked at the level it is cut.
    manifest = json.loads(made.files.manifest.read_text())
    assert manifest["level"]["ceiling_correction_db"] < -0.5
    assert rendered.true_peak_dbtp is not None
    assert rendered.true_peak_dbtp <= -1.0 + 1e-6
    assert alone.true_peak_dbtp == pytest.approx(rendered.true_peak_dbtp, abs=1e-9)
    assert alone.groove.space_mm == pytest.approx(rendered.groove.space_mm, rel=1e-12)
    assert alone.fitting_cut_level_db == pytest.approx(rendered.fitting_cut_level_db, abs=1e-9)
    assert [f.code for f in alone.findings] == [f.code for f in rendered.findings]
    # The file's own true peak agrees with the metered mix.
    (path,) = made.files.files.values()
    measured = analyse_file(path).true_peak_dbtp
    assert measured == pytest.approx(made.files.true_peak_dbtp["A"], abs=0.01)
