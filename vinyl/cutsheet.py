"""The cut sheet: the PDF that travels with the side files to the cutting room and the plant.

One section per side (one page, more when the findings need it): the side's
tracks with their times on the side (MM:SS.s, from the side timeline's exact
samples), the running time against the format's guideline times, the groove
space, the levels as cut, three plots over the side's time (short-term
loudness, low-end correlation, high-frequency tracing demand against the
tracing limit), the findings, the side file's name, format and SHA-256, and a
notes box. A last section is the digital track sheet (PQ-style) of the CD
from the same session. See ``/work/shared/domain/vinyl.md``, "What the plant
and the cutting engineer want to receive".

Determinism
-----------
The PDF is built in reportlab's invariant mode (fixed creation date and
document id), and nothing on it comes from the clock: the date printed is the
session's ``vinyl.cut_sheet_date`` (or the ``date`` argument), and none when
neither is set. The same session and side files give the same bytes.

Text
----
The sheet uses reportlab's standard Helvetica (no font file to ship), whose
encoding is Windows-1252: characters outside it are transliterated (accents
dropped) or printed as ``?``. Long titles wrap to two lines and are then
shortened with an ellipsis; the full titles are listed under the table.

This is the only module that imports reportlab.
"""

from __future__ import annotations

import datetime
import json
import logging
import math
import os
import threading
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Drawing, Line, Polygon, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from sequencer import __version__
from sequencer.analysis import TrackAnalysis
from sequencer.cue import cue_points, msf
from sequencer.deliver import safe_file_name
from sequencer.errors import RenderError, RunoutError
from sequencer.findings import Severity
from sequencer.session import PaperSize, Session, format_isrc
from sequencer.timeline import Timeline, album_timeline, probe_sources
from vinyl.lowend import MIN_LEVEL_DBFS
from vinyl.sidecheck import SideReport

if TYPE_CHECKING:
    from vinyl.workflow import VinylResult

__all__ = ["cutsheet_file_name", "side_time", "write_cutsheet"]

logger = logging.getLogger(__name__)

_FONT = "Helvetica"
_BOLD = "Helvetica-Bold"
_MONO = "Courier"
_SIZE = 8.5
_MARGIN = 15 * mm
_HEADER_H = 62.0
_FOOTER_H = 20.0
_TITLE_LINES = 2
_SEP = "  \u00b7  "

_GREY = colors.Color(0.45, 0.45, 0.45)
_LIGHT = colors.Color(0.88, 0.88, 0.88)
_PALE = colors.Color(0.95, 0.95, 0.95)
_BLUE = colors.Color(0.1, 0.3, 0.65)
_RED = colors.Color(0.8, 0.1, 0.1)
_PALE_RED = colors.Color(1.0, 0.9, 0.9)
_AMBER = colors.Color(0.9, 0.6, 0.1)
_GREEN = colors.Color(0.25, 0.6, 0.3)

#: Letters without a Unicode decomposition, spelled in Windows-1252.
_LETTERS = {
    "\u0141": "L", "\u0142": "l", "\u0110": "D", "\u0111": "d", "\u0131": "i",
    "\u0126": "H", "\u0127": "h", "\u2212": "-",
}  # fmt: skip

_SEVERITY_COLOUR = {Severity.ERROR: _RED, Severity.WARNING: _AMBER, Severity.INFO: _GREY}

#: Codes of the findings marked on the correlation plot and on the tracing plot.
_LOWEND_CODES = ("VINYL-LOWEND-", "VINYL-LIFT-OFF")
_HF_CODES = ("VINYL-HF-",)

#: Range of the tracing plot, dB against the tracing limit.
_TRACING_RANGE = (-40.0, 10.0)
#: Tracing demand this far under the limit is reported as near it (vinyl.highfreq).
_NEAR_LIMIT_DB = -10.0


# --------------------------------------------------------------------------- text and times


def pdf_text(text: str) -> str:
    """Return *text* in the standard fonts' character set (Windows-1252), on one line.

    Parameters
    ----------
    text : str
        Any text.

    Returns
    -------
    str
        Accents dropped where a character is missing, ``?`` for what cannot be
        transliterated, control characters as spaces.
    """
    out = []
    for char in unicodedata.normalize("NFC", text):
        if unicodedata.category(char)[0] in "CZ" and char != " ":
            out.append(" " if unicodedata.category(char) in ("Cc", "Zs", "Zl", "Zp") else "")
            continue
        if _encodable(char):
            out.append(char)
            continue
        if char in _LETTERS:
            out.append(_LETTERS[char])
            continue
        parts = [
            part
            for part in unicodedata.normalize("NFKD", char)
            if _encodable(part) and unicodedata.category(part) != "Mn"
        ]
        out.append("".join(parts) or "?")
    return "".join(out)


def _encodable(char: str) -> bool:
    """Whether a standard PDF font can show *char*."""
    try:
        char.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def side_time(samples: int, sample_rate: int) -> str:
    """Return a time on a side as cutting rooms write it: ``MM:SS.s``, rounded to 0.1 s.

    Parameters
    ----------
    samples : int
        Position or length in samples, not negative.
    sample_rate : int
        Sample rate in Hz.

    Returns
    -------
    str
        For example ``"09:08.0"``; halves round up.
    """
    tenths = (samples * 20 + sample_rate) // (2 * sample_rate)
    minutes, rest = divmod(tenths, 600)
    return f"{minutes:02d}:{rest // 10:02d}.{rest % 10}"


