"""Bad input, each case synthesized under tmp_path: a clear error naming the file or field.

Session files go through :func:`sequencer.store.load_session` and ``runout check``;
audio through :func:`sequencer.audio.probe`, :func:`sequencer.audio.read_blocks`,
:func:`sequencer.analysis.analyse_file` and ``runout analyze``. In every refused
case the CLI exits non-zero with one line naming the file or field, and nothing on
disk changes. Accepted-but-unusual audio (8 kHz..384 kHz, 8-bit..64-bit float,
very short tracks, mixed rates) is measured, and the CD check says what is wrong.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from sequencer.analysis import analyse_file
from sequencer.audio import probe, read_blocks
from sequencer.errors import AudioError, SessionError
from sequencer.findings import check_session
from sequencer.session import new_session
from sequencer.store import load_session, save_session
from tests.signals import sine
from tui.cli import main

RATE = 44100


def tone(seconds: float, rate: int = RATE, channels: int = 2) -> np.ndarray:
    return sine(440.0, -12.0, seconds, rate, channels=channels)


def snapshot(folder: Path) -> dict[str, str]:
    """Return the hash of every file under *folder* (outside the analysis cache)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "cache" not in p.relative_to(folder).parts
    }


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNOUT_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def album(tmp_path: Path) -> Path:
    """Write a good two-track session and return its path."""
    for name, seconds in (("a.wav", 5.0), ("b.wav", 6.0)):
        sf.write(tmp_path / name, tone(seconds), RATE)
    session = new_session([tmp_path / "a.wav", tmp_path / "b.wav"], title="T")
    path = tmp_path / "good.json"
    save_session(session, path)
    return path


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    status = main([*args, "--workers", "1"])
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    return status, lines


# --------------------------------------------------------------------------- session files


def _edit(change: Callable[[dict[str, Any]], None]) -> Callable[[bytes], bytes]:
    def apply(text: bytes) -> bytes:
        data = json.loads(text)
        change(data)
        return json.dumps(data).encode()

    return apply


