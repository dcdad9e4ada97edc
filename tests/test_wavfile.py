"""runout's own PCM WAV writer makes the file libsndfile makes, byte for byte."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from sequencer import wavfile


@pytest.mark.parametrize("bits", [16, 24])
def test_the_file_equals_libsndfiles_and_reads_back(bits: int, tmp_path: Path) -> None:
    """Header and samples as libsndfile writes them; the samples read back unchanged."""
    rng = np.random.default_rng(bits)
    if bits == 16:
        samples = rng.integers(-(2**15), 2**15, (10001, 2)).astype(np.int16)
        blocks = [samples[:1], samples[1:5000], samples[5000:]]
    else:
        samples = rng.integers(-(2**23), 2**23, (10001, 2)).astype(np.int32) << 8
        # Packed bytes (what the render's quantiser gives) and int32 both append.
        blocks = [wavfile.pack_24(samples[:1]), samples[1:5000], wavfile.pack_24(samples[5000:])]
    ours = tmp_path / "ours.wav"
    writer = wavfile.PcmWavWriter(ours, 96000, 2, bits)
    for block in blocks:
        writer.write(block)
    writer.close()
    theirs = tmp_path / "theirs.wav"
    soundfile.write(theirs, samples, 96000, subtype=f"PCM_{bits}")
    assert ours.read_bytes() == theirs.read_bytes()
    back, rate = soundfile.read(ours, dtype="int16" if bits == 16 else "int32")
    assert rate == 96000
    assert np.array_equal(back, samples)


def test_an_empty_file_is_a_valid_wav(tmp_path: Path) -> None:
    """No samples: a 44-byte file that libsndfile opens as zero frames."""
    path = tmp_path / "empty.wav"
    writer = wavfile.PcmWavWriter(path, 44100, 2, 24)
    writer.close()
    assert path.stat().st_size == wavfile.HEADER_BYTES
    assert soundfile.info(str(path)).frames == 0


def test_tags_and_other_depths_go_through_libsndfile() -> None:
    """Only plain 16 and 24-bit files without tags are written here."""
    assert wavfile.can_write(24, {})
    assert wavfile.can_write(16, {"title": ""})
    assert not wavfile.can_write(24, {"title": "Side A"})
    assert not wavfile.can_write(32, {})


def test_a_wrong_frame_size_is_refused(tmp_path: Path) -> None:
    """Samples of another layout would corrupt the file: refused before writing."""
    writer = wavfile.PcmWavWriter(tmp_path / "x.wav", 44100, 2, 24)
    with pytest.raises(ValueError, match="bytes a frame"):
        writer.write(np.zeros((10, 2), dtype=np.int16))
    writer.close()
