"""``runout cutsheet``: the cut sheet PDF of a session's vinyl sides.

The sheet prints each side file's SHA-256 and the side checks' results, so the
side job runs first (the same job as ``runout vinyl``, into the same folder);
the PDF then goes to ``--out`` (default: beside the side files).
"""

from __future__ import annotations

import argparse
import datetime
import json
import threading
from pathlib import Path
from typing import Any

from rich.console import Console

from sequencer.errors import SessionError
from sequencer.timeline import probe_sources
from tui.jobs import Report, run_with_progress


def register(commands: Any, add_analysis_options: Any, session_analyses: Any) -> None:
    """Add ``runout cutsheet`` to the command's subparsers.

    Parameters
    ----------
    commands : argparse._SubParsersAction
        The subparsers of ``runout``.
    add_analysis_options : callable
        Adds ``--no-cache`` and ``--workers``.
    session_analyses : callable
        Loads a session and analyses its tracks: ``(path, arguments, err)``.
    """
    parser = commands.add_parser(
        "cutsheet",
        help="write the cut sheet PDF (side timings, levels, plots, findings, PQ sheet)",
        description=(
            "Write the cut sheet for the cutting engineer and the plant: per side the tracks "
            "with their times (MM:SS.s), levels, groove space, plots and findings, the side "
            "file's SHA-256, matrix number and run-out etching; then the CD's PQ track sheet. "
            "The side files are written first (as by 'runout vinyl'), since the sheet names "
            "them and their checksums. Fill in the sheet's fields with 'runout vinyl-plan' "
            "(--matrix, --etching, --engineer, --contact, --notes, --paper, --date)."
        ),
    )
    parser.add_argument("session", metavar="SESSION.json")
    parser.add_argument(
        "--out", metavar="FILE", help="the PDF (default: CAT001_cutsheet.pdf beside the side files)"
    )
    parser.add_argument(
        "--sides", metavar="DIR", help="folder for the side files (default: next to the session)"
    )
    parser.add_argument("--format", dest="disc_format", help="disc format, e.g. 12in-33, 7in-45")
    parser.add_argument(
        "--auto-split",
        action="store_true",
        help="use the proposed automatic split instead of the session's sides",
    )
    parser.add_argument(
        "--date",
        metavar="YYYY-MM-DD",
        help="date printed on the sheet, or 'today' (default: the session's cut_sheet_date)",
    )
    parser.add_argument("--json", action="store_true", help="print the paths and side summaries")
    add_analysis_options(parser)
    parser.set_defaults(handler=lambda a, o, e: command_cutsheet(a, o, e, session_analyses))


def _date(text: str | None) -> datetime.date | None:
    """Parse ``--date``."""
    if text is None:
        return None
    if text.strip().lower() == "today":
        return datetime.date.today()
    try:
        return datetime.date.fromisoformat(text.strip())
    except ValueError:
        raise SessionError(
            f"cutsheet --date: {text!r} is not a date (YYYY-MM-DD or 'today')"
        ) from None


def command_cutsheet(
    arguments: argparse.Namespace, out: Console, err: Console, session_analyses: Any
) -> int:
    """Write the side files and the cut sheet; print where the sheet is.

    Parameters
    ----------
    arguments : argparse.Namespace
        The parsed command line.
    out, err : Console
        Where the result and the progress go.
    session_analyses : callable
        Loads the session and analyses its tracks.

    Returns
    -------
    int
        0 (findings are on the sheet, not in the exit status).
    """
    from vinyl.cutsheet import cutsheet_file_name, write_cutsheet
    from vinyl.workflow import make_vinyl, plan_vinyl

    when = _date(arguments.date)
    session_path = Path(arguments.session)
    session, analyses = session_analyses(session_path, arguments, err)
    sources = probe_sources(session.ordered_tracks())
    plan = plan_vinyl(
        session, sources, disc_format=arguments.disc_format, auto_split=arguments.auto_split
    )
    sides_dir = (
        Path(arguments.sides)
        if arguments.sides
        else session_path.with_name(f"{session_path.stem}-vinyl")
    )
    path = Path(arguments.out) if arguments.out else sides_dir / cutsheet_file_name(session)

    def job(report: Report, cancel: threading.Event) -> Any:
        result = make_vinyl(
            session,
            plan,
            sides_dir,
            analyses=analyses,
            progress=report,
            cancel=cancel,
            cutsheet=False,
        )
        report(1.0, 1.0, "writing the cut sheet")
        write_cutsheet(session, result, path, analyses=analyses, date=when)
        return result

    result = run_with_progress(err, "cut sheet", job)
    if arguments.json:
        document = {
            "cutsheet": str(path),
            "manifest": str(result.files.manifest),
            "sides": [report.summary for report in result.reports],
        }
        out.file.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        return 0
    if plan.note:
        out.print(plan.note)
    for report in result.reports:
        out.print(report.summary)
    out.print(f"cut sheet: {path}")
    return 0
