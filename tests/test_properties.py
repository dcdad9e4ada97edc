"""Property-based tests (hypothesis) over the edit functions and the session store.

Any sequence of edits, with valid and invalid arguments alike, either gives a
valid session or raises a :class:`SessionError` with a message (never another
exception, never an invalid session), and saving then loading any session the
edits reach gives back the same session. The examples are derandomized, so a run
is deterministic and stays within a few seconds.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sequencer import edits
from sequencer.errors import SessionError
from sequencer.session import Curve, Session, new_session
from sequencer.store import load_session, save_session

SETTINGS = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)

ALBUM = Path("/album")
IDS = ("intro", "song", "interlude", "outro", "ghost")  # "ghost" is never a track

seconds = st.one_of(
    st.floats(min_value=0.0, max_value=30.0),
    st.sampled_from([-1.0, 0.0, math.nan, math.inf, -math.inf, 36000.0, 1e300, 3600.0]),
)
text = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "   ", "Café", "tab\there", "new\nline", "\ud800", "x" * 600, "é" * 3]),
)
track_id = st.sampled_from(IDS)
index = st.integers(min_value=-2, max_value=6)
curve = st.sampled_from(list(Curve))


def _call(
    function: Callable[..., Session], *args: Any, **kwargs: Any
) -> Callable[[Session], Session]:
    def apply(session: Session) -> Session:
        return function(session, *args, **kwargs)

    apply.__name__ = f"{function.__name__}{args}{kwargs}"
    return apply


edit = st.one_of(
    st.builds(lambda t, i: _call(edits.move_track, t, i), track_id, index),
    st.builds(lambda t: _call(edits.move_track_up, t), track_id),
    st.builds(lambda t: _call(edits.move_track_down, t), track_id),
    st.builds(
        lambda name, t, i: _call(edits.add_track, ALBUM / f"{name}.wav", title=t, index=i),
        st.sampled_from(["extra", "bonus", "intro"]),
        st.one_of(st.none(), text),
        st.one_of(st.none(), index),
    ),
    st.builds(lambda t: _call(edits.remove_track, t), track_id),
    st.builds(lambda t, s: _call(edits.set_pause, t, s), track_id, st.one_of(st.none(), seconds)),
    st.builds(lambda t, s, c: _call(edits.set_crossfade, t, s, c), track_id, seconds, curve),
    st.builds(lambda t: _call(edits.remove_crossfade, t), track_id),
    st.builds(lambda s: _call(edits.set_pause_before_first, s), seconds),
    st.builds(lambda s: _call(edits.set_default_pause, s), seconds),
    st.builds(
        lambda t, lu: _call(edits.set_offset, t, lu),
        track_id,
        st.one_of(st.floats(-50, 30), st.just(math.nan)),
    ),
    st.builds(lambda t, title: _call(edits.set_title, t, title), track_id, text),
    st.builds(
        lambda t, a: _call(edits.set_track_artist, t, a), track_id, st.one_of(st.none(), text)
    ),
    st.builds(
        lambda t, isrc: _call(edits.set_isrc, t, isrc),
        track_id,
        st.sampled_from([None, "", "GB-ABC-24-00001", "gbabc2400001", "nope", "GBABC24000011"]),
    ),
    st.builds(
        lambda t, a, b: _call(edits.set_trim, t, a, b),
        track_id,
        seconds,
        st.one_of(st.none(), seconds),
    ),
    st.builds(lambda t, s, c: _call(edits.set_fade_in, t, s, c), track_id, seconds, curve),
    st.builds(lambda t, s, c: _call(edits.set_fade_out, t, s, c), track_id, seconds, curve),
    st.builds(lambda title: _call(edits.set_album, title=title), text),
    st.builds(
        lambda upc: _call(edits.set_album, upc_ean=upc),
        st.sampled_from([None, "", "036000291452", "036000291453", "12", "abc"]),
    ),
    st.builds(
        lambda year: _call(edits.set_album, year=year), st.integers(min_value=1000, max_value=3000)
    ),
    st.builds(
        lambda target: _call(edits.set_loudness_policy, target_lufs=target),
        st.one_of(st.floats(-50, 25), st.just(math.nan)),
    ),
    st.builds(
        lambda rate: _call(edits.set_delivery, sample_rate=rate),
        st.sampled_from([0, 7999, 8000, 44100, 48000, 384000, 384001]),
    ),
    st.builds(
        lambda depth: _call(edits.set_delivery, bit_depth=depth), st.sampled_from([8, 16, 24, 32])
    ),
    st.builds(lambda s: _call(edits.set_vinyl, pause_s=s), seconds),
    st.builds(lambda: _call(edits.set_vinyl, colour="red")),
    st.builds(
        lambda t, side, i: _call(edits.assign_side, t, side, i),
        track_id,
        st.sampled_from(["A", "B", "C", "", "x" * 30]),
        st.one_of(st.none(), index),
    ),
    st.builds(lambda t: _call(edits.unassign_side, t), track_id),
    st.builds(
        lambda side, matrix: _call(edits.set_side_marking, side, matrix=matrix),
        st.sampled_from(["A", "B", ""]),
        st.one_of(st.none(), text),
    ),
)


def start() -> Session:
    return new_session(
        [ALBUM / f"{name}.wav" for name in IDS[:4]], title="Nuit blanche", artist="Les Runouts"
    )


def _check_valid(session: Session) -> None:
    """Assert that the session passes its own validation again, from its data."""
    assert Session.model_validate(session.model_dump()) == session


def _round_trip(session: Session) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "album.json"
        save_session(session, path)
        assert load_session(path) == session


@SETTINGS
@given(steps=st.lists(edit, max_size=12))
def test_any_sequence_of_edits_gives_a_valid_session_or_a_clear_error(
    steps: list[Callable[[Session], Session]],
) -> None:
    session = start()
    for step in steps:
        before = session
        try:
            session = step(session)
        except SessionError as error:
            message = str(error)
            assert message.strip()
            assert "Traceback" not in message
            assert session is before
            continue
        assert isinstance(session, Session)
        _check_valid(session)
    _round_trip(session)


@SETTINGS
@given(
    title=text,
    pause=seconds,
    offset=st.floats(-40.0, 20.0),
    target=st.floats(-40.0, -5.0),
    notes=st.one_of(st.none(), st.text(max_size=40)),
)
def test_save_then_load_gives_back_the_same_session(
    title: str, pause: float, offset: float, target: float, notes: str | None
) -> None:
    session = start()
    changes: list[Callable[[Session], Session]] = [
        _call(edits.set_title, "song", title),
        _call(edits.set_default_pause, pause),
        _call(edits.set_offset, "intro", offset),
        _call(edits.set_loudness_policy, target_lufs=target),
        _call(edits.set_vinyl, cutting_notes=notes),
    ]
    for change in changes:
        try:
            session = change(session)
        except SessionError:
            continue
    _round_trip(session)
