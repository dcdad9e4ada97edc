"""RIAA recording (pre-emphasis) curve: the analog formula and a matching digital filter.

The cutter of a lathe is driven in velocity through the RIAA recording curve
(RIAA 1954, IEC 60098): time constants 3180 us, 318 us and 75 us (corners at
50.05 Hz, 500.5 Hz and 2122 Hz). The recording curve is the inverse of the
playback curve::

    H(s) = (1 + s T1) (1 + s T3) / (1 + s T2),   T1 = 3180 us, T2 = 318 us, T3 = 75 us

normalised here to 0 dB at 1 kHz. It rises by 6 dB/octave above 2122 Hz without
bound. The standard names no upper limit; some cutting systems add a pole at
3.18 us (the "Neumann pole", 50 kHz). **Choice:** the default is the standard
curve without the extra pole (it gives the figures of the domain notes: +13.7 dB
at 10 kHz, +19.6 dB at 20 kHz, and is the conservative choice for the checks:
at 20 kHz it is 0.64 dB above the Neumann variant); ``neumann=True`` adds the
pole. In the digital domain the curve ends at Nyquist anyway.

Digital design. The bilinear transform overstates the top (+1.3 dB at 10 kHz,
+6 dB at 20 kHz at 48 kHz, domain notes "Numerical pitfalls"), so the filter is
a least-squares fit of the analog magnitude: three real zeros and two real poles
(order 3/2; one zero and one pole beyond the matched-z design act as a shelf that
restores the top), fitted in dB on a log grid from 5 Hz to the lesser of 0.95 x
Nyquist and 40 kHz, starting from the matched-z design (zeros at
``exp(-1 / (T fs))``). Measured error of the default curve (``design_error_db``
checks it, the tests assert it):

==========  ===========  ===========  ===================
rate        to 16 kHz    to 20 kHz    to 0.95 Nyquist
==========  ===========  ===========  ===================
44.1 kHz    0.06 dB      0.10 dB      0.23 dB (20.9 kHz)
48 kHz      0.05 dB      0.10 dB      0.24 dB (22.8 kHz)
96 kHz      0.02 dB      0.02 dB      0.08 dB (40 kHz)
==========  ===========  ===========  ===================
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize
from scipy import signal as sps

from sequencer import iir

#: RIAA time constants in seconds (RIAA 1954 / IEC 60098).
T1 = 3180e-6
T2 = 318e-6
T3 = 75e-6
#: The optional high-frequency limit of some cutting systems ("Neumann pole", ~50 kHz).
T_NEUMANN = 3.18e-6
#: The curve is normalised to 0 dB at this frequency.
REFERENCE_HZ = 1000.0
#: Lowest frequency of the fitting grid.
_FIT_LOW_HZ = 5.0
#: Highest frequency of the fitting grid (also capped at 0.95 x Nyquist).
_FIT_HIGH_HZ = 40000.0


def _analog_magnitude(f: NDArray[np.float64], neumann: bool) -> NDArray[np.float64]:
    """Return |H(j 2 pi f)| of the recording curve, not normalised."""
    jw = 2j * np.pi * f
    h = (1 + jw * T1) * (1 + jw * T3) / (1 + jw * T2)
    if neumann:
        h = h / (1 + jw * T_NEUMANN)
    return np.abs(h)


def riaa_gain_db(frequency: ArrayLike, neumann: bool = False) -> NDArray[np.float64]:
    """Return the analog RIAA recording gain in dB relative to 1 kHz.

    Parameters
    ----------
    frequency
        Frequency or frequencies in Hz.
    neumann
        Add the 3.18 us pole (50 kHz limit) of some cutting systems.

    Returns
    -------
    numpy.ndarray
        Gain in dB, 0 at 1 kHz (about -19.3 dB at 20 Hz, +19.6 dB at 20 kHz).
    """
    f = np.asarray(frequency, dtype=np.float64)
    reference = _analog_magnitude(np.array(REFERENCE_HZ), neumann)
    return np.asarray(20.0 * np.log10(_analog_magnitude(f, neumann) / reference))


def _rational(params: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Turn (z1, z2, z3, p1, p2) into unnormalised ``b, a`` polynomials in z^-1."""
    return np.asarray(np.poly(params[:3]), dtype=np.float64), np.asarray(
        np.poly(params[3:]), dtype=np.float64
    )


