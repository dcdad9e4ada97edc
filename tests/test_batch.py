"""Analysing many sources: cache, parallel workers, progress and cancel."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from sequencer.analysis import ANALYSIS_VERSION, TrackAnalysis, analyse_file
from sequencer.batch import analyse_sources
from sequencer.cache import AnalysisCache
from sequencer.errors import AudioError, Cancelled

RATE = 44100


def make_tracks(folder: Path, count: int = 3, seconds: float = 4.0) -> list[Path]:
    paths = []
    for index in range(count):
        rng = np.random.default_rng(index)
        level = 0.05 * (index + 1)
        data = rng.standard_normal((round(seconds * RATE), 2)) * level
        path = folder / f"track{index}.wav"
        sf.write(str(path), data.clip(-1, 1), RATE, subtype="PCM_24")
        paths.append(path)
    return paths


def test_parallel_equals_serial_and_keeps_order(tmp_path: Path) -> None:
    paths = make_tracks(tmp_path)
    serial = [analyse_file(p) for p in paths]
    parallel = analyse_sources(paths, workers=2)
    assert parallel == serial
    louder = [a.integrated_lufs or -99.0 for a in parallel]
    assert louder == sorted(louder)  # the tracks were made louder in order


def test_progress_reaches_the_total(tmp_path: Path) -> None:
    paths = make_tracks(tmp_path)
    reports: list[tuple[int, int, int, int]] = []
    analyse_sources(paths, workers=2, progress=lambda *r: reports.append(r))
    done, total, finished, count = reports[-1]
    assert done == total == 3 * 4 * RATE
    assert finished == count == 3


def test_cache_is_used_and_invalidated_when_the_file_changes(tmp_path: Path) -> None:
    paths = make_tracks(tmp_path, count=1)
    cache = AnalysisCache(tmp_path / "cache")
    first = analyse_sources(paths, cache=cache, workers=1)[0]
    assert cache.get(paths[0]) == first
    # Tamper with the entry: a cache hit returns the stored (tampered) value.
    entry = next((tmp_path / "cache").glob("*.json"))
    entry.write_text(entry.read_text().replace(str(first.integrated_lufs), "-99.0"))
    assert analyse_sources(paths, cache=cache, workers=1)[0].integrated_lufs == -99.0
    # A changed file (size or mtime) is analysed again.
    sf.write(str(paths[0]), np.zeros((RATE, 2)) + 0.01, RATE, subtype="PCM_24")
    os.utime(paths[0], ns=(1, 1))
    again = analyse_sources(paths, cache=cache, workers=1)[0]
    assert again.duration_samples == RATE
    assert again.analysis_version == ANALYSIS_VERSION


def test_unreadable_cache_entries_are_ignored(tmp_path: Path) -> None:
    paths = make_tracks(tmp_path, count=1)
    cache = AnalysisCache(tmp_path / "cache")
    analyse_sources(paths, cache=cache, workers=1)
    entry = next((tmp_path / "cache").glob("*.json"))
    entry.write_text("{ truncated")
    assert cache.get(paths[0]) is None
    assert analyse_sources(paths, cache=cache, workers=1)[0].integrated_lufs is not None


def test_a_bad_source_is_named_after_the_others_finish(tmp_path: Path) -> None:
    paths = make_tracks(tmp_path, count=2)
    bad = tmp_path / "bad.wav"
    bad.write_text("not audio")
    with pytest.raises(AudioError, match=r"bad\.wav"):
        analyse_sources([paths[0], bad, paths[1]], workers=2)


@pytest.mark.parametrize("workers", [1, 2])
def test_on_result_reports_each_source_once_as_it_finishes(tmp_path: Path, workers: int) -> None:
    paths = make_tracks(tmp_path, count=4)
    cache = AnalysisCache(tmp_path / "cache")
    analyse_sources(paths[2:3], cache=cache, workers=1)  # the third is cached
    events: list[tuple[str, Any]] = []

    def on_result(path: Path, analysis: TrackAnalysis) -> None:
        events.append(("result", (path, analysis)))

    def progress(done: int, total: int, finished: int, count: int) -> None:
        events.append(("progress", finished))

    results = analyse_sources(
        paths, cache=cache, workers=workers, progress=progress, on_result=on_result
    )
    reported = [value for kind, value in events if kind == "result"]
    # Once per source, with its own analysis (the same as the returned one).
    assert sorted(path for path, _ in reported) == sorted(p.resolve() for p in paths)
    assert dict(reported) == {p.resolve(): a for p, a in zip(paths, results, strict=True)}
    assert dict(reported)[paths[0].resolve()] == analyse_file(paths[0])
    # The cached one first, before any progress; then each as it finishes: every
    # result is followed by a progress report that already counts it.
    assert events[0] == ("result", (paths[2].resolve(), cache.get(paths[2])))
    for index, (kind, _value) in enumerate(events):
        if kind == "result":
            seen = sum(1 for k, _ in events[: index + 1] if k == "result")
            later = [v for k, v in events[index + 1 :] if k == "progress"]
            assert later
            assert later[0] >= seen


@pytest.mark.parametrize("workers", [1, 2])
def test_a_source_that_fails_is_not_reported_and_the_others_are(
    tmp_path: Path, workers: int
) -> None:
    paths = make_tracks(tmp_path, count=2)
    broken = tmp_path / "nan.wav"
    samples = np.zeros((RATE, 2))
    samples[RATE // 2] = np.nan  # the header reads fine; the analysis refuses the sample
    sf.write(str(broken), samples, RATE, subtype="FLOAT")
    reported: list[Path] = []
    with pytest.raises(AudioError, match=r"nan\.wav"):
        analyse_sources(
            [paths[0], broken, paths[1]],
            workers=workers,
            on_result=lambda path, _analysis: reported.append(path),
        )
    assert sorted(reported) == sorted(p.resolve() for p in paths)


@pytest.mark.parametrize("workers", [1, 2])
def test_cancel_stops_the_batch(tmp_path: Path, workers: int) -> None:
    paths = make_tracks(tmp_path, count=2, seconds=20)
    cancel = threading.Event()

    def progress(done: int, total: int, finished: int, count: int) -> None:
        if done > 0:
            cancel.set()

    cache = AnalysisCache(tmp_path / "cache")
    with pytest.raises(Cancelled):
        analyse_sources(
            paths, workers=workers, block_frames=4096, progress=progress, cancel=cancel, cache=cache
        )
    if workers == 1:  # the first track was cancelled midway: nothing half-done is cached
        assert not list((tmp_path / "cache").glob("*.json"))


def test_a_file_replaced_during_analysis_is_not_cached_under_its_new_identity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sequencer.batch as batch_module

    paths = make_tracks(tmp_path, count=1)
    cache = AnalysisCache(tmp_path / "cache")
    real = batch_module.analyse_file

    def analyse_then_replace(path: Path, **kwargs: Any) -> Any:
        result = real(path, **kwargs)
        sf.write(str(paths[0]), np.zeros((RATE, 2)) + 0.01, RATE, subtype="PCM_24")
        return result

    monkeypatch.setattr(batch_module, "analyse_file", analyse_then_replace)
    stale = analyse_sources(paths, cache=cache, workers=1)[0]
    assert cache.get(paths[0]) is None  # the stored fingerprint is the old file's
    assert stale.duration_samples == 4 * RATE


def test_start_process_server_is_idempotent_and_analysis_still_works(tmp_path: Path) -> None:
    from sequencer.batch import start_process_server

    start_process_server()
    start_process_server()  # a second call is harmless
    paths = make_tracks(tmp_path, count=2, seconds=1.0)
    assert analyse_sources(paths, workers=2) == [analyse_file(p) for p in paths]
