"""On-disk cache of track analyses, one small JSON file per source.

An entry is keyed by the source's absolute path and checked against the file's
size, modification time and the analysis version: a changed file or a newer
meter means the source is analysed again. Entries are written atomically, so a
killed run never leaves a half-written entry that could be read back.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path

from pydantic import ValidationError

from sequencer.analysis import ANALYSIS_VERSION, TrackAnalysis

logger = logging.getLogger(__name__)

#: Environment variable that moves the cache (tests point it at a temp folder).
CACHE_ENV = "RUNOUT_CACHE_DIR"


def default_cache_dir() -> Path:
    """``$RUNOUT_CACHE_DIR``, else ``$XDG_CACHE_HOME/runout``, else ``~/.cache/runout``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "runout"


def _fingerprint(path: Path) -> dict[str, object]:
    """Return what identifies the content of ``path`` cheaply: size and modification time."""
    status = path.stat()
    return {"size": status.st_size, "mtime_ns": status.st_mtime_ns, "version": ANALYSIS_VERSION}


class AnalysisCache:
    """Analyses stored per source file under ``directory``.

    Parameters
    ----------
    directory
        Where entries live; created on the first write. ``None`` uses
        :func:`default_cache_dir`.
    """

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = Path(directory) if directory is not None else default_cache_dir()

    def _entry(self, path: Path) -> Path:
        """Return the entry file for a source."""
        key = hashlib.sha256(str(Path(path).resolve()).encode("utf-8")).hexdigest()[:32]
        return self.directory / f"{key}.json"

    def get(self, path: Path) -> TrackAnalysis | None:
        """Return the cached analysis of ``path``, or ``None`` when missing or stale.

        Parameters
        ----------
        path
            The source file.

        Returns
        -------
        TrackAnalysis or None
            ``None`` when there is no entry, the file changed since (logged as a
            warning, so the user is told), the meters changed, or the entry is
            unreadable.
        """
        entry = self._entry(path)
        try:
            stored = json.loads(entry.read_text(encoding="utf-8"))
            now = _fingerprint(Path(path))
            before = stored.get("fingerprint")
            if before != now:
                if isinstance(before, dict) and before.get("version") != now["version"]:
                    logger.info("%s: the meters changed; analysing it again", path)
                else:
                    logger.warning("%s changed since it was analysed; analysing it again", path)
                return None
            return TrackAnalysis.model_validate(stored["analysis"])
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, ValidationError) as error:
            logger.warning("ignoring unreadable cache entry %s: %s", entry, error)
            return None

    def fingerprint(self, path: Path) -> dict[str, object]:
        """Return what identifies the file's content now (take it before analysing)."""
        return _fingerprint(Path(path))

    def put(
        self, path: Path, analysis: TrackAnalysis, fingerprint: dict[str, object] | None = None
    ) -> None:
        """Store ``analysis`` for ``path`` (atomically; failures only log a warning).

        ``fingerprint`` should be taken before the analysis started: when the file
        changed meanwhile, the stored fingerprint no longer matches and the stale
        result is never served.
        """
        entry = self._entry(path)
        payload = {
            "fingerprint": fingerprint if fingerprint is not None else _fingerprint(Path(path)),
            "analysis": analysis.model_dump(mode="json"),
        }
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(
                dir=self.directory, prefix=".entry-", suffix=".tmp"
            )
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as stream:
                    json.dump(payload, stream)
                os.replace(temporary, entry)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as error:
            logger.warning("could not write the analysis cache %s: %s", entry, error)
