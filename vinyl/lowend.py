"""Low-end mono compatibility and lift-off: streaming meter and findings.

Why (``shared/domain/vinyl.md``, "How audio becomes groove"): in 45/45 stereo the
side signal (L-R)/sqrt2 moves the cutter vertically. After RIAA, bass at 0 dB
swings the stylus by about the whole groove depth (18 um at 100 Hz, 43 um at
20 Hz), so anti-phase bass thins the groove out or lifts the cutter off the
lacquer. Cutting engineers make the low end mono with an "elliptical" filter
(crossovers 70-300 Hz, 150 Hz a common middle).

Limits (domain notes, "Limits a checker can compute", item 4; x-disc, zwartgoud):

- low-band phase correlation below 0 with real energy: error
  (``VINYL-LOWEND-ANTIPHASE``);
- low-band side-to-mid ratio above -6 dB: warning (``VINYL-LOWEND-WIDE``);
- a track's low-band correlation below 0.5: warning (``VINYL-LOWEND-CORRELATION``);
- upward vertical excursion beyond the groove's base depth (item 3): error
  (``VINYL-LIFT-OFF``), from :class:`vinyl.groove.GrooveMeter` records.

With equal channel levels, side-to-mid = (1 - c) / (1 + c) for a correlation c,
so -6 dB is c = 0.6: the warnings nest inside each other and the error.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import signal as sps

from sequencer import iir
from sequencer.errors import SessionError
from sequencer.findings import CodeInfo, Finding, Severity, format_clock
from sequencer.session import Session
from sequencer.timeline import Placement, Timeline
from vinyl.groove import RevolutionRecord

__all__ = [
    "ANTIPHASE_CORRELATION",
    "CORRELATION_WARNING",
    "DEFAULT_CROSSOVER_HZ",
    "LOWEND_CODES",
    "MERGE_GAP_S",
    "MIN_LEVEL_DBFS",
    "WIDE_SIDE_TO_MID_DB",
    "LowEndMeter",
    "LowEndResult",
    "LowEndWindow",
    "lift_off_passages",
    "liftoff_findings",
    "lowend_findings",
    "side_location",
]

#: Crossover of the low band, Hz (domain notes: 70-300 Hz in practice, 150 Hz common).
DEFAULT_CROSSOVER_HZ = 150.0
#: Window of the short-term measurements, s (the 400 ms of a momentary loudness block).
DEFAULT_WINDOW_S = 0.4
#: Low band level (mean square, dBFS) below which a window has no "real energy".
MIN_LEVEL_DBFS = -40.0
#: Correlation below this, with real energy, is anti-phase low end (domain notes item 4).
ANTIPHASE_CORRELATION = 0.0
#: An anti-phase passage is an error when its correlation reaches this and it lasts at
#: least MIN_ANTIPHASE_S; shallower or briefer dips (common in dense mixes and clipped
#: masters) are warnings.
ANTIPHASE_ERROR_CORRELATION = -0.3
#: See ANTIPHASE_ERROR_CORRELATION, s.
MIN_ANTIPHASE_S = 0.8
#: Windows quieter than the side's loudest low-end window by more than this are not
#: judged, dB.
RELATIVE_FLOOR_DB = 20.0
#: Side-to-mid ratio above this is a wide low end (x-disc, zwartgoud: -6 dB).
WIDE_SIDE_TO_MID_DB = -6.0
#: A track's low-band correlation below this is a warning (domain notes item 4).
CORRELATION_WARNING = 0.5
#: Flagged windows (or revolutions) closer than this merge into one passage, s.
MERGE_GAP_S = 1.0
#: Side-to-mid ratios are clamped to +/- this (a silent mid or side), dB.
_RATIO_CLAMP_DB = 120.0

_CODE_LIST = (
    CodeInfo(
        "VINYL-LOWEND-ANTIPHASE",
        Severity.ERROR,
        "Anti-phase low end",
        "Below the crossover the left and right channels move against each other. On "
        "vinyl the difference signal is cut vertically, and bass swings the cutter by "
        "about the whole groove depth: the groove thins out, skips or the cutter lifts.",
    ),
    CodeInfo(
        "VINYL-LOWEND-WIDE",
        Severity.WARNING,
        "Wide low end",
        "The low band carries a lot of side (L-R) signal compared with its mid (L+R). "
        "Cutting rooms ask for side-to-mid below about -6 dB under the crossover; wide "
        "bass costs groove depth and space and is usually made mono at the cut.",
    ),
    CodeInfo(
        "VINYL-LOWEND-CORRELATION",
        Severity.WARNING,
        "Low phase correlation in the low band",
        "Over a whole track the bass is far from mono (correlation below 0.5). The "
        "cutting engineer will likely apply an elliptical filter, which changes the mix.",
    ),
    CodeInfo(
        "VINYL-LIFT-OFF",
        Severity.ERROR,
        "Vertical excursion beyond the groove depth",
        "The vertical (L-R) motion lifts the cutter higher than the groove is deep: the "
        "stylus leaves the groove there (lift-off), the record skips.",
    ),
)

#: Codes of this module with their titles and explanations (pattern of ``sequencer.findings``).
LOWEND_CODES: Mapping[str, CodeInfo] = MappingProxyType({i.code: i for i in _CODE_LIST})

_MONO_ADVICE = (
    "Make the low end mono below about 150 Hz (an elliptical filter: runout's "
    "mono-below option on the side file does it), or check the bass's polarity in the "
    "mix: one channel of a bass or kick may be inverted."
)


# --------------------------------------------------------------------------- meter


@dataclass(frozen=True, slots=True)
class LowEndWindow:
    """Low-band sums over one window; the measures derive from them.

    Attributes
    ----------
    start_s
        Where the window starts on the side, s.
    frames
        Frames in the window (the last one may be short).
    sum_ll, sum_rr, sum_lr
        Sums of L^2, R^2 and L*R of the low band over the window.
    """

    start_s: float
    frames: int
    sum_ll: float
    sum_rr: float
    sum_lr: float

    @property
    def correlation(self) -> float | None:
        """Phase correlation sum LR / sqrt(sum L^2 sum R^2); ``None`` when a channel is silent."""
        return _correlation(self.sum_ll, self.sum_rr, self.sum_lr)

    @property
    def side_to_mid_db(self) -> float | None:
        """Energy of (L-R)/sqrt2 over (L+R)/sqrt2 in dB; ``None`` when both are silent."""
        return _side_to_mid_db(self.sum_ll, self.sum_rr, self.sum_lr)

    @property
    def level_dbfs(self) -> float | None:
        """Low band mean square over both channels, dBFS (a full-scale sine reads -3.01)."""
        return _level_dbfs(self.sum_ll + self.sum_rr, 2 * self.frames)


def _correlation(ll: float, rr: float, lr: float) -> float | None:
    denominator = math.sqrt(ll * rr)
    if denominator <= 0.0:
        return None
    return max(-1.0, min(1.0, lr / denominator))


def _side_to_mid_db(ll: float, rr: float, lr: float) -> float | None:
    # Energies of (L+R)/sqrt2 and (L-R)/sqrt2.
    mid = max(0.5 * (ll + rr + 2.0 * lr), 0.0)
    side = max(0.5 * (ll + rr - 2.0 * lr), 0.0)
    if mid <= 0.0 and side <= 0.0:
        return None
    if mid <= 0.0:
        return _RATIO_CLAMP_DB
    if side <= 0.0:
        return -_RATIO_CLAMP_DB
    return max(-_RATIO_CLAMP_DB, min(_RATIO_CLAMP_DB, 10.0 * math.log10(side / mid)))


def _level_dbfs(energy: float, samples: int) -> float | None:
    if samples <= 0 or energy <= 0.0:
        return None
    return 10.0 * math.log10(energy / samples)


@dataclass(frozen=True)
class LowEndResult:
    """What :class:`LowEndMeter` measured over a programme.

    Attributes
    ----------
    sample_rate
        Sample rate, Hz.
    crossover_hz
        Upper edge of the low band, Hz.
    window_s
        Nominal window length, s.
    windows
        One record per window, in time order.
    correlation
        Low-band correlation over the whole programme; ``None`` when a channel is silent.
    level_dbfs
        Low-band mean square level over the whole programme, dBFS.
    """

    sample_rate: int
    crossover_hz: float
    window_s: float
    windows: tuple[LowEndWindow, ...]
    correlation: float | None
    level_dbfs: float | None


class LowEndMeter:
    """Streaming low-band correlation, side-to-mid ratio and level per window.

    L and R are low-passed by a 4th-order Linkwitz-Riley filter (two cascaded
    2nd-order Butterworth sections, Q = 0.707: S. Linkwitz, "Active crossover
    networks for noncoincident drivers", JAES 24(1), 1976), -6 dB at the
    crossover; the same filter on both channels leaves their phase relation
    intact. Windows are aligned to the programme start; the filter state and the
    partial window carry across blocks, so the block size does not change the
    result. Memory: one :class:`LowEndWindow` per window.

    Parameters
    ----------
    sample_rate
        Sample rate in Hz.
    crossover_hz
        Upper edge of the low band.
    window_s
        Window length of the short-term measures.
    """

    def __init__(
        self,
        sample_rate: int,
        crossover_hz: float = DEFAULT_CROSSOVER_HZ,
        window_s: float = DEFAULT_WINDOW_S,
    ) -> None:
        if not 0.0 < crossover_hz < sample_rate / 2:
            raise ValueError("crossover_hz must lie between 0 and the Nyquist frequency")
        self.sample_rate = sample_rate
        self.crossover_hz = crossover_hz
        self.window_s = window_s
        self._window = max(1, round(window_s * sample_rate))
        butter = sps.butter(2, crossover_hz, btype="lowpass", fs=sample_rate, output="sos")
        self._sos = np.vstack([butter, butter])
        self._zi = np.zeros((self._sos.shape[0], 2, 2))
        self._frames = 0
        # Sums of the window still open: LL, RR, LR, and its frame count.
        self._open = np.zeros(3)
        self._open_frames = 0
        self._totals = np.zeros(3)
        self._windows: list[LowEndWindow] = []
        self.last_low: NDArray[np.float64] = np.zeros((2, 0))
        """The low band of the last block processed, shape (2, frames)."""

    def process(self, planar: NDArray[np.float64]) -> None:
        """Meter the next block, shape (2, frames) (L, R), full scale 1.0."""
        if planar.shape[0] == 1:
            planar = np.concatenate([planar, planar])
        frames = planar.shape[1]
        if frames == 0:
            return
        low, self._zi = iir.sosfilt(self._sos, planar, self._zi)
        self.last_low = low
        position = 0
        while position < frames:
            stop = min(frames, position + self._window - self._open_frames)
            segment = low[:, position:stop]
            # einsum, not BLAS dot: no thread start-up per call on short segments.
            squares = np.einsum("ij,ij->i", segment, segment)
            cross = np.einsum("i,i->", segment[0], segment[1])
            sums = np.array([squares[0], squares[1], cross])
            self._open += sums
            self._totals += sums
            self._open_frames += stop - position
            position = stop
            if self._open_frames == self._window:
                self._close()
        self._frames += frames

    def _close(self) -> None:
        start = self._frames_closed()
        ll, rr, lr = (float(v) for v in self._open)
        self._windows.append(LowEndWindow(start / self.sample_rate, self._open_frames, ll, rr, lr))
        self._open[:] = 0.0
        self._open_frames = 0

    def _frames_closed(self) -> int:
        return len(self._windows) * self._window

    def result(self) -> LowEndResult:
        """Return the measures so far (a partial last window is included, not closed)."""
        windows = list(self._windows)
        if self._open_frames:
            ll, rr, lr = (float(v) for v in self._open)
            start = self._frames_closed() / self.sample_rate
            windows.append(LowEndWindow(start, self._open_frames, ll, rr, lr))
        ll, rr, lr = (float(v) for v in self._totals)
        total_frames = sum(w.frames for w in windows)
        return LowEndResult(
            sample_rate=self.sample_rate,
            crossover_hz=self.crossover_hz,
            window_s=self.window_s,
            windows=tuple(windows),
            correlation=_correlation(ll, rr, lr),
            level_dbfs=_level_dbfs(ll + rr, 2 * total_frames),
        )


# --------------------------------------------------------------------------- where


def side_location(
    timeline: Timeline, session: Session, start_s: float, end_s: float | None = None
) -> dict[str, object]:
    """Return the Finding fields that place a passage of a side on its tracks.

    The passage belongs to the track it overlaps most (the track playing at
    ``start_s`` for an instant, or the next one when it starts in a pause).

    Parameters
    ----------
    timeline
        The side's timeline.
    session
        The session (for the track's title).
    start_s, end_s
        The passage on the side, s.

    Returns
    -------
    dict
        ``time_s`` and, when a track is found, ``track_id``, ``track_title`` and
        ``time_in_track_s`` (0 when the passage starts before the track).
    """
    end = start_s if end_s is None else max(end_s, start_s)
    fields: dict[str, object] = {"time_s": round(start_s, 3)}
    placement = _placement_for(timeline, start_s, end)
    if placement is None:
        return fields
    track_start = timeline.seconds(placement.start)
    fields["track_id"] = placement.track_id
    fields["time_in_track_s"] = round(max(0.0, start_s - track_start), 3)
    try:
        fields["track_title"] = session.track(placement.track_id).title
    except SessionError:  # a timeline built outside the session
        fields["track_title"] = None
    return fields


def _placement_for(timeline: Timeline, start_s: float, end_s: float) -> Placement | None:
    best: Placement | None = None
    best_overlap = -1.0
    for placement in timeline.placements:
        begin = timeline.seconds(placement.start)
        stop = timeline.seconds(placement.end)
        if end_s > start_s:
            overlap = min(stop, end_s) - max(begin, start_s)
        else:
            overlap = 0.0 if begin <= start_s < stop else -1.0
        if overlap > best_overlap and overlap >= 0.0:
            best, best_overlap = placement, overlap
    if best is None:
        for placement in timeline.placements:
            if timeline.seconds(placement.start) >= start_s:
                return placement
        return timeline.placements[-1] if timeline.placements else None
    return best


def _merge(
    spans: Sequence[tuple[float, float, float]], gap_s: float
) -> list[tuple[float, float, float, float]]:
    """Merge (start, end, value) spans closer than ``gap_s``; keep the min and max value."""
    passages: list[tuple[float, float, float, float]] = []
    for start, end, value in spans:
        if passages and start - passages[-1][1] <= gap_s + 1e-9:
            s, _, low, high = passages[-1]
            passages[-1] = (s, end, min(low, value), max(high, value))
        else:
            passages.append((start, end, value, value))
    return passages


def _finding(code: str, message: str, advice: str, **fields: Any) -> Finding:
    severity = fields.pop("severity", None) or LOWEND_CODES[code].severity
    return Finding.model_validate(
        {"code": code, "severity": severity, "message": message} | {"advice": advice} | fields
    )


# --------------------------------------------------------------------------- findings


def lowend_findings(
    result: LowEndResult,
    *,
    side: str,
    timeline: Timeline,
    session: Session,
    min_level_dbfs: float = MIN_LEVEL_DBFS,
    antiphase_correlation: float = ANTIPHASE_CORRELATION,
    wide_side_to_mid_db: float = WIDE_SIDE_TO_MID_DB,
    correlation_warning: float = CORRELATION_WARNING,
    merge_gap_s: float = MERGE_GAP_S,
) -> list[Finding]:
    """Judge a side's low end: anti-phase passages, wide passages, low correlation.

    Parameters
    ----------
    result
        The side's :class:`LowEndResult`.
    side
        Side name, e.g. ``"A"``.
    timeline
        The side's timeline (times on the side map to tracks through it).
    session
        The session (track titles).
    min_level_dbfs
        Windows (and tracks) with a quieter low band are not judged.
    antiphase_correlation
        A window below this correlation is anti-phase (error).
    wide_side_to_mid_db
        A window above this side-to-mid ratio is wide (warning).
    correlation_warning
        A track whose low-band correlation is below this gets a warning.
    merge_gap_s
        Flagged windows closer than this form one passage.

    Returns
    -------
    list of Finding
        ``VINYL-LOWEND-ANTIPHASE`` (error) and ``VINYL-LOWEND-WIDE`` (warning)
        per passage with its start and length; ``VINYL-LOWEND-CORRELATION``
        (warning) per track (for the whole side when the timeline has no tracks).
    """
    anti: list[tuple[float, float, float]] = []
    wide: list[tuple[float, float, float]] = []
    # "Real energy": above the absolute floor and within RELATIVE_FLOOR_DB of the side's
    # loudest low-end window (reverb tails and pads in a breakdown are not the bass).
    levels = [w.level_dbfs for w in result.windows if w.level_dbfs is not None]
    floor = max(min_level_dbfs, max(levels, default=min_level_dbfs) - RELATIVE_FLOOR_DB)
    for window in result.windows:
        level = window.level_dbfs
        if level is None or level < floor:
            continue
        end = window.start_s + window.frames / result.sample_rate
        correlation = window.correlation
        ratio = window.side_to_mid_db
        if correlation is not None and correlation < antiphase_correlation:
            anti.append((window.start_s, end, correlation))
        elif ratio is not None and ratio > wide_side_to_mid_db:
            wide.append((window.start_s, end, ratio))

    findings: list[Finding] = []
    for start, end, lowest, _ in _merge(anti, merge_gap_s):
        where = side_location(timeline, session, start, end)
        clear = lowest <= ANTIPHASE_ERROR_CORRELATION and end - start >= MIN_ANTIPHASE_S
        findings.append(
            _finding(
                "VINYL-LOWEND-ANTIPHASE",
                f"Side {side}: the low end below {result.crossover_hz:g} Hz is in anti-phase "
                f"from {format_clock(start)} for {end - start:.1f} s (correlation down to "
                f"{lowest:+.2f}).",
                _MONO_ADVICE,
                severity=Severity.ERROR if clear else Severity.WARNING,
                side=side,
                measured=round(lowest, 3),
                limit=antiphase_correlation,
                unit="correlation",
                **where,
            )
        )
    for start, end, _, highest in _merge(wide, merge_gap_s):
        where = side_location(timeline, session, start, end)
        findings.append(
            _finding(
                "VINYL-LOWEND-WIDE",
                f"Side {side}: the low end below {result.crossover_hz:g} Hz is wide from "
                f"{format_clock(start)} for {end - start:.1f} s (side-to-mid up to "
                f"{highest:+.1f} dB).",
                "Narrow the bass: mono below about 150 Hz (runout's mono-below option, an "
                "elliptical filter), or pan bass instruments to the centre.",
                side=side,
                measured=round(highest, 2),
                limit=wide_side_to_mid_db,
                unit="dB",
                **where,
            )
        )
    findings.extend(
        _correlation_findings(result, side, timeline, session, min_level_dbfs, correlation_warning)
    )
    return findings


def _correlation_findings(
    result: LowEndResult,
    side: str,
    timeline: Timeline,
    session: Session,
    min_level_dbfs: float,
    limit: float,
) -> list[Finding]:
    """Low-band correlation per track (windows starting inside the track), or per side."""
    spans: list[tuple[float, float]] = [
        (timeline.seconds(p.start), timeline.seconds(p.end)) for p in timeline.placements
    ]
    if not spans:
        spans = [(0.0, math.inf)]
    findings: list[Finding] = []
    for begin, stop in spans:
        sums = np.zeros(3)
        frames = 0
        for window in result.windows:
            if begin <= window.start_s < stop:
                sums += (window.sum_ll, window.sum_rr, window.sum_lr)
                frames += window.frames
        ll, rr, lr = (float(v) for v in sums)
        level = _level_dbfs(ll + rr, 2 * frames)
        correlation = _correlation(ll, rr, lr)
        if level is None or level < min_level_dbfs or correlation is None:
            continue
        if correlation >= limit:
            continue
        where = side_location(timeline, session, begin, min(stop, begin + 1e-6))
        if not timeline.placements:
            where = {"time_s": None}
        findings.append(
            _finding(
                "VINYL-LOWEND-CORRELATION",
                f"Side {side}: the low band below {result.crossover_hz:g} Hz has a phase "
                f"correlation of {correlation:+.2f} over the track (below {limit:g}).",
                _MONO_ADVICE,
                side=side,
                measured=round(correlation, 3),
                limit=limit,
                unit="correlation",
                **where,
            )
        )
    return findings


def lift_off_passages(
    records: Sequence[RevolutionRecord],
    base_depth_um: float,
    merge_gap_s: float = 0.0,
    end_s: float | None = None,
) -> list[tuple[float, float, float]]:
    """Return (start_s, end_s, highest upward excursion um) of runs of lifting revolutions.

    Parameters
    ----------
    records
        Per-revolution records of :class:`vinyl.groove.GrooveMeter`, in order.
    base_depth_um
        Groove depth without modulation, um.
    merge_gap_s
        Runs closer than this merge (0: only consecutive revolutions).
    end_s
        End of the last revolution (the side's length); by default one more
        revolution length after its start.

    Returns
    -------
    list of tuple
        The passages in time order.
    """
    spans: list[tuple[float, float, float]] = []
    for i, record in enumerate(records):
        if record.vertical_up_um <= base_depth_um:
            continue
        if i + 1 < len(records):
            stop = records[i + 1].start_s
        elif end_s is not None:
            stop = max(end_s, record.start_s)
        elif i > 0:
            stop = record.start_s + (record.start_s - records[i - 1].start_s)
        else:
            stop = record.start_s
        spans.append((record.start_s, stop, record.vertical_up_um))
    return [(s, e, high) for s, e, _, high in _merge(spans, merge_gap_s)]


def liftoff_findings(
    records: Sequence[RevolutionRecord],
    *,
    base_depth_um: float,
    side: str,
    timeline: Timeline,
    session: Session,
) -> list[Finding]:
    """Flag revolutions whose upward vertical excursion exceeds the groove's depth.

    Parameters
    ----------
    records
        Per-revolution records of the side's :class:`vinyl.groove.GrooveMeter`.
    base_depth_um
        The groove's depth without modulation, um (the meter's ``base_depth_um``).
    side
        Side name.
    timeline
        The side's timeline.
    session
        The session (track titles).

    Returns
    -------
    list of Finding
        One ``VINYL-LIFT-OFF`` error per run of consecutive lifting revolutions,
        with its start, length and highest excursion.
    """
    findings: list[Finding] = []
    end = timeline.seconds(timeline.length) if timeline.length else None
    for start, stop, highest in lift_off_passages(records, base_depth_um, end_s=end):
        where = side_location(timeline, session, start, stop)
        findings.append(
            _finding(
                "VINYL-LIFT-OFF",
                f"Side {side}: the cutter would lift out of the groove from "
                f"{format_clock(start)} for {stop - start:.1f} s (upward excursion "
                f"{highest:.0f} um against a {base_depth_um:g} um deep groove).",
                _MONO_ADVICE + " Or cut at a lower level.",
                side=side,
                measured=round(highest, 2),
                limit=base_depth_um,
                unit="um",
                **where,
            )
        )
    return findings
