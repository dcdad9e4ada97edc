"""Loading and saving sessions as JSON files.

On disk, track paths are relative to the folder of the session file (POSIX
separators), so an album folder can be moved or shared as a whole; in memory
they are absolute. Saving is atomic: the new text goes to a temporary file in the
same folder, the previous version is kept as ``NAME.json.bak``, and the temporary
file replaces the session file in one step. Loading never writes anything.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import secrets
import stat
import threading
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import ValidationError

from sequencer.errors import SessionError
from sequencer.session import SCHEMA_VERSION, Session, format_validation_error

__all__ = [
    "BACKUP_SUFFIX",
    "dump_session_json",
    "load_session",
    "loaded_fingerprint",
    "save_session",
    "tracks_outside_folder",
]

log = logging.getLogger(__name__)

BACKUP_SUFFIX = ".bak"
"""Appended to the session file name for the previous version (``album.json.bak``)."""


# --------------------------------------------------------------------------- fingerprints

#: Content hash of each session file as this process last loaded or saved it, by
#: absolute path: a save refuses to replace a file another process changed since.
_known: dict[str, str] = {}
_known_lock = threading.Lock()


def _key(path: Path) -> str:
    """Return the registry key of a session file (its absolute, resolved path)."""
    return str(Path(path).resolve())


def _content_fingerprint(data: bytes) -> str:
    """Return the fingerprint of a session file's content (SHA-256, hex)."""
    return hashlib.sha256(data).hexdigest()


def _remember(path: Path, data: bytes) -> None:
    """Record *data* as what this process last read from or wrote to *path*."""
    with _known_lock:
        _known[_key(path)] = _content_fingerprint(data)


def loaded_fingerprint(path: Path) -> str | None:
    """Return the fingerprint of *path* as this process last loaded or saved it.

    Parameters
    ----------
    path : Path
        A session file.

    Returns
    -------
    str or None
        SHA-256 of the file's bytes at the last :func:`load_session` or
        :func:`save_session` of it in this process; ``None`` when neither happened.
    """
    with _known_lock:
        return _known.get(_key(path))


# --------------------------------------------------------------------------- paths


def _relative_path(path: Path, base_dir: Path) -> str:
    """Return *path* relative to *base_dir* with POSIX separators, or absolute if impossible."""
    absolute = path if path.is_absolute() else path.absolute()
    try:
        relative = os.path.relpath(absolute, base_dir)
    except ValueError:  # another drive on Windows
        return absolute.as_posix()
    return Path(relative).as_posix()


def _resolve_path(text: str, base_dir: Path) -> str:
    """Return a stored track path made absolute against *base_dir* (absolute kept as is)."""
    path = Path(text)
    if path.is_absolute():
        return str(path)
    return os.path.normpath(base_dir / PurePosixPath(text))


def tracks_outside_folder(session: Session, session_path: Path) -> list[tuple[str, Path]]:
    """Return the tracks whose source lies outside the session file's folder.

    Such paths are allowed (written with ``..`` or absolute) but worth showing:
    moving the album folder alone breaks them.

    Parameters
    ----------
    session : Session
        The session (absolute track paths, as loaded).
    session_path : Path
        The session file.

    Returns
    -------
    list of (str, Path)
        Track id and absolute source path, in the session's track order.
    """
    folder = Path(os.path.normpath(Path(session_path).absolute().parent))
    outside = []
    for track in session.tracks:
        source = Path(os.path.normpath(track.path.absolute()))
        if not source.is_relative_to(folder):
            outside.append((track.id, source))
    return outside


# --------------------------------------------------------------------------- dumping


def dump_session_json(session: Session, base_dir: Path) -> str:
    """Return the JSON text :func:`save_session` writes for a file in *base_dir*.

    Parameters
    ----------
    session : Session
        The session to write.
    base_dir : Path
        Folder of the session file; track paths are written relative to it.

    Returns
    -------
    str
        Indented JSON in model field order, non-ASCII kept readable, with a
        trailing newline.
    """
    base = base_dir.absolute()
    data = session.model_dump(mode="json")
    for item, track in zip(data["tracks"], session.tracks, strict=True):
        item["path"] = _relative_path(track.path, base)
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


# --------------------------------------------------------------------------- loading


def _parse_json(text: str, path: Path) -> Any:
    """Parse *text*, turning JSON errors into a SessionError that names *path*."""
    if not text.strip():
        raise SessionError(f"Session file {path} is empty")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        at_end = error.pos >= len(text.rstrip())
        if at_end or error.msg.startswith("Unterminated string"):
            raise SessionError(
                f"Session file {path} looks truncated: the JSON stops early "
                f"(line {error.lineno}, column {error.colno}: {error.msg}). "
                f"A previous version may be in {path.name}{BACKUP_SUFFIX}"
            ) from None
        raise SessionError(
            f"Session file {path} is not valid JSON: {error.msg} at line {error.lineno}, "
            f"column {error.colno}"
        ) from None


def _check_schema_version(data: Mapping[str, Any], path: Path) -> None:
    """Refuse data without a usable ``schema_version`` or from a newer runout."""
    if "schema_version" not in data:
        raise SessionError(
            f"Session file {path} has no schema_version: it is not a runout session "
            "(or it was damaged)"
        )
    version = data["schema_version"]
    if isinstance(version, bool) or not isinstance(version, int):
        raise SessionError(
            f"Session file {path}: schema_version must be a whole number, not {version!r}"
        )
    if version > SCHEMA_VERSION:
        raise SessionError(
            f"Session file {path} was written by a newer runout (schema {version}); this runout "
            f"reads up to schema {SCHEMA_VERSION}: upgrade runout"
        )
    if version < 1:
        raise SessionError(f"Session file {path}: schema_version {version} is not valid")


