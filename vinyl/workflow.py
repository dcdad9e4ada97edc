"""The vinyl job from a session: the side plan, the side checks, the side files.

One entry point for every face (``runout vinyl``, ``runout demo``, the app), so
none of them holds logic the others lack.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sequencer.analysis import CancelEvent, TrackAnalysis
from sequencer.findings import Finding, sort_findings
from sequencer.session import Session
from sequencer.timeline import SourceInfo
from vinyl.formats import DiscFormat, get_format
from vinyl.premaster import (
    SideFiles,
    SideObserver,
    VinylLevelPolicy,
    cut_gains,
    render_sides,
)
from vinyl.processing import vinyl_chain
from vinyl.sidecheck import SideCheckSettings, SideMeters, SideReport, check_layout
from vinyl.sides import SideLayout, SidePlan, SplitProposal, plan_sides, propose_split

logger = logging.getLogger(__name__)

#: Progress of the vinyl job: (done, total, what is happening).
VinylProgress = Callable[[float, float, str], None]


@dataclass(frozen=True)
class VinylPlan:
    """The sides to check and cut, and where they came from."""

    layout: SideLayout
    """The sides with their timelines."""
    proposal: SplitProposal | None
    """The automatic split used, when the session's own sides were not (not saved)."""

    @property
    def note(self) -> str | None:
        """A line telling the user the split is a proposal, or None."""
        if self.proposal is None:
            return None
        return "Proposed split (not saved): " + "; ".join(
            f"{name}: {', '.join(ids)}" for name, ids in self.proposal.sides
        )


@dataclass(frozen=True)
class VinylResult:
    """Everything the vinyl job made."""

    plan: VinylPlan
    """The sides."""
    reports: tuple[SideReport, ...]
    """The side checks, one per side, in side order."""
    files: SideFiles
    """The side files and the side manifest."""
    cutsheet: Path | None = None
    """The cut sheet PDF beside the side files (None when not asked for)."""

    @property
    def findings(self) -> list[Finding]:
        """All sides' findings, sorted."""
        return sort_findings(f for report in self.reports for f in report.findings)


def plan_vinyl(
    session: Session,
    sources: Mapping[str, SourceInfo],
    *,
    disc_format: str | DiscFormat | None = None,
    auto_split: bool = False,
) -> VinylPlan:
    """Return the session's sides, or a proposed split when asked or when it has none.

    Parameters
    ----------
    session
        The album.
    sources
        The probed sources by track id (:func:`sequencer.timeline.probe_sources`).
    disc_format
        The format (id or object); the session's vinyl format when None.
    auto_split
        Propose the fewest balanced sides in running order instead of the session's sides.
    """
    chosen = (
        disc_format
        if isinstance(disc_format, DiscFormat)
        else get_format(disc_format or session.vinyl.disc_format)
    )
    if auto_split or not any(side.track_ids for side in session.vinyl.sides):
        proposal = propose_split(session, sources, disc_format=chosen)
        return VinylPlan(layout=proposal.layout, proposal=proposal)
    return VinylPlan(layout=plan_sides(session, sources, disc_format=chosen), proposal=None)


def groove_figures(report: SideReport) -> dict[str, Any]:
    """Return a side's groove-space figures as JSON-ready data."""
    return {
        "space_mm": round(report.groove.space_mm, 2),
        "band_mm": round(report.groove.band_mm, 2),
        "fits": bool(report.groove.fits),
        "cut_level_db": report.settings.cut_level_db,
        "fitting_cut_level_db": report.fitting_cut_level_db,
        "widest_passages": [
            {"time_s": p.time_s, "pitch_um": p.pitch_um, "track_id": p.track_id}
            for p in report.widest
        ],
        "true_peak_dbtp": report.true_peak_dbtp,
        "summary": report.summary,
    }


