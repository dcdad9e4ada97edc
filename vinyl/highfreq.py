"""Sibilance and high-frequency limits: a streaming burst meter and its physical rating.

Why (``shared/domain/vinyl.md``, "Limits a checker can compute", items 5-7): the
RIAA recording curve adds +13 dB or more above 8 kHz, so esses, hats and cymbals
(4-12 kHz) become fast groove motion. Two limits follow from the groove speed
v = 2 pi r rpm / 60, which shrinks towards the label, so the same burst can pass
at the start of a side and fail at its end:

- tracing: a sine of peak velocity V at f has minimum radius of curvature
  v^2 / (2 pi f V); a playback stylus of tip radius r follows it while that is
  >= r, i.e. V <= V_max = v^2 / (2 pi f r) (:func:`vinyl.groove.max_traceable_velocity`);
- cutter slope: V above v makes the cutter's back facet hit the groove wall
  (:func:`vinyl.groove.cutter_slope`).

The meter finds bursts of 4-12 kHz energy by contrast with a running median and
records, per burst, the peak RIAA-weighted lateral and vertical velocity of the
band-passed signal and the frequency to rate it at. :func:`highfreq_findings`
rates each burst at the radius where it lands.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray
from scipy import signal as sps

from sequencer import iir
from sequencer.findings import CodeInfo, Finding, Severity, format_clock
from sequencer.session import Session
from sequencer.timeline import Timeline
from vinyl.formats import DiscFormat
from vinyl.groove import (
    DEFAULT_REFERENCE_DBFS,
    DEFAULT_TIP_RADIUS_UM,
    groove_speed,
    lateral_vertical,
    max_traceable_velocity,
    velocity_scale,
)
from vinyl.lowend import side_location
from vinyl.riaa import RiaaFilter

__all__ = [
    "BURST_CONTRAST_DB",
    "DEFAULT_BAND_HZ",
    "FLOOR_DBFS",
    "HF_CODES",
    "HOT_DBFS",
    "TRACING_ERROR_DB",
    "BurstRating",
    "HighFrequencyBurst",
    "HighFrequencyMeter",
    "HighFrequencyResult",
    "highfreq_findings",
    "rate_burst",
]

#: The band of esses, hats and cymbals, Hz (domain notes item 7: 4-12 kHz).
DEFAULT_BAND_HZ = (4000.0, 12000.0)
#: Window of the band level, s (about one "s" consonant is 5-10 windows).
DEFAULT_WINDOW_S = 0.02
#: Step of the tracing-demand curve kept for plots, s.
CURVE_STEP_S = 0.5
#: A window this far above the running median of the band level is part of a burst, dB.
BURST_CONTRAST_DB = 10.0
#: ... when the band level (mean square over both channels) is also above this, dBFS.
FLOOR_DBFS = -45.0
#: A band level above this is an event without contrast (sustained bright material), dBFS.
HOT_DBFS = -20.0
#: Length of the running median (the preceding windows), s.
MEDIAN_S = 1.0
#: The median needs at least this much history; before that only ``HOT_DBFS`` applies, s.
MIN_HISTORY_S = 0.1
#: Flagged windows up to this far apart merge into one burst, s.
MERGE_GAP_S = 0.04
#: A longer event is split, so that each part is rated at its own radius, s.
MAX_BURST_S = 1.0
#: Flagged bursts of one track less than this apart make one finding, s.
GROUP_GAP_S = 3.0
#: How many bursts the result keeps (the most demanding for tracing, V x f).
MAX_BURSTS = 500
#: Beyond the tracing limit of the conservative 12.5 um tip by more than this, the
#: finding is an error: an elliptical tip (7.6 um) traces 20 log10(12.5 / 7.6) =
#: 4.3 dB more velocity, so within 3 dB most modern styli still play it, and 3 dB
#: covers the error of reading peaks at the sample rate. dB.
TRACING_ERROR_DB = 3.0
#: Bursts within this of the tracing limit (but under it) are reported as information:
#: the passage is safe where it lands, and would not be much further in, dB.
NEAR_LIMIT_DB = 10.0
_EPS = 1e-30

_CODE_LIST = (
    CodeInfo(
        "VINYL-HF-NEAR-LIMIT",
        Severity.INFO,
        "High-frequency bursts close to the tracing limit",
        "Sibilance, hats or cymbals that trace where they land on the side, with little "
        "margin: moved further in (towards the label) they would distort. Keep the track "
        "early on the side, or de-ess.",
    ),
    CodeInfo(
        "VINYL-HF-TRACING",
        Severity.WARNING,
        "High-frequency burst beyond the tracing limit",
        "At the groove speed where this passage lands, the groove bends more sharply than "
        "a playback stylus can follow: it distorts (a spitting 's'). The inner grooves are "
        "slower, so the same passage is safe early on a side and not at its end. Beyond "
        "the limit by more than 3 dB the finding is an error.",
    ),
    CodeInfo(
        "VINYL-HF-SLOPE",
        Severity.ERROR,
        "High-frequency burst beyond the cutter slope",
        "The groove's velocity exceeds the groove speed: the cutter's back facet would cut "
        "into the groove wall. The lathe's limiter would distort or the cut fails.",
    ),
)

#: Codes of this module with their titles and explanations (pattern of ``sequencer.findings``).
HF_CODES: Mapping[str, CodeInfo] = MappingProxyType({i.code: i for i in _CODE_LIST})


@dataclass(frozen=True, slots=True)
class HighFrequencyBurst:
    """One burst of band energy and the groove motion it makes.

    Attributes
    ----------
    start_s, end_s
        Where the burst starts and ends on the side, s.
    level_dbfs
        Highest window band level (mean square over both channels), dBFS.
    lateral_velocity_m_s, vertical_velocity_m_s
        Peak RIAA-weighted velocity of the band, lateral (mid) and vertical (side), m/s.
    lateral_frequency_hz, vertical_frequency_hz
        Frequency to rate each at: the RMS frequency of that velocity over the
        burst (exact for a sine; for noise sigma_a / (2 pi sigma_V), see
        :func:`_rms_frequency`). ``0`` when silent.
    """

    start_s: float
    end_s: float
    level_dbfs: float
    lateral_velocity_m_s: float
    vertical_velocity_m_s: float
    lateral_frequency_hz: float
    vertical_frequency_hz: float

    @property
    def demand(self) -> float:
        """Tracing demand V x f (the inverse of the curvature radius up to v^2 / 2 pi)."""
        return max(
            self.lateral_velocity_m_s * self.lateral_frequency_hz,
            self.vertical_velocity_m_s * self.vertical_frequency_hz,
        )


@dataclass(frozen=True)
class HighFrequencyResult:
    """What :class:`HighFrequencyMeter` found over a programme.

    Attributes
    ----------
    sample_rate
        Sample rate, Hz.
    band_hz
        The band, Hz.
    cut_level_db, reference_dbfs
        The level the velocities were computed at.
    bursts
        The bursts kept (at most ``max_bursts``, the most demanding), in time order.
    count
        How many bursts were found in all.
    curve_step_s
        Time between two values of ``demand_curve``, s.
    demand_curve
        The highest tracing demand V x f (m/s x Hz, see :attr:`HighFrequencyBurst.demand`)
        of any window in each step, from the programme start: divided by
        v^2 / (2 pi r_tip) it is the share of the tracing limit used (for plots).
    """

    sample_rate: int
    band_hz: tuple[float, float]
    cut_level_db: float
    reference_dbfs: float
    bursts: tuple[HighFrequencyBurst, ...]
    count: int
    curve_step_s: float = 0.5
    demand_curve: tuple[float, ...] = ()


def _row_medians(rows: NDArray[np.float64]) -> NDArray[np.float64]:
    """Return the median of each row, exactly as ``np.median(rows, axis=1)`` (no NaN)."""
    width = rows.shape[1]
    middle = width // 2
    if width % 2:
        return np.partition(rows, middle, axis=1)[:, middle]
    parted = np.partition(rows, (middle - 1, middle), axis=1)
    return (parted[:, middle - 1] + parted[:, middle]) / 2.0


class HighFrequencyMeter:
    """Streaming burst finder for the high band, with RIAA-weighted groove velocity.

    Chain: 4th-order Butterworth band-pass (8 poles) on L and R; RIAA recording
    pre-emphasis (:class:`vinyl.riaa.RiaaFilter`, fitted to the analog curve);
    45/45 (lateral = mid, vertical = side); velocity in m/s with
    :func:`vinyl.groove.velocity_scale`, so that a 1 kHz sine at
    ``reference_dbfs`` is 5 cm/s at ``cut_level_db = 0``. Per window (aligned
    to the programme start) the band level, the peak |velocity| per plane and
    the energies of the velocity and of its first difference are kept; a window
    belongs to a burst when its band level is ``contrast_db`` above the median
    of the preceding ``MEDIAN_S`` and above ``floor_dbfs``, or above
    ``hot_dbfs``. Filter states, the partial window and the median's history
    carry across blocks: the block size does not change the result. Peaks are
    read at the sample rate (as :class:`vinyl.groove.GrooveMeter`; a few percent
    low at worst in this band, inside the warning margin of the tracing check).

    Parameters
    ----------
    sample_rate
        Sample rate in Hz.
    band
        Lower and upper edge of the band, Hz (the upper is capped at 0.45 fs).
    window_s
        Window of the band level.
    cut_level_db
        Cut level, dB relative to 5 cm/s at 1 kHz for ``reference_dbfs``.
    reference_dbfs
        Digital level of the 1 kHz sine cut at the reference velocity.
    contrast_db, floor_dbfs, hot_dbfs
        Burst criteria (see :data:`BURST_CONTRAST_DB`, :data:`FLOOR_DBFS`, :data:`HOT_DBFS`).
    max_bursts
        How many bursts to keep.
    """

    def __init__(
        self,
        sample_rate: int,
        band: tuple[float, float] = DEFAULT_BAND_HZ,
        window_s: float = DEFAULT_WINDOW_S,
        cut_level_db: float = 0.0,
        reference_dbfs: float = DEFAULT_REFERENCE_DBFS,
        contrast_db: float = BURST_CONTRAST_DB,
        floor_dbfs: float = FLOOR_DBFS,
        hot_dbfs: float | None = HOT_DBFS,
        max_bursts: int = MAX_BURSTS,
    ) -> None:
        low, high = band[0], min(band[1], 0.45 * sample_rate)
        if not 0.0 < low < high:
            raise ValueError("band must be (low, high) with 0 < low < high < 0.45 fs")
        self.sample_rate = sample_rate
        self.band = (float(low), float(high))
        self.cut_level_db = cut_level_db
        self.reference_dbfs = reference_dbfs
        self.contrast_db = contrast_db
        self.floor_dbfs = floor_dbfs
        self.hot_dbfs = hot_dbfs
        self.max_bursts = max_bursts
        self._window = max(1, round(window_s * sample_rate))
        self._sos = sps.butter(4, [low, high], btype="bandpass", fs=sample_rate, output="sos")
        self._zi = np.zeros((self._sos.shape[0], 2, 2))
        self._riaa = RiaaFilter(sample_rate)
        self._scale = velocity_scale(cut_level_db, reference_dbfs)
        self._median_windows = max(1, round(MEDIAN_S * sample_rate / self._window))
        self._min_history = max(1, round(MIN_HISTORY_S * sample_rate / self._window))
        self._merge_windows = max(0, round(MERGE_GAP_S * sample_rate / self._window))
        self._max_windows = max(1, round(MAX_BURST_S * sample_rate / self._window))
        # Samples of the partial window: band (2, n) and velocity (2, n).
        self._pending_band = np.zeros((2, 0))
        self._pending_velocity = np.zeros((2, 0))
        # Last velocity sample per plane (first differences across blocks).
        self._last_velocity = np.zeros(2)
        self._history = np.full(self._median_windows, np.nan)
        self._windows_done = 0
        self._open: dict[str, float] | None = None
        # The strongest bursts as a min-heap on (demand, sequence): the weakest pops first.
        self._bursts: list[tuple[float, int, HighFrequencyBurst]] = []
        self._count = 0
        # Demand curve: windows per step, the running maximum of the open step.
        self._curve_windows = max(1, round(CURVE_STEP_S * sample_rate / self._window))
        self._curve: list[float] = []
        self._curve_open = 0.0

    def process(self, planar: NDArray[np.float64]) -> None:
        """Meter the next block, shape (2, frames) (L, R), full scale 1.0."""
        self.process_lateral_vertical(lateral_vertical(planar))

    def process_lateral_vertical(self, motion: NDArray[np.float64]) -> None:
        """Meter the next block given as lateral and vertical (:func:`lateral_vertical`).

        The same as :meth:`process` on the L/R block: the filters are linear and
        the same on both channels, and the 45/45 matrix is orthonormal, so the band
        power over both channels is unchanged.
        """
        if motion.shape[1] == 0:
            return
        band, self._zi = iir.sosfilt(self._sos, motion, self._zi)
        velocity = self._riaa.process(band)
        velocity *= self._scale
        # The partial window carried from the last block is completed on its own, so
        # that the block's whole windows are measured in place (no copy of the block);
        # the judging then runs once over all the block's windows.
        measured = []
        pending = self._pending_band.shape[1]
        head = min(self._window - pending, band.shape[1]) if pending else 0
        if pending:
            band_head = np.concatenate([self._pending_band, band[:, :head]], axis=1)
            velocity_head = np.concatenate([self._pending_velocity, velocity[:, :head]], axis=1)
            if band_head.shape[1] < self._window:
                self._pending_band, self._pending_velocity = band_head, velocity_head
                return
            measured.append(self._measure(band_head, velocity_head))
        whole = head + (band.shape[1] - head) // self._window * self._window
        self._pending_band = band[:, whole:].copy()
        self._pending_velocity = velocity[:, whole:].copy()
        if whole > head:
            measured.append(self._measure(band[:, head:whole], velocity[:, head:whole]))
        if not measured:
            return
        if len(measured) == 1:
            self._judge(*measured[0])
        else:
            self._judge(*(np.concatenate(parts, axis=-1) for parts in zip(*measured, strict=True)))

    def _measure(
        self, band: NDArray[np.float64], velocity: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """Measure whole windows: the band level (n,), and per plane (2, n).

        Per plane: the velocity's peak, its energy and the energy of its first difference.
        """
        n = band.shape[1] // self._window
        shaped = band.reshape(2, n, self._window)
        power = np.einsum("cnw,cnw->n", shaped, shaped) / (2 * self._window)
        levels = 10.0 * np.log10(np.maximum(power, _EPS))
        v = velocity.reshape(2, n, self._window)
        peaks = np.maximum(v.max(axis=2), -v.min(axis=2))  # the largest |v|, without a copy
        # First differences; the sample before the block is carried, so they span blocks.
        difference = np.empty_like(velocity)
        np.subtract(velocity[:, :1], self._last_velocity[:, None], out=difference[:, :1])
        np.subtract(velocity[:, 1:], velocity[:, :-1], out=difference[:, 1:])
        self._last_velocity = velocity[:, -1].copy()
        energy = np.einsum("cnw,cnw->cn", v, v)
        d = difference.reshape(2, n, self._window)
        difference_energy = np.einsum("cnw,cnw->cn", d, d)
        return levels, peaks, energy, difference_energy

    def _judge(
        self,
        levels: NDArray[np.float64],
        peaks: NDArray[np.float64],
        energy: NDArray[np.float64],
        difference_energy: NDArray[np.float64],
    ) -> None:
        """Compare measured windows with the running median; feed the burst logic."""
        n = levels.size
        # Running median of the preceding windows (causal), with the carried history.
        joined = np.concatenate([self._history, levels])
        view = sliding_window_view(joined, self._median_windows)[:n]
        if not np.isnan(self._history).any():  # a full history (all but the first second)
            valid = np.full(n, self._median_windows)
            medians = _row_medians(view)  # the same values as np.median, faster
        else:
            valid = np.count_nonzero(~np.isnan(view), axis=1)
            # Rows with no history yet have no median (and are never flagged); leaving
            # them out spares nanmedian's warning (catching it is not thread-safe).
            medians = np.full(n, np.nan)
            some = valid > 0
            if some.any():
                medians[some] = np.nanmedian(view[some], axis=1)
        self._history = joined[-self._median_windows :].copy()
        flagged = (
            (valid >= self._min_history)
            & (levels > medians + self.contrast_db)
            & (levels > self.floor_dbfs)
        )
        if self.hot_dbfs is not None:
            flagged |= levels > self.hot_dbfs
        self._extend_curve(peaks, energy, difference_energy)
        for i in range(n):
            if flagged[i] or self._open is not None:
                self._step(
                    bool(flagged[i]),
                    float(levels[i]),
                    peaks[:, i],
                    energy[:, i],
                    difference_energy[:, i],
                )
            self._windows_done += 1

    def _step(
        self,
        flagged: bool,
        level: float,
        peaks: NDArray[np.float64],
        energy: NDArray[np.float64],
        difference_energy: NDArray[np.float64],
    ) -> None:
        """Advance the open burst by one window (index ``self._windows_done``)."""
        index = self._windows_done
        burst = self._open
        if burst is not None and not flagged and index - burst["last"] > self._merge_windows:
            self._close()
            return
        if burst is not None and flagged and index - burst["first"] >= self._max_windows:
            self._close()
            burst = None
        if burst is None:
            if not flagged:
                return
            burst = self._open = {
                "first": index,
                "last": index,
                "level": level,
                "lat": 0.0,
                "vert": 0.0,
                "lat_e": 0.0,
                "vert_e": 0.0,
                "lat_d": 0.0,
                "vert_d": 0.0,
            }
        if not flagged:
            # A gap window inside the merge distance: counted only if the burst resumes.
            return
        # Windows between the last flagged one and this one join the burst's span.
        burst["last"] = index
        burst["level"] = max(burst["level"], level)
        burst["lat"] = max(burst["lat"], float(peaks[0]))
        burst["vert"] = max(burst["vert"], float(peaks[1]))
        burst["lat_e"] += float(energy[0])
        burst["vert_e"] += float(energy[1])
        burst["lat_d"] += float(difference_energy[0])
        burst["vert_d"] += float(difference_energy[1])

    def _close(self) -> None:
        burst = self._open
        self._open = None
        if burst is None:
            return
        rate = self.sample_rate
        record = HighFrequencyBurst(
            start_s=burst["first"] * self._window / rate,
            end_s=(burst["last"] + 1) * self._window / rate,
            level_dbfs=burst["level"],
            lateral_velocity_m_s=burst["lat"],
            vertical_velocity_m_s=burst["vert"],
            lateral_frequency_hz=_rms_frequency(burst["lat_d"], burst["lat_e"], rate),
            vertical_frequency_hz=_rms_frequency(burst["vert_d"], burst["vert_e"], rate),
        )
        self._count += 1
        heapq.heappush(self._bursts, (record.demand, self._count, record))
        if len(self._bursts) > self.max_bursts:
            heapq.heappop(self._bursts)

    def _extend_curve(
        self,
        peaks: NDArray[np.float64],
        energy: NDArray[np.float64],
        difference_energy: NDArray[np.float64],
    ) -> None:
        """Add whole windows' tracing demand to the per-step maximum curve."""
        with np.errstate(divide="ignore", invalid="ignore"):
            half_ratio = np.minimum(1.0, np.sqrt(difference_energy / energy) / 2.0)
        frequency = np.where(energy > 0.0, self.sample_rate / np.pi * np.arcsin(half_ratio), 0.0)
        weighted = peaks * frequency
        demand = np.fmax(np.fmax(weighted[0], weighted[1]), 0.0)  # NaN (no energy) counts as 0
        for index, value in enumerate(demand.tolist(), start=self._windows_done):
            self._curve_open = max(self._curve_open, value)
            if (index + 1) % self._curve_windows == 0:
                self._curve.append(self._curve_open)
                self._curve_open = 0.0

    def result(self) -> HighFrequencyResult:
        """Return the bursts so far; a burst still open is closed (call at the end)."""
        if self._open is not None:
            self._close()
        curve = list(self._curve)
        if self._windows_done % self._curve_windows:
            curve.append(self._curve_open)
        return HighFrequencyResult(
            sample_rate=self.sample_rate,
            band_hz=self.band,
            cut_level_db=self.cut_level_db,
            reference_dbfs=self.reference_dbfs,
            bursts=tuple(sorted((b[2] for b in self._bursts), key=lambda b: b.start_s)),
            count=self._count,
            curve_step_s=self._curve_windows * self._window / self.sample_rate,
            demand_curve=tuple(curve),
        )


