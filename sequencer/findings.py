"""Findings: what the checks found, as data, and the core checks that find them.

A :class:`Finding` has a stable ``code`` (its title and explanation live in
:data:`CODES`), a severity, where it is (track, side, time on the album and in the
track), the measured value, the limit it broke, and advice in plain words. Every
check is a small function returning a list of findings; :func:`check_session` runs
the ones its inputs allow. The CLI prints findings (:func:`to_json` for
``--json``), the TUI lists them, the cut sheet prints them; vinyl adds its own.

Checks here
-----------
- Red Book rules when a CD is a deliverable (:func:`check_cd`).
- Metadata: ISRC format and duplicates, UPC/EAN, missing titles (:func:`check_metadata`).
- Rendered true peaks over the ceiling (:func:`check_true_peaks`).
- Sources: clipping, clicks, sample rates that force resampling
  (:func:`check_clipping`, :func:`check_clicks`, :func:`check_sample_rates`).
- Seams: crossfades over silence, abrupt loudness jumps
  (:func:`check_crossfades`, :func:`check_loudness_jumps`).
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Annotated

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from sequencer.analysis import TrackAnalysis
from sequencer.session import (
    Session,
    Track,
    format_isrc,
    gs1_check_digit,
    isrc_problem,
    title_from_path,
)
from sequencer.timeline import (
    CD_FRAMES_PER_SECOND,
    CD_MIN_FIRST_PAUSE_S,
    Placement,
    SourceInfo,
    Timeline,
    album_timeline,
    to_samples,
)

logger = logging.getLogger(__name__)

__all__ = [
    "CD_MAX_LENGTH_S",
    "CD_MAX_TRACKS",
    "CD_MIN_TRACK_S",
    "CD_SAMPLE_RATE",
    "CD_WARN_LENGTH_S",
    "CODES",
    "CROSSFADE_SILENCE_FRACTION",
    "LOUDNESS_JUMP_LU",
    "CodeInfo",
    "Finding",
    "Severity",
    "check_cd",
    "check_clicks",
    "check_clipping",
    "check_crossfades",
    "check_loudness_jumps",
    "check_metadata",
    "check_sample_rates",
    "check_session",
    "check_true_peaks",
    "explain",
    "format_clock",
    "has_errors",
    "sort_findings",
    "to_json",
]

#: Red Book: the only sample rate of CD audio, Hz.
CD_SAMPLE_RATE = 44100
#: Red Book: at most 99 tracks.
CD_MAX_TRACKS = 99
#: Red Book: a track lasts at least 4 s (INDEX 01 to the next track's first index).
CD_MIN_TRACK_S = 4.0
#: Older players and some plants stop at 74 minutes: warn above.
CD_WARN_LENGTH_S = 74 * 60.0
#: Longest programme plants accept: 79:59:74 (MM:SS:FF), the last frame before 80:00.
CD_MAX_LENGTH_S = 80 * 60.0 - 1.0 / CD_FRAMES_PER_SECOND
#: Default loudness jump across a seam that is worth a warning, LU.
LOUDNESS_JUMP_LU = 6.0
#: Short-term loudness window (EBU R 128), seconds.
SHORT_TERM_S = 3.0
#: A crossfade is flagged when silence fills at least this fraction of its overlap.
CROSSFADE_SILENCE_FRACTION = 0.5
#: A rendered true peak this little over the ceiling is rounding, not a finding, dB.
TRUE_PEAK_TOLERANCE_DB = 0.005


class Severity(StrEnum):
    """How much a finding matters."""

    ERROR = "error"
    """Breaks a rule of the deliverable; fix it before delivery (``runout check`` exits 1)."""
    WARNING = "warning"
    """Probably a mistake or a flaw worth hearing; decide before delivery."""
    INFO = "info"
    """Worth knowing; nothing needs to change."""


_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


class Finding(BaseModel):
    """One thing a check found: what, where, how far off, and what to do."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    code: Annotated[str, Field(pattern=r"^[A-Z]+(-[A-Z0-9]+)+$")]
    """Stable identifier, e.g. ``CD-TRACK-TOO-SHORT`` (see :data:`CODES`)."""
    severity: Severity
    """Error, warning or info."""
    message: str
    """What was found, in one plain sentence."""
    track_id: str | None = None
    """The track concerned; ``None`` for the whole album."""
    track_title: str | None = None
    """Its title, for display."""
    side: str | None = None
    """The vinyl side concerned (vinyl checks); ``None`` here."""
    time_s: float | None = None
    """Where, in seconds on the album timeline (or the side); ``None`` for no one place."""
    time_in_track_s: float | None = None
    """Where, in seconds from the start of the (trimmed) track."""
    measured: float | None = None
    """The measured value."""
    limit: float | None = None
    """The limit it was checked against."""
    unit: str | None = None
    """Unit of ``measured`` and ``limit``, e.g. ``s``, ``dBTP``, ``LU``, ``Hz``."""
    advice: str
    """What to do about it, in plain words."""

    @property
    def title(self) -> str:
        """Return the code's short title (the code itself when it is not in :data:`CODES`)."""
        info = CODES.get(self.code)
        return info.title if info is not None else self.code


@dataclass(frozen=True)
class CodeInfo:
    """What a finding code means."""

    code: str
    """The code."""
    severity: Severity
    """The severity its findings carry."""
    title: str
    """A short title."""
    explanation: str
    """Why it matters, in a few plain sentences."""


