"""The timeline: exact integer positions from the session's seconds."""

from __future__ import annotations

from pathlib import Path

import pytest

from sequencer.edits import move_track, set_crossfade, set_pause, set_pause_before_first, set_trim
from sequencer.errors import SessionError
from sequencer.session import Crossfade, Curve, Session, new_session
from sequencer.timeline import SourceInfo, album_timeline, converted_length, to_samples

RATE = 44100


def session_of(count: int = 3) -> Session:
    return new_session([Path(f"/music/{n}.wav") for n in "abcdefg"[:count]], title="T")


def sources(session: Session, seconds: float = 10.0, rate: int = RATE) -> dict[str, SourceInfo]:
    return {
        t.id: SourceInfo(frames=round(seconds * rate), sample_rate=rate) for t in session.tracks
    }


def test_pauses_and_crossfades_are_exact_sample_counts() -> None:
    session = set_pause_before_first(session_of(), 0.5)
    session = set_pause(session, session.order[1], 1.25)
    session = set_crossfade(session, session.order[2], 2.0, Curve.S_CURVE)
    timeline = album_timeline(session, sources(session))
    a, b, c = timeline.placements
    assert (a.start, a.length, a.pause_before) == (22050, 441000, 22050)
    assert b.start == a.end + 55125
    assert b.pause_before == 55125
    assert c.start == b.end - 88200
    assert (c.crossfade_in, b.crossfade_out) == (88200, 88200)
    assert c.crossfade_in_curve == b.crossfade_out_curve == Curve.S_CURVE
    assert c.pause_before == 0
    assert timeline.length == c.end


def test_file_ranges_tile_the_timeline_and_follow_track_starts() -> None:
    session = set_crossfade(
        set_pause(session_of(), session_of().order[1], 3.0), session_of().order[2], 1.0
    )
    timeline = album_timeline(session, sources(session))
    ranges = timeline.file_ranges()
    assert ranges[0][0] == 0
    assert [stop for _, stop in ranges[:-1]] == [start for start, _ in ranges[1:]]
    assert ranges[-1][1] == timeline.length
    assert [start for start, _ in ranges[1:]] == [p.start for p in timeline.placements[1:]]


def test_a_pause_moves_with_its_track_and_a_crossfade_stays_with_its_seam() -> None:
    session = set_pause(session_of(4), "b", 4.0)
    session = set_crossfade(session, "c", 1.5)
    moved = move_track(session, "b", 3)  # order: a, c, d, b
    timeline = album_timeline(moved, sources(moved))
    by_id = {p.track_id: p for p in timeline.placements}
    assert by_id["b"].pause_before == 4 * RATE  # its own pause came along
    assert by_id["c"].crossfade_in == 0  # c's seam partner changed: back to the default pause
    assert by_id["c"].pause_before == 2 * RATE


def test_trims_and_resampled_lengths_are_rounded_once() -> None:
    session = set_trim(session_of(1), "a", 1.5, 4.0)
    timeline = album_timeline(session, sources(session, rate=48000))
    placement = timeline.placements[0]
    assert (placement.source_start, placement.source_stop) == (72000, 192000)
    assert placement.length == converted_length(120000, 48000, RATE) == 110250
    assert to_samples(0.00001, RATE) == 0
    assert to_samples(1 / RATE / 2, RATE) == 1  # halves round up


def test_cd_alignment_rounds_pauses_to_frames_and_keeps_two_seconds_first() -> None:
    session = set_pause(session_of(), "b", 1.003)
    aligned = album_timeline(session, sources(session), cd_alignment=True)
    assert aligned.placements[0].start == 88200
    for placement in aligned.placements:
        assert placement.start % 588 == 0
    b = aligned.placements[1]
    pause = b.start - aligned.placements[0].end
    assert abs(pause - round(1.003 * RATE)) <= 588 // 2  # the nearest frame boundary
    assert pause == 44100
    with pytest.raises(SessionError, match="divisible by 75"):
        album_timeline(session, sources(session), sample_rate=44000, cd_alignment=True)


def test_impossible_timelines_name_the_track() -> None:
    session = session_of(2)
    too_long = session.model_copy(
        update={"crossfades": (Crossfade(from_track="a", to_track="b", seconds=8.0),)}
    )
    with pytest.raises(SessionError, match='"b"'):
        album_timeline(too_long, sources(session, seconds=5.0))
    trimmed = set_trim(session, "a", 20.0, None)
    with pytest.raises(SessionError, match="trim_in_s"):
        album_timeline(trimmed, sources(session))
    with pytest.raises(SessionError, match="running order is empty"):
        album_timeline(session.model_copy(update={"order": ()}), sources(session))
