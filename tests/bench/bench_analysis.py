"""Benchmark: full analysis of a 45-minute album against ffmpeg's ebur128.

Not part of the test run. Usage::

    python tests/bench/bench_analysis.py [--dir /tmp/runout-bench] [--rates 44100 96000]

The album is the demo album (ten mastered tracks, about 41 minutes at 44.1 kHz,
24-bit) extended to 45 minutes with one more rendition of its first tracks; the
96 kHz album is the same music resampled. Both are made once in ``--dir`` and
reused. For each rate the script runs ``runout analyze --json --no-cache`` (all
metrics: integrated, LRA, momentary and short-term maxima, true peak, sample
stats; cold analysis cache) and ``ffmpeg -af ebur128=peak=true`` on each file in
turn, and prints JSON: audio minutes, wall seconds, x-real-time, peak RSS of the
largest process and of the whole process tree, and the runout/ffmpeg ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy import signal

from samples.demo_album import generate_demo_album

TARGET_MINUTES = 45.0


def album_44k(folder: Path) -> list[Path]:
    """Return the demo album plus copies of its first tracks up to 45 minutes."""
    paths = generate_demo_album(folder / "demo")
    total = sum(sf.info(str(p)).duration for p in paths)
    extra = []
    for index, path in enumerate(paths):
        if total >= (TARGET_MINUTES - 2) * 60:  # the next track would overshoot
            break
        copy = folder / f"extra-{index + 1:02d}.wav"
        if not copy.exists():
            shutil.copyfile(path, copy)
        extra.append(copy)
        total += sf.info(str(path)).duration
    return paths + extra


def album_resampled(sources: list[Path], folder: Path, rate: int) -> list[Path]:
    """Resample ``sources`` to ``rate`` (24-bit WAV), once."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for source in sources:
        target = folder / source.name
        if not target.exists():
            data, source_rate = sf.read(str(source), dtype="float64")
            divisor = np.gcd(rate, source_rate)
            resampled = signal.resample_poly(data, rate // divisor, source_rate // divisor, axis=0)
            temporary = target.with_suffix(".part.wav")
            sf.write(str(temporary), np.clip(resampled, -1.0, 1.0), rate, subtype="PCM_24")
            temporary.replace(target)
        out.append(target)
    return out


def tree_memory_kb(root: int) -> tuple[int, int]:
    """Memory of ``root`` and its descendants, from /proc (Linux).

    Returns the largest peak resident size of any one process (VmHWM) and the
    proportional set size of the whole tree (PSS: shared pages, such as the
    numpy and scipy libraries that forked workers share, counted once).
    """
    largest = 0
    total_pss = 0
    pending = [root]
    while pending:
        pid = pending.pop()
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            largest = max(largest, int(fields["VmHWM"].split()[0]))
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
            total_pss += int(
                next(ln.split()[1] for ln in rollup.splitlines() if ln.startswith("Pss:"))
            )
            for task in Path(f"/proc/{pid}/task").iterdir():
                pending.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, StopIteration, ValueError, KeyError):
            continue
    return largest, total_pss


def run_child(command: list[str]) -> tuple[str, float, int]:
    """Run ``command`` (it prints a little); return its output, wall time and peak RSS (kB).

    The peak resident size is the kernel's own count, from ``wait4`` (the largest
    of the process and its waited-for children): no sampling of /proc while it
    runs, which costs about 9 ms of kernel time per sample and contends for the
    child's memory map lock, slowing a memory-heavy child by up to a fifth.
    """
    start = time.perf_counter()
    with tempfile.TemporaryFile(mode="w+") as out:
        process = subprocess.Popen(command, stdout=out, text=True)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        output = out.read()
    if process.returncode:
        raise SystemExit(f"{' '.join(command[:3])} failed")
    return output, wall, int(usage.ru_maxrss)


def measure(command: list[str]) -> dict[str, float]:
    """Run ``command``; wall time, the largest process's peak RSS, the tree's peak PSS."""
    start = time.perf_counter()
    # stderr goes to a file: ffmpeg's ebur128 logs every frame, and a pipe nobody
    # reads fills up and stalls the process.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
        peak_process = peak_tree = 0
        while process.poll() is None:
            # Sampling reads /proc; ten times a second keeps its own cost negligible.
            largest, tree = tree_memory_kb(process.pid)
            peak_process, peak_tree = max(peak_process, largest), max(peak_tree, tree)
            time.sleep(0.1)
        wall = time.perf_counter() - start
        if process.returncode != 0:
            log.seek(0)
            raise SystemExit(f"{command[0]} failed: {log.read().decode(errors='replace')[-2000:]}")
    return {
        "wall_s": round(wall, 2),
        "peak_rss_largest_process_mb": round(peak_process / 1024, 1),
        "peak_pss_all_processes_mb": round(peak_tree / 1024, 1),
    }


def bench(paths: list[Path], rate: int) -> dict[str, object]:
    """Measure runout and ffmpeg on ``paths``."""
    minutes = sum(sf.info(str(p)).duration for p in paths) / 60
    runout = measure(
        [sys.executable, "-m", "tui.cli", "analyze", "--json", "--no-cache", *map(str, paths)]
    )
    result: dict[str, object] = {
        "sample_rate": rate,
        "files": len(paths),
        "audio_minutes": round(minutes, 2),
        "runout": {**runout, "x_real_time": round(minutes * 60 / runout["wall_s"], 1)},
        "workers": os.cpu_count(),
    }
    if shutil.which("ffmpeg"):
        wall = 0.0
        peak = 0.0
        for path in paths:
            figures = measure(
                [
                    "ffmpeg",
                    "-nostdin",
                    "-hide_banner",
                    "-nostats",
                    "-i",
                    str(path),
                    "-af",
                    "ebur128=peak=true",
                    "-f",
                    "null",
                    "-",
                ]
            )
            wall += figures["wall_s"]
            peak = max(peak, figures["peak_rss_largest_process_mb"])
        result["ffmpeg_ebur128_sequential"] = {
            "wall_s": round(wall, 2),
            "x_real_time": round(minutes * 60 / wall, 1),
            "peak_rss_largest_process_mb": peak,
        }
        result["ratio_runout_to_ffmpeg"] = round(runout["wall_s"] / wall, 3)
    return result


def main() -> None:
    """Make the albums (once) and print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=Path("/tmp/runout-bench"))
    parser.add_argument("--rates", type=int, nargs="+", default=[44100, 96000])
    arguments = parser.parse_args()
    base = album_44k(arguments.dir)
    results = []
    for rate in arguments.rates:
        paths = base if rate == 44100 else album_resampled(base, arguments.dir / str(rate), rate)
        results.append(bench(paths, rate))
        print(json.dumps(results[-1]), flush=True)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