_CODE_LIST = (
    CodeInfo(
        "CD-SAMPLE-RATE",
        Severity.ERROR,
        "CD audio is not 44.1 kHz",
        "Red Book audio is 44 100 Hz, 16-bit stereo. A CD image at another rate cannot be "
        "pressed or burned.",
    ),
    CodeInfo(
        "CD-TOO-MANY-TRACKS",
        Severity.ERROR,
        "More than 99 tracks",
        "A CD holds at most 99 tracks (Red Book).",
    ),
    CodeInfo(
        "CD-TRACK-TOO-SHORT",
        Severity.ERROR,
        "CD track shorter than 4 seconds",
        "Red Book tracks last at least 4 s, from their INDEX 01 to the next track's first "
        "index (its INDEX 00 when a pause precedes it). Plants and burners reject shorter ones.",
    ),
    CodeInfo(
        "CD-TOO-LONG",
        Severity.ERROR,
        "Programme longer than a CD",
        "Plants accept programmes up to about 79:59; a longer album does not fit on one disc.",
    ),
    CodeInfo(
        "CD-TOO-LONG-WARN",
        Severity.WARNING,
        "Programme longer than 74 minutes",
        "The original CD length is 74 minutes. Longer discs play in current players, but some "
        "plants and older players have trouble with them.",
    ),
    CodeInfo(
        "CD-FIRST-PAUSE",
        Severity.ERROR,
        "Pause before track 1 shorter than 2 seconds",
        "Red Book puts a pause of at least 2 s (150 frames) before track 1.",
    ),
    CodeInfo(
        "META-ISRC-FORMAT",
        Severity.ERROR,
        "Malformed ISRC",
        "An ISRC has 12 characters, CC-XXX-YY-NNNNN: country, registrant, year, designation. "
        "A malformed one is rejected by distributors and not written to the disc.",
    ),
    CodeInfo(
        "META-ISRC-DUPLICATE",
        Severity.ERROR,
        "Same ISRC on two tracks",
        "Each recording on a release has its own ISRC; two tracks sharing one get their plays "
        "and royalties mixed up.",
    ),
    CodeInfo(
        "META-UPC-FORMAT",
        Severity.ERROR,
        "Malformed UPC/EAN",
        "The barcode (the CD's Media Catalogue Number) has 12 digits (UPC-A) or 13 (EAN-13).",
    ),
    CodeInfo(
        "META-UPC-CHECK-DIGIT",
        Severity.ERROR,
        "UPC/EAN check digit is wrong",
        "The last digit of a UPC/EAN is a check digit (GS1: weights 3 and 1 from the right). "
        "When it does not match, a digit is mistyped.",
    ),
    CodeInfo(
        "META-TITLE-MISSING",
        Severity.WARNING,
        "Title missing or a placeholder",
        "Titles go into CD-TEXT, tags and the distributor's metadata. An empty title, or one "
        "like 'Untitled', 'Track 3' or a file name, is rarely what the artist wants shown.",
    ),
    CodeInfo(
        "LEVEL-TRUE-PEAK-OVER-CEILING",
        Severity.ERROR,
        "Rendered true peak over the ceiling",
        "A rendered file peaks above the session's true-peak ceiling (BS.1770 true peak). "
        "Lossy encoders and some converters then clip.",
    ),
    CodeInfo(
        "SOURCE-CLIPPING",
        Severity.WARNING,
        "Clipping in a source",
        "The source has runs of samples at full scale: it was clipped before it reached "
        "runout. Lowering the gain does not undo clipping.",
    ),
    CodeInfo(
        "SOURCE-CLICKS",
        Severity.WARNING,
        "Clicks or pops in a source",
        "The source has isolated sample jumps far above the music around them: edit clicks, "
        "digital dropouts or pops. They are audible on good playback.",
    ),
    CodeInfo(
        "SOURCE-RATE-MISMATCH",
        Severity.INFO,
        "Source resampled for delivery",
        "The source's sample rate differs from the delivery rate, so the render converts it "
        "(a high-quality polyphase filter). Upsampling adds no information.",
    ),
    CodeInfo(
        "SEQ-CROSSFADE-OVER-SILENCE",
        Severity.WARNING,
        "Crossfade over silence",
        "Much of a crossfade falls on silence at the end of the outgoing track or the start "
        "of the incoming one, so it sounds like a gap and a fade, not a blend.",
    ),
    CodeInfo(
        "SEQ-LOUDNESS-JUMP",
        Severity.WARNING,
        "Abrupt loudness jump at a seam",
        "Short-term loudness changes a lot from the end of one track to the start of the "
        "next. Sometimes intended; often a level or sequencing slip.",
    ),
)

#: Every code of the core checks, with its title and explanation.
CODES: Mapping[str, CodeInfo] = MappingProxyType({info.code: info for info in _CODE_LIST})


def explain(code: str) -> CodeInfo | None:
    """Return what a finding code means.

    Parameters
    ----------
    code : str
        A finding code, e.g. ``"CD-TOO-LONG"``.

    Returns
    -------
    CodeInfo or None
        Its severity, title and explanation; ``None`` for codes of other packages.
    """
    return CODES.get(code)


# --------------------------------------------------------------------------- helpers


