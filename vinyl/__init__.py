"""Vinyl pre-mastering: disc formats, side plans, side checks and cut sheets.

Imports ``sequencer``; never imports ``tui``, textual or rich.
"""
