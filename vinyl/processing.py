"""Vinyl bus processing: mono below a crossover and a subsonic high-pass.

Each processor follows :class:`sequencer.render.BusProcessor` with no latency
(IIR filters whose state is carried from block to block): ``process`` returns
as many frames as it is given, ``flush`` returns nothing and the gain reduction
is always zero. The output does not depend on the block size.

Mono below a crossover (the "elliptical filter")
-------------------------------------------------
The stereo signal is taken as mid ``M = (L + R) / sqrt 2`` and side
``S = (L - R) / sqrt 2``. The side's low band is removed,
``S_out = S - LP(S) = HP(S)``, so below the crossover the output is mid only:
both channels carry the same low band (correlation +1) and no vertical groove
modulation is cut there. ``HP`` is a 4th-order Linkwitz-Riley high-pass
(24 dB/octave); its complement ``LP`` is the matching Linkwitz-Riley low-pass
plus the allpass that makes the pair sum flat.

Two treatments of the mid are offered:

``"allpass"`` (default)
    The mid goes through the crossover's allpass (``LP + HP`` of the
    Linkwitz-Riley pair): its magnitude is exactly flat (the summed signal keeps
    its level to a few thousandths of a dB) and, above the crossover, mid and
    side keep the same phase, so the stereo image there is unchanged (a
    hard-panned 1 kHz source with a 150 Hz crossover leaks about -70 dB into the
    other channel). This is the phase-coherent crossover of a mono-maker.
``"exact"``
    The mid is left untouched sample for sample; the side alone is high-passed.
    The summed signal is bit-identical, but above the crossover the side's phase
    turns against the mid's (about 22 degrees at 1 kHz for a 150 Hz crossover),
    which moves some of a panned source into the other channel (about -13 dB for
    a hard-panned 1 kHz source).

A literal ``S - LP(S)`` with a plain Butterworth low-pass would keep the mid
untouched too, but its residue falls only 6 dB per octave below the crossover
(an anti-phase 40 Hz bass with a 150 Hz crossover would keep a third of its side
signal), so it cannot make the low band mono.

Subsonic filter
---------------
A Butterworth high-pass (4th order by default) on both channels: -24 dB one
octave below the cut-off, about 0.01 dB at five times the cut-off.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy import signal as sps

from sequencer import iir
from sequencer.session import VinylPlan

__all__ = [
    "DEFAULT_SUBSONIC_ORDER",
    "MidTreatment",
    "MonoBelow",
    "SubsonicFilter",
    "VinylChain",
    "ZeroLatencyProcessor",
    "vinyl_chain",
]

#: Order of the subsonic Butterworth high-pass.
DEFAULT_SUBSONIC_ORDER = 4
_SQRT_HALF = math.sqrt(0.5)

MidTreatment = Literal["allpass", "exact"]


def _check_planar(planar: NDArray[np.float64]) -> NDArray[np.float64]:
    """Return ``planar`` as float64 (2, frames), or raise ValueError."""
    block = np.asarray(planar, dtype=np.float64)
    if block.ndim != 2 or block.shape[0] != 2:
        raise ValueError(f"expected a planar stereo block (2, frames), got shape {block.shape}")
    return block


def _check_cutoff(cutoff_hz: float, sample_rate: int, what: str) -> None:
    """Raise ValueError unless the cut-off lies strictly between 0 and Nyquist."""
    if sample_rate <= 0:
        raise ValueError(f"sample rate must be positive, got {sample_rate}")
    if not 0.0 < cutoff_hz < sample_rate / 2.0:
        raise ValueError(
            f"{what} of {cutoff_hz} Hz must lie between 0 and half the sample rate "
            f"({sample_rate / 2.0:g} Hz)"
        )


class ZeroLatencyProcessor:
    """Bookkeeping of a bus processor without delay (the render's ``BusProcessor``).

    Subclasses call :meth:`_advance` with the frames of each block they output.
    """

    def __init__(self) -> None:
        self._position = 0
        self._last = 0

    @property
    def latency(self) -> int:
        """Delay of the output in samples (always 0)."""
        return 0

    @property
    def position(self) -> int:
        """Frames output so far."""
        return self._position

    def last_reduction_db(self) -> NDArray[np.float64]:
        """Gain reduction of each frame of the last output, dB (always zero)."""
        return np.zeros(self._last)

    def flush(self) -> NDArray[np.float64]:
        """Return the samples still held back: none, shape (2, 0)."""
        self._last = 0
        return np.zeros((2, 0))

    def _advance(self, frames: int) -> None:
        """Count a block of ``frames`` output frames."""
        self._last = frames
        self._position += frames


class _Stage(ZeroLatencyProcessor):
    """One filter of the vinyl chain."""

    def process(self, planar: NDArray[np.float64]) -> NDArray[np.float64]:
        """Filter a block (2, frames); the output has the same shape.

        Parameters
        ----------
        planar : numpy.ndarray
            Left and right, shape (2, frames).

        Returns
        -------
        numpy.ndarray
            The filtered block, shape (2, frames), float64.
        """
        block = _check_planar(planar)
        out = self._filter(block)
        self._advance(block.shape[1])
        return out

    def _filter(self, block: NDArray[np.float64]) -> NDArray[np.float64]:
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        """Return the processor's settings as JSON-ready data."""
        raise NotImplementedError


class SubsonicFilter(_Stage):
    """Butterworth high-pass on both channels, with state carried across blocks.

    Parameters
    ----------
    sample_rate : int
        Rate of the signal in Hz.
    cutoff_hz : float
        The -3 dB frequency.
    order : int, optional
        Filter order (slope ``6 * order`` dB/octave); 4 by default.
    """

    def __init__(
        self, sample_rate: int, cutoff_hz: float, order: int = DEFAULT_SUBSONIC_ORDER
    ) -> None:
        super().__init__()
        _check_cutoff(cutoff_hz, sample_rate, "the subsonic cut-off")
        if order < 1:
            raise ValueError(f"filter order must be at least 1, got {order}")
        self.sample_rate = sample_rate
        self.cutoff_hz = float(cutoff_hz)
        self.order = order
        self._sos = sps.butter(order, cutoff_hz, btype="highpass", fs=sample_rate, output="sos")
        self._state = np.zeros((self._sos.shape[0], 2, 2))

    def _filter(self, block: NDArray[np.float64]) -> NDArray[np.float64]:
        out, self._state = iir.sosfilt(self._sos, block, self._state)
        return np.asarray(out, dtype=np.float64)

    def mid_side_sections(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Return the filter as second-order sections on the mid and on the side."""
        return self._sos, self._sos

    def describe(self) -> dict[str, Any]:
        """Return the settings as JSON-ready data."""
        return {
            "kind": "subsonic_highpass",
            "design": f"Butterworth high-pass, order {self.order}",
            "cutoff_hz": self.cutoff_hz,
            "slope_db_per_octave": 6 * self.order,
        }


class MonoBelow(_Stage):
    """Mono below a crossover: the side signal's low band is removed.

    Parameters
    ----------
    sample_rate : int
        Rate of the signal in Hz.
    crossover_hz : float
        The crossover frequency (-6 dB point of the Linkwitz-Riley pair).
    mid : {"allpass", "exact"}, optional
        ``"allpass"``: the mid goes through the crossover's allpass, keeping the
        image above the crossover unchanged (default). ``"exact"``: the mid is
        untouched sample for sample. See the module's notes.
    """

    def __init__(
        self, sample_rate: int, crossover_hz: float, mid: MidTreatment = "allpass"
    ) -> None:
        super().__init__()
        _check_cutoff(crossover_hz, sample_rate, "the mono crossover")
        if mid not in ("allpass", "exact"):
            raise ValueError(f"mid treatment must be 'allpass' or 'exact', got {mid!r}")
        self.sample_rate = sample_rate
        self.crossover_hz = float(crossover_hz)
        self.mid: MidTreatment = mid
        # Linkwitz-Riley 4th order: a 2nd-order Butterworth section, twice.
        high = sps.butter(2, crossover_hz, btype="highpass", fs=sample_rate, output="sos")
        self._side_sos = np.concatenate((high, high))
        # LR4 low + high = the 2nd-order allpass on the Butterworth poles: the
        # denominator's coefficients, reversed, over the denominator.
        a = high[0, 3:]
        self._mid_sos = np.array([[a[2], a[1], a[0], a[0], a[1], a[2]]])
        self._side_state = np.zeros((self._side_sos.shape[0], 2))
        self._mid_state = np.zeros((1, 2))

    def _filter(self, block: NDArray[np.float64]) -> NDArray[np.float64]:
        left, right = block[0], block[1]
        mid = (left + right) * _SQRT_HALF
        side = (left - right) * _SQRT_HALF
        side, self._side_state = iir.sosfilt(self._side_sos, side, self._side_state)
        if self.mid == "allpass":
            mid, self._mid_state = iir.sosfilt(self._mid_sos, mid, self._mid_state)
        out = np.empty_like(block)
        out[0] = (mid + side) * _SQRT_HALF
        out[1] = (mid - side) * _SQRT_HALF
        return out

    def mid_side_sections(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Return the filter as second-order sections on the mid and on the side."""
        mid = self._mid_sos if self.mid == "allpass" else np.zeros((0, 6))
        return mid, self._side_sos

    def describe(self) -> dict[str, Any]:
        """Return the settings as JSON-ready data."""
        return {
            "kind": "mono_below",
            "design": "side high-passed by a 4th-order Linkwitz-Riley crossover (24 dB/octave)",
            "crossover_hz": self.crossover_hz,
            "mid": (
                "through the crossover's allpass (flat magnitude, image above kept)"
                if self.mid == "allpass"
                else "untouched"
            ),
        }


class VinylChain(ZeroLatencyProcessor):
    """Bus processors run one after the other, as one zero-latency processor.

    Parameters
    ----------
    stages : Sequence
        The processors, in signal order (each has no latency).
    """

    def __init__(self, stages: Sequence[SubsonicFilter | MonoBelow]) -> None:
        if not stages:
            raise ValueError("a processing chain needs at least one stage")
        super().__init__()
        self.stages = tuple(stages)
        # Every stage treats L and R alike and is linear and time-invariant, so the
        # chain is exactly one cascade on the mid and one on the side, filtered
        # together in one pass per block whatever the stages (iir.mid_side_sosfilt).
        mids, sides = zip(*(stage.mid_side_sections() for stage in self.stages), strict=True)
        self._mid_sos = np.concatenate(mids)
        self._side_sos = np.concatenate(sides)
        self._mid_state = np.zeros((self._mid_sos.shape[0], 2))
        self._side_state = np.zeros((self._side_sos.shape[0], 2))

    def process(self, planar: NDArray[np.float64]) -> NDArray[np.float64]:
        """Run a block (2, frames) through every stage; same shape out.

        Parameters
        ----------
        planar : numpy.ndarray
            Left and right, shape (2, frames).

        Returns
        -------
        numpy.ndarray
            The processed block, shape (2, frames).
        """
        block = _check_planar(planar)
        # The output's samples are interleaved (frames, 2) in memory, as the encoder
        # takes them; this returns its planar view, so neither side copies a transpose.
        out = np.empty((block.shape[1], 2)).T
        self._mid_state, self._side_state = iir.mid_side_sosfilt(
            self._mid_sos, self._mid_state, self._side_sos, self._side_state, block, out,
            _SQRT_HALF,
        )  # fmt: skip
        self._advance(block.shape[1])
        return out

    def describe(self) -> list[Mapping[str, Any]]:
        """Return every stage's settings, in signal order, as JSON-ready data."""
        return [stage.describe() for stage in self.stages]


def vinyl_chain(
    plan: VinylPlan,
    sample_rate: int,
    *,
    mid: MidTreatment = "allpass",
    subsonic_order: int = DEFAULT_SUBSONIC_ORDER,
) -> VinylChain | None:
    """Build the vinyl bus processing a session's plan asks for.

    Parameters
    ----------
    plan : VinylPlan
        The session's vinyl plan (``subsonic_hz`` and ``mono_below_hz``).
    sample_rate : int
        Rate of the side, Hz.
    mid : {"allpass", "exact"}, optional
        Treatment of the mid by the mono-below filter (see :class:`MonoBelow`).
    subsonic_order : int, optional
        Order of the subsonic high-pass.

    Returns
    -------
    VinylChain or None
        The subsonic high-pass then the mono-below filter (those that are on),
        or None when both are off.
    """
    stages: list[SubsonicFilter | MonoBelow] = []
    if plan.subsonic_hz is not None:
        stages.append(SubsonicFilter(sample_rate, plan.subsonic_hz, subsonic_order))
    if plan.mono_below_hz is not None:
        stages.append(MonoBelow(sample_rate, plan.mono_below_hz, mid))
    return VinylChain(stages) if stages else None
