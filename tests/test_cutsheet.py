"""The cut sheet PDF: read back, its times equal the side timelines; deterministic; paper sizes."""

from __future__ import annotations

import ast
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from pypdf import PdfReader
from reportlab.pdfbase.pdfmetrics import stringWidth

from sequencer import edits
from sequencer.analysis import TrackAnalysis, analyse_file
from sequencer.cue import msf
from sequencer.session import Session, new_session
from sequencer.timeline import album_timeline, probe_sources
from tui.cli import main
from vinyl.cutsheet import cutsheet_file_name, pdf_text, side_time, write_cutsheet
from vinyl.workflow import VinylResult, make_vinyl, plan_vinyl

RATE = 44100
ROOT = Path(__file__).resolve().parent.parent
LONG_TITLE = (
    "A very long title that goes on about lacquers, stampers, test pressings and the "
    "run-out groove of a record, and then some more words to be sure"
)
UNBROKEN = "Supercalifragilistic" * 6


def write_song(path: Path, seconds: float, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * RATE)) / RATE
    data = rng.standard_normal((t.size, 2)) * 0.05 + 0.3 * np.sin(2 * np.pi * 60 * t)[:, None]
    sf.write(str(path), data, RATE, subtype="PCM_24")
    return path


def make_session(folder: Path) -> Session:
    paths = [
        write_song(folder / "a.wav", 3.33, 1),
        write_song(folder / "b.wav", 2.45, 2),
        write_song(folder / "c.wav", 4.0, 3),
        write_song(folder / "d.wav", 1.26, 4),
    ]
    session = new_session(paths, title="Cut Test", artist="Tester")
    session = edits.set_album(
        session, catalogue_number="CAT001", label="Lathe Records", upc_ean="4006381333931"
    )
    a, b, c, d = session.order
    session = edits.set_title(session, a, "Opening")
    session = edits.set_title(session, b, LONG_TITLE)
    session = edits.set_title(session, c, "Ελληνικά Café – “quoted”")
    session = edits.set_title(session, d, UNBROKEN)
    session = edits.set_isrc(session, a, "GB-AJY-24-00001")
    session = edits.set_vinyl(
        session,
        pause_s=1.5,
        lead_in_s=0.5,
        cut_sheet_date="2026-03-01",
        mastering_engineer="Jo Lathe",
        engineer_contact="jo@example.com",
        cutting_notes="Watch A2 at the start.\nSide B is short.",
    )
    session = edits.set_pause(session, d, 0.75)
    for track_id, side in ((a, "A"), (b, "A"), (c, "B"), (d, "B")):
        session = edits.assign_side(session, track_id, side)
    session = edits.set_vinyl(
        session, pause_overrides=[{"track_id": d, "seconds": 0.75}], cut_level_db=0.0
    )
    session = edits.set_side_marking(session, "A", matrix="CAT001-A", etching="Hello from A")
    return edits.set_side_marking(session, "B", matrix="CAT001-B")


@pytest.fixture(scope="module")
def job(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Session, VinylResult, dict[str, TrackAnalysis], Path]:
    folder = tmp_path_factory.mktemp("cutsheet")
    session = make_session(folder)
    analyses = {t.id: analyse_file(t.path) for t in session.tracks}
    plan = plan_vinyl(session, probe_sources(session.ordered_tracks()))
    result = make_vinyl(session, plan, folder / "out", analyses=analyses)
    return session, result, analyses, folder


def page_texts(path: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(str(path)).pages]