def _rms_frequency(difference_energy: float, energy: float, sample_rate: float) -> float:
    """Return the RMS frequency of a signal from its energy and its first difference's.

    For a sine of frequency f, x[n] - x[n-1] has 4 sin^2(pi f / fs) times the
    energy of x, so f = fs / pi * arcsin(sqrt(ratio) / 2) is exact for a sine
    (no finite-difference error); for noise it is the RMS frequency of the
    spectrum, sigma_a / (2 pi sigma_V) (S. O. Rice, "Mathematical analysis of
    random noise", BSTJ 24, 1945, eq. 3.3-11: the zero-crossing rate), which ties
    the peak velocity to the acceleration that sets the groove's curvature.
    """
    if energy <= 0.0:
        return 0.0
    half_ratio = min(1.0, math.sqrt(difference_energy / energy) / 2.0)
    return sample_rate / math.pi * math.asin(half_ratio)


# --------------------------------------------------------------------------- rating


@dataclass(frozen=True)
class BurstRating:
    """A burst judged at a radius.

    Attributes
    ----------
    radius_mm
        Radius where the burst lands (its end, the smaller radius), mm.
    groove_speed_m_s
        Groove speed there, m/s.
    plane
        ``"lateral"`` or ``"vertical"``: the plane nearer its tracing limit.
    velocity_m_s, frequency_hz
        That plane's peak velocity and frequency.
    traceable_m_s
        Highest traceable velocity at that frequency and radius, m/s.
    tracing_db
        20 log10(velocity / traceable): above 0 the stylus cannot follow.
    slope
        Peak velocity (either plane) over the groove speed: above 1 the cutter's back facet hits.
    """

    radius_mm: float
    groove_speed_m_s: float
    plane: str
    velocity_m_s: float
    frequency_hz: float
    traceable_m_s: float
    tracing_db: float
    slope: float


