"""What the screens show, derived from the session by the core and shaped for display.

Nothing here decides anything about the album: the timeline, the gain plan,
the findings and the side plans all come from :mod:`sequencer` and
:mod:`vinyl`; these functions only pick the numbers and words a screen prints,
so the screens stay thin and the figures are the same as the command line's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sequencer.analysis import TrackAnalysis
from sequencer.errors import RunoutError
from sequencer.findings import Finding, Severity, check_session, format_clock
from sequencer.levels import GainPlan, plan_gains
from sequencer.session import Crossfade, Session
from sequencer.timeline import SourceInfo, Timeline, album_timeline

__all__ = [
    "AlbumView",
    "TrackRow",
    "album_findings",
    "album_view",
    "clock",
    "curve_name",
    "severity_mark",
]

_MARKS = {Severity.ERROR: "✖", Severity.WARNING: "▲", Severity.INFO: "·"}
_CURVES = {"linear": "lin", "equal-power": "eq-pow", "s-curve": "s-crv"}


def clock(seconds: float | None, digits: int = 1) -> str:
    """Return a time as ``M:SS.s`` for a table cell, ``-`` when unknown.

    Parameters
    ----------
    seconds : float or None
        The time.
    digits : int, optional
        Decimals of the seconds.

    Returns
    -------
    str
        The text, e.g. ``"3:07.5"``.
    """
    if seconds is None or not math.isfinite(seconds):
        return "-"
    return format_clock(max(seconds, 0.0), digits)


def curve_name(curve: str) -> str:
    """Return a short name of a fade curve for a narrow column.

    Parameters
    ----------
    curve : str
        The curve's value (``"equal-power"`` ...).

    Returns
    -------
    str
        ``lin``, ``eq-pow`` or ``s-crv``.
    """
    return _CURVES.get(str(curve), str(curve))


def severity_mark(severity: Severity | None) -> str:
    """Return the one-character marker of a finding's severity (blank for none).

    Parameters
    ----------
    severity : Severity or None
        The worst severity, or None.

    Returns
    -------
    str
        ``✖`` error, ``▲`` warning, ``·`` info, or a space.
    """
    return _MARKS.get(severity, " ") if severity is not None else " "


def _number(value: float | None, digits: int = 1, signed: bool = False) -> str:
    """Return a number for a table cell, ``-`` when unknown."""
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


@dataclass(frozen=True)
class TrackRow:
    """One row of the running-order table."""

    track_id: str
    """The track's id (the row key)."""
    number: str
    """Position from 1."""
    title: str
    """Title."""
    length: str
    """Length after trims, ``M:SS.s``."""
    start: str
    """Start on the album."""
    into: str
    """What leads into the track: a pause or a crossfade with its curve."""
    lufs: str
    """Integrated loudness of the source, LUFS."""
    true_peak: str
    """True peak of the source, dBTP."""
    gain: str
    """Planned gain, dB."""
    marker: str
    """The worst finding's marker."""
    lufs_value: float | None
    """Integrated loudness after the planned gain (before it without a plan), for the arc."""


@dataclass(frozen=True)
class AlbumView:
    """Everything the Sequence screen shows, derived from one session."""

    rows: tuple[TrackRow, ...]
    """The running order."""
    timeline: Timeline | None
    """The album timeline; None while a source is missing."""
    plan: GainPlan | None
    """The gain plan; None until every track is analysed."""
    findings: tuple[Finding, ...]
    """Every finding of the core checks, sorted."""
    analysed: int
    """How many tracks of the running order have their analysis."""
    problems: tuple[str, ...]
    """Why something cannot be shown (a missing source, a session that does not fit)."""

    @property
    def total_s(self) -> float | None:
        """Running time of the album in seconds, or None."""
        if self.timeline is None:
            return None
        return self.timeline.length / self.timeline.sample_rate

    def findings_of(self, track_id: str) -> list[Finding]:
        """Return the findings about one track.

        Parameters
        ----------
        track_id : str
            The track.

        Returns
        -------
        list of Finding
            In the sorted order.
        """
        return [f for f in self.findings if f.track_id == track_id]


_PLANS: dict[tuple[object, ...], GainPlan] = {}
"""Recent gain plans by what they depend on (see :func:`_planned`)."""


def _planned(session: Session, analyses: Mapping[str, TrackAnalysis]) -> GainPlan:
    """Return :func:`plan_gains` of the session, reusing it when only the order or pauses changed.

    The plan depends on which tracks play, their trims, fades and offsets, their
    analyses and the loudness policy, not on the order or the pauses: a reorder
    or a pause edit, the most frequent edits, reuse the plan.
    """
    tracks = sorted(session.ordered_tracks(), key=lambda t: t.id)
    key: tuple[object, ...] = (
        session.loudness,
        tuple(
            (t.id, t.path, t.trim_in_s, t.trim_out_s, t.fade_in, t.fade_out, t.offset_lu)
            for t in tracks
        ),
        tuple(id(analyses[t.id]) for t in tracks),
    )
    plan = _PLANS.get(key)
    if plan is None:
        plan = plan_gains(session, analyses)
        if len(_PLANS) > 32:
            _PLANS.clear()
        _PLANS[key] = plan
    order = {track_id: index for index, track_id in enumerate(session.order)}
    if [g.track_id for g in plan.tracks] != list(session.order):
        plan = plan.model_copy(
            update={"tracks": tuple(sorted(plan.tracks, key=lambda g: order[g.track_id]))}
        )
    return plan