def _seconds_time(seconds: float) -> str:
    """``MM:SS.s`` of a time in seconds."""
    return side_time(round(seconds * 1000), 1000)


def _clock(seconds: float) -> str:
    """``M:SS`` for guideline times and plot axes."""
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def _db(value: float | None, unit: str = "", digits: int = 1) -> str:
    """Format a level for a table (``-`` when unmeasurable)."""
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:+.{digits}f}{(' ' + unit) if unit else ''}"


def _fit_lines(
    text: str, width: float, *, font: str = _FONT, size: float = _SIZE, max_lines: int = 0
) -> tuple[list[str], bool]:
    """Break *text* into lines no wider than *width* (words first, long words by letters).

    Returns the lines and whether the text was shortened (an ellipsis ends the
    last line) to keep within *max_lines* (0: no limit).
    """

    def fits(line: str) -> bool:
        return stringWidth(line, font, size) <= width

    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if fits(candidate):
            current = candidate
            continue
        if current:
            lines.append(current)
        current = ""
        while not fits(word):
            cut = len(word) - 1
            while cut > 1 and not fits(word[:cut]):
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current or not lines:
        lines.append(current)
    if not max_lines or len(lines) <= max_lines:
        return lines, False
    kept = lines[:max_lines]
    last = kept[-1]
    while last and not fits(last.rstrip(" ,;:-/(&") + "…"):
        last = last[:-1]
    kept[-1] = last.rstrip(" ,;:-/(&") + "…"
    return kept, True


def _ellipsize(text: str, width: float, font: str = _FONT, size: float = _SIZE) -> str:
    """Return *text* on one line, shortened with an ellipsis to fit *width*."""
    lines, _ = _fit_lines(text, width, font=font, size=size, max_lines=1)
    return lines[0]


def cutsheet_file_name(session: Session) -> str:
    """Name the cut sheet like the side files: ``CAT001_cutsheet.pdf``.

    Parameters
    ----------
    session : Session
        Gives the catalogue number (or, without one, the album title).

    Returns
    -------
    str
        The file name.
    """
    album = session.album
    stem = safe_file_name(album.catalogue_number or album.title, "album").replace(" ", "_")
    return f"{stem}_cutsheet.pdf"


# --------------------------------------------------------------------------- styles


def _style(name: str, **changes: Any) -> ParagraphStyle:
    """Return a paragraph style in the sheet's font."""
    values: dict[str, Any] = {
        "fontName": _FONT,
        "fontSize": _SIZE,
        "leading": _SIZE * 1.25,
        "alignment": TA_LEFT,
        # reportlab lets a line overrun by shrinking its spaces (5 % by default); on a
        # ragged-right line that is a real overflow.
        "spaceShrinkage": 0.0,
    }
    values.update(changes)
    return ParagraphStyle(name, **values)


_BODY = _style("body")
_SMALL = _style("small", fontSize=7.5, leading=9.2, textColor=_GREY)
_CELL = _style("cell", fontSize=7.5, leading=9.0)
_HEADING = _style("heading", fontName=_BOLD, fontSize=13, leading=16, spaceAfter=2)
_SUBHEADING = _style("subheading", fontName=_BOLD, fontSize=9.5, leading=12, spaceBefore=6)
_SUMMARY = _style("summary", fontName=_BOLD, fontSize=10, leading=13, spaceAfter=4)


def _para(text: str, style: ParagraphStyle = _BODY) -> Paragraph:
    """Return a paragraph of plain text (escaped, made printable)."""
    return Paragraph(escape(pdf_text(text)), style)


def _lines_para(lines: Sequence[str], style: ParagraphStyle = _BODY) -> Paragraph:
    """Return a paragraph of several plain lines."""
    return Paragraph("<br/>".join(escape(line) for line in lines), style)


def _table_style(numeric_from: int, header: bool = True) -> list[tuple[Any, ...]]:
    """Return the sheet's table look: thin rules, a grey header row, numbers right-aligned."""
    style: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), _FONT, 7.5, 9.0),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, _LIGHT),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("ALIGN", (numeric_from, 0), (-1, -1), "RIGHT"),
    ]
    if header:
        style += [
            ("FONT", (0, 0), (-1, 0), _BOLD, 7.5, 9.0),
            ("BACKGROUND", (0, 0), (-1, 0), _PALE),
            ("LINEBELOW", (0, 0), (-1, 0), 0.6, _GREY),
        ]
    return style


# --------------------------------------------------------------------------- pages


@dataclass(frozen=True)
class _Section:
    """What the header of a section's pages shows."""

    key: str
    """Page template id."""
    badge: str
    """Big letters at the top right (the side name, or ``CD``)."""
    lines: tuple[str, ...]
    """The header's second to fourth lines."""
    footer: str
    """Left part of the footer."""


