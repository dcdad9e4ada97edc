"""Small widgets of the app: the loudness arc and the side-time bar."""

from __future__ import annotations

import math
from typing import Any

from rich.text import Text
from textual.coordinate import Coordinate
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import DataTable

__all__ = ["LoudnessArc", "time_bar"]

_BLOCKS = " ▁▂▃▄▅▆▇█"


def row_key_at_cursor(table: DataTable[Any]) -> str | None:
    """Return the key of the row under *table*'s cursor (a track id), or None when empty."""
    if table.row_count == 0:
        return None
    row = min(max(table.cursor_row, 0), table.row_count - 1)
    key = table.coordinate_to_cell_key(Coordinate(row, 0)).row_key.value
    return str(key) if key is not None else None


class LoudnessArc(Widget):
    """The album's loudness arc: each track's loudness as a bar, in running order.

    Parameters
    ----------
    name, id, classes
        As for any widget.
    """

    DEFAULT_CSS = """
    LoudnessArc { height: 7; min-width: 20; }
    """

    values: reactive[tuple[float | None, ...]] = reactive(())
    """Loudness of each track in LUFS (None: not measured yet)."""
    selected: reactive[int] = reactive(-1)
    """Index of the highlighted track."""

    def render(self) -> Text:
        """Draw the bars, the scale and the track numbers."""
        values = self.values
        width = self.size.width
        height = max(self.size.height - 2, 2)
        text = Text(no_wrap=True, overflow="crop")
        known = [v for v in values if v is not None and math.isfinite(v)]
        if not values:
            return Text("no tracks", style="dim")
        if not known:
            return Text("loudness arc: waiting for the analysis", style="dim")
        low = math.floor(min(known)) - 2.0
        high = math.ceil(max(known)) + 1.0
        label_width = 4
        column = max(1, min(4, (width - label_width) // max(len(values), 1) - 1))
        for row in range(height):
            level_top = high - (high - low) * row / height
            label = f"{level_top:>3.0f} " if row in (0, height - 1) else " " * label_width
            text.append(label, style="dim")
            for index, value in enumerate(values):
                if value is None or not math.isfinite(value):
                    cell = " " * column
                else:
                    filled = (value - low) / (high - low) * height  # in rows from the bottom
                    from_bottom = height - 1 - row
                    eighths = round((filled - from_bottom) * 8)
                    cell = _BLOCKS[max(0, min(8, eighths))] * column
                text.append(cell, style="bold" if index == self.selected else "")
                text.append(" ")
            text.append("\n")
        text.append(" " * label_width)
        for index in range(len(values)):
            number = str(index + 1)[-column:] if column > 1 else str(index + 1)[-1]
            text.append(
                number.center(column), style="bold reverse" if index == self.selected else "dim"
            )
            text.append(" ")
        text.append("\n" + " " * label_width + "LUFS per track, in running order", style="dim")
        return text


def time_bar(duration_s: float, recommended_s: float, maximum_s: float, width: int) -> Text:
    """Draw a side's time against the format's recommended and maximum times.

    Parameters
    ----------
    duration_s : float
        The side's length.
    recommended_s : float
        The format's recommended side time.
    maximum_s : float
        The format's maximum side time (the bar's full width).
    width : int
        Characters available.

    Returns
    -------
    Text
        Green up to the recommended time, yellow to the maximum, red beyond;
        ``|`` marks the recommended time.
    """
    width = max(width, 4)
    scale = max(maximum_s, duration_s) or 1.0
    filled = min(width, round(duration_s / scale * width))
    mark = min(width - 1, round(recommended_s / scale * width))
    style = (
        "green" if duration_s <= recommended_s else "yellow" if duration_s <= maximum_s else "red"
    )
    bar = Text(no_wrap=True)
    for index in range(width):
        if index == mark:
            bar.append("|", style="bold")
        elif index < filled:
            bar.append("█", style=style)
        else:
            bar.append("░", style="dim")
    return bar
