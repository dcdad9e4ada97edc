"""Side plans: manual side timelines, the automatic split, the reordering variant."""

from __future__ import annotations

import itertools
import math
import random
from pathlib import Path

import pytest

from sequencer import edits
from sequencer.analysis import TrackAnalysis
from sequencer.errors import SessionError
from sequencer.session import Session, new_session
from sequencer.timeline import SourceInfo
from vinyl.formats import get_format
from vinyl.sides import (
    apply_proposal,
    plan_sides,
    propose_reordered_split,
    propose_split,
    side_name,
)

RATE = 44100


def make_session(tmp_path: Path, names: str) -> Session:
    return new_session([tmp_path / f"{name}.wav" for name in names], title="Album")


def sources_of(seconds: dict[str, float], rate: int = RATE) -> dict[str, SourceInfo]:
    return {tid: SourceInfo(frames=round(s * rate), sample_rate=rate) for tid, s in seconds.items()}


def analysis(lufs: float | None) -> TrackAnalysis:
    return TrackAnalysis(
        path="x.wav", duration_samples=RATE, sample_rate=RATE, channels=2, format="WAV",
        subtype="PCM_24", integrated_lufs=lufs, loudness_range_lu=None, max_momentary_lufs=None,
        max_short_term_lufs=None, true_peak_dbtp=None, sample_peak_dbfs=None, plr_db=None,
        dc_offset=(0.0, 0.0), correlation=None, clipped_runs=0, clip_times_s=(), clicks=0,
        click_times_s=(), leading_silence_s=0.0, trailing_silence_s=0.0, block_loudness=(),
        short_term_profile=(), profile_step_s=0.1,
    )  # fmt: skip


# --------------------------------------------------------------------------- manual plan


def test_manual_sides_are_exact_to_the_sample(tmp_path: Path) -> None:
    session = make_session(tmp_path, "abcde")
    session = edits.set_vinyl(
        session,
        pause_s=2.5,
        lead_in_s=1.0,
        pause_overrides=[{"track_id": "b", "seconds": 4.0}, {"track_id": "c", "seconds": 9.0}],
    )
    session = edits.set_trim(session, "b", 0.5, 60.0)
    for tid, side in (("a", "A"), ("b", "A"), ("e", "A"), ("c", "B"), ("d", "B")):
        session = edits.assign_side(session, tid, side)
    sources = sources_of({"a": 100.0, "b": 90.0, "c": 200.0, "d": 50.00001, "e": 30.0})
    layout = plan_sides(session, sources)
    assert layout.sample_rate == RATE
    assert "native rate, 44100 Hz" in layout.rate_note
    a, b = layout.sides
    assert (a.name, a.disc, a.track_ids) == ("A", 1, ("a", "b", "e"))
    starts = [p.start for p in a.timeline.placements]
    assert starts[0] == 44100  # lead-in
    assert starts[1] == 44100 + 4_410_000 + 4 * 44100  # override before b
    b_len = round(59.5 * RATE)
    assert a.timeline.placements[1].length == b_len
    assert starts[2] == starts[1] + b_len + round(2.5 * RATE)  # the plan's pause
    assert a.samples == starts[2] + 30 * RATE
    # c is first on side B: the lead-in replaces its override
    assert [p.start for p in b.timeline.placements] == [RATE, RATE + 200 * RATE + round(2.5 * RATE)]
    assert b.timeline.placements[1].length == round(50.00001 * RATE)
    assert a.duration_s == pytest.approx(a.samples / RATE)
    assert a.recommended_s == 19.5 * 60
    assert a.maximum_s == 23 * 60
    assert a.status == "fits"
    assert a.over_recommended_s < 0
    spare = a.level_change_db()
    assert spare is not None
    assert spare > 0
    assert layout.discs == 1
    assert layout.fits
    assert layout.notes == ()


def test_manual_sides_keep_segues_and_report_overs(tmp_path: Path) -> None:
    session = make_session(tmp_path, "abc")
    session = edits.set_crossfade(session, "b", 3.0)
    session = edits.set_vinyl(session, disc_format="7-45")
    for tid in "ab":
        session = edits.assign_side(session, tid, "A")
    session = edits.assign_side(session, "c", "B")
    session = edits.unassign_side(session, "c")  # side B stays, empty
    layout = plan_sides(session, sources_of({"a": 200.0, "b": 200.0, "c": 10.0}))
    side = layout.side("A")
    assert side.timeline.placements[1].crossfade_in == 3 * RATE
    assert side.samples == 397 * RATE
    assert side.status == "over maximum"
    assert side.over_maximum_s == pytest.approx(37.0)
    assert side.level_change_db() == pytest.approx(-40 * math.log10(397 / 300))
    empty = layout.side("B")
    assert empty.samples == 0
    assert empty.level_change_db() is None
    assert layout.notes == ('not on any side: "c" ("c")',)
    assert not layout.fits


