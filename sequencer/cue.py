"""The CUE sheet of the continuous album file.

One ``FILE`` holds the whole timeline; every time is relative to its start and
written MM:SS:FF (75 CD frames per second). The sheet is built from the
:class:`~sequencer.timeline.Timeline`, so it agrees with the rendered album
file and the per-track files to the sample.

Conventions
-----------
- **Lines** end with CRLF. The format comes from CDRWIN on DOS and most
  writers (EAC, CDRWIN, foobar2000) use CRLF; cuetools 1.4 (``cuebreakpoints``,
  ``cueprint``, ``cueconvert``), shntool 3.0 (``shnsplit -f``) and cdrdao 1.2
  read CRLF and LF alike (checked: no stray CR in titles or file names),
  while some Windows burners reject LF-only sheets.
- **Text** is ASCII by default, which reads the same as ASCII, Latin-1 and
  UTF-8; ``charset="latin-1"`` keeps ISO-8859-1 letters (CD-TEXT's character
  set) for tools that read the sheet as Latin-1. Other characters are
  transliterated (accents dropped, ``ß`` -> ``ss``, typographic dashes and
  quotes to ``-`` and ``'``, ``…`` -> ``...``); what cannot be is written
  ``?``. A double quote becomes ``'``: no CUE reader unescapes a backslash-escaped quote
  (cuetools and shntool keep the backslash, cdrdao rejects the line).
  ``TITLE`` and ``PERFORMER`` are shortened to 80 characters at a word
  boundary, ending in ``...``. Write the sheet with :func:`write_cue_sheet`.
- **INDEX 01** is the track's first sample (:attr:`Placement.start`).
  **INDEX 00** marks the pause before a track when there is one (every pause
  is in the album file): the first frame boundary at or after the pause's
  start, so the frame holding the previous track's last samples stays with
  that track; for track 1 it is the lead-in, from ``00:00:00``. A crossfade, a
  gapless join or a pause shorter than that boundary has no INDEX 00.
- **Frames**: a track start between two CD frames cannot be written. By
  default (``off_frame="error"``) such a timeline is refused;
  ``off_frame="round"`` rounds every start to the nearest frame and logs a
  warning. A CD-aligned timeline (:func:`~sequencer.timeline.place` with
  ``cd_alignment``) puts every start on a frame, so its INDEX 01 are exact.

Splitting the album file back into tracks
-----------------------------------------
``cuebreakpoints album.cue | shnsplit -o wav album.wav`` gives exactly
:meth:`Timeline.file_ranges`: cuebreakpoints appends every pause to the track
before it (``--append-gaps``, its default) and keeps the lead-in with track 1.
``shnsplit -f album.cue`` splits at every INDEX 01 (it ignores INDEX 00), so it
writes the lead-in to a separate ``00 pregap`` file first: that file followed
by its track 01 file is the first file range, the other files are equal.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sequencer.errors import SessionError
from sequencer.session import Session
from sequencer.timeline import CD_FRAMES_PER_SECOND, Timeline

__all__ = [
    "CUE_LINE_END",
    "FILE_TYPES",
    "MAX_CUE_TEXT",
    "MAX_TRACKS",
    "Charset",
    "CuePoint",
    "OffFrame",
    "catalog_number",
    "cd_frames",
    "cue_points",
    "cue_sheet",
    "cue_text",
    "msf",
    "msf_to_samples",
    "write_cue_sheet",
]

logger = logging.getLogger(__name__)

CUE_LINE_END = "\r\n"
"""Line ending of the sheets runout writes."""

MAX_TRACKS = 99
"""Red Book: at most 99 tracks."""

MAX_CUE_TEXT = 80
"""Longest quoted ``TITLE``, ``PERFORMER`` or ``SONGWRITER`` (CDRWIN specification)."""

FILE_TYPES = ("WAVE", "AIFF", "MP3", "BINARY", "MOTOROLA")
"""File types of the CDRWIN specification (FLAC files are conventionally ``WAVE``)."""

Charset = Literal["ascii", "latin-1"]
"""Characters a sheet may hold: ASCII, or ISO-8859-1."""

OffFrame = Literal["error", "round"]
"""What to do with a track start between two CD frames: refuse, or round to the nearest."""

_FRAMES_PER_MINUTE = 60 * CD_FRAMES_PER_SECOND

_ELLIPSIS = "..."

# Replacements tried before the Unicode decomposition (every value is ASCII).
_TRANSLITERATION = {
    "\u00c6": "AE",
    "\u00e6": "ae",
    "\u0152": "OE",
    "\u0153": "oe",
    "\u00d8": "O",
    "\u00f8": "o",
    "\u00df": "ss",
    "\u1e9e": "SS",
    "\u00d0": "D",
    "\u00f0": "d",
    "\u0110": "D",
    "\u0111": "d",
    "\u0141": "L",
    "\u0142": "l",
    "\u00de": "Th",
    "\u00fe": "th",
    "\u0131": "i",
    "\u00ab": "<<",
    "\u00bb": ">>",
    "\u2039": "<",
    "\u203a": ">",
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "\u201c": "'",
    "\u201d": "'",
    "\u201e": "'",
    "\u201f": "'",
    "\u2033": "'",
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2015": "-",
    "\u2212": "-",
    "\u2026": "...",
    "\u2022": "*",
    "\u00b7": ".",
    "\u00d7": "x",
    "\u00f7": "/",
    "\u2044": "/",
    "\u00a9": "(C)",
    "\u00ae": "(R)",
    "\u20ac": "EUR",
}


@dataclass(frozen=True)
class CuePoint:
    """The indexes of one track in the album file, in CD frames from the file's start."""

    number: int
    """Track number, from 1."""
    track_id: str
    """The track's id in the session."""
    index00: int | None
    """INDEX 00 (start of the pause before the track), or ``None`` without a pause."""
    index01: int
    """INDEX 01 (the track's first sample)."""


