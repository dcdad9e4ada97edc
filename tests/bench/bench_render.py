"""Benchmark: render a 45-minute, 12-track album to a CD image + CUE and per-track files.

Not part of the test run. Usage::

    python tests/bench/bench_render.py [--dir /tmp/runout-bench]

Uses the albums that ``bench_analysis.py`` makes (the demo album at 44.1 kHz and
its 96 kHz copy). The album is 12 tracks with 2 s pauses and three crossfades,
trimmed to 45 minutes. For each source rate it renders, in a fresh process:

- ``cd-only``: the continuous CD image (44.1 kHz/16-bit, CD-aligned) alone;
- ``cd+tracks``: the CD image, its CUE sheet and per-track 24-bit WAV files in
  one pass;
- ``cd-only-double``: the CD image of the same album twice over (90 minutes),
  to show memory stays flat.

It prints JSON: audio minutes, wall seconds, x-real-time and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.bench_analysis import album_44k, album_resampled, run_child

TRACKS = 12
MINUTES = 45.0


def build_session(paths: list[Path], session_path: Path, copies: int = 1) -> None:
    """Write a 12-track session (times ``copies``): pauses, crossfades, 45 minutes."""
    import soundfile as sf

    from sequencer.edits import set_crossfade, set_trim
    from sequencer.session import Curve, new_session
    from sequencer.store import save_session

    chosen = (paths * 2)[:TRACKS] * copies
    session = new_session(chosen, title="Bench")
    lengths = [sf.info(str(p)).duration for p in chosen[:TRACKS]]
    cut = (sum(lengths) - MINUTES * 60) / TRACKS
    for track, length in zip(session.ordered_tracks(), lengths * copies, strict=True):
        session = set_trim(session, track.id, 0.0, round(length - cut, 3))
    for position in (3, 6, 9):
        session = set_crossfade(session, session.order[position], 4.0, Curve.EQUAL_POWER)
    save_session(session, session_path)


RENDER_CODE = """
import sys, time
from pathlib import Path
from sequencer.store import load_session
from sequencer.timeline import album_timeline, probe_sources
from sequencer.render import render, OutputFile
from sequencer.cue import cue_sheet, write_cue_sheet
session = load_session(Path(sys.argv[1]))
out = Path(sys.argv[2]); mode = sys.argv[3]
sources = probe_sources(session.ordered_tracks())
timeline = album_timeline(session, sources, sample_rate=44100, cd_alignment=True)
outputs = [OutputFile(out / "album.wav", 0, timeline.length, 16)]
if mode == "cd+tracks":
    ranges = enumerate(timeline.file_ranges(), 1)
    outputs += [OutputFile(out / f"{n:02d}.wav", a, b, 24) for n, (a, b) in ranges]
render(timeline, {}, outputs, seed=1)
if mode == "cd+tracks":
    write_cue_sheet(out / "album.cue", cue_sheet(session, timeline, "album.wav"))
print(timeline.length / 44100 / 60)
"""


def run(session_path: Path, out: Path, mode: str) -> dict[str, object]:
    """Render in a fresh process; wall time and peak memory."""
    out.mkdir(parents=True, exist_ok=True)
    output, wall, peak = run_child(
        [sys.executable, "-c", RENDER_CODE, str(session_path), str(out), mode]
    )
    minutes = float(output.strip())
    return {
        "mode": mode,
        "audio_minutes": round(minutes, 2),
        "wall_s": round(wall, 2),
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
        single = arguments.dir / f"render-{rate}.json"
        double = arguments.dir / f"render-{rate}-double.json"
        build_session(paths, single)
        build_session(paths, double, copies=2)
        for mode, session in (
            ("cd-only", single),
            ("cd+tracks", single),
            ("cd-only-double", double),
        ):
            figures = run(
                session, arguments.dir / f"out-{rate}-{mode}", mode.replace("-double", "")
            )
            figures = {"source_rate": rate, **figures, "mode": mode}
            results.append(figures)
            print(json.dumps(figures), flush=True)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