def test_mixed_rates_use_the_highest_and_say_so(tmp_path: Path) -> None:
    session = edits.assign_side(make_session(tmp_path, "ab"), "a", "A")
    session = edits.assign_side(session, "b", "A")
    sources = {"a": SourceInfo(44100 * 10, 44100), "b": SourceInfo(96000 * 10, 96000)}
    layout = plan_sides(session, sources)
    assert layout.sample_rate == 96000
    assert "44100, 96000 Hz" in layout.rate_note
    assert "highest" in layout.rate_note
    assert layout.sides[0].timeline.placements[0].length == 960000


def test_manual_without_sides_or_with_unknown_format(tmp_path: Path) -> None:
    session = make_session(tmp_path, "a")
    with pytest.raises(SessionError, match="no tracks are on vinyl sides"):
        plan_sides(session, sources_of({"a": 1.0}))
    session = edits.assign_side(session, "a", "A")
    with pytest.raises(SessionError, match="known formats are 12in-33"):
        plan_sides(session, sources_of({"a": 1.0}), disc_format="9in-16")


# --------------------------------------------------------------------------- automatic split


def brute_force(lengths: list[int], pause: int, lead: int, cap: int) -> tuple[int, int]:
    """Return (fewest sides, smallest longest side) over all contiguous splits."""
    n = len(lengths)
    for parts in range(1, n + 1):
        best = None
        for cuts in itertools.combinations(range(1, n), parts - 1):
            bounds = [0, *cuts, n]
            sides = [
                lead + sum(lengths[a:b]) + pause * (b - a - 1)
                for a, b in itertools.pairwise(bounds)
            ]
            if max(sides) <= cap and (best is None or max(sides) < best):
                best = max(sides)
        if best is not None:
            return parts, best
    raise AssertionError("nothing fits")


