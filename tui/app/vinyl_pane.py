"""The Vinyl screen: the format, the sides side by side, a proposed split, side findings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Label, Select, Static

from sequencer.findings import Finding
from sequencer.session import Session
from tui.app.view import clock
from tui.app.widgets import row_key_at_cursor, time_bar

if TYPE_CHECKING:
    from vinyl.sides import SideLayout, SidePlan, SplitProposal

__all__ = ["SideColumn", "VinylPane", "finding_detail", "severity_style", "side_verdict"]


def format_choices() -> list[tuple[str, str]]:
    """Return the disc formats for the format selector: (name, id).

    Returns
    -------
    list of tuple of (str, str)
        The built-in formats, in their order.
    """
    # Imported here: the vinyl modules are not needed before the first paint.
    from vinyl.formats import BUILTIN_FORMATS

    return [(f.name, f.id) for f in BUILTIN_FORMATS]


def side_verdict(side: SidePlan, report: Any | None) -> Text:
    """Say whether a side fits: from the side checks when run, else from the time table.

    Parameters
    ----------
    side : SidePlan
        The side.
    report : vinyl.sidecheck.SideReport or None
        The side's check, when current.

    Returns
    -------
    Text
        E.g. ``groove: fits at +0.0 dB`` or ``cut level -1.5 dB needed``.
    """
    if report is not None:
        level = report.settings.cut_level_db
        fitting = report.fitting_cut_level_db
        if report.groove.fits:
            return Text(f"groove fits ({report.groove.space_mm:.0f} mm)", style="green")
        if fitting is None:
            return Text("groove: does not fit at any level", style="bold red")
        return Text(f"groove: cut level {fitting - level:+.1f} dB needed", style="yellow")
    change = side.level_change_db()
    if change is None:
        return Text("empty side", style="dim")
    if change >= 0:
        return Text("time fits (c: check groove)", style="green")
    return Text(f"time: cut ~{change:+.1f} dB (c: check)", style="yellow")


def severity_style(finding: Finding) -> str:
    """Return the style a finding's severity is printed in (red error, yellow warning)."""
    return {"error": "bold red", "warning": "yellow"}.get(str(finding.severity), "dim")


def finding_detail(finding: Finding) -> Text:
    """Say everything about a side's finding: what, where, the whole message and the advice.

    Parameters
    ----------
    finding : Finding
        The finding.

    Returns
    -------
    Text
        A line with the severity, where it is (time on the side, track, time into
        the track) and the code's title, then the message and the advice in full,
        as one paragraph to wrap (at 80 columns the longest of the demo's take
        six lines).
    """
    text = Text()
    text.append(f"{finding.severity}", style=severity_style(finding))
    if finding.time_s is not None:  # on the side listed above
        text.append(f" at {clock(finding.time_s)}")
    if finding.track_title:
        text.append(f' · "{finding.track_title}"')
        if finding.time_in_track_s is not None:
            text.append(f" ({clock(finding.time_in_track_s)} in)")
    text.append(f" · {finding.title}", style="dim")
    text.append("\n" + finding.message)
    if finding.advice:
        text.append(" What to do: ", style="bold")
        text.append(finding.advice)
    return text


#: Columns of a side that are not the title: the borders, the position and start
#: columns with their cell padding, and the title's padding.
TABLE_OVERHEAD = 2 + 4 + 7 + 2

#: What the findings table needs besides the message: the cell padding of its four
#: columns and room for a vertical scrollbar.
FINDINGS_OVERHEAD = 4 * 2 + 2