def format_clock(seconds: float, digits: int = 1, *, hours: bool = True) -> str:
    """Return a time as ``M:SS.s`` (``H:MM:SS.s`` from one hour).

    Parameters
    ----------
    seconds : float
        The time, not negative.
    digits : int, optional
        Decimals of the seconds.
    hours : bool, optional
        False keeps counting minutes past the hour (``80:30.0``), as CD lengths are given.

    Returns
    -------
    str
        For example ``"3:07.5"``.
    """
    scale = 10**digits
    units = round(seconds * scale)
    minutes, rest = divmod(units, 60 * scale)
    whole_hours, minutes = divmod(minutes, 60) if hours else (0, minutes)
    width = 3 + digits if digits else 2
    text = f"{rest / scale:0{width}.{digits}f}"
    return f"{whole_hours}:{minutes:02d}:{text}" if whole_hours else f"{minutes}:{text}"


def _make(code: str, message: str, advice: str, **where: object) -> Finding:
    """Build a finding with the severity its code carries."""
    return Finding.model_validate(
        {"code": code, "severity": CODES[code].severity, "message": message, "advice": advice}
        | where
    )


def _track_fields(track: Track) -> dict[str, object]:
    """Return the finding fields that name a track."""
    return {"track_id": track.id, "track_title": track.title}


def _name(track: Track) -> str:
    """Return a track as messages name it."""
    return f'"{track.title}"'


def _sentence(text: str) -> str:
    """Return ``text`` with its first letter in upper case (the rest untouched)."""
    return text[:1].upper() + text[1:]


