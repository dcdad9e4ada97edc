"""``runout vinyl``: the side plan, the side checks, and the side files."""

from __future__ import annotations

import argparse
import json
import threading
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from sequencer.findings import has_errors
from sequencer.timeline import probe_sources
from tui.jobs import Report, run_with_progress
from tui.report import findings_table, format_duration


def register(commands: Any, add_analysis_options: Any, session_analyses: Any) -> None:
    """Add ``runout vinyl`` to the command's subparsers."""
    parser = commands.add_parser(
        "vinyl",
        help="plan the vinyl sides, check them physically, write the side files",
        description=(
            "Build each side's timeline (the session's sides, or a proposed automatic split), "
            "check it (time, groove space, low-end mono compatibility, sibilance and tracing, "
            "peaks and hygiene) and write one continuous 24-bit file per side with a manifest. "
            "Writes the cut sheet PDF (CAT001_cutsheet.pdf) beside them. "
            "Exit status 1 when any finding is an error."
        ),
    )
    parser.add_argument("session", metavar="SESSION.json")
    parser.add_argument("--format", dest="disc_format", help="disc format, e.g. 12-33, 12-45, 7-45")
    parser.add_argument(
        "--auto-split",
        action="store_true",
        help="propose the fewest, balanced sides in running order (shown, not saved)",
    )
    parser.add_argument(
        "--out", metavar="DIR", help="folder for the side files (default: next to the session)"
    )
    parser.add_argument(
        "--json", action="store_true", help="print the plan, figures and findings as JSON"
    )
    add_analysis_options(parser)
    parser.set_defaults(handler=lambda a, o, e: command_vinyl(a, o, e, session_analyses))


def command_vinyl(
    arguments: argparse.Namespace, out: Console, err: Console, session_analyses: Any
) -> int:
    """Plan, check and write the sides; exit 1 when any finding is an error."""
    from vinyl.workflow import make_vinyl, plan_vinyl

    session_path = Path(arguments.session)
    session, analyses = session_analyses(session_path, arguments, err)
    sources = probe_sources(session.ordered_tracks())
    plan = plan_vinyl(
        session, sources, disc_format=arguments.disc_format, auto_split=arguments.auto_split
    )
    note = plan.note
    if note:
        note += f". Keep it with: runout side {session_path} TRACK... --on SIDE"
    out_dir = (
        Path(arguments.out)
        if arguments.out
        else session_path.with_name(f"{session_path.stem}-vinyl")
    )

    def job(report: Report, cancel: threading.Event) -> Any:
        return make_vinyl(session, plan, out_dir, analyses=analyses, progress=report, cancel=cancel)

    result = run_with_progress(err, "vinyl sides", job)
    reports, files = list(result.reports), result.files
    findings = result.findings
    if arguments.json:
        document = _document(reports, files, note, plan.layout.disc_format)
        document["cutsheet"] = None if result.cutsheet is None else str(result.cutsheet)
        out.file.write(json.dumps(document, indent=2) + "\n")
    else:
        _print(out, reports, files, findings, note)
        if result.cutsheet is not None:
            out.print(f"cut sheet: {result.cutsheet}")
    return 1 if has_errors(findings) else 0


def _document(reports: list[Any], files: Any, note: str | None, disc_format: Any) -> dict[str, Any]:
    """``runout vinyl --json``."""
    from vinyl.workflow import groove_figures

    return {
        "format": disc_format.id,
        "note": note,
        "manifest": str(files.manifest),
        "sides": [
            {
                "name": r.side.name,
                "disc": r.side.disc,
                "duration_s": round(r.side.duration_s, 3),
                "recommended_s": r.side.recommended_s,
                "maximum_s": r.side.maximum_s,
                "file": str(files.files.get(r.side.name, "")),
                "tracks": [
                    {
                        "track_id": p.track_id,
                        "start_s": round(p.start / r.side.timeline.sample_rate, 3),
                        "duration_s": round(p.length / r.side.timeline.sample_rate, 3),
                    }
                    for p in r.side.timeline.placements
                ],
                "groove": groove_figures(r),
            }
            for r in reports
        ],
        "findings": [f.model_dump(mode="json") for r in reports for f in r.findings],
    }


def _print(
    out: Console, reports: list[Any], files: Any, findings: list[Any], note: str | None
) -> None:
    """Print the human-readable report."""
    if note:
        out.print(note)
    for report in reports:
        side = report.side
        table = Table(title=report.summary, title_justify="left")
        for name in ("pos", "track", "start", "duration"):
            table.add_column(name, justify="left" if name == "track" else "right")
        rate = side.timeline.sample_rate
        for number, placement in enumerate(side.timeline.placements, start=1):
            table.add_row(
                f"{side.name}{number}",
                placement.track_id,
                format_duration(placement.start / rate),
                format_duration(placement.length / rate),
            )
        out.print(table)
        out.print(
            f"  time {format_duration(side.duration_s)} of "
            f"{format_duration(side.recommended_s)} recommended, "
            f"{format_duration(side.maximum_s)} max; groove {report.groove.space_mm:.1f} of "
            f"{report.groove.band_mm:.1f} mm; file {files.files.get(side.name, '-')}"
        )
    if findings:
        out.print(findings_table(findings))
    out.print(f"side manifest: {files.manifest}")