def rate_burst(
    burst: HighFrequencyBurst,
    radius_mm: float,
    rpm: float,
    tip_radius_um: float = DEFAULT_TIP_RADIUS_UM,
) -> BurstRating:
    """Rate a burst at a radius against the tracing and cutter-slope limits.

    Parameters
    ----------
    burst
        The burst.
    radius_mm
        Radius where it lands, mm.
    rpm
        Turntable speed.
    tip_radius_um
        Playback stylus tip radius, um (12.5 spherical, conservative).

    Returns
    -------
    BurstRating
        Both limits at that radius.
    """
    speed = float(groove_speed(radius_mm, rpm))
    planes = (
        ("lateral", burst.lateral_velocity_m_s, burst.lateral_frequency_hz),
        ("vertical", burst.vertical_velocity_m_s, burst.vertical_frequency_hz),
    )
    best: tuple[float, str, float, float, float] | None = None
    for name, velocity, frequency in planes:
        if velocity <= 0.0 or frequency <= 0.0:
            continue
        traceable = float(max_traceable_velocity(frequency, radius_mm, rpm, tip_radius_um))
        ratio_db = 20.0 * math.log10(velocity / traceable)
        if best is None or ratio_db > best[0]:
            best = (ratio_db, name, velocity, frequency, traceable)
    if best is None:
        best = (-math.inf, "lateral", 0.0, 0.0, math.inf)
    peak = max(burst.lateral_velocity_m_s, burst.vertical_velocity_m_s)
    return BurstRating(
        radius_mm=radius_mm,
        groove_speed_m_s=speed,
        plane=best[1],
        velocity_m_s=best[2],
        frequency_hz=best[3],
        traceable_m_s=best[4],
        tracing_db=best[0],
        slope=peak / speed,
    )


