"""``runout audition``: render the seam into a track, and play it when asked.

The command-line face of the app's audition (space on the Sequence screen):
the same seam from :func:`sequencer.audition.render_seam`, through the real
engine with the album's gain plan, played by the player :mod:`tui.player` finds.
"""

from __future__ import annotations

import argparse
import contextlib
import json
from pathlib import Path
from typing import Any

from rich.console import Console

from sequencer.audition import SEAM_S
from sequencer.errors import RunoutError
from tui.player import NO_PLAYER, find_player, play

__all__ = ["command_audition", "register"]


def register(commands: Any, add_analysis_options: Any, session_analyses: Any) -> None:
    """Add ``runout audition`` to the command's subparsers.

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
        "audition",
        help="render the seam into a track (end of the one before, the transition, its start)",
        description=(
            "Render the transition into TRACK as the album file has it: the end of the track "
            "before, the pause or crossfade with its curve, the start of TRACK, with the "
            "album's gains and limiter, to a 24-bit WAV. With --play, play it with the first "
            "player found (afplay, paplay, aplay, ffplay) or $RUNOUT_PLAYER."
        ),
    )
    parser.add_argument("session", metavar="SESSION.json")
    parser.add_argument(
        "track", metavar="TRACK", help="the track after the seam: its position (from 1) or id"
    )
    parser.add_argument(
        "--before",
        type=float,
        default=SEAM_S,
        metavar="S",
        help=f"seconds of the track before, ahead of the transition (default {SEAM_S:g})",
    )
    parser.add_argument(
        "--after",
        type=float,
        default=SEAM_S,
        metavar="S",
        help=f"seconds of TRACK after the transition (default {SEAM_S:g})",
    )
    parser.add_argument(
        "--out", metavar="FILE", help="the WAV to write (default: a temporary file)"
    )
    parser.add_argument("--play", action="store_true", help="play the seam, then exit")
    parser.add_argument(
        "--player", metavar="COMMAND", help="the player command (the file is appended)"
    )
    parser.add_argument("--json", action="store_true", help="print the file and the seam as JSON")
    add_analysis_options(parser)
    parser.set_defaults(handler=lambda a, o, e: command_audition(a, o, e, session_analyses))


def command_audition(
    arguments: argparse.Namespace, out: Console, err: Console, session_analyses: Any
) -> int:
    """Render the seam, print where it is, play it when asked.

    Parameters
    ----------
    arguments : argparse.Namespace
        The parsed command line.
    out, err : Console
        Where the result and the analysis progress go.
    session_analyses : callable
        Loads the session and analyses its tracks.

    Returns
    -------
    int
        0.

    Raises
    ------
    RunoutError
        When the seam cannot be made, no player exists for ``--play`` (the
        file is kept and named), or the player fails.
    """
    from sequencer.audition import render_seam
    from sequencer.levels import plan_gains
    from sequencer.timeline import probe_sources
    from tui.edit_commands import resolve_track

    player = find_player(arguments.player) if arguments.play else None
    session, analyses = session_analyses(Path(arguments.session), arguments, err)
    track_id = resolve_track(session, arguments.track)
    index = session.position(track_id)
    tracks = session.ordered_tracks()[max(index - 1, 0) : index + 1]
    keep = arguments.out is not None or not arguments.play
    seam = render_seam(
        session,
        probe_sources(tracks),
        track_id,
        plan=plan_gains(session, analyses),
        before_s=arguments.before,
        after_s=arguments.after,
        path=Path(arguments.out) if arguments.out else None,
    )
    try:
        if arguments.json:
            document = {
                "file": str(seam.path) if keep else None,
                "seam": seam.description,
                "seam_s": round(seam.seam_s, 6),
                "duration_s": round(seam.duration_s, 6),
                "player": player,
            }
            out.file.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        else:
            out.print(f"seam: {seam.description}")
            out.print(f"{seam.duration_s:.1f} s; the second track starts at {seam.seam_s:.2f} s")
            if keep:
                out.print(f"file: {seam.path}")
        if not arguments.play:
            return 0
        if player is None:
            keep = True
            raise RunoutError(f"{NO_PLAYER} The seam is in {seam.path}")
        if not arguments.json:
            out.print(f"playing with {player[0]} (Ctrl+C stops)")
        play(player, seam.path)
        return 0
    finally:
        if not keep:
            seam.path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                seam.path.parent.rmdir()
