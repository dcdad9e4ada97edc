"""The ``runout`` command line.

Every command is a thin face over the domain packages: it parses arguments,
runs the domain job with a progress bar, and prints a table or JSON. Errors are
one clear line on stderr (no traceback) and a non-zero exit status.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from sequencer import __version__
from sequencer.analysis import TrackAnalysis
from sequencer.batch import analyse_sources
from sequencer.cache import AnalysisCache
from sequencer.errors import Cancelled, RunoutError, SessionError
from sequencer.session import Session, check_against_sources, new_session
from sequencer.store import load_session, save_session, tracks_outside_folder
from tui.jobs import Report, run_with_progress
from tui.report import analysis_json, analysis_table, findings_table, format_duration

if TYPE_CHECKING:
    from sequencer.deliver import Deliverable

#: Exit status for errors the user can fix, and for a cancelled job (as after SIGINT).
EXIT_ERROR = 1
EXIT_CANCELLED = 130

SESSION_SUFFIXES = (".json",)


def _analyse(
    paths: Sequence[Path], *, use_cache: bool, workers: int | None, console: Console
) -> list[TrackAnalysis]:
    """Analyse ``paths`` with a progress bar."""
    cache = AnalysisCache() if use_cache else None

    def job(report: Report, cancel: threading.Event) -> list[TrackAnalysis]:
        def on_progress(done: int, total: int, finished: int, count: int) -> None:
            report(done, total, f"analysing {finished}/{count} tracks")

        return analyse_sources(
            paths, cache=cache, workers=workers, progress=on_progress, cancel=cancel
        )

    return run_with_progress(console, "analysing", job)


def command_analyze(arguments: argparse.Namespace, out: Console, err: Console) -> int:
    """``runout analyze SESSION.json | AUDIO...``: the loudness table or JSON."""
    targets = [Path(t) for t in arguments.targets]
    titles: list[str] | None = None
    session = None
    if len(targets) == 1 and targets[0].suffix.lower() in SESSION_SUFFIXES:
        session = load_session(targets[0])
        tracks = session.ordered_tracks()
        if not tracks:
            raise SessionError(f"{targets[0]}: the session has no tracks in its running order")
        paths = [track.path for track in tracks]
        titles = [track.title for track in tracks]
    else:
        paths = targets
    analyses = _analyse(
        paths, use_cache=not arguments.no_cache, workers=arguments.workers, console=err
    )
    if arguments.json:
        entries = [analysis_json(a, titles[i] if titles else None) for i, a in enumerate(analyses)]
        out.file.write(json.dumps(entries, indent=2, ensure_ascii=False) + "\n")
    else:
        out.print(analysis_table(analyses, titles))
    if session is not None:
        # Trims, fades and crossfades can only be checked against the real lengths.
        durations = {
            t.id: a.duration_s for t, a in zip(session.ordered_tracks(), analyses, strict=True)
        }
        check_against_sources(session, durations)
    return 0


def command_new(arguments: argparse.Namespace, out: Console, err: Console) -> int:
    """``runout new SESSION.json AUDIO...``: start a session from audio files."""
    session_path = Path(arguments.session)
    if session_path.suffix.lower() != ".json":
        raise SessionError(f"{session_path}: a session file name must end in .json")
    if session_path.exists() and not arguments.force:
        raise SessionError(f"{session_path}: already exists; choose another name or pass --force")
    from sequencer.audio import probe

    paths = [Path(p).resolve() for p in arguments.audio]
    for path in paths:
        probe(path)  # refuse unreadable audio now, with its name, not later
    title = arguments.title or session_path.stem.replace("_", " ")
    session = new_session(paths, title=title, artist=arguments.artist)
    save_session(session, session_path)
    out.print(f"wrote {session_path} with {len(paths)} tracks (2 s pause between tracks)")
    return 0


def command_demo(arguments: argparse.Namespace, out: Console, err: Console) -> int:
    """``runout demo [DIR]``: build the demo album and session, analyse, report."""
    from samples.demo_session import build_demo

    directory = Path(arguments.directory)

    def job(report: Report, cancel: threading.Event) -> Path:
        return build_demo(
            directory, progress=lambda d, t: report(d, t, "making the demo album"), cancel=cancel
        )

    session_path = run_with_progress(err, "making the demo album", job)
    session = load_session(session_path)
    tracks = session.ordered_tracks()
    analyses = _analyse(
        [t.path for t in tracks],
        use_cache=not arguments.no_cache,
        workers=arguments.workers,
        console=err,
    )
    out.print(f"[bold]{session.album.artist} — {session.album.title}[/bold]  ({session_path})")
    out.print(analysis_table(analyses, [t.title for t in tracks]))
    by_id = {track.id: analysis for track, analysis in zip(tracks, analyses, strict=True)}
    result = _deliver(session, by_id, directory / "cd", "cd", err)
    print_deliverable(result, out)
    from tui.vinyl_command import command_vinyl

    vinyl_arguments = argparse.Namespace(
        session=str(session_path),
        disc_format=None,
        auto_split=False,
        out=str(directory / "vinyl"),
        json=False,
        no_cache=arguments.no_cache,
        workers=arguments.workers,
    )
    command_vinyl(vinyl_arguments, out, err, _session_analyses)  # errors are the planted faults
    out.print(
        f"session: {session_path}\nnext: runout {session_path}   (the app; runout show for text)"
    )
    return 0


def _session_analyses(
    session_path: Path, arguments: argparse.Namespace, err: Console
) -> tuple[Session, dict[str, TrackAnalysis]]:
    """Load a session and analyse its tracks (cached), by track id."""
    session = load_session(session_path)
    tracks = session.ordered_tracks()
    if not tracks:
        raise SessionError(f"{session_path}: the session has no tracks in its running order")
    for track_id, source in tracks_outside_folder(session, session_path):
        folder = session_path.absolute().parent
        _say(f'note: track "{track_id}" reads {source}, outside the session folder {folder}')
    analyses = _analyse(
        [t.path for t in tracks],
        use_cache=not arguments.no_cache,
        workers=arguments.workers,
        console=err,
    )
    return session, {track.id: analysis for track, analysis in zip(tracks, analyses, strict=True)}


def _deliver(
    session: Session,
    analyses: dict[str, TrackAnalysis],
    out_dir: Path,
    preset: str | None,
    err: Console,
) -> Deliverable:
    """Render the digital deliverables with a progress bar."""
    from sequencer.deliver import Preset, deliver

    chosen = Preset(preset) if preset else None

    def job(report: Report, cancel: threading.Event) -> Deliverable:
        return deliver(
            session,
            out_dir,
            preset=chosen,
            analyses=analyses,
            cache=AnalysisCache(),
            progress=report,
            cancel=cancel,
        )

    return run_with_progress(err, "rendering", job)


def print_deliverable(result: Deliverable, out: Console) -> None:
    """Print what a delivery wrote and how it measures."""
    table = Table(
        title=f"Wrote {result.spec.name} deliverables to {result.directory}", title_justify="left"
    )
    for name in ("file", "duration", "LUFS", "TP dBTP", "SHA-256"):
        table.add_column(
            name, justify="left" if name in ("file", "SHA-256") else "right", no_wrap=True
        )
    files = (result.album_file, *result.track_files)
    for path in files:
        analysis = result.measured[str(path)]
        table.add_row(
            path.name,
            format_duration(analysis.duration_s),
            "-" if analysis.integrated_lufs is None else f"{analysis.integrated_lufs:.1f}",
            "-" if analysis.true_peak_dbtp is None else f"{analysis.true_peak_dbtp:.1f}",
            result.checksums[str(path)][:12],
        )
    out.print(table)
    if result.cue_file is not None:
        out.print(f"CUE sheet: {result.cue_file}")
    out.print(f"manifest:  {result.manifest}")
    out.print(f"levels:    {result.plan.summary()}")
    from sequencer.findings import check_true_peaks

    over = check_true_peaks(
        [(path.name, result.measured[str(path)].true_peak_dbtp) for path in files],
        result.plan.ceiling_dbtp,
    )
    if over:
        out.print(findings_table(over))


def command_render(arguments: argparse.Namespace, out: Console, err: Console) -> int:
    """``runout render SESSION.json``: the digital deliverables."""
    session_path = Path(arguments.session)
    session, analyses = _session_analyses(session_path, arguments, err)
    default = session_path.with_name(f"{session_path.stem}-{arguments.preset or 'master'}")
    result = _deliver(
        session, analyses, Path(arguments.out) if arguments.out else default, arguments.preset, err
    )
    print_deliverable(result, out)
    return 0


def command_levels(arguments: argparse.Namespace, out: Console, err: Console) -> int:
    """``runout levels SESSION.json``: the gain plan and what streaming platforms will do."""
    from sequencer.levels import plan_gains
    from sequencer.platforms import platform_preview

    session, analyses = _session_analyses(Path(arguments.session), arguments, err)
    plan = plan_gains(session, analyses)
    preview = platform_preview(plan)
    if arguments.json:
        document = {
            "plan": plan.model_dump(mode="json"),
            "summary": plan.summary(),
            "platforms": [
                {
                    "name": p.platform.name,
                    "reference_lufs": p.platform.reference_lufs,
                    "album_gain_db": p.album_gain_db,
                    "shuffle_min_db": p.shuffle_min_db,
                    "shuffle_max_db": p.shuffle_max_db,
                    "note": p.note,
                }
                for p in preview
            ],
        }
        out.file.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        return 0
    table = Table(
        title=f"Gain plan ({plan.mode}, target {plan.target_lufs:.1f} LUFS)", title_justify="left"
    )
    for name in ("#", "track", "gain dB", "LUFS after", "TP after", "why"):
        table.add_column(
            name, justify="right" if name in ("#", "gain dB", "LUFS after", "TP after") else "left"
        )
    for number, gain in enumerate(plan.tracks, start=1):
        table.add_row(
            str(number),
            session.track(gain.track_id).title,
            f"{gain.gain_db:+.2f}",
            "-" if gain.integrated_lufs_after is None else f"{gain.integrated_lufs_after:.1f}",
            "-" if gain.true_peak_dbtp_after is None else f"{gain.true_peak_dbtp_after:.1f}",
            gain.reason,
        )
    out.print(table)
    out.print(plan.summary())
    platforms = Table(
        title="Streaming preview: the gain each platform applies", title_justify="left"
    )
    for name in ("platform", "reference", "album playback", "shuffle", "note"):
        platforms.add_column(name, justify="left" if name in ("platform", "note") else "right")
    for p in preview:
        album_gain = "-" if p.album_gain_db is None else f"{p.album_gain_db:+.1f} dB"
        shuffle = (
            "-"
            if p.shuffle_min_db is None or p.shuffle_max_db is None
            else f"{p.shuffle_min_db:+.1f} .. {p.shuffle_max_db:+.1f} dB"
        )
        platforms.add_row(
            p.platform.name, f"{p.platform.reference_lufs:.0f} LUFS", album_gain, shuffle, p.note
        )
    out.print(platforms)
    return 0


def command_check(arguments: argparse.Namespace, out: Console, err: Console) -> int:
    """``runout check SESSION.json``: every finding; exit 1 when one is an error."""
    from sequencer.findings import check_session, has_errors, to_json
    from sequencer.levels import plan_gains

    session, analyses = _session_analyses(Path(arguments.session), arguments, err)
    plan = plan_gains(session, analyses)
    findings = check_session(
        session,
        analyses=analyses,
        cd=True if arguments.cd else None,
        gains_db=plan.gains_db(),
    )
    if arguments.json:
        out.file.write(to_json(findings) + "\n")
    elif findings:
        out.print(findings_table(findings))
    else:
        out.print("no findings")
    return EXIT_ERROR if has_errors(findings) else 0


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of ``runout`` and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="runout",
        description="Album sequencing and vinyl side planning.",
        epilog="`runout` alone opens the app on the demo; `runout SESSION.json` opens a session.",
    )
    parser.add_argument("--version", action="version", version=f"runout {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what runout is doing")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    analyze = commands.add_parser(
        "analyze",
        aliases=["analyse"],
        help="measure loudness, LRA, true peak and more",
        description="Analyse a session's tracks or audio files (BS.1770-4, EBU Tech 3341/3342).",
    )
    analyze.add_argument(
        "targets", nargs="+", metavar="SESSION.json|AUDIO", help="a session file or audio files"
    )
    analyze.add_argument(
        "--json", action="store_true", help="print a JSON array, one object per track"
    )
    _add_analysis_options(analyze)
    analyze.set_defaults(handler=command_analyze)

    new = commands.add_parser(
        "new",
        help="start a session from audio files",
        description="Create a session over audio files in order.",
    )
    new.add_argument("session", metavar="SESSION.json")
    new.add_argument("audio", nargs="+", metavar="AUDIO", help="source files in running order")
    new.add_argument("--title", help="album title (default: the session file's name)")
    new.add_argument("--artist", help="album artist")
    new.add_argument("--force", action="store_true", help="overwrite an existing session file")
    new.set_defaults(handler=command_new)

    render_parser = commands.add_parser(
        "render",
        help="render the digital deliverables (album file, CUE, per-track files, manifest)",
        description=(
            "Render the album in one pass: the continuous album file (with a CUE sheet for CD), "
            "per-track files that concatenate to it, and manifest.json with levels and checksums."
        ),
    )
    render_parser.add_argument("session", metavar="SESSION.json")
    render_parser.add_argument(
        "--out", metavar="DIR", help="output folder (default: next to the session)"
    )
    render_parser.add_argument(
        "--preset",
        choices=["cd", "streaming", "hires"],
        help="cd: 44.1 kHz/16-bit + CUE; streaming: 24-bit at the master rate; hires: 24-bit FLAC",
    )
    _add_analysis_options(render_parser)
    render_parser.set_defaults(handler=command_render)

    levels = commands.add_parser(
        "levels",
        help="the gain plan (why each track gets its gain) and the streaming preview",
        description=(
            "Plan the album's gains from the loudness policy (album / track / anchor mode, "
            "offsets, true-peak ceiling) and show what Spotify, Apple Music, YouTube, Amazon, "
            "Tidal and Deezer would do to it in album and in shuffle playback."
        ),
    )
    levels.add_argument("session", metavar="SESSION.json")
    levels.add_argument("--json", action="store_true", help="print the plan and preview as JSON")
    _add_analysis_options(levels)
    levels.set_defaults(handler=command_levels)

    check = commands.add_parser(
        "check",
        help="list every finding (Red Book, metadata, clipping, clicks, seams); exit 1 on errors",
        description=(
            "Check the session and its sources: Red Book rules (with --cd or CD alignment), "
            "ISRC/UPC, titles, clipping and clicks in sources, sample rates, crossfades over "
            "silence, loudness jumps across seams. Exit status 1 when any finding is an error."
        ),
    )
    check.add_argument("session", metavar="SESSION.json")
    check.add_argument("--json", action="store_true", help="print the findings as JSON")
    check.add_argument(
        "--cd", action="store_true", help="apply the Red Book rules (CD is a deliverable)"
    )
    _add_analysis_options(check)
    check.set_defaults(handler=command_check)

    demo = commands.add_parser(
        "demo",
        help="build the demo album and session, analyse it, report",
        description="Generate the demo album (once) and its session, then run runout on it.",
    )
    demo.add_argument(
        "directory", nargs="?", default="runout-demo", metavar="DIR", help="default: ./runout-demo"
    )
    _add_analysis_options(demo)
    demo.set_defaults(handler=command_demo)

    from tui import audition_command, cutsheet_command, edit_commands, vinyl_command

    edit_commands.register(commands)
    vinyl_command.register(commands, _add_analysis_options, _session_analyses)
    cutsheet_command.register(commands, _add_analysis_options, _session_analyses)
    audition_command.register(commands, _add_analysis_options, _session_analyses)
    return parser


def _add_analysis_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by commands that analyse audio."""
    parser.add_argument("--no-cache", action="store_true", help="analyse again even when cached")
    parser.add_argument(
        "--workers", type=int, default=None, help="worker processes (default: one per core)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``runout`` with ``argv`` (default: the process arguments); return the exit status."""
    given = list(sys.argv[1:] if argv is None else argv)
    if not given or (len(given) == 1 and given[0].lower().endswith(SESSION_SUFFIXES)):
        from tui.app import run_app  # the app: on the demo, or on SESSION.json

        return run_app(Path(given[0]) if given else None, demo_dir=Path("runout-demo"))
    parser = build_parser()
    arguments = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if arguments.verbose else logging.WARNING, format="%(message)s"
    )
    out = Console(highlight=False)
    if not out.is_terminal:
        out = Console(highlight=False, width=160)  # tables in logs and pipes stay on one line
    err = Console(stderr=True, highlight=False)
    if arguments.command is None:
        parser.print_help()
        return 0
    try:
        return int(arguments.handler(arguments, out, err))
    except Cancelled as error:
        _say(f"runout: {error}")
        return EXIT_CANCELLED
    except RunoutError as error:
        _say(f"runout: error: {error}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        _say("runout: interrupted")
        return EXIT_CANCELLED


def _say(message: str) -> None:
    """Print a message on stderr as it is (no wrapping, no markup)."""
    sys.stderr.write(message.rstrip("\n") + "\n")
    sys.stderr.flush()


if __name__ == "__main__":
    sys.exit(main())
