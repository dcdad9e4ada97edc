"""The Sequence screen: the running order as a table, and the album panel."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, ProgressBar, Static

from tui.app.view import AlbumView, clock
from tui.app.widgets import LoudnessArc, row_key_at_cursor

if TYPE_CHECKING:
    from sequencer.session import Session

__all__ = ["SequencePane"]

#: Below this height (lines) the detail under the album panel gets one line, not two:
#: at 80x24 the ten tracks of the demo then fit without scrolling.
SHORT_HEIGHT = 26

COLUMNS = (
    ("number", "#"),
    ("title", "Title"),
    ("length", "Length"),
    ("start", "Start"),
    ("into", "Into"),
    ("lufs", "LUFS"),
    ("peak", "TP"),
    ("gain", "Gain"),
    ("marker", "!"),
)


class SequencePane(Vertical):
    """The running order, the album's levels and its loudness arc.

    Edits go to the app (``app.*`` actions), which replaces the session and
    calls :meth:`show` with the new view.
    """

    # Every key of this screen, the table's cursor keys included, is a priority
    # binding: it runs as the app takes the key, in the order typed. A dialog key
    # then has its dialog up, field focused, before the next key is routed (as a
    # plain binding, a key typed straight after went to the table), and it never
    # overtakes cursor keys still queued at the table (which edited the wrong track).
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor('cursor_up')", "Up", show=False, priority=True),
        Binding("down", "cursor('cursor_down')", "Down", show=False, priority=True),
        Binding("pageup", "cursor('page_up')", "Page up", show=False, priority=True),
        Binding("pagedown", "cursor('page_down')", "Page down", show=False, priority=True),
        Binding("home,ctrl+home", "cursor('scroll_top')", "First", show=False, priority=True),
        Binding("end,ctrl+end", "cursor('scroll_bottom')", "Last", show=False, priority=True),
        Binding("shift+up,K", "app.move_up", "Move up", priority=True),
        Binding("shift+down,J", "app.move_down", "Move down", priority=True),
        Binding("p", "app.set_pause", "Pause", priority=True),
        Binding("x", "app.set_crossfade", "Crossfade", priority=True),
        Binding("space", "app.audition", "Audition", priority=True),
        Binding("o", "app.set_offset", "Offset LU", show=False, priority=True),
        Binding("t", "app.set_title", "Title", show=False, priority=True),
        Binding("i", "app.set_isrc", "ISRC", show=False, priority=True),
        Binding("a", "app.add_tracks", "Add tracks", show=False, priority=True),
        Binding("delete", "app.remove_track", "Remove track", show=False, priority=True),
        Binding("l", "app.set_loudness", "Loudness policy", show=False, priority=True),
    ]

    def compose(self) -> ComposeResult:
        """Lay out the table on top, the album panel and the arc below."""
        table: DataTable[str | Text] = DataTable(id="order", cursor_type="row", zebra_stripes=True)
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        yield table
        with Horizontal(id="album-panel"):
            with Vertical(id="album-left"):
                yield Static("", id="album-summary")
                yield ProgressBar(id="analysis-bar", show_eta=False)
            yield LoudnessArc(id="arc")
        yield Static("", id="track-detail")

    def action_cursor(self, move: str) -> None:
        """Move the running order's cursor (``up``, ``down``, ``page_up``, ...), at once."""
        getattr(self.table, f"action_{move}")()

    @property
    def table(self) -> DataTable[str | Text]:
        """The running-order table."""
        return self.query_one("#order", DataTable)

    def selected_track_id(self) -> str | None:
        """Return the id of the track under the cursor, or None."""
        return row_key_at_cursor(self.table)

    def show(self, session: Session, view: AlbumView, selected: str | None) -> None:
        """Redraw the table and panel from a new view, keeping *selected* under the cursor.

        Parameters
        ----------
        session : Session
            The session the view was made from.
        view : AlbumView
            What to show.
        selected : str or None
            The track to keep selected.
        """
        table = self.table
        table.clear()
        for row in view.rows:
            marker = Text(row.marker, style="bold red" if row.marker == "✖" else "yellow")
            table.add_row(
                row.number,
                row.title,
                Text(row.length, justify="right"),
                Text(row.start, justify="right"),
                row.into,
                Text(row.lufs, justify="right"),
                Text(row.true_peak, justify="right"),
                Text(row.gain, justify="right"),
                marker,
                key=row.track_id,
            )
        ids = [row.track_id for row in view.rows]
        if selected in ids:
            table.move_cursor(row=ids.index(selected), animate=False, scroll=True)
        self.show_panel(session, view)

    def show_panel(self, session: Session, view: AlbumView) -> None:
        """Redraw the album panel, the arc and the selected track's detail.

        Parameters
        ----------
        session : Session
            The session.
        view : AlbumView
            What to show.
        """
        policy = session.loudness
        plan = view.plan
        lines = Text(no_wrap=True, overflow="ellipsis")
        lines.append("Running time ", style="dim")
        lines.append(f"{clock(view.total_s)}", style="bold")
        lines.append(f"  {len(view.rows)} tracks\n")
        lines.append("Album ", style="dim")
        if plan is not None and plan.album_lufs_before is not None:
            after = plan.album_lufs_after
            lines.append(f"{plan.album_lufs_before:.1f} LUFS → ")
            lines.append(f"{after:.1f} LUFS" if after is not None else "-", style="bold")
        else:
            lines.append(f"analysing… {view.analysed}/{len(view.rows)}", style="italic")
        lines.append("\n")
        lines.append("Mode ", style="dim")
        lines.append(f"{policy.mode}", style="bold")
        lines.append(f" {policy.target_lufs:g} LUFS")
        lines.append(" ceiling ", style="dim")
        lines.append(f"{policy.true_peak_ceiling_dbtp:g} dBTP\n")
        lines.append("Limits ", style="dim")
        if plan is not None and plan.limiting_track_id is not None:
            title = session.track(plan.limiting_track_id).title
            lines.append(f'"{title}"', style="bold")
            lines.append(f" -{plan.loudness_given_up_lu:.1f} LU")
        elif plan is not None:
            lines.append("none: the target is reached")
        else:
            lines.append("-")
        errors = sum(1 for f in view.findings if f.severity == "error")
        warnings = sum(1 for f in view.findings if f.severity == "warning")
        lines.append("\nFindings ", style="dim")
        lines.append(f"{errors} errors", style="bold red" if errors else "")
        lines.append(f", {warnings} warnings", style="yellow" if warnings else "")
        for problem in view.problems:
            lines.append(f"\n⚠ {problem}", style="bold red")
        self.query_one("#album-summary", Static).update(lines)
        arc = self.query_one("#arc", LoudnessArc)
        arc.values = tuple(row.lufs_value for row in view.rows)
        self.show_detail(view)

    def show_detail(self, view: AlbumView) -> None:
        """Show the selected track's findings under the panel.

        Parameters
        ----------
        view : AlbumView
            The current view.
        """
        track_id = self.selected_track_id()
        arc = self.query_one("#arc", LoudnessArc)
        ids = [row.track_id for row in view.rows]
        arc.selected = ids.index(track_id) if track_id in ids else -1
        detail = self.query_one("#track-detail", Static)
        # Its height is fixed (two lines, one when short): no layout when the text changes.
        if track_id is None:
            detail.update("No tracks: press a to add audio files.", layout=False)
            return
        found = view.findings_of(track_id)
        if not found:
            detail.update(Text("No findings on this track.", style="dim"), layout=False)
            return
        # As many findings as the line(s) hold; the last line says how many are left.
        lines = 1 if self.has_class("-short") else 2
        shown = found[:lines]
        text = Text(no_wrap=True, overflow="ellipsis")
        for index, finding in enumerate(shown):
            where = f" at {clock(finding.time_in_track_s)}" if finding.time_in_track_s else ""
            style = "red" if finding.severity == "error" else "yellow"
            if index:
                text.append("\n")
            if index == len(shown) - 1 and len(found) > len(shown):
                text.append(f"(+{len(found) - len(shown)} more) ", style="dim")
            text.append(f"{finding.severity}{where}: ", style=style)
            text.append(finding.message)
        detail.update(text, layout=False)

    def on_resize(self) -> None:
        """On a short terminal, give the running order the detail's second line."""
        short = self.size.height < SHORT_HEIGHT
        if short != self.has_class("-short"):
            self.set_class(short, "-short")
            view = getattr(self.app, "view", None)
            if isinstance(view, AlbumView):
                self.show_detail(view)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Update the detail line and the arc when the cursor moves."""
        view = getattr(self.app, "view", None)
        if isinstance(view, AlbumView):
            self.show_detail(view)
