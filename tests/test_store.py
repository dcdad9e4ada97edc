"""Loading and saving session files: round trips, relative paths, atomic saves, errors."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from sequencer import store
from sequencer.errors import SessionError
from sequencer.session import Session, new_session
from sequencer.store import dump_session_json, load_session, save_session


@pytest.fixture
def album_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "album"
    (folder / "audio").mkdir(parents=True)
    return folder


@pytest.fixture
def session(album_dir: Path) -> Session:
    paths = [album_dir / "audio" / name for name in ("01_Intro.wav", "02_Café.wav", "03 Outro.wav")]
    return new_session(paths, title="Nuit blanche", artist="Les Runouts")


def listing(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


# --------------------------------------------------------------------------- round trips


def test_save_then_load_gives_an_equal_session(session: Session, album_dir: Path) -> None:
    path = album_dir / "album.json"
    save_session(session, path)
    assert load_session(path) == session


def test_paths_are_relative_in_the_file_and_absolute_after_load(
    session: Session, album_dir: Path
) -> None:
    path = album_dir / "album.json"
    save_session(session, path)
    stored = json.loads(path.read_text(encoding="utf-8"))
    assert [t["path"] for t in stored["tracks"]] == [
        "audio/01_Intro.wav",
        "audio/02_Café.wav",
        "audio/03 Outro.wav",
    ]
    loaded = load_session(path)
    assert all(t.path.is_absolute() for t in loaded.tracks)
    assert loaded.tracks[1].path == album_dir / "audio" / "02_Café.wav"


def test_paths_outside_the_folder_use_dot_dot(tmp_path: Path, album_dir: Path) -> None:
    session = new_session([tmp_path / "shared" / "x.wav"], title="T")
    path = album_dir / "album.json"
    save_session(session, path)
    assert json.loads(path.read_text(encoding="utf-8"))["tracks"][0]["path"] == "../shared/x.wav"
    assert load_session(path).tracks[0].path == tmp_path / "shared" / "x.wav"


def test_moving_the_session_folder_keeps_working(
    session: Session, album_dir: Path, tmp_path: Path
) -> None:
    save_session(session, album_dir / "album.json")
    moved = tmp_path / "elsewhere" / "renamed"
    moved.parent.mkdir()
    shutil.move(album_dir, moved)
    loaded = load_session(moved / "album.json")
    assert [t.path for t in loaded.tracks] == [
        moved / "audio" / "01_Intro.wav",
        moved / "audio" / "02_Café.wav",
        moved / "audio" / "03 Outro.wav",
    ]


def test_absolute_paths_in_the_file_are_kept(session: Session, album_dir: Path) -> None:
    data = json.loads(dump_session_json(session, album_dir))
    data["tracks"][0]["path"] = "/srv/masters/intro.wav"
    path = album_dir / "album.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert load_session(path).tracks[0].path == Path("/srv/masters/intro.wav")


def test_loading_with_a_relative_session_path(
    session: Session, album_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_session(session, album_dir / "album.json")
    monkeypatch.chdir(album_dir.parent)
    loaded = load_session(Path("album/album.json"))
    assert loaded.tracks[0].path == album_dir / "audio" / "01_Intro.wav"


def test_file_format(session: Session, album_dir: Path) -> None:
    path = album_dir / "album.json"
    save_session(session, path)
    raw = path.read_bytes()
    text = raw.decode("utf-8")
    assert text == dump_session_json(session, album_dir)
    assert text.endswith("}\n")
    assert not text.endswith("\n\n")
    assert "Café" in text  # non-ASCII kept readable
    assert "\\u" not in text
    assert text.startswith('{\n  "schema_version": 1,\n  "album": {\n    "title": "Nuit blanche"')
    assert list(json.loads(text)) == list(Session.model_fields)
    assert list(json.loads(text)["tracks"][0]) == [
        "id",
        "path",
        "title",
        "artist",
        "isrc",
        "trim_in_s",
        "trim_out_s",
        "fade_in",
        "fade_out",
        "offset_lu",
        "pause_before_s",
    ]


def test_saving_twice_gives_identical_bytes(session: Session, album_dir: Path) -> None:
    path = album_dir / "album.json"
    save_session(session, path)
    first = path.read_bytes()
    save_session(load_session(path), path)
    assert path.read_bytes() == first


def test_a_utf8_bom_is_accepted(session: Session, album_dir: Path) -> None:
    path = album_dir / "album.json"
    path.write_bytes(b"\xef\xbb\xbf" + dump_session_json(session, album_dir).encode("utf-8"))
    assert load_session(path) == session


# --------------------------------------------------------------------------- backups and failures


def test_first_save_makes_no_backup(session: Session, album_dir: Path) -> None:
    save_session(session, album_dir / "album.json")
    assert listing(album_dir) == ["album.json", "audio"]


def test_backup_keeps_the_previous_version(session: Session, album_dir: Path) -> None:
    path = album_dir / "album.json"
    save_session(session, path)
    first = path.read_bytes()
    second_session = session.model_copy(update={"default_pause_s": 3.0})
    save_session(second_session, path)
    backup = album_dir / "album.json.bak"
    assert backup.read_bytes() == first
    second = path.read_bytes()
    save_session(session.model_copy(update={"default_pause_s": 4.0}), path)
    assert backup.read_bytes() == second
    assert load_session(path).default_pause_s == 4.0
    assert listing(album_dir) == ["album.json", "album.json.bak", "audio"]


def test_failed_replace_leaves_the_previous_file_intact(
    session: Session, album_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = album_dir / "album.json"
    save_session(session, path)
    before = path.read_bytes()
    real_replace = os.replace

    def failing_replace(src: os.PathLike[str], dst: os.PathLike[str]) -> None:
        if Path(dst) == path:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(store.os, "replace", failing_replace)
    with pytest.raises(SessionError) as info:
        save_session(session.model_copy(update={"default_pause_s": 9.0}), path)
    assert str(path) in str(info.value)
    assert "No space left on device" in str(info.value)
    assert path.read_bytes() == before
    assert listing(album_dir) == ["album.json", "album.json.bak", "audio"]


def test_failed_write_leaves_the_previous_file_and_backup_intact(
    session: Session, album_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = album_dir / "album.json"
    save_session(session, path)
    save_session(session.model_copy(update={"default_pause_s": 3.0}), path)
    before = path.read_bytes()
    backup_before = (album_dir / "album.json.bak").read_bytes()

    def failing_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(store.os, "fsync", failing_fsync)
    with pytest.raises(SessionError, match="Input/output error"):
        save_session(session.model_copy(update={"default_pause_s": 9.0}), path)
    assert path.read_bytes() == before
    assert (album_dir / "album.json.bak").read_bytes() == backup_before
    assert listing(album_dir) == ["album.json", "album.json.bak", "audio"]


def test_failed_first_save_leaves_nothing(
    session: Session, album_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_replace(src: os.PathLike[str], dst: os.PathLike[str]) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(store.os, "replace", failing_replace)
    path = album_dir / "album.json"
    with pytest.raises(SessionError, match="disk on fire") as info:
        save_session(session, path)
    assert str(path) in str(info.value)
    assert listing(album_dir) == ["audio"]


def test_saving_into_a_missing_folder(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "missing" / "album.json"
    with pytest.raises(SessionError, match=r"Cannot save the session to .*missing"):
        save_session(session, path)


# --------------------------------------------------------------------------- load errors


def load_error(path: Path) -> str:
    """Load *path*, expecting a SessionError; check the file is unchanged; return the message."""
    before = path.read_bytes() if path.is_file() else None
    before_listing = listing(path.parent)
    with pytest.raises(SessionError) as info:
        load_session(path)
    if before is not None:
        assert path.read_bytes() == before
    assert listing(path.parent) == before_listing
    message = str(info.value)
    assert str(path) in message
    return message


def test_missing_file(tmp_path: Path) -> None:
    assert "does not exist" in load_error(tmp_path / "nope.json")


def test_folder_instead_of_file(tmp_path: Path) -> None:
    (tmp_path / "dir.json").mkdir()
    assert "is a folder" in load_error(tmp_path / "dir.json")


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes('{"schema_version": 1, "album": {"title": "Café"}}'.encode("latin-1"))
    message = load_error(path)
    assert "is not UTF-8" in message
    assert "0xe9" in message


def test_invalid_json_gives_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{\n  "schema_version": 1,\n  "album": {"title": "X",}\n}\n', encoding="utf-8")
    message = load_error(path)
    assert "is not valid JSON" in message
    assert "line 3, column 26" in message


@pytest.mark.parametrize("cut", [0.3, 0.5, 0.9])
def test_truncated_file(session: Session, album_dir: Path, cut: float) -> None:
    text = dump_session_json(session, album_dir)
    path = album_dir / "album.json"
    path.write_text(text[: int(len(text) * cut)], encoding="utf-8")
    assert "looks truncated" in load_error(path)


def test_cut_inside_a_string_is_truncated(album_dir: Path) -> None:
    path = album_dir / "album.json"
    path.write_text('{"schema_version": 1, "album": {"title": "Nuit bl', encoding="utf-8")
    assert "looks truncated" in load_error(path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.json"
    path.write_text("\n", encoding="utf-8")
    assert "is empty" in load_error(path)


def test_not_an_object(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_text("[1, 2]\n", encoding="utf-8")
    assert "expected a JSON object, found a list" in load_error(path)


def test_missing_schema_version(session: Session, album_dir: Path) -> None:
    data = json.loads(dump_session_json(session, album_dir))
    del data["schema_version"]
    path = album_dir / "album.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert "has no schema_version" in load_error(path)


@pytest.mark.parametrize("version", ["1", 1.0, True, None])
def test_non_integer_schema_version(session: Session, album_dir: Path, version: object) -> None:
    data = json.loads(dump_session_json(session, album_dir))
    data["schema_version"] = version
    path = album_dir / "album.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert "schema_version must be a whole number" in load_error(path)


def test_newer_schema_version(session: Session, album_dir: Path) -> None:
    data = json.loads(dump_session_json(session, album_dir))
    data["schema_version"] = 3
    path = album_dir / "album.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    message = load_error(path)
    assert message == (
        f"Session file {path} was written by a newer runout (schema 3); this runout reads up "
        "to schema 1: upgrade runout"
    )


def test_validation_errors_name_the_file_and_the_track(session: Session, album_dir: Path) -> None:
    data = json.loads(dump_session_json(session, album_dir))
    data["tracks"][1]["isrc"] = "GB12"
    data["tracks"][2]["pause_before_s"] = -2
    path = album_dir / "album.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    lines = load_error(path).splitlines()
    assert lines[0] == f"Session file {path} is not valid:"
    assert lines[1].startswith(
        '  tracks[1] (id "02-cafe", "02 Café"): isrc "GB12" is not a valid ISRC'
    )
    assert lines[2] == (
        '  tracks[2] (id "03-outro", "03 Outro"): pause_before_s must be at least 0.0 (got -2)'
    )


def test_session_rules_are_checked_on_load(session: Session, album_dir: Path) -> None:
    data = json.loads(dump_session_json(session, album_dir))
    data["crossfades"] = [{"from_track": "01-intro", "to_track": "03-outro", "seconds": 2}]
    path = album_dir / "album.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert "are not neighbours in the running order" in load_error(path)