class _NumberedCanvas(Canvas):
    """A canvas that writes "page N of M" once it knows M (pages are kept until save)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        """Keep the page; it is written in :meth:`save`."""
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        """Write every page with its number and the page count."""
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            width, _ = self._pagesize
            self.setFont(_FONT, 8)
            self.setFillColor(colors.black)
            self.drawRightString(width - _MARGIN, _MARGIN - 4, f"page {number} of {total}")
            super().showPage()
        super().save()


def _draw_header(
    title: str, section: _Section, canvas: Canvas, doc: BaseDocTemplate
) -> None:  # pragma: no cover - drawn through reportlab
    """Draw the header and the footer's left part on one page."""
    width, height = doc.pagesize
    left, right = _MARGIN, width - _MARGIN
    top = height - _MARGIN
    badge_w = 26 * mm
    canvas.saveState()
    # The badge: the side's name, large, as on a label.
    canvas.setStrokeColor(colors.black)
    canvas.setLineWidth(1.2)
    canvas.rect(right - badge_w, top - _HEADER_H + 12, badge_w, _HEADER_H - 12)
    badge_size = 30 if len(section.badge) <= 2 else 16
    badge = _ellipsize(section.badge, badge_w - 6, _BOLD, badge_size)
    canvas.setFont(_BOLD, badge_size)
    canvas.drawCentredString(right - badge_w / 2, top - _HEADER_H / 2 - 4, badge)
    text_w = right - left - badge_w - 8
    canvas.setFont(_BOLD, 11.5)
    canvas.drawString(left, top - 11, _ellipsize(title, text_w, _BOLD, 11.5))
    canvas.setFont(_FONT, 8.5)
    for index, line in enumerate(section.lines):
        canvas.drawString(left, top - 24 - 10.5 * index, _ellipsize(line, text_w, _FONT, 8.5))
    canvas.setStrokeColor(_GREY)
    canvas.setLineWidth(0.6)
    canvas.line(left, top - _HEADER_H + 6, right, top - _HEADER_H + 6)
    canvas.line(left, _MARGIN + 6, right, _MARGIN + 6)
    canvas.setFont(_FONT, 8)
    canvas.drawString(left, _MARGIN - 4, _ellipsize(section.footer, (right - left) * 0.7))
    canvas.restoreState()


# --------------------------------------------------------------------------- drawings


def _capacity_bar(width: float, duration_s: float, report: SideReport) -> Drawing:
    """Draw the side's running time against the recommended and maximum times."""
    side = report.side
    height = 26.0
    drawing = Drawing(width, height)
    scale_s = max(side.maximum_s * 1.08, duration_s * 1.04, 1.0)
    bar_y, bar_h = 10.0, 9.0

    def x(seconds: float) -> float:
        return width * seconds / scale_s

    if duration_s <= side.recommended_s:
        fill = _GREEN
    elif duration_s <= side.maximum_s:
        fill = _AMBER
    else:
        fill = _RED
    drawing.add(Rect(0, bar_y, width, bar_h, fillColor=_PALE, strokeColor=_GREY, strokeWidth=0.4))
    drawing.add(Rect(0, bar_y, x(duration_s), bar_h, fillColor=fill, strokeColor=None))
    for seconds, label, colour in (
        (side.recommended_s, f"recommended {_clock(side.recommended_s)}", _AMBER),
        (side.maximum_s, f"maximum {_clock(side.maximum_s)}", _RED),
    ):
        drawing.add(Line(x(seconds), bar_y - 2, x(seconds), bar_y + bar_h + 2, strokeColor=colour))
        drawing.add(
            String(x(seconds), 0.5, label, fontName=_FONT, fontSize=6.5, textAnchor="middle")
        )
    inside = x(duration_s) > 60
    drawing.add(
        String(
            x(duration_s) - 3 if inside else x(duration_s) + 3,
            bar_y + 2.2,
            _seconds_time(duration_s),
            fontName=_BOLD,
            fontSize=7,
            fillColor=colors.white if inside else colors.black,
            textAnchor="end" if inside else "start",
        )
    )
    return drawing


def _tick_step(span_s: float, most: int = 12) -> float:
    """Return a round step for time ticks: at most *most* ticks over *span_s*."""
    for step in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600):
        if span_s / step <= most:
            return float(step)
    return 3600.0 * math.ceil(span_s / 3600 / most)


@dataclass(frozen=True)
class _Curve:
    """A measure over the side's time, for :func:`_plot`."""

    times_s: Sequence[float]
    """Times on the side."""
    values: Sequence[float | None]
    """Values (None: nothing to draw)."""
    colour: colors.Color
    """Line colour."""


def _envelope(
    curve: _Curve, duration_s: float, columns: int, low: float, high: float
) -> list[list[tuple[float, float]]]:
    """Reduce a curve to a min/max pair per column (peaks stay visible); runs split at gaps."""
    lows = [math.inf] * columns
    highs = [-math.inf] * columns
    for time_s, value in zip(curve.times_s, curve.values, strict=True):
        if value is None or not math.isfinite(value) or duration_s <= 0:
            continue
        column = min(columns - 1, max(0, int(time_s / duration_s * columns)))
        value = min(max(value, low), high)
        lows[column] = min(lows[column], value)
        highs[column] = max(highs[column], value)
    runs: list[list[tuple[float, float]]] = []
    run: list[tuple[float, float]] = []
    for column in range(columns):
        if lows[column] == math.inf:
            if run:
                runs.append(run)
                run = []
            continue
        run.append((column + 0.5, lows[column]))
        if highs[column] != lows[column]:
            run.append((column + 0.5, highs[column]))
    if run:
        runs.append(run)
    return runs


