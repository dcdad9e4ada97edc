"""The demo session over the demo album: what ``runout demo`` opens and renders.

The session is written once; when it already exists and loads, it is kept as
it is (it may hold the user's edits), so ``runout demo`` can be run again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from samples.demo_album import ALBUM_ARTIST, ALBUM_TITLE, DEMO_TRACKS, generate_demo_album
from sequencer.errors import SessionError
from sequencer.session import Album, Session, new_session
from sequencer.store import load_session, save_session

logger = logging.getLogger(__name__)

#: File name of the demo session inside the demo folder.
SESSION_NAME = "demo-session.json"
#: Sub-folder of the demo folder that holds the generated audio.
AUDIO_FOLDER = "audio"


def demo_session(paths: list[Path]) -> Session:
    """Build the demo session over the generated files (album order, 2 s pauses).

    Parameters
    ----------
    paths
        The demo album's files in album order.

    Returns
    -------
    Session
        Titles, ISRCs and album metadata filled in.
    """
    session = new_session(paths, title=ALBUM_TITLE, artist=ALBUM_ARTIST)
    tracks = []
    for track, demo in zip(session.tracks, DEMO_TRACKS, strict=True):
        isrc = f"XXRUN26{demo.number:05d}"
        tracks.append(track.model_copy(update={"title": demo.title, "isrc": isrc}))
    album = Album(
        title=ALBUM_TITLE,
        artist=ALBUM_ARTIST,
        label="Runout Records",
        catalogue_number="RUN001",
        upc_ean="4006381333931",
        year=2026,
    )
    session = Session.model_validate(
        session.model_copy(update={"tracks": tuple(tracks), "album": album}).model_dump()
    )
    return _with_cut_sheet(_with_vinyl_sides(session, paths))


def _with_cut_sheet(session: Session) -> Session:
    """Fill in the cut sheet's fields: matrix numbers, engineer, notes and a fixed date."""
    from sequencer import edits

    session = edits.set_vinyl(
        session,
        mastering_engineer="Demo Mastering",
        engineer_contact="mastering@runout.example",
        cutting_notes=(
            "Planted faults, on purpose: Elliptical 1:00-1:20 in the track has the bass in "
            "anti-phase (see the low-end plot); Esses has sibilance bursts from 0:48.5; "
            "Brickwall is a clipped source; Centre Hole has a DC offset; Run-Out ends in 25 s "
            "of silence.\nCut at the levels of the side files; no further EQ."
        ),
        cut_sheet_date="2026-03-01",
    )
    for side in session.vinyl.sides:
        session = edits.set_side_marking(
            session,
            side.name,
            matrix=f"RUN001-{side.name}",
            etching="Test pressing - cut with runout" if side.name == "A" else None,
        )
    return session


def _with_vinyl_sides(session: Session, paths: list[Path]) -> Session:
    """Put the demo on 12-inch 33 1/3 sides: the proposed automatic split, applied."""
    from sequencer.timeline import probe_sources
    from vinyl.sides import apply_proposal, propose_split

    proposal = propose_split(
        session, probe_sources(session.ordered_tracks()), disc_format="12in-33"
    )
    return apply_proposal(session, proposal)


def build_demo(
    directory: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
) -> Path:
    """Generate the demo album into ``directory`` (once) and its session.

    Parameters
    ----------
    directory
        The demo folder; audio goes to ``directory/audio``.
    progress
        Called with (done, total) while the album is generated.
    cancel
        Stops the generation when set.

    Returns
    -------
    Path
        The session file.
    """
    directory = Path(directory)
    paths = generate_demo_album(directory / AUDIO_FOLDER, progress=progress, cancel=cancel)
    session_path = directory / SESSION_NAME
    if session_path.exists():
        try:
            load_session(session_path)
        except SessionError as error:
            logger.warning("the demo session cannot be read (%s); writing a new one", error)
        else:
            return session_path
    save_session(demo_session(paths), session_path)
    return session_path
