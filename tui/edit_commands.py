"""Editing a session from the command line: ``runout show`` and the editing subcommands.

Every edit the TUI offers exists here too, for scripts. Each editing command
loads the session, applies pure edits from :mod:`sequencer.edits`, checks the
result against the source audio when it can be read, saves it atomically (the
previous version stays in ``NAME.json.bak``) and prints one line saying what
changed. Bad input is one line naming the field and the track, exit status 1,
and the session file is left byte for byte as it was. ``--dry-run`` prints the
change without saving.

A TRACK argument is a track id or a position in the running order counted from
1. ``@N`` always means a position and ``id:NAME`` always an id; a bare number
that is the id of one track and the position of another is refused as ambiguous.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel
from rich.console import Console, JustifyMethod
from rich.table import Table
from rich.text import Text

from sequencer import edits
from sequencer.audio import probe
from sequencer.errors import AudioError, RunoutError, SessionError
from sequencer.session import (
    Crossfade,
    Curve,
    Fade,
    FileFormat,
    LoudnessMode,
    PaperSize,
    Session,
    Track,
    check_against_sources,
    format_isrc,
)
from sequencer.store import load_session, save_session
from sequencer.timeline import SourceInfo, Timeline, album_timeline

__all__ = ["TRACK_JSON_KEYS", "describe_changes", "register", "resolve_track", "show_json"]

_E = TypeVar("_E", Curve, LoudnessMode, FileFormat, PaperSize)

Edit = Callable[[Session], Session]
"""A function from the loaded session to the edited one (raising SessionError on bad input)."""

TRACK_HELP = (
    "track id, or position in the running order from 1 (@N forces a position, id:NAME an id)"
)
CURVES = ", ".join(curve.value for curve in Curve)
NONE_WORDS = ("none", "")
"""Values that clear an optional code (ISRC, UPC/EAN, year)."""


# --------------------------------------------------------------------------- parsing values


def _number(text: str, field: str) -> float:
    """Parse a finite number for *field*, or raise a SessionError naming it."""
    try:
        value = float(text.strip())
    except ValueError:
        raise SessionError(f"{field}: {_quoted(text)} is not a number") from None
    if not math.isfinite(value):
        raise SessionError(f"{field}: {_quoted(text)} is not a finite number")
    return value


def _whole(text: str, field: str) -> int:
    """Parse a whole number for *field*, or raise a SessionError naming it."""
    try:
        return int(text.strip())
    except ValueError:
        raise SessionError(f"{field}: {_quoted(text)} is not a whole number") from None


def _choice(text: str, kind: type[_E], field: str) -> _E:
    """Parse one of the values of an enum for *field*."""
    try:
        return kind(text.strip().lower())
    except ValueError:
        allowed = ", ".join(item.value for item in kind)
        raise SessionError(f"{field}: {_quoted(text)} is not one of {allowed}") from None


def _curve(text: str | None, field: str) -> Curve | None:
    """Parse an optional curve name."""
    return None if text is None else _choice(text, Curve, field)


def _date(text: str) -> datetime.date | None:
    """Parse a cut sheet date: ``YYYY-MM-DD``, ``today``, or ``none`` to clear it."""
    word = text.strip().lower()
    if word in NONE_WORDS:
        return None
    if word == "today":
        return datetime.date.today()
    try:
        return datetime.date.fromisoformat(text.strip())
    except ValueError:
        raise SessionError(
            f"vinyl cut_sheet_date: {text!r} is not a date; write YYYY-MM-DD, 'today' or 'none'"
        ) from None


def _optional_number(text: str, field: str, words: Sequence[str]) -> float | None:
    """Parse a number, or ``None`` for one of *words* (``off``, ``default``, ``end``)."""
    return None if text.strip().lower() in words else _number(text, field)


def _position(text: str, field: str, last: int) -> int:
    """Parse a 1-based position from 1 to *last*; return it 0-based."""
    value = _whole(text.removeprefix("@"), field)
    if not 1 <= value <= last:
        raise SessionError(f"{field} {value}: positions go from 1 to {last}")
    return value - 1


# --------------------------------------------------------------------------- tracks


def resolve_track(session: Session, text: str) -> str:
    """Return the id of the track a TRACK argument names.

    Parameters
    ----------
    session : Session
        The session the argument refers to.
    text : str
        A track id; a position in the running order counted from 1; ``@N`` for a
        position; ``id:NAME`` for an id.

    Returns
    -------
    str
        The track's id (parked tracks are found by id only).

    Raises
    ------
    SessionError
        When no track matches, the position is out of range, or a number is the
        id of one track and the position of another.
    """
    ids = [track.id for track in session.tracks]
    count = len(session.order)

    def by_position(number: int) -> str:
        if not 1 <= number <= count:
            raise SessionError(
                f"track {_quoted(text)}: there is no position {number} in the running order "
                f"(positions go from 1 to {count})"
            )
        return session.order[number - 1]

    if text.startswith("id:"):
        session.track(text[3:])  # SessionError listing the ids when unknown
        return text[3:]
    if text.startswith("@"):
        return by_position(_whole(text[1:], f"track {_quoted(text)}"))
    number = int(text) if re.fullmatch(r"[0-9]+", text) else None
    if text in ids:
        if number is not None and 1 <= number <= count and session.order[number - 1] != text:
            raise SessionError(
                f"track {_quoted(text)} is ambiguous: it is the id of the track at position "
                f"{_where(session, text)} and the position of track "
                f"{session.track(session.order[number - 1]).display_name}; "
                f"write @{number} for the position or id:{text} for the id"
            )
        return text
    if number is not None:
        return by_position(number)
    known = ", ".join(ids) or "none"
    raise SessionError(
        f"track {_quoted(text)}: no track has that id (ids: {known}); "
        f"a position goes from 1 to {count}"
    )


def _where(session: Session, track_id: str) -> str:
    """Return the 1-based position of a track, or ``parked``."""
    return str(session.order.index(track_id) + 1) if track_id in session.order else "parked"


def _label(after: Session, before: Session, track_id: str) -> str:
    """Return a track as messages show it: ``3 "Dead Wax"`` or ``parked "Dead Wax"``."""
    for session in (after, before):
        for track in session.tracks:
            if track.id == track_id:
                where = _where(after, track_id) if session is after else "removed"
                return f"{where} {_quoted(track.title)}"
    return _quoted(track_id)


def _quoted(text: str) -> str:
    """Return *text* in double quotes, as JSON writes it (one line, always)."""
    return json.dumps(text, ensure_ascii=False)


# --------------------------------------------------------------------------- describing changes


def _fmt(value: float) -> str:
    """Return a number with one to three decimals: ``2.0``, ``0.25``, ``-14.0``."""
    text = f"{value + 0.0:.3f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def _show(value: object, unit: str = "", none: str = "none") -> str:
    """Return a field value as a message shows it."""
    if value is None:
        return none
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, Curve | LoudnessMode | FileFormat | PaperSize):
        return value.value
    if isinstance(value, float):
        return f"{_fmt(value)} {unit}".rstrip()
    if isinstance(value, int):
        return f"{value} {unit}".rstrip()
    if isinstance(value, str):
        return _quoted(value)
    if isinstance(value, Path):
        return _quoted(value.name)
    if isinstance(value, tuple | list):
        return ", ".join(str(item) for item in value) or "none"
    if isinstance(value, BaseModel):
        return json.dumps(value.model_dump(mode="json"), ensure_ascii=False)
    return str(value)


#: How fields of the session's parts are named in messages: field -> (words, unit).
_PART_FIELDS: dict[str, dict[str, tuple[str, str]]] = {
    "album": {
        "title": ("album title", ""),
        "artist": ("album artist", ""),
        "label": ("label", ""),
        "catalogue_number": ("catalogue number", ""),
        "upc_ean": ("UPC/EAN", ""),
        "year": ("year", ""),
    },
    "loudness": {
        "mode": ("loudness mode", ""),
        "target_lufs": ("loudness target", "LUFS"),
        "true_peak_ceiling_dbtp": ("true-peak ceiling", "dBTP"),
        "limiter_allowed": ("limiter", ""),
    },
    "delivery": {
        "sample_rate": ("sample rate", "Hz"),
        "bit_depth": ("bit depth", "bits"),
        "file_format": ("file format", ""),
        "cd_alignment": ("CD alignment", ""),
    },
    "vinyl": {
        "disc_format": ("disc format", ""),
        "pause_s": ("vinyl pause", "s"),
        "lead_in_s": ("vinyl lead-in", "s"),
        "cut_level_db": ("cut level", "dB"),
        "mono_below_hz": ("mono below", "Hz"),
        "subsonic_hz": ("subsonic filter", "Hz"),
        "mastering_engineer": ("mastering engineer", ""),
        "engineer_contact": ("engineer contact", ""),
        "cutting_notes": ("cutting notes", ""),
        "paper_size": ("cut sheet paper", ""),
        "cut_sheet_date": ("cut sheet date", ""),
    },
}

#: How a track's fields are named in messages: field -> (words, unit, what None means).
_TRACK_FIELDS: dict[str, tuple[str, str, str]] = {
    "title": ("title", "", "none"),
    "artist": ("artist", "", "album artist"),
    "isrc": ("ISRC", "", "none"),
    "path": ("file", "", "none"),
    "trim_in_s": ("trim in", "s", "start"),
    "trim_out_s": ("trim out", "s", "end"),
    "offset_lu": ("offset", "LU", "none"),
}


def _fade(value: Fade) -> str:
    """Return a fade as ``1.5 s s-curve``, or ``none`` for a linear fade of 0 s."""
    if value.seconds == 0 and value.curve == Curve.LINEAR:
        return "none"
    return f"{_fmt(value.seconds)} s {value.curve.value}"


def _crossfade(value: Crossfade | None) -> str:
    """Return a crossfade as ``1.5 s equal-power`` or ``none``."""
    return "none" if value is None else f"{_fmt(value.seconds)} s {value.curve.value}"


def _order_changes(before: Session, after: Session, label: Callable[[str], str]) -> list[str]:
    """Describe added, removed, parked, placed and moved tracks."""
    lines: list[str] = []
    old_ids = {track.id for track in before.tracks}
    new_ids = {track.id for track in after.tracks}
    for track in after.tracks:
        if track.id not in old_ids:
            lines.append(f"added {label(track.id)} ({track.path.name}, id {track.id})")
    for track in before.tracks:
        if track.id not in new_ids:
            lines.append(f"removed {_quoted(track.title)} (id {track.id})")
    common = old_ids & new_ids
    for track_id in before.order:
        if track_id in common and track_id not in after.order:
            lines.append(f"parked {_quoted(after.track(track_id).title)}")
    for track_id in after.order:
        if track_id in common and track_id not in before.order:
            title = _quoted(after.track(track_id).title)
            lines.append(f"placed {title} at {after.order.index(track_id) + 1}")
    kept = set(before.order) & set(after.order)
    old = [t for t in before.order if t in kept]
    new = [t for t in after.order if t in kept]
    if old != new:
        moved = [t for t in old if [x for x in old if x != t] == [x for x in new if x != t]]
        if moved and lines == []:
            track_id = moved[0]
            lines.append(
                f"moved {_quoted(after.track(track_id).title)} "
                f"{before.order.index(track_id) + 1} -> {after.order.index(track_id) + 1}"
            )
        else:
            lines.append(f"running order {', '.join(before.order)} -> {', '.join(after.order)}")
    return lines


def _pause_changes(before: Session, after: Session, label: Callable[[str], str]) -> list[str]:
    """Describe the pauses and crossfades that changed."""
    lines: list[str] = []
    if before.pause_before_first_s != after.pause_before_first_s:
        lines.append(
            f"pause before the first track {_show(before.pause_before_first_s, 's')} -> "
            f"{_show(after.pause_before_first_s, 's')}"
        )
    if before.default_pause_s != after.default_pause_s:
        lines.append(
            f"default pause {_show(before.default_pause_s, 's')} -> "
            f"{_show(after.default_pause_s, 's')}"
        )
    old_tracks = {track.id: track for track in before.tracks}
    old_fades = {c.to_track: c for c in before.crossfades}
    new_fades = {c.to_track: c for c in after.crossfades}
    for track in after.tracks:
        old = old_tracks.get(track.id)
        if old is None:
            continue
        if old.pause_before_s != track.pause_before_s:
            was = _show(old.pause_before_s, "s", f"default ({_fmt(before.default_pause_s)} s)")
            now = _show(track.pause_before_s, "s", f"default ({_fmt(after.default_pause_s)} s)")
            lines.append(f"pause before {label(track.id)} {was} -> {now}")
        if old_fades.get(track.id) != new_fades.get(track.id):
            was, now = _crossfade(old_fades.get(track.id)), _crossfade(new_fades.get(track.id))
            lines.append(f"crossfade into {label(track.id)} {was} -> {now}")
    return lines


def _track_changes(before: Session, after: Session, label: Callable[[str], str]) -> list[str]:
    """Describe the changed fields of tracks present before and after."""
    lines: list[str] = []
    old_tracks = {track.id: track for track in before.tracks}
    for track in after.tracks:
        old = old_tracks.get(track.id)
        if old is None:
            continue
        changed: list[str] = []
        for field in Track.model_fields:
            was, now = getattr(old, field), getattr(track, field)
            if field in ("id", "pause_before_s") or was == now:
                continue
            if field in ("fade_in", "fade_out"):
                changed.append(f"{field.replace('_', '-')} {_fade(was)} -> {_fade(now)}")
            elif field == "isrc":
                was_text = "none" if was is None else format_isrc(was)
                now_text = "none" if now is None else format_isrc(now)
                changed.append(f"ISRC {was_text} -> {now_text}")
            else:
                words, unit, none = _TRACK_FIELDS.get(field, (field, "", "none"))
                changed.append(f"{words} {_show(was, unit, none)} -> {_show(now, unit, none)}")
        if changed:
            lines.append(f"{label(track.id)}: " + ", ".join(changed))
    return lines


def _part_changes(before: Session, after: Session) -> list[str]:
    """Describe changed fields of the album, loudness policy, delivery and vinyl plan."""
    lines: list[str] = []
    for part, names in _PART_FIELDS.items():
        old, new = getattr(before, part), getattr(after, part)
        for field in type(new).model_fields:
            was, now = getattr(old, field), getattr(new, field)
            if was == now or field in ("sides", "pause_overrides", "side_markings"):
                continue
            words, unit = names.get(field, (f"{part}.{field}", ""))
            lines.append(f"{words} {_show(was, unit)} -> {_show(now, unit)}")
    old_sides = {side.name: side.track_ids for side in before.vinyl.sides}
    new_sides = {side.name: side.track_ids for side in after.vinyl.sides}
    for name in [*old_sides, *(n for n in new_sides if n not in old_sides)]:
        if old_sides.get(name) != new_sides.get(name):
            was = _show(old_sides[name]) if name in old_sides else "no side"
            now = _show(new_sides[name]) if name in new_sides else "no side"
            lines.append(f"side {_quoted(name)} {was} -> {now}")
    old_marks = {m.side: m for m in before.vinyl.side_markings}
    new_marks = {m.side: m for m in after.vinyl.side_markings}
    for name in [*old_marks, *(n for n in new_marks if n not in old_marks)]:
        for field, words in (("matrix", "matrix number"), ("etching", "run-out etching")):
            was = getattr(old_marks.get(name), field, None)
            now = getattr(new_marks.get(name), field, None)
            if was != now:
                lines.append(f"side {_quoted(name)} {words} {_show(was)} -> {_show(now)}")
    old_overrides = {p.track_id: p.seconds for p in before.vinyl.pause_overrides}
    new_overrides = {p.track_id: p.seconds for p in after.vinyl.pause_overrides}
    removed = {track.id for track in before.tracks} - {track.id for track in after.tracks}
    for track_id in [*old_overrides, *(t for t in new_overrides if t not in old_overrides)]:
        if track_id not in removed and old_overrides.get(track_id) != new_overrides.get(track_id):
            vinyl_pause = f"vinyl pause ({_fmt(after.vinyl.pause_s)} s)"
            was = _show(old_overrides.get(track_id), "s", vinyl_pause)
            now = _show(new_overrides.get(track_id), "s", vinyl_pause)
            lines.append(
                f"vinyl pause before {_quoted(after.track(track_id).title)} {was} -> {now}"
            )
    return lines


def describe_changes(before: Session, after: Session) -> list[str]:
    """Describe in words what an edit changed, one phrase per change.

    Parameters
    ----------
    before : Session
        The session as it was.
    after : Session
        The edited session.

    Returns
    -------
    list of str
        Phrases such as ``pause before 3 "Dead Wax" 2.0 s -> 0.5 s``, in a stable
        order: tracks added, removed, parked or moved; pauses and crossfades;
        track fields; album, loudness, delivery and vinyl fields. Empty when
        nothing changed.
    """
    if before == after:
        return []

    def label(track_id: str) -> str:
        return _label(after, before, track_id)

    return [
        *_order_changes(before, after, label),
        *_pause_changes(before, after, label),
        *_track_changes(before, after, label),
        *_part_changes(before, after),
    ]


# --------------------------------------------------------------------------- audio checks


def _probe_all(tracks: Iterable[Track]) -> tuple[dict[str, SourceInfo], list[str]]:
    """Read each track's source header; return what was read and the unreadable files."""
    sources: dict[str, SourceInfo] = {}
    missing: list[str] = []
    for track in tracks:
        try:
            info = probe(track.path)
        except AudioError:
            missing.append(str(track.path))
            continue
        sources[track.id] = SourceInfo(frames=info.frames, sample_rate=info.sample_rate)
    return sources, missing


