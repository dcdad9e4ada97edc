"""Editing a session from the command line: show, order, move, pause, crossfade, track, ..."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from sequencer.session import Crossfade, Curve, FileFormat, LoudnessMode, Session, new_session
from sequencer.store import load_session, save_session
from sequencer.timeline import album_timeline, probe_sources
from tui import cli, edit_commands

RATE = 44100
LENGTHS_S = {"alpha": 2.0, "bravo": 3.0, "charlie": 4.0}


@pytest.fixture(autouse=True)
def wired(monkeypatch: pytest.MonkeyPatch) -> None:
    """Use ``tui.cli.main`` with the edit commands, whether or not the lead has wired them yet."""
    original = cli.build_parser

    def build() -> argparse.ArgumentParser:
        parser = original()
        commands = next(
            action for action in parser._actions if isinstance(action, argparse._SubParsersAction)
        )
        if "show" not in commands.choices:
            edit_commands.register(commands)
        return parser

    monkeypatch.setattr(cli, "build_parser", build)


def tone(path: Path, seconds: float, frequency: float = 440.0) -> Path:
    t = np.arange(round(seconds * RATE)) / RATE
    x = 0.25 * np.sin(2 * np.pi * frequency * t)
    sf.write(str(path), np.column_stack([x, x]), RATE, subtype="PCM_16")
    return path


@pytest.fixture
def album(tmp_path: Path) -> Path:
    """Three tracks alpha (2 s), bravo (3 s), charlie (4 s), 2 s pauses, in album.json."""
    paths = [tone(tmp_path / f"{name}.wav", s) for name, s in LENGTHS_S.items()]
    path = tmp_path / "album.json"
    save_session(new_session(paths, title="Album", artist="Band"), path)
    return path


def run(*argv: str | Path) -> int:
    return cli.main([str(a) for a in argv])


def edit(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> str:
    """Run an editing command that must succeed; return its one line of output."""
    capsys.readouterr()  # forget the output of earlier set-up commands
    code = run(*argv)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    lines = captured.out.strip().splitlines()
    assert len(lines) == 1, captured.out
    return lines[0]


def show(capsys: pytest.CaptureFixture[str], path: Path) -> dict:
    capsys.readouterr()
    assert run("show", path, "--json") == 0
    return json.loads(capsys.readouterr().out)


# --------------------------------------------------------------------------- show


def test_show_json_start_times_match_the_album_timeline(
    album: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run("crossfade", album, "charlie", "1.5", "--curve", "s-curve")
    run("track", album, "bravo", "--trim-in", "0.5", "--fade-out", "1")
    run("pause", album, "1", "0.25")
    data = show(capsys, album)
    session = load_session(album)
    timeline = album_timeline(session, probe_sources(session.ordered_tracks()))
    assert [t["id"] for t in data["tracks"]] == ["alpha", "bravo", "charlie"]
    assert [t["position"] for t in data["tracks"]] == [1, 2, 3]
    for entry, placement in zip(data["tracks"], timeline.placements, strict=True):
        assert set(entry) == set(edit_commands.TRACK_JSON_KEYS)
        assert entry["start_samples"] == placement.start
        assert entry["length_samples"] == placement.length
        assert entry["start_s"] == pytest.approx(placement.start / RATE, abs=1e-6)
    assert data["tracks"][0]["start_s"] == pytest.approx(0.25)
    assert data["tracks"][1]["start_s"] == pytest.approx(0.25 + 2.0 + 2.0)
    assert data["tracks"][1]["duration_s"] == pytest.approx(2.5)
    assert data["tracks"][2]["crossfade_s"] == 1.5
    assert data["tracks"][2]["crossfade_curve"] == "s-curve"
    assert data["tracks"][2]["pause_before_s"] is None
    assert data["length_samples"] == timeline.length
    assert data["album"]["title"] == "Album"
    assert data["loudness"]["target_lufs"] == -14.0
    assert data["missing_sources"] == []
    assert data["timeline_error"] is None
    assert data["problems"] == []


def test_show_table_and_a_missing_source(album: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("show", album) == 0
    table = capsys.readouterr().out
    for text in ("Band — Album", "alpha", "charlie", "0:04.000", "total 0:13.000"):
        assert text in table
    missing = album.parent / "bravo.wav"
    missing.unlink()
    assert run("show", album) == 0
    table = capsys.readouterr().out
    assert "charlie" in table
    assert f"no times: cannot read {missing}" in table
    data = show(capsys, album)
    assert data["missing_sources"] == [str(missing)]
    assert all(t["start_s"] is None for t in data["tracks"])
    assert [t["title"] for t in data["tracks"]] == ["alpha", "bravo", "charlie"]


# --------------------------------------------------------------------------- running order


def test_move_by_id_and_by_position(album: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = edit(capsys, "move", album, "charlie", "1")
    assert line == 'album.json: moved "charlie" 3 -> 1'.replace("album.json", str(album))
    assert load_session(album).order == ("charlie", "alpha", "bravo")
    edit(capsys, "move", album, "3", "2")
    assert load_session(album).order == ("charlie", "bravo", "alpha")


def test_order_sets_a_permutation_and_a_subset_parks_the_rest(
    album: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run("crossfade", album, "bravo", "1")
    edit(capsys, "order", album, "3", "alpha", "bravo")
    session = load_session(album)
    assert session.order == ("charlie", "alpha", "bravo")
    assert session.crossfades == (Crossfade(from_track="alpha", to_track="bravo", seconds=1.0),)
    line = edit(capsys, "order", album, "bravo", "charlie")
    assert 'parked "alpha"' in line
    session = load_session(album)
    assert session.order == ("bravo", "charlie")
    assert [t.id for t in session.tracks] == ["alpha", "bravo", "charlie"]
    assert session.crossfades == ()
    line = edit(capsys, "move", album, "alpha", "2")
    assert 'placed "alpha" at 2' in line
    assert load_session(album).order == ("bravo", "alpha", "charlie")


# --------------------------------------------------------------------------- pauses and crossfades


def test_pause_by_position_id_first_and_default(
    album: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = edit(capsys, "pause", album, "2", "0.5")
    assert line == f'{album}: pause before 2 "bravo" default (2.0 s) -> 0.5 s'
    assert load_session(album).transition_into("bravo") == 0.5
    line = edit(capsys, "pause", album, "alpha", "1")
    assert line == f"{album}: pause before the first track 0.0 s -> 1.0 s"
    assert load_session(album).pause_before_first_s == 1.0
    edit(capsys, "pause", album, "--default", "3", "--first", "0")
    session = load_session(album)
    assert (session.default_pause_s, session.pause_before_first_s) == (3.0, 0.0)
    assert session.transition_into("charlie") == 3.0
    edit(capsys, "pause", album, "bravo", "default")
    assert load_session(album).track("bravo").pause_before_s is None


def test_crossfade_set_change_curve_and_remove(
    album: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = edit(capsys, "crossfade", album, "3", "1.5")
    assert line == f'{album}: crossfade into 3 "charlie" none -> 1.5 s equal-power'
    assert load_session(album).transition_into("charlie") == Crossfade(
        from_track="bravo", to_track="charlie", seconds=1.5
    )
    edit(capsys, "crossfade", album, "charlie", "--curve", "linear")
    crossfade = load_session(album).transition_into("charlie")
    assert isinstance(crossfade, Crossfade)
    assert (crossfade.seconds, crossfade.curve) == (1.5, Curve.LINEAR)
    edit(capsys, "crossfade", album, "charlie", "--remove")
    assert load_session(album).transition_into("charlie") == 2.0


def test_pause_replaces_a_crossfade(album: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run("crossfade", album, "bravo", "1")
    line = edit(capsys, "pause", album, "bravo", "0")
    assert "crossfade into 2" in line
    assert load_session(album).transition_into("bravo") == 0.0


# --------------------------------------------------------------------------- one track


def test_offset_takes_a_negative_number(album: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = edit(capsys, "offset", album, "2", "-4")
    assert line == f'{album}: 2 "bravo": offset 0.0 LU -> -4.0 LU'
    assert load_session(album).track("bravo").offset_lu == -4.0


def test_track_metadata_trims_and_fades(album: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(
        capsys,
        *("track", album, "charlie", "--title", "Dead Wax", "--artist", "Guest"),
        *("--isrc", "gb-ajy-24-00003", "--trim-in", "0.5", "--trim-out", "3.5"),
        *("--fade-in", "0.25", "--fade-out", "1", "--fade-out-curve", "s-curve"),
    )
    track = load_session(album).track("charlie")
    assert (track.title, track.artist, track.isrc) == ("Dead Wax", "Guest", "GBAJY2400003")
    assert (track.trim_in_s, track.trim_out_s) == (0.5, 3.5)
    assert (track.fade_in.seconds, track.fade_in.curve) == (0.25, Curve.LINEAR)
    assert (track.fade_out.seconds, track.fade_out.curve) == (1.0, Curve.S_CURVE)
    edit(capsys, "track", album, "3", "--isrc", "none", "--artist", "", "--trim-out", "end")
    track = load_session(album).track("charlie")
    assert (track.isrc, track.artist, track.trim_out_s, track.trim_in_s) == (None, None, None, 0.5)
    edit(capsys, "track", album, "3", "--fade-curve", "equal-power")
    track = load_session(album).track("charlie")
    assert track.fade_in.curve == track.fade_out.curve == Curve.EQUAL_POWER
    assert track.fade_out.seconds == 1.0


# --------------------------------------------------------------------------- whole parts


def test_album_loudness_and_delivery(album: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(
        capsys,
        *("album", album, "--title", "Runout", "--label", "Groove", "--catalogue", "RUN-001"),
        *("--upc", "0 12345 67890 5", "--year", "2024"),
    )
    session = load_session(album)
    assert session.album.title == "Runout"
    assert (session.album.label, session.album.catalogue_number) == ("Groove", "RUN-001")
    assert (session.album.upc_ean, session.album.year) == ("012345678905", 2024)
    edit(capsys, "album", album, "--upc", "none", "--year", "none", "--label", "")
    session = load_session(album)
    assert (session.album.upc_ean, session.album.year, session.album.label) == (None, None, None)

    line = edit(capsys, "loudness", album, "--mode", "anchor", "--target", "-16", "--limiter")
    assert "loudness target -14.0 LUFS -> -16.0 LUFS" in line
    policy = load_session(album).loudness
    assert (policy.mode, policy.target_lufs, policy.limiter_allowed) == (
        LoudnessMode.ANCHOR,
        -16.0,
        True,
    )
    edit(capsys, "loudness", album, "--ceiling", "-2", "--no-limiter")
    policy = load_session(album).loudness
    assert (policy.true_peak_ceiling_dbtp, policy.limiter_allowed) == (-2.0, False)

    edit(capsys, "delivery", album, "--rate", "48000", "--bits", "16", "--format", "flac")
    edit(capsys, "delivery", album, "--rate", "44100", "--cd-align")
    delivery = load_session(album).delivery
    assert (delivery.sample_rate, delivery.bit_depth, delivery.file_format) == (
        44100,
        16,
        FileFormat.FLAC,
    )
    assert delivery.cd_alignment


# --------------------------------------------------------------------------- adding and removing


def test_add_at_a_position_and_remove_by_position(
    album: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = tone(album.parent / "bonus_cut.wav", 1.0, 880.0)
    line = edit(capsys, "add", album, extra, "--at", "2", "--title", "Bonus")
    assert 'added 2 "Bonus"' in line
    session = load_session(album)
    assert session.order == ("alpha", "bonus-cut", "bravo", "charlie")
    assert session.track("bonus-cut").path == extra.resolve()
    edit(capsys, "remove", album, "1", "4")  # positions before the edit
    assert load_session(album).order == ("bonus-cut", "bravo")


def test_sides_and_vinyl_plan(album: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(capsys, "side", album, "1", "2", "--on", "A")
    edit(capsys, "side", album, "charlie", "--on", "B")
    edit(capsys, "side", album, "charlie", "--on", "A", "--at", "1")
    sides = load_session(album).vinyl.sides
    assert [(s.name, s.track_ids) for s in sides] == [
        ("A", ("charlie", "alpha", "bravo")),
        ("B", ()),
    ]
    edit(capsys, "side", album, "alpha", "--off")
    assert load_session(album).vinyl.sides[0].track_ids == ("charlie", "bravo")
    edit(
        capsys,
        *("vinyl-plan", album, "--disc", "12in-45", "--pause", "1.5", "--subsonic", "20"),
        *("--pause-before", "2", "3", "--mono-below", "150"),
    )
    vinyl = load_session(album).vinyl
    assert (vinyl.disc_format, vinyl.pause_s, vinyl.subsonic_hz, vinyl.mono_below_hz) == (
        "12in-45",
        1.5,
        20.0,
        150.0,
    )
    assert [(p.track_id, p.seconds) for p in vinyl.pause_overrides] == [("bravo", 3.0)]
    edit(capsys, "vinyl-plan", album, "--pause-before", "bravo", "default", "--subsonic", "off")
    vinyl = load_session(album).vinyl
    assert (vinyl.pause_overrides, vinyl.subsonic_hz) == ((), None)


# --------------------------------------------------------------------------- saving


def test_the_backup_keeps_the_previous_version(
    album: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    original = album.read_bytes()
    edit(capsys, "pause", album, "2", "0.5")
    assert album.with_name("album.json.bak").read_bytes() == original
    first_edit = album.read_bytes()
    edit(capsys, "offset", album, "3", "-2")
    assert album.with_name("album.json.bak").read_bytes() == first_edit


def test_dry_run_and_no_change_do_not_write(
    album: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    original = album.read_bytes()
    line = edit(capsys, "pause", album, "2", "0.5", "--dry-run")
    assert line.startswith(f"{album}: would change: pause before 2")
    assert line.endswith("(dry run, not saved)")
    assert edit(capsys, "pause", album, "2", "default") == f"{album}: no change"
    assert album.read_bytes() == original
    assert not album.with_name("album.json.bak").exists()


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["pause", "zulu", "1"], ['"zulu"', "no track has that id"]),
        (["pause", "7", "1"], ['"7"', "positions go from 1 to 3"]),
        (["pause", "bravo", "-1"], ['"bravo"', "pause_before_s", "at least 0"]),
        (["pause", "bravo", "soon"], ['"bravo"', '"soon" is not a number']),
        (["crossfade", "1", "2"], ['"alpha"', "first", "no track to crossfade from"]),
        (["crossfade", "2", "2", "--curve", "wobbly"], ['"bravo"', "curve", '"wobbly"']),
        (["track", "3", "--isrc", "GB-AJY-24-0001"], ['"charlie"', "isrc", "not a valid ISRC"]),
        (["track", "3", "--trim-out", "9"], ['"charlie"', "trim_out_s", "past the end"]),
        (["crossfade", "2", "5"], ['"bravo"', "crossfade", "longer"]),
        (["album", "--upc", "012345678906"], ["upc_ean", "check digit"]),
        (["album", "--year", "1066"], ["year", "at least 1877"]),
        (["delivery", "--bits", "20"], ["bit_depth", "16, 24 or 32"]),
        (["move", "charlie", "9"], ['"charlie"', "position 9", "1 to 3"]),
        (["order", "1", "alpha"], ['"alpha"', "listed twice"]),
        (["offset", "2", "-60"], ['"bravo"', "offset_lu", "at least -40"]),
        (["loudness", "--mode", "loud"], ["loudness mode", "album, track, anchor"]),
        (["track", "2"], ["nothing to change"]),
    ],
)
def test_bad_input_is_one_line_exit_1_and_the_file_is_unchanged(
    album: Path, capsys: pytest.CaptureFixture[str], argv: list[str], words: list[str]
) -> None:
    original = album.read_bytes()
    capsys.readouterr()
    assert run(argv[0], album, *argv[1:]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(f"runout: error: {album}: ")
    for word in words:
        assert word in lines[0]
    assert album.read_bytes() == original
    assert not album.with_name("album.json.bak").exists()


def test_unreadable_audio_is_refused_by_add(
    album: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    original = album.read_bytes()
    assert run("add", album, album.parent / "nowhere.wav") == 1
    assert "nowhere.wav" in capsys.readouterr().err
    assert album.read_bytes() == original


def test_a_number_that_is_an_id_and_another_position_is_ambiguous(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = [tone(tmp_path / f"{n}.wav", 1.0) for n in "123"]
    path = tmp_path / "numbers.json"
    save_session(new_session(paths, title="Numbers"), path)
    edit(capsys, "move", path, "3", "1")  # id "3" is position 3: no ambiguity
    assert load_session(path).order == ("3", "1", "2")
    original = path.read_bytes()
    assert run("offset", path, "2", "-1") == 1
    error = capsys.readouterr().err
    assert "ambiguous" in error
    assert "@2" in error
    assert path.read_bytes() == original
    edit(capsys, "offset", path, "@2", "-1")
    edit(capsys, "offset", path, "id:2", "-2")
    session: Session = load_session(path)
    assert (session.track("1").offset_lu, session.track("2").offset_lu) == (-1.0, -2.0)


def test_edits_are_checked_against_the_audio_only_when_it_can_be_read(
    album: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (album.parent / "charlie.wav").unlink()
    assert run("track", album, "charlie", "--trim-out", "9") == 0
    assert load_session(album).track("charlie").trim_out_s == 9.0
    captured = capsys.readouterr()
    assert "trim out end -> 9.0 s" in captured.out
    assert "not checked against the audio" in captured.err


def test_every_command_has_examples_in_its_help(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("show", "order", "move", "pause", "crossfade", "offset", "track"):
        with pytest.raises(SystemExit) as stop:
            run(command, "--help")
        assert stop.value.code == 0
        assert f"runout {command} album.json" in capsys.readouterr().out
    for command in ("loudness", "album", "delivery", "add", "remove", "side", "vinyl-plan"):
        with pytest.raises(SystemExit):
            run(command, "--help")
        assert "examples:" in capsys.readouterr().out


def test_a_problem_already_in_the_session_does_not_block_other_edits(
    album: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    charlie = album.parent / "charlie.wav"
    charlie.unlink()
    assert run("track", album, "charlie", "--trim-out", "9") == 0
    tone(charlie, LENGTHS_S["charlie"])
    edit(capsys, "offset", album, "charlie", "-1")
    assert run("track", album, "bravo", "--trim-out", "9") == 1
    assert '"bravo"' in capsys.readouterr().err
    data = show(capsys, album)
    assert len(data["problems"]) == 1
    assert '"charlie"' in data["problems"][0]
    assert "trim_out_s" in data["problems"][0]
    assert run("show", album) == 0
    assert 'problem: track "charlie"' in capsys.readouterr().out
