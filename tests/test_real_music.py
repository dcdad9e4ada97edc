"""Real recorded music against ffmpeg's ebur128 (Debian's warzone2100-music, CC BY-SA 3.0)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sequencer.analysis import analyse_file
from tests.reference import ffmpeg_available, ffmpeg_ebur128

ALBUM = Path("/usr/share/games/warzone2100/music/albums/legacy_soundtrack")
# The two shortest tracks of the album keep the test quick.
TRACKS = ("track6.opus", "track14.opus")

pytestmark = [
    pytest.mark.skipif(
        not ffmpeg_available(), reason="ffmpeg is not installed (apt-get install ffmpeg)"
    ),
    pytest.mark.skipif(
        not ALBUM.is_dir(), reason="real music not installed (apt-get install warzone2100-music)"
    ),
]


@pytest.mark.parametrize("name", TRACKS)
def test_analysis_agrees_with_ffmpeg_on_real_music(name: str) -> None:
    ours = analyse_file(ALBUM / name)
    reference = ffmpeg_ebur128(ALBUM / name)
    assert ours.integrated_lufs == pytest.approx(reference["integrated_lufs"], abs=0.1)
    assert ours.loudness_range_lu == pytest.approx(reference["loudness_range_lu"], abs=0.3)
    assert ours.true_peak_dbtp == pytest.approx(reference["true_peak_dbtp"], abs=0.3)
