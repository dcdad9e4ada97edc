"""Pure session edits and the undo history."""

from __future__ import annotations

from pathlib import Path

import pytest

from sequencer import edits
from sequencer.errors import SessionError
from sequencer.session import Crossfade, Curve, LoudnessMode, Session, new_session


@pytest.fixture
def session(tmp_path: Path) -> Session:
    """Four tracks a, b, c, d; c has its own 5 s pause; a crossfade on the seam b -> c."""
    base = new_session([tmp_path / f"{name}.wav" for name in "abcd"], title="Album")
    base = edits.set_pause(base, "c", 5.0)
    base = edits.set_crossfade(base, "b", 3.0)
    base = edits.assign_side(base, "a", "A")
    base = edits.assign_side(base, "b", "A")
    base = edits.assign_side(base, "c", "B")
    return base


def seams(session: Session) -> list[tuple[str, str]]:
    return [(c.from_track, c.to_track) for c in session.crossfades]


def test_fixture_is_what_the_tests_assume(session: Session) -> None:
    assert session.order == ("a", "b", "c", "d")
    assert seams(session) == [("a", "b")]
    assert session.transition_into("c") == 5.0
    assert session.transition_into("b") == Crossfade(from_track="a", to_track="b", seconds=3.0)
    assert session.track("b").pause_before_s is None


def test_edits_never_mutate(session: Session) -> None:
    snapshot = session.model_dump()
    edits.move_track(session, "d", 0)
    edits.remove_track(session, "a")
    edits.set_title(session, "a", "New")
    edits.assign_side(session, "d", "B")
    assert session.model_dump() == snapshot


# --------------------------------------------------------------------------- running order


def test_move_changes_the_order_and_the_pause_moves_with_its_track(session: Session) -> None:
    moved = edits.move_track(session, "c", 1)
    assert moved.order == ("a", "c", "b", "d")
    assert moved.transition_into("c") == 5.0
    assert moved.transition_into("b") == moved.default_pause_s
    assert moved.transition_into("d") == moved.default_pause_s


def test_move_drops_crossfades_whose_tracks_are_no_longer_neighbours(session: Session) -> None:
    moved = edits.move_track(session, "a", 3)
    assert moved.order == ("b", "c", "d", "a")
    assert moved.crossfades == ()
    assert moved.transition_into("b") == moved.pause_before_first_s
    assert moved.transition_into("a") == moved.default_pause_s


def test_move_keeps_crossfades_whose_tracks_stay_neighbours(session: Session) -> None:
    moved = edits.move_track(session, "d", 0)
    assert moved.order == ("d", "a", "b", "c")
    assert seams(moved) == [("a", "b")]
    assert moved.transition_into("c") == 5.0


def test_move_out_of_range(session: Session) -> None:
    with pytest.raises(SessionError, match=r'move track "a" \("a"\) to position 4: .* 0 to 3'):
        edits.move_track(session, "a", 4)
    with pytest.raises(SessionError, match="position -1"):
        edits.move_track(session, "a", -1)
    with pytest.raises(SessionError, match='No track has id "zz"'):
        edits.move_track(session, "zz", 0)


def test_move_up_and_down(session: Session) -> None:
    assert edits.move_track_up(session, "c").order == ("a", "c", "b", "d")
    assert edits.move_track_down(session, "a").order == ("b", "a", "c", "d")
    assert edits.move_track_up(session, "a") is session
    assert edits.move_track_down(session, "d") is session


def test_add_track(session: Session, tmp_path: Path) -> None:
    added = edits.add_track(session, tmp_path / "My_Song.wav")
    assert added.tracks[-1].id == "my-song"
    assert added.tracks[-1].title == "My Song"
    assert added.order[-1] == "my-song"
    again = edits.add_track(added, tmp_path / "other" / "my song.flac", title="Reprise", index=2)
    assert again.order == ("a", "b", "my-song-2", "c", "d", "my-song")
    assert again.track("my-song-2").title == "Reprise"
    assert again.track("my-song-2").path == tmp_path / "other" / "my song.flac"


def test_add_track_into_a_crossfaded_seam_drops_it(session: Session, tmp_path: Path) -> None:
    added = edits.add_track(session, tmp_path / "x.wav", index=1)
    assert added.order == ("a", "x", "b", "c", "d")
    assert added.crossfades == ()


def test_add_track_bad_index_or_title(session: Session, tmp_path: Path) -> None:
    with pytest.raises(SessionError, match="positions go from 0 to 4"):
        edits.add_track(session, tmp_path / "x.wav", index=5)
    with pytest.raises(SessionError) as info:
        edits.add_track(session, tmp_path / "x.wav", title="a\nb")
    assert str(info.value).splitlines()[1].startswith('  tracks[4] (id "x", "a\\nb"): title')