_ADVICE = (
    "De-ess the passage (or tame the hats and cymbals around {khz:.0f} kHz), move the track "
    "earlier on the side where the groove is faster, or cut the side at a lower level."
)


def highfreq_findings(
    result: HighFrequencyResult,
    *,
    side: str,
    timeline: Timeline,
    session: Session,
    disc_format: DiscFormat,
    radius_at: Callable[[float], float],
    rpm: float | None = None,
    tip_radius_um: float = DEFAULT_TIP_RADIUS_UM,
    tracing_error_db: float = TRACING_ERROR_DB,
) -> list[Finding]:
    """Rate each burst where it lands on the side: tracing and cutter-slope limits.

    Parameters
    ----------
    result
        The side's :class:`HighFrequencyResult`.
    side
        Side name.
    timeline
        The side's timeline.
    session
        The session (track titles).
    disc_format
        The disc format (its name; its speed unless ``rpm`` is given).
    radius_at
        Radius (mm) under the stylus at a time on the side (s), e.g. from the
        groove plan (:func:`vinyl.groove.radius_at_time`).
    rpm
        Turntable speed; ``disc_format.rpm`` by default.
    tip_radius_um
        Playback stylus tip radius, um.
    tracing_error_db
        Beyond the tracing limit by more than this, the finding is an error.

    Returns
    -------
    list of Finding
        ``VINYL-HF-TRACING`` (warning; error beyond ``tracing_error_db``) and
        ``VINYL-HF-SLOPE`` (error); each burst is rated at the radius of its end,
        and flagged bursts of one track less than ``GROUP_GAP_S`` apart make one
        finding (at the first one's start, with the worst one's figures).
    """
    speed = disc_format.rpm if rpm is None else rpm
    slope: list[tuple[HighFrequencyBurst, BurstRating, float]] = []
    tracing: list[tuple[HighFrequencyBurst, BurstRating, float]] = []
    near: list[tuple[HighFrequencyBurst, BurstRating, float]] = []
    for burst in result.bursts:
        rating = rate_burst(burst, float(radius_at(burst.end_s)), speed, tip_radius_um)
        if rating.slope > 1.0:
            slope.append((burst, rating, rating.slope))
        if rating.tracing_db > 0.0:
            tracing.append((burst, rating, rating.tracing_db))
        elif rating.tracing_db > -NEAR_LIMIT_DB:
            near.append((burst, rating, rating.tracing_db))
    findings: list[Finding] = []
    for group in _groups(near, timeline):
        burst, rating, worst_db = max(group, key=lambda item: item[2])
        findings.append(
            _finding(
                "VINYL-HF-NEAR-LIMIT",
                Severity.INFO,
                f"Side {side}: {_bursts_text(group)}: {-worst_db:.1f} dB under what a "
                f"{tip_radius_um:g} um stylus follows here "
                f"(worst at {format_clock(burst.start_s)}: "
                f"{rating.frequency_hz / 1000:.1f} kHz, {100 * rating.velocity_m_s:.1f} cm/s "
                f"against {100 * rating.traceable_m_s:.1f} cm/s at {rating.radius_mm:.1f} mm).",
                _advice(rating),
                side=side,
                measured=round(rating.velocity_m_s, 4),
                limit=round(rating.traceable_m_s, 4),
                unit="m/s",
                **_group_location(group, timeline, session),
            )
        )
    for group in _groups(slope, timeline):
        burst, rating, _ = max(group, key=lambda item: item[2])
        findings.append(
            _finding(
                "VINYL-HF-SLOPE",
                Severity.ERROR,
                f"Side {side}: {_bursts_text(group)} move the groove at up to "
                f"{100 * rating.slope * rating.groove_speed_m_s:.1f} cm/s, faster than the "
                f"groove itself ({100 * rating.groove_speed_m_s:.1f} cm/s at "
                f"{rating.radius_mm:.1f} mm on {disc_format.name}).",
                _advice(rating),
                side=side,
                measured=round(rating.slope, 3),
                limit=1.0,
                unit="V/v",
                **_group_location(group, timeline, session),
            )
        )
    for group in _groups(tracing, timeline):
        burst, rating, worst_db = max(group, key=lambda item: item[2])
        findings.append(
            _finding(
                "VINYL-HF-TRACING",
                Severity.ERROR if worst_db > tracing_error_db else Severity.WARNING,
                f"Side {side}: {_bursts_text(group)} go up to {worst_db:.1f} dB beyond what a "
                f"{tip_radius_um:g} um stylus traces (worst at {format_clock(burst.start_s)}: "
                f"{rating.frequency_hz / 1000:.1f} kHz, {100 * rating.velocity_m_s:.1f} cm/s "
                f"{rating.plane} against {100 * rating.traceable_m_s:.1f} cm/s at "
                f"{rating.radius_mm:.1f} mm).",
                _advice(rating),
                side=side,
                measured=round(rating.velocity_m_s, 4),
                limit=round(rating.traceable_m_s, 4),
                unit="m/s",
                **_group_location(group, timeline, session),
            )
        )
    return findings