class SideColumn(Vertical):
    """One side: its header (time against the format, verdict) and its tracks.

    Parameters
    ----------
    side : SidePlan
        The side.
    titles : dict of str to str
        Track titles by id.
    report : SideReport or None
        The side's check, when current.
    """

    def __init__(self, side: SidePlan, titles: dict[str, str], report: Any | None) -> None:
        super().__init__(classes="side", id=f"side-{side.name}")
        self.side_name = side.name
        self._side = side
        self._titles = titles
        self._report = report
        self._head = Static("", classes="side-head")
        self._table: DataTable[str | Text] = DataTable(cursor_type="row", classes="side-table")

    def compose(self) -> ComposeResult:
        """Header and table."""
        yield self._head
        yield self._table

    def on_mount(self) -> None:
        """Fill in the side once the widgets exist."""
        self.update(self._side, self._titles, self._report)

    @property
    def table(self) -> DataTable[str | Text]:
        """The side's track table."""
        return self._table

    def update(self, side: SidePlan, titles: dict[str, str], report: Any | None) -> None:
        """Show *side*.

        Parameters
        ----------
        side : SidePlan
            The side.
        titles : dict of str to str
            Track titles by id.
        report : SideReport or None
            The side's check, when current.
        """
        self._side, self._titles, self._report = side, titles, report
        self._show_head()
        table = self.table
        selected = self.selected_track_id()
        # Columns too: their widths follow the (possibly shortened) titles.
        table.clear(columns=True)
        table.add_column("#", key="pos")
        table.add_column("Title", key="title")
        table.add_column("Start", key="start")
        rate = side.timeline.sample_rate
        # Narrow columns (80 columns, three sides) shorten the titles rather than scroll.
        room = None
        if self.size.width:
            rows = len(side.timeline.placements)
            scrollbar = 2 if rows > self._table.size.height - 1 else 0
            room = max(self.size.width - TABLE_OVERHEAD - scrollbar, 6)
        for number, placement in enumerate(side.timeline.placements, start=1):
            title = Text(titles.get(placement.track_id, placement.track_id), no_wrap=True)
            if room is not None:
                title.truncate(room, overflow="ellipsis")
            table.add_row(
                f"{side.name}{number}",
                title,
                Text(clock(placement.start / rate, 0), justify="right"),
                key=placement.track_id,
            )
        ids = list(side.track_ids)
        if selected in ids:
            table.move_cursor(row=ids.index(selected), animate=False)

    def on_resize(self) -> None:
        """Draw the time bar and the titles again at the new width."""
        self.update(self._side, self._titles, self._report)

    def _show_head(self) -> None:
        """Draw the side's name, times, time bar and verdict."""
        side, report = self._side, self._report
        head = Text(no_wrap=True, overflow="ellipsis")
        head.append(f"Side {side.name}", style="bold")
        head.append(f" {clock(side.duration_s, 0)}")
        head.append(f" /{clock(side.recommended_s, 0)} rec", style="dim")
        head.append(f" {clock(side.maximum_s, 0)} max\n", style="dim")
        width = max(self.size.width - 2, 10) if self.size.width else 24
        head.append_text(time_bar(side.duration_s, side.recommended_s, side.maximum_s, width))
        head.append("\n")
        head.append_text(side_verdict(side, report))
        self._head.update(head)

    def selected_track_id(self) -> str | None:
        """Return the id of the track under the cursor, or None."""
        return row_key_at_cursor(self.table)

    def select(self, track_id: str) -> bool:
        """Put the cursor on *track_id*; return whether it is on this side."""
        ids = list(self._side.track_ids)
        if track_id not in ids:
            return False
        self.table.move_cursor(row=ids.index(track_id), animate=False)
        return True


