"""Snapshot tests of the three main screens on a shortened, deterministic demo session.

The demo album's generator makes every track only 4 s long here (the same
titles, ISRCs, metadata and side plan as ``runout`` shows), so the screens are
the demo's, built in seconds. Update with ``pytest tests/test_tui_snapshots.py
--snapshot-update`` after checking the new pictures.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from samples.demo_album import generate_demo_album
from samples.demo_session import SESSION_NAME, demo_session
from sequencer.batch import analyse_sources
from sequencer.cache import AnalysisCache
from sequencer.store import save_session
from tests.tui_support import analysed, wait_for
from tui.app.app import RunoutApp


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Make a shortened demo session and a warm analysis cache."""
    # Loaded up front, so the Deliver screen names the cut sheet file at once (the
    # app otherwise loads this module in the background when the screen is shown).
    import vinyl.cutsheet  # noqa: F401

    folder = tmp_path_factory.mktemp("tui-demo")
    paths = generate_demo_album(folder / "audio", seconds=4.0)
    session_path = folder / SESSION_NAME
    save_session(demo_session(paths), session_path)
    cache = folder / "cache"
    analyse_sources(paths, cache=AnalysisCache(cache), workers=1)
    return session_path, cache


def app_on(demo: tuple[Path, Path]) -> RunoutApp:
    session_path, cache = demo
    return RunoutApp(session_path, cache=AnalysisCache(cache), workers=1, player=["true"])


async def settle(pilot) -> None:
    await analysed(pilot, pilot.app)
    await pilot.pause(0.2)


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
def test_sequence_screen(snap_compare, demo, size) -> None:
    assert snap_compare(app_on(demo), terminal_size=size, run_before=settle)


def test_vinyl_screen(snap_compare, demo) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("2")
        await pilot.pause(0.2)

    assert snap_compare(app_on(demo), terminal_size=(120, 36), run_before=run_before)


def test_deliver_screen(snap_compare, demo) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("3")
        await pilot.pause(0.2)

    assert snap_compare(app_on(demo), terminal_size=(100, 30), run_before=run_before)


def test_vinyl_screen_with_a_finding_in_full(snap_compare, demo) -> None:
    async def run_before(pilot) -> None:
        app = pilot.app
        await settle(pilot)
        await pilot.press("2")
        await pilot.pause(0.2)
        await pilot.press("c")
        await wait_for(pilot, lambda: app.side_reports_for is app.session, timeout=120)
        app.clear_notifications()  # the check's toasts would cover the finding
        await pilot.press("enter")  # the first track's findings, the first one in full
        await pilot.pause(0.2)

    assert snap_compare(app_on(demo), terminal_size=(80, 24), run_before=run_before)
