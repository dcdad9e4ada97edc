"""Side plans: the session's vinyl sides as exact timelines, and automatic splits.

Rules shared by the manual plan and the splitter, so that a proposal's side
lengths are exactly the lengths of the timelines built from it:

- The first track of a side starts after the plan's lead-in (``lead_in_s``).
- Between tracks on a side: the track's ``pause_overrides`` entry, else
  ``pause_s``. A session crossfade (a segue) is kept when its two tracks follow
  each other on the side and the second has no pause override; the splitter
  never puts a side break inside a segue.
- The rate is the sources' common rate; with mixed rates, the highest source
  rate (the lower-rate tracks are resampled to it, nothing is upsampled beyond
  the best source) and the layout's ``rate_note`` says so.

Functions here are pure: they take the session, the sources' lengths
(:func:`sequencer.timeline.probe_sources`) and, for the reordering variant, the
track analyses. A proposal is never applied silently: :func:`apply_proposal`
returns a new session.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from sequencer import edits
from sequencer.analysis import TrackAnalysis
from sequencer.errors import SessionError
from sequencer.session import Crossfade, Session
from sequencer.timeline import SourceInfo, Timeline, TrackEntry, place, to_samples
from vinyl.formats import DiscFormat, FormatRegistry, get_format, level_change_to_fit

__all__ = [
    "SideLayout",
    "SidePlan",
    "SplitProposal",
    "apply_proposal",
    "plan_sides",
    "propose_reordered_split",
    "propose_split",
    "side_entries",
    "side_name",
    "side_sample_rate",
]

logger = logging.getLogger(__name__)

Limit = Literal["recommended", "maximum"]
"""Which guideline side time a split aims at."""


@dataclass(frozen=True)
class SidePlan:
    """One side: its tracks placed on an exact timeline and its time against the format."""

    name: str
    """Side name, e.g. ``"A"``."""
    disc: int
    """Disc number from 1 (sides 1-2 are disc 1, 3-4 disc 2, ...)."""
    timeline: Timeline
    """The side's timeline (lead-in, pauses, tracks), at the layout's rate."""
    recommended_s: float
    """The format's recommended side time, seconds."""
    maximum_s: float
    """The format's maximum side time, seconds."""

    @property
    def track_ids(self) -> tuple[str, ...]:
        """Ids of the tracks on the side, in playing order."""
        return tuple(p.track_id for p in self.timeline.placements)

    @property
    def samples(self) -> int:
        """Length of the side in samples (lead-in to the last track's end)."""
        return self.timeline.length

    @property
    def duration_s(self) -> float:
        """Length of the side in seconds."""
        return self.timeline.length / self.timeline.sample_rate

    @property
    def over_recommended_s(self) -> float:
        """Seconds over the recommended time (negative: time to spare)."""
        return self.duration_s - self.recommended_s

    @property
    def over_maximum_s(self) -> float:
        """Seconds over the maximum time (negative: time to spare)."""
        return self.duration_s - self.maximum_s

    @property
    def status(self) -> Literal["fits", "over recommended", "over maximum"]:
        """Where the side stands against the guideline table."""
        if self.over_maximum_s > 0:
            return "over maximum"
        if self.over_recommended_s > 0:
            return "over recommended"
        return "fits"

    def level_change_db(self, limit: Limit = "recommended") -> float | None:
        """Return the level change that makes the side fit a guideline time.

        Parameters
        ----------
        limit : {"recommended", "maximum"}
            The guideline.

        Returns
        -------
        float or None
            dB, negative when the side must be cut quieter (time proportional to
            ``10 ** (-level / 40)``); ``None`` for an empty side.
        """
        if self.timeline.length == 0:
            return None
        target = self.recommended_s if limit == "recommended" else self.maximum_s
        return level_change_to_fit(self.duration_s, target)


