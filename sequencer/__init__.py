"""The album core of runout: session model, audio analysis, timeline and rendering.

This package never imports a user interface library (textual, rich) and never
imports ``vinyl`` or ``tui``; dependencies point ``tui -> vinyl -> sequencer``.
"""

__version__ = "0.1.0"