def _number(session: Session, track: Track) -> str:
    """Return ``track 3 "Title"`` (or just the title for a parked track)."""
    if track.id in session.order:
        return f"track {session.order.index(track.id) + 1} {_name(track)}"
    return _name(track)


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Sort findings by severity, then by time (album-wide findings first), code and track.

    Parameters
    ----------
    findings : Iterable of Finding
        Findings in any order.

    Returns
    -------
    list of Finding
        Errors first, then warnings, then infos; within each, in album order.
    """
    return sorted(
        findings,
        key=lambda f: (
            _RANK[f.severity],
            f.side or "",
            -math.inf if f.time_s is None else f.time_s,
            f.code,
            f.track_id or "",
        ),
    )


def to_json(findings: Iterable[Finding], *, indent: int | None = 2) -> str:
    """Return findings as a JSON array, sorted, each with its code's title.

    Parameters
    ----------
    findings : Iterable of Finding
        The findings.
    indent : int or None, optional
        JSON indentation; ``None`` for one line.

    Returns
    -------
    str
        A JSON array of objects with the fields of :class:`Finding` plus ``title``.
    """
    items = [
        finding.model_dump(mode="json") | {"title": finding.title}
        for finding in sort_findings(findings)
    ]
    return json.dumps(items, indent=indent, ensure_ascii=False)


def has_errors(findings: Iterable[Finding]) -> bool:
    """Return True when any finding is an error.

    Parameters
    ----------
    findings : Iterable of Finding
        The findings.

    Returns
    -------
    bool
        Whether ``runout check`` should exit with status 1.
    """
    return any(finding.severity == Severity.ERROR for finding in findings)


# --------------------------------------------------------------------------- Red Book


def check_cd(session: Session, timeline: Timeline) -> list[Finding]:
    """Check the Red Book rules on the album timeline of a CD.

    Parameters
    ----------
    session : Session
        The session (for track titles).
    timeline : Timeline
        The album timeline as it goes on the CD (44.1 kHz, CD-aligned).

    Returns
    -------
    list of Finding
        ``CD-SAMPLE-RATE``, ``CD-TOO-MANY-TRACKS``, ``CD-TRACK-TOO-SHORT`` (a track
        lasts from its INDEX 01 to the next track's first index: its INDEX 00, at the
        first frame boundary of the pause before it, or its INDEX 01), ``CD-TOO-LONG``
        or ``CD-TOO-LONG-WARN``, and ``CD-FIRST-PAUSE``.
    """
    findings: list[Finding] = []
    rate = timeline.sample_rate
    placements = timeline.placements
    if rate != CD_SAMPLE_RATE:
        findings.append(
            _make(
                "CD-SAMPLE-RATE",
                f"The CD timeline runs at {rate} Hz; CD audio is {CD_SAMPLE_RATE} Hz.",
                f"Set delivery.sample_rate to {CD_SAMPLE_RATE} or use the CD preset.",
                measured=float(rate),
                limit=float(CD_SAMPLE_RATE),
                unit="Hz",
            )
        )
    if len(placements) > CD_MAX_TRACKS:
        findings.append(
            _make(
                "CD-TOO-MANY-TRACKS",
                f"The album has {len(placements)} tracks; a CD holds at most {CD_MAX_TRACKS}.",
                "Join short tracks (as index points of one track) or split the album over "
                "two discs.",
                measured=float(len(placements)),
                limit=float(CD_MAX_TRACKS),
                unit="tracks",
            )
        )
    for index, placement in enumerate(placements):
        if index + 1 < len(placements):
            end = _first_index(placements[index + 1], timeline)
        else:
            end = timeline.length
        length_s = (end - placement.start) / rate
        if length_s < CD_MIN_TRACK_S:
            track = session.track(placement.track_id)
            findings.append(
                _make(
                    "CD-TRACK-TOO-SHORT",
                    f"{_sentence(_number(session, track))} lasts {length_s:.2f} s on the CD; "
                    f"a CD track lasts at least {CD_MIN_TRACK_S:g} s.",
                    "Lengthen it (less trimming, or a longer pause after it) or join it to a "
                    "neighbouring track.",
                    time_s=placement.start / rate,
                    time_in_track_s=0.0,
                    measured=round(length_s, 3),
                    limit=CD_MIN_TRACK_S,
                    unit="s",
                    **_track_fields(track),
                )
            )
    total_s = timeline.length / rate
    if total_s > CD_MAX_LENGTH_S:
        findings.append(
            _make(
                "CD-TOO-LONG",
                f"The album lasts {format_clock(total_s, hours=False)}; a CD holds at most 79:59.",
                f"Cut {format_clock(total_s - CD_MAX_LENGTH_S)} (shorter pauses, fewer tracks) "
                "or split the album over two discs.",
                measured=round(total_s, 3),
                limit=round(CD_MAX_LENGTH_S, 3),
                unit="s",
            )
        )
    elif total_s > CD_WARN_LENGTH_S:
        findings.append(
            _make(
                "CD-TOO-LONG-WARN",
                f"The album lasts {format_clock(total_s, hours=False)}, over the 74 minutes "
                "every player and plant handles.",
                "Ask the plant whether it presses discs this long; cut "
                f"{format_clock(total_s - CD_WARN_LENGTH_S)} to be safe.",
                measured=round(total_s, 3),
                limit=CD_WARN_LENGTH_S,
                unit="s",
            )
        )
    if placements:
        first = placements[0]
        pause_s = first.pause_before / rate
        if first.pause_before < to_samples(CD_MIN_FIRST_PAUSE_S, rate):
            track = session.track(first.track_id)
            findings.append(
                _make(
                    "CD-FIRST-PAUSE",
                    f"Track 1 starts {pause_s:.2f} s into the CD; the pause before it must be "
                    f"at least {CD_MIN_FIRST_PAUSE_S:g} s.",
                    "Turn on delivery.cd_alignment (or use the CD preset): it puts 2 s before "
                    "track 1.",
                    time_s=0.0,
                    measured=round(pause_s, 3),
                    limit=CD_MIN_FIRST_PAUSE_S,
                    unit="s",
                    **_track_fields(track),
                )
            )
    return findings


def _first_index(placement: Placement, timeline: Timeline) -> int:
    """Return a track's first index on the CD: INDEX 00 of its pause, else INDEX 01.

    As the CUE sheet writes it: INDEX 00 sits on the first frame boundary at or
    after the pause's start, when that is before the track's start.
    """
    if placement.pause_before == 0:
        return placement.start
    frame = timeline.frame or timeline.sample_rate // CD_FRAMES_PER_SECOND
    boundary = -(-placement.pause_start // frame) * frame
    return boundary if boundary < placement.start else placement.start


# --------------------------------------------------------------------------- metadata

_PLACEHOLDER = re.compile(
    r"(?:untitled|no ?title|title|track|audio|new (?:track|album)|unknown|tbd|tba|todo|x{3,})"
    r"(?:[\s._#-]*\d+)?|0\d*|[?]+|-+",
    re.IGNORECASE,
)
_AUDIO_FILE = re.compile(r"\.(wav|wave|flac|aiff?|mp3|ogg|opus|m4a|aac)$", re.IGNORECASE)
_NUMBERED_STEM = re.compile(r"^\d{1,3}[\s._-]")


def _placeholder(title: str) -> str:
    """Say why a title looks unset (empty when it looks like a real title)."""
    text = title.strip()
    if not text:
        return "is empty"
    if _PLACEHOLDER.fullmatch(text):
        return f'"{text}" looks like a placeholder'
    if _AUDIO_FILE.search(text):
        return f'"{text}" is a file name'
    return ""


def check_metadata(session: Session) -> list[Finding]:
    """Check ISRCs, the UPC/EAN and titles of the release.

    The session model rejects malformed values when a session is loaded; sessions
    built or edited in code skip that validation, and duplicates are only found here.

    Parameters
    ----------
    session : Session
        The session; the tracks of the running order are the release.

    Returns
    -------
    list of Finding
        ``META-ISRC-FORMAT``, ``META-ISRC-DUPLICATE``, ``META-UPC-FORMAT``,
        ``META-UPC-CHECK-DIGIT`` and ``META-TITLE-MISSING``.
    """
    findings: list[Finding] = []
    seen: dict[str, Track] = {}
    for track in session.ordered_tracks():
        if not track.isrc:
            continue
        text = track.isrc.strip().upper()
        problem = isrc_problem(text)
        if problem:
            findings.append(
                _make(
                    "META-ISRC-FORMAT",
                    f'The ISRC "{track.isrc}" of {_number(session, track)} is not valid: '
                    f"{problem}.",
                    "Copy the ISRC again from the registrant's list; write it as "
                    "CC-XXX-YY-NNNNN (e.g. GB-AJY-24-00001).",
                    **_track_fields(track),
                )
            )
            continue
        compact = text.replace("-", "")
        first = seen.get(compact)
        if first is None:
            seen[compact] = track
            continue
        findings.append(
            _make(
                "META-ISRC-DUPLICATE",
                f"{_sentence(_number(session, track))} has the ISRC {format_isrc(compact)}, "
                f"already given to {_number(session, first)}.",
                "Give each recording its own ISRC (a remix or edit is a new recording).",
                **_track_fields(track),
            )
        )
    findings.extend(_upc_findings(session.album.upc_ean))
    album_problem = _placeholder(session.album.title)
    if album_problem:
        findings.append(
            _make(
                "META-TITLE-MISSING",
                f"The album title {album_problem}.",
                "Set the album title as it should appear in CD-TEXT and the stores.",
            )
        )
    for track in session.ordered_tracks():
        problem = _placeholder(track.title)
        if (
            not problem
            and track.title == title_from_path(track.path)
            and _NUMBERED_STEM.match(track.title)
        ):
            problem = f'"{track.title}" is the file name'
        if problem:
            findings.append(
                _make(
                    "META-TITLE-MISSING",
                    f"The title of track {session.order.index(track.id) + 1} ({track.id}) "
                    f"{problem}.",
                    "Set the track title as it should appear in CD-TEXT and the stores.",
                    **_track_fields(track),
                )
            )
    return findings


def _upc_findings(upc_ean: str | None) -> list[Finding]:
    """Check the album's UPC/EAN."""
    if upc_ean is None or not upc_ean.strip():
        return []
    digits = re.sub(r"[\s-]", "", upc_ean)
    if not digits.isdigit() or len(digits) not in (12, 13):
        return [
            _make(
                "META-UPC-FORMAT",
                f'The UPC/EAN "{upc_ean}" is not 12 or 13 digits.',
                "Copy the barcode number again: 12 digits for a UPC-A, 13 for an EAN-13.",
            )
        ]
    expected = gs1_check_digit(digits[:-1])
    if int(digits[-1]) == expected:
        return []
    kind = "UPC-A" if len(digits) == 12 else "EAN-13"
    return [
        _make(
            "META-UPC-CHECK-DIGIT",
            f'The {kind} "{upc_ean}" ends in {digits[-1]}, but its check digit is {expected}.',
            "A digit is mistyped: copy the barcode number again from the label's records.",
            measured=float(digits[-1]),
            limit=float(expected),
        )
    ]