def _plot(
    width: float,
    *,
    title: str,
    duration_s: float,
    curves: Sequence[_Curve],
    y_range: tuple[float, float],
    y_ticks: Sequence[float],
    y_format: Callable[[float], str],
    boundaries: Sequence[tuple[float, str]],
    references: Sequence[tuple[float, colors.Color]] = (),
    shade_below: float | None = None,
    markers: Sequence[tuple[float, colors.Color]] = (),
    height: float = 108.0,
) -> Drawing:
    """Draw measures over a side's time with the track boundaries and reference lines."""
    drawing = Drawing(width, height)
    left, bottom, top_pad, right_pad = 34.0, 14.0, 22.0, 4.0
    plot_w = width - left - right_pad
    plot_h = height - bottom - top_pad
    low, high = y_range
    span = max(duration_s, 1e-9)

    def px(time_s: float) -> float:
        return left + plot_w * min(max(time_s / span, 0.0), 1.0)

    def py(value: float) -> float:
        return bottom + plot_h * (min(max(value, low), high) - low) / (high - low)

    drawing.add(
        String(0, height - 9, _ellipsize(pdf_text(title), width, _BOLD, 8), fontName=_BOLD,
               fontSize=8)
    )  # fmt: skip
    drawing.add(Rect(left, bottom, plot_w, plot_h, fillColor=None, strokeColor=_GREY))
    if shade_below is not None:
        drawing.add(
            Rect(
                left,
                bottom,
                plot_w,
                py(shade_below) - bottom,
                fillColor=_PALE_RED,
                strokeColor=None,
            )
        )
    for value in y_ticks:
        drawing.add(Line(left, py(value), left + plot_w, py(value), strokeColor=_LIGHT))
        drawing.add(
            String(
                left - 3,
                py(value) - 2.5,
                y_format(value),
                fontName=_FONT,
                fontSize=6.5,
                textAnchor="end",
            )
        )
    step = _tick_step(duration_s)
    tick = 0.0
    while tick <= duration_s + 1e-9:
        drawing.add(Line(px(tick), bottom, px(tick), bottom - 2.5, strokeColor=_GREY))
        drawing.add(
            String(px(tick), bottom - 9.5, _clock(tick), fontName=_FONT, fontSize=6.5,
                   textAnchor="middle")
        )  # fmt: skip
        tick += step
    for time_s, label in boundaries:
        drawing.add(
            Line(px(time_s), bottom, px(time_s), bottom + plot_h, strokeColor=_GREY,
                 strokeWidth=0.5, strokeDashArray=[2, 2])
        )  # fmt: skip
        drawing.add(
            String(px(time_s) + 1.5, bottom + plot_h + 2, label, fontName=_BOLD, fontSize=6.5,
                   fillColor=_GREY)
        )  # fmt: skip
    for value, colour in references:
        drawing.add(
            Line(left, py(value), left + plot_w, py(value), strokeColor=colour, strokeWidth=0.8)
        )
    columns = max(1, int(plot_w * 1.5))
    for curve in curves:
        for run in _envelope(curve, span, columns, low, high):
            points: list[float] = []
            for column, value in run:
                points += [left + plot_w * column / columns, py(value)]
            if len(points) == 2:
                points += [points[0] + 0.4, points[1]]
            drawing.add(PolyLine(points, strokeColor=curve.colour, strokeWidth=0.6))
    for time_s, colour in markers:
        x = px(time_s)
        drawing.add(
            Polygon(
                [x - 3.5, bottom + plot_h, x + 3.5, bottom + plot_h, x, bottom + plot_h - 6.5],
                fillColor=colour,
                strokeColor=None,
            )
        )
    return drawing


# --------------------------------------------------------------------------- sections


def _side_lines(
    session: Session, report: SideReport, discs: int, engineer: str, when: str
) -> tuple[str, ...]:
    """Header lines of a side's pages."""
    album = session.album
    marking = session.vinyl.marking(report.side.name)
    fmt = report.disc_format
    return (
        f"Label: {album.label or '-'}{_SEP}Cat. no.: {album.catalogue_number or '-'}{_SEP}"
        f"Format: {fmt.name}{_SEP}Side {report.side.name} (disc {report.side.disc} of {discs})",
        f"Matrix: {marking.matrix or '-'}{_SEP}Run-out etching: "
        + (f"\u201c{marking.etching}\u201d" if marking.etching else "-"),
        f"Mastering: {engineer}{_SEP}Date: {when}{_SEP}runout {__version__}",
    )