SESSION_CASES: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "invalid-json": (lambda _: b'{"schema_version": 1, album: }', "not valid JSON"),
    "truncated": (lambda text: text[: len(text) // 2], "truncated"),
    "wrong-type": (_edit(lambda d: d.update(default_pause_s="two")), "default_pause_s"),
    "unknown-field": (_edit(lambda d: d.update(colour="red")), "colour"),
    "newer-schema": (_edit(lambda d: d.update(schema_version=99)), "newer runout"),
    "duplicate-id": (_edit(lambda d: d["tracks"].append(dict(d["tracks"][0]))), "unique"),
    "missing-track": (_edit(lambda d: d["order"].append("ghost")), '"ghost"'),
    "negative-gap": (_edit(lambda d: d.update(default_pause_s=-1)), "default_pause_s"),
    "nan-gap": (
        lambda text: text.replace(b'"default_pause_s": 2.0', b'"default_pause_s": NaN'),
        "default_pause_s must be a finite number",
    ),
    "crossfade-10h": (
        _edit(
            lambda d: d.update(crossfades=[{"from_track": "a", "to_track": "b", "seconds": 36000}])
        ),
        "seconds must be at most",
    ),
    "target-plus-20": (
        _edit(lambda d: d["loudness"].update(target_lufs=20)),
        "target_lufs must be at most",
    ),
    "non-utf8-title": (lambda text: text.replace(b'"T"', b'"Caf\xe9"'), "not UTF-8"),
}


@pytest.mark.parametrize("case", sorted(SESSION_CASES))
def test_a_bad_session_file_is_refused_with_one_clear_line(
    case: str, album: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corrupt, expected = SESSION_CASES[case]
    path = album.with_name(f"{case}.json")
    path.write_bytes(corrupt(album.read_bytes()))
    before = snapshot(album.parent)

    with pytest.raises(SessionError, match=expected) as caught:
        load_session(path)
    assert str(path) in str(caught.value).splitlines()[0]

    for command in ("check", "analyze"):
        status, lines = run_cli(capsys, command, str(path))
        assert status == 1
        assert lines[0].startswith("runout: error: ")
        assert str(path) in lines[0]
        assert not any("Traceback" in line for line in lines)
    assert snapshot(album.parent) == before


def test_a_path_that_escapes_the_session_folder_is_allowed_and_shown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = tmp_path / "sources"
    outside.mkdir()
    sf.write(outside / "a.wav", tone(5.0), RATE)
    folder = tmp_path / "sessions"
    folder.mkdir()
    path = folder / "album.json"
    save_session(new_session([outside / "a.wav"], title="T"), path)
    assert json.loads(path.read_text())["tracks"][0]["path"] == "../sources/a.wav"
    assert load_session(path).tracks[0].path == outside / "a.wav"

    status, lines = run_cli(capsys, "check", str(path))
    assert status == 0
    assert lines == [
        f'note: track "a" reads {outside / "a.wav"}, outside the session folder {folder}'
    ]


# --------------------------------------------------------------------------- unreadable audio


def _write_truncated(path: Path) -> None:
    whole = path.with_suffix(".full.wav")
    sf.write(whole, tone(5.0), RATE)
    data = whole.read_bytes()
    whole.unlink()
    path.write_bytes(data[: len(data) // 3])  # the header still says 5 s


def _write_non_finite(value: float) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        samples = tone(5.0)
        samples[RATE + 10 : RATE + 20, 1] = value  # at 1.0002 s, right channel
        sf.write(path, samples, RATE, subtype="FLOAT")

    return write


AUDIO_CASES: dict[str, tuple[Callable[[Path], object], str]] = {
    "missing": (lambda path: None, "no such file"),
    "zero-length": (lambda path: path.write_bytes(b""), "empty"),
    "corrupt-header": (
        lambda path: path.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt " + bytes(range(200))),
        "not an audio file",
    ),
    "text-with-wav-extension": (
        lambda path: path.write_text("not audio at all\n" * 100),
        "not an audio file",
    ),
    "six-channels": (lambda path: sf.write(path, tone(5.0, channels=6), RATE), "6 channels"),
    "truncated-data": (_write_truncated, "truncated"),
    "nan-samples": (_write_non_finite(float("nan")), "NaN"),
    "infinite-samples": (_write_non_finite(float("inf")), "infinite"),
}


#: Faults in the samples themselves, found while reading (the header is fine).
DATA_FAULTS = {"nan-samples", "infinite-samples"}


@pytest.mark.parametrize("case", sorted(AUDIO_CASES))
def test_unusable_audio_is_refused_naming_the_file(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write, expected = AUDIO_CASES[case]
    path = tmp_path / f"{case}.wav"
    write(path)
    sf.write(tmp_path / "good.wav", tone(5.0), RATE)

    readers: list[Callable[[Path], object]] = [lambda p: list(read_blocks(p)), analyse_file]
    if case not in DATA_FAULTS:  # probe reads the header only
        readers.append(probe)
    for read in readers:
        with pytest.raises(AudioError, match=expected) as caught:
            read(path)
        assert str(caught.value).startswith(str(path))
        assert "\n" not in str(caught.value)

    session_path = tmp_path / "album.json"
    save_session(new_session([path, tmp_path / "good.wav"], title="T"), session_path)
    before = snapshot(tmp_path)
    for command in ("analyze", "check"):
        status, lines = run_cli(capsys, command, str(session_path), "--no-cache")
        assert status == 1
        assert len(lines) == 1
        assert lines[0].startswith(f"runout: error: {path}")
    assert snapshot(tmp_path) == before


def test_non_finite_samples_say_where(tmp_path: Path) -> None:
    path = tmp_path / "nan.wav"
    _write_non_finite(float("nan"))(path)
    with pytest.raises(AudioError, match=r"at 1\.000 s"):
        probe_and_read(path)


def probe_and_read(path: Path) -> None:
    for _ in read_blocks(path, block_frames=4096):
        pass


@pytest.fixture
def world_readable_dir() -> Iterator[Path]:
    """Make a folder another user can enter (tmp_path's parents are private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="runout-perm-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_permission_denied_says_so(world_readable_dir: Path) -> None:
    path = world_readable_dir / "locked.wav"
    sf.write(path, tone(1.0), RATE)
    path.chmod(0o000)
    # root reads any file: check as an ordinary user (nobody) when run as root.
    as_root = os.geteuid() == 0
    if as_root:
        os.seteuid(65534)
    try:
        with pytest.raises(AudioError) as caught:
            probe(path)
    finally:
        if as_root:
            os.seteuid(0)
    assert str(caught.value) == f"{path}: permission denied; make the file readable"


# ------------------------------------------------------------------ unusual but valid audio


@pytest.mark.parametrize("rate", [8000, 22050, 44100, 48000, 96000, 192000, 384000])
def test_every_sample_rate_from_8k_to_384k_is_measured(rate: int, tmp_path: Path) -> None:
    path = tmp_path / f"r{rate}.wav"
    sf.write(path, tone(2.0, rate=rate), rate)
    analysis = analyse_file(path)
    assert analysis.sample_rate == rate
    assert analysis.duration_samples == 2 * rate
    # A -12 dBFS-peak sine (-15 dB mean square) in both channels (+3 dB), -0.691 dB offset
    # (BS.1770-4 eq. 2), K-weighting about 0 dB at 440 Hz: -12.7 LUFS.
    assert analysis.integrated_lufs == pytest.approx(-12.7, abs=0.25)


@pytest.mark.parametrize(
    ("subtype", "tolerance_db"),
    [("PCM_U8", 0.3), ("PCM_16", 0.01), ("PCM_24", 0.01), ("PCM_32", 0.01), ("FLOAT", 0.01),
     ("DOUBLE", 0.01)],
)  # fmt: skip
def test_every_bit_depth_from_8_bit_to_float_is_measured(
    subtype: str, tolerance_db: float, tmp_path: Path
) -> None:
    path = tmp_path / f"{subtype}.wav"
    sf.write(path, tone(2.0), RATE, subtype=subtype)
    analysis = analyse_file(path)
    assert analysis.subtype == subtype
    assert analysis.sample_peak_dbfs == pytest.approx(-12.0, abs=tolerance_db)


def test_a_track_under_400_ms_has_no_loudness_and_fails_the_cd_check(tmp_path: Path) -> None:
    path = tmp_path / "blip.wav"
    sf.write(path, tone(0.3), RATE)
    analysis = analyse_file(path)
    assert analysis.integrated_lufs is None
    assert "no measurable loudness" in analysis.warnings()
    session = new_session([path], title="T")
    findings = check_session(session, analyses={"blip": analysis}, cd=True)
    short = [f for f in findings if f.code == "CD-TRACK-TOO-SHORT"]
    assert len(short) == 1
    assert re.search(r"lasts 0\.3\d s", short[0].message), short[0].message


def test_a_track_under_4_s_fails_only_the_cd_check(tmp_path: Path) -> None:
    path = tmp_path / "short.wav"
    sf.write(path, tone(2.0), RATE)
    analysis = analyse_file(path)
    assert analysis.integrated_lufs is not None
    session = new_session([path], title="T")
    assert not [
        f for f in check_session(session, analyses={"short": analysis}) if f.severity == "error"
    ]
    codes = [f.code for f in check_session(session, analyses={"short": analysis}, cd=True)]
    assert "CD-TRACK-TOO-SHORT" in codes


def test_mixed_sample_rates_are_measured_and_reported(tmp_path: Path) -> None:
    sf.write(tmp_path / "a.wav", tone(5.0, rate=44100), 44100)
    sf.write(tmp_path / "b.wav", tone(5.0, rate=96000), 96000)
    session = new_session([tmp_path / "a.wav", tmp_path / "b.wav"], title="T")
    analyses = {"a": analyse_file(tmp_path / "a.wav"), "b": analyse_file(tmp_path / "b.wav")}
    assert analyses["a"].integrated_lufs == pytest.approx(analyses["b"].integrated_lufs, abs=0.05)
    findings = check_session(session, analyses=analyses, cd=True)
    rate_findings = [f for f in findings if f.track_id == "b" and "96000" in f.message]
    assert rate_findings, [f.code for f in findings]