# --------------------------------------------------------------------------- rendered levels


def check_true_peaks(
    true_peaks: Mapping[str, float | None] | Iterable[tuple[str, float | None]],
    ceiling_dbtp: float,
    *,
    session: Session | None = None,
) -> list[Finding]:
    """Check the measured true peaks of rendered outputs against the ceiling.

    Parameters
    ----------
    true_peaks : Mapping or Iterable of (str, float or None)
        True peak of each rendered output in dBTP, by track id or output name
        (``None`` for silence).
    ceiling_dbtp : float
        The true-peak ceiling, dBTP.
    session : Session, optional
        When given, names that are track ids are reported as those tracks.

    Returns
    -------
    list of Finding
        One ``LEVEL-TRUE-PEAK-OVER-CEILING`` per output above the ceiling.
    """
    items = true_peaks.items() if isinstance(true_peaks, Mapping) else true_peaks
    known = {track.id: track for track in session.tracks} if session is not None else {}
    findings: list[Finding] = []
    for name, peak in items:
        if peak is None or peak <= ceiling_dbtp + TRUE_PEAK_TOLERANCE_DB:
            continue
        track = known.get(name)
        what = (
            f"The render of {_number(session, track)}"
            if track is not None and session is not None
            else f'The output "{name}"'
        )
        findings.append(
            _make(
                "LEVEL-TRUE-PEAK-OVER-CEILING",
                f"{what} peaks at {peak:+.2f} dBTP, {peak - ceiling_dbtp:.2f} dB over the "
                f"{ceiling_dbtp:+.1f} dBTP ceiling.",
                f"Lower its gain by {peak - ceiling_dbtp:.2f} dB, or allow the true-peak "
                "limiter (loudness.limiter_allowed) and render again.",
                measured=round(peak, 3),
                limit=ceiling_dbtp,
                unit="dBTP",
                **(_track_fields(track) if track is not None else {}),
            )
        )
    return findings


# --------------------------------------------------------------------------- sources


@dataclass(frozen=True)
class _Span:
    """Where a track's used part of its source is, and where the track sits on the album."""

    track: Track
    analysis: TrackAnalysis
    trim_in_s: float
    trim_out_s: float
    album_start_s: float | None

    def in_track(self, source_s: float) -> float | None:
        """Return a source time as a time in the trimmed track; ``None`` when trimmed away."""
        if self.trim_in_s <= source_s < self.trim_out_s:
            return source_s - self.trim_in_s
        return None


def _spans(
    session: Session, analyses: Mapping[str, TrackAnalysis], timeline: Timeline | None
) -> list[_Span]:
    """Return the used part of every analysed track of the running order."""
    placed = {p.track_id: p for p in timeline.placements} if timeline is not None else {}
    spans = []
    for track in session.ordered_tracks():
        analysis = analyses.get(track.id)
        if analysis is None:
            continue
        end = analysis.duration_s if track.trim_out_s is None else track.trim_out_s
        placement = placed.get(track.id)
        start = placement.start / timeline.sample_rate if placement and timeline else None
        spans.append(_Span(track, analysis, track.trim_in_s, min(end, analysis.duration_s), start))
    return spans


