"""CUE sheet of the album file: golden file, conventions, and real clients.

The real-client tests run cuetools (``cuebreakpoints``), shntool (``shnsplit``)
and cdrdao (``cdrdao show-toc``) when installed (Debian packages ``cuetools``,
``shntool``, ``cdrdao``) and skip with the reason otherwise.

Regenerate the golden file after an intended change with
``RUNOUT_UPDATE_GOLDEN=1 pytest tests/test_cue.py``.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from sequencer.cue import (
    CUE_LINE_END,
    MAX_CUE_TEXT,
    catalog_number,
    cd_frames,
    cue_points,
    cue_sheet,
    cue_text,
    msf,
    msf_to_samples,
    write_cue_sheet,
)
from sequencer.errors import SessionError
from sequencer.session import Session
from sequencer.timeline import SourceInfo, Timeline, TrackEntry, album_timeline, place

GOLDEN = Path(__file__).parent / "golden"
RATE = 44100
FRAME = 588

LONG_TITLE = (
    "A Very Long Title That Goes On And On Past The Eighty Character Limit Of CD Text "
    "And Then Some More"
)


def make_session(**album: Any) -> Session:
    """Build the golden session: a lead-in, pauses, a crossfade and a gapless join."""
    tracks: list[dict[str, Any]] = [
        {"id": "intro", "title": "Intro", "isrc": "GB-AJY-24-00001"},
        {"id": "long", "title": LONG_TITLE, "artist": "Björk & Sigur Rós", "isrc": "GBAJY2400002"},
        {"id": "quote", "title": 'The "Quoted" Song – Part ½', "pause_before_s": 1.5},
        {"id": "gapless", "title": "Straße ‘Ørsted’ 東京", "pause_before_s": 0.0},
        {"id": "last", "title": "Last", "isrc": "usrc17607839", "pause_before_s": 3.2},
    ]
    for track in tracks:
        track["path"] = f"/music/{track['id']}.wav"
    return Session.model_validate(
        {
            "album": {
                "title": "Runout Test Pressing",
                "artist": "The Lathe Cutters",
                "upc_ean": "036000291452",
                **album,
            },
            "tracks": tracks,
            "order": [track["id"] for track in tracks],
            "pause_before_first_s": 2.0,
            "default_pause_s": 2.0,
            "crossfades": [{"from_track": "quote", "to_track": "gapless", "seconds": 3.0}],
            "delivery": {"sample_rate": RATE, "bit_depth": 16, "cd_alignment": True},
        }
    )


# Lengths deliberately not multiples of a CD frame, so track ends fall inside frames.
GOLDEN_LENGTHS = {
    "intro": 5 * RATE + 1234,
    "long": 7 * RATE + 77,
    "quote": 6 * RATE + 300,
    "gapless": 8 * RATE + 5,
    "last": 4 * RATE + 587,
}


def sources_for(lengths: dict[str, int]) -> dict[str, SourceInfo]:
    return {key: SourceInfo(frames=value, sample_rate=RATE) for key, value in lengths.items()}


@pytest.fixture
def session() -> Session:
    return make_session()


@pytest.fixture
def timeline(session: Session) -> Timeline:
    return album_timeline(session, sources_for(GOLDEN_LENGTHS))


def lines_of(sheet: str) -> list[str]:
    assert sheet.endswith(CUE_LINE_END)
    return sheet.split(CUE_LINE_END)[:-1]


def indexes(sheet: str) -> dict[int, dict[str, int]]:
    """Per track number, its INDEX lines in samples."""
    result: dict[int, dict[str, int]] = {}
    track = 0
    for line in lines_of(sheet):
        words = line.split()
        if words[0] == "TRACK":
            track = int(words[1])
            result[track] = {}
        elif words[0] == "INDEX":
            result[track][words[1]] = msf_to_samples(words[2], RATE)
    return result


# --------------------------------------------------------------------------- the golden file


def test_golden_sheet(session: Session, timeline: Timeline) -> None:
    sheet = cue_sheet(session, timeline, "Runout Test Pressing.wav")
    golden = GOLDEN / "album.cue"
    if os.environ.get("RUNOUT_UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        write_cue_sheet(golden, sheet)
    assert sheet == golden.read_bytes().decode("ascii")


def test_sheet_layout(session: Session, timeline: Timeline) -> None:
    sheet = cue_sheet(session, timeline, "album.wav")
    lines = lines_of(sheet)
    assert "\n" not in sheet.replace(CUE_LINE_END, "")
    assert sheet.isascii()
    assert lines[:4] == [
        "CATALOG 0036000291452",
        'PERFORMER "The Lathe Cutters"',
        'TITLE "Runout Test Pressing"',
        'FILE "album.wav" WAVE',
    ]
    assert [line for line in lines if line.startswith("  TRACK")] == [
        f"  TRACK {n:02d} AUDIO" for n in range(1, 6)
    ]
    assert [line.split()[1] for line in lines if "ISRC" in line] == [
        "GBAJY2400001",
        "GBAJY2400002",
        "USRC17607839",
    ]
    for line in lines:
        quoted = re.findall(r'"([^"]*)"', line)
        assert line.count('"') in (0, 2)
        assert all(len(text) <= MAX_CUE_TEXT for text in quoted)
    assert "TITLE \"The 'Quoted' Song - Part 1/2\"" in sheet
    assert 'PERFORMER "Bjork & Sigur Ros"' in sheet
    assert "TITLE \"Strasse 'Orsted' ??\"" in sheet
    shortened = "A Very Long Title That Goes On And On Past The Eighty Character Limit Of CD..."
    assert f'TITLE "{shortened}"' in sheet


def test_indexes_are_the_timeline(session: Session, timeline: Timeline) -> None:
    found = indexes(cue_sheet(session, timeline, "album.wav"))
    placements = timeline.placements
    assert [found[p.number]["01"] for p in placements] == [p.start for p in placements]
    # INDEX 00: the lead-in from 0, and the first frame boundary of each real pause.
    assert found[1]["00"] == 0
    for p in placements[1:]:
        if p.pause_before:
            expected = -(-p.pause_start // FRAME) * FRAME
            assert found[p.number]["00"] == expected
            assert p.pause_start <= expected < p.pause_start + FRAME
        else:
            assert "00" not in found[p.number]
    # A crossfade (into "gapless") has no INDEX 00; the pause before "last" has one.
    assert timeline.placement("gapless").crossfade_in > 0
    assert "00" not in found[4]
    assert set(found[5]) == {"00", "01"}


def test_gapless_join_has_no_index_00(session: Session) -> None:
    gapless = session.model_copy(update={"crossfades": ()})
    timeline = album_timeline(gapless, sources_for(GOLDEN_LENGTHS))
    assert timeline.placement("gapless").pause_before < FRAME
    points = cue_points(timeline)
    assert points[3].index00 is None
    assert points[3].index01 * FRAME == timeline.placement("gapless").start


def test_catalog_and_performer_only_when_set() -> None:
    session = make_session(upc_ean=None, artist=None)
    timeline = album_timeline(session, sources_for(GOLDEN_LENGTHS))
    lines = lines_of(cue_sheet(session, timeline, "album.wav"))
    assert not any(line.startswith("CATALOG") for line in lines)
    performers = [line.strip() for line in lines if "PERFORMER" in line]
    assert performers == ['PERFORMER "Bjork & Sigur Ros"']
    ean = make_session(upc_ean="4006381333931")
    sheet = cue_sheet(ean, timeline, "album.wav")
    assert sheet.startswith("CATALOG 4006381333931\r\n")


def test_catalog_number() -> None:
    assert catalog_number("036000291452") == "0036000291452"
    assert catalog_number("4006381333931") == "4006381333931"
    with pytest.raises(SessionError, match="12"):
        catalog_number("12345")


def test_first_track_at_zero_has_no_index_00(session: Session) -> None:
    entries = [TrackEntry(track=session.track("intro")), TrackEntry(session.track("last"), 1.0)]
    timeline = place(entries, sources_for({"intro": 10 * FRAME, "last": 20 * FRAME}), RATE)
    assert not timeline.cd_aligned
    found = indexes(cue_sheet(session, timeline, "album.wav"))
    assert found == {1: {"01": 0}, 2: {"00": 10 * FRAME, "01": 10 * FRAME + RATE}}


# --------------------------------------------------------------------------- frames and rounding


def test_msf_round_trip() -> None:
    assert msf(0, RATE) == "00:00:00"
    assert msf(FRAME, RATE) == "00:00:01"
    assert msf(2 * RATE, RATE) == "00:02:00"
    assert msf((61 * 75 + 74) * FRAME, RATE) == "01:01:74"
    assert msf(100 * 60 * RATE, RATE) == "100:00:00"
    for frames in (0, 1, 74, 75, 4499, 4500, 359_999):
        text = msf(frames * FRAME, RATE)
        assert msf_to_samples(text, RATE) == frames * FRAME
    assert msf_to_samples("00:00:01", 48000) == 640


def test_msf_refuses_or_rounds_between_frames() -> None:
    with pytest.raises(ValueError, match="not a whole number of CD frames"):
        msf(FRAME + 1, RATE)
    assert msf(FRAME + 293, RATE, exact=False) == "00:00:01"
    assert msf(FRAME + 294, RATE, exact=False) == "00:00:02"
    assert cd_frames(3 * 640, 48000) == 3
    with pytest.raises(ValueError, match="negative"):
        cd_frames(-1, RATE)


@pytest.mark.parametrize("text", ["1:02:03", "00:60:00", "00:00:75", "00:00", "aa:bb:cc"])
def test_msf_to_samples_rejects(text: str) -> None:
    with pytest.raises(ValueError, match=r"MM:SS:FF|below"):
        msf_to_samples(text, RATE)


def unaligned_timeline(session: Session) -> Timeline:
    return album_timeline(session, sources_for(GOLDEN_LENGTHS), cd_alignment=False)


def test_unaligned_timeline_is_refused_by_default(session: Session) -> None:
    timeline = unaligned_timeline(session)
    with pytest.raises(SessionError, match="between CD frames") as error:
        cue_sheet(session, timeline, "album.wav")
    assert "track 2 (long)" in str(error.value)
    assert "cd_alignment" in str(error.value)


def test_unaligned_timeline_rounds_and_warns(
    session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    timeline = unaligned_timeline(session)
    with caplog.at_level(logging.WARNING, logger="sequencer.cue"):
        sheet = cue_sheet(session, timeline, "album.wav", off_frame="round")
    assert "rounded to the nearest CD frame" in caplog.text
    found = indexes(sheet)
    for p in timeline.placements:
        assert abs(found[p.number]["01"] - p.start) <= FRAME // 2
        if "00" in found[p.number]:
            assert p.pause_start <= found[p.number]["00"] < found[p.number]["01"]


def test_at_most_99_tracks() -> None:
    tracks = [{"id": f"t{n}", "path": f"/m/{n}.wav", "title": f"T{n}"} for n in range(100)]
    session = Session.model_validate(
        {"album": {"title": "Many"}, "tracks": tracks, "order": [t["id"] for t in tracks]}
    )
    lengths = {t["id"]: 5 * RATE for t in tracks}
    timeline = album_timeline(session, sources_for(lengths), cd_alignment=True)
    with pytest.raises(SessionError, match="at most 99 tracks; this album has 100"):
        cue_sheet(session, timeline, "album.wav")
    ninety_nine = session.model_copy(update={"order": session.order[:99]})
    timeline = album_timeline(ninety_nine, sources_for(lengths), cd_alignment=True)
    assert "TRACK 99 AUDIO" in cue_sheet(ninety_nine, timeline, "album.wav")


# --------------------------------------------------------------------------- text


@pytest.mark.parametrize(
    ("given", "ascii_text", "latin_text"),
    [
        ("Plain", "Plain", "Plain"),
        ('Say "hi"', "Say 'hi'", "Say 'hi'"),
        ("Café Müller", "Cafe Muller", "Café Müller"),
        ("Cafe\u0301", "Cafe", "Café"),
        ("Œuvre – naïve…", "OEuvre - naive...", "OEuvre - naïve..."),
        ("«Straße»", "<<Strasse>>", "«Straße»"),
        ("Łódź", "Lodz", "Lódz"),
        ("Ｆｕｌｌ\u00a0width", "Full width", "Full width"),
        ("東京", "??", "??"),
        ("a\u200bb  c\td", "ab c d", "ab c d"),
        ("back\\slash", "back\\slash", "back\\slash"),
    ],
)
def test_cue_text(given: str, ascii_text: str, latin_text: str) -> None:
    assert cue_text(given) == ascii_text
    assert cue_text(given, charset="latin-1") == latin_text


def test_cue_text_shortens_at_a_word(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="sequencer.cue"):
        short = cue_text(LONG_TITLE)
    assert short == "A Very Long Title That Goes On And On Past The Eighty Character Limit Of CD..."
    assert len(short) <= MAX_CUE_TEXT
    assert "shortened" in caplog.text
    one_word = cue_text("x" * 200)
    assert one_word == "x" * 77 + "..."
    assert cue_text("y" * 80) == "y" * 80


def test_latin1_sheet_is_written_in_latin1(
    session: Session, timeline: Timeline, tmp_path: Path
) -> None:
    sheet = cue_sheet(session, timeline, "album.wav", charset="latin-1")
    assert 'PERFORMER "Björk & Sigur Rós"' in sheet
    path = tmp_path / "album.cue"
    write_cue_sheet(path, sheet, charset="latin-1")
    assert path.read_bytes().decode("latin-1") == sheet
    with pytest.raises(UnicodeEncodeError):
        write_cue_sheet(path, sheet, charset="ascii")


@pytest.mark.parametrize("name", ['say "x".wav', "line\nbreak.wav", "Tōkyō.wav", " "])
def test_file_name_that_cannot_be_quoted(session: Session, timeline: Timeline, name: str) -> None:
    with pytest.raises(SessionError, match="cannot be written in a CUE sheet"):
        cue_sheet(session, timeline, name)


def test_file_type(session: Session, timeline: Timeline) -> None:
    assert 'FILE "a.aiff" AIFF\r\n' in cue_sheet(session, timeline, "a.aiff", file_type="AIFF")
    with pytest.raises(ValueError, match="file_type"):
        cue_sheet(session, timeline, "a.flac", file_type="FLAC")


def test_write_keeps_crlf(session: Session, timeline: Timeline, tmp_path: Path) -> None:
    path = tmp_path / "album.cue"
    write_cue_sheet(path, cue_sheet(session, timeline, "album.wav"))
    data = path.read_bytes()
    assert data.count(b"\r\n") == data.count(b"\n") > 10
    assert b"\r\r" not in data


# --------------------------------------------------------------------------- real clients


def need(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} is not installed (apt-get install {package})")
    return path


def run(*args: str | Path, cwd: Path, stdin: str | None = None) -> str:
    result = subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def breakpoint_samples(output: str) -> list[int]:
    """Read the m:ss.ff lines of cuebreakpoints (CD frames after the dot), one per line."""
    samples = []
    for line in output.split():
        minutes, rest = line.split(":")
        seconds, frames = rest.split(".")
        samples.append(((int(minutes) * 60 + int(seconds)) * 75 + int(frames)) * FRAME)
    return samples


def test_cuebreakpoints_reports_the_timeline(
    session: Session, timeline: Timeline, tmp_path: Path
) -> None:
    need("cuebreakpoints", "cuetools")
    cue = tmp_path / "album.cue"
    write_cue_sheet(cue, cue_sheet(session, timeline, "album.wav"))
    starts = [p.start for p in timeline.placements]
    # Default (--append-gaps): every INDEX 01 but track 1's, whose lead-in stays with it,
    # i.e. exactly the boundaries of Timeline.file_ranges().
    appended = breakpoint_samples(run("cuebreakpoints", cue, cwd=tmp_path))
    assert appended == starts[1:]
    assert appended == [start for start, _ in timeline.file_ranges()[1:]]
    # --split-gaps adds every INDEX 00 (including the end of track 1's lead-in).
    split = breakpoint_samples(run("cuebreakpoints", "--split-gaps", cue, cwd=tmp_path))
    index00 = [p.index00 * FRAME for p in cue_points(timeline) if p.index00]
    assert split == sorted(starts + index00)


@pytest.fixture
def album(tmp_path: Path) -> tuple[Session, Timeline, np.ndarray, Path]:
    """Write a real 16-bit WAV of a CD-aligned timeline, with its CUE sheet next to it."""
    session = make_session()
    lengths = {key: value // 2 + 2 * RATE for key, value in GOLDEN_LENGTHS.items()}
    timeline = album_timeline(session, sources_for(lengths))
    assert timeline.cd_aligned
    rng = np.random.default_rng(20240603)
    audio = rng.integers(-30000, 30000, size=(timeline.length, 2), dtype=np.int16)
    sf.write(tmp_path / "album.wav", audio, RATE, subtype="PCM_16")
    write_cue_sheet(tmp_path / "album.cue", cue_sheet(session, timeline, "album.wav"))
    return session, timeline, audio, tmp_path


def read_split(folder: Path) -> list[np.ndarray]:
    return [sf.read(path, dtype="int16")[0] for path in sorted(folder.glob("*.wav"))]


def test_shnsplit_from_cue_splits_at_index_01(
    album: tuple[Session, Timeline, np.ndarray, Path],
) -> None:
    need("shnsplit", "shntool")
    _, timeline, audio, folder = album
    out = folder / "split"
    out.mkdir()
    run(
        "shnsplit",
        "-q",
        "-O",
        "never",
        "-d",
        out,
        "-f",
        "album.cue",
        "-o",
        "wav",
        "album.wav",
        cwd=folder,
    )
    names = sorted(path.name for path in out.glob("*.wav"))
    assert names == ["split-track00.wav"] + [f"split-track{n:02d}.wav" for n in range(1, 6)]
    parts = read_split(out)
    ranges = timeline.file_ranges()
    # shnsplit cuts at every INDEX 01: the lead-in is its own "00" file, and
    # lead-in + track 01 is the first per-track file; the others are the file ranges.
    first_start = timeline.placements[0].start
    np.testing.assert_array_equal(parts[0], audio[:first_start])
    np.testing.assert_array_equal(parts[1], audio[first_start : ranges[0][1]])
    for part, (start, stop) in zip(parts[2:], ranges[1:], strict=True):
        np.testing.assert_array_equal(part, audio[start:stop])


def test_cuebreakpoints_into_shnsplit_gives_the_file_ranges(
    album: tuple[Session, Timeline, np.ndarray, Path],
) -> None:
    need("cuebreakpoints", "cuetools")
    need("shnsplit", "shntool")
    _, timeline, audio, folder = album
    out = folder / "split"
    out.mkdir()
    points = run("cuebreakpoints", "album.cue", cwd=folder)
    run(
        "shnsplit",
        "-q",
        "-O",
        "never",
        "-d",
        out,
        "-o",
        "wav",
        "album.wav",
        cwd=folder,
        stdin=points,
    )
    parts = read_split(out)
    ranges = timeline.file_ranges()
    assert len(parts) == len(ranges)
    for part, (start, stop) in zip(parts, ranges, strict=True):
        np.testing.assert_array_equal(part, audio[start:stop])
    np.testing.assert_array_equal(np.concatenate(parts), audio)


def test_cdrdao_reads_the_sheet(album: tuple[Session, Timeline, np.ndarray, Path]) -> None:
    need("cdrdao", "cdrdao")
    _, timeline, _, folder = album
    result = subprocess.run(
        ["cdrdao", "show-toc", "album.cue"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "CATALOG NUMBER: 0036000291452" in output
    assert "ISRC GB AJY 24 00001" in output
    starts = [int(n) for n in re.findall(r"START\s+\d\d:\d\d:\d\d\(\s*(\d+)\)", output)]
    assert [start * FRAME for start in starts] == [p.start for p in timeline.placements]
    pregaps = [int(n) for n in re.findall(r"PREGAP\s+\d\d:\d\d:\d\d\(\s*(\d+)\)", output)]
    points = cue_points(timeline)
    assert pregaps == [p.index01 - p.index00 for p in points if p.index00 is not None]
