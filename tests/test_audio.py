"""Reading sources: formats, mono, and clear errors that name the file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from sequencer.analysis import analyse_array, analyse_file
from sequencer.audio import probe, read_blocks
from sequencer.errors import AudioError

RATE = 44100


def write(path: Path, data: np.ndarray, rate: int = RATE, **kwargs: object) -> Path:
    sf.write(str(path), data, rate, **kwargs)
    return path


def signal(seconds: float = 2.0, channels: int = 2) -> np.ndarray:
    rng = np.random.default_rng(5)
    return (rng.standard_normal((round(seconds * RATE), channels)) * 0.1).clip(-1, 1)


@pytest.mark.parametrize(
    ("name", "subtype"),
    [
        ("a.wav", "PCM_16"),
        ("a.wav", "PCM_24"),
        ("a.wav", "FLOAT"),
        ("a.aiff", "PCM_24"),
        ("a.flac", "PCM_24"),
    ],
)
def test_lossless_formats_read_back_and_analyse_like_the_array(
    tmp_path: Path, name: str, subtype: str
) -> None:
    data = signal()
    path = write(tmp_path / name, data, subtype=subtype)
    stored = sf.read(str(path), dtype="float64")[0]
    blocks = np.concatenate(list(read_blocks(path, block_frames=1000)))
    np.testing.assert_array_equal(blocks, stored)
    from_file = analyse_file(path, block_frames=3000)
    from_array = analyse_array(stored, RATE)
    assert from_file.integrated_lufs == from_array.integrated_lufs
    assert from_file.true_peak_dbtp == from_array.true_peak_dbtp
    assert from_file.duration_samples == len(data)
    assert from_file.subtype == subtype


def test_ogg_vorbis_is_read(tmp_path: Path) -> None:
    path = write(tmp_path / "a.ogg", signal(), format="OGG", subtype="VORBIS")
    analysis = analyse_file(path)
    assert analysis.format == "OGG"
    assert analysis.integrated_lufs is not None


def test_mono_becomes_two_identical_channels(tmp_path: Path) -> None:
    path = write(tmp_path / "mono.wav", signal(channels=1), subtype="PCM_24")
    block = next(read_blocks(path))
    assert block.shape[1] == 2
    np.testing.assert_array_equal(block[:, 0], block[:, 1])
    assert probe(path).channels == 1


def test_range_reading(tmp_path: Path) -> None:
    data = signal()
    path = write(tmp_path / "a.wav", data, subtype="FLOAT")
    part = np.concatenate(list(read_blocks(path, block_frames=777, start=1000, stop=5000)))
    np.testing.assert_allclose(part, data[1000:5000].astype(np.float32), atol=0)


def test_errors_name_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.wav"
    with pytest.raises(AudioError, match=r"missing\.wav: no such file"):
        probe(missing)
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(AudioError, match=r"empty\.wav: the file is empty"):
        probe(empty)
    text = tmp_path / "notes.wav"
    text.write_text("these are my mixing notes, not audio\n" * 20)
    with pytest.raises(AudioError, match=r"notes\.wav: not an audio file runout can read"):
        probe(text)
    surround = write(tmp_path / "surround.wav", signal(channels=6), subtype="PCM_16")
    with pytest.raises(AudioError, match=r"surround\.wav: has 6 channels"):
        analyse_file(surround)
    with pytest.raises(AudioError, match="is a folder"):
        probe(tmp_path)


def test_truncated_file_is_an_error_not_a_short_track(tmp_path: Path) -> None:
    path = write(tmp_path / "cut.wav", signal(), subtype="PCM_24")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # the header still claims the full length
    # libsndfile corrects a truncated WAV's length from the file size and notes the
    # header's length in its log: runout refuses the file, naming it, rather than
    # reading it as a shorter track.
    with pytest.raises(AudioError, match=r"cut\.wav: the file is truncated"):
        probe(path)
    with pytest.raises(AudioError, match=r"cut\.wav"):
        sum(len(b) for b in read_blocks(path))