def _source_events(
    session: Session,
    analyses: Mapping[str, TrackAnalysis],
    timeline: Timeline | None,
    code: str,
    count_of: str,
    times_of: str,
) -> list[tuple[_Span, int, float | None]]:
    """Return (span, events, first time in the track) for tracks whose used part has events.

    Only the first event times are known; when none of them is inside the trims but
    more events exist than times, the events may still be inside, so they count.
    """
    found: list[tuple[_Span, int, float | None]] = []
    for span in _spans(session, analyses, timeline):
        count = int(getattr(span.analysis, count_of))
        times: tuple[float, ...] = getattr(span.analysis, times_of)
        if count == 0:
            continue
        inside = [t for t in (span.in_track(s) for s in times) if t is not None]
        if inside:
            found.append((span, count, inside[0]))
        elif count > len(times) and (not times or times[-1] < span.trim_out_s):
            found.append((span, count, None))
        else:
            logger.debug("%s: %s events of %s are all trimmed away", code, count, span.track.id)
    return found


def _where(span: _Span, in_track_s: float | None) -> dict[str, object]:
    """Return the place fields of a finding at a time in a track."""
    fields = _track_fields(span.track)
    if in_track_s is not None:
        fields["time_in_track_s"] = round(in_track_s, 4)
        if span.album_start_s is not None:
            fields["time_s"] = round(span.album_start_s + in_track_s, 4)
    return fields


def check_clipping(
    session: Session, analyses: Mapping[str, TrackAnalysis], timeline: Timeline | None = None
) -> list[Finding]:
    """Report clipped sources.

    Parameters
    ----------
    session : Session
        The session.
    analyses : Mapping of str to TrackAnalysis
        The analysis of each track, by track id (tracks without one are skipped).
    timeline : Timeline, optional
        The album timeline, for times on the album.

    Returns
    -------
    list of Finding
        One ``SOURCE-CLIPPING`` per track whose used part has clipped runs, at the first.
    """
    findings = []
    for span, count, first in _source_events(
        session, analyses, timeline, "SOURCE-CLIPPING", "clipped_runs", "clip_times_s"
    ):
        at = f", the first at {format_clock(first, 2)}" if first is not None else ""
        findings.append(
            _make(
                "SOURCE-CLIPPING",
                f"The source of {_number(session, span.track)} has {count} clipped "
                f"run{'s' if count > 1 else ''} (3 or more samples at full scale){at}.",
                "Ask for a master or mix with headroom (no clipping); runout's gain cannot "
                "undo it.",
                measured=float(count),
                limit=0.0,
                unit="runs",
                **_where(span, first),
            )
        )
    return findings


def check_clicks(
    session: Session, analyses: Mapping[str, TrackAnalysis], timeline: Timeline | None = None
) -> list[Finding]:
    """Report clicks and pops in sources.

    Parameters
    ----------
    session : Session
        The session.
    analyses : Mapping of str to TrackAnalysis
        The analysis of each track, by track id (tracks without one are skipped).
    timeline : Timeline, optional
        The album timeline, for times on the album.

    Returns
    -------
    list of Finding
        One ``SOURCE-CLICKS`` per track whose used part has clicks, at the first.
    """
    findings = []
    for span, count, first in _source_events(
        session, analyses, timeline, "SOURCE-CLICKS", "clicks", "click_times_s"
    ):
        known = [t for t in map(span.in_track, span.analysis.click_times_s) if t is not None]
        listed = ", ".join(format_clock(t, 3) for t in known[:5])
        at = f" (at {listed}{', ...' if count > len(known[:5]) else ''})" if listed else ""
        findings.append(
            _make(
                "SOURCE-CLICKS",
                f"The source of {_number(session, span.track)} has {count} "
                f"click{'s' if count > 1 else ''}{at}.",
                "Listen at these times; repair them with a de-click tool or ask for a clean "
                "bounce of the track.",
                measured=float(count),
                limit=0.0,
                unit="clicks",
                **_where(span, first),
            )
        )
    return findings


def check_sample_rates(session: Session, timeline: Timeline) -> list[Finding]:
    """Report sources whose rate differs from the timeline's, so the render resamples them.

    Parameters
    ----------
    session : Session
        The session.
    timeline : Timeline
        The timeline being delivered (its rate is the output rate).

    Returns
    -------
    list of Finding
        One ``SOURCE-RATE-MISMATCH`` per source rate that differs (naming the track
        when only one has it).
    """
    output = timeline.sample_rate
    groups: dict[int, list[Placement]] = {}
    for placement in timeline.placements:
        if placement.source_rate != output:
            groups.setdefault(placement.source_rate, []).append(placement)
    findings = []
    for rate, placements in sorted(groups.items()):
        tracks = [session.track(p.track_id) for p in placements]
        if len(tracks) == 1:
            who = f"The source of {_number(session, tracks[0])} is"
            where = _track_fields(tracks[0]) | {"time_s": placements[0].start / output}
        else:
            who = f"{len(tracks)} sources ({', '.join(t.id for t in tracks)}) are"
            where = {}
        if rate > output:
            advice = (
                f"runout converts it with a high-quality filter. If the mastering engineer "
                f"can supply masters at {output} Hz, use them instead."
            )
        else:
            advice = (
                f"Upsampling adds no information: deliver at {rate} Hz (delivery.sample_rate) "
                f"unless the platform asks for {output} Hz."
            )
        findings.append(
            _make(
                "SOURCE-RATE-MISMATCH",
                f"{who} at {rate} Hz and will be resampled to {output} Hz.",
                advice,
                measured=float(rate),
                limit=float(output),
                unit="Hz",
                **where,
            )
        )
    return findings


