"""PCM WAV files as bytes: written by the side render, read by every render.

libsndfile converts every 24-bit sample it writes (from the top of an int32 to
three bytes) at about the cost of the rest of the encoding; the side files are
long and plain (WAV, no tags), so the render's quantiser packs the bytes itself
and this writer only appends them. The header is the canonical 44 bytes
libsndfile writes too (a 16-byte PCM ``fmt`` chunk), so the files are the same
byte for byte. Reading is the same story the other way: :class:`PcmWavReader`
gives libsndfile's float64 samples of 16 and 24-bit WAV sources, several times
faster, and declines anything else.
"""

from __future__ import annotations

import hashlib
import os
import struct
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

#: Bytes before the samples: RIFF header, ``fmt`` chunk, ``data`` chunk header.
HEADER_BYTES = 44
#: The largest ``data`` chunk a RIFF size field can describe.
MAX_DATA_BYTES = 0xFFFFFFFF - (HEADER_BYTES - 8)


def can_write(bit_depth: int, tags: Mapping[str, str]) -> bool:
    """Return True when this writer can make the file (16 or 24-bit, no tags, little-endian)."""
    return bit_depth in (16, 24) and not any(tags.values()) and sys.byteorder == "little"


def header(sample_rate: int, channels: int, bit_depth: int, data_bytes: int) -> bytes:
    """Return the 44-byte header of a PCM WAV file with ``data_bytes`` of samples."""
    frame_bytes = channels * bit_depth // 8
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        HEADER_BYTES - 8 + data_bytes,
        b"WAVE",
        b"fmt ",
        16,
        1,  # WAVE_FORMAT_PCM
        channels,
        sample_rate,
        sample_rate * frame_bytes,
        frame_bytes,
        bit_depth,
        b"data",
        data_bytes,
    )


def pack_24(top: NDArray[np.int32]) -> NDArray[np.uint8]:
    """Return 24-bit samples held in the top of int32 as three little-endian bytes each."""
    return np.ascontiguousarray(top.view(np.uint8).reshape(*top.shape, 4)[..., 1:])


class PcmWavWriter:
    """Appends samples to a new PCM WAV file, hashing the file as it is written.

    When the length is known up front (``frames``), the header written first is
    already the final one, so the SHA-256 of the file is taken from the bytes as
    they go out, and nobody has to read the file back to hash it.

    Parameters
    ----------
    path
        The file to create (replaced when it exists).
    sample_rate, channels, bit_depth
        The format (16 or 24-bit).
    frames
        The length the file will have, when known.
    """

    def __init__(
        self, path: Path, sample_rate: int, channels: int, bit_depth: int, frames: int = 0
    ) -> None:
        self._format = (sample_rate, channels, bit_depth)
        self._frame_bytes = channels * bit_depth // 8
        self._announced = frames * self._frame_bytes
        if self._announced > MAX_DATA_BYTES:
            raise OSError("File too large (a WAV file holds at most 4 GiB of samples)")
        self._stream = open(path, "wb")  # noqa: SIM115 - closed by close()
        self._hash = hashlib.sha256()
        self._write_bytes(header(sample_rate, channels, bit_depth, self._announced))
        self._data_bytes = 0

    def _write_bytes(self, data: memoryview | bytes) -> None:
        self._stream.write(data)
        self._hash.update(data)

    def write(self, samples: NDArray[Any]) -> None:
        """Append samples.

        int16 (frames, channels), packed uint8 (frames, channels, 3), or int32
        with the 24-bit sample in its top (frames, channels).
        """
        if samples.dtype == np.int32:
            samples = pack_24(samples)
        data = np.ascontiguousarray(samples)
        if data.nbytes != samples.shape[0] * self._frame_bytes:
            raise ValueError(f"expected {self._frame_bytes} bytes a frame, got {samples.shape}")
        if self._data_bytes + data.nbytes > MAX_DATA_BYTES:
            raise OSError("File too large (a WAV file holds at most 4 GiB of samples)")
        self._write_bytes(data.data.cast("B"))
        self._data_bytes += data.nbytes

    def close(self, sync: bool = False) -> str:
        """Finish the header, close the file (``sync``: on disk first); return its SHA-256.

        The hash comes from the bytes written when the length was the one announced,
        else from reading the file back. Closing again does nothing (and returns "").
        """
        if self._stream.closed:
            return ""
        try:
            if self._data_bytes != self._announced:
                self._stream.seek(0)
                self._stream.write(header(*self._format, self._data_bytes))
                self._stream.seek(0)
                self._hash = hashlib.sha256()
                self._stream.flush()
                with open(self._stream.name, "rb") as back:
                    for chunk in iter(lambda: back.read(1 << 20), b""):
                        self._hash.update(chunk)
            if sync:
                self._stream.flush()
                os.fsync(self._stream.fileno())
        finally:
            self._stream.close()
        return self._hash.hexdigest()


