"""Benchmark: side checks plus side rendering of a 2 x 20-minute double side.

Not part of the test run. Usage::

    python tests/bench/bench_vinyl.py [--dir /tmp/runout-bench]

Uses the albums that ``bench_analysis.py`` makes (the demo album at 44.1 kHz
and its 96 kHz copy): two sides of about 20 minutes each on 12" 33 1/3. In a
fresh process it runs every side check (groove simulation, low end, high
frequencies, peaks) and writes the side files, and prints JSON: audio minutes,
wall seconds, x-real-time, peak RSS; then the same with the sides twice as long
(four sides), to show memory stays flat.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.bench_analysis import album_44k, album_resampled, run_child

CHILD = """
import tui  # the command line's process settings (one BLAS thread), before numpy
import sys, time
from pathlib import Path
from sequencer.analysis import analyse_file
from sequencer.store import load_session
from sequencer.timeline import probe_sources
from vinyl.workflow import make_vinyl, plan_vinyl
session = load_session(Path(sys.argv[1]))
analyses = {t.id: analyse_file(t.path) for t in session.ordered_tracks()}
start = time.perf_counter()
plan = plan_vinyl(session, probe_sources(session.ordered_tracks()), disc_format="12in-33")
result = make_vinyl(session, plan, Path(sys.argv[2]), analyses=analyses, cutsheet=False)
minutes = sum(side.duration_s for side in plan.layout.sides) / 60
print(minutes, time.perf_counter() - start)
"""


def build_session(paths: list[Path], session_path: Path, copies: int) -> None:
    """Write a session with ``copies`` double sides of about 20 minutes each."""
    from sequencer.edits import assign_side, set_vinyl
    from sequencer.session import new_session
    from sequencer.store import save_session

    # The demo album's first five tracks (about 20 minutes) and the next five.
    halves = [paths[:5], paths[5:10]] * copies
    session = new_session([p for half in halves for p in half], title="Bench", artist="Bench")
    session = set_vinyl(session, mono_below_hz=150.0, subsonic_hz=18.0)
    tracks = session.ordered_tracks()
    index = 0
    for side_number, half in enumerate(halves):
        for _ in half:
            session = assign_side(session, tracks[index].id, "ABCDEFGH"[side_number])
            index += 1
    save_session(session, session_path)


def run(session_path: Path, out: Path) -> dict[str, object]:
    """Check and render the sides in a fresh process; wall time (checks + files) and memory."""
    out.mkdir(parents=True, exist_ok=True)
    output, _, peak = run_child([sys.executable, "-c", CHILD, str(session_path), str(out)])
    minutes, wall = (float(x) for x in output.split())  # the child times checks + files itself
    return {
        "audio_minutes": round(minutes, 2),
        "wall_s_checks_and_files": round(wall, 2),
        "x_real_time": round(minutes * 60 / wall, 1),
        "peak_rss_mb": round(peak / 1024, 1),
    }


def main() -> None:
    """Build the sessions and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=Path("/tmp/runout-bench"))
    arguments = parser.parse_args()
    base = album_44k(arguments.dir)
    results = []
    for rate, paths in (
        (44100, base),
        (96000, album_resampled(base, arguments.dir / "96000", 96000)),
    ):
        for copies in (1, 2):
            session_path = arguments.dir / f"vinyl-{rate}-{copies}.json"
            build_session(paths, session_path, copies)
            figures = {
                "source_rate": rate,
                "sides": 2 * copies,
                **run(session_path, arguments.dir / f"vinyl-{rate}-{copies}"),
            }
            results.append(figures)
            print(json.dumps(figures), flush=True)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