@functools.lru_cache(maxsize=16)
def _design(sample_rate: float, neumann: bool) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Fit the digital filter (cached per rate; tuples so the cache cannot be mutated)."""
    high = min(0.95 * sample_rate / 2, _FIT_HIGH_HZ)
    grid = np.geomspace(_FIT_LOW_HZ, high, 400)
    target = riaa_gain_db(grid, neumann)
    # z^-1 on the grid, plus the 1 kHz point used for normalisation.
    zinv = np.exp(-2j * np.pi * np.append(grid, REFERENCE_HZ) / sample_rate)

    def response_db(params: NDArray[np.float64]) -> NDArray[np.float64]:
        num = np.prod(1 - np.outer(params[:3], zinv), axis=0)
        den = np.prod(1 - np.outer(params[3:], zinv), axis=0)
        db = 20.0 * np.log10(np.abs(num / den))
        return np.asarray(db[:-1] - db[-1])

    # Start from matched z (poles/zeros at exp(-1/(T fs))) plus a zero/pole pair for the top.
    start = np.array(
        [
            math.exp(-1 / (T1 * sample_rate)),
            math.exp(-1 / (T3 * sample_rate)),
            -0.3,
            math.exp(-1 / (T2 * sample_rate)),
            0.0,
        ]
    )
    # Roots stay inside the unit circle: a stable, minimum-phase filter.
    fit = optimize.least_squares(
        lambda p: response_db(p) - target, start, bounds=(-0.9999, 0.99999), x_scale=0.1
    )
    b, a = _rational(fit.x)
    # Normalise to 0 dB at 1 kHz.
    _, h = sps.freqz(b, a, worN=[REFERENCE_HZ], fs=sample_rate)
    b = b / abs(h[0])
    return tuple(float(v) for v in b), tuple(float(v) for v in a)


def riaa_coefficients(
    sample_rate: float, neumann: bool = False
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Design the digital RIAA recording filter for ``sample_rate``.

    Parameters
    ----------
    sample_rate
        Sample rate in Hz.
    neumann
        Add the 3.18 us pole (see the module notes).

    Returns
    -------
    b, a
        Transfer function coefficients in z^-1 (three zeros, two poles), 0 dB at 1 kHz.
    """
    b, a = _design(float(sample_rate), neumann)
    return np.array(b), np.array(a)


def riaa_digital_gain_db(
    frequency: ArrayLike, sample_rate: float, neumann: bool = False
) -> NDArray[np.float64]:
    """Return the gain in dB of the digital filter at ``frequency`` (0 dB at 1 kHz)."""
    b, a = riaa_coefficients(sample_rate, neumann)
    f = np.atleast_1d(np.asarray(frequency, dtype=np.float64))
    _, h = sps.freqz(b, a, worN=f, fs=sample_rate)
    return np.asarray(20.0 * np.log10(np.abs(h)))


def design_error_db(sample_rate: float, up_to_hz: float = 20000.0, neumann: bool = False) -> float:
    """Return the largest |digital - analog| gain in dB from 10 Hz to ``up_to_hz``."""
    f = np.geomspace(10.0, up_to_hz, 2000)
    return float(
        np.max(np.abs(riaa_digital_gain_db(f, sample_rate, neumann) - riaa_gain_db(f, neumann)))
    )


class RiaaFilter:
    """Streaming RIAA recording pre-emphasis for planar audio (channels, frames).

    The filter state is carried from block to block, so any cut of the programme
    into blocks gives the same output.

    Parameters
    ----------
    sample_rate
        Sample rate in Hz.
    neumann
        Add the 3.18 us pole (see the module notes).
    """

    def __init__(self, sample_rate: float, neumann: bool = False) -> None:
        self.sample_rate = sample_rate
        self.b, self.a = riaa_coefficients(sample_rate, neumann)
        self._zi: NDArray[np.float64] | None = None

    def process(self, planar: NDArray[np.float64]) -> NDArray[np.float64]:
        """Filter the next block, shape (channels, frames); return the same shape."""
        if self._zi is None or self._zi.shape[0] != planar.shape[0]:
            self._zi = np.zeros((planar.shape[0], max(len(self.a), len(self.b)) - 1))
        if planar.shape[1] == 0:
            return np.zeros(planar.shape)
        out, self._zi = iir.lfilter(self.b, self.a, planar, self._zi)
        return np.asarray(out, dtype=np.float64)

    def reset(self) -> None:
        """Forget the filter state (start of a new programme)."""
        self._zi = None