def _with_absolute_paths(data: dict[str, Any], base_dir: Path) -> dict[str, Any]:
    """Return a copy of *data* whose string track paths are resolved against *base_dir*."""
    tracks = data.get("tracks")
    if not isinstance(tracks, list):
        return data
    resolved = []
    for item in tracks:
        if isinstance(item, dict) and isinstance(item.get("path"), str) and item["path"]:
            item = {**item, "path": _resolve_path(item["path"], base_dir)}
        resolved.append(item)
    return {**data, "tracks": resolved}


def load_session(path: Path) -> Session:
    """Read a session file.

    Parameters
    ----------
    path : Path
        The session JSON file. Relative track paths in it are resolved against
        its folder.

    Returns
    -------
    Session
        The validated session, with absolute track paths.

    Raises
    ------
    SessionError
        Naming the file, when it is missing or unreadable, not UTF-8, not valid
        JSON (with line and column), truncated, not a JSON object, has a missing,
        non-integer or newer ``schema_version``, or breaks a session rule (one
        line per problem).
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SessionError(f"Session file {path} does not exist") from None
    except IsADirectoryError:
        raise SessionError(f"Session file {path} is a folder, not a file") from None
    except OSError as error:
        raise SessionError(f"Cannot read session file {path}: {error.strerror or error}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SessionError(
            f"Session file {path} is not UTF-8 text (byte 0x{raw[error.start]:02x} at offset "
            f"{error.start}); save it as UTF-8"
        ) from None
    data = _parse_json(text, path)
    if not isinstance(data, dict):
        found = "a list" if isinstance(data, list) else f"a {type(data).__name__}"
        raise SessionError(
            f"Session file {path} does not hold a session: expected a JSON object, found {found}"
        )
    _check_schema_version(data, path)
    resolved = _with_absolute_paths(data, path.absolute().parent)
    try:
        session = Session.model_validate(resolved)
    except ValidationError as error:
        raise SessionError(
            f"Session file {path} is not valid:\n" + _indent(format_validation_error(error, data))
        ) from None
    _remember(path, raw)
    log.debug("loaded session %s (%d tracks)", path, len(session.tracks))
    return session


def _indent(text: str) -> str:
    """Indent every line of *text* by two spaces."""
    return "\n".join(f"  {line}" for line in text.splitlines())


# --------------------------------------------------------------------------- saving


def _fsync_folder(folder: Path) -> None:
    """Flush a folder's entries to disk where the platform allows it (not on Windows)."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
    try:
        fd = os.open(folder, flags)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_new_file(path: Path, data: bytes, mode: int) -> None:
    """Create *path* (which must not exist), write *data*, flush and fsync it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    if mode:
        os.chmod(path, mode)


def _temp_name(path: Path, kind: str) -> Path:
    """Return an unused hidden temporary name next to *path*."""
    return path.with_name(f".{path.name}.{kind}-{secrets.token_hex(4)}.tmp")


def save_session(session: Session, path: Path, *, overwrite_changes: bool = False) -> None:
    """Write a session file atomically, keeping the previous version as ``NAME.json.bak``.

    When this process loaded or saved *path* before and the file changed on disk
    since (another runout, or an editor, saved it), the save is refused so their
    decisions are not silently lost.

    Parameters
    ----------
    session : Session
        The session to write.
    path : Path
        The session JSON file; its folder must exist. Track paths are written
        relative to that folder.
    overwrite_changes : bool, optional
        Save even when the file changed on disk since it was loaded ("save
        anyway"); the replaced version is kept as ``NAME.json.bak``.

    Raises
    ------
    SessionError
        When the file changed on disk since it was loaded (unless
        *overwrite_changes*), or naming the file and the operating system's
        error. The file on disk is then unchanged and no temporary file is left
        behind.
    """
    path = Path(path)
    folder = path.absolute().parent
    data = dump_session_json(session, folder).encode("utf-8")
    backup = path.with_name(path.name + BACKUP_SUFFIX)
    temp = _temp_name(path, "new")
    temp_backup = _temp_name(path, "bak")
    try:
        try:
            previous: bytes | None = path.read_bytes()
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            previous, mode = None, 0
        known = loaded_fingerprint(path)
        if (
            not overwrite_changes
            and known is not None
            and previous is not None
            and _content_fingerprint(previous) != known
        ):
            raise SessionError(
                f"Cannot save the session to {path}: the file changed on disk since it was "
                "loaded (another runout or an editor saved it); your changes are not saved. "
                "Load it again, or save anyway to overwrite the other changes"
            )
        _write_new_file(temp, data, mode)
        if previous is not None:
            _write_new_file(temp_backup, previous, mode)
            os.replace(temp_backup, backup)
        os.replace(temp, path)
    except OSError as error:
        for leftover in (temp, temp_backup):
            with contextlib.suppress(OSError):
                leftover.unlink(missing_ok=True)
        reason = error.strerror or str(error) or type(error).__name__
        raise SessionError(f"Cannot save the session to {path}: {reason}") from None
    _remember(path, data)
    _fsync_folder(folder)
    log.debug("saved session %s (%d bytes)", path, len(data))
