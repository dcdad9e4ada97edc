"""IIR filtering along the last axis: scipy's ``sosfilt`` and ``lfilter``, faster.

Every meter and the vinyl processing filter their audio block by block with the
state carried over. scipy filters each channel on its own at about 10 ns a
sample; the compiled kernels of ``sequencer._iir`` filter two channels at once in
one vector register, three to four times faster, and give the same output to the
last bit (same operations, same order, no fused multiply-add; the tests check
it). The kernels read blocks with any strides (a transposed interleaved block is
not copied), and the vinyl chain's mid/side matrix runs inside its kernel. When
the kernels were not compiled (no C compiler when runout was installed) or the
input is not real float64, these functions call scipy, so a render never
depends on how runout was installed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from sequencer import compiled

_iir = compiled.load("sequencer._iir")
#: Cascades up to this many sections have a kernel with its state in registers
#: (UNROLLED in _iir.c); the mid/side filter needs one of those.
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
    signal = _float64_rows(x)
    channels = signal.shape[0]
    expected = (sections, 2) if x.ndim == 1 else (sections, channels, 2)
    if zi.shape != expected:
        raise ValueError(f"sosfilt: zi has shape {zi.shape}, expected {expected}")
    # The kernels keep each channel's sections together: (channels, sections, 2).
    state = np.ascontiguousarray(np.reshape(zi, (sections, channels, 2)).transpose(1, 0, 2))
    out = np.empty((channels, frames))
    _iir.sosfilt(
        np.ascontiguousarray(sos, dtype=np.float64), signal, out, state, channels, frames, sections
    )
    return out.reshape(x.shape), state.transpose(1, 0, 2).reshape(zi.shape)


def _float64_rows(x: NDArray[Any]) -> NDArray[np.float64]:
    """Return ``x`` as float64 rows (channels, frames): a view when it is float64 already.

    The kernels read any strides, so a transposed or sliced block is not copied.
    """
    rows = x if x.ndim == 2 else x[np.newaxis, :]
    return rows if rows.dtype == np.float64 else rows.astype(np.float64)


#: A section that passes its input unchanged (pads the shorter of two cascades).
_IDENTITY_SECTION = np.array([[1.0, 0.0, 0.0, 1.0, 0.0, 0.0]])


def _padded(
    sos: NDArray[np.float64], zi: NDArray[np.float64], sections: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return ``sos`` and ``zi`` padded with identity sections to ``sections`` (C-contiguous)."""
    extra = sections - sos.shape[0]
    padded = np.concatenate([np.reshape(sos, (-1, 6)), np.repeat(_IDENTITY_SECTION, extra, axis=0)])
    state = np.concatenate([np.reshape(zi, (-1, 2)), np.zeros((extra, 2))])
    return np.ascontiguousarray(padded, dtype=np.float64), np.ascontiguousarray(state)


def mid_side_sosfilt(
    sos_mid: NDArray[np.float64],
    zi_mid: NDArray[np.float64],
    sos_side: NDArray[np.float64],
    zi_side: NDArray[np.float64],
    planar: NDArray[np.float64],
    out: NDArray[np.float64],
    h: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Filter the mid and the side of a stereo block through their own cascades.

    The same, to the last bit, as this numpy code (which runs when the kernels
    were not compiled)::

        mid, side = (l + r) * h, (l - r) * h
        mid, zf_mid = sosfilt(sos_mid, mid, zi_mid)
        side, zf_side = sosfilt(sos_side, side, zi_side)
        out[0], out[1] = (mid + side) * h, (mid - side) * h

    but in one pass over the block: no temporaries, and ``planar`` and ``out`` may
    have any strides (the rows of a transposed interleaved block), or be the same
    array. A cascade may have no sections.

    Parameters
    ----------
    sos_mid, zi_mid, sos_side, zi_side
        The cascades, shape (sections, 6), and their states, shape (sections, 2).
    planar
        Left and right, shape (2, frames), float64.
    out
        Where the filtered left and right go, shape (2, frames), float64.
    h
        The matrix's scale (sqrt(1/2) for an orthonormal mid/side).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        The states of the mid and the side cascades after the block.
    """
    for sos, zi in ((sos_mid, zi_mid), (sos_side, zi_side)):
        if zi.shape != (sos.shape[0], 2):
            raise ValueError(
                f"mid_side_sosfilt: zi has shape {zi.shape}, expected ({sos.shape[0]}, 2)"
            )
    sections = max(sos_mid.shape[0], sos_side.shape[0], 1)
    padded_mid, state_mid = _padded(sos_mid, zi_mid, sections)
    padded_side, state_side = _padded(sos_side, zi_side, sections)
    if (
        _fast(planar, state_mid)
        and planar.dtype == np.float64
        and out.dtype == np.float64
        and _normalised(padded_mid)
        and _normalised(padded_side)
        and sections <= _UNROLLED
    ):
        _iir.mid_side(
            padded_mid, state_mid, padded_side, state_side, planar, out, planar.shape[1],
            sections, h,
        )  # fmt: skip
        return state_mid[: sos_mid.shape[0]], state_side[: sos_side.shape[0]]
    mid = (planar[0] + planar[1]) * h
    side = (planar[0] - planar[1]) * h
    if sos_mid.shape[0]:
        mid, zi_mid = sosfilt(sos_mid, mid, zi_mid)
    if sos_side.shape[0]:
        side, zi_side = sosfilt(sos_side, side, zi_side)
    out[0] = (mid + side) * h
    out[1] = (mid - side) * h
    return zi_mid, zi_side


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
    signal = _float64_rows(x)
    channels = signal.shape[0]
    expected = (order,) if x.ndim == 1 else (channels, order)
    if zi.shape != expected:
        raise ValueError(f"lfilter: zi has shape {zi.shape}, expected {expected}")
    state = np.array(zi, dtype=np.float64, order="C").reshape(channels, order)
    out = np.empty((channels, frames))
    _iir.lfilter(numerator, denominator, signal, out, state, channels, frames, order)
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
