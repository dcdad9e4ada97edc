"""Physical primitives of the groove: 45/45 stereo, velocity to displacement, pitch and limits.

The model follows ``shared/domain/vinyl.md`` ("How audio becomes groove", "Limits
a checker can compute"):

- The cutter is driven in velocity through the RIAA recording curve
  (:mod:`vinyl.riaa`); lateral motion carries the mid signal (L+R)/sqrt2 and
  vertical motion the side signal (L-R)/sqrt2 (45/45 stereo).
- The cut level is in dB relative to 5 cm/s peak lateral velocity at 1 kHz: at
  ``cut_level_db = 0`` a 1 kHz sine at ``reference_dbfs`` in both channels
  (post-RIAA, which is 0 dB at 1 kHz) is cut at 5 cm/s peak lateral.
- Displacement is the integral of velocity (x = V / (2 pi f) for a sine).
- Groove speed v = 2 pi r rpm / 60; a variable-pitch lathe spaces revolution i
  by ``2 (depth + vertical_i) + lateral_i + lateral_(i+1) + land``.
- Tracing limit: a sine of peak velocity V at f has minimum radius of curvature
  v^2 / (2 pi f V); a stylus of tip radius r follows it while that is >= r.
- Cutter slope limit: peak velocity above the groove speed (slope above 45 degrees).

Units are in the names: radii in mm, excursions, depths, pitches and tip radii
in um, velocities in m/s.

Sign convention: a positive side signal moves the cutter up (a shallower
groove). Sources differ on the sign; the groove width uses the larger of the
upward and downward peaks, so space does not depend on it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sequencer import iir
from vinyl.riaa import RiaaFilter

#: Peak lateral velocity of the "0 dB" reference level at 1 kHz (US practice), m/s.
REFERENCE_VELOCITY_M_S = 0.05
#: Digital level of the 1 kHz sine cut at the reference velocity (engineer's choice;
#: domain notes: quiet masters calibrate near -4 dBFS, loud ones near -1 dBFS).
#: Provisional: the side checks calibrate the default against the guideline tables.
DEFAULT_REFERENCE_DBFS = -4.0
#: Base groove depth, um (domain notes: typically 25 um, never below about 12 um).
DEFAULT_BASE_DEPTH_UM = 25.0
#: Land between neighbouring grooves, um (domain notes: 10-25 um). Provisional.
DEFAULT_LAND_UM = 15.0
#: Conservative spherical playback stylus tip radius, um (domain notes).
DEFAULT_TIP_RADIUS_UM = 12.5
#: Corner of the DC blocker and of the integrator's leak, Hz (error -0.25 % at 20 Hz).
INTEGRATOR_CORNER_HZ = 1.0

_SQRT2 = math.sqrt(2.0)


# --- 45/45 stereo and level -------------------------------------------------------


def lateral_vertical(planar: NDArray[np.float64]) -> NDArray[np.float64]:
    """Map stereo to 45/45 groove motion: lateral (L+R)/sqrt2, vertical (L-R)/sqrt2.

    Parameters
    ----------
    planar
        Audio of shape (2, frames) (L, R); one channel is taken as mono.

    Returns
    -------
    numpy.ndarray
        Shape (2, frames): row 0 lateral, row 1 vertical (positive = up).
    """
    if planar.shape[0] == 1:
        planar = np.concatenate([planar, planar])
    left, right = planar[0], planar[1]
    motion = np.empty((2, planar.shape[1]))
    np.add(left, right, out=motion[0])
    np.subtract(left, right, out=motion[1])
    motion /= _SQRT2
    return motion


def velocity_scale(cut_level_db: float, reference_dbfs: float) -> float:
    """Return the groove velocity in m/s per unit of the lateral/vertical signal.

    A 1 kHz sine of amplitude ``10 ** (reference_dbfs / 20)`` in both channels has
    a lateral (mid) amplitude sqrt2 times that, and is cut at 5 cm/s peak lateral
    at ``cut_level_db = 0``; every dB of cut level is a dB of velocity.
    """
    amplitude = 10.0 ** (reference_dbfs / 20.0)
    return REFERENCE_VELOCITY_M_S * 10.0 ** (cut_level_db / 20.0) / (_SQRT2 * amplitude)


class DisplacementIntegrator:
    """Streaming velocity-to-displacement integrator with a DC block, for (channels, frames).

    The transfer function is an Al-Alaoui integrator (3/4 rectangular + 1/4
    trapezoidal rule: ``7 T / 8 (1 + z^-1 / 7) / (1 - z^-1)``, M. A. Al-Alaoui,
    Electronics Letters 29(4), 1993), whose magnitude follows 1 / (2 pi f) within
    2 % up to 15 kHz at 44.1 kHz (the rectangular rule is 9 % high at 10 kHz), with
    its pole pulled inside to ``a = exp(-2 pi fc / fs)`` and a first-order DC
    blocker ``(1 + a) / 2 (1 - z^-1) / (1 - a z^-1)`` in series. The zero at DC
    means no drift: a DC offset or a step in velocity decays instead of ramping.
    Response relative to 1 / (2 pi f): -0.25 % at 20 Hz, -1 % at 10 Hz (fc = 1 Hz).

    Parameters
    ----------
    sample_rate
        Sample rate in Hz.
    corner_hz
        Corner of the DC blocker and of the leak.
    """

    def __init__(self, sample_rate: float, corner_hz: float = INTEGRATOR_CORNER_HZ) -> None:
        a = math.exp(-2.0 * math.pi * corner_hz / sample_rate)
        gain = 7.0 / (8.0 * sample_rate) * (1.0 + a) / 2.0
        self.b = gain * np.convolve([1.0, -1.0], [1.0, 1.0 / 7.0])
        self.a = np.convolve([1.0, -a], [1.0, -a])
        self._zi: NDArray[np.float64] | None = None

    def process(self, velocity: NDArray[np.float64]) -> NDArray[np.float64]:
        """Integrate the next block of velocity (channels, frames); return displacement."""
        if self._zi is None or self._zi.shape[0] != velocity.shape[0]:
            self._zi = np.zeros((velocity.shape[0], 2))
        if velocity.shape[1] == 0:
            return np.zeros(velocity.shape)
        out, self._zi = iir.lfilter(self.b, self.a, velocity, self._zi)
        return np.asarray(out, dtype=np.float64)


# --- Geometry over time ------------------------------------------------------------


def revolution_seconds(rpm: float) -> float:
    """Return the time of one revolution in seconds (1.8 s at 33 1/3 rpm)."""
    return 60.0 / rpm


def revolutions(duration_s: float, rpm: float) -> int:
    """Return how many revolutions (started ones count) a side of ``duration_s`` takes."""
    return math.ceil(duration_s / revolution_seconds(rpm) - 1e-9)


def groove_speed(radius_mm: ArrayLike, rpm: float) -> NDArray[np.float64]:
    """Return the groove speed v = 2 pi r rpm / 60 in m/s at ``radius_mm``."""
    return np.asarray(2.0 * np.pi * np.asarray(radius_mm, dtype=np.float64) * 1e-3 * rpm / 60.0)


def radius_at_time(
    time_s: ArrayLike, pitch_um: ArrayLike, outer_radius_mm: float, rpm: float
) -> NDArray[np.float64]:
    """Return the radius (mm) under the cutter at ``time_s`` for a pitch per revolution.

    The radius falls linearly within a revolution by that revolution's pitch;
    after the last revolution it stays where the last one ended.
    """
    pitch = np.asarray(pitch_um, dtype=np.float64)
    boundaries = np.arange(pitch.size + 1) * revolution_seconds(rpm)
    radii = outer_radius_mm - np.concatenate([[0.0], np.cumsum(pitch)]) * 1e-3
    return np.asarray(np.interp(np.asarray(time_s, dtype=np.float64), boundaries, radii))


# --- Variable pitch and groove space ----------------------------------------------


@dataclass(frozen=True, eq=False)
class GroovePlan:
    """The spacing a variable-pitch lathe needs for a side, revolution by revolution.

    Attributes
    ----------
    pitch_um
        Spacing of each revolution from the next, um.
    radius_mm
        Radius at the start of each revolution, mm.
    space_mm
        Radial space the side uses (sum of the pitches), mm.
    band_mm
        Radial band available (outer minus inner radius), mm.
    fits
        Whether the space used is within the band.
    """

    pitch_um: NDArray[np.float64]
    radius_mm: NDArray[np.float64]
    space_mm: float
    band_mm: float
    fits: bool


def plan_pitch(
    lateral_um: ArrayLike,
    vertical_um: ArrayLike,
    outer_radius_mm: float,
    inner_radius_mm: float,
    base_depth_um: float = DEFAULT_BASE_DEPTH_UM,
    land_um: float = DEFAULT_LAND_UM,
) -> GroovePlan:
    """Space the revolutions of a side as a variable-pitch lathe would.

    Pitch of revolution i (domain notes, "Variable pitch")::

        pitch_i = 2 (base_depth + vertical_i) + lateral_i + lateral_(i+1) + land

    with a 90 degree groove (width = 2 x depth) and ``lateral_(n) = 0`` after the last.

    Parameters
    ----------
    lateral_um
        Peak |lateral excursion| of each revolution, um.
    vertical_um
        Peak vertical excursion of each revolution (larger of up and down), um.
    outer_radius_mm, inner_radius_mm
        Radii of the start of the modulated area and of the last groove, mm.
    base_depth_um
        Groove depth without vertical modulation, um.
    land_um
        Unmodulated wall left between neighbouring grooves, um.

    Returns
    -------
    GroovePlan
        Pitch and radius per revolution, space used, band and whether it fits.
    """
    lateral = np.asarray(lateral_um, dtype=np.float64)
    vertical = np.asarray(vertical_um, dtype=np.float64)
    if lateral.shape != vertical.shape or lateral.ndim != 1:
        raise ValueError("lateral_um and vertical_um must be 1-D arrays of equal length")
    neighbour = np.append(lateral[1:], 0.0)
    pitch = 2.0 * (base_depth_um + vertical) + lateral + neighbour + land_um
    radius = outer_radius_mm - np.concatenate([[0.0], np.cumsum(pitch)[:-1]]) * 1e-3
    space = float(pitch.sum()) * 1e-3
    band = outer_radius_mm - inner_radius_mm
    return GroovePlan(pitch, radius, space, band, space <= band)


def highest_fitting_cut_level(
    lateral_um: ArrayLike,
    vertical_um: ArrayLike,
    cut_level_db: float,
    outer_radius_mm: float,
    inner_radius_mm: float,
    base_depth_um: float = DEFAULT_BASE_DEPTH_UM,
    land_um: float = DEFAULT_LAND_UM,
    lowest_db: float = -40.0,
    highest_db: float = 40.0,
    tolerance_db: float = 1e-3,
) -> float | None:
    """Return the highest cut level (dB) at which the side fits its band.

    Excursions scale linearly with level (``10 ** (delta / 20)``), so the
    excursions measured at ``cut_level_db`` are rescaled and the space is solved by
    bisection to ``tolerance_db`` (the answer always fits).

    Parameters
    ----------
    lateral_um, vertical_um
        Peak excursions per revolution measured at ``cut_level_db``, um.
    cut_level_db
        The cut level the excursions were measured at.
    outer_radius_mm, inner_radius_mm, base_depth_um, land_um
        As for :func:`plan_pitch`.
    lowest_db, highest_db
        Search range.
    tolerance_db
        Width of the final bracket.

    Returns
    -------
    float or None
        The level; ``highest_db`` if even that fits; ``None`` if not even
        ``lowest_db`` fits (the unmodulated grooves alone overflow the band).
    """
    lateral = np.asarray(lateral_um, dtype=np.float64)
    vertical = np.asarray(vertical_um, dtype=np.float64)

    def fits(level_db: float) -> bool:
        gain = 10.0 ** ((level_db - cut_level_db) / 20.0)
        plan = plan_pitch(
            gain * lateral,
            gain * vertical,
            outer_radius_mm,
            inner_radius_mm,
            base_depth_um,
            land_um,
        )
        return plan.fits

    if not fits(lowest_db):
        return None
    if fits(highest_db):
        return highest_db
    low, high = lowest_db, highest_db
    while high - low > tolerance_db:
        middle = 0.5 * (low + high)
        if fits(middle):
            low = middle
        else:
            high = middle
    return low


# --- Playback and cutter limits ----------------------------------------------------


def min_curvature_radius_um(
    peak_velocity_m_s: ArrayLike, frequency_hz: ArrayLike, groove_speed_m_s: ArrayLike
) -> NDArray[np.float64]:
    """Return the minimum radius of curvature (um) of a sine groove: v^2 / (2 pi f V)."""
    v = np.asarray(groove_speed_m_s, dtype=np.float64)
    velocity = np.asarray(peak_velocity_m_s, dtype=np.float64)
    with np.errstate(divide="ignore"):
        radius = v**2 / (2.0 * np.pi * np.asarray(frequency_hz) * velocity)
    return np.asarray(radius * 1e6)


def max_traceable_velocity(
    frequency_hz: ArrayLike,
    radius_mm: ArrayLike,
    rpm: float,
    tip_radius_um: float = DEFAULT_TIP_RADIUS_UM,
) -> NDArray[np.float64]:
    """Return the highest peak velocity (m/s) a stylus can trace at ``frequency_hz``.

    From v^2 / (2 pi f V) >= r: V_max = v^2 / (2 pi f r), with v the groove speed
    at ``radius_mm`` (12" 33 1/3 at 60.3 mm, 10 kHz, 12.5 um: about 5.6 cm/s).
    """
    v = groove_speed(radius_mm, rpm)
    return np.asarray(v**2 / (2.0 * np.pi * np.asarray(frequency_hz) * tip_radius_um * 1e-6))


def cutter_slope(
    peak_velocity_m_s: ArrayLike, radius_mm: ArrayLike, rpm: float
) -> NDArray[np.float64]:
    """Return the groove slope V / v; above 1 the cutter's back facet hits the groove wall."""
    return np.asarray(
        np.asarray(peak_velocity_m_s, dtype=np.float64) / groove_speed(radius_mm, rpm)
    )


# --- Streaming meter ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RevolutionRecord:
    """Peak groove motion during one revolution of the side.

    Attributes
    ----------
    index
        Revolution number from 0 (the first revolution of the side).
    start_s
        Time on the side where the revolution starts, s.
    lateral_um
        Peak |lateral displacement|, um.
    vertical_up_um, vertical_down_um
        Peak upward (shallower, lift-off) and downward (deeper) displacement, um (>= 0).
    lateral_velocity_m_s, vertical_velocity_m_s
        Peak |lateral| and |vertical| velocity, m/s (read at the sample rate: no
        oversampling, so inter-sample peaks of the top octave are missed).
    """

    index: int
    start_s: float
    lateral_um: float
    vertical_up_um: float
    vertical_down_um: float
    lateral_velocity_m_s: float
    vertical_velocity_m_s: float

    @property
    def vertical_um(self) -> float:
        """Return the larger of the upward and downward excursions, um (sets the groove width)."""
        return max(self.vertical_up_um, self.vertical_down_um)


class GrooveMeter:
    """Streaming groove simulation: per-revolution peak excursions and velocities.

    RIAA pre-emphasis, 45/45 matrix, velocity scaling for the cut level, then
    the displacement integrator; every revolution (``60 / rpm`` s, boundaries at
    ``round(k * fs * 60 / rpm)`` so they do not drift) yields one
    :class:`RevolutionRecord`. State carries across blocks, so the records do not
    depend on the block size, and memory is one record per revolution.

    Parameters
    ----------
    sample_rate
        Sample rate in Hz.
    rpm
        Turntable speed (100 / 3 for 33 1/3).
    cut_level_db
        Cut level, dB relative to 5 cm/s peak lateral at 1 kHz for ``reference_dbfs``.
    reference_dbfs
        Digital level of the 1 kHz sine cut at the reference velocity.
    base_depth_um, land_um
        Groove depth and land used by :meth:`plan`.
    neumann
        Use the RIAA curve with the 3.18 us pole (see :mod:`vinyl.riaa`).
    """

    def __init__(
        self,
        sample_rate: int,
        rpm: float,
        cut_level_db: float = 0.0,
        reference_dbfs: float = DEFAULT_REFERENCE_DBFS,
        base_depth_um: float = DEFAULT_BASE_DEPTH_UM,
        land_um: float = DEFAULT_LAND_UM,
        neumann: bool = False,
    ) -> None:
        self.sample_rate = sample_rate
        self.rpm = rpm
        self.cut_level_db = cut_level_db
        self.base_depth_um = base_depth_um
        self.land_um = land_um
        self._scale = velocity_scale(cut_level_db, reference_dbfs)
        self._riaa = RiaaFilter(sample_rate, neumann)
        self._integrator = DisplacementIntegrator(sample_rate)
        self._frames_per_revolution = sample_rate * revolution_seconds(rpm)
        self._position = 0
        self._revolution = 0
        # Running maxima of the current revolution: |x|, up, down, |v_lat|, |v_vert| (SI).
        self._peaks = np.zeros(5)
        self._frames_in_revolution = 0
        self._records: list[RevolutionRecord] = []

    @property
    def records(self) -> tuple[RevolutionRecord, ...]:
        """The completed revolutions so far."""
        return tuple(self._records)

    def _boundary(self, revolution: int) -> int:
        """First frame of ``revolution``."""
        return round(revolution * self._frames_per_revolution)

    def process(self, planar: NDArray[np.float64]) -> None:
        """Meter the next block of audio, shape (2, frames) (L, R), full scale 1.0."""
        self.process_lateral_vertical(lateral_vertical(planar))

    def process_lateral_vertical(self, motion: NDArray[np.float64]) -> None:
        """Meter the next block given as lateral and vertical (:func:`lateral_vertical`).

        The same as :meth:`process` on the L/R block (every filter here is linear
        and time-invariant, so it commutes with the 45/45 matrix); lets several
        meters share one matrix.
        """
        frames = motion.shape[1]
        if frames == 0:
            return
        velocity = self._riaa.process(motion) * self._scale
        displacement = self._integrator.process(velocity)
        start = self._position
        position = start
        end = start + frames
        while position < end:
            stop = min(end, self._boundary(self._revolution + 1))
            x = displacement[:, position - start : stop - start]
            v = velocity[:, position - start : stop - start]
            segment = np.array(
                [
                    np.abs(x[0]).max(),
                    x[1].max(),
                    -x[1].min(),
                    np.abs(v[0]).max(),
                    np.abs(v[1]).max(),
                ]
            )
            np.maximum(self._peaks, segment, out=self._peaks)
            self._frames_in_revolution += stop - position
            position = stop
            if stop == self._boundary(self._revolution + 1):
                self._close_revolution()
        self._position = end

    def finish(self) -> tuple[RevolutionRecord, ...]:
        """Close the last, partial revolution (if any) and return all records."""
        if self._frames_in_revolution:
            self._close_revolution()
        return self.records

    def _close_revolution(self) -> None:
        lateral, up, down, v_lateral, v_vertical = (float(p) for p in self._peaks)
        self._records.append(
            RevolutionRecord(
                index=self._revolution,
                start_s=self._boundary(self._revolution) / self.sample_rate,
                lateral_um=lateral * 1e6,
                vertical_up_um=max(up, 0.0) * 1e6,
                vertical_down_um=max(down, 0.0) * 1e6,
                lateral_velocity_m_s=v_lateral,
                vertical_velocity_m_s=v_vertical,
            )
        )
        self._revolution += 1
        self._peaks[:] = 0.0
        self._frames_in_revolution = 0

    def excursions(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Return per-revolution peak lateral and vertical (larger of up/down) excursions, um."""
        lateral = np.array([r.lateral_um for r in self._records])
        vertical = np.array([r.vertical_um for r in self._records])
        return lateral, vertical

    def plan(self, outer_radius_mm: float, inner_radius_mm: float) -> GroovePlan:
        """Space the completed revolutions with this meter's depth and land (:func:`plan_pitch`)."""
        lateral, vertical = self.excursions()
        return plan_pitch(
            lateral, vertical, outer_radius_mm, inner_radius_mm, self.base_depth_um, self.land_um
        )