_Flagged = tuple[HighFrequencyBurst, BurstRating, float]


def _groups(flagged: list[_Flagged], timeline: Timeline) -> list[list[_Flagged]]:
    """Group flagged bursts less than ``GROUP_GAP_S`` apart within one track."""
    groups: list[list[_Flagged]] = []
    for item in flagged:
        if groups:
            last = groups[-1][-1][0]
            if item[0].start_s - last.end_s <= GROUP_GAP_S and _track_of(
                timeline, item[0].start_s
            ) == _track_of(timeline, last.start_s):
                groups[-1].append(item)
                continue
        groups.append([item])
    return groups


def _track_of(timeline: Timeline, time_s: float) -> str | None:
    for placement in timeline.placements:
        if timeline.seconds(placement.start) <= time_s < timeline.seconds(placement.end):
            return placement.track_id
    return None


def _bursts_text(group: list[_Flagged]) -> str:
    first, last = group[0][0], group[-1][0]
    if len(group) == 1:
        length_ms = 1000 * (first.end_s - first.start_s)
        return f"a {length_ms:.0f} ms burst at {format_clock(first.start_s)}"
    return f"{len(group)} bursts from {format_clock(first.start_s)} to {format_clock(last.end_s)}"


def _group_location(
    group: list[_Flagged], timeline: Timeline, session: Session
) -> dict[str, object]:
    return side_location(timeline, session, group[0][0].start_s, group[-1][0].end_s)


def _advice(rating: BurstRating) -> str:
    return _ADVICE.format(khz=rating.frequency_hz / 1000.0 or 7.0)


def _finding(code: str, severity: Severity, message: str, advice: str, **fields: object) -> Finding:
    return Finding.model_validate(
        {"code": code, "severity": severity, "message": message, "advice": advice} | fields
    )
