"""PCM WAV files written as bytes: the header, then the samples as they come.

libsndfile converts every 24-bit sample it writes (from the top of an int32 to
three bytes) at about the cost of the rest of the encoding; the side files are
long and plain (WAV, no tags), so the render's quantiser packs the bytes itself
and this writer only appends them. The header is the canonical 44 bytes
libsndfile writes too (a 16-byte PCM ``fmt`` chunk), so the files are the same
byte for byte.
"""

from __future__ import annotations

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
    """Appends samples to a new PCM WAV file; :meth:`close` writes the final header.

    Parameters
    ----------
    path
        The file to create (replaced when it exists).
    sample_rate, channels, bit_depth
        The format (16 or 24-bit).
    """

    def __init__(self, path: Path, sample_rate: int, channels: int, bit_depth: int) -> None:
        self._format = (sample_rate, channels, bit_depth)
        self._frame_bytes = channels * bit_depth // 8
        self._stream = open(path, "wb")  # noqa: SIM115 - closed by close()
        self._stream.write(header(sample_rate, channels, bit_depth, 0))
        self._data_bytes = 0

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
        self._stream.write(data.data.cast("B"))
        self._data_bytes += data.nbytes

    def close(self) -> None:
        """Write the header with the final sizes and close the file (again: nothing)."""
        if self._stream.closed:
            return
        try:
            self._stream.seek(0)
            self._stream.write(header(*self._format, self._data_bytes))
        finally:
            self._stream.close()