class VinylPane(Vertical, can_focus=True):
    """Format, sides side by side, the automatic split, and the selected side's findings."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("shift+left,less_than_sign", "app.side_previous", "To prev side"),
        Binding("shift+right,greater_than_sign", "app.side_next", "To next side"),
        Binding("shift+up,K", "app.side_up", "Up", show=False),
        Binding("shift+down,J", "app.side_down", "Down", show=False),
        Binding("s", "app.propose_split", "Split"),
        Binding("y", "app.accept_split", "Accept", show=False),
        Binding("n", "app.dismiss_split", "Dismiss", show=False),
        Binding("c", "app.check_sides", "Check sides"),
        Binding("f", "focus_format", "Format", show=False),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.current_side: str | None = None
        self._names: tuple[str, ...] = ()
        self._findings: list[Finding] = []
        self._reports: dict[str, Any] = {}
        self._findings_side: str | None = None
        self._updating = False

    def compose(self) -> ComposeResult:
        """Format bar, proposal bar, sides, findings."""
        with Horizontal(id="vinyl-top"):
            yield Label("Format ", id="format-label")
            yield Select(format_choices(), allow_blank=False, id="format", compact=True)
            yield Static("", id="vinyl-summary")
        with Horizontal(id="proposal"):
            yield Static("", id="proposal-text")
            yield Button("Accept (y)", id="accept-split", variant="success", compact=True)
            yield Button("Dismiss (n)", id="dismiss-split", compact=True)
        yield Horizontal(id="sides")
        yield Static("", id="side-findings-title")
        table: DataTable[str | Text] = DataTable(id="side-findings", cursor_type="row")
        table.add_column("", key="sev")
        table.add_column("Time", key="time")
        table.add_column("Track", key="track")
        table.add_column("Finding", key="message")
        yield table
        # The selected finding in full: the table's line shows the start of its message.
        yield Static("", id="finding-detail")

    def action_focus_format(self) -> None:
        """Focus the format selector."""
        self.query_one("#format", Select).focus()

    def columns(self) -> list[SideColumn]:
        """Return the side columns in order."""
        return list(self.query(SideColumn))

    def selected_track_id(self) -> str | None:
        """Return the track under the cursor of the current side, or None."""
        for column in self.columns():
            if column.side_name == self.current_side:
                return column.selected_track_id()
        return None

    def show(
        self,
        session: Session,
        layout: SideLayout | None,
        problem: str | None,
        proposal: SplitProposal | None,
        reports: dict[str, Any],
    ) -> None:
        """Redraw the screen.

        Parameters
        ----------
        session : Session
            The session.
        layout : SideLayout or None
            The session's sides (or the proposal's, while one is shown).
        problem : str or None
            Why there are no sides to show.
        proposal : SplitProposal or None
            The split on offer, if any.
        reports : dict of str to SideReport
            Current side checks by side name.
        """
        self._updating = True
        select = self.query_one("#format", Select)
        if select.value != session.vinyl.disc_format:
            select.value = session.vinyl.disc_format
        self.call_after_refresh(setattr, self, "_updating", False)
        proposal_bar = self.query_one("#proposal")
        proposal_bar.display = proposal is not None
        if proposal is not None:
            text = Text("Proposed split ", style="bold")
            text.append("(not saved): " + ("fits" if proposal.fits else "does not fit"))
            text.append(f" the {proposal.limit} time. ")
            text.append(" ".join(proposal.notes[:1]), style="dim")
            self.query_one("#proposal-text", Static).update(text)
        summary = self.query_one("#vinyl-summary", Static)
        titles = {t.id: t.title for t in session.tracks}
        sides = layout.sides if layout is not None else ()
        if layout is None:
            summary.update(Text(problem or "", style="yellow"))
        else:
            fits = "all sides fit" if layout.fits else "a side is over the recommended time"
            summary.update(f"  {len(sides)} sides, {layout.discs} disc(s), {fits}")
        names = tuple(side.name for side in sides)
        container = self.query_one("#sides", Horizontal)
        if names != self._names:
            self._names = names
            container.remove_children()
            container.mount_all(
                [SideColumn(side, titles, reports.get(side.name)) for side in sides]
            )
        else:
            for column, side in zip(self.columns(), sides, strict=False):
                column.update(side, titles, reports.get(side.name))
        if self.current_side not in names:
            self.current_side = names[0] if names else None
        self.show_findings(reports)

    def show_findings(self, reports: dict[str, Any]) -> None:
        """List the current side's findings, one line each, and the selected one in full.

        Parameters
        ----------
        reports : dict of str to SideReport
            Current side checks by side name.
        """
        title = self.query_one("#side-findings-title", Static)
        table = self.query_one("#side-findings", DataTable)
        side = self.current_side
        key = side or ""
        # The same side's list drawn again keeps its cursor; another side's starts at the top.
        same = side == self._findings_side and reports.get(key) is self._reports.get(key)
        row = table.cursor_row if same else 0
        self._reports, self._findings_side = reports, side
        table.clear()
        report = reports.get(side) if side else None
        if side is None:
            title.update("")
            self._findings = []
            self.show_finding_detail(None)
            return
        if report is None:
            title.update(
                Text(
                    f"Side {side} not checked yet: c checks groove, low end, sibilance, peaks",
                    style="dim",
                )
            )
            self._findings = []
            self.show_finding_detail(None)
            return
        self._findings = list(report.findings)
        title.update(Text(f"Findings of side {side}: {report.summary}", style="bold"))
        times = [clock(finding.time_s, 0) for finding in self._findings]
        tracks = [finding.track_title or "" for finding in self._findings]
        # The message is cut to the table's width (the detail below has all of it).
        used = max((len(str(f.severity)) for f in self._findings), default=0)
        used += max([len("Time"), *map(len, times)]) + max([len("Track"), *map(len, tracks)])
        room = max(self.size.width - used - FINDINGS_OVERHEAD, 12) if self.size.width else None
        for finding, time, track in zip(self._findings, times, tracks, strict=True):
            message = Text(finding.message, no_wrap=True)
            if room is not None:
                message.truncate(room, overflow="ellipsis")
            severity = Text(str(finding.severity), style=severity_style(finding))
            table.add_row(severity, time, track, message)
        if self._findings:
            table.move_cursor(row=min(max(row, 0), len(self._findings) - 1), animate=False)
        self.show_finding_detail(self.finding_at(table.cursor_row))

    def show_finding_detail(self, finding: Finding | None) -> None:
        """Show a finding in full under the findings table (nothing for None).

        Parameters
        ----------
        finding : Finding or None
            The finding under the table's cursor.
        """
        detail = self.query_one("#finding-detail", Static)
        detail.display = finding is not None
        detail.update(finding_detail(finding) if finding is not None else "")

    def on_resize(self) -> None:
        """Cut the findings' messages to the new width."""
        if self._findings:
            self.show_findings(self._reports)

    def finding_at(self, row: int) -> Finding | None:
        """Return the finding in row *row* of the findings table.

        Parameters
        ----------
        row : int
            The row index.

        Returns
        -------
        Finding or None
            The finding.
        """
        return self._findings[row] if 0 <= row < len(self._findings) else None

    def select_track(self, track_id: str) -> bool:
        """Put the cursor on *track_id* on whatever side holds it and focus that side.

        Parameters
        ----------
        track_id : str
            The track.

        Returns
        -------
        bool
            Whether a side holds it.
        """
        for column in self.columns():
            if column.select(track_id):
                self.current_side = column.side_name
                column.table.focus()
                return True
        return False

    def focus_side(self, names: Sequence[str], name: str, track_id: str | None) -> None:
        """Focus side *name* and its track *track_id* after a redraw.

        Parameters
        ----------
        names : sequence of str
            Unused (the current side names), kept for callers.
        name : str
            The side.
        track_id : str or None
            The track to select.
        """
        self.current_side = name
        for column in self.columns():
            if column.side_name == name:
                if track_id is not None:
                    column.select(track_id)
                column.table.focus()

    def on_descendant_focus(self, event: Any) -> None:
        """Focusing a side's table makes it the current side."""
        for column in self.columns():
            if column.table is event.widget and column.side_name != self.current_side:
                self.current_side = column.side_name
                reports: dict[str, Any] = getattr(self.app, "current_side_reports", dict)()
                self.show_findings(reports)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Show the finding under the cursor in full."""
        if event.data_table.id == "side-findings":
            event.stop()
            self.show_finding_detail(self.finding_at(event.cursor_row))

    def focus_findings(self, track_id: str | None) -> bool:
        """Focus the current side's findings, at the first one about *track_id*.

        Parameters
        ----------
        track_id : str or None
            The track whose first finding to put the cursor on (the first finding
            of the side when it has none, or for None).

        Returns
        -------
        bool
            Whether the side has findings to show.
        """
        if not self._findings:
            return False
        table = self.query_one("#side-findings", DataTable)
        rows = [i for i, f in enumerate(self._findings) if f.track_id == track_id]
        table.move_cursor(row=rows[0] if rows else 0, animate=False)
        table.focus()
        return True

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a finding jumps to its track; enter on a track shows its findings."""
        if event.data_table.id != "side-findings":
            for column in self.columns():
                if column.table is event.data_table:
                    event.stop()
                    if not self.focus_findings(column.selected_track_id()):
                        checked = self._reports.get(column.side_name) is not None
                        self.app.notify(
                            f"No findings on side {column.side_name}."
                            if checked
                            else f"Side {column.side_name} is not checked yet: press c."
                        )
            return
        event.stop()
        finding = self.finding_at(event.cursor_row)
        if finding is None or finding.track_id is None:
            return
        self.select_track(finding.track_id)
        where = f" at {clock(finding.time_s)} on side {finding.side}" if finding.time_s else ""
        inside = (
            f" ({clock(finding.time_in_track_s)} into the track)"
            if finding.time_in_track_s is not None
            else ""
        )
        self.app.notify(f'"{finding.track_title}"{where}{inside}: {finding.message}', timeout=8)

    def on_select_changed(self, event: Select.Changed) -> None:
        """Choosing a format is an edit of the vinyl plan."""
        event.stop()
        if self._updating or event.select.id != "format":
            return
        change = getattr(self.app, "change_format", None)
        if change is not None and isinstance(event.value, str):
            change(event.value)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Accept or dismiss the proposal."""
        event.stop()
        if event.button.id == "accept-split":
            self.app.call_later(self.app.run_action, "accept_split")
        elif event.button.id == "dismiss-split":
            self.app.call_later(self.app.run_action, "dismiss_split")