def test_remove_track_drops_it_everywhere(session: Session) -> None:
    with_override = edits.set_vinyl(session, pause_overrides=[{"track_id": "a", "seconds": 1.0}])
    removed = edits.remove_track(with_override, "a")
    assert [t.id for t in removed.tracks] == ["b", "c", "d"]
    assert removed.order == ("b", "c", "d")
    assert removed.crossfades == ()
    assert [side.track_ids for side in removed.vinyl.sides] == [("b",), ("c",)]
    assert removed.vinyl.pause_overrides == ()


def test_removing_a_middle_track_drops_its_seams(session: Session) -> None:
    crossfaded = edits.set_crossfade(session, "d", 1.0)
    removed = edits.remove_track(crossfaded, "c")
    assert removed.order == ("a", "b", "d")
    assert seams(removed) == [("a", "b")]


# --------------------------------------------------------------------------- pauses and crossfades


def test_set_pause_replaces_the_crossfade(session: Session) -> None:
    paused = edits.set_pause(session, "b", 0.5)
    assert paused.crossfades == ()
    assert paused.transition_into("b") == 0.5
    assert edits.set_pause(paused, "b", None).transition_into("b") == session.default_pause_s


def test_set_pause_on_the_first_track_is_refused(session: Session) -> None:
    with pytest.raises(SessionError, match=r"is first.*set_pause_before_first"):
        edits.set_pause(session, "a", 1.0)


def test_set_pause_out_of_range_names_the_track(session: Session) -> None:
    with pytest.raises(SessionError) as info:
        edits.set_pause(session, "c", -1.0)
    assert str(info.value).splitlines() == [
        'Cannot set the pause before track "c" ("c"):',
        '  tracks[2] (id "c", "c"): pause_before_s must be at least 0.0 (got -1.0)',
    ]


def test_set_crossfade_resets_the_track_pause(session: Session) -> None:
    crossfaded = edits.set_crossfade(session, "c", 2.0, Curve.S_CURVE)
    assert crossfaded.track("c").pause_before_s is None
    assert crossfaded.transition_into("c") == Crossfade(
        from_track="b", to_track="c", seconds=2.0, curve=Curve.S_CURVE
    )
    assert seams(crossfaded) == [("a", "b"), ("b", "c")]
    removed = edits.remove_crossfade(crossfaded, "c")
    assert removed.transition_into("c") == session.default_pause_s


def test_set_crossfade_replaces_the_one_on_the_seam(session: Session) -> None:
    changed = edits.set_crossfade(session, "b", 7.0)
    assert len(changed.crossfades) == 1
    assert changed.crossfades[0].seconds == 7.0


def test_crossfades_stay_in_running_order(session: Session) -> None:
    crossfaded = edits.set_crossfade(edits.set_crossfade(session, "d", 1.0), "c", 1.0)
    assert seams(crossfaded) == [("a", "b"), ("b", "c"), ("c", "d")]


def test_set_crossfade_on_the_first_track_is_refused(session: Session) -> None:
    with pytest.raises(SessionError, match="is first: there is no track to crossfade from"):
        edits.set_crossfade(session, "a", 1.0)


def test_set_crossfade_too_long(session: Session) -> None:
    with pytest.raises(SessionError) as info:
        edits.set_crossfade(session, "c", 90.0)
    assert 'crossfades[1] ("b" -> "c"): seconds must be at most 60.0 (got 90.0)' in str(info.value)


def test_remove_crossfade_without_one_changes_nothing(session: Session) -> None:
    assert edits.remove_crossfade(session, "d") is session


def test_set_pause_before_first_and_default_pause(session: Session) -> None:
    changed = edits.set_default_pause(edits.set_pause_before_first(session, 2.0), 1.0)
    assert changed.transition_into("a") == 2.0
    assert changed.transition_into("d") == 1.0
    with pytest.raises(SessionError, match="pause_before_first_s must be at most 3600"):
        edits.set_pause_before_first(session, 7200.0)


# --------------------------------------------------------------------------- one track


def test_set_offset(session: Session) -> None:
    assert edits.set_offset(session, "d", -4.0).track("d").offset_lu == -4.0
    with pytest.raises(SessionError, match=r'tracks\[3\] \(id "d", "d"\): offset_lu must be'):
        edits.set_offset(session, "d", -80.0)


def test_set_title_and_artist(session: Session) -> None:
    assert edits.set_title(session, "a", "Overture").track("a").title == "Overture"
    assert edits.set_track_artist(session, "a", "Guest").track("a").artist == "Guest"
    with pytest.raises(SessionError, match=r'tracks\[0\] \(id "a", " "\): title must not be empty'):
        edits.set_title(session, "a", " ")


def test_set_isrc(session: Session) -> None:
    assert edits.set_isrc(session, "b", "gb-ajy-24-00001").track("b").isrc == "GBAJY2400001"
    assert edits.set_isrc(session, "b", None).track("b").isrc is None
    with pytest.raises(SessionError) as info:
        edits.set_isrc(session, "b", "GB12")
    assert 'tracks[1] (id "b", "b"): isrc "GB12" is not a valid ISRC' in str(info.value)