def _track_rows(
    session: Session,
    report: SideReport,
    analyses: Mapping[str, TrackAnalysis],
    gains_db: Mapping[str, float],
    title_width: float,
) -> tuple[list[list[Any]], list[tuple[str, str]]]:
    """Return a side's track table rows, and (position, full title) of shortened titles."""
    timeline = report.side.timeline
    rate = timeline.sample_rate
    rows: list[list[Any]] = [
        ["Pos", "Title", "ISRC", "Start", "Duration", "Pause", "Gain dB", "LUFS", "Max ST",
         "TP dBTP"]
    ]  # fmt: skip
    shortened: list[tuple[str, str]] = []
    for number, placement in enumerate(timeline.placements, start=1):
        track = session.track(placement.track_id)
        position = f"{report.side.name}{number}"
        title = pdf_text(track.title)
        if track.artist and track.artist != session.album.artist:
            title += f" ({pdf_text(track.artist)})"
        lines, short = _fit_lines(title, title_width, size=7.5, max_lines=_TITLE_LINES)
        if short:
            shortened.append((position, title))
        if placement.crossfade_in:
            pause = f"x-fade {side_time(placement.crossfade_in, rate)}"
        else:
            pause = side_time(placement.pause_before, rate)
        analysis = analyses.get(placement.track_id)
        gain = gains_db.get(placement.track_id)
        lifted = gain or 0.0

        def level(value: float | None, lift: float = lifted) -> str:
            return _db(None if value is None else value + lift)

        rows.append(
            [
                position,
                "\n".join(lines),
                format_isrc(track.isrc) if track.isrc else "-",
                side_time(placement.start, rate),
                side_time(placement.length, rate),
                pause,
                _db(gain),
                level(analysis.integrated_lufs if analysis else None),
                level(analysis.max_short_term_lufs if analysis else None),
                level(analysis.true_peak_dbtp if analysis else None),
            ]
        )
    return rows, shortened


def _side_file_rows(entry: Mapping[str, Any] | None, path: Path | None) -> list[list[Any]]:
    """Return the rows naming the side file, its format and checksum."""
    if entry is None:
        return [["Side file", path.name if path else "not written"]]
    depth = entry.get("bit_depth")
    depth_text = "32-bit float" if depth == 32 else f"{depth}-bit"
    return [
        ["Side file", pdf_text(str(entry.get("file", "")))],
        [
            "Format",
            f"{str(entry.get('format', '')).upper()}, {depth_text}, {entry.get('sample_rate')} Hz, "
            f"{entry.get('length_samples')} samples",
        ],
        ["SHA-256", Paragraph(f'<font name="{_MONO}">{entry.get("sha256", "")}</font>', _CELL)],
    ]


def _finding_rows(report: SideReport) -> list[list[Any]]:
    """Return the rows of a side's findings table."""
    rows: list[list[Any]] = [["Time", "Severity", "Code", "Track", "What, and what to do"]]
    positions = {p.track_id: f"{report.side.name}{i}" for i, p in enumerate(
        report.side.timeline.placements, start=1)}  # fmt: skip
    for finding in report.findings:
        track = "-"
        if finding.track_id:
            track = positions.get(finding.track_id, "")
            if finding.track_title:
                track = f"{track} {_ellipsize(pdf_text(finding.track_title), 60, size=7.5)}"
        colour = _SEVERITY_COLOUR.get(finding.severity, _GREY).hexval()[2:]
        text = (
            f"{escape(pdf_text(finding.message))}<br/>"
            f'<font color="#{_GREY.hexval()[2:]}">{escape(pdf_text(finding.advice))}</font>'
        )
        rows.append(
            [
                "-" if finding.time_s is None else _seconds_time(finding.time_s),
                Paragraph(f'<font color="#{colour}"><b>{finding.severity.value}</b></font>', _CELL),
                Paragraph(escape(finding.code), _CELL),
                Paragraph(escape(track.strip()), _CELL),
                Paragraph(text, _CELL),
            ]
        )
    return rows


class _NotesBox(Flowable):
    """A framed box with the session's notes and ruled lines for the engineer's own.

    It grows into the rest of the page (up to ``max_height``), room to write by hand.
    """

    def __init__(
        self, width: float, notes: str | None, min_height: float = 70.0, max_height: float = 300.0
    ) -> None:
        super().__init__()
        self.width = width
        self._lines: list[str] = []
        for paragraph in (notes or "").split("\n"):
            self._lines += _fit_lines(pdf_text(paragraph), width - 12)[0]
        self._leading = 11.0
        self._least = max(min_height, 20 + self._leading * (len(self._lines) + 1))
        self._most = max(max_height, self._least)
        self.height = self._least

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        """Return the box's size: the rest of the page, within its least and most height."""
        self.height = min(self._most, max(self._least, available_height - 1))
        return self.width, self.height

    def draw(self) -> None:  # pragma: no cover - drawn through reportlab
        """Draw the frame, the title, the notes and ruled lines under them."""
        canvas = self.canv
        canvas.setStrokeColor(_GREY)
        canvas.setLineWidth(0.6)
        canvas.rect(0, 0, self.width, self.height)
        canvas.setFont(_BOLD, 8)
        canvas.drawString(6, self.height - 11, "Notes for the cutting engineer")
        canvas.setFont(_FONT, _SIZE)
        y = self.height - 11 - self._leading
        for line in self._lines:
            canvas.drawString(6, y, line)
            y -= self._leading
        canvas.setStrokeColor(_LIGHT)
        y -= 2
        while y > 6:
            canvas.line(6, y, self.width - 6, y)
            y -= 14


