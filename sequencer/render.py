"""The streaming render engine: a timeline and its gains to audio files.

The output is produced block by block: for each block of the timeline, every
track that sounds in it is read from its source (resampled by a streaming
soxr resampler when its rate differs), shaped by its gain, fades and crossfade
curves, and summed. An optional true-peak limiter runs on the sum; then each
output encoding (16 or 24-bit with seeded TPDF dither, or 32-bit float) is
computed once and written to every file that covers that part of the timeline.
Memory does not depend on the album's length, and the output does not depend
on the block size. Files are written under a temporary name and moved into
place only when complete.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import queue
import threading
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import soundfile
from numpy.typing import NDArray

from sequencer import compiled, wavfile
from sequencer.allocator import keep_freed_blocks
from sequencer.audio import AudioReader, check_finite
from sequencer.errors import AudioError, Cancelled, RenderError
from sequencer.session import Curve, FileFormat
from sequencer.timeline import Placement, Timeline

#: The compiled quantiser (None when runout was built without a C compiler).
_dither = compiled.load("sequencer._dither")

#: Output frames per block.
DEFAULT_RENDER_BLOCK = 65536


def block_frames_for(sample_rate: int) -> int:
    """Frames per block of a render or mix stream at ``sample_rate`` (the default).

    Every block costs a fixed number of numpy calls and thread hand-overs (in
    each vinyl meter too), whatever its length; above 48 kHz a block of twice the
    frames keeps that cost per second of audio where it is at 44.1 kHz (measured
    on the vinyl benchmark at 96 kHz: 125-130x real time instead of 108x, peak
    memory 229 MB instead of 200 MB for four sides). The stream does not depend on it.
    """
    return DEFAULT_RENDER_BLOCK * 2 if sample_rate > 48000 else DEFAULT_RENDER_BLOCK


#: Source frames read per resampler feed.
_SOURCE_CHUNK = 65536

_FORMATS = {FileFormat.WAV: "WAV", FileFormat.FLAC: "FLAC", FileFormat.AIFF: "AIFF"}
_SUBTYPES = {16: "PCM_16", 24: "PCM_24", 32: "FLOAT"}


class CancelEvent(Protocol):
    """Anything with ``is_set()``."""

    def is_set(self) -> bool:
        """Return True once cancellation was asked for."""
        ...


class BusProcessor(Protocol):
    """A processor on the summed output with a fixed delay (the true-peak limiter)."""

    @property
    def latency(self) -> int:
        """Delay of the output in samples."""
        ...

    @property
    def position(self) -> int:
        """Frames output so far, including the first ``latency`` ones."""
        ...

    def last_reduction_db(self) -> NDArray[np.float64]:
        """Gain reduction of each frame of the last output, dB."""
        ...

    def process(self, planar: NDArray[np.float64]) -> NDArray[np.float64]:
        """Process a block (2, frames); the output is delayed by ``latency`` samples.

        The block may be a view with any strides (the planar view of the
        interleaved mix); the output may be one too.
        """
        ...

    def flush(self) -> NDArray[np.float64]:
        """Return the last ``latency`` samples."""
        ...


def curve_gain(curve: Curve, x: NDArray[np.float64], rising: bool) -> NDArray[np.float64]:
    """Gain of a fade or crossfade curve at positions ``x`` in (0, 1).

    Parameters
    ----------
    curve
        linear (gains add to 1), equal-power (sine/cosine: powers add to 1, for
        uncorrelated material), s-curve (raised cosine: gains add to 1, gentle ends).
    x
        Position within the fade, 0 at its start and 1 at its end.
    rising
        True for a fade-in, False for a fade-out (the mirror image).

    Returns
    -------
    numpy.ndarray
        The gains.
    """
    t = x if rising else 1.0 - x
    if curve == Curve.LINEAR:
        return t
    if curve == Curve.EQUAL_POWER:
        return np.sin(0.5 * np.pi * t)
    return 0.5 - 0.5 * np.cos(np.pi * t)


def envelope(placement: Placement, begin: int, end: int, gain_db: float) -> NDArray[np.float64]:
    """Return the gain of ``placement`` for its local samples ``begin..end`` (0 = its first sample).

    Sample ``k`` of a fade of ``n`` samples sits at ``x = (k + 0.5) / n``, so a
    linear crossfade's two gains add to exactly 1 at every sample.
    """
    gains = np.full(end - begin, 10.0 ** (gain_db / 20.0))
    index = np.arange(begin, end, dtype=np.float64)
    length = placement.length
    for size, curve, rising in (
        (placement.fade_in, placement.fade_in_curve, True),
        (placement.crossfade_in, placement.crossfade_in_curve, True),
        (placement.fade_out, placement.fade_out_curve, False),
        (placement.crossfade_out, placement.crossfade_out_curve, False),
    ):
        if size == 0:
            continue
        first = 0 if rising else length - size
        lo, hi = max(begin, first), min(end, first + size)
        if lo >= hi:
            continue
        x = (index[lo - begin : hi - begin] - first + 0.5) / size
        gains[lo - begin : hi - begin] *= curve_gain(curve, x, rising)
    return gains


class _Prefetch:
    """Runs a producer in a thread and hands its items over through a bounded queue.

    libsndfile reads and soxr resampling release the GIL, so a track's source is
    read and resampled on the other core while the render mixes and writes. The
    queue's depth bounds the memory whatever the track's length.
    """

    _END = object()

    def __init__(self, produce: Callable[[], Iterator[Any]], depth: int = 3) -> None:
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(produce,), daemon=True)
        self._thread.start()

    def _run(self, produce: Callable[[], Iterator[Any]]) -> None:
        try:
            for item in produce():
                if not self._put(item):
                    return
            self._put(self._END)
        except BaseException as error:  # handed to the consumer and raised there
            self._put(error)

    def _put(self, item: Any) -> bool:
        """Put an item unless the consumer has gone away."""
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def get(self) -> Any:
        """Return the next item, ``None`` at the end; re-raise the producer's error."""
        item = self._queue.get()
        if item is self._END:
            self._queue.put(self._END)  # later calls see the end too
            return None
        if isinstance(item, BaseException):
            raise item
        return item

    def close(self) -> None:
        """Stop the producer and wait for it."""
        self._stop.set()
        self._thread.join()