@pytest.mark.parametrize("seed", range(6))
def test_split_matches_brute_force(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    names = [f"t{i}" for i in range(rng.randint(3, 9))]
    seconds = {name: float(rng.randint(120, 420)) for name in names}
    session = new_session([tmp_path / f"{n}.wav" for n in names], title="Album")
    session = edits.set_vinyl(session, lead_in_s=0.5)
    proposal = propose_split(session, sources_of(seconds))
    cap = round(19.5 * 60 * RATE)
    parts, longest = brute_force(
        [round(seconds[n] * RATE) for n in names], 2 * RATE, RATE // 2, cap
    )
    assert len(proposal.layout.sides) == parts
    assert max(side.samples for side in proposal.layout.sides) == longest
    assert [tid for _, ids in proposal.sides for tid in ids] == names  # order kept
    assert proposal.fits
    assert proposal.limit == "recommended"
    assert not proposal.reordered


def test_twelve_tracks_split_into_the_fewest_balanced_sides(tmp_path: Path) -> None:
    names = [f"t{i:02d}" for i in range(12)]
    minutes = [4, 3, 5, 4, 6, 3, 4, 5, 3, 4, 6, 5]  # 52 minutes: 3 sides of <= 19:30
    session = new_session([tmp_path / f"{n}.wav" for n in names], title="Album")
    sources = sources_of({n: m * 60.0 for n, m in zip(names, minutes, strict=True)})
    proposal = propose_split(session, sources)
    sides = proposal.layout.sides
    assert [s.name for s in sides] == ["A", "B", "C"]
    assert [s.disc for s in sides] == [1, 1, 2]
    assert proposal.layout.discs == 2
    parts, longest = brute_force([m * 60 * RATE for m in minutes], 2 * RATE, 0, 1170 * RATE)
    assert (len(sides), max(s.samples for s in sides)) == (parts, longest)
    # every side is within the target; filling the second disc gives four shorter sides
    assert all(s.status == "fits" for s in sides)
    filled = propose_split(session, sources, fill_discs=True)
    assert len(filled.layout.sides) == 4
    assert filled.layout.longest_s < proposal.layout.longest_s
    # the proposal's sides equal the plan built from the applied session, sample for sample
    applied = apply_proposal(session, proposal)
    layout = plan_sides(applied, sources)
    assert [s.samples for s in layout.sides] == [s.samples for s in sides]
    assert [s.track_ids for s in layout.sides] == [s.track_ids for s in sides]
    assert session.vinyl.sides == ()  # never applied silently


def test_split_falls_back_to_the_maximum_then_reports_what_cannot_fit(tmp_path: Path) -> None:
    session = make_session(tmp_path, "abc")
    proposal = propose_split(session, sources_of({"a": 21 * 60.0, "b": 60.0, "c": 60.0}))
    assert proposal.limit == "maximum"
    assert proposal.fits
    assert proposal.sides == (("A", ("a",)), ("B", ("b", "c")))
    assert "maximum" in proposal.notes[0]
    too_long = propose_split(session, sources_of({"a": 25 * 60.0, "b": 60.0, "c": 60.0}))
    assert not too_long.fits
    assert too_long.sides == (("A", ("a",)), ("B", ("b", "c")))
    assert "longer than the maximum" in too_long.notes[-1]


def test_split_never_breaks_a_segue(tmp_path: Path) -> None:
    session = make_session(tmp_path, "abcd")
    sources = sources_of(dict.fromkeys("abcd", 500.0))
    assert propose_split(session, sources).sides == (("A", ("a", "b")), ("B", ("c", "d")))
    session = edits.set_crossfade(session, "c", 2.0)  # b segues into c
    proposal = propose_split(session, sources)
    assert proposal.sides == (("A", ("a",)), ("B", ("b", "c")), ("C", ("d",)))
    side_b = proposal.layout.side("B")
    assert side_b.samples == 998 * RATE
    assert side_b.timeline.placements[1].crossfade_in == 2 * RATE


def test_split_with_another_format_and_apply_sets_it(tmp_path: Path) -> None:
    session = make_session(tmp_path, "abcd")
    sources = sources_of(dict.fromkeys("abcd", 130.0))
    proposal = propose_split(session, sources, disc_format="7-45")
    assert proposal.layout.disc_format == get_format("7in-45")
    assert proposal.sides == (("A", ("a", "b")), ("B", ("c", "d")))
    session = edits.assign_side(session, "a", "Z")
    applied = apply_proposal(session, proposal)
    assert applied.vinyl.disc_format == "7in-45"
    assert [(s.name, s.track_ids) for s in applied.vinyl.sides] == list(proposal.sides)


def test_side_names() -> None:
    assert [side_name(i) for i in (0, 1, 25, 26)] == ["A", "B", "Z", "S27"]


# --------------------------------------------------------------------------- reordering variant


def test_reordered_split_puts_quiet_dull_tracks_last(tmp_path: Path) -> None:
    session = make_session(tmp_path, "abcdef")
    session = edits.set_vinyl(session, pause_overrides=[{"track_id": "c", "seconds": 6.0}])
    sources = sources_of(dict.fromkeys("abcdef", 360.0))
    loudness = {"a": -16.0, "b": -9.0, "c": -20.0, "d": -12.0, "e": -8.0, "f": None}
    analyses = {tid: analysis(lufs) for tid, lufs in loudness.items()}
    proposal = propose_reordered_split(session, sources, analyses)
    assert proposal.reordered
    assert "loudness" in proposal.notes[-1]
    assert proposal.sides == (("A", ("b", "a", "c")), ("B", ("e", "d", "f")))
    # c's override pause travels with it
    side_a = proposal.layout.side("A")
    assert side_a.timeline.placements[2].pause_before == 6 * RATE
    # brightness joins loudness: a dull loud track moves behind a bright one
    # (mean rank of loudness and HF: a 0.5, b 1.0, c 1.5)
    bright = {"a": 10.0, "b": -30.0, "c": 5.0, "d": 0.0, "e": 0.0, "f": 0.0}
    with_hf = propose_reordered_split(session, sources, analyses, brightness=bright)
    assert with_hf.sides[0] == ("A", ("a", "b", "c"))
    assert "high-frequency" in with_hf.notes[-1]
    applied = apply_proposal(session, proposal)
    assert applied.vinyl.sides[0].track_ids == ("b", "a", "c")
    assert applied.order == session.order  # the album's running order is untouched