def _plots(report: SideReport, width: float) -> list[Any]:
    """Return the three plots of a side (or a line saying why there are none)."""
    curves = report.curves
    duration = report.side.duration_s
    if curves is None:
        return [_para("No measures over time were kept for this side.", _SMALL)]
    rate = report.side.timeline.sample_rate
    boundaries = [
        (p.start / rate, f"{report.side.name}{i}")
        for i, p in enumerate(report.side.timeline.placements, start=1)
    ]

    def markers(prefixes: Sequence[str]) -> list[tuple[float, colors.Color]]:
        return [
            (f.time_s, _SEVERITY_COLOUR.get(f.severity, _GREY))
            for f in report.findings
            if f.time_s is not None and f.code.startswith(tuple(prefixes))
        ]

    loud = [v for v in curves.loudness_lufs if v is not None]
    top = max(-5.0, 5.0 * math.ceil(max(loud, default=-5.0) / 5.0))
    loudness = _plot(
        width,
        title="Short-term loudness as cut (LUFS, 3 s windows); dashed lines: track starts",
        duration_s=duration,
        curves=[_Curve(curves.loudness_times_s, curves.loudness_lufs, _BLUE)],
        y_range=(top - 40.0, top),
        y_ticks=[top - 40.0 + 10.0 * i for i in range(5)],
        y_format=lambda v: f"{v:.0f}",
        boundaries=boundaries,
    )
    quiet = [
        None if level is None or level < MIN_LEVEL_DBFS else value
        for value, level in zip(curves.correlation, curves.low_level_dbfs, strict=True)
    ]
    correlation = _plot(
        width,
        title=(
            "Low-end correlation below the crossover (+1 mono, -1 anti-phase); grey: low band "
            f"under {MIN_LEVEL_DBFS:.0f} dBFS; triangles: low-end findings"
        ),
        duration_s=duration,
        curves=[
            _Curve(curves.correlation_times_s, curves.correlation, _LIGHT),
            _Curve(curves.correlation_times_s, quiet, _BLUE),
        ],
        y_range=(-1.0, 1.0),
        y_ticks=[-1.0, -0.5, 0.0, 0.5, 1.0],
        y_format=lambda v: f"{v:+.1f}" if v else "0",
        boundaries=boundaries,
        shade_below=0.0,
        markers=markers(_LOWEND_CODES),
    )
    tracing = _plot(
        width,
        title=(
            "HF tracing demand against the limit at its radius, dB (red: the limit for a 12.5 um "
            "stylus; amber: 10 dB under); triangles: HF findings"
        ),
        duration_s=duration,
        curves=[_Curve(curves.tracing_times_s, curves.tracing_share_db, _BLUE)],
        y_range=_TRACING_RANGE,
        y_ticks=[-40.0, -30.0, -20.0, -10.0, 0.0, 10.0],
        y_format=lambda v: f"{v:+.0f}" if v else "0",
        boundaries=boundaries,
        references=[(0.0, _RED), (_NEAR_LIMIT_DB, _AMBER)],
        markers=markers(_HF_CODES),
    )
    return [loudness, Spacer(1, 4), correlation, Spacer(1, 4), tracing]


def _side_story(
    session: Session,
    report: SideReport,
    *,
    analyses: Mapping[str, TrackAnalysis],
    gains_db: Mapping[str, float],
    entry: Mapping[str, Any] | None,
    path: Path | None,
    width: float,
) -> list[Any]:
    """Return the flowables of one side's section."""
    side = report.side
    timeline = side.timeline
    rate = timeline.sample_rate
    fmt = report.disc_format
    story: list[Any] = [
        _para(f"Side {side.name}: {side_time(timeline.length, rate)}", _HEADING),
        _para(report.summary, _SUMMARY),
    ]
    marking = session.vinyl.marking(side.name)
    fitting = report.fitting_cut_level_db
    groove = (
        f"{report.groove.space_mm:.1f} mm used of {report.groove.band_mm:.1f} mm available at cut "
        f"level {report.settings.cut_level_db:+.1f} dB; "
        + ("fits at no cut level" if fitting is None else f"fits up to {fitting:+.1f} dB")
    )
    widest = "; ".join(
        f"{_seconds_time(p.time_s)} ({p.pitch_um:.0f} um"
        + (f", {session.track(p.track_id).title}" if p.track_id else "")
        + ")"
        for p in report.widest
    )
    label_w = 28 * mm
    value_w = width - label_w
    info: list[list[Any]] = [
        *_side_file_rows(entry, path),
        [
            "Running time",
            f"{side_time(timeline.length, rate)} ({timeline.length} samples at {rate} Hz), "
            f"{len(timeline.placements)} track{'s' * (len(timeline.placements) != 1)}",
        ],
        [
            "Guideline",
            _lines_para(
                _fit_lines(
                    pdf_text(
                        f"recommended {_clock(side.recommended_s)}, maximum "
                        f"{_clock(side.maximum_s)} for {fmt.name} ({fmt.recommended_source})"
                    ),
                    value_w - 6,
                    size=7.5,
                )[0],
                _CELL,
            ),
        ],
        ["Capacity", _capacity_bar(value_w - 8, side.duration_s, report)],
        ["Groove space", _para(groove, _CELL)],
        ["Widest passages", _para(widest or "-", _CELL)],
        ["Side true peak", _db(report.true_peak_dbtp, "dBTP")],
        ["Matrix", _para(marking.matrix or "-", _CELL)],
        ["Run-out etching", _para(marking.etching or "-", _CELL)],
    ]
    table = Table(info, colWidths=[label_w, value_w], hAlign="LEFT")
    style = _table_style(99, header=False)
    style += [("FONT", (0, 0), (0, -1), _BOLD, 7.5, 9.0)]
    table.setStyle(TableStyle(style))
    story += [table, Spacer(1, 6)]

    widths = [9 * mm, 0, 27 * mm, 15 * mm, 15 * mm, 19 * mm, 13 * mm, 11 * mm, 11 * mm, 13 * mm]
    widths[1] = width - sum(widths)
    rows, shortened = _track_rows(session, report, analyses, gains_db, widths[1] - 6)
    total = [
        "",
        "Total side time",
        "",
        "",
        side_time(timeline.length, rate),
        "",
        "",
        "",
        "",
        "",
    ]
    tracks = _table_with_total([*rows, total], widths)
    story += [
        _para("Tracks", _SUBHEADING),
        tracks,
        _para(
            "Times on the side, MM:SS.s (rounded to 0.1 s from the side file's samples). Levels "
            "as cut: the source's integrated loudness, maximum short-term loudness and true peak "
            "plus the vinyl gain.",
            _SMALL,
        ),
    ]
    if shortened:
        story.append(_full_titles(shortened, width))
    story += [Spacer(1, 6), _NotesBox(width, session.vinyl.cutting_notes)]
    story.append(KeepTogether([_para("Over the side", _SUBHEADING), *_plots(report, width)]))
    story += [_para(f"Findings on side {side.name}", _SUBHEADING)]
    if report.findings:
        widths = [15 * mm, 14 * mm, 42 * mm, 28 * mm, 0]
        widths[-1] = width - sum(widths)
        findings = Table(_finding_rows(report), colWidths=widths, repeatRows=1)
        findings.setStyle(TableStyle(_table_style(99)))
        story.append(findings)
    else:
        story.append(_para("No findings on this side.", _BODY))
    return story