class _TrackReader:
    """Reads one placement's audio at the output rate, in order, exactly ``length`` frames."""

    def __init__(self, placement: Placement, output_rate: int) -> None:
        self.placement = placement
        self._output_rate = output_rate
        self._source = AudioReader(placement.path)
        subtype = self._source.subtype
        self._frames = self._source.frames
        self._check_finite = not (subtype.startswith("PCM_") or subtype in ("ULAW", "ALAW"))
        self._delivered = 0
        self._pending = np.zeros((0, 2))
        self._chunks = _Prefetch(self._produce)

    def _produce(self) -> Iterator[NDArray[np.float64]]:
        """Yield the placement's audio at the output rate in chunks (runs in a thread)."""
        placement = self.placement
        self._source.seek(placement.source_start)
        remaining = placement.source_stop - placement.source_start
        resampler: Any = None
        if placement.source_rate != self._output_rate:
            import soxr

            resampler = soxr.ResampleStream(
                placement.source_rate, self._output_rate, 2, dtype="float64", quality="VHQ"
            )
        while remaining > 0:
            count = min(_SOURCE_CHUNK, remaining)
            chunk = self._read_source(count)
            remaining -= count
            if resampler is not None:
                chunk = resampler.resample_chunk(chunk, last=remaining == 0)
            yield chunk

    def read_pieces(self, frames: int) -> list[NDArray[np.float64]]:
        """Return the next ``frames`` frames as consecutive pieces (no copying to join them)."""
        frames = min(frames, self.placement.length - self._delivered)
        pieces: list[NDArray[np.float64]] = []
        have = 0
        while have < frames:
            if self._pending.shape[0] == 0:
                chunk = self._chunks.get()
                if chunk is None:  # the resampler gave a sample less than the rounded length
                    pieces.append(np.zeros((frames - have, 2)))
                    break
                self._pending = chunk
            take = min(frames - have, self._pending.shape[0])
            pieces.append(self._pending[:take])
            self._pending = self._pending[take:]
            have += take
        self._delivered += frames
        return pieces or [np.zeros((0, 2))]

    def _read_source(self, count: int) -> NDArray[np.float64]:
        """Read ``count`` source frames as stereo float64."""
        try:
            chunk = self._source.read(count)
        except (soundfile.LibsndfileError, RuntimeError, OSError) as error:
            raise AudioError(f"{self.placement.path}: reading failed ({error})") from error
        if chunk.shape[0] < count:
            raise AudioError(
                f"{self.placement.path}: the file ends early; it changed or is truncated "
                "(analyse it again)"
            )
        if self._check_finite:
            check_finite(
                chunk, self.placement.path, self._source.tell() - count, self.placement.source_rate
            )
        return np.repeat(chunk, 2, axis=1) if chunk.shape[1] == 1 else chunk

    def close(self) -> None:
        """Stop reading and close the source file."""
        self._chunks.close()
        self._source.close()


