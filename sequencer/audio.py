"""Opening source audio and reading it in blocks.

Everything libsndfile reads is accepted (WAV, AIFF, FLAC, Ogg Vorbis/Opus, and
MP3 where the installed libsndfile supports it). Blocks are float64 arrays of
shape (frames, 2): mono becomes two identical channels, more than two channels
is refused. Source files are only ever opened for reading.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile
from numpy.typing import NDArray

from sequencer.errors import AudioError

logger = logging.getLogger(__name__)

#: Frames per block when reading: 1.5 s at 44.1 kHz, 1 MB as float64 stereo. Blocks
#: that fit the processor's cache measured faster than larger ones.
DEFAULT_BLOCK_FRAMES = 65536


@dataclass(frozen=True)
class AudioInfo:
    """What a source file is, read from its header."""

    path: Path
    """The file."""
    sample_rate: int
    """Samples per second per channel."""
    frames: int
    """Length in samples per channel."""
    channels: int
    """Channels in the file (1 or 2; blocks are always stereo)."""
    format: str
    """Container as libsndfile names it, e.g. ``WAV``, ``FLAC``, ``OGG``."""
    subtype: str
    """Sample encoding, e.g. ``PCM_24``, ``FLOAT``, ``VORBIS``, ``OPUS``."""

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return self.frames / self.sample_rate


def _open_error(path: Path, error: Exception) -> AudioError:
    """Turn an exception from opening ``path`` into a message a user can act on."""
    if not path.exists():
        return AudioError(f"{path}: no such file; check the path or relink the track")
    if path.is_dir():
        return AudioError(f"{path}: is a folder, not an audio file")
    try:
        with open(path, "rb"):  # as this process's user (os.access checks the real user)
            pass
    except PermissionError:
        return AudioError(f"{path}: permission denied; make the file readable")
    except OSError as os_error:
        return AudioError(f"{path}: cannot be opened ({os_error.strerror or os_error})")
    if path.stat().st_size == 0:
        return AudioError(f"{path}: the file is empty (0 bytes)")
    detail = str(error).split(":")[-1].strip() or type(error).__name__
    return AudioError(
        f"{path}: not an audio file runout can read ({detail}); export it as WAV, AIFF or FLAC"
    )


def open_audio(path: Path) -> soundfile.SoundFile:
    """Open ``path`` for reading, with errors that name the file.

    Parameters
    ----------
    path
        The source audio file.

    Returns
    -------
    soundfile.SoundFile
        The open file; the caller closes it.

    Raises
    ------
    AudioError
        When the file is missing, unreadable, not audio, empty or has more than
        two channels.
    """
    path = Path(path)
    try:
        handle = soundfile.SoundFile(str(path), "r")
    except (soundfile.LibsndfileError, RuntimeError, OSError, TypeError) as error:
        raise _open_error(path, error) from error
    try:
        _check_usable(path, handle)
    except AudioError:
        handle.close()
        raise
    return handle


def _check_usable(path: Path, handle: soundfile.SoundFile) -> None:
    """Refuse files runout cannot process, with a reason."""
    if handle.channels > 2:
        raise AudioError(
            f"{path}: has {handle.channels} channels; runout handles mono and stereo only, "
            "export a stereo mix"
        )
    if handle.frames <= 0:
        raise AudioError(f"{path}: holds no audio (0 samples)")
    if handle.samplerate <= 0:
        raise AudioError(f"{path}: has an invalid sample rate ({handle.samplerate} Hz)")
    missing = _missing_data_bytes(handle)
    if missing:
        raise AudioError(
            f"{path}: the file is truncated: its header announces {missing} bytes of audio "
            f"more than the file holds; export or copy it again"
        )


#: libsndfile's header log for a data chunk longer than the file: ``data : 882000 (should
#: be 293970)`` for WAV/RF64/W64, ``SSND : ...`` for AIFF.
_SHORT_CHUNK = re.compile(r"^\s*(?:data|SSND)\s*:\s*(\d+)\s*\(should be (\d+)\)", re.MULTILINE)


def _missing_data_bytes(handle: soundfile.SoundFile) -> int:
    """Return how many audio bytes the header announces beyond the end of the file (0 if none).

    A one-byte difference is the optional pad byte of an odd-sized chunk, not data.
    """
    try:
        log_text = str(handle.extra_info)
    except (soundfile.LibsndfileError, RuntimeError):
        return 0
    for match in _SHORT_CHUNK.finditer(log_text):
        announced, present = int(match.group(1)), int(match.group(2))
        # 0 and 0xFFFFFFFF (and -1) mean "length unknown" (streamed writers), not truncation.
        if announced in (0, 0xFFFFFFFF) or announced - present <= 1:
            continue
        return announced - present
    return 0


def check_finite(
    block: NDArray[np.float64], path: Path, first_frame: int, sample_rate: int
) -> None:
    """Refuse a block holding NaN or infinite samples (float files only can hold them).

    Parameters
    ----------
    block
        Samples, shape (frames, channels).
    path
        The source file, for the message.
    first_frame
        Frame index of the block's first sample in the file.
    sample_rate
        Sample rate in Hz, to say where the bad sample is.

    Raises
    ------
    AudioError
        Naming the file, the kind of value, the time and the channel.
    """
    finite = np.isfinite(block)
    if finite.all():
        return
    frame, channel = np.argwhere(~finite)[0]
    value = block[frame, channel]
    kind = "NaN (not a number)" if np.isnan(value) else "infinite"
    seconds = (first_frame + int(frame)) / sample_rate
    raise AudioError(
        f"{path}: holds {kind} sample values, the first at {seconds:.3f} s in channel "
        f"{int(channel) + 1}; the file is damaged or was exported wrongly: export it again"
    )


def _can_hold_non_finite(subtype: str) -> bool:
    """Return whether decoded samples of *subtype* may be NaN or infinite (not integer PCM)."""
    return not (subtype.startswith("PCM_") or subtype in ("ULAW", "ALAW"))


def probe(path: Path) -> AudioInfo:
    """Read the header of ``path``.

    Parameters
    ----------
    path
        The source audio file.

    Returns
    -------
    AudioInfo
        Sample rate, length, channels and format.

    Raises
    ------
    AudioError
        As :func:`open_audio`.
    """
    with open_audio(path) as handle:
        return AudioInfo(
            path=Path(path),
            sample_rate=int(handle.samplerate),
            frames=int(handle.frames),
            channels=int(handle.channels),
            format=str(handle.format),
            subtype=str(handle.subtype),
        )


def as_stereo(block: NDArray[np.float64]) -> NDArray[np.float64]:
    """Return ``block`` as (frames, 2): mono (frames,) or (frames, 1) is duplicated."""
    if block.ndim == 1:
        block = block[:, None]
    if block.shape[1] == 1:
        return np.repeat(block, 2, axis=1)
    if block.shape[1] != 2:
        raise AudioError(
            f"audio with {block.shape[1]} channels: runout handles mono and stereo only"
        )
    return block


def read_blocks(
    path: Path,
    block_frames: int = DEFAULT_BLOCK_FRAMES,
    start: int = 0,
    stop: int | None = None,
) -> Iterator[NDArray[np.float64]]:
    """Yield the audio of ``path`` as stereo float64 blocks of ``block_frames``.

    Parameters
    ----------
    path
        The source audio file.
    block_frames
        Frames per block (the last block may be shorter).
    start, stop
        The frame range to read; ``stop=None`` reads to the end.

    Yields
    ------
    numpy.ndarray
        Shape (frames, 2), full scale 1.0.

    Raises
    ------
    AudioError
        When the file cannot be opened, or its data ends early, is corrupt or
        holds NaN or infinite samples.
    """
    path = Path(path)
    with open_audio(path) as handle:
        expected = (handle.frames if stop is None else min(stop, handle.frames)) - start
        delivered = 0
        check = _can_hold_non_finite(str(handle.subtype))
        try:
            if start:
                handle.seek(start)
            for block in handle.blocks(
                blocksize=block_frames, dtype="float64", always_2d=True, frames=max(expected, 0)
            ):
                if check:
                    check_finite(block, path, start + delivered, int(handle.samplerate))
                delivered += block.shape[0]
                yield as_stereo(block)
        except (soundfile.LibsndfileError, RuntimeError) as error:
            raise AudioError(
                f"{path}: reading failed after {delivered} samples ({error})"
            ) from error
        if delivered < expected:
            raise AudioError(
                f"{path}: the file ends early ({delivered} of {expected} samples could be read); "
                "it may be truncated"
            )
