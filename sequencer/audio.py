"""Opening source audio and reading it in blocks.

Everything libsndfile reads is accepted (WAV, AIFF, FLAC, Ogg Vorbis/Opus, and
MP3 where the installed libsndfile supports it). Blocks are float64 arrays of
shape (frames, 2): mono becomes two identical channels, more than two channels
is refused. Source files are only ever opened for reading. 16 and 24-bit PCM
WAV is read as bytes (:class:`AudioReader`), everything else by libsndfile.
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
from sequencer.wavfile import PcmWavReader

logger = logging.getLogger(__name__)

#: Samples a lossy source may fall short of its header's length at its end (one
#: 20 ms Opus frame at 48 kHz) before the read counts as a truncated file.
LOSSY_END_SLACK = 960
#: libsndfile's lossy formats, whose decoders may fall short at the end.
_LOSSY = ("OPUS", "VORBIS", "MPEG_LAYER_III", "MPEG_LAYER_II")

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


class AudioReader:
    """An open source file, read frame by frame as float64 (frames, channels).

    16 and 24-bit PCM WAV is read as bytes and converted by numpy
    (:class:`sequencer.wavfile.PcmWavReader`: libsndfile's samples, several times
    faster); everything else is read by libsndfile. Opening checks the file as
    :func:`open_audio` does. A context manager; close it when done.

    Parameters
    ----------
    path
        The source audio file.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        handle = open_audio(self.path)
        self.frames = int(handle.frames)
        """Length in frames."""
        self.channels = int(handle.channels)
        """1 or 2."""
        self.sample_rate = int(handle.samplerate)
        """Sample rate, Hz."""
        self.subtype = str(handle.subtype)
        """libsndfile's sample format (``PCM_24``, ``FLOAT``, ``VORBIS``, ...)."""
        pcm = (
            PcmWavReader.open(self.path, self.frames, self.channels, self.subtype)
            if str(handle.format) == "WAV"
            else None
        )
        if pcm is not None:
            handle.close()
        self._pcm = pcm
        self._handle = None if pcm is not None else handle

    def seek(self, frame: int) -> None:
        """Go to ``frame``."""
        if self._pcm is not None:
            self._pcm.seek(frame)
        else:
            assert self._handle is not None
            self._handle.seek(frame)

    def tell(self) -> int:
        """Return the frame the next read starts at."""
        if self._pcm is not None:
            return self._pcm.tell()
        assert self._handle is not None
        return int(self._handle.tell())

    def read(self, count: int) -> NDArray[np.float64]:
        """Return up to ``count`` frames, shape (frames, channels); fewer at the end.

        libsndfile's Opus and Vorbis decoders can deliver a few samples less than
        the header's length at the very end, depending on the read sizes: up to
        :data:`LOSSY_END_SLACK` of them are made up with silence. Raises
        libsndfile's errors or OSError (callers name the file).
        """
        if self._pcm is not None:
            return self._pcm.read(count)
        assert self._handle is not None
        block: NDArray[np.float64] = self._handle.read(count, dtype="float64", always_2d=True)
        short = count - block.shape[0]
        if (
            0 < short <= LOSSY_END_SLACK
            and self.subtype in _LOSSY
            and int(self._handle.tell()) + short >= self.frames
        ):
            logger.debug("%s: %d samples short at the end; padded", self.path, short)
            block = np.concatenate([block, np.zeros((short, block.shape[1]))])
        return block

    def close(self) -> None:
        """Close the file."""
        if self._pcm is not None:
            self._pcm.close()
        if self._handle is not None:
            self._handle.close()

    def __enter__(self) -> AudioReader:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


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
    with AudioReader(path) as source:
        expected = (source.frames if stop is None else min(stop, source.frames)) - start
        delivered = 0
        check = _can_hold_non_finite(source.subtype)
        try:
            if start:
                source.seek(start)
            while delivered < expected:
                block = source.read(min(block_frames, expected - delivered))
                if block.shape[0] == 0:
                    break
                if check:
                    check_finite(block, path, start + delivered, source.sample_rate)
                delivered += block.shape[0]
                yield as_stereo(block)
        except (soundfile.LibsndfileError, RuntimeError, OSError) as error:
            raise AudioError(
                f"{path}: reading failed after {delivered} samples ({error})"
            ) from error
        if delivered < expected:
            raise AudioError(
                f"{path}: the file ends early ({delivered} of {expected} samples could be read); "
                "it may be truncated"
            )
