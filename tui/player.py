"""Audio players for the audition: find one on this machine, play a file with it.

The seam itself is placed and rendered by :mod:`sequencer.audition`; playing it
is the interface's business, shared by ``runout audition --play`` and the app.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sequencer.errors import RunoutError

if TYPE_CHECKING:
    from sequencer.render import CancelEvent

__all__ = ["NO_PLAYER", "PLAYERS", "PLAYER_ENV", "find_player", "play"]

#: Environment variable naming the player command (the file's path is appended).
PLAYER_ENV = "RUNOUT_PLAYER"

#: Players tried in order, with the arguments that make them play a file and exit.
PLAYERS: tuple[tuple[str, ...], ...] = (
    ("afplay",),
    ("paplay",),
    ("aplay", "-q"),
    ("ffplay", "-nodisp", "-autoexit", "-loglevel", "error"),
)

#: What to tell the user when no player exists.
NO_PLAYER = (
    "No audio player found: install afplay, paplay, aplay or ffplay, or set "
    f"{PLAYER_ENV} to a command that plays a WAV file."
)


def find_player(command: Sequence[str] | str | None = None) -> list[str] | None:
    """Return the player command to use, or None when the machine has none.

    Parameters
    ----------
    command : sequence of str or str, optional
        An explicit command (a string is split like a shell would); otherwise
        ``$RUNOUT_PLAYER``, otherwise the first of :data:`PLAYERS` on the ``PATH``.

    Returns
    -------
    list of str or None
        The command without the file name.
    """
    if command is None:
        command = os.environ.get(PLAYER_ENV) or None
    if command is not None:
        words = shlex.split(command) if isinstance(command, str) else list(command)
        return words or None
    for candidate in PLAYERS:
        if shutil.which(candidate[0]):
            return list(candidate)
    return None


def play(command: Sequence[str], path: Path, cancel: CancelEvent | None = None) -> None:
    """Play *path* with *command*, waiting until it ends or *cancel* is set.

    Parameters
    ----------
    command : sequence of str
        The player (see :func:`find_player`); the file is appended.
    path : Path
        The file.
    cancel : CancelEvent, optional
        Stops the player when set.

    Raises
    ------
    RunoutError
        When the player cannot start or exits with an error (its message included).
    """
    try:
        process = subprocess.Popen(
            [*command, str(path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
    except OSError as error:
        raise RunoutError(f"cannot start the player {command[0]!r}: {error.strerror}") from None
    while True:
        try:
            _, err = process.communicate(timeout=0.1)
            break
        except subprocess.TimeoutExpired:
            if cancel is not None and cancel.is_set():
                process.terminate()
                process.communicate()
                return
    if process.returncode != 0:
        text = err.decode("utf-8", "replace").strip().splitlines()
        detail = f": {text[-1]}" if text else ""
        raise RunoutError(
            f"the player {command[0]!r} stopped with status {process.returncode}{detail}"
        )