def _audio_problems(session: Session, sources: dict[str, SourceInfo]) -> set[str]:
    """Return the session's problems with its source audio, one phrase each."""
    durations = {key: info.frames / info.sample_rate for key, info in sources.items()}
    problems: set[str] = set()
    try:
        check_against_sources(session, durations)
    except SessionError as error:
        problems.update(line.strip() for line in str(error).splitlines()[1:])
    if session.order:
        try:
            album_timeline(session, sources)
        except SessionError as error:
            problems.add(str(error))
    # List indices shift when tracks are added or removed; the ids in the text stay.
    return {_without_index(problem) for problem in problems}


def _without_index(problem: str) -> str:
    """Return a problem without its list index, which shifts when tracks come and go."""
    problem = re.sub(r'^tracks\[\d+\] \(id (".*?"), (".*?")\): ', r"track \1 (\2): ", problem)
    return re.sub(r"^crossfades\[\d+\] ", "crossfade ", problem)


def _check_audio(before: Session, after: Session, err: Console, where: Path) -> None:
    """Refuse an edit that makes the session not fit its audio; warn when it cannot be checked."""
    sources, missing = _probe_all(after.tracks)
    if missing:
        err.print(
            f"runout: warning: {where}: not checked against the audio, cannot read "
            + ", ".join(missing),
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        return
    new = _audio_problems(after, sources) - _audio_problems(before, sources)
    if new:
        first, *others = sorted(new)
        more = f" (and {len(others)} more)" if others else ""
        raise SessionError(f"the edit does not fit the audio: {first}{more}")


# --------------------------------------------------------------------------- running an edit


def _one_line(message: str) -> str:
    """Return a multi-line SessionError message as one line: ``cannot X: a; b``."""
    head, *rest = message.strip().splitlines()
    parts = []
    for line in rest:
        line = re.sub(r'^tracks\[\d+\] \(id ".*?", ".*?"\): ', "", line.strip())
        line = re.sub(r"^(album|loudness|delivery|vinyl): (\w)", r"\1.\2", line)
        parts.append(line)
    head = head.rstrip(":") + (": " + "; ".join(parts) if parts else "")
    if len(head) > 1 and head[0].isupper() and head[1].islower():
        head = head[0].lower() + head[1:]
    return head


def _say(console: Console, message: str) -> None:
    """Print *message* as it is: no markup, no highlighting, no wrapping."""
    console.print(message, markup=False, highlight=False, soft_wrap=True)


def _run_edit(arguments: argparse.Namespace, out: Console, err: Console, edit: Edit) -> int:
    """Load the session, apply *edit*, check it, save it, and print one line saying what changed."""
    path = Path(arguments.session)
    before = load_session(path)
    try:
        after = edit(before)
        changes = describe_changes(before, after)
        if changes:
            _check_audio(before, after, err, path)
    except SessionError as error:
        raise SessionError(f"{path}: {_one_line(str(error))}") from None
    if not changes:
        _say(out, f"{path}: no change")
        return 0
    if arguments.dry_run:
        _say(out, f"{path}: would change: " + "; ".join(changes) + " (dry run, not saved)")
        return 0
    save_session(after, path)
    _say(out, f"{path}: " + "; ".join(changes))
    return 0


def _nothing_to_do(arguments: argparse.Namespace, options: str) -> SessionError:
    """Return the error of an editing command given no change to make."""
    return SessionError(f"{arguments.session}: nothing to change; give {options}")


# --------------------------------------------------------------------------- the editing commands


def command_order(arguments: argparse.Namespace, out: Console, err: Console) -> int:
    """``runout order SESSION TRACK...``: set the whole running order."""

    def edit(session: Session) -> Session:
        ids = [resolve_track(session, text) for text in arguments.tracks]
        seen: dict[str, str] = {}
        for text, track_id in zip(arguments.tracks, ids, strict=True):
            if track_id in seen:
                raise SessionError(
                    f"order: track {session.track(track_id).display_name} is listed twice "
                    f"(as {_quoted(seen[track_id])} and {_quoted(text)})"
                )
            seen[track_id] = text
        return edits.set_order(session, ids)

    return _run_edit(arguments, out, err, edit)


def command_move(arguments: argparse.Namespace, out: Console, err: Console) -> int:
    """``runout move SESSION TRACK POSITION``: move (or place a parked track) to a position."""

    def edit(session: Session) -> Session:
        track_id = resolve_track(session, arguments.track)
        label = session.track(track_id).display_name
        if track_id in session.order:
            index = _position(
                arguments.position, f"move track {label}: position", len(session.order)
            )
            return edits.move_track(session, track_id, index)
        last = len(session.order) + 1
        index = _position(arguments.position, f"place track {label}: position", last)
        order = list(session.order)
        order.insert(index, track_id)
        return edits.set_order(session, order)

    return _run_edit(arguments, out, err, edit)


def command_pause(arguments: argparse.Namespace, out: Console, err: Console) -> int:
    """``runout pause SESSION [TRACK SECONDS] [--first S] [--default S]``: pauses."""
    if arguments.track is not None and arguments.seconds is None:
        raise SessionError(f"{arguments.session}: pause before {arguments.track}: give SECONDS")
    if arguments.track is None and arguments.first is None and arguments.default is None:
        raise _nothing_to_do(arguments, "TRACK SECONDS, --first SECONDS or --default SECONDS")

    def edit(session: Session) -> Session:
        if arguments.default is not None:
            session = edits.set_default_pause(session, _number(arguments.default, "default pause"))
        if arguments.first is not None:
            seconds = _number(arguments.first, "pause before the first track")
            session = edits.set_pause_before_first(session, seconds)
        if arguments.track is not None:
            track_id = resolve_track(session, arguments.track)
            label = session.track(track_id).display_name
            field = f"pause before track {label}"
            if session.order and session.order[0] == track_id:
                seconds = _number(arguments.seconds, f"{field} (the first track)")
                session = edits.set_pause_before_first(session, seconds)
            else:
                pause = _optional_number(arguments.seconds, field, ("default",))
                session = edits.set_pause(session, track_id, pause)
        return session

    return _run_edit(arguments, out, err, edit)


def command_crossfade(arguments: argparse.Namespace, out: Console, err: Console) -> int:
    """``runout crossfade SESSION TRACK [SECONDS] [--curve C] [--remove]``."""

    def edit(session: Session) -> Session:
        track_id = resolve_track(session, arguments.track)
        label = session.track(track_id).display_name
        if arguments.remove:
            if arguments.seconds is not None or arguments.curve is not None:
                raise SessionError(
                    f"crossfade into track {label}: --remove takes no SECONDS or --curve"
                )
            return edits.remove_crossfade(session, track_id)
        current = next((c for c in session.crossfades if c.to_track == track_id), None)
        curve = _curve(arguments.curve, f"crossfade into track {label}: curve")
        if arguments.seconds is None:
            if current is None or curve is None:
                raise SessionError(
                    f"crossfade into track {label}: give SECONDS (and --curve), or --remove"
                )
            seconds = current.seconds
        else:
            seconds = _number(arguments.seconds, f"crossfade into track {label}: seconds")
        if curve is None:
            curve = Curve.EQUAL_POWER if current is None else current.curve
        return edits.set_crossfade(session, track_id, seconds, curve)

    return _run_edit(arguments, out, err, edit)


def command_offset(arguments: argparse.Namespace, out: Console, err: Console) -> int:
    """``runout offset SESSION TRACK LU``: a track's level relative to the album."""

    def edit(session: Session) -> Session:
        track_id = resolve_track(session, arguments.track)
        label = session.track(track_id).display_name
        return edits.set_offset(
            session, track_id, _number(arguments.lu, f"offset of track {label}")
        )

    return _run_edit(arguments, out, err, edit)


def command_track(arguments: argparse.Namespace, out: Console, err: Console) -> int:
    """``runout track SESSION TRACK [--title] [--artist] [--isrc] [--trim-*] [--fade-*]``."""
    options = (
        "title",
        "artist",
        "isrc",
        "trim_in",
        "trim_out",
        "fade_in",
        "fade_out",
        "fade_curve",
        "fade_in_curve",
        "fade_out_curve",
    )
    if all(getattr(arguments, name) is None for name in options):
        raise _nothing_to_do(arguments, "--title, --artist, --isrc, --trim-in/out or --fade-*")

    def edit(session: Session) -> Session:
        track_id = resolve_track(session, arguments.track)
        track = session.track(track_id)
        label = f"track {track.display_name}"
        if arguments.title is not None:
            session = edits.set_title(session, track_id, arguments.title)
        if arguments.artist is not None:
            session = edits.set_track_artist(session, track_id, arguments.artist or None)
        if arguments.isrc is not None:
            isrc = None if arguments.isrc.strip().lower() in NONE_WORDS else arguments.isrc
            session = edits.set_isrc(session, track_id, isrc)
        if arguments.trim_in is not None or arguments.trim_out is not None:
            trim_in = track.trim_in_s
            trim_out = track.trim_out_s
            if arguments.trim_in is not None:
                trim_in = _number(arguments.trim_in, f"{label}: trim_in_s")
            if arguments.trim_out is not None:
                trim_out = _optional_number(arguments.trim_out, f"{label}: trim_out_s", ("end",))
            session = edits.set_trim(session, track_id, trim_in, trim_out)
        both = _curve(arguments.fade_curve, f"{label}: fade curve")
        for end, seconds_text, curve_text, setter in (
            ("fade_in", arguments.fade_in, arguments.fade_in_curve, edits.set_fade_in),
            ("fade_out", arguments.fade_out, arguments.fade_out_curve, edits.set_fade_out),
        ):
            curve = _curve(curve_text, f"{label}: {end} curve") or both
            if seconds_text is None and curve is None:
                continue
            current = getattr(session.track(track_id), end)
            seconds = (
                current.seconds
                if seconds_text is None
                else _number(seconds_text, f"{label}: {end}")
            )
            session = setter(session, track_id, seconds, curve)
        return session

    return _run_edit(arguments, out, err, edit)


def _field_changes(arguments: argparse.Namespace, fields: dict[str, str]) -> dict[str, Any]:
    """Return ``{model_field: raw value}`` for the options given (argument name -> field)."""
    return {
        field: getattr(arguments, name)
        for name, field in fields.items()
        if getattr(arguments, name) is not None
    }


def command_album(arguments: argparse.Namespace, out: Console, err: Console) -> int:
    """``runout album SESSION [--title] [--artist] [--label] [--catalogue] [--upc] [--year]``."""
    changes = _field_changes(
        arguments,
        {
            "title": "title",
            "artist": "artist",
            "label": "label",
            "catalogue": "catalogue_number",
            "upc": "upc_ean",
            "year": "year",
        },
    )
    if not changes:
        raise _nothing_to_do(arguments, "--title, --artist, --label, --catalogue, --upc or --year")

    def edit(session: Session) -> Session:
        values = dict(changes)
        if "upc_ean" in values and values["upc_ean"].strip().lower() in NONE_WORDS:
            values["upc_ean"] = None
        if "year" in values:
            text = values["year"]
            values["year"] = None if text.strip().lower() in NONE_WORDS else _whole(text, "year")
        return edits.set_album(session, **values)

    return _run_edit(arguments, out, err, edit)


def command_loudness(arguments: argparse.Namespace, out: Console, err: Console) -> int:
    """``runout loudness SESSION [--mode] [--target] [--ceiling] [--limiter|--no-limiter]``."""
    if all(getattr(arguments, n) is None for n in ("mode", "target", "ceiling", "limiter")):
        raise _nothing_to_do(arguments, "--mode, --target, --ceiling or --limiter/--no-limiter")

    def edit(session: Session) -> Session:
        values: dict[str, Any] = {}
        if arguments.mode is not None:
            values["mode"] = _choice(arguments.mode, LoudnessMode, "loudness mode")
        if arguments.target is not None:
            values["target_lufs"] = _number(arguments.target, "loudness target_lufs")
        if arguments.ceiling is not None:
            values["true_peak_ceiling_dbtp"] = _number(
                arguments.ceiling, "loudness true_peak_ceiling_dbtp"
            )
        if arguments.limiter is not None:
            values["limiter_allowed"] = arguments.limiter
        return edits.set_loudness_policy(session, **values)

    return _run_edit(arguments, out, err, edit)


def command_delivery(arguments: argparse.Namespace, out: Console, err: Console) -> int:
    """``runout delivery SESSION [--rate] [--bits] [--format] [--cd-align|--no-cd-align]``."""
    if all(getattr(arguments, n) is None for n in ("rate", "bits", "format", "cd_align")):
        raise _nothing_to_do(arguments, "--rate, --bits, --format or --cd-align/--no-cd-align")

    def edit(session: Session) -> Session:
        values: dict[str, Any] = {}
        if arguments.rate is not None:
            values["sample_rate"] = _whole(arguments.rate, "delivery sample_rate")
        if arguments.bits is not None:
            values["bit_depth"] = _whole(arguments.bits, "delivery bit_depth")
        if arguments.format is not None:
            values["file_format"] = _choice(arguments.format, FileFormat, "delivery file_format")
        if arguments.cd_align is not None:
            values["cd_alignment"] = arguments.cd_align
        return edits.set_delivery(session, **values)

    return _run_edit(arguments, out, err, edit)


def command_add(arguments: argparse.Namespace, out: Console, err: Console) -> int:
    """``runout add SESSION AUDIO... [--at POSITION] [--title T]``: add source files as tracks."""
    if arguments.title is not None and len(arguments.audio) > 1:
        raise SessionError(f"{arguments.session}: --title names one track; add files one by one")
    paths = [Path(p).resolve() for p in arguments.audio]
    for path in paths:
        probe(path)  # refuse unreadable audio now, naming the file

    def edit(session: Session) -> Session:
        index = None
        if arguments.at is not None:
            index = _position(arguments.at, "add: --at", len(session.order) + 1)
        for number, path in enumerate(paths):
            where = None if index is None else index + number
            session = edits.add_track(session, path, title=arguments.title, index=where)
        return session

    return _run_edit(arguments, out, err, edit)


def command_remove(arguments: argparse.Namespace, out: Console, err: Console) -> int:
    """``runout remove SESSION TRACK...``: remove tracks from the session."""

    def edit(session: Session) -> Session:
        ids = [resolve_track(session, text) for text in arguments.tracks]  # before any removal
        for track_id in dict.fromkeys(ids):
            session = edits.remove_track(session, track_id)
        return session

    return _run_edit(arguments, out, err, edit)


def command_side(arguments: argparse.Namespace, out: Console, err: Console) -> int:
    """``runout side SESSION TRACK... (--on SIDE [--at N] | --off)``: vinyl side assignment."""

    def edit(session: Session) -> Session:
        ids = list(dict.fromkeys(resolve_track(session, text) for text in arguments.tracks))
        if arguments.off:
            if arguments.at is not None:
                raise SessionError("side: --at goes with --on SIDE, not --off")
            for track_id in ids:
                session = edits.unassign_side(session, track_id)
            return session
        index = None
        if arguments.at is not None:
            index = _whole(arguments.at, f"side {arguments.on!r}: --at") - 1
        for number, track_id in enumerate(ids):
            where = None if index is None else index + number
            try:
                session = edits.assign_side(session, track_id, arguments.on, where)
            except SessionError as error:
                # The edit counts positions from 0; the command line from 1.
                text = re.sub(
                    r"at position (-?\d+) on side (.*): positions go from 0 to (\d+)",
                    lambda m: (
                        f"at position {int(m[1]) + 1} on side {m[2]}: positions go "
                        f"from 1 to {int(m[3]) + 1}"
                    ),
                    str(error),
                )
                raise SessionError(text) from None
        return session

    return _run_edit(arguments, out, err, edit)


def command_vinyl_plan(arguments: argparse.Namespace, out: Console, err: Console) -> int:
    """``runout vinyl-plan SESSION [--disc] [--pause] [--pause-before T S] [--lead-in] ...``."""
    texts = {
        "engineer": "mastering_engineer",
        "contact": "engineer_contact",
        "notes": "cutting_notes",
    }
    names = (
        *("disc", "pause", "pause_before", "lead_in", "cut_level", "mono_below", "subsonic"),
        *("paper", "date", "matrix", "etching", *texts),
    )
    if all(getattr(arguments, n) is None for n in names):
        raise _nothing_to_do(
            arguments,
            "--disc, --pause, --pause-before, --lead-in, --cut-level, --mono-below, --subsonic, "
            "--engineer, --contact, --notes, --paper, --date, --matrix or --etching",
        )

    def edit(session: Session) -> Session:
        values: dict[str, Any] = {}
        if arguments.disc is not None:
            values["disc_format"] = arguments.disc
        for name, field in (("pause", "pause_s"), ("lead_in", "lead_in_s")):
            if getattr(arguments, name) is not None:
                values[field] = _number(getattr(arguments, name), f"vinyl {field}")
        if arguments.cut_level is not None:
            values["cut_level_db"] = _number(arguments.cut_level, "vinyl cut_level_db")
        for name, field in (("mono_below", "mono_below_hz"), ("subsonic", "subsonic_hz")):
            if getattr(arguments, name) is not None:
                text = getattr(arguments, name)
                values[field] = _optional_number(text, f"vinyl {field}", ("off", "none"))
        if arguments.pause_before is not None:
            overrides = {p.track_id: p.seconds for p in session.vinyl.pause_overrides}
            for track_text, seconds_text in arguments.pause_before:
                track_id = resolve_track(session, track_text)
                label = session.track(track_id).display_name
                field = f"vinyl pause before track {label}"
                seconds = _optional_number(seconds_text, field, ("default",))
                if seconds is None:
                    overrides.pop(track_id, None)
                else:
                    overrides[track_id] = seconds
            values["pause_overrides"] = [
                {"track_id": track_id, "seconds": seconds}
                for track_id, seconds in overrides.items()
            ]
        values.update(_field_changes(arguments, texts))
        if "cutting_notes" in values:
            values["cutting_notes"] = values["cutting_notes"].replace("\\n", "\n")
        if arguments.paper is not None:
            values["paper_size"] = _choice(arguments.paper, PaperSize, "vinyl paper_size")
        if arguments.date is not None:
            values["cut_sheet_date"] = _date(arguments.date)
        session = edits.set_vinyl(session, **values) if values else session
        for field in ("matrix", "etching"):
            for side_name, text in getattr(arguments, field) or ():
                session = edits.set_side_marking(session, side_name, **{field: text})
        return session

    return _run_edit(arguments, out, err, edit)


# --------------------------------------------------------------------------- show


#: Keys of each track in ``runout show --json``, in order. Add keys, never rename.
TRACK_JSON_KEYS = (
    "position",
    "id",
    "title",
    "artist",
    "isrc",
    "path",
    "pause_before_s",
    "crossfade_s",
    "crossfade_curve",
    "offset_lu",
    "trim_in_s",
    "trim_out_s",
    "fade_in_s",
    "fade_in_curve",
    "fade_out_s",
    "fade_out_curve",
    "start_s",
    "duration_s",
    "start_samples",
    "length_samples",
)


def _track_json(session: Session, track: Track, timeline: Timeline | None) -> dict[str, Any]:
    """One track's entry of ``runout show --json``."""
    placed = track.id in session.order
    transition = session.transition_into(track.id) if placed else None
    crossfade = transition if isinstance(transition, Crossfade) else None
    pause = transition if isinstance(transition, float) else None
    if not placed:
        pause = track.pause_before_s
    placement = timeline.placement(track.id) if timeline is not None and placed else None
    rate = timeline.sample_rate if timeline is not None else 1
    return {
        "position": session.order.index(track.id) + 1 if placed else None,
        "id": track.id,
        "title": track.title,
        "artist": track.artist,
        "isrc": track.isrc,
        "path": str(track.path),
        "pause_before_s": pause,
        "crossfade_s": crossfade.seconds if crossfade else None,
        "crossfade_curve": crossfade.curve.value if crossfade else None,
        "offset_lu": track.offset_lu,
        "trim_in_s": track.trim_in_s,
        "trim_out_s": track.trim_out_s,
        "fade_in_s": track.fade_in.seconds,
        "fade_in_curve": track.fade_in.curve.value,
        "fade_out_s": track.fade_out.seconds,
        "fade_out_curve": track.fade_out.curve.value,
        "start_s": round(placement.start / rate, 6) if placement else None,
        "duration_s": round(placement.length / rate, 6) if placement else None,
        "start_samples": placement.start if placement else None,
        "length_samples": placement.length if placement else None,
    }


def _timeline(session: Session) -> tuple[Timeline | None, list[str], str | None, list[str]]:
    """Return the timeline (or None), unreadable sources, why no times, and audio problems."""
    sources, missing = _probe_all(session.ordered_tracks())
    if missing:
        return None, missing, "cannot read " + ", ".join(missing), []
    problems = sorted(_audio_problems(session, sources))
    if not session.order:
        return None, [], "the running order is empty", problems
    try:
        return album_timeline(session, sources), [], None, problems
    except RunoutError as error:
        return None, [], _one_line(str(error)), problems


def show_json(session: Session, path: Path) -> dict[str, Any]:
    """Return what ``runout show --json`` prints.

    Parameters
    ----------
    session : Session
        The session.
    path : Path
        The session file, as given.

    Returns
    -------
    dict
        Keys ``session``, ``album``, ``loudness``, ``delivery``,
        ``pause_before_first_s``, ``default_pause_s``, ``tracks`` (in running
        order, keys :data:`TRACK_JSON_KEYS`), ``parked`` (same keys, no times),
        ``vinyl``, ``sample_rate``, ``length_s``, ``length_samples``,
        ``missing_sources``, ``timeline_error`` (why times are ``null``) and
        ``problems`` (where the session does not fit its audio, e.g. a trim
        past the end of the file).
    """
    timeline, missing, problem, problems = _timeline(session)
    parked = [track for track in session.tracks if track.id not in session.order]
    return {
        "session": str(path),
        "album": session.album.model_dump(mode="json"),
        "loudness": session.loudness.model_dump(mode="json"),
        "delivery": session.delivery.model_dump(mode="json"),
        "pause_before_first_s": session.pause_before_first_s,
        "default_pause_s": session.default_pause_s,
        "tracks": [_track_json(session, t, timeline) for t in session.ordered_tracks()],
        "parked": [_track_json(session, t, None) for t in parked],
        "vinyl": session.vinyl.model_dump(mode="json"),
        "sample_rate": timeline.sample_rate if timeline else None,
        "length_s": round(timeline.length / timeline.sample_rate, 6) if timeline else None,
        "length_samples": timeline.length if timeline else None,
        "missing_sources": missing,
        "timeline_error": problem,
        "problems": problems,
    }


def _clock(seconds: float | None) -> str:
    """Return seconds as ``m:ss.mmm`` (``h:mm:ss.mmm`` from an hour), or empty."""
    if seconds is None:
        return ""
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    text = f"{minutes:02d}:{rest / 1000:06.3f}" if hours else f"{minutes}:{rest / 1000:06.3f}"
    return f"{hours}:{text}" if hours else text


def _into(entry: dict[str, Any]) -> str:
    """Return the pause or crossfade into a track, for the table."""
    if entry["crossfade_s"] is not None:
        return f"x {_fmt(entry['crossfade_s'])} s {entry['crossfade_curve']}"
    if entry["pause_before_s"] is None:
        return "default"
    return f"{_fmt(entry['pause_before_s'])} s"


def _trim_fades(entry: dict[str, Any]) -> str:
    """Return a track's trims and fades, for the table."""
    parts = []
    if entry["trim_in_s"] or entry["trim_out_s"] is not None:
        end = "end" if entry["trim_out_s"] is None else _fmt(entry["trim_out_s"])
        parts.append(f"trim {_fmt(entry['trim_in_s'])}-{end}")
    if entry["fade_in_s"]:
        parts.append(f"in {_fmt(entry['fade_in_s'])} {entry['fade_in_curve']}")
    if entry["fade_out_s"]:
        parts.append(f"out {_fmt(entry['fade_out_s'])} {entry['fade_out_curve']}")
    return ", ".join(parts)


def _show_table(data: dict[str, Any], out: Console) -> None:
    """Print ``runout show`` for people."""
    album = data["album"]
    heading = album["title"] if not album["artist"] else f"{album['artist']} — {album['title']}"
    out.print(Text(heading, style="bold"), Text(f"  ({data['session']})"))
    facts = [
        ("label", album["label"]),
        ("catalogue", album["catalogue_number"]),
        ("UPC/EAN", album["upc_ean"]),
        ("year", album["year"]),
    ]
    _say(out, "  ".join(f"{k}: {'-' if v is None else v}" for k, v in facts))
    loud, delivery = data["loudness"], data["delivery"]
    _say(
        out,
        f"loudness: {loud['mode']}, target {_fmt(loud['target_lufs'])} LUFS, ceiling "
        f"{_fmt(loud['true_peak_ceiling_dbtp'])} dBTP, limiter "
        f"{'on' if loud['limiter_allowed'] else 'off'}",
    )
    _say(
        out,
        f"delivery: {delivery['sample_rate']} Hz, {delivery['bit_depth']} bits, "
        f"{delivery['file_format']}, CD alignment {'on' if delivery['cd_alignment'] else 'off'}"
        f"; pauses: {_fmt(data['pause_before_first_s'])} s before the first track, "
        f"{_fmt(data['default_pause_s'])} s by default",
    )
    table = Table(show_edge=False, pad_edge=False)
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("#", "right"),
        ("id", "left"),
        ("title", "left"),
        ("ISRC", "left"),
        ("into", "left"),
        ("offset LU", "right"),
        ("trims and fades", "left"),
        ("start", "right"),
        ("length", "right"),
    )
    for name, justify in columns:
        table.add_column(name, justify=justify)
    for entry in data["tracks"]:
        table.add_row(
            *(
                Text(cell)
                for cell in (
                    str(entry["position"]),
                    entry["id"],
                    entry["title"],
                    format_isrc(entry["isrc"]) if entry["isrc"] else "",
                    _into(entry),
                    _fmt(entry["offset_lu"]) if entry["offset_lu"] else "",
                    _trim_fades(entry),
                    _clock(entry["start_s"]),
                    _clock(entry["duration_s"]),
                )
            )
        )
    out.print(table)
    for entry in data["parked"]:
        _say(out, f"parked: {entry['id']} {_quoted(entry['title'])}")
    sides = data["vinyl"]["sides"]
    if sides:
        listing = "; ".join(f"{s['name']}: {', '.join(s['track_ids']) or '-'}" for s in sides)
        _say(out, f"vinyl {data['vinyl']['disc_format']}: {listing}")
    for problem in data["problems"]:
        _say(out, f"problem: {problem}")
    if data["length_s"] is not None:
        _say(out, f"total {_clock(data['length_s'])} at {data['sample_rate']} Hz")
    else:
        _say(out, f"no times: {data['timeline_error']}")