@dataclass(frozen=True)
class SideLayout:
    """Every side of a vinyl release, at one sample rate, for one disc format."""

    disc_format: DiscFormat
    """The format the sides are judged against."""
    sample_rate: int
    """Rate of every side timeline, Hz."""
    rate_note: str
    """How the rate was chosen, in plain words."""
    sides: tuple[SidePlan, ...]
    """The sides in order."""
    notes: tuple[str, ...] = ()
    """Remarks for the user (tracks on no side, ...)."""

    @property
    def discs(self) -> int:
        """Number of discs (two sides each)."""
        return math.ceil(len(self.sides) / 2)

    @property
    def longest_s(self) -> float:
        """Length of the longest side in seconds (0 without sides)."""
        return max((side.duration_s for side in self.sides), default=0.0)

    @property
    def fits(self) -> bool:
        """Whether every side is within the recommended time."""
        return all(side.status == "fits" for side in self.sides)

    def side(self, name: str) -> SidePlan:
        """Return the side called *name* (SessionError when absent)."""
        for side in self.sides:
            if side.name == name:
                return side
        raise SessionError(f"no side {name!r} in this plan")


@dataclass(frozen=True)
class SplitProposal:
    """An automatic side split, offered to the user; :func:`apply_proposal` applies it."""

    layout: SideLayout
    """The proposed sides with their timelines."""
    limit: Limit
    """The guideline the split aims at (``"maximum"`` when the recommended time cannot be met)."""
    limit_s: float
    """That guideline's time, seconds."""
    fits: bool
    """Whether every side is within ``limit_s``."""
    reordered: bool
    """Whether tracks were reordered within sides (loud/bright first)."""
    notes: tuple[str, ...]
    """Why the proposal looks as it does, in plain words."""

    @property
    def sides(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """The proposal as ``(side name, track ids)`` pairs."""
        return tuple((side.name, side.track_ids) for side in self.layout.sides)


# --------------------------------------------------------------------------- building blocks


def side_name(index: int) -> str:
    """Return the name of the side at 0-based *index*: ``A``, ``B``, ... ``Z``, then ``S27``..."""
    return chr(ord("A") + index) if index < 26 else f"S{index + 1}"


def side_sample_rate(
    sources: Mapping[str, SourceInfo], track_ids: Sequence[str]
) -> tuple[int, str]:
    """Choose the rate of the side timelines: never above the best source.

    Parameters
    ----------
    sources : Mapping of str to SourceInfo
        Length and rate of each track's source.
    track_ids : Sequence of str
        The tracks going on vinyl.

    Returns
    -------
    tuple of (int, str)
        The sources' common rate, or the highest source rate when they differ,
        and a sentence saying which.

    Raises
    ------
    SessionError
        When there are no tracks or a source is unknown.
    """
    missing = [tid for tid in track_ids if tid not in sources]
    if missing:
        raise SessionError(f"the source length of track(s) {', '.join(missing)} is unknown")
    rates = sorted({sources[tid].sample_rate for tid in track_ids})
    if not rates:
        raise SessionError("no tracks on vinyl: assign tracks to sides or make a running order")
    if len(rates) == 1:
        return rates[0], f"sides at the sources' native rate, {rates[0]} Hz"
    listed = ", ".join(str(rate) for rate in rates)
    return rates[-1], (
        f"sources at {listed} Hz: sides at the highest source rate, {rates[-1]} Hz "
        "(lower-rate tracks are resampled to it; nothing is upsampled beyond it)"
    )


def _override_map(session: Session) -> dict[str, float]:
    return {o.track_id: o.seconds for o in session.vinyl.pause_overrides}


def _segue(session: Session, previous: str, track_id: str) -> Crossfade | None:
    """Return the session crossfade from *previous* into *track_id*, if any."""
    for crossfade in session.crossfades:
        if crossfade.from_track == previous and crossfade.to_track == track_id:
            return crossfade
    return None


def side_entries(session: Session, track_ids: Sequence[str]) -> list[TrackEntry]:
    """Return the timeline entries of one side (lead-in, pauses, kept segues).

    Parameters
    ----------
    session : Session
        The session (its vinyl plan gives lead-in, pause and overrides).
    track_ids : Sequence of str
        The side's tracks in playing order.

    Returns
    -------
    list of TrackEntry
        One entry per track: the first with the lead-in, the others with their
        override or the plan's pause, or the session's crossfade when the two
        tracks are a segue kept on the side.
    """
    overrides = _override_map(session)
    vinyl = session.vinyl
    entries: list[TrackEntry] = []
    for index, track_id in enumerate(track_ids):
        track = session.track(track_id)
        if index == 0:
            entries.append(TrackEntry(track=track, pause_s=vinyl.lead_in_s))
            continue
        crossfade = (
            None if track_id in overrides else _segue(session, track_ids[index - 1], track_id)
        )
        if crossfade is not None:
            entries.append(TrackEntry(track=track, crossfade=crossfade))
        else:
            entries.append(TrackEntry(track=track, pause_s=overrides.get(track_id, vinyl.pause_s)))
    return entries


def _side_plan(
    session: Session,
    name: str,
    index: int,
    track_ids: Sequence[str],
    sources: Mapping[str, SourceInfo],
    rate: int,
    fmt: DiscFormat,
) -> SidePlan:
    """Place one side and judge it against *fmt*."""
    if track_ids:
        timeline = place(side_entries(session, track_ids), sources, rate)
    else:
        timeline = Timeline(sample_rate=rate, placements=(), length=0)
    return SidePlan(
        name=name,
        disc=index // 2 + 1,
        timeline=timeline,
        recommended_s=fmt.recommended_s,
        maximum_s=fmt.maximum_s,
    )


def _resolve_format(
    session: Session, disc_format: DiscFormat | str | None, registry: FormatRegistry | None
) -> DiscFormat:
    if isinstance(disc_format, DiscFormat):
        return disc_format
    return get_format(disc_format or session.vinyl.disc_format, registry)


# --------------------------------------------------------------------------- manual plan


def plan_sides(
    session: Session,
    sources: Mapping[str, SourceInfo],
    *,
    disc_format: DiscFormat | str | None = None,
    registry: FormatRegistry | None = None,
) -> SideLayout:
    """Build the timelines of the sides the user assigned (``session.vinyl.sides``).

    Parameters
    ----------
    session : Session
        The session.
    sources : Mapping of str to SourceInfo
        Length and rate of each track's source, by track id.
    disc_format : DiscFormat or str, optional
        The format (or its id); default ``session.vinyl.disc_format``.
    registry : FormatRegistry, optional
        Where format ids are looked up; the built-in formats by default.

    Returns
    -------
    SideLayout
        One :class:`SidePlan` per side (an empty side has an empty timeline),
        with notes naming running-order tracks that are on no side.

    Raises
    ------
    SessionError
        When no side has tracks, a source is unknown, the format is unknown or a
        trim, fade or crossfade does not fit the audio.
    """
    fmt = _resolve_format(session, disc_format, registry)
    on_sides = [tid for side in session.vinyl.sides for tid in side.track_ids]
    if not on_sides:
        raise SessionError(
            "no tracks are on vinyl sides: assign tracks to sides or use an automatic split"
        )
    rate, rate_note = side_sample_rate(sources, on_sides)
    sides = tuple(
        _side_plan(session, side.name, index, side.track_ids, sources, rate, fmt)
        for index, side in enumerate(session.vinyl.sides)
    )
    placed = set(on_sides)
    left_out = [session.track(tid).display_name for tid in session.order if tid not in placed]
    notes = (f"not on any side: {', '.join(left_out)}",) if left_out else ()
    return SideLayout(
        disc_format=fmt, sample_rate=rate, rate_note=rate_note, sides=sides, notes=notes
    )


# --------------------------------------------------------------------------- automatic split


def _lengths_and_joins(
    session: Session, order: Sequence[str], sources: Mapping[str, SourceInfo], rate: int
) -> tuple[list[int], list[int], list[bool]]:
    """Return per-track lengths, the join before each track, and which joins are segues.

    ``joins[i]`` is the pause (positive) or crossfade overlap (negative) in samples
    between track ``i - 1`` and track ``i`` when they share a side; ``joins[0]`` is 0.
    """
    lengths = [
        place([TrackEntry(track=session.track(tid))], sources, rate).placements[0].length
        for tid in order
    ]
    entries = side_entries(session, order)
    joins: list[int] = [0]
    segue: list[bool] = [False]
    for entry in entries[1:]:
        if entry.crossfade is not None:
            joins.append(-to_samples(entry.crossfade.seconds, rate))
            segue.append(True)
        else:
            joins.append(to_samples(entry.pause_s, rate))
            segue.append(False)
    return lengths, joins, segue


def _partition(
    cost: list[list[int]], n: int, parts: int, cap: int | None
) -> tuple[int, list[int]] | None:
    """Split ``0..n`` into *parts* contiguous blocks; minimise the longest, then balance.

    ``cost[a][b]`` is the length of a side holding tracks ``a..b-1`` (-1 when that
    block is not allowed). With *cap*, only blocks up to *cap* are used. Returns
    the longest side and the cut positions, or None when impossible.
    """
    inf = math.inf

    def solve(limit: float, score: str) -> tuple[float, list[int]] | None:
        best = [[inf] * (n + 1) for _ in range(parts + 1)]
        back = [[-1] * (n + 1) for _ in range(parts + 1)]
        best[0][0] = 0.0
        for j in range(1, parts + 1):
            for b in range(j, n + 1):
                for a in range(j - 1, b):
                    if best[j - 1][a] == inf:
                        continue
                    length = cost[a][b]
                    if length < 0 or length > limit:
                        continue
                    value = (
                        max(best[j - 1][a], length)
                        if score == "max"
                        else best[j - 1][a] + float(length) ** 2
                    )
                    if value < best[j][b]:
                        best[j][b], back[j][b] = value, a
        if best[parts][n] == inf:
            return None
        cuts, b = [], n
        for j in range(parts, 0, -1):
            cuts.append(b)
            b = back[j][b]
        return best[parts][n], sorted(cuts)

    first = solve(inf if cap is None else cap, "max")
    if first is None:
        return None
    longest = int(first[0])
    balanced = solve(longest, "squares")
    assert balanced is not None  # the first solution satisfies the bound
    return longest, balanced[1]


def _blocks(cuts: list[int]) -> list[tuple[int, int]]:
    starts = [0, *cuts[:-1]]
    return list(zip(starts, cuts, strict=True))


def _split_order(
    session: Session,
    order: Sequence[str],
    sources: Mapping[str, SourceInfo],
    rate: int,
    fmt: DiscFormat,
    target: Limit,
    fill_discs: bool,
) -> tuple[list[list[str]], Limit, bool, list[str]]:
    """Choose the sides for *order*; return them, the limit used, whether it fits, notes."""
    n = len(order)
    lengths, joins, segue = _lengths_and_joins(session, order, sources, rate)
    lead = to_samples(session.vinyl.lead_in_s, rate)
    cost = [[-1] * (n + 1) for _ in range(n + 1)]
    for a in range(n):
        total = lead + lengths[a]
        cost[a][a + 1] = total
        for b in range(a + 2, n + 1):
            total += joins[b - 1] + lengths[b - 1]
            cost[a][b] = total
    # A side break inside a segue is not allowed: no block may start on a segue's second track.
    for a in range(1, n):
        if segue[a]:
            for b in range(a + 1, n + 1):
                cost[a][b] = -1
    notes: list[str] = []
    limits: list[Limit] = ["recommended", "maximum"] if target == "recommended" else ["maximum"]
    for limit in limits:
        cap = to_samples(fmt.limit_s(limit), rate)
        for parts in range(1, n + 1):
            found = _partition(cost, n, parts, cap)
            if found is None:
                continue
            if fill_discs and parts % 2 and parts < n:
                more = _partition(cost, n, parts + 1, cap)
                if more is not None:
                    parts, found = parts + 1, more
                    notes.append("every side of the last disc is used (fill_discs)")
            if limit != target:
                notes.append(
                    f"no split keeps every side within the recommended {fmt.recommended_s / 60:.1f}"
                    f" min; the sides aim at the maximum, {fmt.maximum_s / 60:.1f} min"
                )
            return [list(order[a:b]) for a, b in _blocks(found[1])], limit, True, notes
    # Nothing fits even the maximum: the fewest sides that reach the smallest possible longest side.
    best: tuple[int, list[int]] | None = None
    for parts in range(1, n + 1):
        found = _partition(cost, n, parts, None)
        if found is not None and (best is None or found[0] < best[0]):
            best = found
    assert best is not None  # one side per allowed block always exists
    notes.append(
        f"some tracks (or segues) are longer than the maximum side, {fmt.maximum_s / 60:.1f} min, "
        "on their own: cut quieter, shorten them or choose a larger or slower format"
    )
    return [list(order[a:b]) for a, b in _blocks(best[1])], limits[-1], False, notes


def _layout(
    session: Session,
    groups: Sequence[Sequence[str]],
    sources: Mapping[str, SourceInfo],
    rate: int,
    rate_note: str,
    fmt: DiscFormat,
    notes: Sequence[str],
) -> SideLayout:
    sides = tuple(
        _side_plan(session, side_name(index), index, ids, sources, rate, fmt)
        for index, ids in enumerate(groups)
    )
    return SideLayout(
        disc_format=fmt, sample_rate=rate, rate_note=rate_note, sides=sides, notes=tuple(notes)
    )


def propose_split(
    session: Session,
    sources: Mapping[str, SourceInfo],
    *,
    disc_format: DiscFormat | str | None = None,
    target: Limit = "recommended",
    fill_discs: bool = False,
    registry: FormatRegistry | None = None,
) -> SplitProposal:
    """Split the running order into the fewest sides that fit, keeping the order.

    Among splits with the fewest sides, the one with the shortest longest side is
    chosen (exact dynamic programme over contiguous splits), and among those the
    most even (least sum of squared side lengths). Side lengths use the real
    track lengths (sources and trims), the lead-in and the vinyl pauses, exactly
    as :func:`plan_sides` places them.

    Parameters
    ----------
    session : Session
        The session; its running order is split.
    sources : Mapping of str to SourceInfo
        Length and rate of each track's source, by track id.
    disc_format : DiscFormat or str, optional
        The format (or its id); default ``session.vinyl.disc_format``.
    target : {"recommended", "maximum"}
        The guideline each side must fit. With ``"recommended"`` the maximum is the
        fallback when no split meets it.
    fill_discs : bool
        Use both sides of the last disc when the fewest sides are odd (shorter
        sides, same number of discs).
    registry : FormatRegistry, optional
        Where format ids are looked up.

    Returns
    -------
    SplitProposal
        The proposal (sides A, B, ...); the session is not changed.

    Raises
    ------
    SessionError
        When the running order is empty, a source is unknown or the format is
        unknown.
    """
    fmt = _resolve_format(session, disc_format, registry)
    order = list(session.order)
    if not order:
        raise SessionError("the running order is empty: add tracks first")
    rate, rate_note = side_sample_rate(sources, order)
    groups, limit, fits, notes = _split_order(
        session, order, sources, rate, fmt, target, fill_discs
    )
    layout = _layout(session, groups, sources, rate, rate_note, fmt, notes)
    fits = fits and all(side.duration_s <= fmt.limit_s(limit) for side in layout.sides)
    logger.debug("split %d tracks into %d sides (%s)", len(order), len(groups), limit)
    return SplitProposal(
        layout=layout,
        limit=limit,
        limit_s=fmt.limit_s(limit),
        fits=fits,
        reordered=False,
        notes=tuple(notes),
    )


def _units(session: Session, track_ids: Sequence[str]) -> list[list[str]]:
    """Group a side's tracks into units that move together (segues stay whole)."""
    units: list[list[str]] = []
    for index, track_id in enumerate(track_ids):
        if index and _segue(session, track_ids[index - 1], track_id) is not None:
            units[-1].append(track_id)
        else:
            units.append([track_id])
    return units


def _ranks(values: Sequence[float]) -> list[float]:
    """Rank values, 0 for the largest; ties share their mean rank."""
    order = sorted(range(len(values)), key=lambda i: -values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2.0
        i = j + 1
    return ranks


def _loud_bright_first(
    session: Session,
    track_ids: Sequence[str],
    analyses: Mapping[str, TrackAnalysis],
    brightness: Mapping[str, float] | None,
) -> list[str]:
    """Reorder one side: loud and bright units first, quiet and dull ones last."""
    units = _units(session, track_ids)

    def mean(values: list[float]) -> float:
        return sum(values) / len(values)

    def lufs(track_id: str) -> float:
        analysis = analyses.get(track_id)
        value = None if analysis is None else analysis.integrated_lufs
        return -200.0 if value is None else value + session.track(track_id).offset_lu

    loudness = [mean([lufs(tid) for tid in unit]) for unit in units]
    score = _ranks(loudness)
    if brightness is not None and all(tid in brightness for tid in track_ids):
        bright = _ranks([mean([brightness[tid] for tid in unit]) for unit in units])
        score = [(a + b) / 2.0 for a, b in zip(score, bright, strict=True)]
    ranked = sorted(range(len(units)), key=lambda i: (score[i], -loudness[i], i))
    return [tid for i in ranked for tid in units[i]]


def propose_reordered_split(
    session: Session,
    sources: Mapping[str, SourceInfo],
    analyses: Mapping[str, TrackAnalysis],
    *,
    brightness: Mapping[str, float] | None = None,
    disc_format: DiscFormat | str | None = None,
    target: Limit = "recommended",
    fill_discs: bool = False,
    registry: FormatRegistry | None = None,
) -> SplitProposal:
    """Split like :func:`propose_split`, then put quiet, dull tracks last on each side.

    The inner groove runs slowest and traces high frequencies worst, so each
    side is reordered loud/bright first. A track's place is its rank by
    integrated loudness (from *analyses*, plus the track's ``offset_lu``; an
    unmeasurable track counts as quietest), averaged with its rank by
    high-frequency content when *brightness* gives a value for every track on
    the side (else loudness alone); ties keep the louder, then the running order
    first. Segues (crossfaded neighbours) move as one unit. Which tracks share a
    side is the order-keeping split's; pauses follow their tracks, so side
    lengths are recomputed.

    Parameters
    ----------
    session : Session
        The session.
    sources : Mapping of str to SourceInfo
        Length and rate of each track's source, by track id.
    analyses : Mapping of str to TrackAnalysis
        Analysis of each track, by track id (missing: treated as quietest).
    brightness : Mapping of str to float, optional
        High-frequency content per track id, any unit where larger is brighter
        (for example the energy above 5 kHz relative to the total, in dB).
    disc_format : DiscFormat or str, optional
        The format (or its id); default ``session.vinyl.disc_format``.
    target : {"recommended", "maximum"}
        The guideline each side must fit (see :func:`propose_split`).
    fill_discs : bool
        Use both sides of the last disc when the fewest sides are odd.
    registry : FormatRegistry, optional
        Where format ids are looked up.

    Returns
    -------
    SplitProposal
        The reordered proposal (``reordered`` is True); the session is unchanged.
    """
    base = propose_split(
        session,
        sources,
        disc_format=disc_format,
        target=target,
        fill_discs=fill_discs,
        registry=registry,
    )
    layout = base.layout
    groups = [
        _loud_bright_first(session, side.track_ids, analyses, brightness) for side in layout.sides
    ]
    how = "loudness and high-frequency content" if brightness is not None else "loudness"
    notes = [*base.notes, f"tracks reordered within each side by {how}: loud/bright first"]
    new = _layout(
        session, groups, sources, layout.sample_rate, layout.rate_note, layout.disc_format, notes
    )
    return SplitProposal(
        layout=new,
        limit=base.limit,
        limit_s=base.limit_s,
        fits=all(side.duration_s <= base.limit_s for side in new.sides),
        reordered=True,
        notes=tuple(notes),
    )


def apply_proposal(session: Session, proposal: SplitProposal) -> Session:
    """Return *session* with the proposal's sides (and disc format) as its vinyl plan.

    The existing sides are replaced; each track is put on its side with
    :func:`sequencer.edits.assign_side`, in the proposed order.

    Parameters
    ----------
    session : Session
        The session to edit.
    proposal : SplitProposal
        A proposal from :func:`propose_split` or :func:`propose_reordered_split`.

    Returns
    -------
    Session
        The new session; *session* is unchanged.

    Raises
    ------
    SessionError
        When a track of the proposal is not in the session.
    """
    changes: dict[str, object] = {"sides": ()}
    if session.vinyl.disc_format != proposal.layout.disc_format.id:
        changes["disc_format"] = proposal.layout.disc_format.id
    result = edits.set_vinyl(session, **changes)
    for name, track_ids in proposal.sides:
        for track_id in track_ids:
            result = edits.assign_side(result, track_id, name)
    return result