def _worst(findings: list[Finding]) -> Severity | None:
    """Return the most severe severity among *findings*."""
    for severity in (Severity.ERROR, Severity.WARNING, Severity.INFO):
        if any(f.severity == severity for f in findings):
            return severity
    return None


def _into(session: Session, track_id: str, first: bool) -> str:
    """Describe the transition into a track for the table."""
    transition = session.transition_into(track_id)
    if isinstance(transition, Crossfade):
        return f"xf {transition.seconds:g}s {curve_name(transition.curve)}"
    own = session.track(track_id).pause_before_s
    mark = "" if first or own is not None else "*"
    return f"{'lead' if first else 'pause'} {transition:g}s{mark}"


def album_view(
    session: Session,
    sources: Mapping[str, SourceInfo],
    analyses: Mapping[str, TrackAnalysis],
    findings: Sequence[Finding] = (),
) -> AlbumView:
    """Derive the Sequence screen's content from a session.

    The findings are passed in: the checks take longer than an edit may (they
    run in a worker, :func:`album_findings`), so the screen shows the last ones
    until the new ones arrive.

    Parameters
    ----------
    session : Session
        The album.
    sources : Mapping of str to SourceInfo
        Length and rate of the sources that could be read, by track id.
    analyses : Mapping of str to TrackAnalysis
        The analyses known so far, by track id.
    findings : Sequence of Finding, optional
        The findings to mark in the table (from :func:`album_findings`).

    Returns
    -------
    AlbumView
        Rows, timeline, gain plan and findings; missing pieces are None and
        ``problems`` says why.
    """
    tracks = session.ordered_tracks()
    problems: list[str] = []
    missing = [t for t in tracks if t.id not in sources]
    timeline: Timeline | None = None
    if missing:
        problems.append(
            "cannot read the source of " + ", ".join(f'"{t.title}"' for t in missing[:3])
        )
    elif tracks:
        try:
            timeline = album_timeline(session, sources)
        except RunoutError as error:
            problems.append(str(error).splitlines()[0])
    known = {t.id: analyses[t.id] for t in tracks if t.id in analyses}
    plan: GainPlan | None = None
    complete = bool(tracks) and len(known) == len(tracks)
    if complete:
        try:
            plan = _planned(session, known)
        except RunoutError as error:
            problems.append(str(error).splitlines()[0])
    ids = set(session.order)
    rows = []
    for index, track in enumerate(tracks):
        placement = timeline.placement(track.id) if timeline is not None else None
        rate = timeline.sample_rate if timeline is not None else 1
        analysis = known.get(track.id)
        gain = plan.track(track.id) if plan is not None else None
        lufs = analysis.integrated_lufs if analysis is not None else None
        after = gain.integrated_lufs_after if gain is not None else lufs
        rows.append(
            TrackRow(
                track_id=track.id,
                number=str(index + 1),
                title=track.title,
                length=clock(placement.length / rate if placement else None),
                start=clock(placement.start / rate if placement else None),
                into=_into(session, track.id, index == 0),
                lufs=_number(lufs),
                true_peak=_number(analysis.true_peak_dbtp if analysis else None),
                gain=_number(gain.gain_db if gain else None, signed=True),
                marker=severity_mark(_worst([f for f in findings if f.track_id == track.id])),
                lufs_value=after,
            )
        )
    return AlbumView(
        rows=tuple(rows),
        timeline=timeline,
        plan=plan,
        findings=tuple(f for f in findings if f.track_id is None or f.track_id in ids),
        analysed=len(known),
        problems=tuple(problems),
    )


def album_findings(
    session: Session, analyses: Mapping[str, TrackAnalysis], plan: GainPlan | None
) -> list[Finding]:
    """Run the core checks on a session, as ``runout check`` does.

    Parameters
    ----------
    session : Session
        The album.
    analyses : Mapping of str to TrackAnalysis
        The analyses by track id; the checks that need them run only when every
        track of the running order has one.
    plan : GainPlan or None
        The gain plan, for the loudness jumps across seams.

    Returns
    -------
    list of Finding
        Sorted; an empty list when the session does not fit its sources (the
        Sequence screen says so itself).
    """
    complete = bool(session.order) and all(t in analyses for t in session.order)
    try:
        return check_session(
            session,
            analyses={t: analyses[t] for t in session.order} if complete else None,
            gains_db=plan.gains_db() if plan else None,
        )
    except RunoutError:
        return []
