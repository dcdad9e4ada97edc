r"""Compare ``runout analyze`` with ``ffmpeg -af ebur128=peak=true``, track by track.

Usage::

    python tests/bench/compare_ffmpeg.py AUDIO...
    python tests/bench/compare_ffmpeg.py \\
        /usr/share/games/warzone2100/music/albums/legacy_soundtrack/*.opus

Prints a Markdown table (integrated loudness, LRA, true peak from both meters
and their differences) and the largest differences.
"""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.reference import ffmpeg_ebur128

KEYS = ("integrated_lufs", "loudness_range_lu", "true_peak_dbtp")


def main() -> None:
    """Analyse the files with both meters and print the comparison."""
    paths = [Path(p) for p in sys.argv[1:]]
    if not paths:
        raise SystemExit(__doc__)
    ours = json.loads(
        subprocess.run(
            [sys.executable, "-m", "tui.cli", "analyze", "--json", "--no-cache", *map(str, paths)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    with ThreadPoolExecutor(max_workers=2) as pool:
        theirs = list(pool.map(ffmpeg_ebur128, paths))
    columns = ["file"] + [
        f"{m} {who}" for m in ("I", "LRA", "TP") for who in ("runout", "ffmpeg", "diff")
    ]
    print("| " + " | ".join(columns) + " |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    worst = dict.fromkeys(KEYS, 0.0)
    for path, mine, reference in zip(paths, ours, theirs, strict=True):
        cells = [path.name]
        for key in KEYS:
            a, b = mine[key], reference[key]
            difference = None if a is None or b is None else a - b
            if difference is not None:
                worst[key] = max(worst[key], abs(difference))
            cells += [f"{a:.2f}", f"{b:.2f}", "-" if difference is None else f"{difference:+.2f}"]
        print("| " + " | ".join(cells) + " |")
    print()
    print("largest |difference|: " + ", ".join(f"{k} {v:.3f}" for k, v in worst.items()))


if __name__ == "__main__":
    main()