# --------------------------------------------------------------------------- seams


def _analysed_pairs(
    session: Session, timeline: Timeline, analyses: Mapping[str, TrackAnalysis]
) -> Iterable[tuple[Placement, Placement, TrackAnalysis, TrackAnalysis]]:
    """Yield the neighbouring placements whose two tracks are both analysed."""
    placements = timeline.placements
    for before, after in itertools.pairwise(placements):
        first, second = analyses.get(before.track_id), analyses.get(after.track_id)
        if first is not None and second is not None:
            yield before, after, first, second


def _sound_range(placement: Placement, analysis: TrackAnalysis) -> tuple[float, float]:
    """Return where sound starts and ends (above -60 dBFS) in the trimmed track, seconds.

    From the source's leading and trailing silence; the start is not after the end.
    """
    trim_in = placement.source_start / placement.source_rate
    trim_out = placement.source_stop / placement.source_rate
    length = trim_out - trim_in
    start = min(max(analysis.leading_silence_s - trim_in, 0.0), length)
    end = min(max(analysis.duration_s - analysis.trailing_silence_s - trim_in, 0.0), length)
    return start, max(start, end)


def check_crossfades(
    session: Session,
    timeline: Timeline,
    analyses: Mapping[str, TrackAnalysis],
    *,
    fraction: float = CROSSFADE_SILENCE_FRACTION,
) -> list[Finding]:
    """Report crossfades that fall on the silent end or start of their tracks.

    Parameters
    ----------
    session : Session
        The session.
    timeline : Timeline
        The album timeline.
    analyses : Mapping of str to TrackAnalysis
        The analysis of each track, by track id (its leading and trailing silence).
    fraction : float, optional
        Flag a crossfade when silence (below -60 dBFS) covers at least this fraction
        of its overlap, on either side.

    Returns
    -------
    list of Finding
        ``SEQ-CROSSFADE-OVER-SILENCE`` for the outgoing track's silent tail and for the
        incoming track's silent start, at the start of the overlap.
    """
    findings = []
    rate = timeline.sample_rate
    for before, after, first, second in _analysed_pairs(session, timeline, analyses):
        if after.crossfade_in == 0:
            continue
        overlap = after.crossfade_in / rate
        seam_s = after.start / rate
        length = before.length / rate
        tail = length - _sound_range(before, first)[1]
        head = _sound_range(after, second)[0]
        outgoing, incoming = session.track(before.track_id), session.track(after.track_id)
        for track, silent, side in ((outgoing, tail, "end"), (incoming, head, "start")):
            covered = min(silent, overlap)
            if covered < fraction * overlap or covered <= 0.0:
                continue
            if track is outgoing:
                trim = track.trim_in_s + length - silent
                fix = f"set trim_out_s of {_name(track)} to about {trim:.1f} s"
                in_track = round(length - overlap, 4)
            else:
                trim = track.trim_in_s + silent
                fix = f"set trim_in_s of {_name(track)} to about {trim:.1f} s"
                in_track = 0.0
            findings.append(
                _make(
                    "SEQ-CROSSFADE-OVER-SILENCE",
                    f"The {overlap:.1f} s crossfade from {_name(outgoing)} into "
                    f"{_name(incoming)} overlaps {covered:.1f} s of silence at the {side} "
                    f"of {_name(track)}.",
                    f"Trim the silence ({fix}) so the music overlaps, or use a pause "
                    "instead of the crossfade.",
                    time_s=round(seam_s, 4),
                    time_in_track_s=in_track,
                    measured=round(covered, 3),
                    limit=round(fraction * overlap, 3),
                    unit="s",
                    **_track_fields(track),
                )
            )
    return findings


def _short_term(analysis: TrackAnalysis, source_end_s: float) -> float | None:
    """Return the short-term loudness of the window ending at ``source_end_s`` in the source."""
    profile = analysis.short_term_profile
    if not profile:
        return None
    index = round(source_end_s / analysis.profile_step_s) - 1
    return profile[min(max(index, 0), len(profile) - 1)]


def _envelope_db(placement: Placement, rate: int, begin_s: float, end_s: float) -> float:
    """Mean power of a placement's fades and crossfades over a stretch of it, dB.

    The music is taken as steady over the stretch, so this is what the fades take
    off its short-term loudness (0 without fades; -inf when fully faded out).
    """
    from sequencer.render import envelope  # the render engine: not needed to import the checks

    first = min(to_samples(begin_s, rate), placement.length - 1)
    last = min(max(first + 1, to_samples(end_s, rate)), placement.length)
    gains = envelope(placement, first, last, 0.0)
    power = float(np.mean(gains**2))
    return 10.0 * math.log10(power) if power > 0.0 else -math.inf