@dataclass(frozen=True)
class OutputFile:
    """One file the render writes: a range of the timeline in one encoding."""

    path: Path
    """Final path; the file appears there only when complete."""
    start: int
    """First timeline sample in the file."""
    stop: int
    """One past the last timeline sample in the file."""
    bit_depth: int = 24
    """16 or 24-bit integer PCM (dithered), or 32 for float."""
    file_format: FileFormat = FileFormat.WAV
    """Container."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Metadata: title, artist, album, tracknumber, date, comment, isrc (FLAC)."""


@dataclass(frozen=True)
class WrittenFile:
    """A file the render wrote."""

    path: Path
    """Where it is."""
    frames: int
    """Samples per channel."""
    sha256: str
    """SHA-256 of the whole file."""


@dataclass(frozen=True)
class RenderReport:
    """What a render did."""

    files: tuple[WrittenFile, ...]
    """Every file written, in the order asked."""
    limiter_reduction_db: Mapping[str, float]
    """Largest limiter gain reduction within each track's range, dB (empty without a limiter)."""
    peak_dbfs: float | None
    """Highest sample level of the mix before encoding."""


def dither_seed(*parts: str) -> int:
    """Make a 64-bit seed from text (the session's hash and the output's identity)."""
    digest = hashlib.sha256("\0".join(parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "little")


class _Encoder:
    """Turns the float mix into one bit depth, with TPDF dither from a seeded stream.

    Dither is drawn in timeline order, one 64-bit random word per frame (four
    16-bit uniforms: two per channel, whose difference is triangular over
    +/- 1 LSB), so the same seed gives the same samples whatever the block size.
    """

    def __init__(self, bit_depth: int, seed: int) -> None:
        self.bit_depth = bit_depth
        self._bits = np.random.PCG64(seed)

    def encode(self, mix: NDArray[np.float64], packed: bool = False) -> NDArray[Any]:
        """Encode a block (frames, 2) to samples soundfile writes as they are.

        With ``packed``, 24-bit samples come as three little-endian bytes each,
        shape (frames, 2, 3), as a WAV file stores them (:mod:`sequencer.wavfile`).
        """
        if self.bit_depth == 32:
            return mix.astype(np.float32)
        frames = mix.shape[0]
        raw = np.asarray(self._bits.random_raw(frames), dtype=np.uint64)
        packed = packed and self.bit_depth == 24
        if _dither is not None and mix.shape == (frames, 2):
            # The compiled quantiser: the same samples as the numpy code below, in one pass.
            if self.bit_depth == 16:
                out = np.empty((frames, 2), dtype=np.int16)
            else:
                out = np.empty(
                    (frames, 2, 3) if packed else (frames, 2), np.uint8 if packed else np.int32
                )
            samples = np.ascontiguousarray(mix, dtype=np.float64)
            _dither.quantise(samples, raw, out, frames, self.bit_depth, packed)
            return out
        scale = float(2 ** (self.bit_depth - 1))
        uniform = raw.view(np.uint16).reshape(frames, 2, 2)
        quantised = mix * scale
        quantised += (uniform[:, :, 0].astype(np.float64) - uniform[:, :, 1]) * (1.0 / 65536.0)
        quantised += 0.5
        np.floor(quantised, out=quantised)
        np.clip(quantised, -scale, scale - 1.0, out=quantised)
        if self.bit_depth == 16:
            return quantised.astype(np.int16)
        top = quantised.astype(np.int32) << 8  # 24-bit in the top of int32, as soundfile expects
        return wavfile.pack_24(top) if packed else top


def _os_write_error(path: Path) -> str | None:
    """Return the operating system's reason why appending to *path* fails, or None.

    libsndfile reports a failed write as "System error." without the reason; one
    more write of the same file (deleted afterwards with the rest of the render)
    gets it: "No space left on device", "File too large", "Input/output error".
    """
    try:
        with open(path, "ab") as stream:
            stream.write(bytes(65536))
            stream.flush()
            os.fsync(stream.fileno())
    except OSError as error:
        return error.strerror or str(error)
    return None


class _Writer:
    """Writes one output file under a temporary name, then moves it into place."""

    def __init__(self, spec: OutputFile, sample_rate: int) -> None:
        self.spec = spec
        if spec.file_format == FileFormat.FLAC and spec.bit_depth == 32:
            raise RenderError(
                f"{spec.path}: FLAC cannot hold 32-bit float; choose 16 or 24-bit, or WAV"
            )
        self.temporary = spec.path.with_name(f".{spec.path.name}.part")
        #: The samples go to the file as packed bytes (:mod:`sequencer.wavfile`), not
        #: through libsndfile: plain 16 or 24-bit WAV without tags (the side files).
        self.packed = spec.file_format == FileFormat.WAV and wavfile.can_write(
            spec.bit_depth, spec.tags
        )
        self._file: Any
        try:
            spec.path.parent.mkdir(parents=True, exist_ok=True)
            if self.packed:
                self._file = wavfile.PcmWavWriter(
                    self.temporary, sample_rate, 2, spec.bit_depth, frames=spec.stop - spec.start
                )
            else:
                self._file = soundfile.SoundFile(
                    str(self.temporary),
                    "w",
                    samplerate=sample_rate,
                    channels=2,
                    subtype=_SUBTYPES[spec.bit_depth],
                    format=_FORMATS[spec.file_format],
                )
        except (soundfile.LibsndfileError, RuntimeError, OSError) as error:
            raise RenderError(f"{spec.path}: cannot create the file ({error})") from error
        for key in ("title", "artist", "album", "tracknumber", "date", "comment"):
            if spec.tags.get(key):  # never for the packed writer: it takes no tags
                setattr(self._file, key, spec.tags[key])
        self.frames = 0

    def write(self, samples: NDArray[Any]) -> None:
        """Append interleaved samples."""
        try:
            self._file.write(samples)
        except (soundfile.LibsndfileError, RuntimeError, OSError) as error:
            reason = _os_write_error(self.temporary) or str(error)
            raise RenderError(
                f"{self.spec.path}: writing failed ({reason}); is the disk full?"
            ) from error
        self.frames += samples.shape[0]

    def finish(self) -> WrittenFile:
        """Close, add tags soundfile cannot write, check the length, hash and fsync.

        The file stays under its temporary name: :meth:`publish` moves it into place
        once every file of the render is finished.
        """
        expected = self.spec.stop - self.spec.start
        if self.frames != expected:
            raise RenderError(f"{self.spec.path}: wrote {self.frames} samples, expected {expected}")
        try:
            if self.packed:  # hashed as it was written
                sha256 = self._file.close(sync=True)
                return WrittenFile(path=self.spec.path, frames=self.frames, sha256=sha256)
            self._file.close()
            if self.spec.file_format == FileFormat.FLAC and self.spec.tags.get("isrc"):
                _tag_flac_isrc(self.temporary, self.spec.tags["isrc"])
            digest = hashlib.sha256()
            with open(self.temporary, "rb+") as stream:
                for chunk in iter(lambda: stream.read(1 << 20), b""):
                    digest.update(chunk)
                os.fsync(stream.fileno())
        except Exception as error:  # OSError, libsndfile or tagging errors
            raise RenderError(f"{self.spec.path}: finishing the file failed ({error})") from error
        return WrittenFile(path=self.spec.path, frames=self.frames, sha256=digest.hexdigest())

    def publish(self) -> None:
        """Move the finished file into place under its final name."""
        try:
            os.replace(self.temporary, self.spec.path)
        except OSError as error:
            raise RenderError(
                f"{self.spec.path}: cannot move the file into place ({error})"
            ) from error

    def abort(self) -> None:
        """Close and delete the temporary file."""
        with contextlib.suppress(soundfile.LibsndfileError, RuntimeError, OSError):
            self._file.close()
        self.temporary.unlink(missing_ok=True)


def _tag_flac_isrc(path: Path, isrc: str) -> None:
    """Add the ISRC Vorbis comment to a FLAC file (libsndfile has no ISRC field)."""
    from mutagen.flac import FLAC

    tags = FLAC(str(path))
    tags["ISRC"] = isrc
    tags.save()


def render(
    timeline: Timeline,
    gains_db: Mapping[str, float],
    outputs: Sequence[OutputFile],
    *,
    seed: int,
    limiter: BusProcessor | None = None,
    block_frames: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancel: CancelEvent | None = None,
) -> RenderReport:
    """Render ``timeline`` into ``outputs`` in one streaming pass.

    Parameters
    ----------
    timeline
        Exact positions of every track.
    gains_db
        Gain per track id in dB (missing tracks get 0 dB).
    outputs
        Files to write; each covers a range of the timeline in one encoding.
        Files of the same bit depth share one dither stream, so per-track files
        concatenate to the album file sample for sample.
    seed
        Seed of the dither (see :func:`dither_seed`): the same seed, timeline
        and sources give byte-identical files.
    limiter
        An optional processor on the mix (the true-peak limiter); its latency is
        compensated so positions stay exact.
    block_frames
        Frames per block (default :func:`block_frames_for` the timeline's rate); the
        output does not depend on it.
    progress
        Called with (frames done, frames in all).
    cancel
        When set, the render stops, removes its temporary files and raises
        :class:`Cancelled`.

    Returns
    -------
    RenderReport
        The files with their checksums, and the limiter's work per track.

    Raises
    ------
    RenderError, AudioError
        Naming the file; no partial file is left under a final name.
    """
    writers: list[_Writer] = []
    stage: _EncodeStage | None = None
    try:
        for spec in outputs:
            writers.append(_Writer(spec, timeline.sample_rate))
        stage = _EncodeStage(writers, seed)
        reduction: dict[str, float] = {}
        blocks = mixed_blocks(
            timeline,
            gains_db,
            limiter=limiter,
            reduction=reduction,
            block_frames=block_frames,
            cancel=cancel,
        )
        with contextlib.closing(blocks):  # stops the source readers whatever happens
            for start, mix in blocks:
                stage.submit(start, mix)
                if progress is not None:
                    progress(start + mix.shape[0], timeline.length)
        peak = stage.finish()
        # Two phases: every file is finished and checked before any is moved into
        # place, so a failure leaves no file of this render under a final name.
        written = tuple(writer.finish() for writer in writers)
        for writer in writers:
            writer.publish()
        return RenderReport(
            files=written,
            limiter_reduction_db=reduction,
            peak_dbfs=20.0 * math.log10(peak) if peak > 0 else None,
        )
    except BaseException:
        if stage is not None:
            stage.stop()
        for writer in writers:
            writer.abort()
        raise


def mixed_blocks(
    timeline: Timeline,
    gains_db: Mapping[str, float],
    *,
    limiter: BusProcessor | None = None,
    reduction: dict[str, float] | None = None,
    block_frames: int | None = None,
    cancel: CancelEvent | None = None,
) -> Generator[tuple[int, NDArray[np.float64]], None, None]:
    """Yield the timeline's mix block by block, before encoding.

    The same stream :func:`render` writes (without dither), for checks that
    analyse a rendered programme without writing it (the vinyl side checks).

    Parameters
    ----------
    timeline
        Exact positions of every track.
    gains_db
        Gain per track id in dB.
    limiter
        An optional bus processor; its latency is compensated.
    reduction
        Filled with the limiter's largest gain reduction per track id.
    block_frames
        Frames per block (default :func:`block_frames_for` the timeline's rate); the
        stream does not depend on it.
    cancel
        When set, :class:`Cancelled` is raised before the next block.

    Yields
    ------
    (int, numpy.ndarray)
        The timeline position of the block's first sample and the block, shape
        (frames, 2), float64.
    """
    keep_freed_blocks()  # block-sized temporaries are reused, not mapped afresh
    step = block_frames or block_frames_for(timeline.sample_rate)
    readers: dict[int, _TrackReader] = {}
    reduction = {} if reduction is None else reduction
    total = timeline.length
    to_skip = limiter.latency if limiter is not None else 0
    position = 0  # next timeline sample to mix
    emitted = 0  # next timeline sample to hand out
    try:
        while position < total:
            if cancel is not None and cancel.is_set():
                raise Cancelled("render cancelled")
            count = min(step, total - position)
            mix = _mix(timeline, gains_db, readers, position, count)
            position += count
            if limiter is not None:
                mix = _limit(limiter, mix, timeline, reduction)
                if position >= total:
                    tail = np.ascontiguousarray(limiter.flush().T)
                    _note_reduction(limiter, tail.shape[0], timeline, reduction)
                    mix = np.concatenate((mix, tail))
                # The limiter delays its output: its first samples precede the timeline.
                dropped = min(to_skip, mix.shape[0])
                mix = mix[dropped:]
                to_skip -= dropped
            mix = mix[: total - emitted]
            if mix.shape[0] == 0:
                continue
            yield emitted, mix
            emitted += mix.shape[0]
    finally:
        for reader in readers.values():
            reader.close()


class _EncodeStage:
    """Encodes mixed blocks and writes them, in order, in a thread of its own.

    Dither, quantisation and libsndfile's writing overlap with the mixing of the
    next block; the queue's depth bounds the memory.
    """

    def __init__(self, writers: Sequence[_Writer], seed: int, depth: int = 3) -> None:
        self._writers = writers
        self._encoders = {d: _Encoder(d, seed + d) for d in {w.spec.bit_depth for w in writers}}
        # A bit depth is encoded to packed bytes when every file of that depth takes them.
        self._packed = {
            d: all(w.packed for w in writers if w.spec.bit_depth == d) for d in self._encoders
        }
        self._queue: queue.Queue[tuple[int, NDArray[np.float64]] | None] = queue.Queue(
            maxsize=depth
        )
        self._error: BaseException | None = None
        self._peak = 0.0
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None or self._stopped.is_set():
                return
            if self._error is not None:
                continue
            try:
                self._write(*item)
            except BaseException as error:  # raised in the render's thread
                self._error = error

    def _write(self, start: int, mix: NDArray[np.float64]) -> None:
        """Encode one block for every bit depth and write it to the files that cover it."""
        self._peak = max(self._peak, float(np.max(np.abs(mix))))
        encoded = {
            depth: encoder.encode(mix, packed=self._packed[depth])
            for depth, encoder in self._encoders.items()
        }
        stop = start + mix.shape[0]
        for writer in self._writers:
            lo, hi = max(start, writer.spec.start), min(stop, writer.spec.stop)
            if lo < hi:
                writer.write(encoded[writer.spec.bit_depth][lo - start : hi - start])

    def submit(self, start: int, mix: NDArray[np.float64]) -> None:
        """Queue a block that starts at timeline sample ``start``."""
        if self._error is not None:
            raise self._error
        self._queue.put((start, mix))

    def finish(self) -> float:
        """Wait for every block to be written; return the mix's peak (linear)."""
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._peak

    def stop(self) -> None:
        """Abandon the remaining blocks and wait for the thread."""
        self._stopped.set()
        while self._thread.is_alive():
            try:
                self._queue.put(None, timeout=0.1)
            except queue.Full:
                with contextlib.suppress(queue.Empty):
                    self._queue.get_nowait()


def _limit(
    limiter: BusProcessor,
    mix: NDArray[np.float64],
    timeline: Timeline,
    reduction: dict[str, float],
) -> NDArray[np.float64]:
    """Run the limiter on a block (frames, 2); note its largest gain reduction per track."""
    # The processor gets the block's planar view; a processor that returns the planar
    # view of interleaved memory (the vinyl chain does) spares the copy back.
    out = np.ascontiguousarray(limiter.process(mix.T).T)
    _note_reduction(limiter, out.shape[0], timeline, reduction)
    return out


def _note_reduction(
    limiter: BusProcessor, frames: int, timeline: Timeline, reduction: dict[str, float]
) -> None:
    """Attribute the limiter's last gain reduction to the tracks it fell on."""
    per_frame = limiter.last_reduction_db()
    if frames == 0 or not np.any(per_frame > 0):
        return
    first = limiter.position - frames - limiter.latency  # timeline position of the first frame
    for placement in timeline.placements:
        lo, hi = max(first, placement.start), min(first + frames, placement.end)
        if lo < hi:
            worst = float(per_frame[lo - first : hi - first].max())
            if worst > reduction.get(placement.track_id, 0.0):
                reduction[placement.track_id] = round(worst, 3)


def _mix(
    timeline: Timeline,
    gains_db: Mapping[str, float],
    readers: dict[int, _TrackReader],
    position: int,
    count: int,
) -> NDArray[np.float64]:
    """Sum every track sounding in ``position .. position + count`` into (count, 2)."""
    mix = _BlockSum(count)
    stop = position + count
    for index, placement in enumerate(timeline.placements):
        if placement.end <= position or placement.start >= stop:
            if placement.end <= position and index in readers:
                readers.pop(index).close()
            continue
        reader = readers.get(index)
        if reader is None:
            reader = readers[index] = _TrackReader(placement, timeline.sample_rate)
        lo, hi = max(position, placement.start), min(stop, placement.end)
        gain = gains_db.get(placement.track_id, 0.0)
        local = lo - placement.start
        shaped = _has_fade(placement, local, hi - placement.start)
        level = 10.0 ** (gain / 20.0)
        offset = lo - position
        for piece in reader.read_pieces(hi - lo):
            size = piece.shape[0]
            if shaped:
                mix.add(offset, piece, envelope(placement, local, local + size, gain)[:, None])
            else:  # the common case: a plain gain
                mix.add(offset, piece, level)
            offset += size
            local += size
    return mix.finish()


class _BlockSum:
    """A block's mix, summed without a zeroed buffer or a temporary per piece.

    The first piece to reach a stretch of the block is scaled straight into it,
    later ones (a crossfade's second track) are added; stretches no piece reached
    are zeroed at the end. The sums are those of adding every piece to zeros.
    """

    def __init__(self, frames: int) -> None:
        self._mix = np.empty((frames, 2))
        self._filled = 0  # every frame before this one holds its sum so far

    def add(self, offset: int, piece: NDArray[np.float64], factor: Any) -> None:
        """Add ``piece * factor`` at frame ``offset`` (factor: a number or (frames, 1))."""
        end = offset + piece.shape[0]
        if offset > self._filled:
            self._mix[self._filled : offset] = 0.0
            self._filled = offset
        overlap = max(0, min(end, self._filled) - offset)
        if overlap:
            head = factor if np.ndim(factor) == 0 else factor[:overlap]
            self._mix[offset : offset + overlap] += piece[:overlap] * head
        if end > self._filled:
            tail = factor if np.ndim(factor) == 0 else factor[overlap:]
            np.multiply(piece[overlap:], tail, out=self._mix[offset + overlap : end])
            self._filled = end

    def finish(self) -> NDArray[np.float64]:
        """Return the mix, (frames, 2), silence where no piece fell."""
        self._mix[self._filled :] = 0.0
        return self._mix


def _has_fade(placement: Placement, begin: int, end: int) -> bool:
    """Tell whether any fade or crossfade of ``placement`` touches its samples ``begin..end``."""
    length = placement.length
    return begin < max(placement.fade_in, placement.crossfade_in) or end > length - max(
        placement.fade_out, placement.crossfade_out
    )
