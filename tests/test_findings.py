"""Findings: the code table, sorting and JSON, and every core check (found and not found)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from sequencer.analysis import TrackAnalysis, analyse_array
from sequencer.findings import (
    CD_MAX_LENGTH_S,
    CODES,
    Finding,
    Severity,
    check_cd,
    check_clicks,
    check_clipping,
    check_crossfades,
    check_loudness_jumps,
    check_metadata,
    check_sample_rates,
    check_session,
    check_true_peaks,
    explain,
    format_clock,
    has_errors,
    sort_findings,
    to_json,
)
from sequencer.session import Session
from sequencer.timeline import SourceInfo, Timeline, album_timeline

RATE = 44100


def make_session(*tracks: str | dict[str, Any], **fields: Any) -> Session:
    """Build a session whose tracks are ``tracks`` (ids, or dicts of fields), in order."""
    items = [{"id": t} if isinstance(t, str) else t for t in tracks]
    for item in items:
        item.setdefault("path", f"/audio/{item['id']}.wav")
        item.setdefault("title", item["id"].title())
    data = {
        "album": {"title": "Test Pressing"},
        "tracks": items,
        "order": [item["id"] for item in items],
        "default_pause_s": 2.0,
    } | fields
    return Session.model_validate(data)


def sources_of(rate: int = RATE, /, **seconds: float) -> dict[str, SourceInfo]:
    return {key: SourceInfo(frames=round(s * rate), sample_rate=rate) for key, s in seconds.items()}


def make_analysis(seconds: float, rate: int = RATE, **fields: Any) -> TrackAnalysis:
    """Build an analysis of plain values; ``level`` sets a constant short-term profile."""
    level = fields.pop("level", -14.0)
    steps = round(seconds * 10)
    values: dict[str, Any] = {
        "path": "/audio/x.wav",
        "duration_samples": round(seconds * rate),
        "sample_rate": rate,
        "channels": 2,
        "format": "WAV",
        "subtype": "PCM_24",
        "integrated_lufs": level,
        "loudness_range_lu": 3.0,
        "max_momentary_lufs": level + 3,
        "max_short_term_lufs": level + 1,
        "true_peak_dbtp": -1.0,
        "sample_peak_dbfs": -1.2,
        "plr_db": -1.0 - level,
        "dc_offset": (0.0, 0.0),
        "correlation": 0.8,
        "clipped_runs": 0,
        "clip_times_s": (),
        "clicks": 0,
        "click_times_s": (),
        "leading_silence_s": 0.0,
        "trailing_silence_s": 0.0,
        "block_loudness": (level,) * steps,
        "short_term_profile": (level,) * steps,
        "profile_step_s": 0.1,
    }
    return TrackAnalysis.model_validate(values | fields)


def codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


def one(findings: list[Finding], code: str) -> Finding:
    matching = [f for f in findings if f.code == code]
    assert len(matching) == 1, findings
    return matching[0]


# ----------------------------------------------------------------------------- the data


def test_every_code_is_explained_and_findings_are_strict() -> None:
    for code, info in CODES.items():
        assert info.code == code
        assert info.title
        assert info.explanation.endswith(".")
        assert explain(code) is info
    assert explain("VINYL-SOMETHING") is None
    finding = Finding(code="CD-TOO-LONG", severity=Severity.ERROR, message="m", advice="a")
    assert finding.title == "Programme longer than a CD"
    with pytest.raises(ValidationError):
        Finding(code="not a code", severity=Severity.ERROR, message="m", advice="a")
    with pytest.raises(ValidationError):
        Finding.model_validate(
            {"code": "CD-TOO-LONG", "severity": "error", "message": "m", "advice": "a", "x": 1}
        )
    with pytest.raises(ValidationError):
        finding.message = "changed"  # type: ignore[misc]


def test_sorting_json_and_exit_status() -> None:
    def make(code: str, severity: Severity, time_s: float | None) -> Finding:
        return Finding(code=code, severity=severity, message=code, advice="-", time_s=time_s)

    findings = [
        make("SOURCE-RATE-MISMATCH", Severity.INFO, 5.0),
        make("SEQ-LOUDNESS-JUMP", Severity.WARNING, 200.0),
        make("CD-TRACK-TOO-SHORT", Severity.ERROR, 100.0),
        make("SOURCE-CLICKS", Severity.WARNING, 12.5),
        make("CD-TOO-LONG", Severity.ERROR, None),
    ]
    ordered = sort_findings(findings)
    assert codes(ordered) == [
        "CD-TOO-LONG",
        "CD-TRACK-TOO-SHORT",
        "SOURCE-CLICKS",
        "SEQ-LOUDNESS-JUMP",
        "SOURCE-RATE-MISMATCH",
    ]
    items = json.loads(to_json(findings))
    assert [item["code"] for item in items] == codes(ordered)
    assert items[0]["severity"] == "error"
    assert items[0]["title"] == "Programme longer than a CD"
    assert items[2]["time_s"] == 12.5
    assert set(items[0]) == set(Finding.model_fields) | {"title"}
    assert has_errors(findings)
    assert not has_errors(findings[:2])
    assert to_json([]) == "[]"


def test_format_clock() -> None:
    assert format_clock(187.46) == "3:07.5"
    assert format_clock(4.0) == "0:04.0"
    assert format_clock(62.3456, 3) == "1:02.346"
    assert format_clock(3725.0) == "1:02:05.0"
    assert format_clock(4830.0, hours=False) == "80:30.0"
    assert format_clock(59.96) == "1:00.0"


# ----------------------------------------------------------------------------- Red Book


def cd_timeline(session: Session, **seconds: float) -> Timeline:
    return album_timeline(session, sources_of(**seconds), sample_rate=RATE, cd_alignment=True)


def test_cd_track_shorter_than_4_seconds() -> None:
    session = make_session(
        "a", {"id": "b", "pause_before_s": 0.0}, {"id": "c", "pause_before_s": 0.0}
    )
    timeline = cd_timeline(session, a=60.0, b=3.5, c=60.0)
    finding = one(check_cd(session, timeline), "CD-TRACK-TOO-SHORT")
    start = timeline.placement("b").start
    assert finding.severity == Severity.ERROR
    assert finding.track_id == "b"
    assert finding.track_title == "B"
    assert finding.time_s == pytest.approx(start / RATE)
    assert finding.time_in_track_s == 0.0
    assert finding.measured == pytest.approx(3.5, abs=1 / 75)
    assert (finding.limit, finding.unit) == (4.0, "s")
    assert finding.message.startswith('Track 2 "B" lasts 3.5')
    long_enough = cd_timeline(session, a=60.0, b=4.5, c=60.0)
    assert check_cd(session, long_enough) == []


def test_cd_track_length_ends_at_the_next_pause() -> None:
    # 3 s of audio, then a 2 s pause: INDEX 00 of the next track is 3 s after INDEX 01.
    session = make_session("a", "b", "c")
    timeline = cd_timeline(session, a=60.0, b=3.0, c=60.0)
    finding = one(check_cd(session, timeline), "CD-TRACK-TOO-SHORT")
    assert finding.measured == pytest.approx(3.0, abs=1 / 75)
    # The last track runs to the end of the programme.
    last = cd_timeline(session, a=60.0, b=60.0, c=3.9)
    assert one(check_cd(session, last), "CD-TRACK-TOO-SHORT").track_id == "c"


def test_cd_with_too_many_tracks() -> None:
    ids = [f"t{n:03d}" for n in range(100)]
    session = make_session(*ids, default_pause_s=0.0)
    timeline = cd_timeline(session, **dict.fromkeys(ids, 5.0))
    finding = one(check_cd(session, timeline), "CD-TOO-MANY-TRACKS")
    assert (finding.severity, finding.measured, finding.limit) == (Severity.ERROR, 100, 99)
    assert finding.track_id is None
    fewer = make_session(*ids[:99], default_pause_s=0.0)
    assert check_cd(fewer, cd_timeline(fewer, **dict.fromkeys(ids[:99], 5.0))) == []


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [(70.0, []), (75.0, ["CD-TOO-LONG-WARN"]), (80.5, ["CD-TOO-LONG"])],
)
def test_cd_programme_length(minutes: float, expected: list[str]) -> None:
    session = make_session("a", "b")
    half = minutes * 30.0 - 2.0  # two halves, a 2 s lead-in and a 2 s pause
    timeline = cd_timeline(session, a=half, b=half)
    findings = check_cd(session, timeline)
    assert codes(findings) == expected
    if expected:
        assert findings[0].measured == pytest.approx(minutes * 60.0, abs=0.05)
        assert findings[0].limit == pytest.approx(
            CD_MAX_LENGTH_S if minutes > 80 else 74 * 60.0, abs=1e-3
        )
        assert findings[0].severity == (Severity.ERROR if minutes > 80 else Severity.WARNING)


def test_cd_first_pause_and_sample_rate() -> None:
    session = make_session("a", "b", pause_before_first_s=0.5)
    plain = album_timeline(
        session, sources_of(a=30.0, b=30.0), sample_rate=RATE, cd_alignment=False
    )
    finding = one(check_cd(session, plain), "CD-FIRST-PAUSE")
    assert (finding.measured, finding.limit, finding.time_s) == (0.5, 2.0, 0.0)
    assert finding.severity == Severity.ERROR
    assert finding.track_id == "a"
    assert check_cd(session, cd_timeline(session, a=30.0, b=30.0)) == []
    high = album_timeline(
        session, sources_of(48000, a=30.0, b=30.0), sample_rate=48000, cd_alignment=True
    )
    assert one(check_cd(session, high), "CD-SAMPLE-RATE").measured == 48000


def test_cd_checks_run_only_for_a_cd() -> None:
    session = make_session("a", {"id": "b", "pause_before_s": 0.0}, "c")
    analyses = {"a": make_analysis(30.0), "b": make_analysis(2.0), "c": make_analysis(30.0)}
    assert "CD-TRACK-TOO-SHORT" not in codes(check_session(session, analyses=analyses))
    as_cd = check_session(session, analyses=analyses, cd=True)
    assert "CD-TRACK-TOO-SHORT" in codes(as_cd)
    assert "CD-FIRST-PAUSE" not in codes(as_cd)  # the CD timeline puts 2 s before track 1
    aligned = session.model_copy(
        update={"delivery": session.delivery.model_copy(update={"cd_alignment": True})}
    )
    assert "CD-TRACK-TOO-SHORT" in codes(check_session(aligned, analyses=analyses))


# ----------------------------------------------------------------------------- metadata


def with_track(session: Session, track_id: str, **update: Any) -> Session:
    """Change a track without validation, as code that builds sessions may."""
    tracks = tuple(t.model_copy(update=update) if t.id == track_id else t for t in session.tracks)
    return session.model_copy(update={"tracks": tracks})


def test_malformed_isrc() -> None:
    session = make_session({"id": "a", "isrc": "GB-AJY-24-00001"}, "b")
    assert check_metadata(session) == []
    broken = with_track(session, "b", isrc="GBAJY240001")
    finding = one(check_metadata(broken), "META-ISRC-FORMAT")
    assert (finding.severity, finding.track_id) == (Severity.ERROR, "b")
    assert "11 characters" in finding.message
    assert "CC-XXX-YY-NNNNN" in finding.advice


def test_duplicate_isrc() -> None:
    session = make_session(
        {"id": "a", "isrc": "GBAJY2400001"},
        {"id": "b", "isrc": "GBAJY2400002"},
        {"id": "c", "isrc": "GB-AJY-24-00001"},
    )
    finding = one(check_metadata(session), "META-ISRC-DUPLICATE")
    assert (finding.severity, finding.track_id) == (Severity.ERROR, "c")
    assert "GB-AJY-24-00001" in finding.message
    assert 'track 1 "A"' in finding.message
    # A parked track is not on the release.
    parked = session.model_copy(update={"order": ("a", "b")})
    assert check_metadata(parked) == []


def test_upc_check_digit_and_format() -> None:
    session = make_session("a", album={"title": "T", "upc_ean": "036000291452"})
    assert check_metadata(session) == []
    wrong = session.model_copy(
        update={"album": session.album.model_copy(update={"upc_ean": "036000291453"})}
    )
    finding = one(check_metadata(wrong), "META-UPC-CHECK-DIGIT")
    assert (finding.severity, finding.measured, finding.limit) == (Severity.ERROR, 3, 2)
    assert "UPC-A" in finding.message
    ean = session.model_copy(
        update={"album": session.album.model_copy(update={"upc_ean": "4006381333932"})}
    )
    assert codes(check_metadata(ean)) == ["META-UPC-CHECK-DIGIT"]
    short = session.model_copy(
        update={"album": session.album.model_copy(update={"upc_ean": "12345"})}
    )
    assert codes(check_metadata(short)) == ["META-UPC-FORMAT"]


@pytest.mark.parametrize(
    ("title", "path", "flagged"),
    [
        ("Untitled", "/a/x.wav", True),
        ("Track 3", "/a/x.wav", True),
        ("track_03", "/a/x.wav", True),
        ("01", "/a/x.wav", True),
        ("???", "/a/x.wav", True),
        ("song.wav", "/a/x.wav", True),
        ("01 lead in groove", "/a/01_lead_in_groove.wav", True),
        ("Song 2", "/a/x.wav", False),
        ("1979", "/a/x.wav", False),
        ("Lead-In Groove", "/a/Lead-In Groove.wav", False),
        ("01 Overture", "/a/x.wav", False),
    ],
)
def test_placeholder_titles(title: str, path: str, flagged: bool) -> None:
    session = make_session({"id": "a", "title": title, "path": path})
    findings = check_metadata(session)
    assert codes(findings) == (["META-TITLE-MISSING"] if flagged else [])
    if flagged:
        assert findings[0].severity == Severity.WARNING
        assert findings[0].track_id == "a"


def test_empty_titles() -> None:
    session = make_session("a")
    blank = with_track(session, "a", title=" ")
    no_album = blank.model_copy(update={"album": blank.album.model_copy(update={"title": ""})})
    findings = check_metadata(no_album)
    assert codes(findings) == ["META-TITLE-MISSING", "META-TITLE-MISSING"]
    assert [f.track_id for f in findings] == [None, "a"]
    assert "empty" in findings[1].message


# ----------------------------------------------------------------------------- rendered levels


def test_true_peaks_over_the_ceiling() -> None:
    session = make_session("a", "b")
    peaks = {"a": -0.4, "b": -1.2, "album.wav": -0.9, "silent": None, "rounding": -0.997}
    findings = check_true_peaks(peaks, -1.0, session=session)
    assert [f.track_id for f in findings] == ["a", None]
    first, second = findings
    assert first.code == "LEVEL-TRUE-PEAK-OVER-CEILING"
    assert first.severity == Severity.ERROR
    assert (first.measured, first.limit, first.unit) == (-0.4, -1.0, "dBTP")
    assert "0.60 dB over" in first.message
    assert '"album.wav"' in second.message
    assert check_true_peaks([("a", -1.5), ("b", -3.0)], -1.0) == []


# ----------------------------------------------------------------------------- sources


def test_clipping_in_a_source_is_placed_on_the_album() -> None:
    session = make_session("a", {"id": "b", "trim_in_s": 5.0})
    analyses = {
        "a": make_analysis(30.0),
        "b": make_analysis(60.0, clipped_runs=3, clip_times_s=(2.0, 12.5, 40.0)),
    }
    timeline = album_timeline(session, sources_of(a=30.0, b=60.0))
    finding = one(check_clipping(session, analyses, timeline), "SOURCE-CLIPPING")
    start = timeline.placement("b").start / RATE
    assert finding.severity == Severity.WARNING
    assert (finding.track_id, finding.measured, finding.limit) == ("b", 3, 0)
    assert finding.time_in_track_s == pytest.approx(7.5)
    assert finding.time_s == pytest.approx(start + 7.5)
    assert "0:07.50" in finding.message
    # Without a timeline there is no album time; clean sources have no finding.
    assert one(check_clipping(session, analyses), "SOURCE-CLIPPING").time_s is None
    assert check_clipping(session, {"a": make_analysis(30.0), "b": make_analysis(60.0)}) == []


def test_clipping_trimmed_away_is_not_reported() -> None:
    session = make_session({"id": "a", "trim_in_s": 20.0})
    analyses = {"a": make_analysis(60.0, clipped_runs=2, clip_times_s=(3.0, 4.0))}
    assert check_clipping(session, analyses) == []


def test_clicks_in_a_source() -> None:
    session = make_session("a", "b")
    analyses = {
        "a": make_analysis(10.0),
        "b": make_analysis(30.0, clicks=2, click_times_s=(1.25, 20.5)),
    }
    timeline = album_timeline(session, sources_of(a=10.0, b=30.0))
    finding = one(check_clicks(session, analyses, timeline), "SOURCE-CLICKS")
    assert finding.severity == Severity.WARNING
    assert (finding.track_id, finding.measured, finding.unit) == ("b", 2, "clicks")
    assert finding.time_s == pytest.approx(12.0 + 1.25)
    assert "0:01.250, 0:20.500" in finding.message
    assert (
        check_clicks(session, {"a": make_analysis(10.0), "b": make_analysis(30.0)}, timeline) == []
    )


def test_source_rates_that_force_resampling() -> None:
    session = make_session("a", "b", "c", "d")
    sources = sources_of(a=10.0, b=10.0) | sources_of(48000, c=10.0) | sources_of(96000, d=10.0)
    timeline = album_timeline(session, sources, sample_rate=RATE)
    findings = check_sample_rates(session, timeline)
    assert [(f.measured, f.limit, f.unit) for f in findings] == [
        (48000, RATE, "Hz"),
        (96000, RATE, "Hz"),
    ]
    assert all(f.severity == Severity.INFO for f in findings)
    assert findings[0].track_id == "c"
    assert findings[0].time_s == pytest.approx(timeline.placement("c").start / RATE)
    assert "master" in findings[1].advice
    up = album_timeline(session, sources, sample_rate=96000)
    grouped = check_sample_rates(session, up)[0]
    assert grouped.track_id is None
    assert grouped.measured == RATE
    assert "2 sources (a, b)" in grouped.message
    assert "Upsampling" in grouped.advice
    same = album_timeline(session, sources_of(a=1.0, b=1.0, c=1.0, d=1.0))
    assert check_sample_rates(session, same) == []


# ----------------------------------------------------------------------------- seams


def crossfaded(seconds: float, **a_fields: Any) -> Session:
    return make_session(
        {"id": "a", **a_fields},
        "b",
        crossfades=[{"from_track": "a", "to_track": "b", "seconds": seconds}],
    )


def test_crossfade_over_the_outgoing_tracks_silent_tail() -> None:
    session = crossfaded(4.0)
    analyses = {"a": make_analysis(30.0, trailing_silence_s=3.0), "b": make_analysis(30.0)}
    timeline = album_timeline(session, sources_of(a=30.0, b=30.0))
    finding = one(check_crossfades(session, timeline, analyses), "SEQ-CROSSFADE-OVER-SILENCE")
    assert finding.severity == Severity.WARNING
    assert finding.track_id == "a"
    assert finding.time_s == pytest.approx(26.0)  # the overlap starts 4 s before a ends
    assert finding.time_in_track_s == pytest.approx(26.0)
    assert (finding.measured, finding.limit, finding.unit) == (3.0, 2.0, "s")
    assert "trim_out_s" in finding.advice
    assert "27.0" in finding.advice
    # A trim that cuts the silence off leaves none under the crossfade.
    trimmed = crossfaded(4.0, trim_out_s=27.0)
    timeline = album_timeline(trimmed, sources_of(a=30.0, b=30.0))
    assert check_crossfades(trimmed, timeline, analyses) == []


def test_crossfade_over_the_incoming_tracks_silent_start() -> None:
    session = crossfaded(2.0)
    analyses = {"a": make_analysis(30.0), "b": make_analysis(30.0, leading_silence_s=1.5)}
    timeline = album_timeline(session, sources_of(a=30.0, b=30.0))
    finding = one(check_crossfades(session, timeline, analyses), "SEQ-CROSSFADE-OVER-SILENCE")
    assert (finding.track_id, finding.measured, finding.limit) == ("b", 1.5, 1.0)
    assert finding.time_in_track_s == 0.0
    assert "trim_in_s" in finding.advice
    assert "1.5" in finding.advice
    # A little silence under a long crossfade is fine, and pauses are not crossfades.
    longer = crossfaded(4.0)
    timeline = album_timeline(longer, sources_of(a=30.0, b=30.0))
    assert check_crossfades(longer, timeline, analyses) == []
    paused = make_session("a", "b")
    silent = {"a": make_analysis(30.0, trailing_silence_s=5.0), "b": make_analysis(30.0)}
    assert (
        check_crossfades(paused, album_timeline(paused, sources_of(a=30.0, b=30.0)), silent) == []
    )


def test_loudness_jump_across_a_seam() -> None:
    session = make_session("a", "b")
    analyses = {"a": make_analysis(30.0, level=-9.0), "b": make_analysis(30.0, level=-21.0)}
    timeline = album_timeline(session, sources_of(a=30.0, b=30.0))
    finding = one(check_loudness_jumps(session, timeline, analyses), "SEQ-LOUDNESS-JUMP")
    assert finding.severity == Severity.WARNING
    assert finding.track_id == "b"
    assert finding.time_s == pytest.approx(32.0)
    assert (finding.measured, finding.limit, finding.unit) == (-12.0, 6.0, "LU")
    assert "down 12.0 LU" in finding.message
    # After a gain plan that brings them closer, it is no longer abrupt ...
    gains = {"a": -3.0, "b": 4.0}
    assert check_loudness_jumps(session, timeline, analyses, gains_db=gains) == []
    # ... unless the threshold is lower.
    lower = check_loudness_jumps(session, timeline, analyses, gains_db=gains, threshold_lu=4.0)
    assert [f.measured for f in lower] == [-5.0]


def test_a_fade_out_softens_the_seam() -> None:
    analyses = {"a": make_analysis(30.0, level=-9.0), "b": make_analysis(30.0, level=-21.0)}
    faded = make_session({"id": "a", "fade_out": {"seconds": 10.0}}, "b")
    timeline = album_timeline(faded, sources_of(a=30.0, b=30.0))
    # The last 3 s of a 10 s linear fade are 15 dB down on average: -24 to -21 LUFS.
    assert check_loudness_jumps(faded, timeline, analyses) == []
    rising = check_loudness_jumps(faded, timeline, analyses, threshold_lu=2.0)
    assert rising[0].measured == pytest.approx(3.2, abs=0.2)


def tone(seconds: float, dbfs: float, silence_s: float = 0.0) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    x = 10 ** (dbfs / 20) * np.sin(2 * np.pi * 1000 * t)
    x = np.concatenate([x, np.zeros(round(silence_s * RATE))])
    return np.column_stack([x, x])


def test_loudness_jump_from_measured_audio_skips_silent_ends() -> None:
    session = make_session("a", "b")
    # Loud music ending in 4 s of silence, then a quiet track: the jump is measured
    # on the music, not on the silence.
    analyses = {
        "a": analyse_array(tone(8.0, -8.0, silence_s=4.0), RATE),
        "b": analyse_array(tone(8.0, -26.0), RATE),
    }
    timeline = album_timeline(session, sources_of(a=12.0, b=8.0))
    finding = one(check_loudness_jumps(session, timeline, analyses), "SEQ-LOUDNESS-JUMP")
    assert finding.measured == pytest.approx(-18.0, abs=0.2)
    assert finding.time_s == pytest.approx(14.0)


# ----------------------------------------------------------------------------- all of them


def test_check_session_runs_everything_and_sorts(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    clean = 0.1 * np.sin(2 * np.pi * 220 * np.arange(6 * RATE) / RATE)
    clicked = clean.copy()
    clicked[3 * RATE] += 0.4  # one click at 3 s
    clipped = np.clip(12 * clean, -1, 1)
    noise = 0.01 * rng.standard_normal(6 * RATE)
    analyses = {
        "a": analyse_array(clean + noise, RATE),
        "b": analyse_array(clicked, RATE),
        "c": analyse_array(clipped, RATE),
    }
    session = make_session(
        {"id": "a", "isrc": "GBAJY2400001"},
        {"id": "b", "isrc": "GBAJY2400001", "title": "Untitled"},
        "c",
    )
    findings = check_session(session, analyses=analyses, true_peaks={"c": 0.3}, cd=True)
    assert codes(findings) == [
        "LEVEL-TRUE-PEAK-OVER-CEILING",
        "META-ISRC-DUPLICATE",
        "META-TITLE-MISSING",
        "SOURCE-CLICKS",
        "SEQ-LOUDNESS-JUMP",  # at the start of track c ...
        "SOURCE-CLIPPING",  # ... and its first clipped run, 0.7 ms in
    ]
    assert findings == sort_findings(findings)
    clicks = one(findings, "SOURCE-CLICKS")
    assert clicks.time_in_track_s == pytest.approx(3.0, abs=0.001)
    assert clicks.time_s == pytest.approx(2.0 + 6.0 + 2.0 + 3.0, abs=0.02)  # CD frames
    assert has_errors(findings)
    path = tmp_path / "findings.json"
    path.write_text(to_json(findings))
    assert [item["code"] for item in json.loads(path.read_text())] == codes(findings)
    # Without analyses only the metadata is checked.
    assert codes(check_session(session)) == ["META-ISRC-DUPLICATE", "META-TITLE-MISSING"]