def check_loudness_jumps(
    session: Session,
    timeline: Timeline,
    analyses: Mapping[str, TrackAnalysis],
    *,
    gains_db: Mapping[str, float] | None = None,
    threshold_lu: float = LOUDNESS_JUMP_LU,
) -> list[Finding]:
    """Report abrupt changes of short-term loudness across the seams of the album.

    At each seam, the short-term (3 s) loudness of the last 3 s of sound of the
    outgoing track is compared with that of the first 3 s of sound of the incoming
    track (silence at the ends is skipped), after the tracks' gains and as lowered
    by their fades and crossfades.

    Parameters
    ----------
    session : Session
        The session.
    timeline : Timeline
        The album timeline.
    analyses : Mapping of str to TrackAnalysis
        The analysis of each track, by track id (its short-term profile).
    gains_db : Mapping of str to float, optional
        Gain of each track in dB, by track id, e.g. from the gain plan
        (``plan.gains_db()``); missing tracks get 0.
    threshold_lu : float, optional
        Smallest jump reported, LU.

    Returns
    -------
    list of Finding
        One ``SEQ-LOUDNESS-JUMP`` per seam, on the incoming track, at its start;
        ``measured`` is the signed jump (positive: louder).
    """
    gains = gains_db or {}
    rate = timeline.sample_rate
    findings = []
    for before, after, first, second in _analysed_pairs(session, timeline, analyses):
        _, out_end = _sound_range(before, first)
        in_start, in_end = _sound_range(after, second)
        if out_end <= 0.0 or in_end <= in_start:
            continue
        out_begin = max(out_end - SHORT_TERM_S, 0.0)
        in_stop = min(in_start + SHORT_TERM_S, in_end)
        level_out = _short_term(first, before.source_start / before.source_rate + out_end)
        level_in = _short_term(second, after.source_start / after.source_rate + in_stop)
        if level_out is None or level_in is None:
            continue
        level_out += gains.get(before.track_id, 0.0) + _envelope_db(
            before, rate, out_begin, out_end
        )
        level_in += gains.get(after.track_id, 0.0) + _envelope_db(after, rate, in_start, in_stop)
        if not (math.isfinite(level_out) and math.isfinite(level_in)):
            continue
        jump = level_in - level_out
        if abs(jump) <= threshold_lu:
            continue
        outgoing, incoming = session.track(before.track_id), session.track(after.track_id)
        direction = "up" if jump > 0 else "down"
        findings.append(
            _make(
                "SEQ-LOUDNESS-JUMP",
                f"At the seam from {_name(outgoing)} into {_name(incoming)} the short-term "
                f"loudness jumps {direction} {abs(jump):.1f} LU ({level_out:.1f} to "
                f"{level_in:.1f} LUFS).",
                "If it is not intended, change the offset (offset_lu) of one of the tracks, "
                "fade across the seam, or move the tracks apart in the running order.",
                time_s=round(after.start / rate, 4),
                time_in_track_s=0.0,
                measured=round(jump, 2),
                limit=threshold_lu,
                unit="LU",
                **_track_fields(incoming),
            )
        )
    return findings


# --------------------------------------------------------------------------- all of them


def check_session(
    session: Session,
    *,
    analyses: Mapping[str, TrackAnalysis] | None = None,
    timeline: Timeline | None = None,
    cd: bool | None = None,
    true_peaks: Mapping[str, float | None] | Sequence[tuple[str, float | None]] | None = None,
    gains_db: Mapping[str, float] | None = None,
    loudness_jump_lu: float = LOUDNESS_JUMP_LU,
) -> list[Finding]:
    """Run every core check the inputs allow and return the findings, sorted.

    Parameters
    ----------
    session : Session
        The session.
    analyses : Mapping of str to TrackAnalysis, optional
        The analysis of each track, by track id. Without them only the metadata
        (and, given a timeline, the CD and sample-rate) checks run.
    timeline : Timeline, optional
        The album timeline as delivered; by default built from the analyses
        (at 44.1 kHz and CD-aligned when ``cd``).
    cd : bool, optional
        Whether a CD is a deliverable (Red Book checks); default
        ``session.delivery.cd_alignment``. Pass True when the CD preset is used.
    true_peaks : Mapping or Sequence of (str, float or None), optional
        Measured true peaks of the rendered outputs, dBTP, checked against the
        session's ceiling.
    gains_db : Mapping of str to float, optional
        Planned gain of each track, dB, for the loudness-jump check.
    loudness_jump_lu : float, optional
        Smallest loudness jump across a seam that is reported, LU.

    Returns
    -------
    list of Finding
        Sorted by :func:`sort_findings`.

    Raises
    ------
    SessionError
        When a timeline must be built and the session does not fit its sources.
    """
    cd = session.delivery.cd_alignment if cd is None else cd
    if timeline is None and analyses is not None and session.order:
        sources = {
            track_id: SourceInfo(frames=a.duration_samples, sample_rate=a.sample_rate)
            for track_id, a in analyses.items()
        }
        if all(track_id in sources for track_id in session.order):
            timeline = album_timeline(
                session,
                sources,
                sample_rate=CD_SAMPLE_RATE if cd else None,
                cd_alignment=True if cd else None,
            )
    findings = check_metadata(session)
    if timeline is not None:
        if cd:
            findings += check_cd(session, timeline)
        findings += check_sample_rates(session, timeline)
    if analyses is not None:
        findings += check_clipping(session, analyses, timeline)
        findings += check_clicks(session, analyses, timeline)
        if timeline is not None:
            findings += check_crossfades(session, timeline, analyses)
            findings += check_loudness_jumps(
                session, timeline, analyses, gains_db=gains_db, threshold_lu=loudness_jump_lu
            )
    if true_peaks is not None:
        findings += check_true_peaks(
            true_peaks, session.loudness.true_peak_ceiling_dbtp, session=session
        )
    return sort_findings(findings)
