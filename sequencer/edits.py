"""Pure edits of a session: each takes a Session and returns a new, validated one.

Nothing is mutated: an edit builds the new session's data and validates all of
it, so a bad edit raises :class:`~sequencer.errors.SessionError` with a message
naming the field and the track instead of producing an invalid session.

Two rules shape the edits of the running order:

* the pause before a track belongs to the track and moves with it;
* a crossfade belongs to the seam between two neighbours: an edit that changes
  the order drops every crossfade whose two tracks are no longer neighbours, and
  that seam falls back to the pause of the track that follows.

Positions in the running order are 0-based. :class:`History` keeps undo and redo
as stacks of sessions.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sequencer.errors import SessionError
from sequencer.session import (
    Crossfade,
    Curve,
    Session,
    format_validation_error,
    title_from_path,
    unique_track_id,
)

__all__ = [
    "History",
    "add_track",
    "assign_side",
    "move_track",
    "move_track_down",
    "move_track_up",
    "remove_crossfade",
    "remove_track",
    "set_album",
    "set_crossfade",
    "set_default_pause",
    "set_delivery",
    "set_fade_in",
    "set_fade_out",
    "set_isrc",
    "set_loudness_policy",
    "set_offset",
    "set_pause",
    "set_pause_before_first",
    "set_side_marking",
    "set_title",
    "set_track_artist",
    "set_trim",
    "set_vinyl",
    "unassign_side",
]


# --------------------------------------------------------------------------- helpers


def _validate(data: dict[str, Any], what: str) -> Session:
    """Validate edited session data, or raise a SessionError saying what could not be done."""
    try:
        return Session.model_validate(data)
    except ValidationError as error:
        lines = format_validation_error(error, data).splitlines()
        raise SessionError(f"Cannot {what}:\n" + "\n".join(f"  {line}" for line in lines)) from None


def _index_of(session: Session, track_id: str) -> int:
    """Return the index of *track_id* in ``session.tracks`` (SessionError when unknown)."""
    track = session.track(track_id)
    return session.tracks.index(track)


def _neighbour_crossfades(
    crossfades: Sequence[Crossfade], order: Sequence[str]
) -> list[dict[str, Any]]:
    """Return the crossfades whose tracks are still neighbours in *order*, as data, in order."""
    seams = {pair: index for index, pair in enumerate(pairwise(order))}
    kept = [c for c in crossfades if (c.from_track, c.to_track) in seams]
    kept.sort(key=lambda c: seams[(c.from_track, c.to_track)])
    return [c.model_dump() for c in kept]


def _with_order(session: Session, order: Sequence[str], what: str, **changes: Any) -> Session:
    """Return *session* with a new running order; crossfades off their seam are dropped."""
    data = session.model_dump()
    data.update(changes)
    data["order"] = list(order)
    data["crossfades"] = _neighbour_crossfades(session.crossfades, order)
    return _validate(data, what)


def _with_track(session: Session, track_id: str, what: str, **changes: Any) -> Session:
    """Return *session* with fields of one track changed."""
    index = _index_of(session, track_id)
    data = session.model_dump()
    tracks = list(data["tracks"])
    tracks[index] = {**tracks[index], **changes}
    data["tracks"] = tracks
    return _validate(data, what)


def _with_fields(session: Session, part: str, what: str, changes: dict[str, Any]) -> Session:
    """Return *session* with fields of one part (``album``, ``loudness``, ...) changed."""
    data = session.model_dump()
    data[part] = {**data[part], **changes}
    return _validate(data, what)


# --------------------------------------------------------------------------- running order


def set_order(session: Session, order: Sequence[str]) -> Session:
    """Set the whole running order.

    Parameters
    ----------
    session : Session
        The session to edit.
    order : sequence of str
        Track ids in running order; tracks of the session left out are parked
        (kept, not played).

    Returns
    -------
    Session
        A new session; crossfades whose tracks are no longer neighbours are dropped.
    """
    return _with_order(session, order, "set the running order")


def move_track(session: Session, track_id: str, new_index: int) -> Session:
    """Move a track to another position in the running order.

    The track's own pause moves with it; crossfades whose tracks are no longer
    neighbours are dropped.

    Parameters
    ----------
    session : Session
        The session to edit.
    track_id : str
        Id of a track in the running order.
    new_index : int
        Its new 0-based position.

    Returns
    -------
    Session
        The edited session.

    Raises
    ------
    SessionError
        When the track is unknown or parked, or *new_index* is out of range.
    """
    index = session.position(track_id)
    last = len(session.order) - 1
    if not 0 <= new_index <= last:
        raise SessionError(
            f"Cannot move track {session.track(track_id).display_name} to position {new_index}: "
            f"positions go from 0 to {last}"
        )
    order = list(session.order)
    order.insert(new_index, order.pop(index))
    return _with_order(session, order, f"move track {session.track(track_id).display_name}")


def move_track_up(session: Session, track_id: str) -> Session:
    """Move a track one place earlier; the first track stays where it is.

    Parameters
    ----------
    session : Session
        The session to edit.
    track_id : str
        Id of a track in the running order.

    Returns
    -------
    Session
        The edited session (*session* itself when the track is already first).
    """
    index = session.position(track_id)
    return session if index == 0 else move_track(session, track_id, index - 1)


def move_track_down(session: Session, track_id: str) -> Session:
    """Move a track one place later; the last track stays where it is.

    Parameters
    ----------
    session : Session
        The session to edit.
    track_id : str
        Id of a track in the running order.

    Returns
    -------
    Session
        The edited session (*session* itself when the track is already last).
    """
    index = session.position(track_id)
    last = len(session.order) - 1
    return session if index == last else move_track(session, track_id, index + 1)


def add_track(
    session: Session, path: Path, *, title: str | None = None, index: int | None = None
) -> Session:
    """Add a source file as a new track.

    Parameters
    ----------
    session : Session
        The session to edit.
    path : Path
        The source audio file (made absolute against the current directory).
    title : str, optional
        Track title; by default the file stem with underscores as spaces.
    index : int, optional
        Position in the running order (0 to the number of tracks); by default
        the end. A crossfade on the seam the track is inserted into is dropped.

    Returns
    -------
    Session
        The edited session; the new track is ``tracks[-1]``, with an id made
        from the file stem.

    Raises
    ------
    SessionError
        When *index* is out of range or the title is invalid.
    """
    path = Path(path).expanduser().absolute()
    track_id = unique_track_id(path.stem, (track.id for track in session.tracks))
    order = list(session.order)
    position = len(order) if index is None else index
    if not 0 <= position <= len(order):
        raise SessionError(
            f"Cannot add {path.name} at position {index}: positions go from 0 to {len(order)}"
        )
    order.insert(position, track_id)
    new_track = {"id": track_id, "path": path, "title": title or title_from_path(path)}
    tracks = [*session.model_dump()["tracks"], new_track]
    return _with_order(session, order, f"add {path.name}", tracks=tracks)


def remove_track(session: Session, track_id: str) -> Session:
    """Remove a track from the session, its crossfades and the vinyl plan.

    Parameters
    ----------
    session : Session
        The session to edit.
    track_id : str
        Id of the track.

    Returns
    -------
    Session
        The edited session. Its former neighbours now meet at a seam with the
        pause of the track that followed it.

    Raises
    ------
    SessionError
        When the track is unknown.
    """
    label = session.track(track_id).display_name
    data = session.model_dump()
    tracks = [item for item in data["tracks"] if item["id"] != track_id]
    vinyl = data["vinyl"]
    vinyl["sides"] = [
        {**side, "track_ids": [t for t in side["track_ids"] if t != track_id]}
        for side in vinyl["sides"]
    ]
    vinyl["pause_overrides"] = [p for p in vinyl["pause_overrides"] if p["track_id"] != track_id]
    order = [t for t in session.order if t != track_id]
    return _with_order(session, order, f"remove track {label}", tracks=tracks, vinyl=vinyl)


# --------------------------------------------------------------------------- pauses and crossfades


def set_pause(session: Session, track_id: str, seconds: float | None) -> Session:
    """Set the pause before a track, replacing a crossfade into it.

    Parameters
    ----------
    session : Session
        The session to edit.
    track_id : str
        Id of a track that is not first in the running order (a parked track is
        allowed: the pause applies once it is placed).
    seconds : float or None
        The pause in seconds; ``None`` uses the session's default pause.

    Returns
    -------
    Session
        The edited session.

    Raises
    ------
    SessionError
        When the track is unknown or first (use :func:`set_pause_before_first`),
        or the pause is out of range.
    """
    track = session.track(track_id)
    if session.order and session.order[0] == track_id:
        raise SessionError(
            f"Track {track.display_name} is first: the pause before it is the pause before "
            "the album (set_pause_before_first)"
        )
    data = session.model_dump()
    index = session.tracks.index(track)
    data["tracks"] = list(data["tracks"])
    data["tracks"][index] = {**data["tracks"][index], "pause_before_s": seconds}
    data["crossfades"] = [c.model_dump() for c in session.crossfades if c.to_track != track_id]
    return _validate(data, f"set the pause before track {track.display_name}")


def set_crossfade(
    session: Session, track_id: str, seconds: float, curve: Curve = Curve.EQUAL_POWER
) -> Session:
    """Crossfade from the previous track into *track_id*.

    Parameters
    ----------
    session : Session
        The session to edit.
    track_id : str
        Id of a track in the running order, not the first.
    seconds : float
        Length of the overlap in seconds (more than 0, at most 60).
    curve : Curve, optional
        Shape of the crossfade (equal power by default).

    Returns
    -------
    Session
        The edited session. The track's own pause is reset to ``None``, so
        removing the crossfade later falls back to the default pause.

    Raises
    ------
    SessionError
        When the track is unknown, parked or first, or the length is out of range.
    """
    index = session.position(track_id)
    track = session.track(track_id)
    if index == 0:
        raise SessionError(
            f"Track {track.display_name} is first: there is no track to crossfade from"
        )
    crossfade = {
        "from_track": session.order[index - 1],
        "to_track": track_id,
        "seconds": seconds,
        "curve": curve,
    }
    others = [c for c in session.crossfades if c.to_track != track_id]
    data = session.model_dump()
    data["crossfades"] = [*_neighbour_crossfades(others, session.order), crossfade]
    data["crossfades"].sort(key=lambda c: session.order.index(c["to_track"]))
    position = session.tracks.index(track)
    data["tracks"] = list(data["tracks"])
    data["tracks"][position] = {**data["tracks"][position], "pause_before_s": None}
    return _validate(data, f"crossfade into track {track.display_name}")


def remove_crossfade(session: Session, track_id: str) -> Session:
    """Remove the crossfade into a track; the seam falls back to the track's pause.

    Parameters
    ----------
    session : Session
        The session to edit.
    track_id : str
        Id of the track the crossfade leads into.

    Returns
    -------
    Session
        The edited session (*session* itself when there was no crossfade).

    Raises
    ------
    SessionError
        When the track is unknown.
    """
    label = session.track(track_id).display_name
    if not any(c.to_track == track_id for c in session.crossfades):
        return session
    data = session.model_dump()
    data["crossfades"] = [c.model_dump() for c in session.crossfades if c.to_track != track_id]
    return _validate(data, f"remove the crossfade into track {label}")


def set_pause_before_first(session: Session, seconds: float) -> Session:
    """Set the pause before the first track.

    Parameters
    ----------
    session : Session
        The session to edit.
    seconds : float
        The pause in seconds.

    Returns
    -------
    Session
        The edited session.

    Raises
    ------
    SessionError
        When the pause is out of range.
    """
    data = session.model_dump()
    data["pause_before_first_s"] = seconds
    return _validate(data, "set the pause before the first track")


def set_default_pause(session: Session, seconds: float) -> Session:
    """Set the pause used between tracks that do not set their own.

    Parameters
    ----------
    session : Session
        The session to edit.
    seconds : float
        The pause in seconds.

    Returns
    -------
    Session
        The edited session.

    Raises
    ------
    SessionError
        When the pause is out of range.
    """
    data = session.model_dump()
    data["default_pause_s"] = seconds
    return _validate(data, "set the default pause")


# --------------------------------------------------------------------------- one track


def set_offset(session: Session, track_id: str, lu: float) -> Session:
    """Set a track's level relative to the album, in LU.

    Parameters
    ----------
    session : Session
        The session to edit.
    track_id : str
        Id of the track.
    lu : float
        Offset in LU, e.g. -4 for an interlude 4 LU below the album.

    Returns
    -------
    Session
        The edited session.

    Raises
    ------
    SessionError
        When the track is unknown or the offset is out of range.
    """
    label = session.track(track_id).display_name
    return _with_track(session, track_id, f"set the offset of track {label}", offset_lu=lu)


def set_title(session: Session, track_id: str, title: str) -> Session:
    """Set a track's title.

    Parameters
    ----------
    session : Session
        The session to edit.
    track_id : str
        Id of the track.
    title : str
        The new title (not blank, one line).

    Returns
    -------
    Session
        The edited session.

    Raises
    ------
    SessionError
        When the track is unknown or the title is invalid.
    """
    label = session.track(track_id).display_name
    return _with_track(session, track_id, f"set the title of track {label}", title=title)


def set_track_artist(session: Session, track_id: str, artist: str | None) -> Session:
    """Set a track's artist (``None`` or blank: the album artist).

    Parameters
    ----------
    session : Session
        The session to edit.
    track_id : str
        Id of the track.
    artist : str or None
        The artist.

    Returns
    -------
    Session
        The edited session.

    Raises
    ------
    SessionError
        When the track is unknown or the text is invalid.
    """
    label = session.track(track_id).display_name
    return _with_track(session, track_id, f"set the artist of track {label}", artist=artist)


def set_isrc(session: Session, track_id: str, isrc: str | None) -> Session:
    """Set a track's ISRC (hyphenated or compact; ``None`` or blank clears it).

    Parameters
    ----------
    session : Session
        The session to edit.
    track_id : str
        Id of the track.
    isrc : str or None
        The ISRC, e.g. ``"GB-AJY-24-00001"``.

    Returns
    -------
    Session
        The edited session; the ISRC is stored compact and upper-case.

    Raises
    ------
    SessionError
        When the track is unknown or the ISRC is invalid.
    """
    label = session.track(track_id).display_name
    return _with_track(session, track_id, f"set the ISRC of track {label}", isrc=isrc)


def set_trim(
    session: Session, track_id: str, trim_in_s: float = 0.0, trim_out_s: float | None = None
) -> Session:
    """Set where a track starts and ends in its source file.

    Parameters
    ----------
    session : Session
        The session to edit.
    track_id : str
        Id of the track.
    trim_in_s : float, optional
        Start in the source file, in seconds (0 by default).
    trim_out_s : float or None, optional
        End in the source file, in seconds; ``None`` (default) is the end of the file.

    Returns
    -------
    Session
        The edited session.

    Raises
    ------
    SessionError
        When the track is unknown or the trim is invalid (for example the end
        before the start). Trims past the end of the file are found by
        :func:`sequencer.session.check_against_sources`.
    """
    label = session.track(track_id).display_name
    return _with_track(
        session,
        track_id,
        f"trim track {label}",
        trim_in_s=trim_in_s,
        trim_out_s=trim_out_s,
    )


def _set_fade(
    session: Session, track_id: str, end: str, seconds: float, curve: Curve | None
) -> Session:
    """Set the fade at one *end* (``fade_in`` or ``fade_out``) of a track."""
    track = session.track(track_id)
    fade = getattr(track, end).model_dump()
    fade["seconds"] = seconds
    if curve is not None:
        fade["curve"] = curve
    what = f"set the {end.replace('_', '-')} of track {track.display_name}"
    return _with_track(session, track_id, what, **{end: fade})


def set_fade_in(
    session: Session, track_id: str, seconds: float, curve: Curve | None = None
) -> Session:
    """Set a track's fade-in.

    Parameters
    ----------
    session : Session
        The session to edit.
    track_id : str
        Id of the track.
    seconds : float
        Length of the fade in seconds (0 removes it).
    curve : Curve, optional
        Shape of the fade; by default the current shape is kept.

    Returns
    -------
    Session
        The edited session.

    Raises
    ------
    SessionError
        When the track is unknown or the fade is invalid.
    """
    return _set_fade(session, track_id, "fade_in", seconds, curve)


def set_fade_out(
    session: Session, track_id: str, seconds: float, curve: Curve | None = None
) -> Session:
    """Set a track's fade-out.

    Parameters
    ----------
    session : Session
        The session to edit.
    track_id : str
        Id of the track.
    seconds : float
        Length of the fade in seconds (0 removes it).
    curve : Curve, optional
        Shape of the fade; by default the current shape is kept.

    Returns
    -------
    Session
        The edited session.

    Raises
    ------
    SessionError
        When the track is unknown or the fade is invalid.
    """
    return _set_fade(session, track_id, "fade_out", seconds, curve)


# --------------------------------------------------------------------------- whole parts


def set_album(session: Session, **changes: Any) -> Session:
    """Change album metadata fields (``title``, ``artist``, ``upc_ean``, ``year``, ...).

    Parameters
    ----------
    session : Session
        The session to edit.
    **changes
        New values by field name.

    Returns
    -------
    Session
        The edited session.

    Raises
    ------
    SessionError
        When a field is unknown or a value is invalid.
    """
    return _with_fields(session, "album", "change the album", changes)


def set_loudness_policy(session: Session, **changes: Any) -> Session:
    """Change loudness policy fields (``mode``, ``target_lufs``, ...).

    Parameters
    ----------
    session : Session
        The session to edit.
    **changes
        New values by field name.

    Returns
    -------
    Session
        The edited session.

    Raises
    ------
    SessionError
        When a field is unknown or a value is invalid.
    """
    return _with_fields(session, "loudness", "change the loudness policy", changes)


def set_delivery(session: Session, **changes: Any) -> Session:
    """Change digital delivery fields (``sample_rate``, ``bit_depth``, ...).

    Parameters
    ----------
    session : Session
        The session to edit.
    **changes
        New values by field name.

    Returns
    -------
    Session
        The edited session.

    Raises
    ------
    SessionError
        When a field is unknown or a value is invalid.
    """
    return _with_fields(session, "delivery", "change the digital delivery", changes)


def set_vinyl(session: Session, **changes: Any) -> Session:
    """Change vinyl plan fields (``disc_format``, ``pause_s``, ``subsonic_hz``, ...).

    Parameters
    ----------
    session : Session
        The session to edit.
    **changes
        New values by field name.

    Returns
    -------
    Session
        The edited session.

    Raises
    ------
    SessionError
        When a field is unknown or a value is invalid.
    """
    return _with_fields(session, "vinyl", "change the vinyl plan", changes)


def set_side_marking(session: Session, side_name: str, **changes: str | None) -> Session:
    """Set a side's matrix number or run-out etching text (``matrix``, ``etching``).

    Parameters
    ----------
    session : Session
        The session to edit.
    side_name : str
        Name of the side, e.g. ``"A"`` (it need not be in ``vinyl.sides``: a
        proposed split names its sides the same way).
    **changes
        ``matrix`` and/or ``etching``: the new text, or None (or blank) to clear it.

    Returns
    -------
    Session
        The edited session; a marking left with neither text is removed.

    Raises
    ------
    SessionError
        When a field is unknown or a value is invalid.
    """
    markings = [m.model_dump() for m in session.vinyl.side_markings]
    entry = next((m for m in markings if m["side"] == side_name), None)
    if entry is None:
        entry = {"side": side_name, "matrix": None, "etching": None}
        markings.append(entry)
    entry.update(changes)
    markings = [m for m in markings if any(m[k] not in (None, "") for k in m if k != "side")]
    data = session.model_dump()
    data["vinyl"] = {**data["vinyl"], "side_markings": markings}
    return _validate(data, f'mark side "{side_name}"')


# --------------------------------------------------------------------------- vinyl sides


def _sides_without(session: Session, track_id: str) -> list[dict[str, Any]]:
    """Return the vinyl sides as data, with *track_id* removed from every side."""
    return [
        {"name": side.name, "track_ids": [t for t in side.track_ids if t != track_id]}
        for side in session.vinyl.sides
    ]


def assign_side(
    session: Session, track_id: str, side_name: str, index: int | None = None
) -> Session:
    """Put a track on a vinyl side, taking it off any other side.

    Parameters
    ----------
    session : Session
        The session to edit.
    track_id : str
        Id of the track.
    side_name : str
        Name of the side, e.g. ``"A"``; a new side is added after the others.
    index : int, optional
        Position on the side (0-based); by default the end.

    Returns
    -------
    Session
        The edited session.

    Raises
    ------
    SessionError
        When the track is unknown, the index is out of range or the side name
        is invalid.
    """
    track = session.track(track_id)
    sides = _sides_without(session, track_id)
    side = next((s for s in sides if s["name"] == side_name), None)
    if side is None:
        side = {"name": side_name, "track_ids": []}
        sides.append(side)
    ids: list[str] = side["track_ids"]
    position = len(ids) if index is None else index
    if not 0 <= position <= len(ids):
        raise SessionError(
            f'Cannot put track {track.display_name} at position {index} on side "{side_name}": '
            f"positions go from 0 to {len(ids)}"
        )
    ids.insert(position, track_id)
    data = session.model_dump()
    data["vinyl"] = {**data["vinyl"], "sides": sides}
    return _validate(data, f'put track {track.display_name} on side "{side_name}"')


def unassign_side(session: Session, track_id: str) -> Session:
    """Take a track off its vinyl side (the side itself stays, even when empty).

    Parameters
    ----------
    session : Session
        The session to edit.
    track_id : str
        Id of the track.

    Returns
    -------
    Session
        The edited session (*session* itself when the track is on no side).

    Raises
    ------
    SessionError
        When the track is unknown.
    """
    label = session.track(track_id).display_name
    if not any(track_id in side.track_ids for side in session.vinyl.sides):
        return session
    data = session.model_dump()
    data["vinyl"] = {**data["vinyl"], "sides": _sides_without(session, track_id)}
    return _validate(data, f"take track {label} off its side")


# --------------------------------------------------------------------------- undo and redo


class History:
    """Undo and redo as stacks of immutable sessions.

    Parameters
    ----------
    session : Session
        The starting session.
    limit : int, optional
        How many undo steps are kept (the oldest are forgotten first).
    """

    def __init__(self, session: Session, *, limit: int = 200) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self._past: list[Session] = []
        self._current = session
        self._future: list[Session] = []
        self._limit = limit

    @property
    def current(self) -> Session:
        """The session now in effect."""
        return self._current

    @property
    def can_undo(self) -> bool:
        """Whether there is an earlier session to go back to."""
        return bool(self._past)

    @property
    def can_redo(self) -> bool:
        """Whether an undone session can be restored."""
        return bool(self._future)

    def push(self, session: Session) -> Session:
        """Make *session* current after an edit; the redo stack is cleared.

        Parameters
        ----------
        session : Session
            The edited session. An edit that changed nothing (a session equal to
            the current one) records no undo step.

        Returns
        -------
        Session
            The current session.
        """
        if session == self._current:
            return self._current
        self._past.append(self._current)
        del self._past[: -self._limit]
        self._current = session
        self._future.clear()
        return session

    def undo(self) -> Session:
        """Go back to the previous session.

        Returns
        -------
        Session
            The previous session (the same object that was current before).

        Raises
        ------
        SessionError
            When there is nothing to undo.
        """
        if not self._past:
            raise SessionError("Nothing to undo")
        self._future.append(self._current)
        self._current = self._past.pop()
        return self._current

    def redo(self) -> Session:
        """Restore the session that was last undone.

        Returns
        -------
        Session
            The restored session.

        Raises
        ------
        SessionError
            When there is nothing to redo.
        """
        if not self._future:
            raise SessionError("Nothing to redo")
        self._past.append(self._current)
        self._current = self._future.pop()
        return self._current
