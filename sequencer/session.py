"""The session: one immutable pydantic model that holds everything a user decided.

A :class:`Session` is the single source of truth for an album: its metadata, the
tracks and their running order, pauses and crossfades, the loudness policy, the
digital delivery format and the vinyl plan. Nothing derived from the audio is
stored here. Every model is frozen; edits build a new session (see
:mod:`sequencer.edits`), loading and saving live in :mod:`sequencer.store`.

Times are in seconds here, at the edge of the program; the timeline turns them
into exact sample positions.
"""

from __future__ import annotations

import datetime
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from sequencer.errors import SessionError

__all__ = [
    "MAX_CROSSFADE_S",
    "MAX_FADE_S",
    "MAX_NOTES",
    "MAX_PAUSE_S",
    "SCHEMA_VERSION",
    "Album",
    "Crossfade",
    "Curve",
    "DigitalDelivery",
    "Fade",
    "FileFormat",
    "LoudnessMode",
    "LoudnessPolicy",
    "PaperSize",
    "PauseOverride",
    "Session",
    "Side",
    "SideMarking",
    "Track",
    "VinylPlan",
    "check_against_sources",
    "format_isrc",
    "format_validation_error",
    "new_session",
    "slugify",
    "title_from_path",
    "unique_track_id",
]

SCHEMA_VERSION = 1
"""The session file format this runout writes and the newest one it reads."""

MAX_PAUSE_S = 3600.0
"""Longest pause or gap accepted anywhere (one hour)."""

MAX_CROSSFADE_S = 60.0
"""Longest crossfade accepted."""

MAX_FADE_S = 600.0
"""Longest fade-in or fade-out accepted (ten minutes)."""

MAX_TRIM_S = 86400.0
"""Largest trim point accepted (one day): anything beyond is a typo."""

MAX_TEXT = 500
"""Longest title, artist or label text accepted (CD-TEXT limits are a finding)."""

MAX_NOTES = 2000
"""Longest free-text note accepted (the cut sheet's notes box)."""

_ERROR_TYPE = "runout_session"
"""Pydantic error type of the whole-session rules (their message names every place)."""


# --------------------------------------------------------------------------- helpers


def _seconds(value: float) -> str:
    """Return *value* as a short number of seconds, e.g. ``"612.4 s"``."""
    return f"{value:.3f}".rstrip("0").rstrip(".") + " s"


def _quote(value: object) -> str:
    """Return *value* in double quotes for a one-line message (control characters escaped)."""
    text = "".join(repr(ch)[1:-1] if unicodedata.category(ch) == "Cc" else ch for ch in str(value))
    return f'"{text}"'


def _invalid(error_type: str, message: str) -> PydanticCustomError:
    """Build a pydantic error whose message is *message*, verbatim."""
    return PydanticCustomError(f"runout_{error_type}", "{message}", {"message": message})


def _check_text(value: str, info: ValidationInfo) -> str:
    """Reject control characters (newlines, tabs) in a single-line text field."""
    bad = [ch for ch in value if unicodedata.category(ch) == "Cc"]
    if bad:
        raise _invalid(
            "text",
            f"{info.field_name} {_quote(value[:60])} contains a control character "
            f"({bad[0]!r}); write it on one line",
        )
    return value


def _check_required_text(value: str, info: ValidationInfo) -> str:
    """Reject blank text in a required field."""
    if not value.strip():
        raise _invalid("blank", f"{info.field_name} must not be empty")
    return value


def _check_notes(value: str, info: ValidationInfo) -> str:
    """Reject control characters other than line breaks in a multi-line note."""
    bad = [ch for ch in value if unicodedata.category(ch) == "Cc" and ch not in "\n\r"]
    if bad:
        raise _invalid(
            "text",
            f"{info.field_name} {_quote(value[:60])} contains a control character ({bad[0]!r})",
        )
    return value.replace("\r\n", "\n").replace("\r", "\n")


def _blank_to_none(value: Any) -> Any:
    """Treat an empty or blank optional text as absent."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


Text = Annotated[
    str,
    Field(max_length=MAX_TEXT),
    AfterValidator(_check_text),
    AfterValidator(_check_required_text),
]
"""A required single-line text."""

OptionalText = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(_check_text)] | None
"""An optional single-line text (blank becomes ``None`` where a model says so)."""

Pause = Annotated[float, Field(ge=0.0, le=MAX_PAUSE_S)]
"""A pause in seconds: 0 to one hour."""

OptionalNotes = Annotated[str, Field(max_length=MAX_NOTES), AfterValidator(_check_notes)] | None
"""Optional multi-line free text (line breaks kept, other control characters refused)."""

TrackId = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.\-]+$")]
"""A stable track identifier: letters, digits, ``_``, ``.`` and ``-``."""


class _Model(BaseModel):
    """Base of every session model: frozen, strict about unknown keys, finite floats."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        allow_inf_nan=False,
    )