# --------------------------------------------------------------------------- times


def cd_frames(samples: int, sample_rate: int, *, exact: bool = True) -> int:
    """Convert a sample position to CD frames (1/75 s).

    Parameters
    ----------
    samples : int
        Position or length in samples, not negative.
    sample_rate : int
        Sample rate in Hz.
    exact : bool, optional
        Refuse a position between two frames (default); otherwise round to the
        nearest frame, halves up.

    Returns
    -------
    int
        Whole CD frames.

    Raises
    ------
    ValueError
        When ``samples`` is negative, the rate is not positive, or ``exact`` is
        set and the position is not on a frame.
    """
    if samples < 0:
        raise ValueError(f"a CD position cannot be negative ({samples} samples)")
    if sample_rate <= 0:
        raise ValueError(f"sample rate must be positive (got {sample_rate})")
    scaled = samples * CD_FRAMES_PER_SECOND
    if exact:
        if scaled % sample_rate:
            raise ValueError(
                f"{samples} samples at {sample_rate} Hz is not a whole number of CD frames (1/75 s)"
            )
        return scaled // sample_rate
    return (2 * scaled + sample_rate) // (2 * sample_rate)


def _frames_to_msf(frames: int) -> str:
    """Return a frame count as MM:SS:FF."""
    minutes, rest = divmod(frames, _FRAMES_PER_MINUTE)
    seconds, frame = divmod(rest, CD_FRAMES_PER_SECOND)
    return f"{minutes:02d}:{seconds:02d}:{frame:02d}"


def msf(samples: int, sample_rate: int, *, exact: bool = True) -> str:
    """Return a sample position as CUE time MM:SS:FF (75 frames per second).

    Parameters
    ----------
    samples : int
        Position in samples, not negative.
    sample_rate : int
        Sample rate in Hz.
    exact : bool, optional
        Refuse a position between two frames (default); otherwise round to the
        nearest frame.

    Returns
    -------
    str
        For example ``"03:07:42"``; minutes take more digits past 99.

    Raises
    ------
    ValueError
        As :func:`cd_frames`.
    """
    return _frames_to_msf(cd_frames(samples, sample_rate, exact=exact))


_MSF = re.compile(r"(\d{2,}):(\d{2}):(\d{2})")


