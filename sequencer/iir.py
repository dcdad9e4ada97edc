"""IIR filtering along the last axis: scipy's ``sosfilt`` and ``lfilter``, faster.

Every meter and the vinyl processing filter their audio block by block with the
state carried over. scipy filters each channel on its own at about 10 ns a
sample; the compiled kernels of ``sequencer._iir`` filter two channels at once in
one vector register, three to four times faster, and give the same output to the
last bit (same operations, same order, no fused multiply-add; the tests check
it). When the kernels were not compiled (no C compiler when runout was
installed) or the input is not real float64, these functions call scipy, so a
render never depends on how runout was installed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from sequencer import compiled

_iir = compiled.load("sequencer._iir")
#: Cascades up to this many sections have a kernel with its state in registers
#: (UNROLLED in _iir.c); two different cascades at once need one of those.
_UNROLLED = 8


def sosfilt(
    sos: NDArray[np.float64], x: NDArray[Any], zi: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Filter ``x`` along its last axis through second-order sections, with state.

    The same as ``scipy.signal.sosfilt(sos, x, axis=-1, zi=zi)``.

    Parameters
    ----------
    sos
        The sections, shape (sections, 6), each with a0 = 1.
    x
        The signal, shape (frames,) or (channels, frames).
    zi
        The state, shape (sections, 2) or (sections, channels, 2).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        The filtered signal (a new array) and the state after it, shaped as ``x`` and ``zi``.
    """
    if not (_fast(x, zi) and _normalised(sos)):
        from scipy.signal import sosfilt as scipy_sosfilt

        return scipy_sosfilt(sos, x, axis=-1, zi=zi)
    sections = sos.shape[0]
    frames = x.shape[-1]
    out = np.array(x, dtype=np.float64, order="C", ndmin=2)
    channels = out.shape[0]
    expected = (sections, 2) if x.ndim == 1 else (sections, channels, 2)
    if zi.shape != expected:
        raise ValueError(f"sosfilt: zi has shape {zi.shape}, expected {expected}")
    # The kernels keep each channel's sections together: (channels, sections, 2).
    state = np.ascontiguousarray(np.reshape(zi, (sections, channels, 2)).transpose(1, 0, 2))
    _iir.sosfilt(
        np.ascontiguousarray(sos, dtype=np.float64), out, state, channels, frames, sections
    )
    return out.reshape(x.shape), state.transpose(1, 0, 2).reshape(zi.shape)


#: A section that passes its input unchanged (pads the shorter of two cascades).
_IDENTITY_SECTION = np.array([[1.0, 0.0, 0.0, 1.0, 0.0, 0.0]])


def sosfilt_two(
    sos_a: NDArray[np.float64],
    x_a: NDArray[np.float64],
    zi_a: NDArray[np.float64],
    sos_b: NDArray[np.float64],
    x_b: NDArray[np.float64],
    zi_b: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Filter two 1-D signals through two different cascades at the cost of one.

    The same as ``sosfilt(sos_a, x_a, zi_a)`` and ``sosfilt(sos_b, x_b, zi_b)`` (the
    mid and the side of the vinyl processing, say): the shorter cascade is padded
    with sections that pass their input unchanged, which is exact. A cascade may
    have no sections (its signal comes back unchanged).

    Returns
    -------
    (y_a, zf_a, y_b, zf_b)
        Each signal filtered (new arrays) and its state after it.
    """
    for sos, zi in ((sos_a, zi_a), (sos_b, zi_b)):
        if zi.shape != (sos.shape[0], 2):
            raise ValueError(f"sosfilt_two: zi has shape {zi.shape}, expected ({sos.shape[0]}, 2)")
    sections = max(sos_a.shape[0], sos_b.shape[0], 1)
    padded_a, state_a = _padded(sos_a, zi_a, sections)
    padded_b, state_b = _padded(sos_b, zi_b, sections)
    if (
        _fast(x_a, state_a)
        and _fast(x_b, state_b)
        and _normalised(padded_a)
        and _normalised(padded_b)
        and x_a.ndim == 1
        and x_a.shape == x_b.shape
        and sections <= _UNROLLED
    ):
        y_a = np.array(x_a, dtype=np.float64, order="C")
        y_b = np.array(x_b, dtype=np.float64, order="C")
        _iir.sosfilt_two(padded_a, y_a, state_a, padded_b, y_b, state_b, y_a.size, sections)
    else:
        y_a, state_a = sosfilt(padded_a, x_a, state_a)
        y_b, state_b = sosfilt(padded_b, x_b, state_b)
    return y_a, state_a[: sos_a.shape[0]], y_b, state_b[: sos_b.shape[0]]


def _padded(
    sos: NDArray[np.float64], zi: NDArray[np.float64], sections: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return ``sos`` and ``zi`` padded with identity sections to ``sections`` (C-contiguous)."""
    extra = sections - sos.shape[0]
    padded = np.concatenate([np.reshape(sos, (-1, 6)), np.repeat(_IDENTITY_SECTION, extra, axis=0)])
    state = np.concatenate([np.reshape(zi, (-1, 2)), np.zeros((extra, 2))])
    return np.ascontiguousarray(padded, dtype=np.float64), np.ascontiguousarray(state)


def lfilter(
    b: NDArray[np.float64], a: NDArray[np.float64], x: NDArray[Any], zi: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Filter ``x`` along its last axis through ``b / a``, with state.

    The same as ``scipy.signal.lfilter(b, a, x, axis=-1, zi=zi)``.

    Parameters
    ----------
    b, a
        Numerator and denominator coefficients (a[0] not zero).
    x
        The signal, shape (frames,) or (channels, frames).
    zi
        The state, shape (order,) or (channels, order), order = max(len(a), len(b)) - 1.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        The filtered signal (a new array) and the state after it, shaped as ``x`` and ``zi``.
    """
    b = np.asarray(b)
    a = np.asarray(a)
    order = max(a.size, b.size) - 1
    if not _fast(x, zi) or order < 1 or a.ndim != 1 or b.ndim != 1 or a[0] == 0.0:
        from scipy.signal import lfilter as scipy_lfilter

        return scipy_lfilter(b, a, x, axis=-1, zi=zi)
    # scipy divides every coefficient by a[0] (exact when a[0] is 1) and pads with zeros.
    numerator = np.zeros(order + 1)
    denominator = np.zeros(order + 1)
    numerator[: b.size] = b / a[0]
    denominator[: a.size] = a / a[0]
    frames = x.shape[-1]
    out = np.array(x, dtype=np.float64, order="C", ndmin=2)
    channels = out.shape[0]
    expected = (order,) if x.ndim == 1 else (channels, order)
    if zi.shape != expected:
        raise ValueError(f"lfilter: zi has shape {zi.shape}, expected {expected}")
    state = np.array(zi, dtype=np.float64, order="C").reshape(channels, order)
    _iir.lfilter(numerator, denominator, out, state, channels, frames, order)
    return out.reshape(x.shape), state.reshape(zi.shape)


def _fast(x: NDArray[Any], zi: NDArray[Any]) -> bool:
    """Return True when the compiled kernels can filter ``x`` with state ``zi``."""
    return (
        _iir is not None
        and x.ndim in (1, 2)
        and x.dtype in (np.float64, np.float32)
        and zi.dtype == np.float64
        and x.shape[-1] > 0
    )


def _normalised(sos: NDArray[np.float64]) -> bool:
    """Return True for at least one section of six coefficients, each with a0 = 1."""
    return (
        sos.ndim == 2 and sos.shape[0] > 0 and sos.shape[1] == 6 and bool(np.all(sos[:, 3] == 1.0))
    )