# --------------------------------------------------------------------------- enums


class Curve(StrEnum):
    """Shape of a fade or crossfade."""

    LINEAR = "linear"
    EQUAL_POWER = "equal-power"
    S_CURVE = "s-curve"


class LoudnessMode(StrEnum):
    """How tracks are brought to the loudness target."""

    ALBUM = "album"
    """One gain for the whole album: the album's integrated loudness meets the target."""
    TRACK = "track"
    """Each track meets the target on its own (plus its offset)."""
    ANCHOR = "anchor"
    """The loudest track meets the target; the others keep their relation to it."""


class PaperSize(StrEnum):
    """Paper of the printed cut sheet."""

    A4 = "a4"
    """ISO A4, 210 x 297 mm."""
    LETTER = "letter"
    """US Letter, 8.5 x 11 in."""


class FileFormat(StrEnum):
    """Container of the digital deliverables."""

    WAV = "wav"
    FLAC = "flac"
    AIFF = "aiff"


# --------------------------------------------------------------------------- identifiers

_ISRC_EXAMPLE = '"GB-AJY-24-00001" or "GBAJY2400001"'
_ISRC_COMPACT = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}[0-9]{2}[0-9]{5}$")
_ISRC_HYPHENATED = re.compile(r"^[A-Z]{2}-[A-Z0-9]{3}-[0-9]{2}-[0-9]{5}$")


def isrc_problem(text: str) -> str:
    """Say what is wrong with an upper-case ISRC candidate (empty when nothing)."""
    if _ISRC_COMPACT.match(text) or _ISRC_HYPHENATED.match(text):
        return ""
    if "-" in text and not re.match(r"^[^-]{2}-[^-]{3}-[^-]{2}-[^-]{5}$", text):
        return "hyphens go between the parts, as CC-XXX-YY-NNNNN"
    compact = text.replace("-", "")
    if len(compact) != 12:
        return f"it has {len(compact)} characters without hyphens; an ISRC has 12"
    country, registrant, year, designation = compact[:2], compact[2:5], compact[5:7], compact[7:]
    if not re.fullmatch(r"[A-Z]{2}", country):
        return f"the country code {_quote(country)} must be 2 letters"
    if not re.fullmatch(r"[A-Z0-9]{3}", registrant):
        return f"the registrant code {_quote(registrant)} must be 3 letters or digits"
    if not year.isdigit():
        return f"the year {_quote(year)} must be 2 digits"
    return f"the designation {_quote(designation)} must be 5 digits"


def _normalise_isrc(value: str) -> str:
    """Validate an ISRC and return its compact upper-case form."""
    text = value.strip().upper()
    problem = isrc_problem(text)
    if problem:
        raise _invalid(
            "isrc",
            f"isrc {_quote(value)} is not a valid ISRC: {problem}. Expected CC-XXX-YY-NNNNN "
            f"(country, registrant, year, designation), e.g. {_ISRC_EXAMPLE}",
        )
    return text.replace("-", "")


def format_isrc(isrc: str) -> str:
    """Return a compact ISRC in its hyphenated display form.

    Parameters
    ----------
    isrc : str
        A valid ISRC, compact (``GBAJY2400001``) or already hyphenated.

    Returns
    -------
    str
        The ISRC as ``CC-XXX-YY-NNNNN``.
    """
    compact = isrc.replace("-", "").upper()
    return f"{compact[:2]}-{compact[2:5]}-{compact[5:7]}-{compact[7:]}"