def _digital_timeline(session: Session) -> Timeline:
    """Build the CD timeline: 44.1 kHz, starts on CD frames (``runout render --preset cd``)."""
    sources = probe_sources(session.ordered_tracks())
    return album_timeline(session, sources, sample_rate=44100, cd_alignment=True)


def _digital_story(
    session: Session, timeline: Timeline | None, problem: str | None, width: float
) -> list[Any]:
    """Return the flowables of the digital track sheet (PQ-style)."""
    album = session.album
    story: list[Any] = [
        _para("Digital track sheet (PQ)", _HEADING),
        _para(f"UPC/EAN: {album.upc_ean or 'not set'}    Tracks: {len(session.order)}", _SUMMARY),
    ]
    if timeline is None:
        story.append(_para(f"No CD timeline: {problem}", _BODY))
        return story
    rate = timeline.sample_rate
    try:
        points = cue_points(timeline, off_frame="round")
    except RunoutError as error:
        story.append(_para(f"No CD timeline: {error}", _BODY))
        return story
    widths = [10 * mm, 0, 28 * mm, 19 * mm, 19 * mm, 19 * mm, 17 * mm]
    widths[1] = width - sum(widths)
    rows: list[list[Any]] = [
        ["Track", "Title", "ISRC", "Index 00", "Start (01)", "Length", "Pause"]
    ]
    shortened: list[tuple[str, str]] = []
    for placement, point in zip(timeline.placements, points, strict=True):
        track = session.track(placement.track_id)
        title = pdf_text(track.title)
        lines, short = _fit_lines(title, widths[1] - 6, size=7.5, max_lines=_TITLE_LINES)
        if short:
            shortened.append((f"{placement.number:02d}", title))
        rows.append(
            [
                f"{placement.number:02d}",
                "\n".join(lines),
                format_isrc(track.isrc) if track.isrc else "-",
                "-" if point.index00 is None else _frames(point.index00),
                _frames(point.index01),
                msf(placement.length, rate, exact=False),
                msf(placement.pause_before, rate, exact=False),
            ]
        )
    rows.append(["", "Total (programme end)", "", "", "", msf(timeline.length, rate, exact=False),
                 ""])  # fmt: skip
    table = _table_with_total(rows, widths)
    story += [
        table,
        _para(
            "Times MM:SS:FF (75 frames per second) from the start of the CD image: 44.1 kHz, "
            "16-bit, track starts on CD frames, at least 2 s before track 1 (runout render "
            "--preset cd writes this image and its CUE sheet). Index 00 marks the start of the "
            "pause before a track; Length is the track's audio; Pause is the silence before it.",
            _SMALL,
        ),
    ]
    if shortened:
        story.append(_full_titles(shortened, width))
    return story


def _table_with_total(rows: list[list[Any]], widths: Sequence[float]) -> Table:
    """Return a track table (header row first) whose last row is a bold total under a rule."""
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    style = _table_style(3)
    style += [
        ("FONT", (0, -1), (-1, -1), _BOLD, 7.5, 9.0),
        ("LINEABOVE", (0, -1), (-1, -1), 0.6, _GREY),
    ]
    table.setStyle(TableStyle(style))
    return table


def _full_titles(shortened: Sequence[tuple[str, str]], width: float) -> Flowable:
    """Return the titles a table ellipsized, in full, each after its position (A1, 3, ...)."""
    lines = [
        line
        for position, title in shortened
        for line in _fit_lines(f"{position}: {title}", width, size=7.5)[0]
    ]
    return _lines_para(["Full titles:", *lines], _CELL)


def _frames(frames: int) -> str:
    """MM:SS:FF of a CD frame count."""
    minutes, rest = divmod(frames, 75 * 60)
    seconds, frame = divmod(rest, 75)
    return f"{minutes:02d}:{seconds:02d}:{frame:02d}"


# --------------------------------------------------------------------------- the document