def tenths(samples: int, rate: int) -> str:
    """MM:SS.s by decimal arithmetic, independent of the module's integer formula."""
    value = (Decimal(samples) / Decimal(rate)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    minutes, seconds = divmod(value, 60)
    return f"{int(minutes):02d}:{seconds:04.1f}"


def test_side_time_rounds_to_the_tenth() -> None:
    assert side_time(0, RATE) == "00:00.0"
    assert side_time(round(548.04 * RATE), RATE) == "09:08.0"
    assert side_time(2205, 44100) == "00:00.1"  # 0.05 s: halves round up
    assert side_time(2204, 44100) == "00:00.0"
    assert side_time(3600 * RATE, RATE) == "60:00.0"
    for samples in (1, 4409, 4410, 123456789, 26460000):
        assert side_time(samples, RATE) == tenths(samples, RATE)


def test_pdf_text_keeps_latin_and_replaces_the_rest() -> None:
    assert pdf_text("Café – “quoted” … ß") == "Café – “quoted” … ß"
    assert pdf_text("Łódź\tline") == "Lódz line"
    assert pdf_text("Ελληνικά") == "????????"


def test_written_beside_the_side_files(job: Any) -> None:
    session, result, _, folder = job
    assert cutsheet_file_name(session) == "CAT001_cutsheet.pdf"
    assert result.cutsheet == folder / "out" / "CAT001_cutsheet.pdf"
    assert result.cutsheet.read_bytes().startswith(b"%PDF")
    assert not [p for p in (folder / "out").iterdir() if p.name.startswith(".")]


def test_times_titles_and_totals_match_the_side_timelines(job: Any) -> None:
    _, result, _, _ = job
    texts = page_texts(result.cutsheet)
    for report in result.reports:
        side = report.side
        rate = side.timeline.sample_rate
        pages = [t for t in texts if f"cut sheet - side {side.name}" in t]
        first = pages[0]
        assert f"Side {side.name}: {tenths(side.timeline.length, rate)}" in first
        assert report.summary in first
        total = re.search(r"Total side time\s+(\d\d:\d\d\.\d)", first)
        assert total is not None
        assert total[1] == tenths(side.timeline.length, rate)
        for number, placement in enumerate(side.timeline.placements, start=1):
            position = f"{side.name}{number}"
            row = re.search(
                rf"^{position}\n(?:.*\n){{1,3}}?(\d\d:\d\d\.\d)\n(\d\d:\d\d\.\d)\n(\d\d:\d\d\.\d)\n",
                first,
                flags=re.MULTILINE,
            )
            assert row is not None, position
            start, duration, pause = (
                int(m[:2]) * 60 + float(m[3:]) for m in (row[1], row[2], row[3])
            )
            tenth = 0.05 + 1e-9  # to the tenth of a second
            assert start == pytest.approx(placement.start / rate, abs=tenth)
            assert duration == pytest.approx(placement.length / rate, abs=tenth)
            assert pause == pytest.approx(placement.pause_before / rate, abs=tenth)
            assert row[1] == tenths(placement.start, rate)
        entry = result.files.files[side.name].name
        assert entry in first
        assert "Hello from A" in first if side.name == "A" else "Run-out etching: -" in first
        assert f"Matrix: CAT001-{side.name}" in first
    a1 = texts[0]
    assert "Opening" in a1
    assert "GB-AJY-24-00001" in a1
    assert "Watch A2 at the start." in a1
    assert "Date: 2026-03-01" in a1
    assert "Mastering: Jo Lathe (jo@example.com)" in a1
    assert "Label: Lathe Records" in a1
    assert "Cat. no.: CAT001" in a1


def test_side_file_checksums_are_printed(job: Any) -> None:
    import json

    _, result, _, _ = job
    manifest = json.loads(result.files.manifest.read_text())
    text = "\n".join(page_texts(result.cutsheet))
    for entry in manifest["sides"]:
        assert entry["sha256"] in text
        assert f"{entry['length_samples']} samples" in text


def test_findings_and_plots_are_there(job: Any) -> None:
    _, result, _, _ = job
    text = "\n".join(page_texts(result.cutsheet))
    for title in ("Short-term loudness", "Low-end correlation", "HF tracing demand"):
        assert title in text
    for finding in result.findings:
        assert finding.code in text
        if finding.time_s is not None:
            assert side_time(round(finding.time_s * 1000), 1000) in text


def test_digital_track_sheet_matches_the_cd_timeline(job: Any) -> None:
    session, result, _, _ = job
    last = page_texts(result.cutsheet)[-1]
    assert "Digital track sheet (PQ)" in last
    assert "UPC/EAN: 4006381333931" in last
    timeline = album_timeline(
        session, probe_sources(session.ordered_tracks()), sample_rate=44100, cd_alignment=True
    )
    for placement in timeline.placements:
        start = msf(placement.start, 44100)
        length = msf(placement.length, 44100, exact=False)
        assert re.search(rf"^{placement.number:02d}\n(?:.*\n){{1,4}}?.*{start}\n{length}\n", last,
                         flags=re.MULTILINE), placement.number  # fmt: skip
    assert msf(timeline.length, 44100) in last


def test_page_n_of_m(job: Any) -> None:
    _, result, _, _ = job
    texts = page_texts(result.cutsheet)
    assert len(texts) >= 3
    for number, text in enumerate(texts, start=1):
        assert f"page {number} of {len(texts)}" in text
        assert "Tester — Cut Test" in text


def test_long_titles_are_shortened_and_nothing_overflows(job: Any) -> None:
    _, result, _, _ = job
    reader = PdfReader(str(result.cutsheet))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "…" in text
    assert "Full titles:" in text
    flat = " ".join(text.split())
    assert LONG_TITLE in flat
    assert "Café – “quoted”" in text
    for page in reader.pages:
        width = float(page.mediabox.width)
        edges: list[tuple[float, float, str]] = []

        def visit(
            chunk: str, cm: list[float], tm: list[float], font: Any, size: float,
            edges: list[tuple[float, float, str]] = edges,
        ) -> None:  # fmt: skip
            if not chunk.strip() or font is None:
                return
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            scale = size * tm[0] * cm[0]
            name = str(font.get("/BaseFont", "/Helvetica"))[1:]
            line = max(stringWidth(part.rstrip(), name, scale) for part in chunk.split("\n"))
            edges.append((x, x + line, chunk))

        page.extract_text(visitor_text=visit)
        assert edges
        margin = 15 * 72 / 25.4
        for left, right, chunk in edges:
            assert left >= margin - 0.5, chunk
            assert right <= width - margin + 0.5, chunk


def test_same_session_gives_identical_bytes(job: Any, tmp_path: Path) -> None:
    session, result, analyses, _ = job
    first = write_cutsheet(session, result, tmp_path / "one.pdf", analyses=analyses)
    second = write_cutsheet(session, result, tmp_path / "two.pdf", analyses=analyses)
    assert first.read_bytes() == second.read_bytes() == result.cutsheet.read_bytes()
    dated = write_cutsheet(
        session, result, tmp_path / "three.pdf", analyses=analyses, date="2027-01-02"
    )
    assert dated.read_bytes() != first.read_bytes()
    assert "Date: 2027-01-02" in page_texts(dated)[0]


@pytest.mark.parametrize(("paper", "size"), [("a4", (595.28, 841.89)), ("letter", (612, 792))])
def test_paper_size_from_the_session(job: Any, tmp_path: Path, paper: str, size: tuple) -> None:
    session, result, analyses, _ = job
    session = edits.set_vinyl(session, paper_size=paper)
    path = write_cutsheet(session, result, tmp_path / "sheet.pdf", analyses=analyses)
    for page in PdfReader(str(path)).pages:
        assert float(page.mediabox.width) == pytest.approx(size[0], abs=0.01)
        assert float(page.mediabox.height) == pytest.approx(size[1], abs=0.01)


def test_cutsheet_command_and_the_vinyl_plan_fields(
    job: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sequencer.store import load_session, save_session

    monkeypatch.setenv("RUNOUT_CACHE_DIR", str(tmp_path / "cache"))

    session, _, _, _ = job
    session_path = tmp_path / "album.json"
    save_session(session, session_path)
    assert main([
        "vinyl-plan", str(session_path), "--matrix", "A", "NEW-A", "--etching", "B", "Bee",
        "--paper", "letter", "--date", "2026-04-05", "--engineer", "Sam", "--notes", "one\\ntwo",
    ]) == 0  # fmt: skip
    edited = load_session(session_path)
    assert edited.vinyl.marking("A").matrix == "NEW-A"
    assert edited.vinyl.marking("A").etching == "Hello from A"
    assert edited.vinyl.marking("B").etching == "Bee"
    assert edited.vinyl.paper_size == "letter"
    assert str(edited.vinyl.cut_sheet_date) == "2026-04-05"
    assert edited.vinyl.cutting_notes == "one\ntwo"
    out = tmp_path / "sheet.pdf"
    assert main(["cutsheet", str(session_path), "--out", str(out), "--sides",
                 str(tmp_path / "sides")]) == 0  # fmt: skip
    texts = page_texts(out)
    assert "Matrix: NEW-A" in texts[0]
    assert "Date: 2026-04-05" in texts[0]
    assert float(PdfReader(str(out)).pages[0].mediabox.width) == pytest.approx(612)
    assert (tmp_path / "sides" / "CAT001_A_44100Hz_24bit.wav").exists()
    assert not (tmp_path / "sides" / "CAT001_cutsheet.pdf").exists()


def test_only_the_cutsheet_module_imports_reportlab() -> None:
    importers = []
    for package in ("sequencer", "vinyl", "tui"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                if any(name.split(".")[0] == "reportlab" for name in names):
                    importers.append(str(path.relative_to(ROOT)))
    assert sorted(set(importers)) == ["vinyl/cutsheet.py"]
