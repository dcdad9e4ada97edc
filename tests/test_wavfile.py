"""runout's own PCM WAV writer makes the file libsndfile makes, byte for byte."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import soundfile

from sequencer import wavfile


@pytest.mark.parametrize("bits", [16, 24])
def test_the_file_equals_libsndfiles_and_reads_back(bits: int, tmp_path: Path) -> None:
    """Header and samples as libsndfile writes them; the samples read back unchanged."""
    rng = np.random.default_rng(bits)
    samples: np.ndarray
    blocks: list[np.ndarray]
    if bits == 16:
        samples = rng.integers(-(2**15), 2**15, (10001, 2)).astype(np.int16)
        blocks = [samples[:1], samples[1:5000], samples[5000:]]
    else:
        samples = rng.integers(-(2**23), 2**23, (10001, 2)).astype(np.int32) << 8
        # Packed bytes (what the render's quantiser gives) and int32 both append.
        blocks = [wavfile.pack_24(samples[:1]), samples[1:5000], wavfile.pack_24(samples[5000:])]
    theirs = tmp_path / "theirs.wav"
    soundfile.write(theirs, samples, 96000, subtype=f"PCM_{bits}")
    # The length announced (the header is final from the start, hashed as written) or not.
    for announced in (len(samples), 0):
        ours = tmp_path / f"ours-{announced}.wav"
        writer = wavfile.PcmWavWriter(ours, 96000, 2, bits, frames=announced)
        for block in blocks:
            writer.write(block)
        digest = writer.close(sync=True)
        assert ours.read_bytes() == theirs.read_bytes()
        assert digest == hashlib.sha256(theirs.read_bytes()).hexdigest()
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


@pytest.mark.parametrize(
    ("container", "subtype", "channels"),
    [("WAV", "PCM_24", 2), ("WAV", "PCM_16", 2), ("WAV", "PCM_24", 1), ("WAVEX", "PCM_24", 2)],
)
def test_the_reader_gives_libsndfiles_samples(
    container: str, subtype: str, channels: int, tmp_path: Path
) -> None:
    """The same float64 values as libsndfile, from any position, to the end."""
    rng = np.random.default_rng(channels)
    path = tmp_path / "source.wav"
    audio = rng.uniform(-1.0, 1.0, (30001, channels))
    audio[:4, 0] = [1.0, -1.0, 0.0, -1.0 / 2**23]  # the rails and the smallest step
    soundfile.write(path, audio, 48000, subtype=subtype, format=container)
    handle = soundfile.SoundFile(path)
    reader = wavfile.PcmWavReader.open(path, handle.frames, handle.channels, handle.subtype)
    assert reader is not None
    for start, count in [(0, 7), (7, 20000), (29990, 100)]:
        handle.seek(start)
        reader.seek(start)
        expected = handle.read(count, dtype="float64", always_2d=True)
        got = reader.read(count)
        assert got.shape == expected.shape
        assert np.array_equal(got, expected)
    reader.close()
    handle.close()


@pytest.mark.parametrize(("container", "subtype"), [("WAV", "FLOAT"), ("FLAC", "PCM_24")])
def test_the_reader_leaves_other_files_to_libsndfile(
    container: str, subtype: str, tmp_path: Path
) -> None:
    """Float WAV and FLAC are not raw PCM: declined (libsndfile reads them)."""
    path = tmp_path / "source"
    soundfile.write(path, np.zeros((100, 2)), 48000, subtype=subtype, format=container)
    info = soundfile.info(str(path))
    assert wavfile.PcmWavReader.open(path, info.frames, info.channels, info.subtype) is None