def _manifest_entries(result: VinylResult) -> dict[str, Mapping[str, Any]]:
    """Read the side manifest's entries by side name (empty when it cannot be read)."""
    try:
        content = json.loads(Path(result.files.manifest).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        logger.warning("cut sheet: cannot read the side manifest (%s)", error)
        return {}
    return {entry["side"]: entry for entry in content.get("sides", [])}


def write_cutsheet(
    session: Session,
    result: VinylResult,
    path: Path,
    *,
    analyses: Mapping[str, TrackAnalysis],
    digital_timeline: Timeline | None = None,
    date: datetime.date | str | None = None,
) -> Path:
    """Write the cut sheet PDF of a vinyl job (atomically: a temporary file, then a rename).

    Parameters
    ----------
    session : Session
        The album: metadata, the cut sheet fields of its vinyl plan (matrix
        numbers, etching, engineer, contact, notes, paper size, date).
    result : VinylResult
        The vinyl job (:func:`vinyl.workflow.make_vinyl`): side reports and files.
    path : Path
        The PDF to write.
    analyses : Mapping of str to TrackAnalysis
        The sources' analyses by track id (the per-track levels).
    digital_timeline : Timeline, optional
        The CD timeline of the PQ sheet; by default the session's running order
        at 44.1 kHz with track starts on CD frames (``runout render --preset cd``).
    date : datetime.date or str, optional
        The date printed; by default the session's ``vinyl.cut_sheet_date``
        (nothing from the clock, so the same session gives the same bytes).

    Returns
    -------
    Path
        *path*.

    Raises
    ------
    RenderError
        When the file cannot be written (nothing is left under *path*).
    """
    path = Path(path)
    vinyl = session.vinyl
    when = date if date is not None else vinyl.cut_sheet_date
    when_text = "not set" if when is None else str(when)
    engineer = vinyl.mastering_engineer or "-"
    if vinyl.engineer_contact:
        engineer += f" ({vinyl.engineer_contact})"
    album = session.album
    title = pdf_text(f"{album.artist or 'Unknown artist'} \u2014 {album.title}")
    page_size = LETTER if vinyl.paper_size == PaperSize.LETTER else A4
    width = page_size[0] - 2 * _MARGIN
    discs = result.plan.layout.discs
    entries = _manifest_entries(result)
    gains = result.files.gains_db
    catalogue = album.catalogue_number or album.title
    reports = [r for r in result.reports if r.side.timeline.placements]

    sections: list[_Section] = []
    story: list[Any] = []
    for index, report in enumerate(reports):
        name = report.side.name
        section = _Section(
            key=f"side-{index}",
            badge=pdf_text(name),
            lines=tuple(pdf_text(line) for line in _side_lines(
                session, report, discs, engineer, when_text)),
            footer=pdf_text(f"{catalogue} - cut sheet - side {name}"),
        )  # fmt: skip
        sections.append(section)
        if index:
            story += [NextPageTemplate(section.key), PageBreak()]
        story += _side_story(
            session,
            report,
            analyses=analyses,
            gains_db=gains,
            entry=entries.get(name),
            path=result.files.files.get(name),
            width=width,
        )
    problem = None
    timeline = digital_timeline
    if timeline is None:
        try:
            timeline = _digital_timeline(session)
        except RunoutError as error:
            problem = str(error)
    digital = _Section(
        key="digital",
        badge="CD",
        lines=tuple(
            pdf_text(line)
            for line in (
                f"Label: {album.label or '-'}{_SEP}Cat. no.: {album.catalogue_number or '-'}{_SEP}"
                "Format: CD / digital (PQ track sheet)",
                f"UPC/EAN: {album.upc_ean or '-'}{_SEP}Side: none (digital master)",
                f"Mastering: {engineer}{_SEP}Date: {when_text}{_SEP}runout {__version__}",
            )
        ),
        footer=pdf_text(f"{catalogue} - cut sheet - digital track sheet"),
    )
    sections.append(digital)
    if story:
        story += [NextPageTemplate(digital.key), PageBreak()]
    story += _digital_story(session, timeline, problem, width)

    path.parent.mkdir(parents=True, exist_ok=True)
    # A hidden name beside the target, created by reportlab with the usual permissions.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.part")
    try:
        frame = Frame(
            _MARGIN,
            _MARGIN + _FOOTER_H - 8,
            width,
            page_size[1] - 2 * _MARGIN - _HEADER_H - _FOOTER_H + 8,
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
            id="body",
        )
        doc = BaseDocTemplate(
            str(temporary),
            pagesize=page_size,
            leftMargin=_MARGIN,
            rightMargin=_MARGIN,
            topMargin=_MARGIN,
            bottomMargin=_MARGIN,
            title=pdf_text(f"{album.title}: cut sheet"),
            author=pdf_text(vinyl.mastering_engineer or ""),
            subject=pdf_text(f"{album.artist or ''} - {album.title} ({catalogue})"),
            creator=f"runout {__version__}",
            invariant=1,
            pageCompression=1,
        )
        doc.addPageTemplates(
            [
                PageTemplate(id=s.key, frames=[frame], onPage=partial(_draw_header, title, s))
                for s in sections
            ]
        )
        doc.build(story, canvasmaker=_NumberedCanvas)
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise RenderError(f"{path}: cannot write the cut sheet ({error})") from error
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
