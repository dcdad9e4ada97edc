"""The Textual app of runout: the Sequence, Vinyl and Deliver screens and the audition.

Only :mod:`tui` imports Textual; the app edits the session through
:mod:`sequencer.edits` and asks the core for everything derived.
"""

from __future__ import annotations

import gc
import sys
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.app.app import RunoutApp, run_app

__all__ = ["RunoutApp", "run_app"]


def __getattr__(name: str) -> object:
    """Import the app lazily, so ``tui.cli`` stays quick for the other commands."""
    if name in __all__:
        return getattr(_import_app(), name)
    raise AttributeError(name)


def _import_app() -> ModuleType:
    """Import :mod:`tui.app.app` with the cyclic garbage collector paused.

    The import creates a few hundred thousand objects that live as long as the
    process (Textual's classes and styles, the app's modules); the collections
    they would set off find nothing to free and cost several percent of the
    start-up. The objects that exist once it is done are frozen (``gc.freeze``),
    so the collections while the app starts do not walk them either.
    """
    if "tui.app.app" in sys.modules:
        return sys.modules["tui.app.app"]
    collecting = gc.isenabled()
    gc.disable()
    try:
        from tui.app import app
    finally:
        if collecting:
            gc.freeze()
            gc.enable()
    return app