def test_set_trim(session: Session) -> None:
    trimmed = edits.set_trim(session, "a", 1.5, 30.0).track("a")
    assert (trimmed.trim_in_s, trimmed.trim_out_s) == (1.5, 30.0)
    with pytest.raises(SessionError, match=r"trim_out_s \(1 s\) must be later than trim_in_s"):
        edits.set_trim(session, "a", 2.0, 1.0)


def test_set_fades_keep_the_curve_unless_given(session: Session) -> None:
    faded = edits.set_fade_in(session, "a", 2.0, Curve.S_CURVE)
    faded = edits.set_fade_in(faded, "a", 3.0)
    faded = edits.set_fade_out(faded, "a", 4.0)
    track = faded.track("a")
    assert (track.fade_in.seconds, track.fade_in.curve) == (3.0, Curve.S_CURVE)
    assert (track.fade_out.seconds, track.fade_out.curve) == (4.0, Curve.LINEAR)
    with pytest.raises(SessionError, match=r"fade_out\.seconds must be at least 0"):
        edits.set_fade_out(session, "a", -1.0)


# --------------------------------------------------------------------------- whole parts


def test_set_loudness_policy(session: Session) -> None:
    changed = edits.set_loudness_policy(session, mode="track", target_lufs=-16.0)
    assert changed.loudness.mode is LoudnessMode.TRACK
    assert changed.loudness.target_lufs == -16.0
    with pytest.raises(SessionError, match="loudness: target is not a known field"):
        edits.set_loudness_policy(session, target=-16.0)


def test_set_album(session: Session) -> None:
    changed = edits.set_album(session, upc_ean="4006381333931", year=2024)
    assert (changed.album.upc_ean, changed.album.year) == ("4006381333931", 2024)
    with pytest.raises(SessionError, match="GS1 check digit of 400638133393 is 1"):
        edits.set_album(session, upc_ean="4006381333932")


def test_set_delivery(session: Session) -> None:
    assert edits.set_delivery(session, bit_depth=16).delivery.bit_depth == 16
    with pytest.raises(SessionError, match="bit_depth must be one of"):
        edits.set_delivery(session, bit_depth=20)


# --------------------------------------------------------------------------- vinyl sides


def test_assign_side_creates_and_moves(session: Session) -> None:
    assert [(s.name, s.track_ids) for s in session.vinyl.sides] == [
        ("A", ("a", "b")),
        ("B", ("c",)),
    ]
    moved = edits.assign_side(session, "b", "B", index=0)
    assert [(s.name, s.track_ids) for s in moved.vinyl.sides] == [("A", ("a",)), ("B", ("b", "c"))]
    reordered = edits.assign_side(session, "b", "A", index=0)
    assert reordered.vinyl.sides[0].track_ids == ("b", "a")
    new_side = edits.assign_side(session, "d", "C")
    assert [s.name for s in new_side.vinyl.sides] == ["A", "B", "C"]


def test_assign_side_errors(session: Session) -> None:
    with pytest.raises(SessionError, match="positions go from 0 to 1"):
        edits.assign_side(session, "d", "B", index=5)
    with pytest.raises(SessionError, match='No track has id "zz"'):
        edits.assign_side(session, "zz", "A")


def test_unassign_side(session: Session) -> None:
    off = edits.unassign_side(session, "c")
    assert [(s.name, s.track_ids) for s in off.vinyl.sides] == [("A", ("a", "b")), ("B", ())]
    assert edits.unassign_side(off, "c") is off


# --------------------------------------------------------------------------- history


def test_history_undo_restores_the_exact_previous_session(session: Session) -> None:
    history = edits.History(session)
    assert not history.can_undo
    assert not history.can_redo
    moved = history.push(edits.move_track(session, "d", 0))
    retitled = history.push(edits.set_title(moved, "d", "Opener"))
    assert history.current is retitled
    assert history.undo() is moved
    assert history.undo() is session
    assert not history.can_undo
    assert history.can_redo
    assert history.redo() is moved
    assert history.current is moved


def test_history_push_clears_redo_and_skips_no_ops(session: Session) -> None:
    history = edits.History(session)
    history.push(edits.set_offset(session, "a", -1.0))
    history.undo()
    history.push(edits.set_offset(session, "a", -2.0))
    assert not history.can_redo
    history.push(edits.move_track_up(history.current, "a"))  # unchanged: no undo step
    assert history.undo() is session
    assert not history.can_undo


def test_history_empty_stacks_and_limit(session: Session) -> None:
    history = edits.History(session, limit=2)
    with pytest.raises(SessionError, match="Nothing to undo"):
        history.undo()
    with pytest.raises(SessionError, match="Nothing to redo"):
        history.redo()
    for offset in (-1.0, -2.0, -3.0):
        history.push(edits.set_offset(history.current, "a", offset))
    history.undo()
    history.undo()
    assert not history.can_undo
    assert history.current.track("a").offset_lu == -1.0
