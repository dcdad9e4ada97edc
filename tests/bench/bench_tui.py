"""Benchmark of the app: start-up to first paint with cached analysis, and edit latency.

Run with ``python tests/bench/bench_tui.py [DEMO_DIR]`` (default ``./runout-demo``,
built first when missing, then analysed into the cache). Prints:

- the time to import the app in a fresh interpreter;
- the time from starting a fresh interpreter to the app's first full paint
  (what a user waits for after typing ``runout SESSION.json``, minus the terminal),
  the median of seven runs. The app is imported as the command imports it, through
  :mod:`tui.app` (which pauses the garbage collector for the import);
- start-up to first paint in this process: constructing the app, mounting it headless at 120x40
  and painting the Sequence screen with every track's cached analysis filled in
  (target: under 1 s);
- a reorder and a pause edit on the demo album: from the key handler to the
  screen updated (the edit, the new view, the table and panel redrawn; the
  findings follow in a worker). Target: under 50 ms.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path

from samples.demo_session import build_demo
from sequencer.batch import analyse_sources
from sequencer.cache import AnalysisCache
from sequencer.store import load_session
from tui.app import RunoutApp

COLD_START = """
import asyncio, sys, time
from pathlib import Path
from sequencer.cache import AnalysisCache
from tui.app import RunoutApp

async def main():
    app = RunoutApp(Path(sys.argv[1]), cache=AnalysisCache())
    async with app.run_test(size=(120, 40)) as pilot:
        while app.view is None or app.view.plan is None:
            await pilot.pause(0.005)
        await pilot.pause(0)
        print(time.perf_counter(), flush=True)
        while not app.query("#deliver-pane"):  # the hidden screens, mounted after the paint
            await pilot.pause(0.01)

asyncio.run(main())
"""


def cold_start(session_path: Path) -> float:
    """Seconds from starting a fresh interpreter to the first full paint of the app."""
    begin = time.perf_counter()  # perf_counter is system-wide (CLOCK_MONOTONIC) on Linux
    out = subprocess.run(
        [sys.executable, "-c", COLD_START, str(session_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1]) - begin


def import_time() -> float:
    """Seconds to import the app module in a fresh interpreter."""
    code = (
        "import time; t = time.perf_counter(); from tui.app import RunoutApp; "
        "print(time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


async def measure(session_path: Path) -> dict[str, list[float]]:
    """Start the app, wait for the first full paint, then time reorders and pause edits."""
    figures: dict[str, list[float]] = {"startup": [], "reorder": [], "pause": []}
    start = time.perf_counter()
    app = RunoutApp(session_path, cache=AnalysisCache())
    async with app.run_test(size=(120, 40)) as pilot:
        while app.view is None or app.view.plan is None:
            await pilot.pause(0.005)
        await pilot.pause(0)  # the frame with the values is painted
        figures["startup"].append(time.perf_counter() - start)
        while app.findings_pending or app.analysis_running:
            await pilot.pause(0.01)
        assert app.session is not None
        for step in range(10):
            begin = time.perf_counter()
            app.action_move_down() if step % 2 == 0 else app.action_move_up()
            app.screen._refresh_layout()  # the paint of the new table and panel
            figures["reorder"].append(time.perf_counter() - begin)
            await pilot.pause(0.05)
        track = app.session.order[3]
        from sequencer import edits

        for step in range(10):
            begin = time.perf_counter()
            app.edit(edits.set_pause, track, 1.0 + step / 2)
            app.screen._refresh_layout()
            figures["pause"].append(time.perf_counter() - begin)
            await pilot.pause(0.05)
    return figures


def main() -> None:
    """Build and analyse the demo when needed, then measure and print."""
    directory = Path(sys.argv[1] if len(sys.argv) > 1 else "runout-demo")
    session_path = build_demo(directory)
    session = load_session(session_path)
    analyse_sources([t.path for t in session.ordered_tracks()], cache=AnalysisCache())
    print(f"import the app (fresh interpreter): {import_time() * 1000:.0f} ms")
    colds = [cold_start(session_path) for _ in range(7)]
    print(
        "process start to first paint (interpreter, imports, app), cached analysis: "
        f"median {statistics.median(colds) * 1000:.0f} ms of {len(colds)} "
        f"({' '.join(f'{c * 1000:.0f}' for c in colds)})"
    )
    figures = asyncio.run(measure(session_path))
    print(f"start-up to first paint, cached analysis: {figures['startup'][0] * 1000:.0f} ms")
    for name in ("reorder", "pause"):
        values = [v * 1000 for v in figures[name]]
        print(
            f"{name} edit to screen updated: median {statistics.median(values):.1f} ms, "
            f"max {max(values):.1f} ms over {len(values)} edits"
        )


if __name__ == "__main__":
    main()
