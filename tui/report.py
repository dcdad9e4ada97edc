"""Printing analyses: the loudness table and the stable JSON interface."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from rich.table import Table

from sequencer.analysis import TrackAnalysis
from sequencer.findings import Finding

#: Keys of ``runout analyze --json``, in order. A stable interface: add keys, never rename.
JSON_KEYS = (
    "path",
    "title",
    "duration_s",
    "duration_samples",
    "sample_rate",
    "channels",
    "format",
    "subtype",
    "integrated_lufs",
    "loudness_range_lu",
    "max_momentary_lufs",
    "max_short_term_lufs",
    "true_peak_dbtp",
    "sample_peak_dbfs",
    "plr_db",
    "correlation",
    "dc_offset",
    "clipped_runs",
    "clip_times_s",
    "clicks",
    "click_times_s",
    "leading_silence_s",
    "trailing_silence_s",
    "warnings",
)


def analysis_json(analysis: TrackAnalysis, title: str | None = None) -> dict[str, Any]:
    """One track's entry of ``runout analyze --json`` (unmeasurable values are ``None``).

    Parameters
    ----------
    analysis
        The track's analysis.
    title
        The track's title in the session, when analysing a session.

    Returns
    -------
    dict
        The keys of :data:`JSON_KEYS`, rounded for reading.
    """
    values: dict[str, Any] = {
        "path": analysis.path,
        "title": title,
        "duration_s": round(analysis.duration_s, 6),
        "duration_samples": analysis.duration_samples,
        "sample_rate": analysis.sample_rate,
        "channels": analysis.channels,
        "format": analysis.format,
        "subtype": analysis.subtype,
        "integrated_lufs": _round(analysis.integrated_lufs),
        "loudness_range_lu": _round(analysis.loudness_range_lu),
        "max_momentary_lufs": _round(analysis.max_momentary_lufs),
        "max_short_term_lufs": _round(analysis.max_short_term_lufs),
        "true_peak_dbtp": _round(analysis.true_peak_dbtp),
        "sample_peak_dbfs": _round(analysis.sample_peak_dbfs),
        "plr_db": _round(analysis.plr_db),
        "correlation": _round(analysis.correlation, 4),
        "dc_offset": [round(v, 6) for v in analysis.dc_offset],
        "clipped_runs": analysis.clipped_runs,
        "clip_times_s": list(analysis.clip_times_s),
        "clicks": analysis.clicks,
        "click_times_s": list(analysis.click_times_s),
        "leading_silence_s": analysis.leading_silence_s,
        "trailing_silence_s": analysis.trailing_silence_s,
        "warnings": list(analysis.warnings()),
    }
    return {key: values[key] for key in JSON_KEYS}


def _round(value: float | None, digits: int = 2) -> float | None:
    """Round for the report; ``None`` stays ``None``."""
    if value is None or not math.isfinite(value):
        return None
    return round(value, digits)


def format_duration(seconds: float) -> str:
    """``M:SS.s`` (or ``H:MM:SS.s``) for a table."""
    tenths = round(seconds * 10)
    minutes, tenth_seconds = divmod(tenths, 600)
    hours, minutes = divmod(minutes, 60)
    text = f"{minutes:d}:{tenth_seconds / 10:04.1f}"
    return f"{hours:d}:{minutes:02d}:{tenth_seconds / 10:04.1f}" if hours else text


def _cell(value: float | None, unit: str = "", digits: int = 1) -> str:
    """Format a number for the table, ``-`` when unmeasurable."""
    if value is None:
        return "-"
    return f"{value:.{digits}f}{unit}"


def analysis_table(analyses: Sequence[TrackAnalysis], titles: Sequence[str] | None = None) -> Table:
    """Build the loudness table printed by ``runout analyze`` and ``runout demo``.

    Parameters
    ----------
    analyses
        One analysis per track, in order.
    titles
        Track titles (from the session); file names are used otherwise.

    Returns
    -------
    rich.table.Table
        Ready to print.
    """
    table = Table(title="Loudness (BS.1770-4 / EBU R 128)", title_justify="left")
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("track", overflow="ellipsis", max_width=24, no_wrap=True)
    for name in ("duration", "LUFS", "LRA", "max S", "TP dBTP", "peak dBFS", "PLR", "corr"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("warnings", overflow="fold", min_width=16)
    for number, analysis in enumerate(analyses, start=1):
        title = titles[number - 1] if titles else analysis.path.rsplit("/", 1)[-1]
        true_peak = _cell(analysis.true_peak_dbtp)
        if analysis.true_peak_dbtp is not None and analysis.true_peak_dbtp > 0:
            true_peak = f"[red]{true_peak}[/red]"
        table.add_row(
            str(number),
            title,
            format_duration(analysis.duration_s),
            _cell(analysis.integrated_lufs),
            _cell(analysis.loudness_range_lu),
            _cell(analysis.max_short_term_lufs),
            true_peak,
            _cell(analysis.sample_peak_dbfs),
            _cell(analysis.plr_db),
            _cell(analysis.correlation, digits=2),
            "; ".join(analysis.warnings()),
        )
    return table


def findings_table(findings: Sequence[Finding]) -> Table:
    """Build the table of findings printed by ``runout check`` and ``runout render``.

    Parameters
    ----------
    findings
        Sorted findings.

    Returns
    -------
    rich.table.Table
        Severity, code, where (track and time), what was found and what to do.
    """
    table = Table(title=f"Findings ({len(findings)})", title_justify="left")
    table.add_column("severity", no_wrap=True)
    table.add_column("code", no_wrap=True)
    table.add_column("where", overflow="fold", max_width=30)
    table.add_column("found", overflow="fold")
    table.add_column("advice", overflow="fold")
    colours = {"error": "red", "warning": "yellow", "info": "cyan"}
    for finding in findings:
        where = []
        if finding.track_title:
            where.append(finding.track_title)
        if finding.time_s is not None:
            where.append(f"at {format_duration(finding.time_s)}")
        colour = colours.get(str(finding.severity), "white")
        table.add_row(
            f"[{colour}]{finding.severity}[/{colour}]",
            finding.code,
            " ".join(where) or "album",
            finding.message,
            finding.advice,
        )
    return table
