"""``runout vinyl``: the side plan, the side checks, and the side files."""

from __future__ import annotations

import argparse
import json
import threading
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from sequencer.findings import has_errors, sort_findings
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
    from vinyl.formats import get_format
    from vinyl.premaster import VinylLevelPolicy, render_sides, vinyl_gain_plan
    from vinyl.processing import vinyl_chain
    from vinyl.sidecheck import check_layout
    from vinyl.sides import plan_sides, propose_split

    session_path = Path(arguments.session)
    session, analyses = session_analyses(session_path, arguments, err)
    sources = probe_sources(session.ordered_tracks())
    disc_format = get_format(arguments.disc_format or session.vinyl.disc_format)
    note = None
    if arguments.auto_split or not any(side.track_ids for side in session.vinyl.sides):
        proposal = propose_split(session, sources, disc_format=disc_format)
        layout = proposal.layout
        note = (
            "Proposed split (not saved): "
            + "; ".join(f"{name}: {', '.join(ids)}" for name, ids in proposal.sides)
            + f". Keep it with: runout side {session_path} TRACK... --on SIDE"
        )
    else:
        layout = plan_sides(session, sources, disc_format=disc_format)
    policy = VinylLevelPolicy()
    track_ids = tuple(t for side in layout.sides for t in side.track_ids)
    plan = vinyl_gain_plan(session, analyses, policy, track_ids)
    gains = {gain.track_id: gain.gain_db for gain in plan.tracks}

    def job(report: Report, cancel: threading.Event) -> Any:
        reports = check_layout(
            session,
            layout,
            gains_db=gains,
            analyses=analyses,
            processor_factory=lambda rate: vinyl_chain(session.vinyl, rate),
            progress=lambda done, total: report(done, total, "checking the sides"),
            cancel=cancel,
        )
        out_dir = (
            Path(arguments.out)
            if arguments.out
            else session_path.with_name(f"{session_path.stem}-vinyl")
        )
        files = render_sides(
            session,
            layout,
            out_dir,
            analyses=analyses,
            policy=policy,
            findings=[f for r in reports for f in r.findings],
            side_notes={r.side.name: {"groove": _groove(r)} for r in reports},
            progress=lambda done, total, what: report(done, total, what),
            cancel=cancel,
        )
        return reports, files

    reports, files = run_with_progress(err, "vinyl sides", job)
    findings = sort_findings(f for r in reports for f in r.findings)
    if arguments.json:
        out.file.write(json.dumps(_document(reports, files, note, disc_format), indent=2) + "\n")
    else:
        _print(out, reports, files, findings, note)
    return 1 if has_errors(findings) else 0


def _groove(report: Any) -> dict[str, Any]:
    """Return the groove-space figures of a side as JSON."""
    return {
        "space_mm": round(report.groove.space_mm, 2),
        "band_mm": round(report.groove.band_mm, 2),
        "fits": bool(report.groove.fits),
        "cut_level_db": report.settings.cut_level_db,
        "fitting_cut_level_db": report.fitting_cut_level_db,
        "widest_passages": [
            {"time_s": p.time_s, "pitch_um": p.pitch_um, "track_id": p.track_id}
            for p in report.widest
        ],
        "true_peak_dbtp": report.true_peak_dbtp,
        "summary": report.summary,
    }


def _document(reports: list[Any], files: Any, note: str | None, disc_format: Any) -> dict[str, Any]:
    """``runout vinyl --json``."""
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
                "groove": _groove(r),
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
