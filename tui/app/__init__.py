"""The Textual app of runout: the Sequence, Vinyl and Deliver screens and the audition.

Only :mod:`tui` imports Textual; the app edits the session through
:mod:`sequencer.edits` and asks the core for everything derived.
"""

from __future__ import annotations

__all__ = ["RunoutApp"]


def __getattr__(name: str) -> object:
    """Import the app lazily, so ``tui.cli`` stays quick for the other commands."""
    if name == "RunoutApp":
        from tui.app.app import RunoutApp

        return RunoutApp
    raise AttributeError(name)
