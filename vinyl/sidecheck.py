"""Side checks: one streaming pass over each side's mix, then Findings.

For each side the mix is rendered block by block through the same engine as the
digital master (:func:`sequencer.render.mixed_blocks`, the vinyl gains and the
vinyl processing), and fed to the meters: the groove simulation
(:class:`vinyl.groove.GrooveMeter`), low-end mono compatibility
(:mod:`vinyl.lowend`), high-frequency bursts (:mod:`vinyl.highfreq`), true peak
and sample statistics. Nothing is written; memory is flat (a few records per
revolution and per window).

Calibration of the groove model
-------------------------------
Defaults: the 1 kHz sine that is cut at the 0 dB reference (5 cm/s peak lateral)
sits at -4 dBFS, the groove's base depth is 25 um and the land between grooves
15 um. Measured on the demo album (mastered around -11 to -13 LUFS), 20 minutes
of it on a 12" 33 1/3 side use 67 mm of the 86 mm band at cut level 0 and would
fit up to about +5 dB; a loud pop/rock master (-9 LUFS, about 4 dB hotter) fills
the band at about 18-20 minutes, as the guideline tables expect. The cut level is
the session's ``vinyl.cut_level_db``; the reference level and land are settings.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from sequencer import iir
from sequencer.analysis import CancelEvent, TrackAnalysis
from sequencer.findings import Finding, Severity, check_clipping, sort_findings
from sequencer.render import BusProcessor, mixed_blocks
from sequencer.samplestats import SampleStats
from sequencer.session import Session
from sequencer.timeline import Timeline
from sequencer.truepeak import TruePeakMeter
from vinyl import highfreq, lowend
from vinyl.formats import DiscFormat
from vinyl.groove import (
    DEFAULT_BASE_DEPTH_UM,
    DEFAULT_LAND_UM,
    DEFAULT_REFERENCE_DBFS,
    DEFAULT_TIP_RADIUS_UM,
    GrooveMeter,
    GroovePlan,
    groove_speed,
    highest_fitting_cut_level,
    lateral_vertical,
    revolution_seconds,
)
from vinyl.sides import SideLayout, SidePlan

logger = logging.getLogger(__name__)

#: Passages reported as needing the widest spacing.
WIDEST_PASSAGES = 3
#: Silence at the end of a track longer than this is worth a word on vinyl, s.
LONG_SILENCE_S = 5.0


@dataclass(frozen=True)
class SideCheckSettings:
    """The physical assumptions of the side checks (see the module notes)."""

    cut_level_db: float = 0.0
    """Cut level, dB relative to 5 cm/s at 1 kHz for ``reference_dbfs``."""
    reference_dbfs: float = DEFAULT_REFERENCE_DBFS
    """Digital level of the 1 kHz sine cut at the reference velocity."""
    base_depth_um: float = DEFAULT_BASE_DEPTH_UM
    """Depth of an unmodulated groove, um."""
    land_um: float = DEFAULT_LAND_UM
    """Land left between neighbouring grooves, um."""
    crossover_hz: float = 150.0
    """Low-end check: the band below this frequency."""
    tip_radius_um: float = DEFAULT_TIP_RADIUS_UM
    """Playback stylus tip radius for the tracing limit (12.5 um spherical)."""
    ceiling_dbtp: float = -1.0
    """True-peak ceiling for the vinyl pre-master."""


@dataclass(frozen=True)
class Passage:
    """A revolution that needs wide spacing."""

    time_s: float
    """Where it starts on the side."""
    pitch_um: float
    """Spacing it needs, um."""
    track_id: str | None
    """The track it falls in."""


@dataclass(frozen=True)
class SideCurves:
    """Measures over a side's time, for plots (the cut sheet, the app).

    Each curve is a pair of equal-length tuples: times on the side (s) and values.
    """

    loudness_times_s: tuple[float, ...]
    """Times of the short-term loudness values (end of each 3 s window)."""
    loudness_lufs: tuple[float | None, ...]
    """Short-term loudness as cut (the track's profile plus its vinyl gain), LUFS."""
    correlation_times_s: tuple[float, ...]
    """Start times of the low-end windows."""
    correlation: tuple[float | None, ...]
    """Low-band phase correlation per window (None: a channel silent)."""
    low_level_dbfs: tuple[float | None, ...]
    """Low-band level per window, dBFS (to tell real energy from a whisper)."""
    tracing_times_s: tuple[float, ...]
    """Start times of the tracing-demand steps."""
    tracing_share_db: tuple[float | None, ...]
    """Highest high-band tracing demand in each step against the tracing limit at the
    radius where it lands, dB (0 dB: at the limit; None: no high-band energy)."""


@dataclass(frozen=True)
class SideReport:
    """Everything the checks found on one side."""

    side: SidePlan
    """The side and its timeline."""
    disc_format: DiscFormat
    """The format it is cut for."""
    settings: SideCheckSettings
    """The assumptions used."""
    groove: GroovePlan
    """Spacing per revolution, radius, space used and whether it fits."""
    fitting_cut_level_db: float | None
    """The highest cut level at which the side fits (None: not even very quiet)."""
    widest: tuple[Passage, ...]
    """The revolutions that need the widest spacing."""
    true_peak_dbtp: float | None
    """True peak of the side as cut."""
    findings: tuple[Finding, ...] = field(default_factory=tuple)
    """The side's findings, sorted."""
    curves: SideCurves | None = None
    """Measures over the side's time, for plots (None when not kept)."""

    @property
    def summary(self) -> str:
        """One line: length, fit and findings, e.g. ``A: 19:42, fits at -1.5 dB, 2 warnings``."""
        minutes, seconds = divmod(round(self.side.duration_s), 60)
        if self.fitting_cut_level_db is None:
            fit = "does not fit at any level"
        else:
            fit = f"fits at {self.fitting_cut_level_db:+.1f} dB"
        errors = sum(1 for f in self.findings if f.severity == Severity.ERROR)
        warnings = sum(1 for f in self.findings if f.severity == Severity.WARNING)
        counts = ", ".join(
            text
            for text in (
                f"{errors} error{'s' * (errors != 1)}" if errors else "",
                f"{warnings} warning{'s' * (warnings != 1)}" if warnings else "",
            )
            if text
        )
        return f"{self.side.name}: {minutes}:{seconds:02d}, {fit}" + (
            f", {counts}" if counts else ""
        )


def _track_at(timeline: Timeline, position: int) -> str | None:
    """Return the track sounding at a timeline position (the later one inside a crossfade)."""
    found = None
    for placement in timeline.placements:
        if placement.start <= position < placement.end:
            found = placement.track_id
    return found


def radius_lookup(plan: GroovePlan, rpm: float) -> Callable[[float], float]:
    """Return a function from time on the side (s) to the groove radius there (mm)."""
    seconds = revolution_seconds(rpm)
    radii = plan.radius_mm

    def radius_at(time_s: float) -> float:
        if radii.size == 0:
            return math.nan
        index = min(max(int(time_s / seconds), 0), radii.size - 1)
        return float(radii[index])

    return radius_at


def loudness_curve(
    timeline: Timeline, analyses: Mapping[str, TrackAnalysis], gains_db: Mapping[str, float]
) -> tuple[tuple[float, ...], tuple[float | None, ...]]:
    """Return the short-term loudness over a side, from each track's analysed profile.

    Each track's 100 ms short-term profile is placed at the track's start on the
    side, raised by its gain; inside a crossfade the later track's value is kept.
    Exact except inside crossfades and fades (plots, not measurements).
    """
    rate = timeline.sample_rate
    times: list[float] = []
    values: list[float | None] = []
    for placement in timeline.placements:
        analysis = analyses.get(placement.track_id)
        if analysis is None or not analysis.short_term_profile:
            continue
        step = analysis.profile_step_s
        gain = gains_db.get(placement.track_id, 0.0)
        offset_s = placement.source_start / placement.source_rate
        start_s = placement.start / rate
        end_s = placement.end / rate
        first = max(0, math.ceil(offset_s / step) - 1)
        for index in range(first, len(analysis.short_term_profile)):
            time_s = start_s + (index + 1) * step - offset_s
            if time_s > end_s:
                break
            while times and times[-1] >= time_s:  # the later track wins in a crossfade
                times.pop()
                values.pop()
            value = analysis.short_term_profile[index]
            times.append(round(time_s, 3))
            values.append(None if value is None else value + gain)
    return tuple(times), tuple(values)


def tracing_curve(
    result: highfreq.HighFrequencyResult,
    plan: GroovePlan,
    rpm: float,
    tip_radius_um: float,
) -> tuple[tuple[float, ...], tuple[float | None, ...]]:
    """Return the high band's tracing demand over the side against the limit at its radius, dB.

    The limit is V f <= v^2 / (2 pi r_tip) (see :func:`vinyl.groove.max_traceable_velocity`),
    with v the groove speed where each step lands: the same demand uses more of the
    limit near the label.
    """
    radius_at = radius_lookup(plan, rpm)
    step = result.curve_step_s
    times: list[float] = []
    shares: list[float | None] = []
    for index, demand in enumerate(result.demand_curve):
        time_s = index * step
        speed = float(groove_speed(radius_at(time_s), rpm))
        limit = speed**2 / (2.0 * math.pi * tip_radius_um * 1e-6)
        times.append(round(time_s, 3))
        shares.append(
            round(20.0 * math.log10(demand / limit), 2) if demand > 0 and limit > 0 else None
        )
    return tuple(times), tuple(shares)


def _finding(
    code: str,
    severity: Severity,
    message: str,
    advice: str,
    side: SidePlan,
    **where: object,
) -> Finding:
    """Make a Finding on a side."""
    return Finding(
        code=code, severity=severity, message=message, advice=advice, side=side.name, **where
    )


def duration_findings(side: SidePlan, disc_format: DiscFormat) -> list[Finding]:
    """Check the side length against the format's guideline table, with the implied level change."""
    findings = []
    duration = side.duration_s
    if duration > side.maximum_s:
        change = side.level_change_db("maximum")
        findings.append(
            _finding(
                "VINYL-SIDE-TOO-LONG",
                Severity.ERROR,
                f"Side {side.name} runs {duration / 60:.1f} min, over the {disc_format.name} "
                f"maximum of {side.maximum_s / 60:.1f} min ({disc_format.maximum_source}).",
                f"Move a track to another side, or cut {abs(change or 0):.1f} dB quieter "
                "(time grows about 1.4x per 6 dB).",
                side,
                measured=round(duration, 1),
                limit=side.maximum_s,
                unit="s",
            )
        )
    elif duration > side.recommended_s:
        change = side.level_change_db("recommended")
        findings.append(
            _finding(
                "VINYL-SIDE-LONG",
                Severity.WARNING,
                f"Side {side.name} runs {duration / 60:.1f} min, over the {disc_format.name} "
                f"recommendation of {side.recommended_s / 60:.1f} min: expect about "
                f"{abs(change or 0):.1f} dB less level.",
                "Accept the lower level, or move a track to another side.",
                side,
                measured=round(duration, 1),
                limit=side.recommended_s,
                unit="s",
            )
        )
    return findings


def groove_findings(
    side: SidePlan, plan: GroovePlan, fitting: float | None, settings: SideCheckSettings
) -> list[Finding]:
    """Check the groove space: fits or not at the cut level, and the level at which it fits."""
    if plan.fits:
        return []
    level = "no level" if fitting is None else f"{fitting:+.1f} dB"
    return [
        _finding(
            "VINYL-GROOVE-SPACE",
            Severity.ERROR,
            f"Side {side.name} needs {plan.space_mm:.1f} mm of groove but the band is "
            f"{plan.band_mm:.1f} mm at cut level {settings.cut_level_db:+.1f} dB; "
            f"it fits at {level}.",
            "Cut quieter (the cut level above), shorten the side, or reduce bass and "
            "out-of-phase content that widens the groove.",
            side,
            measured=round(plan.space_mm, 2),
            limit=round(plan.band_mm, 2),
            unit="mm",
        )
    ]


def hygiene_findings(
    side: SidePlan,
    true_peak: float | None,
    stats: SampleStats,
    subsonic_ratio_db: float | None,
    settings: SideCheckSettings,
    analyses: Mapping[str, TrackAnalysis],
    session: Session,
) -> list[Finding]:
    """Check true peak (vinyl ceiling), clipping, subsonic energy, DC and heavy limiting."""
    findings = []
    rate = side.timeline.sample_rate
    if true_peak is not None and true_peak > settings.ceiling_dbtp + 0.005:
        findings.append(
            _finding(
                "VINYL-TRUE-PEAK",
                Severity.WARNING,
                f"Side {side.name} peaks at {true_peak:+.2f} dBTP, over the "
                f"{settings.ceiling_dbtp:+.1f} dBTP vinyl ceiling.",
                "Lower the side's level; cutting rooms ask for headroom and no maximiser.",
                side,
                measured=round(true_peak, 2),
                limit=settings.ceiling_dbtp,
                unit="dBTP",
            )
        )
    result = stats.result()
    if result.clipped_runs:
        first = result.clip_frames[0] if result.clip_frames else 0
        track_id = _track_at(side.timeline, first)
        findings.append(
            _finding(
                "VINYL-CLIPPING",
                Severity.WARNING,
                f"Side {side.name} has {result.clipped_runs} clipped runs, the first at "
                f"{first / rate:.1f} s.",
                "Ask for a master with headroom; clipped square edges are hard on the cutter.",
                side,
                time_s=round(first / rate, 3),
                track_id=track_id,
                track_title=session.track(track_id).title if track_id else None,
                measured=result.clipped_runs,
                unit="runs",
            )
        )
    if subsonic_ratio_db is not None and subsonic_ratio_db > -30.0:
        findings.append(
            _finding(
                "VINYL-SUBSONIC",
                Severity.WARNING,
                f"Side {side.name} has energy below 20 Hz only {-subsonic_ratio_db:.0f} dB under "
                "the programme: it costs groove space and moves the cutter for nothing.",
                "Enable the subsonic high-pass (vinyl.subsonic_hz, e.g. 18 Hz).",
                side,
                measured=round(subsonic_ratio_db, 1),
                limit=-30.0,
                unit="dB",
            )
        )
    # Clipping in the sources: the core check, placed on this side's timeline.
    on_side = {
        p.track_id: analyses[p.track_id] for p in side.timeline.placements if p.track_id in analyses
    }
    findings += [
        finding.model_copy(update={"side": side.name})
        for finding in check_clipping(session, on_side, side.timeline)
    ]
    for placement in side.timeline.placements:
        analysis = analyses.get(placement.track_id)
        if analysis is None:
            continue
        track = session.track(placement.track_id)
        where = {
            "track_id": track.id,
            "track_title": track.title,
            "time_s": round(placement.start / rate, 3),
        }
        if analysis.trailing_silence_s >= LONG_SILENCE_S:
            silent_from = max(0.0, analysis.duration_s - analysis.trailing_silence_s)
            findings.append(
                _finding(
                    "VINYL-LONG-SILENCE",
                    Severity.WARNING,
                    f'"{track.title}" ends with {analysis.trailing_silence_s:.0f} s of silence, '
                    "on top of the pause: on vinyl it is a long silent groove.",
                    "Trim the silent tail (trim_out_s) unless the silence is part of the record.",
                    side,
                    track_id=track.id,
                    track_title=track.title,
                    time_s=round(placement.start / rate + silent_from, 3),
                    time_in_track_s=round(silent_from, 3),
                    measured=round(analysis.trailing_silence_s, 1),
                    limit=LONG_SILENCE_S,
                    unit="s",
                )
            )
        worst_dc = max(analysis.dc_offset, key=abs, default=0.0)
        if abs(worst_dc) >= 0.001:
            findings.append(
                _finding(
                    "VINYL-DC-OFFSET",
                    Severity.WARNING,
                    f'"{track.title}" has a DC offset of {worst_dc * 100:+.1f} % of full scale.',
                    "Remove the DC offset (a high-pass or DC filter) before the cut.",
                    side,
                    measured=round(worst_dc, 5),
                    limit=0.001,
                    **where,
                )
            )
        if analysis.plr_db is not None and analysis.plr_db < 8.0:
            findings.append(
                _finding(
                    "VINYL-HEAVY-LIMITING",
                    Severity.WARNING,
                    f'"{track.title}" has a peak-to-loudness ratio of {analysis.plr_db:.1f} dB: '
                    "signs of heavy limiting.",
                    "Ask for a less limited vinyl master; loudness does not help a cut.",
                    side,
                    measured=round(analysis.plr_db, 1),
                    limit=8.0,
                    unit="dB",
                    **where,
                )
            )
    return findings


class _SubsonicMeter:
    """Energy below 20 Hz relative to the whole programme.

    Fed the low band the low-end meter already made (below its crossover, 24
    dB/octave), decimated so that the band sits well below the new Nyquist
    frequency, then low-passed at 20 Hz: a few samples per millisecond instead of
    every sample. What folds back into 0-20 Hz lies near multiples of the new
    rate (about 1.2 kHz), 70 dB and more down the crossover's slope.
    """

    def __init__(self, sample_rate: int, min_rate_hz: float = 1200.0) -> None:
        from scipy.signal import butter

        self._step = max(1, int(sample_rate // min_rate_hz))
        self._sos = butter(4, 20.0, btype="lowpass", fs=sample_rate / self._step, output="sos")
        self._state = np.zeros((self._sos.shape[0], 2, 2))
        self._phase = 0  # index in the next block of the next sample kept
        self._low = 0.0
        self._total = 0.0

    def process(self, planar: NDArray[np.float64], low_band: NDArray[np.float64]) -> None:
        """Add the next block (2, frames) and its low band (2, frames)."""
        kept = low_band[:, self._phase :: self._step]
        self._phase = (self._phase - low_band.shape[1]) % self._step
        if kept.shape[1]:
            sub, self._state = iir.sosfilt(self._sos, kept, self._state)
            self._low += float(np.einsum("ij,ij->", sub, sub)) * self._step
        self._total += float(np.einsum("ij,ij->", planar, planar))

    def ratio_db(self) -> float | None:
        if self._total <= 0.0 or self._low <= 0.0:
            return None
        return 10.0 * math.log10(self._low / self._total)


class SideMeters:
    """The side checks' meters for one side, fed block by block with the mix as cut.

    Feed it the processed mix (``process``) from any pass over the side (the
    check's own pass in :func:`check_side`, or the side file's render), then
    call :meth:`report`. Memory is flat: a few records per revolution and window.

    Parameters
    ----------
    session
        The album.
    side
        The side and its timeline.
    disc_format
        The format it is cut for.
    gains_db
        The vinyl gain of each track, dB.
    analyses
        The sources' analyses by track id (DC offset, PLR per track).
    settings
        The physical assumptions; default from the session's cut level.
    true_peak_dbtp
        The side's true peak when it is already known (the side render's peak pass,
        moved by the gain correction; -inf for silence): the meter is then skipped.
    """

    def __init__(
        self,
        session: Session,
        side: SidePlan,
        disc_format: DiscFormat,
        *,
        gains_db: Mapping[str, float],
        analyses: Mapping[str, TrackAnalysis],
        settings: SideCheckSettings | None = None,
        true_peak_dbtp: float | None = None,
    ) -> None:
        self.session = session
        self.side = side
        self.disc_format = disc_format
        self.gains_db = dict(gains_db)
        self.analyses = analyses
        self.settings = settings or SideCheckSettings(cut_level_db=session.vinyl.cut_level_db)
        rate = side.timeline.sample_rate
        self._groove = GrooveMeter(
            rate,
            disc_format.rpm,
            self.settings.cut_level_db,
            self.settings.reference_dbfs,
            self.settings.base_depth_um,
            self.settings.land_um,
        )
        self._low = lowend.LowEndMeter(rate, crossover_hz=self.settings.crossover_hz)
        self._high = highfreq.HighFrequencyMeter(
            rate,
            cut_level_db=self.settings.cut_level_db,
            reference_dbfs=self.settings.reference_dbfs,
        )
        self._known_peak = true_peak_dbtp
        self._peak = TruePeakMeter(rate) if true_peak_dbtp is None else None
        self._peak_finished = False
        self._stats = SampleStats()
        self._subsonic = _SubsonicMeter(rate)

    def process(self, planar: NDArray[np.float64]) -> None:
        """Meter the next block of the processed mix, shape (2, frames), any strides."""
        # One planar copy of an interleaved block: numpy's per-row reductions are
        # many times slower on rows with a stride than on contiguous ones.
        planar = np.ascontiguousarray(planar)
        motion = lateral_vertical(planar)  # shared by the groove and the high band
        self._groove.process_lateral_vertical(motion)
        self._high.process_lateral_vertical(motion)
        self._low.process(planar)
        self._subsonic.process(planar, self._low.last_low)
        if self._peak is not None:
            self._peak.process(planar)
        self._stats.process(planar)

    def true_peak_dbtp(self) -> float | None:
        """Return the true peak of the mix so far, dBTP (finishes the meter: call at the end)."""
        if self._peak is None:
            assert self._known_peak is not None
            return None if self._known_peak == -math.inf else self._known_peak
        if not self._peak_finished:
            self._peak.finish()
            self._peak_finished = True
        return self._peak.peak_dbtp()

    def report(self) -> SideReport:
        """Finish the meters and return the side's report with its findings."""
        session, side, disc_format, settings = (
            self.session,
            self.side,
            self.disc_format,
            self.settings,
        )
        timeline = side.timeline
        rate = timeline.sample_rate
        true_peak = self.true_peak_dbtp()
        records = self._groove.finish()
        plan = self._groove.plan(disc_format.outer_radius_mm, disc_format.inner_radius_mm)
        lateral, vertical = self._groove.excursions()
        fitting = highest_fitting_cut_level(
            lateral,
            vertical,
            settings.cut_level_db,
            disc_format.outer_radius_mm,
            disc_format.inner_radius_mm,
            settings.base_depth_um,
            settings.land_um,
        )
        seconds = revolution_seconds(disc_format.rpm)
        widest = tuple(
            Passage(
                time_s=round(index * seconds, 2),
                pitch_um=round(float(plan.pitch_um[index]), 1),
                track_id=_track_at(timeline, round(index * seconds * rate)),
            )
            for index in np.argsort(plan.pitch_um)[::-1][:WIDEST_PASSAGES]
        )
        radius_at = radius_lookup(plan, disc_format.rpm)
        low_result = self._low.result()
        high_result = self._high.result()
        findings: list[Finding] = []
        findings += duration_findings(side, disc_format)
        findings += groove_findings(side, plan, fitting, settings)
        findings += lowend.lowend_findings(
            low_result, side=side.name, timeline=timeline, session=session
        )
        findings += lowend.liftoff_findings(
            records,
            base_depth_um=settings.base_depth_um,
            side=side.name,
            timeline=timeline,
            session=session,
        )
        findings += highfreq.highfreq_findings(
            high_result,
            side=side.name,
            timeline=timeline,
            session=session,
            disc_format=disc_format,
            radius_at=radius_at,
            rpm=disc_format.rpm,
            tip_radius_um=settings.tip_radius_um,
        )
        findings += hygiene_findings(
            side,
            true_peak,
            self._stats,
            self._subsonic.ratio_db(),
            settings,
            self.analyses,
            session,
        )
        return SideReport(
            side=side,
            disc_format=disc_format,
            settings=settings,
            groove=plan,
            fitting_cut_level_db=fitting,
            widest=widest,
            true_peak_dbtp=true_peak,
            findings=tuple(sort_findings(findings)),
            curves=_curves(
                timeline,
                self.analyses,
                self.gains_db,
                low_result,
                high_result,
                plan,
                disc_format,
                settings,
            ),
        )


def check_side(
    session: Session,
    side: SidePlan,
    disc_format: DiscFormat,
    *,
    gains_db: Mapping[str, float],
    analyses: Mapping[str, TrackAnalysis],
    settings: SideCheckSettings | None = None,
    processor: BusProcessor | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancel: CancelEvent | None = None,
) -> SideReport:
    """Check one side in one streaming pass over its mix (nothing written).

    Parameters
    ----------
    session
        The album.
    side
        The side and its timeline.
    disc_format
        The format it is cut for.
    gains_db
        The vinyl gain of each track, dB.
    analyses
        The sources' analyses by track id (DC offset, PLR per track).
    settings
        The physical assumptions; default from the session's cut level.
    processor
        The vinyl bus processing (mono below, subsonic), as the side file gets it.
    progress
        Called with (frames done, frames in the side).
    cancel
        Stops the pass.

    Returns
    -------
    SideReport
        Groove space, the fitting cut level, the widest passages, findings.
    """
    meters = SideMeters(
        session, side, disc_format, gains_db=gains_db, analyses=analyses, settings=settings
    )
    timeline = side.timeline
    if timeline.length > 0:
        for start, mix in mixed_blocks(timeline, gains_db, limiter=processor, cancel=cancel):
            meters.process(mix.T)
            if progress is not None:
                progress(start + mix.shape[0], timeline.length)
    return meters.report()


def _curves(
    timeline: Timeline,
    analyses: Mapping[str, TrackAnalysis],
    gains_db: Mapping[str, float],
    low: lowend.LowEndResult,
    high: highfreq.HighFrequencyResult,
    plan: GroovePlan,
    disc_format: DiscFormat,
    settings: SideCheckSettings,
) -> SideCurves:
    """Collect the side's measures over time for plots."""
    loudness_times, loudness = loudness_curve(timeline, analyses, gains_db)
    tracing_times, tracing = tracing_curve(high, plan, disc_format.rpm, settings.tip_radius_um)
    return SideCurves(
        loudness_times_s=loudness_times,
        loudness_lufs=loudness,
        correlation_times_s=tuple(round(w.start_s, 3) for w in low.windows),
        correlation=tuple(w.correlation for w in low.windows),
        low_level_dbfs=tuple(w.level_dbfs for w in low.windows),
        tracing_times_s=tracing_times,
        tracing_share_db=tracing,
    )


def check_layout(
    session: Session,
    layout: SideLayout,
    *,
    gains_db: Mapping[str, float],
    analyses: Mapping[str, TrackAnalysis],
    settings: SideCheckSettings | None = None,
    processor_factory: Callable[[int], BusProcessor | None] | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancel: CancelEvent | None = None,
    workers: int = 2,
) -> list[SideReport]:
    """Check every side of ``layout`` (see :func:`check_side`), sides side by side.

    The sides are independent and the filters release the GIL, so ``workers``
    threads check two sides at once on two cores. Progress adds up all sides.
    """
    total = sum(side.timeline.length for side in layout.sides)
    done: dict[str, int] = {}
    lock = threading.Lock()

    def one(side: SidePlan) -> SideReport:
        def side_progress(frames: int, _total: int) -> None:
            with lock:
                done[side.name] = frames
                if progress is not None:
                    progress(sum(done.values()), total)

        processor = processor_factory(side.timeline.sample_rate) if processor_factory else None
        return check_side(
            session,
            side,
            layout.disc_format,
            gains_db=gains_db,
            analyses=analyses,
            settings=settings,
            processor=processor,
            progress=side_progress,
            cancel=cancel,
        )

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(layout.sides)))) as pool:
        return list(pool.map(one, layout.sides))