def check_vinyl(
    session: Session,
    plan: VinylPlan,
    *,
    analyses: Mapping[str, TrackAnalysis],
    policy: VinylLevelPolicy | None = None,
    settings: SideCheckSettings | None = None,
    progress: VinylProgress | None = None,
    cancel: CancelEvent | None = None,
) -> tuple[SideReport, ...]:
    """Check every side at the level it would be cut, writing nothing.

    The same gains, processing and ceiling correction as :func:`make_vinyl`, so
    the reports equal the ones the side files get.
    """
    policy = policy or VinylLevelPolicy()
    layout = plan.layout
    sides = [side for side in layout.sides if side.timeline.placements]
    gain_plan, correction = cut_gains(session, sides, analyses, policy, cancel=cancel)
    gains = {track_id: gain + correction for track_id, gain in gain_plan.gains_db().items()}
    reports = check_layout(
        session,
        layout,
        gains_db=gains,
        analyses=analyses,
        settings=settings,
        processor_factory=lambda rate: vinyl_chain(session.vinyl, rate, mid=policy.mid),
        progress=None if progress is None else lambda d, t: progress(d, t, "checking the sides"),
        cancel=cancel,
    )
    return tuple(reports)


def make_vinyl(
    session: Session,
    plan: VinylPlan,
    out_dir: Path,
    *,
    analyses: Mapping[str, TrackAnalysis],
    policy: VinylLevelPolicy | None = None,
    settings: SideCheckSettings | None = None,
    progress: VinylProgress | None = None,
    cancel: CancelEvent | None = None,
    cutsheet: bool = True,
) -> VinylResult:
    """Check every side and write the side files, the side manifest and the cut sheet.

    One streaming pass per side: the side checks meter the processed mix as the
    side file is written (again, at the lowered level, when the ceiling asks for
    a second render). Sides render side by side on two threads.

    Parameters
    ----------
    session
        The album.
    plan
        The sides (:func:`plan_vinyl`).
    out_dir
        Folder for the side files (created when missing).
    analyses
        The sources' analyses by track id.
    policy
        The vinyl level preset; the default when None.
    settings
        The side checks' physical assumptions; from the session when None.
    progress
        Called with (done, total, what is happening).
    cancel
        Stops the job; nothing is left under a final name.
    cutsheet
        Also write the cut sheet PDF (``CAT001_cutsheet.pdf``, see :mod:`vinyl.cutsheet`).
    """
    layout = plan.layout
    reports: dict[str, SideReport] = {}

    def meters(
        side: SidePlan, gains_db: Mapping[str, float], true_peak_dbtp: float | None
    ) -> SideMeters:
        return SideMeters(
            session,
            side,
            layout.disc_format,
            gains_db=gains_db,
            analyses=analyses,
            settings=settings,
            true_peak_dbtp=true_peak_dbtp,
        )

    def notes(
        observers: Mapping[str, SideObserver],
    ) -> tuple[list[Finding], dict[str, dict[str, Any]]]:
        for name, observer in observers.items():
            assert isinstance(observer, SideMeters)
            reports[name] = observer.report()
        findings = [f for report in reports.values() for f in report.findings]
        return findings, {
            name: {"groove": groove_figures(report)} for name, report in reports.items()
        }

    files = render_sides(
        session,
        layout,
        out_dir,
        analyses=analyses,
        policy=policy,
        observers=meters,
        notes=notes,
        progress=progress,
        cancel=cancel,
    )
    ordered = [reports[side.name] for side in layout.sides if side.name in reports]
    result = VinylResult(plan=plan, reports=tuple(ordered), files=files)
    if not cutsheet:
        return result
    # Imported here: reportlab is loaded only by the jobs that write a PDF.
    from vinyl.cutsheet import cutsheet_file_name, write_cutsheet

    if progress is not None:
        progress(1.0, 1.0, "writing the cut sheet")
    path = write_cutsheet(session, result, out_dir / cutsheet_file_name(session), analyses=analyses)
    return replace(result, cutsheet=path)
