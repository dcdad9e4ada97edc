"""ffmpeg's ebur128 filter as an independent reference meter (when ffmpeg is installed)."""

from __future__ import annotations

import math
import shutil
import subprocess
import tempfile
from pathlib import Path


def ffmpeg_available() -> bool:
    """Return True when an ``ffmpeg`` binary is on the PATH."""
    return shutil.which("ffmpeg") is not None


def ffmpeg_ebur128(path: Path) -> dict[str, float | None]:
    """Measure ``path`` with ``ffmpeg -af ebur128=peak=true``.

    Returns integrated loudness (LUFS), LRA (LU) and true peak (dBTP) from the
    filter's last metadata frame, which carries three decimals (the printed
    summary has one).
    """
    with tempfile.TemporaryDirectory() as folder:
        metadata = Path(folder) / "r128.txt"
        subprocess.run(
            [
                "ffmpeg",
                "-hide_banner",
                "-nostats",
                "-i",
                str(path),
                "-af",
                f"ebur128=peak=true:metadata=1,ametadata=mode=print:file={metadata}",
                "-f",
                "null",
                "-",
            ],
            check=True,
            capture_output=True,
        )
        last: dict[str, str] = {}
        for line in metadata.read_text().splitlines():
            if line.startswith("lavfi.r128."):
                key, _, value = line[len("lavfi.r128.") :].partition("=")
                last[key] = value
    peak = float(last["true_peak"])
    integrated = float(last["I"])
    return {
        "integrated_lufs": integrated if integrated > -70 else None,
        "loudness_range_lu": float(last["LRA"]),
        "true_peak_dbtp": 20 * math.log10(peak) if peak > 0 else None,
    }