def gs1_check_digit(body: str) -> int:
    """Return the GS1 check digit of *body* (weights 3 and 1 from the right)."""
    total = sum(int(digit) * (3 if i % 2 == 0 else 1) for i, digit in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def _normalise_upc_ean(value: str) -> str:
    """Validate a UPC-A or EAN-13 code and return its digits."""
    digits = re.sub(r"[\s-]", "", value)
    if not digits.isdigit():
        raise _invalid(
            "upc_ean",
            f"upc_ean {_quote(value)} must contain only digits (12 for UPC-A, 13 for EAN-13)",
        )
    if len(digits) not in (12, 13):
        raise _invalid(
            "upc_ean",
            f"upc_ean {_quote(value)} has {len(digits)} digits; expected 12 (UPC-A) or 13 (EAN-13)",
        )
    expected = gs1_check_digit(digits[:-1])
    if int(digits[-1]) != expected:
        kind = "UPC-A" if len(digits) == 12 else "EAN-13"
        raise _invalid(
            "upc_ean",
            f"upc_ean {_quote(value)} is not a valid {kind}: its last digit is {digits[-1]} "
            f"but the GS1 check digit of {digits[:-1]} is {expected} (is a digit mistyped?)",
        )
    return digits


# --------------------------------------------------------------------------- models


class Fade(_Model):
    """A fade-in or fade-out at one end of a track."""

    seconds: Annotated[float, Field(ge=0.0, le=MAX_FADE_S)] = 0.0
    """Length of the fade in seconds; 0 means no fade."""
    curve: Curve = Curve.LINEAR
    """Shape of the fade."""


class Album(_Model):
    """What the release is: the metadata written to CUE sheets, tags and the cut sheet."""

    title: Text
    """Album title."""
    artist: OptionalText = None
    """Album artist (performer); ``None`` when not set."""
    label: OptionalText = None
    """Record label."""
    catalogue_number: OptionalText = None
    """The label's catalogue number, e.g. ``"RUN-001"``."""
    upc_ean: str | None = None
    """Barcode (CD Media Catalogue Number): 12-digit UPC-A or 13-digit EAN-13, digits only."""
    year: Annotated[int, Field(ge=1877, le=2100)] | None = None
    """Release year."""

    @field_validator("artist", "label", "catalogue_number", "upc_ean", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return _blank_to_none(value)

    @field_validator("upc_ean")
    @classmethod
    def _check_upc_ean(cls, value: str | None) -> str | None:
        return None if value is None else _normalise_upc_ean(value)


class Track(_Model):
    """One source file placed on the album, with the user's decisions about it."""

    id: TrackId
    """Stable identifier used by the order, crossfades and sides (``[A-Za-z0-9_.-]``)."""
    path: Path
    """The source audio file; absolute in memory, relative to the session file on disk."""
    title: Text
    """Track title."""
    artist: OptionalText = None
    """Track artist when it differs from the album artist."""
    isrc: str | None = None
    """International Standard Recording Code, stored compact and upper-case (12 characters)."""
    trim_in_s: Annotated[float, Field(ge=0.0, le=MAX_TRIM_S)] = 0.0
    """Where the track starts in the source file, in seconds."""
    trim_out_s: Annotated[float, Field(gt=0.0, le=MAX_TRIM_S)] | None = None
    """Where the track ends in the source file, in seconds; ``None`` is the end of the file."""
    fade_in: Fade = Field(default_factory=Fade)
    """Fade at the start of the trimmed track."""
    fade_out: Fade = Field(default_factory=Fade)
    """Fade at the end of the trimmed track."""
    offset_lu: Annotated[float, Field(ge=-40.0, le=20.0)] = 0.0
    """Level relative to the album in LU, e.g. -4 for an interlude that sits 4 LU lower."""
    pause_before_s: Pause | None = None
    """Pause before this track when it is not first; ``None`` is the session's default pause.

    The pause belongs to the track and moves with it.
    """

    @field_validator("artist", "isrc", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return _blank_to_none(value)

    @field_validator("isrc")
    @classmethod
    def _check_isrc(cls, value: str | None) -> str | None:
        return None if value is None else _normalise_isrc(value)

    @model_validator(mode="after")
    def _check_trim(self) -> Self:
        if self.trim_out_s is not None and self.trim_out_s <= self.trim_in_s:
            raise _invalid(
                "trim",
                f"trim_out_s ({_seconds(self.trim_out_s)}) must be later than trim_in_s "
                f"({_seconds(self.trim_in_s)})",
            )
        return self

    @property
    def display_name(self) -> str:
        """Return the track as users see it in messages: ``"intro" ("Intro")``."""
        return f"{_quote(self.id)} ({_quote(self.title)})"


class Crossfade(_Model):
    """An overlap on the seam between a track and the next one in the running order."""

    from_track: str
    """Id of the track that fades out."""
    to_track: str
    """Id of the track that fades in; it directly follows ``from_track`` in the order."""
    seconds: Annotated[float, Field(gt=0.0, le=MAX_CROSSFADE_S)]
    """Length of the overlap in seconds."""
    curve: Curve = Curve.EQUAL_POWER
    """Shape of both fades."""


class LoudnessPolicy(_Model):
    """How the album is levelled."""

    mode: LoudnessMode = LoudnessMode.ALBUM
    """Album, per-track, or anchored on the loudest track."""
    target_lufs: Annotated[float, Field(ge=-40.0, le=-5.0)] = -14.0
    """Integrated loudness target in LUFS (ITU-R BS.1770)."""
    true_peak_ceiling_dbtp: Annotated[float, Field(ge=-20.0, le=0.0)] = -1.0
    """Highest true peak allowed, in dBTP."""
    limiter_allowed: bool = False
    """Whether runout may limit peaks to reach the target; otherwise the gain is capped."""


class DigitalDelivery(_Model):
    """Format of the digital deliverables."""

    sample_rate: Annotated[int, Field(ge=8000, le=384000)] = 44100
    """Output sample rate in Hz."""
    bit_depth: Literal[16, 24, 32] = 24
    """Output bit depth: 16 or 24-bit integer, or 32 for 32-bit float."""
    file_format: FileFormat = FileFormat.WAV
    """Container of the output files."""
    cd_alignment: bool = False
    """Align track starts to CD frames (588 samples at 44.1 kHz)."""


class Side(_Model):
    """One side of a vinyl record and the tracks on it, in playing order."""

    name: Annotated[str, Field(min_length=1, max_length=20)]
    """Name of the side, e.g. ``"A"``."""
    track_ids: tuple[str, ...] = ()
    """Ids of the tracks on this side, in playing order."""


class PauseOverride(_Model):
    """A vinyl pause that differs from the plan's default, before one track."""

    track_id: str
    """Id of the track the pause precedes."""
    seconds: Pause
    """Length of the pause in seconds."""


class SideMarking(_Model):
    """What the plant writes in one side's run-out area (printed on the cut sheet)."""

    side: Annotated[str, Field(min_length=1, max_length=20)]
    """Name of the side, e.g. ``"A"`` (also valid for a proposed split's sides)."""
    matrix: OptionalText = None
    """The side's matrix number, e.g. ``"RUN001-A"``."""
    etching: OptionalText = None
    """Extra run-out etching text, e.g. a message or the cutting room's mark."""

    @field_validator("matrix", "etching", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return _blank_to_none(value)


class VinylPlan(_Model):
    """The vinyl pre-master plan (behaviour lives in :mod:`vinyl`)."""

    disc_format: Annotated[str, Field(min_length=1, max_length=40)] = "12in-33"
    """Disc format key, e.g. ``"12in-33"`` or ``"7in-45"`` (see ``vinyl.formats``)."""
    sides: tuple[Side, ...] = ()
    """The sides in order (A, B, ...)."""
    pause_s: Pause = 2.0
    """Pause between tracks on a side, in seconds."""
    pause_overrides: tuple[PauseOverride, ...] = ()
    """Pauses that differ from ``pause_s``, before given tracks."""
    lead_in_s: Annotated[float, Field(ge=0.0, le=60.0)] = 0.0
    """Silence before the first track of each side, in seconds."""
    cut_level_db: Annotated[float, Field(ge=-24.0, le=12.0)] = 0.0
    """Level change applied for the cut, in dB."""
    mono_below_hz: Annotated[float, Field(gt=0.0, le=1000.0)] | None = None
    """Fold the low end to mono below this frequency (elliptic EQ); ``None`` is off."""
    subsonic_hz: Annotated[float, Field(gt=0.0, le=100.0)] | None = None
    """High-pass cut-off of the subsonic filter in Hz; ``None`` is off."""
    side_markings: tuple[SideMarking, ...] = ()
    """Matrix number and run-out etching text of each side, by side name."""
    mastering_engineer: OptionalText = None
    """Who mastered the record, printed on the cut sheet."""
    engineer_contact: OptionalText = None
    """How the cutting room reaches the mastering engineer (e-mail, phone)."""
    cutting_notes: OptionalNotes = None
    """Notes for the cutting engineer (level, EQ, known problem spots); several lines."""
    paper_size: PaperSize = PaperSize.A4
    """Paper of the cut sheet."""
    cut_sheet_date: datetime.date | None = None
    """Date printed on the cut sheet; ``None`` prints none (so the same session gives the
    same PDF on any day)."""

    @field_validator("mastering_engineer", "engineer_contact", "cutting_notes", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return _blank_to_none(value)

    def marking(self, side: str) -> SideMarking:
        """Return the matrix number and etching of *side* (an empty marking when not set).

        Parameters
        ----------
        side : str
            Name of the side.

        Returns
        -------
        SideMarking
            The side's marking.
        """
        for marking in self.side_markings:
            if marking.side == side:
                return marking
        return SideMarking(side=side)


class Session(_Model):
    """The whole album: everything a user decided, and nothing derived."""

    schema_version: Annotated[int, Field(ge=1, le=SCHEMA_VERSION)] = SCHEMA_VERSION
    """Version of the session file format."""
    album: Album
    """Release metadata."""
    tracks: tuple[Track, ...] = ()
    """Every track of the session; tracks not in ``order`` are kept aside (parked)."""
    order: tuple[str, ...] = ()
    """The running order, as track ids."""
    pause_before_first_s: Pause = 0.0
    """Pause before the first track, in seconds."""
    default_pause_s: Pause = 2.0
    """Pause between tracks when a track does not set its own, in seconds."""
    crossfades: tuple[Crossfade, ...] = ()
    """Crossfades, each on the seam between two neighbours in the running order."""
    loudness: LoudnessPolicy = Field(default_factory=LoudnessPolicy)
    """How the album is levelled."""
    delivery: DigitalDelivery = Field(default_factory=DigitalDelivery)
    """Format of the digital deliverables."""
    vinyl: VinylPlan = Field(default_factory=VinylPlan)
    """The vinyl pre-master plan."""

    @model_validator(mode="after")
    def _check_rules(self) -> Self:
        problems = _session_problems(self)
        if problems:
            raise PydanticCustomError(_ERROR_TYPE, "{message}", {"message": "\n".join(problems)})
        return self

    def track(self, track_id: str) -> Track:
        """Return the track with id *track_id*.

        Parameters
        ----------
        track_id : str
            Id of the track.

        Returns
        -------
        Track
            The track.

        Raises
        ------
        SessionError
            When no track has that id.
        """
        for track in self.tracks:
            if track.id == track_id:
                return track
        known = ", ".join(track.id for track in self.tracks) or "none"
        raise SessionError(f"No track has id {_quote(track_id)} (track ids: {known})")

    def ordered_tracks(self) -> tuple[Track, ...]:
        """Return the tracks in running order (parked tracks left out).

        Returns
        -------
        tuple of Track
            The tracks named by ``order``, in that order.
        """
        by_id = {track.id: track for track in self.tracks}
        return tuple(by_id[track_id] for track_id in self.order)

    def position(self, track_id: str) -> int:
        """Return the index of *track_id* in the running order.

        Parameters
        ----------
        track_id : str
            Id of a track in the running order.

        Returns
        -------
        int
            Its 0-based position.

        Raises
        ------
        SessionError
            When the track is unknown or not in the running order.
        """
        track = self.track(track_id)
        try:
            return self.order.index(track_id)
        except ValueError:
            raise SessionError(f"Track {track.display_name} is not in the running order") from None

    def transition_into(self, track_id: str) -> Crossfade | float:
        """Return what comes before *track_id*: a crossfade, or a pause in seconds.

        Parameters
        ----------
        track_id : str
            Id of a track in the running order.

        Returns
        -------
        Crossfade or float
            The crossfade on the seam into the track when there is one; otherwise
            the pause in seconds: ``pause_before_first_s`` for the first track, the
            track's own ``pause_before_s`` or else ``default_pause_s``.

        Raises
        ------
        SessionError
            When the track is unknown or not in the running order.
        """
        index = self.position(track_id)
        if index == 0:
            return self.pause_before_first_s
        for crossfade in self.crossfades:
            if crossfade.to_track == track_id:
                return crossfade
        pause = self.track(track_id).pause_before_s
        return self.default_pause_s if pause is None else pause


# --------------------------------------------------------------------------- session rules


def _session_problems(session: Session) -> list[str]:
    """Return one user-readable line per broken whole-session rule."""
    problems: list[str] = []
    first_index: dict[str, int] = {}
    for index, track in enumerate(session.tracks):
        here = f"tracks[{index}] (id {_quote(track.id)}, {_quote(track.title)})"
        if track.id in first_index:
            other = session.tracks[first_index[track.id]]
            problems.append(
                f"{here}: id {_quote(track.id)} is already used by tracks[{first_index[track.id]}] "
                f"({_quote(other.title)}); track ids must be unique"
            )
        else:
            first_index[track.id] = index
    by_id = {track.id: track for track in session.tracks}

    def known(track_id: str) -> str:
        return by_id[track_id].display_name

    seen_in_order: dict[str, int] = {}
    for index, track_id in enumerate(session.order):
        if track_id not in by_id:
            problems.append(f"order[{index}]: no track has id {_quote(track_id)}")
        elif track_id in seen_in_order:
            problems.append(
                f"order[{index}]: track {known(track_id)} is listed twice in the running order "
                f"(also at order[{seen_in_order[track_id]}])"
            )
        else:
            seen_in_order[track_id] = index

    seams: dict[tuple[str, str], int] = {}
    for index, crossfade in enumerate(session.crossfades):
        here = (
            f"crossfades[{index}] ({_quote(crossfade.from_track)} -> {_quote(crossfade.to_track)})"
        )
        unknown = [
            f"{name} {_quote(value)} is not a track id"
            for name, value in (
                ("from_track", crossfade.from_track),
                ("to_track", crossfade.to_track),
            )
            if value not in by_id
        ]
        if unknown:
            problems.append(f"{here}: " + "; ".join(unknown))
            continue
        seam = (crossfade.from_track, crossfade.to_track)
        start = seen_in_order.get(crossfade.from_track)
        if start is None or seen_in_order.get(crossfade.to_track) != start + 1:
            problems.append(
                f"{here}: track {known(crossfade.from_track)} and track "
                f"{known(crossfade.to_track)} are not neighbours in the running order; a crossfade "
                "joins a track to the one right after it"
            )
        elif seam in seams:
            problems.append(f"{here}: the same seam already has crossfades[{seams[seam]}]")
        else:
            seams[seam] = index

    problems.extend(_vinyl_problems(session.vinyl, by_id))
    return problems


def _vinyl_problems(vinyl: VinylPlan, by_id: Mapping[str, Track]) -> list[str]:
    """Return the broken rules of the vinyl plan (sides and pause overrides)."""
    problems: list[str] = []
    side_of: dict[str, int] = {}
    names: dict[str, int] = {}
    for side_index, side in enumerate(vinyl.sides):
        here = f"vinyl.sides[{side_index}] (side {_quote(side.name)})"
        if side.name in names:
            problems.append(
                f"{here}: the side name is already used by vinyl.sides[{names[side.name]}]"
            )
        else:
            names[side.name] = side_index
        for index, track_id in enumerate(side.track_ids):
            if track_id not in by_id:
                problems.append(f"{here}: track_ids[{index}] {_quote(track_id)} is not a track id")
            elif track_id in side_of:
                where = side_of[track_id]
                other = vinyl.sides[where]
                again = (
                    "listed twice on this side"
                    if where == side_index
                    else f"already on vinyl.sides[{where}] (side {_quote(other.name)})"
                )
                problems.append(
                    f"{here}: track_ids[{index}] track {by_id[track_id].display_name} is {again}; "
                    "a track goes on one side only, once"
                )
            else:
                side_of[track_id] = side_index
    marked: dict[str, int] = {}
    for index, marking in enumerate(vinyl.side_markings):
        if marking.side in marked:
            problems.append(
                f"vinyl.side_markings[{index}]: side {_quote(marking.side)} already has a marking "
                f"(vinyl.side_markings[{marked[marking.side]}])"
            )
        else:
            marked[marking.side] = index
    overridden: set[str] = set()
    for index, override in enumerate(vinyl.pause_overrides):
        here = f"vinyl.pause_overrides[{index}]"
        if override.track_id not in by_id:
            problems.append(f"{here}: track_id {_quote(override.track_id)} is not a track id")
        elif override.track_id in overridden:
            problems.append(
                f"{here}: track {by_id[override.track_id].display_name} already has a pause "
                "override"
            )
        overridden.add(override.track_id)
    return problems


# --------------------------------------------------------------------------- checks with the audio


def _trimmed_lengths(
    session: Session, durations_s: Mapping[str, float], problems: list[str]
) -> dict[str, float]:
    """Check trims and fades of every track; return the usable trimmed lengths."""
    lengths: dict[str, float] = {}
    for index, track in enumerate(session.tracks):
        here = f"tracks[{index}] (id {_quote(track.id)}, {_quote(track.title)})"
        duration = durations_s.get(track.id)
        if duration is None:
            problems.append(f"{here}: the length of {track.path} is not known")
            continue
        if not math.isfinite(duration) or duration <= 0:
            problems.append(f"{here}: {track.path} has no audio (length {duration!r} s)")
            continue
        end = duration if track.trim_out_s is None else track.trim_out_s
        bad = False
        if track.trim_in_s >= duration:
            problems.append(
                f"{here}: trim_in_s ({_seconds(track.trim_in_s)}) is at or past the end of the "
                f"file ({_seconds(duration)})"
            )
            bad = True
        if track.trim_out_s is not None and track.trim_out_s > duration:
            problems.append(
                f"{here}: trim_out_s ({_seconds(track.trim_out_s)}) is past the end of the file "
                f"({_seconds(duration)})"
            )
            bad = True
        if bad:
            continue
        length = end - track.trim_in_s
        lengths[track.id] = length
        fade_in, fade_out = track.fade_in.seconds, track.fade_out.seconds
        for name, fade in (("fade_in", fade_in), ("fade_out", fade_out)):
            if fade > length:
                problems.append(
                    f"{here}: {name} ({_seconds(fade)}) is longer than the trimmed track "
                    f"({_seconds(length)})"
                )
        if fade_in <= length and fade_out <= length and fade_in + fade_out > length:
            problems.append(
                f"{here}: fade_in ({_seconds(fade_in)}) and fade_out ({_seconds(fade_out)}) "
                f"together are longer than the trimmed track ({_seconds(length)})"
            )
    return lengths


def check_against_sources(session: Session, durations_s: Mapping[str, float]) -> None:
    """Check the decisions that need the length of each source file.

    Parameters
    ----------
    session : Session
        The session to check.
    durations_s : Mapping of str to float
        Length of each track's source file in seconds, by track id.

    Raises
    ------
    SessionError
        Listing every problem, one per line: a length that is unknown, trims at or
        past the end of the file, fades longer than the trimmed track, crossfades
        longer than either of their trimmed tracks.
    """
    problems: list[str] = []
    lengths = _trimmed_lengths(session, durations_s, problems)
    for index, crossfade in enumerate(session.crossfades):
        for track_id in (crossfade.from_track, crossfade.to_track):
            length = lengths.get(track_id)
            if length is not None and crossfade.seconds > length:
                problems.append(
                    f"crossfades[{index}] ({_quote(crossfade.from_track)} -> "
                    f"{_quote(crossfade.to_track)}): seconds ({_seconds(crossfade.seconds)}) is "
                    f"longer than track {session.track(track_id).display_name} after trimming "
                    f"({_seconds(length)})"
                )
    if problems:
        raise SessionError(
            "The session does not fit its source audio:\n" + "\n".join(f"  {p}" for p in problems)
        )


# --------------------------------------------------------------------------- new sessions


def slugify(text: str) -> str:
    """Return *text* as a track id: lower-case ASCII letters and digits joined by ``-``.

    Parameters
    ----------
    text : str
        Any text, typically a file stem.

    Returns
    -------
    str
        The slug, or ``"track"`` when nothing usable is left.
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:80].rstrip("-") or "track"


def unique_track_id(text: str, taken: Iterable[str]) -> str:
    """Return a slug of *text* that is not in *taken*, adding ``-2``, ``-3``, ... when needed.

    Parameters
    ----------
    text : str
        Text to derive the id from, typically a file stem.
    taken : Iterable of str
        Ids already in use.

    Returns
    -------
    str
        A new, unused track id.
    """
    used = set(taken)
    base = slugify(text)
    candidate, number = base, 2
    while candidate in used:
        candidate, number = f"{base}-{number}", number + 1
    return candidate


def title_from_path(path: Path) -> str:
    """Return a track title guessed from a file name (underscores become spaces).

    Parameters
    ----------
    path : Path
        The audio file.

    Returns
    -------
    str
        The title, or the file name when the stem is blank.
    """
    title = " ".join(path.stem.replace("_", " ").split())
    return title or path.name


def new_session(
    paths: Sequence[Path],
    *,
    title: str,
    artist: str | None = None,
    default_pause_s: float = 2.0,
) -> Session:
    """Start a session from audio files, in the given order.

    Parameters
    ----------
    paths : Sequence of Path
        Source audio files, in running order; relative paths are made absolute
        against the current directory.
    title : str
        Album title.
    artist : str, optional
        Album artist.
    default_pause_s : float, optional
        Pause between tracks in seconds (2 by default).

    Returns
    -------
    Session
        A session whose track ids are slugs of the file stems (made unique with
        ``-2``, ``-3``) and whose titles are the stems.

    Raises
    ------
    SessionError
        When a value is invalid (for example an empty title).
    """
    tracks: list[dict[str, Any]] = []
    for raw in paths:
        path = Path(raw).expanduser().absolute()
        track_id = unique_track_id(path.stem, (track["id"] for track in tracks))
        tracks.append({"id": track_id, "path": path, "title": title_from_path(path)})
    data = {
        "album": {"title": title, "artist": artist},
        "tracks": tracks,
        "order": [track["id"] for track in tracks],
        "default_pause_s": default_pause_s,
    }
    try:
        return Session.model_validate(data)
    except ValidationError as error:
        problems = format_validation_error(error, data)
        raise SessionError(f"Cannot start the session:\n{problems}") from None


# --------------------------------------------------------------------------- error messages


def _show(value: object) -> str:
    """Return an input value as a user reads it in a message."""
    if isinstance(value, str):
        return _quote(value if len(value) <= 60 else value[:57] + "...")
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


def _phrase(item: Mapping[str, Any]) -> str:
    """Return a pydantic error as a phrase that follows the field name."""
    kind: str = item["type"]
    ctx: Mapping[str, Any] = item.get("ctx") or {}
    got = f" (got {_show(item.get('input'))})"
    fixed = {
        "missing": "is required",
        "extra_forbidden": "is not a known field (check the spelling)",
    }
    if kind in fixed:
        return fixed[kind]
    bounds = {
        "greater_than_equal": ("must be at least", "ge"),
        "greater_than": ("must be more than", "gt"),
        "less_than_equal": ("must be at most", "le"),
        "less_than": ("must be less than", "lt"),
        "string_too_short": ("must have at least this many characters:", "min_length"),
        "too_short": ("must have at least this many items:", "min_length"),
        "string_too_long": ("must have at most this many characters:", "max_length"),
    }
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return "must not be empty"
    if kind in bounds:
        words, key = bounds[kind]
        return f"{words} {ctx.get(key)}{got}"
    if kind == "finite_number":
        return f"must be a finite number{got}"
    if kind == "string_pattern_mismatch":
        return f"may only contain letters, digits, '_', '.' and '-'{got}"
    if kind in ("enum", "literal_error"):
        return f"must be one of {ctx.get('expected')}{got}"
    message: str = item.get("msg", "is not valid")
    message = message.removeprefix("Value error, ")
    if message.startswith("Input "):
        message = message[len("Input ") :]
    elif message:
        message = message[0].lower() + message[1:]
    return f"{message}{got}"


def _describe_item(parent: object, node: object) -> str:
    """Return a short description of a list item (track, crossfade, side) for a path."""
    if not isinstance(node, Mapping):
        return ""
    if parent == "tracks" and "id" in node:
        title = node.get("title")
        return f" (id {_quote(node['id'])}" + (f", {_quote(title)})" if title else ")")
    if parent == "crossfades" and "from_track" in node and "to_track" in node:
        return f" ({_quote(node['from_track'])} -> {_quote(node['to_track'])})"
    if parent == "sides" and "name" in node:
        return f" (side {_quote(node['name'])})"
    return ""


def _path_text(parts: Sequence[object], data: object) -> str:
    """Return a field path such as ``tracks[3] (id "intro", "Intro").fade_in``."""
    text = ""
    node = data
    parent: object = None
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
            if isinstance(node, Sequence) and not isinstance(node, str) and 0 <= part < len(node):
                node = node[part]
                text += _describe_item(parent, node)
            else:
                node = None
        else:
            text += f".{part}" if text else str(part)
            node = node.get(part) if isinstance(node, Mapping) else None
        parent = part
    return text


def format_validation_error(
    error: ValidationError, session_data: Mapping[str, Any] | None = None
) -> str:
    """Turn a pydantic validation error into user-readable lines, one per problem.

    Parameters
    ----------
    error : ValidationError
        The error raised while validating a session (or one of its parts).
    session_data : Mapping, optional
        The data that was validated; when given, tracks, crossfades and sides are
        named by their id and title, not only by their index.

    Returns
    -------
    str
        One line per problem, e.g. ``tracks[3] (id "intro", "Intro"): isrc "GB12"
        is not a valid ISRC: ...``.
    """
    lines: list[str] = []
    for item in error.errors(include_url=False):
        kind: str = item["type"]
        if kind == _ERROR_TYPE:
            lines.extend(str(item["msg"]).split("\n"))
            continue
        loc = tuple(item["loc"])
        last_index = max((i for i, part in enumerate(loc) if isinstance(part, int)), default=-1)
        split = last_index + 1 if last_index >= 0 else max(len(loc) - 1, 0)
        container = _path_text(loc[:split], session_data)
        field = ".".join(str(part) for part in loc[split:])
        if kind.startswith("runout_"):
            text = str(item["msg"])
        else:
            text = f"{field} {_phrase(item)}" if field else _phrase(item)
        lines.append(f"{container}: {text}" if container else text)
    return "\n".join(lines)