def command_show(arguments: argparse.Namespace, out: Console, err: Console) -> int:
    """``runout show SESSION [--json]``: the album, loudness policy and running order."""
    path = Path(arguments.session)
    data = show_json(load_session(path), path)
    if arguments.json:
        out.file.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    else:
        _show_table(data, out)
    return 0


# --------------------------------------------------------------------------- the parser


_FORMATTER = argparse.RawDescriptionHelpFormatter
_TRACK_NOTE = (
    "TRACK is a track id or a position in the running order counted from 1;\n"
    "@N always means a position, id:NAME always an id.\n"
)


def _epilog(*examples: str) -> str:
    """Return the examples section of a command's help."""
    return "examples:\n" + "\n".join(f"  {line}" for line in examples)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``show`` and the editing subcommands to the ``runout`` parser.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        The action returned by ``parser.add_subparsers()`` in
        :func:`tui.cli.build_parser`. Each subcommand sets ``handler`` to a
        function ``(arguments, out, err) -> int``.
    """
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("session", metavar="SESSION.json", help="the session file to edit")
    common.add_argument(
        "-n", "--dry-run", action="store_true", help="print what would change; do not save"
    )

    def add(name: str, summary: str, text: str, examples: Sequence[str]) -> argparse.ArgumentParser:
        return subparsers.add_parser(
            name,
            parents=[common],
            help=summary,
            description=text,
            epilog=_epilog(*examples),
            formatter_class=_FORMATTER,
        )

    show = subparsers.add_parser(
        "show",
        help="print the album, loudness policy and running order",
        description="Print the album, loudness policy and running order with start times "
        "(times need the source audio; without it they are left out and the missing "
        "files named).",
        epilog=_epilog("runout show album.json", "runout show album.json --json | jq '.tracks'"),
        formatter_class=_FORMATTER,
    )
    show.add_argument("session", metavar="SESSION.json")
    show.add_argument("--json", action="store_true", help="print JSON (stable keys)")
    show.set_defaults(handler=command_show)

    order = add(
        "order",
        "set the whole running order",
        "Set the running order. Tracks of the session left out are parked (kept, not played);\n"
        "crossfades between tracks that are no longer neighbours are dropped.\n" + _TRACK_NOTE,
        ["runout order album.json 3 1 2 4", "runout order album.json intro dead-wax outro"],
    )
    order.add_argument("tracks", nargs="+", metavar="TRACK", help="the tracks in their new order")
    order.set_defaults(handler=command_order)

    move = add(
        "move",
        "move a track to a position",
        "Move a track to a position in the running order (a parked track is placed there).\n"
        "Its own pause moves with it; crossfades off their seam are dropped.\n" + _TRACK_NOTE,
        ["runout move album.json dead-wax 1", "runout move album.json 5 2"],
    )
    move.add_argument("track", metavar="TRACK", help=TRACK_HELP)
    move.add_argument("position", metavar="POSITION", help="the new position, from 1")
    move.set_defaults(handler=command_move)

    pause = add(
        "pause",
        "set the pause before a track, the first track, or the default",
        "Set the pause before TRACK (for the first track: the pause before the album);\n"
        "SECONDS 'default' returns it to the default pause. A crossfade into TRACK is replaced.\n"
        + _TRACK_NOTE,
        [
            "runout pause album.json 3 0.5",
            "runout pause album.json dead-wax default",
            "runout pause album.json --default 1.5 --first 0",
        ],
    )
    pause.add_argument("track", nargs="?", metavar="TRACK", help=TRACK_HELP)
    pause.add_argument("seconds", nargs="?", metavar="SECONDS", help="seconds, or 'default'")
    pause.add_argument("--first", metavar="SECONDS", help="pause before the first track")
    pause.add_argument("--default", metavar="SECONDS", help="pause between tracks by default")
    pause.set_defaults(handler=command_pause)

    crossfade = add(
        "crossfade",
        "crossfade into a track from the one before",
        "Crossfade from the track before TRACK into TRACK, or remove that crossfade\n"
        "(the seam falls back to the default pause).\n" + _TRACK_NOTE,
        [
            "runout crossfade album.json 4 3",
            "runout crossfade album.json 4 3 --curve s-curve",
            "runout crossfade album.json 4 --curve linear   (keep the length)",
            "runout crossfade album.json 4 --remove",
        ],
    )
    crossfade.add_argument("track", metavar="TRACK", help=TRACK_HELP)
    crossfade.add_argument("seconds", nargs="?", metavar="SECONDS", help="overlap in seconds")
    crossfade.add_argument("--curve", metavar="CURVE", help=f"{CURVES} (default equal-power)")
    crossfade.add_argument("--remove", action="store_true", help="remove the crossfade")
    crossfade.set_defaults(handler=command_crossfade)

    offset = add(
        "offset",
        "set a track's level relative to the album, in LU",
        "Set a track's level relative to the album in LU (-40 to +20).\n" + _TRACK_NOTE,
        ["runout offset album.json interlude -4", "runout offset album.json 2 0"],
    )
    offset.add_argument("track", metavar="TRACK", help=TRACK_HELP)
    offset.add_argument("lu", metavar="LU", help="offset in LU, e.g. -4")
    offset.set_defaults(handler=command_offset)

    track = add(
        "track",
        "set a track's title, artist, ISRC, trims and fades",
        "Set a track's metadata, trims and fades. Times are in seconds of the source file\n"
        "(trims) or of the trimmed track (fades); a fade of 0 removes it.\n" + _TRACK_NOTE,
        [
            'runout track album.json 3 --title "Dead Wax" --isrc GB-AJY-24-00003',
            "runout track album.json 3 --isrc none --artist ''",
            "runout track album.json intro --trim-in 0.25 --trim-out end",
            "runout track album.json 7 --fade-out 12 --fade-out-curve s-curve",
        ],
    )
    track.add_argument("track", metavar="TRACK", help=TRACK_HELP)
    track.add_argument("--title", metavar="T", help="track title")
    track.add_argument("--artist", metavar="A", help="track artist ('' = the album artist)")
    track.add_argument("--isrc", metavar="CC-XXX-YY-NNNNN", help="ISRC, or 'none' to clear")
    track.add_argument("--trim-in", metavar="S", help="start in the source file, seconds")
    track.add_argument("--trim-out", metavar="S", help="end in the source file, seconds, or 'end'")
    track.add_argument("--fade-in", metavar="S", help="fade-in length, seconds (0: none)")
    track.add_argument("--fade-out", metavar="S", help="fade-out length, seconds (0: none)")
    track.add_argument("--fade-curve", metavar="C", help=f"curve of both fades: {CURVES}")
    track.add_argument("--fade-in-curve", metavar="C", help="curve of the fade-in")
    track.add_argument("--fade-out-curve", metavar="C", help="curve of the fade-out")
    track.set_defaults(handler=command_track)

    loudness = add(
        "loudness",
        "set the loudness policy",
        "Set how the album is levelled: album (one gain), track (each track to the target)\n"
        "or anchor (the loudest track to the target, the others keep their relation).",
        [
            "runout loudness album.json --mode album --target -14 --ceiling -1",
            "runout loudness album.json --target -16 --limiter",
        ],
    )
    loudness.add_argument("--mode", metavar="MODE", help="album, track or anchor")
    loudness.add_argument("--target", metavar="LUFS", help="integrated loudness target (-40 to -5)")
    loudness.add_argument("--ceiling", metavar="DBTP", help="true-peak ceiling (-20 to 0)")
    loudness.add_argument(
        "--limiter",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="allow limiting to reach the target (otherwise the gain is capped)",
    )
    loudness.set_defaults(handler=command_loudness)

    album = add(
        "album",
        "set the album's metadata",
        "Set the album's metadata. An empty text ('') clears artist, label or catalogue;\n"
        "'none' clears the UPC/EAN or the year. The UPC/EAN check digit is verified.",
        [
            'runout album album.json --title "Runout Groove" --artist "The Lathes"',
            "runout album album.json --label Groove --catalogue RUN-001 --upc 012345678905",
            "runout album album.json --year 2024 --upc none",
        ],
    )
    album.add_argument("--title", metavar="T", help="album title")
    album.add_argument("--artist", metavar="A", help="album artist")
    album.add_argument("--label", metavar="L", help="record label")
    album.add_argument("--catalogue", metavar="C", help="catalogue number, e.g. RUN-001")
    album.add_argument("--upc", metavar="CODE", help="12-digit UPC-A or 13-digit EAN-13, or 'none'")
    album.add_argument("--year", metavar="YEAR", help="release year, or 'none'")
    album.set_defaults(handler=command_album)

    delivery = add(
        "delivery",
        "set the digital delivery format",
        "Set the format of the digital deliverables.",
        [
            "runout delivery album.json --rate 44100 --bits 16 --cd-align",
            "runout delivery album.json --rate 96000 --bits 24 --format flac --no-cd-align",
        ],
    )
    delivery.add_argument("--rate", metavar="HZ", help="sample rate in Hz")
    delivery.add_argument("--bits", metavar="16|24|32", help="bit depth (32 is float)")
    delivery.add_argument("--format", metavar="wav|flac|aiff", help="file format")
    delivery.add_argument(
        "--cd-align",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="put track starts on CD frames (588 samples at 44.1 kHz)",
    )
    delivery.set_defaults(handler=command_delivery)

    add_command = add(
        "add",
        "add audio files as tracks",
        "Add audio files as new tracks, at the end of the running order or at --at.\n"
        "Ids are made from the file names; titles too unless --title is given.",
        [
            "runout add album.json mixes/bonus.wav",
            'runout add album.json intro.wav --at 1 --title "Intro"',
        ],
    )
    add_command.add_argument("audio", nargs="+", metavar="AUDIO", help="source audio files")
    add_command.add_argument("--at", metavar="POSITION", help="position of the first new track")
    add_command.add_argument("--title", metavar="T", help="title (one file only)")
    add_command.set_defaults(handler=command_add)

    remove = add(
        "remove",
        "remove tracks from the session",
        "Remove tracks from the session, their crossfades and the vinyl plan (the audio\n"
        "files are not touched). To keep a track aside, leave it out of 'runout order'.\n"
        + _TRACK_NOTE,
        ["runout remove album.json 4", "runout remove album.json outtake-1 outtake-2"],
    )
    remove.add_argument("tracks", nargs="+", metavar="TRACK", help=TRACK_HELP)
    remove.set_defaults(handler=command_remove)

    side = add(
        "side",
        "put tracks on a vinyl side, or take them off",
        "Put tracks on a vinyl side (taking them off any other side), in the order given,\n"
        "at the end of the side or at --at; a new side name adds a side.\n" + _TRACK_NOTE,
        [
            "runout side album.json 1 2 3 --on A",
            "runout side album.json 4 5 --on B",
            "runout side album.json dead-wax --on B --at 1",
            "runout side album.json 5 --off",
        ],
    )
    side.add_argument("tracks", nargs="+", metavar="TRACK", help=TRACK_HELP)
    where = side.add_mutually_exclusive_group(required=True)
    where.add_argument("--on", metavar="SIDE", help="side name, e.g. A")
    where.add_argument("--off", action="store_true", help="take the tracks off their side")
    side.add_argument("--at", metavar="N", help="position on the side, from 1")
    side.set_defaults(handler=command_side)

    vinyl_plan = add(
        "vinyl-plan",
        "set the vinyl plan: disc, pauses, lead-in, cut level, filters, cut sheet fields",
        "Set the vinyl pre-master plan. 'off' turns a filter off; --pause-before TRACK\n"
        "default returns that track to the vinyl pause. --matrix, --etching, --engineer,\n"
        "--contact, --notes, --paper and --date fill in the cut sheet.\n" + _TRACK_NOTE,
        [
            "runout vinyl-plan album.json --disc 12in-45 --pause 1.5 --lead-in 0.5",
            "runout vinyl-plan album.json --mono-below 150 --subsonic 20 --cut-level -2",
            "runout vinyl-plan album.json --pause-before 4 3 --pause-before 6 default",
            "runout vinyl-plan album.json --matrix A RUN001-A --etching A 'cut at the lathe'",
            "runout vinyl-plan album.json --engineer 'J. Doe' --contact jd@example.com "
            "--paper letter --date 2026-03-01 --notes 'A3 at 1:00: bass in anti-phase'",
        ],
    )
    vinyl_plan.add_argument("--disc", metavar="FORMAT", help="disc format, e.g. 12in-33, 7in-45")
    vinyl_plan.add_argument("--pause", metavar="S", help="pause between tracks on a side")
    vinyl_plan.add_argument(
        "--pause-before",
        nargs=2,
        action="append",
        metavar=("TRACK", "S"),
        help="vinyl pause before one track (seconds or 'default'); repeatable",
    )
    vinyl_plan.add_argument("--lead-in", metavar="S", help="silence before each side's first track")
    vinyl_plan.add_argument("--cut-level", metavar="DB", help="level change for the cut, dB")
    vinyl_plan.add_argument("--mono-below", metavar="HZ", help="fold bass to mono below, or 'off'")
    vinyl_plan.add_argument("--subsonic", metavar="HZ", help="subsonic high-pass, or 'off'")
    vinyl_plan.add_argument(
        "--matrix",
        nargs=2,
        action="append",
        metavar=("SIDE", "TEXT"),
        help="matrix number of a side ('' clears it); repeatable",
    )
    vinyl_plan.add_argument(
        "--etching",
        nargs=2,
        action="append",
        metavar=("SIDE", "TEXT"),
        help="run-out etching text of a side ('' clears it); repeatable",
    )
    vinyl_plan.add_argument("--engineer", metavar="NAME", help="mastering engineer (cut sheet)")
    vinyl_plan.add_argument("--contact", metavar="TEXT", help="the engineer's e-mail or phone")
    vinyl_plan.add_argument(
        "--notes", metavar="TEXT", help="notes for the cutting engineer ('\\n' starts a line)"
    )
    vinyl_plan.add_argument("--paper", metavar="a4|letter", help="cut sheet paper size")
    vinyl_plan.add_argument(
        "--date", metavar="YYYY-MM-DD", help="date on the cut sheet, 'today', or 'none'"
    )
    vinyl_plan.set_defaults(handler=command_vinyl_plan)
