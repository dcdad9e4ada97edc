"""Helpers of the app's tests: small synthesized sessions and waiting for the app."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from sequencer.cache import AnalysisCache
from sequencer.session import Album, Session, new_session
from sequencer.store import save_session
from tui.app.app import RunoutApp

RATE = 44100


def song(path: Path, seconds: float, level: float, seed: int) -> Path:
    """Beat-modulated noise with a bass tone: music-like, seeded."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * RATE)) / RATE
    beat = 0.4 + 0.6 * (np.sin(2 * np.pi * 2 * t) > 0.5)
    data = (
        rng.standard_normal((t.size, 2)) * 0.2 * beat[:, None]
        + 0.3 * np.sin(2 * np.pi * 60 * t)[:, None]
    )
    sf.write(str(path), np.clip(data * level, -1, 1), RATE, subtype="PCM_24")
    return path


def write_audio(folder: Path, seconds: tuple[float, ...] = (4.0, 5.0, 3.0, 4.0)) -> list[Path]:
    """Write a few short seeded tracks into *folder*."""
    folder.mkdir(parents=True, exist_ok=True)
    levels = (0.5, 0.8, 0.3, 0.6, 0.4, 0.7)
    return [
        song(folder / f"track{index + 1}.wav", length, levels[index % len(levels)], index + 1)
        for index, length in enumerate(seconds)
    ]


def small_session(folder: Path, audio: list[Path] | None = None) -> Path:
    """Write a session over *audio* (or new short tracks) into *folder*; return its file."""
    paths = audio if audio is not None else write_audio(folder / "audio")
    session = new_session(paths, title="Small Album", artist="Tester")
    session = Session.model_validate(
        session.model_copy(
            update={"album": Album(title="Small Album", artist="Tester", catalogue_number="SM01")}
        ).model_dump()
    )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "album.json"
    save_session(session, path)
    return path


def make_app(session_path: Path, cache_dir: Path, **kwargs: object) -> Any:
    """Open the app on a session, with its own cache and analysis in this process."""
    return RunoutApp(
        session_path,
        cache=AnalysisCache(cache_dir),
        workers=1,
        **kwargs,  # type: ignore[arg-type]
    )


async def wait_for(pilot: object, condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Let the app run until *condition* holds (AssertionError after *timeout* s)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the app")
        await pilot.pause(0.05)  # type: ignore[attr-defined]
    await asyncio.sleep(0)


async def analysed(pilot: object, app: RunoutApp) -> None:
    """Wait until every track is analysed, the plan is made and the findings are in."""
    await wait_for(
        pilot,
        lambda: (
            app.view is not None
            and app.view.plan is not None
            and not app.analysis_running
            and not app.findings_pending
        ),
    )
    await pilot.pause()  # type: ignore[attr-defined]


async def sides_checked(pilot: object, app: RunoutApp) -> None:
    """Open the Vinyl tab, accept the proposed split and wait for the side checks."""
    await pilot.press("2")  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    await pilot.press("s", "y", "c")  # type: ignore[attr-defined]
    await wait_for(pilot, lambda: app.side_reports_for is app.session, timeout=120)
