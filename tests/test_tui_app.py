"""Pilot tests of the app: every action changes the session (and only through the core)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest
import soundfile as sf
from textual import events
from textual.widgets import Input, Select

from sequencer import edits
from sequencer.audition import seam_timeline
from sequencer.batch import analyse_sources
from sequencer.cache import AnalysisCache
from sequencer.findings import Finding
from sequencer.store import load_session
from sequencer.timeline import probe_sources
from tests.tui_support import (
    analysed,
    make_app,
    sides_checked,
    small_session,
    wait_for,
    write_audio,
)
from tui.app.deliver_pane import DeliverPane
from tui.app.dialogs import ChoiceDialog, FormDialog
from tui.app.messages import TrackAnalysed
from tui.player import find_player
from vinyl.sides import plan_sides, propose_split

pytestmark = pytest.mark.asyncio

SIZE = (120, 40)


@pytest.fixture(scope="session")
def shared(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], Path]:
    """Short tracks and a warm analysis cache, made once per test process."""
    folder = tmp_path_factory.mktemp("tui-audio")
    paths = write_audio(folder / "audio")
    cache = folder / "cache"
    analyse_sources(paths, cache=AnalysisCache(cache), workers=1)
    return paths, cache


@pytest.fixture
def session_path(tmp_path: Path, shared: tuple[list[Path], Path]) -> Path:
    return small_session(tmp_path, shared[0])


@pytest.fixture
def cache_dir(shared: tuple[list[Path], Path]) -> Path:
    return shared[1]


def starts(app) -> dict[str, int]:
    """Track starts on the album timeline, by id."""
    timeline = app.view.timeline
    return {p.track_id: p.start for p in timeline.placements}


async def test_reorder_changes_the_order_and_the_start_times(session_path, tmp_path, cache_dir):
    app = make_app(session_path, cache_dir)
    async with app.run_test(size=SIZE) as pilot:
        await analysed(pilot, app)
        before = app.session
        first, second = before.order[:2]
        old_starts = starts(app)
        await pilot.press("shift+down")
        assert app.session.order[:2] == (second, first)
        new_starts = starts(app)
        assert new_starts[second] == 0
        assert new_starts[first] > old_starts[first]
        # The table follows the session, and the moved track stays selected.
        assert app.sequence_pane.selected_track_id() == first
        assert app.dirty
        await pilot.press("K")  # back up again
        assert app.session.order == before.order


async def test_undo_restores_the_previous_session_exactly_and_redo_replays(
    session_path, tmp_path, cache_dir
):
    app = make_app(session_path, cache_dir)
    async with app.run_test(size=SIZE) as pilot:
        await analysed(pilot, app)
        original = app.session
        await pilot.press("shift+down")
        edited = app.session
        assert edited != original
        await pilot.press("ctrl+z")
        assert app.session is original
        assert not app.dirty
        await pilot.press("ctrl+y")
        assert app.session is edited
        await pilot.press("ctrl+z", "ctrl+shift+z")
        assert app.session is edited


async def test_a_pause_edit_changes_the_timeline(session_path, tmp_path, cache_dir):
    app = make_app(session_path, cache_dir)
    async with app.run_test(size=SIZE) as pilot:
        await analysed(pilot, app)
        second = app.session.order[1]
        third = app.session.order[2]
        old = starts(app)
        await pilot.press("down", "p")
        assert isinstance(app.screen, FormDialog)
        await pilot.press("5", "enter")
        assert app.session.track(second).pause_before_s == 5.0
        rate = app.view.timeline.sample_rate
        new = starts(app)
        assert new[second] - old[second] == 3 * rate  # 2 s default -> 5 s
        assert new[third] - old[third] == 3 * rate


async def test_a_refused_value_keeps_the_dialog_open_and_the_session(
    session_path, tmp_path, cache_dir
):
    app = make_app(session_path, cache_dir)
    async with app.run_test(size=SIZE) as pilot:
        await analysed(pilot, app)
        before = app.session
        await pilot.press("down", "p", *"-3", "enter")
        assert isinstance(app.screen, FormDialog)
        assert app.session is before
        await pilot.press("escape")
        assert not isinstance(app.screen, FormDialog)


@pytest.mark.parametrize(
    ("key", "field"), [("p", "#field-seconds"), ("t", "#field-title"), ("o", "#field-lu")]
)
async def test_keys_typed_straight_after_a_dialog_opens_reach_its_field(
    session_path, tmp_path, cache_dir, key, field
):
    app = make_app(session_path, cache_dir)
    async with app.run_test(size=SIZE) as pilot:
        await analysed(pilot, app)
        await pilot.press("down")
        # All three keys are queued before the first is handled, as when a busy
        # terminal delivers them together; "2" is also the key of the Vinyl tab.
        for typed in (key, "2", "5"):
            app.post_message(events.Key(typed, typed))
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, FormDialog)
        assert dialog.focused is dialog.query_one(field, Input)
        assert dialog.query_one(field, Input).value == "25"
        assert app.query_one("#tabs").active == "sequence"


async def test_cursor_keys_typed_ahead_of_a_dialog_key_choose_its_track(
    session_path, tmp_path, cache_dir
):
    # Down, down, p, 3, 5, enter delivered together must edit the third track: a
    # dialog key that overtook the cursor keys queued at the table edited the first.
    app = make_app(session_path, cache_dir)
    async with app.run_test(size=SIZE) as pilot:
        await analysed(pilot, app)
        third = app.session.order[2]
        for typed in ("down", "down", "p", "3", "5", "enter"):
            app.post_message(events.Key(typed, typed if len(typed) == 1 else None))
        await pilot.pause()
        await pilot.pause()
        assert app.session.transition_into(third) == 35.0
        assert app.session.transition_into(app.session.order[0]) != 35.0


async def test_crossfade_with_its_curve_and_the_loudness_policy(session_path, tmp_path, cache_dir):
    app = make_app(session_path, cache_dir)
    async with app.run_test(size=SIZE) as pilot:
        await analysed(pilot, app)
        target = app.session.order[1]
        await pilot.press("down", "x")
        dialog = app.screen
        assert isinstance(dialog, FormDialog)
        dialog.query_one("#field-seconds", Input).value = "1.5"
        dialog.query_one("#field-curve", Select).value = "s-curve"
        await pilot.press("enter")
        crossfade = app.session.transition_into(target)
        assert crossfade.seconds == 1.5
        assert crossfade.curve == "s-curve"
        assert "xf 1.5s s-crv" in app.view.rows[1].into
        await pilot.press("l")
        dialog = app.screen
        dialog.query_one("#field-target").value = "-16"
        dialog.query_one("#field-ceiling").value = "-2"
        dialog.submit()
        await pilot.pause()
        assert app.session.loudness.target_lufs == -16.0
        assert app.view.plan.target_lufs == -16.0


async def test_title_isrc_offset_and_remove(session_path, tmp_path, cache_dir):
    app = make_app(session_path, cache_dir)
    async with app.run_test(size=SIZE) as pilot:
        await analysed(pilot, app)
        first = app.session.order[0]
        await pilot.press("t", *"Opening", "enter")
        assert app.session.track(first).title == "Opening"
        await pilot.press("i", *"GB-AJY-24-00001", "enter")
        assert app.session.track(first).isrc == "GBAJY2400001"
        await pilot.press("o", *"-3", "enter")
        assert app.session.track(first).offset_lu == -3.0
        await pilot.press("delete")
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.click("#remove")
        assert first not in app.session.order
        assert len(app.session.tracks) == 3


async def test_moving_a_track_between_sides_updates_both_totals(session_path, tmp_path, cache_dir):
    session = load_session(session_path)
    a, b, c, d = session.order
    for track_id, side in ((a, "A"), (b, "A"), (c, "B"), (d, "B")):
        session = edits.assign_side(session, track_id, side)
    from sequencer.store import save_session

    save_session(session, session_path)
    sources = probe_sources(session.tracks)
    app = make_app(session_path, cache_dir)
    async with app.run_test(size=SIZE) as pilot:
        await analysed(pilot, app)
        await pilot.press("2")
        await pilot.pause()
        await pilot.pause()
        before = plan_sides(app.session, sources)
        pane = app.vinyl_pane
        assert [col.side_name for col in pane.columns()] == ["A", "B"]
        pane.focus_side([], "A", b)
        await pilot.press("shift+right")
        sides = {side.name: side.track_ids for side in app.session.vinyl.sides}
        assert sides == {"A": (a,), "B": (b, c, d)}
        after = plan_sides(app.session, sources)
        assert after.side("A").duration_s < before.side("A").duration_s
        assert after.side("B").duration_s > before.side("B").duration_s
        # The screen shows the new totals.
        await pilot.pause()
        head = str(pane.columns()[1]._head.render())
        assert f"Side B {after.side('B').duration_s // 60:.0f}:" in head
        await pilot.press("shift+up")  # b before c on side B already: stays first
        assert app.session.vinyl.sides[1].track_ids[0] == b
        await pilot.press("shift+down")
        assert app.session.vinyl.sides[1].track_ids == (c, b, d)


async def test_proposing_and_accepting_a_split(session_path, tmp_path, cache_dir):
    app = make_app(session_path, cache_dir)
    async with app.run_test(size=SIZE) as pilot:
        await analysed(pilot, app)
        assert app.session.vinyl.sides == ()
        await pilot.press("2")
        await pilot.pause()
        await pilot.press("s")
        assert app.proposal is not None
        assert app.session.vinyl.sides == ()  # shown, not applied
        expected = propose_split(app.session, probe_sources(app.session.tracks)).sides
        await pilot.press("y")
        assert app.proposal is None
        assert tuple((s.name, s.track_ids) for s in app.session.vinyl.sides) == expected
        await pilot.press("ctrl+z")
        assert app.session.vinyl.sides == ()
        await pilot.press("s", "n")
        assert app.proposal is None
        assert app.session.vinyl.sides == ()


async def test_checking_the_sides_is_the_core_check(session_path, tmp_path, cache_dir):
    from vinyl.workflow import check_vinyl, plan_vinyl

    app = make_app(session_path, cache_dir)
    async with app.run_test(size=SIZE) as pilot:
        await analysed(pilot, app)
        await sides_checked(pilot, app)
        session = app.session
        expected = check_vinyl(
            session,
            plan_vinyl(session, probe_sources(session.tracks)),
            analyses=app.analyses_by_id(session),
        )
        assert [r.summary for r in app.side_reports] == [r.summary for r in expected]
        await pilot.pause()
        assert set(app.current_side_reports()) == {r.side.name for r in expected}


def long_finding(track_id: str, title: str, number: int) -> Finding:
    """Make a side finding whose message and advice are far wider than any terminal."""
    return Finding(
        code="VINYL-HF-NEAR-LIMIT",
        severity="warning",
        message=f"Finding {number}: " + "a burst of sibilance near the tracing limit " * 3 + "END",
        advice="De-ess the passage, " * 6 + "or cut the side at a lower level (ADVICE-END).",
        track_id=track_id,
        track_title=title,
        side="A",
        time_s=1.5 * number,
        time_in_track_s=1.5 * number,
    )


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_a_side_finding_is_readable_in_full(session_path, tmp_path, cache_dir, size):
    app = make_app(session_path, cache_dir)
    async with app.run_test(size=size) as pilot:
        await analysed(pilot, app)
        await sides_checked(pilot, app)
        first, second = app.session.order[:2]
        titles = {t.id: t.title for t in app.session.tracks}
        findings = (
            long_finding(first, titles[first], 1),
            long_finding(second, titles[second], 2),
        )
        # Real side checks, with long findings in place of what they found.
        app.side_reports = tuple(
            dataclasses.replace(r, findings=findings if r.side.name == "A" else ())
            for r in app.side_reports
        )
        app.refresh_vinyl()
        await pilot.pause()
        pane = app.vinyl_pane
        table = pane.query_one("#side-findings")
        detail = pane.query_one("#finding-detail")
        # The list shows the start of each message; the first finding is shown in full.
        message = table.get_row_at(0)[3]
        assert str(message).endswith("…")
        assert table.region.right <= size[0]
        text = str(detail.content)
        assert findings[0].message in text
        assert findings[0].advice in text
        assert detail.region.bottom <= app.screen.region.bottom - 1  # above the footer
        assert detail.size.height >= len(detail.content.wrap(app.console, detail.size.width))
        # Enter on a track goes to its first finding; the detail follows the cursor.
        pane.focus_side([], "A", second)
        await pilot.press("enter")
        assert app.focused is table
        assert findings[1].message in str(detail.content)
        await pilot.press("up")
        assert findings[0].advice in str(detail.content)
        await pilot.press("enter")  # and back to the track of the finding
        assert pane.selected_track_id() == first


async def test_rendering_from_the_deliver_screen_writes_files_and_reaches_100(
    session_path, tmp_path, cache_dir
):
    app = make_app(session_path, cache_dir)
    async with app.run_test(size=SIZE) as pilot:
        await analysed(pilot, app)
        await pilot.press("3")
        await pilot.pause()
        await pilot.press("d")
        await wait_for(pilot, lambda: "digital" in app.job_results, timeout=120)
        result = app.job_results["digital"]
        folder = session_path.with_name("album-master")
        assert result.directory == folder
        assert (folder / "manifest.json").is_file()
        assert len(result.track_files) == 4
        assert all(path.is_file() for path in result.track_files)
        assert app.job_progress["digital"] == 100.0
        assert app.query_one(DeliverPane).row("digital").percent == 100.0


async def test_rendering_side_files_and_cutsheet(session_path, tmp_path, cache_dir):
    app = make_app(session_path, cache_dir)
    async with app.run_test(size=SIZE) as pilot:
        await analysed(pilot, app)
        await pilot.press("3")
        await pilot.pause()
        await pilot.press("v")
        await wait_for(pilot, lambda: "sides" in app.job_results, timeout=120)
        result = app.job_results["sides"]
        assert all(Path(p).is_file() for p in result.files.files.values())
        assert app.job_progress["sides"] == 100.0
        # The same cut sheet as `runout vinyl` writes: beside the side files, named
        # after the catalogue number, shown on its row without running again.
        sheet = session_path.with_name("album-vinyl") / "SM01_cutsheet.pdf"
        assert result.cutsheet == sheet
        assert sheet.read_bytes().startswith(b"%PDF")
        assert app.job_results["cutsheet"] == sheet
        made = sheet.stat().st_mtime_ns
        await pilot.press("k")
        await wait_for(pilot, lambda: app.job_running is None, timeout=120)
        assert app.job_progress["cutsheet"] == 100.0
        assert sheet.stat().st_mtime_ns == made
        status = str(app.query_one("#status-cutsheet").render())
        assert "album-vinyl/SM01_cutsheet.pdf" in status
        assert not list(sheet.parent.glob("cutsheet.pdf"))


async def test_cancelling_a_render_leaves_no_file(session_path, tmp_path, cache_dir):
    app = make_app(session_path, cache_dir)
    async with app.run_test(size=SIZE) as pilot:
        await analysed(pilot, app)
        app._job_cancel.set()  # as if escape came before the first block
        await pilot.press("3")
        app.action_render("digital")
        app._job_cancel.set()
        await wait_for(pilot, lambda: app.job_running is None)
        assert "digital" not in app.job_results
        folder = session_path.with_name("album-master")
        assert not any(folder.glob("*.wav")) if folder.exists() else True


async def test_quitting_with_unsaved_changes_asks_first(session_path, tmp_path, cache_dir):
    app = make_app(session_path, cache_dir)
    original = session_path.read_bytes()
    async with app.run_test(size=SIZE) as pilot:
        await analysed(pilot, app)
        await pilot.press("shift+down")
        assert "unsaved" in app.sub_title
        await pilot.press("q")
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.press("escape")  # cancel: still running, nothing written
        assert not isinstance(app.screen, ChoiceDialog)
        assert app.is_running
        await pilot.press("q")
        await pilot.click("#discard")
        await pilot.pause()
    assert session_path.read_bytes() == original


async def test_save_is_atomic_and_clears_the_marker(session_path, tmp_path, cache_dir):
    app = make_app(session_path, cache_dir)
    async with app.run_test(size=SIZE) as pilot:
        await analysed(pilot, app)
        await pilot.press("shift+down", "ctrl+s")
        assert not app.dirty
        assert "unsaved" not in app.sub_title
        assert load_session(session_path) == app.session
        assert session_path.with_name("album.json.bak").is_file()
        await pilot.press("q")  # no question: nothing unsaved
        await pilot.pause()
        assert not app.is_running


async def test_analysis_fills_in_each_track_as_it_finishes(session_path, tmp_path):
    app = make_app(session_path, tmp_path / "empty-cache")
    arrived: list[tuple[str, int]] = []

    def hook(message: object) -> None:
        if isinstance(message, TrackAnalysed):  # seen before the app handles it
            arrived.append((message.path, len(app.analyses)))

    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await analysed(pilot, app)
        session = app.session
        paths = {str(t.path.resolve()) for t in session.tracks}
        # One message per track, each adding one analysis, not one batch at the end.
        assert sorted(path for path, _ in arrived) == sorted(paths)
        assert [known for _, known in arrived] == list(range(len(paths)))
        assert app.view.analysed == len(session.order)
        assert app.view.plan is not None
        expected = analyse_sources([t.path for t in session.tracks])
        assert [app.analyses[str(t.path.resolve())] for t in session.tracks] == expected


async def test_a_session_that_fails_to_load_is_shown_and_left_alone(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"schema_version": 1, "album": ', encoding="utf-8")
    app = make_app(broken, tmp_path / "cache")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.session is None
        assert "Cannot open" in (app.load_error or "")
        await pilot.press("shift+down", "ctrl+s")
        await pilot.press("q")
    assert broken.read_text(encoding="utf-8") == '{"schema_version": 1, "album": '


async def test_a_missing_source_is_reported_not_fatal(tmp_path, cache_dir):
    session_path = small_session(tmp_path)
    session = load_session(session_path)
    session.ordered_tracks()[2].path.unlink()
    app = make_app(session_path, cache_dir)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.view is not None and not app.analysis_running)
        assert any("cannot read the source" in p for p in app.view.problems)
        await pilot.press("shift+down")  # editing still works
        assert app.session.order[1] == session.order[0]


async def test_audition_renders_the_seam_and_plays_it_with_the_stand_in_player(
    session_path, tmp_path, cache_dir
):
    copy = tmp_path / "heard.wav"
    player = [sys.executable, "-c", f"import shutil, sys; shutil.copy(sys.argv[1], {str(copy)!r})"]
    app = make_app(session_path, cache_dir, player=player)
    async with app.run_test(size=SIZE) as pilot:
        await analysed(pilot, app)
        await pilot.press("down", "space")
        await wait_for(pilot, lambda: copy.is_file() and not app.workers_running("audition"))
        session = app.session
        seam = seam_timeline(session, probe_sources(session.tracks), session.order[1])
        assert sf.info(str(copy)).frames == seam.timeline.length


async def test_audition_without_a_player_says_so(session_path, tmp_path, cache_dir, monkeypatch):
    monkeypatch.delenv("RUNOUT_PLAYER", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert find_player() is None
    app = make_app(session_path, cache_dir)
    async with app.run_test(size=SIZE) as pilot:
        await analysed(pilot, app)
        await pilot.press("down", "space")
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any("No audio player found" in m for m in messages)


async def test_every_action_is_in_the_command_palette(session_path, tmp_path, cache_dir):
    app = make_app(session_path, cache_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        titles = {command.title for command in app.get_system_commands(app.screen)}
        for title in (
            "Move track up",
            "Set pause",
            "Set crossfade",
            "Propose split",
            "Accept split",
            "Render everything",
            "Audition seam",
            "Undo",
            "Redo",
            "Save",
        ):
            assert title in titles
        await pilot.press("question_mark")
        assert type(app.screen).__name__ == "HelpScreen"


async def test_small_terminal_keeps_the_table_and_the_footer(session_path, tmp_path, cache_dir):
    app = make_app(session_path, cache_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await analysed(pilot, app)
        table = app.sequence_pane.table
        assert table.size.height >= 5
        assert table.region.right <= 80
        await pilot.press("shift+down")
        assert app.session.order[1] == load_session(session_path).order[0]
        await pilot.press("2")
        await pilot.pause()
        await pilot.press("3")
        await pilot.pause()
        assert app.deliver_pane.region.height > 10


async def test_importing_the_app_through_its_package_leaves_the_collector_on():
    code = (
        "import gc, tui.app\n"
        "from tui.app import RunoutApp, run_app\n"
        "assert RunoutApp is tui.app.app.RunoutApp and run_app is tui.app.app.run_app\n"
        "assert gc.isenabled() and gc.get_freeze_count() > 0\n"
    )
    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True, timeout=120)
