"""Start a session from an album folder described by an ``album.json``.

The Warzone 2100 music albums (Debian's ``warzone2100-music``, CC BY-SA 3.0)
ship one folder per album with an ``album.json`` giving the album's title and
author and its tracks in running order (``filename``, ``title``). That real,
recorded music is what runout's end-to-end tests and benchmarks run on.
"""

from __future__ import annotations

import json
from pathlib import Path

from sequencer.edits import set_title
from sequencer.errors import SessionError
from sequencer.session import Session, new_session

__all__ = ["WARZONE_ALBUMS", "session_from_album_json"]

WARZONE_ALBUMS = Path("/usr/share/games/warzone2100/music/albums")
"""Where ``warzone2100-music`` installs its albums."""


def session_from_album_json(folder: Path) -> Session:
    """Build a session over the tracks of ``folder/album.json``, in its running order.

    Parameters
    ----------
    folder : Path
        An album folder holding ``album.json`` and the audio files it names.

    Returns
    -------
    Session
        Album title and artist (``author``) from the file, one track per entry
        with its title, paths absolute.

    Raises
    ------
    SessionError
        When ``album.json`` is missing, not valid JSON, or lacks a title or tracks.
    """
    folder = Path(folder).absolute()
    source = folder / "album.json"
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
        entries = [(str(t["filename"]), str(t.get("title") or "")) for t in data["tracks"]]
        title = str(data["title"])
    except FileNotFoundError:
        raise SessionError(f"{source}: no such file") from None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise SessionError(f"{source}: not a usable album description ({error})") from None
    if not entries:
        raise SessionError(f"{source}: lists no tracks")
    session = new_session(
        [folder / name for name, _ in entries], title=title, artist=data.get("author") or None
    )
    for track, (_, track_title) in zip(session.tracks, entries, strict=True):
        if track_title.strip():
            session = set_title(session, track.id, track_title)
    return session