class PcmWavReader:
    """Reads the samples of a PCM WAV file as float64, like libsndfile, without its conversion.

    libsndfile converts 24-bit samples one by one; here the bytes are read in
    one call and converted by numpy in two passes, to the same values (a sample
    over 2^23, or over 2^15 at 16 bits). Use :meth:`open`, which declines what it
    does not know (returns None) so that libsndfile reads it instead.
    """

    def __init__(
        self, path: Path, data_offset: int, frames: int, channels: int, bit_depth: int
    ) -> None:
        self._stream = open(path, "rb")  # noqa: SIM115 - closed by close()
        self._data_offset = data_offset
        self.frames = frames
        self.channels = channels
        self._width = bit_depth // 8
        self._position = 0

    @classmethod
    def open(cls, path: Path, frames: int, channels: int, subtype: str) -> PcmWavReader | None:
        """Return a reader for a little-endian PCM WAV file of 16 or 24 bits, else None.

        ``frames``, ``channels`` and ``subtype`` are what libsndfile says of the
        file; the header must agree, or the file is left to libsndfile.
        """
        if subtype not in ("PCM_16", "PCM_24") or sys.byteorder != "little":
            return None
        bit_depth = 16 if subtype == "PCM_16" else 24
        try:
            layout = _data_chunk(path)
        except OSError:
            return None
        if layout is None:
            return None
        offset, size, (tag, count, bits, align) = layout
        if (tag, count, bits, align) != (1, channels, bit_depth, channels * bit_depth // 8):
            return None
        if size // align != frames:
            return None
        return cls(path, offset, frames, channels, bit_depth)

    def seek(self, frame: int) -> None:
        """Go to ``frame``."""
        self._position = frame

    def tell(self) -> int:
        """Return the frame the next read starts at."""
        return self._position

    def read(self, count: int) -> NDArray[np.float64]:
        """Return up to ``count`` frames from the position, shape (frames, channels)."""
        count = max(0, min(count, self.frames - self._position))
        self._stream.seek(self._data_offset + self._position * self.channels * self._width)
        size = count * self.channels * self._width
        buffer = bytearray(size + 1)  # one spare byte: the last 24-bit sample is read as 4
        got = self._stream.readinto(memoryview(buffer)[:size])
        frames = got // (self.channels * self._width)
        self._position += frames
        samples = frames * self.channels
        if self._width == 2:
            pcm = np.frombuffer(buffer, dtype="<i2", count=samples)
            scaled: NDArray[np.float64] = pcm * (1.0 / 32768.0)
            return scaled.reshape(frames, self.channels)
        # Each sample's three bytes and the next byte as one int32; shifting the junk
        # byte out leaves the sample in the top bits, as libsndfile holds it.
        top = np.ndarray((samples,), dtype=np.int32, buffer=buffer, strides=(3,)) << 8
        normalised: NDArray[np.float64] = np.multiply(top, 1.0 / 2147483648.0)
        return normalised.reshape(frames, self.channels)

    def close(self) -> None:
        """Close the file."""
        self._stream.close()


def _data_chunk(path: Path) -> tuple[int, int, tuple[int, int, int, int]] | None:
    """Return where a RIFF WAVE file's samples are, and their format.

    The data chunk's offset and size, and (format tag, channels, bits, block
    align); None when the file is not one this reader knows.
    """
    with open(path, "rb") as stream:
        riff = stream.read(12)
        if len(riff) < 12 or riff[:4] != b"RIFF" or riff[8:12] != b"WAVE":
            return None
        fmt: tuple[int, int, int, int] | None = None
        while True:
            head = stream.read(8)
            if len(head) < 8:
                return None
            name, size = head[:4], struct.unpack("<I", head[4:])[0]
            start = stream.tell()
            if name == b"fmt ":
                body = stream.read(size)
                if len(body) < 16:
                    return None
                tag, channels, _, _, align, bits = struct.unpack("<HHIIHH", body[:16])
                if tag == 0xFFFE and len(body) >= 40 and body[24:26] == b"\x01\x00":
                    tag = 1  # WAVE_FORMAT_EXTENSIBLE holding plain PCM
                fmt = (tag, channels, bits, align)
            elif name == b"data":
                return None if fmt is None else (start, size, fmt)
            stream.seek(start + size + (size & 1))