def msf_to_samples(text: str, sample_rate: int) -> int:
    """Return the sample position of a CUE time MM:SS:FF (the inverse of :func:`msf`).

    Parameters
    ----------
    text : str
        A time such as ``"03:07:42"`` (seconds below 60, frames below 75).
    sample_rate : int
        Sample rate in Hz.

    Returns
    -------
    int
        The position in samples.

    Raises
    ------
    ValueError
        When the text is not MM:SS:FF or the frame does not fall on a whole
        sample at ``sample_rate``.
    """
    match = _MSF.fullmatch(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a CUE time MM:SS:FF")
    minutes, seconds, frame = (int(part) for part in match.groups())
    if seconds >= 60 or frame >= CD_FRAMES_PER_SECOND:
        raise ValueError(f"{text!r}: seconds must be below 60 and frames below 75")
    frames = minutes * _FRAMES_PER_MINUTE + seconds * CD_FRAMES_PER_SECOND + frame
    samples, remainder = divmod(frames * sample_rate, CD_FRAMES_PER_SECOND)
    if remainder:
        raise ValueError(f"{text!r} is not a whole sample at {sample_rate} Hz")
    return samples


def cue_points(timeline: Timeline, *, off_frame: OffFrame = "error") -> tuple[CuePoint, ...]:
    """Return the INDEX 00 and INDEX 01 of every track, in CD frames.

    INDEX 01 is the track's first sample. INDEX 00 is the first frame boundary
    at or after the start of the pause before the track (the end of the
    previous track's audio is rarely on a frame, and the frame holding its
    last samples stays with it); a pause shorter than that has no INDEX 00.

    Parameters
    ----------
    timeline : Timeline
        The album's timeline; the album file starts at its sample 0.
    off_frame : {"error", "round"}, optional
        An INDEX 01 between two CD frames is refused (default) or rounded to
        the nearest frame with a logged warning.

    Returns
    -------
    tuple of CuePoint
        One per track, in order.

    Raises
    ------
    SessionError
        With more than 99 tracks; with ``off_frame="error"`` when a track
        start is not on a frame (naming the tracks); when rounding puts two
        track starts in one frame.
    """
    count = len(timeline.placements)
    if count > MAX_TRACKS:
        raise SessionError(
            f"a CD and its CUE sheet hold at most {MAX_TRACKS} tracks; this album has {count}"
        )
    rate = timeline.sample_rate
    off = [
        f"track {p.number} ({p.track_id}) starts at sample {p.start} ({p.start / rate:.6f} s)"
        for p in timeline.placements
        if (p.start * CD_FRAMES_PER_SECOND) % rate
    ]
    if off:
        listing = "\n".join(f"  {line}" for line in off)
        if off_frame == "error":
            raise SessionError(
                f"These track starts fall between CD frames (1/75 s = {rate / 75:g} samples at "
                f"{rate} Hz), so the CUE sheet cannot give them exactly:\n{listing}\n"
                "For CD delivery turn on delivery.cd_alignment (44100 Hz); otherwise allow "
                "rounding to the nearest frame."
            )
        logger.warning("CUE track starts rounded to the nearest CD frame:\n%s", listing)
    points: list[CuePoint] = []
    for placement in timeline.placements:
        index01 = cd_frames(placement.start, rate, exact=False)
        index00 = None
        if placement.pause_before > 0:
            index00 = -(-placement.pause_start * CD_FRAMES_PER_SECOND // rate)
            if index00 >= index01:
                index00 = None
        if points and index01 <= points[-1].index01:
            raise SessionError(
                f"track {placement.number} ({placement.track_id}) starts in the same CD frame as "
                "the track before, so it cannot have its own INDEX 01"
            )
        points.append(CuePoint(placement.number, placement.track_id, index00, index01))
    return tuple(points)


# --------------------------------------------------------------------------- text


def _encodable(char: str, charset: Charset) -> bool:
    """Whether ``char`` is a printable character of ``charset``."""
    return ord(char) < (0x80 if charset == "ascii" else 0x100) and char.isprintable()


def _transliterate(char: str, charset: Charset) -> str:
    """Return ``char`` in ``charset``: itself, a transliteration, or ``?``."""
    if char == '"':
        return "'"
    if _encodable(char, charset):
        return char
    category = unicodedata.category(char)
    if category[0] == "Z" or char in "\t\n\r":
        return " "
    if category in ("Cc", "Cf", "Mn"):
        return ""
    if char in _TRANSLITERATION:
        return _TRANSLITERATION[char]
    decomposed = unicodedata.normalize("NFKD", char)
    if decomposed != char:
        return "".join(_transliterate(part, charset) for part in decomposed)
    return "?"


def _shorten(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters, at a word boundary when one is near, with ``...``."""
    if len(text) <= limit:
        return text
    room = limit - len(_ELLIPSIS)
    cut = text[:room]
    space = cut.rfind(" ")
    if space >= room * 2 // 3:
        cut = cut[:space]
    return cut.rstrip(" ,;:-/(&") + _ELLIPSIS


def cue_text(text: str, *, charset: Charset = "ascii", limit: int = MAX_CUE_TEXT) -> str:
    """Return ``text`` made safe for a quoted CUE (or CD-TEXT) field.

    Parameters
    ----------
    text : str
        Any text.
    charset : {"ascii", "latin-1"}, optional
        Characters to keep; others are transliterated or replaced with ``?``.
    limit : int, optional
        Longest result; longer text is shortened at a word boundary and ends
        with ``...``.

    Returns
    -------
    str
        One line without double quotes (they become ``'``) or control
        characters, whitespace collapsed, at most ``limit`` characters.
    """
    normal = unicodedata.normalize("NFC", text)
    safe = "".join(_transliterate(char, charset) for char in normal)
    safe = " ".join(safe.split())
    if safe != " ".join(normal.split()):
        logger.info("CUE text %r written as %r", text, safe)
    short = _shorten(safe, limit)
    if short != safe:
        logger.warning("CUE text shortened to %d characters: %r -> %r", limit, safe, short)
    return short


def _quoted(text: str) -> str:
    """Return ``text`` in double quotes (it holds none)."""
    return f'"{text}"'


def _file_name(name: str, charset: Charset) -> str:
    """Check the audio file's name: it must be written as it is, so nothing is replaced."""
    bad = [char for char in name if char == '"' or not _encodable(char, charset)]
    if not name.strip() or bad:
        detail = f" (it contains {bad[0]!r})" if bad else ""
        raise SessionError(
            f"the album file name {name!r} cannot be written in a CUE sheet{detail}: use "
            f"printable {charset.upper()} characters without double quotes"
        )
    return name


# --------------------------------------------------------------------------- the sheet


def catalog_number(upc_ean: str) -> str:
    """Return a UPC-A or EAN-13 as the 13-digit CUE ``CATALOG`` (Media Catalogue Number).

    Parameters
    ----------
    upc_ean : str
        12 digits (UPC-A) or 13 digits (EAN-13), as the session stores it.

    Returns
    -------
    str
        13 digits; a UPC-A gets a leading 0.

    Raises
    ------
    SessionError
        When the code is not 12 or 13 digits.
    """
    digits = upc_ean.strip()
    if not (digits.isascii() and digits.isdigit() and len(digits) in (12, 13)):
        raise SessionError(f"upc_ean {upc_ean!r} must be 12 (UPC-A) or 13 (EAN-13) digits")
    return digits.zfill(13)


def cue_sheet(
    session: Session,
    timeline: Timeline,
    audio_file_name: str,
    *,
    file_type: str = "WAVE",
    off_frame: OffFrame = "error",
    charset: Charset = "ascii",
) -> str:
    """Write the CUE sheet of the continuous album file.

    Parameters
    ----------
    session : Session
        Album and track metadata (titles, artists, ISRCs, UPC/EAN).
    timeline : Timeline
        The album's timeline; the album file is the whole timeline from sample 0.
    audio_file_name : str
        The album file as the ``FILE`` line names it, usually its bare name
        next to the sheet; written verbatim.
    file_type : str, optional
        ``FILE`` type, one of :data:`FILE_TYPES` (``WAVE`` also for FLAC).
    off_frame : {"error", "round"}, optional
        A track start between two CD frames is refused (default, for CD use) or
        rounded to the nearest frame with a logged warning.
    charset : {"ascii", "latin-1"}, optional
        Characters allowed in the text (see the module notes).

    Returns
    -------
    str
        The sheet, lines ending in CRLF; write it with :func:`write_cue_sheet`.

    Raises
    ------
    SessionError
        With more than 99 tracks, a track start between frames (``off_frame="error"``),
        a track missing from the session, or a file name that cannot be quoted.
    ValueError
        When ``file_type`` is unknown.
    """
    if file_type not in FILE_TYPES:
        raise ValueError(f"file_type must be one of {', '.join(FILE_TYPES)} (got {file_type!r})")
    name = _file_name(audio_file_name, charset)
    points = cue_points(timeline, off_frame=off_frame)
    album = session.album
    lines: list[str] = []
    if album.upc_ean:
        lines.append(f"CATALOG {catalog_number(album.upc_ean)}")
    if album.artist:
        lines.append(f"PERFORMER {_quoted(cue_text(album.artist, charset=charset))}")
    lines.append(f"TITLE {_quoted(cue_text(album.title, charset=charset))}")
    lines.append(f"FILE {_quoted(name)} {file_type}")
    for point in points:
        track = session.track(point.track_id)
        performer = track.artist or album.artist
        lines.append(f"  TRACK {point.number:02d} AUDIO")
        lines.append(f"    TITLE {_quoted(cue_text(track.title, charset=charset))}")
        if performer:
            lines.append(f"    PERFORMER {_quoted(cue_text(performer, charset=charset))}")
        if track.isrc:
            lines.append(f"    ISRC {track.isrc.replace('-', '').upper()}")
        if point.index00 is not None:
            lines.append(f"    INDEX 00 {_frames_to_msf(point.index00)}")
        lines.append(f"    INDEX 01 {_frames_to_msf(point.index01)}")
    return "".join(line + CUE_LINE_END for line in lines)


def write_cue_sheet(path: Path, sheet: str, *, charset: Charset = "ascii") -> None:
    """Write a sheet from :func:`cue_sheet` byte for byte (no newline translation).

    Parameters
    ----------
    path : Path
        The ``.cue`` file to write.
    sheet : str
        The sheet's text.
    charset : {"ascii", "latin-1"}, optional
        Its encoding; the same ``charset`` the sheet was made with.

    Raises
    ------
    UnicodeEncodeError
        When the text holds a character outside ``charset``.
    """
    path.write_bytes(sheet.encode("ascii" if charset == "ascii" else "latin-1"))
