"""The runout app: sequence the album, plan the sides, deliver, from the keyboard.

The session, not the widgets, holds the truth: every edit is a function of
:mod:`sequencer.edits` (or :func:`vinyl.sides.apply_proposal`) applied to the
current session; the result goes on the undo stack and the screens are redrawn
from it. Long jobs (analysis, the demo build, renders, side checks, audition)
run in thread workers with a ``threading.Event`` to cancel them and report
back with the past-tense messages of :mod:`tui.app.messages`.
"""

from __future__ import annotations

import contextlib
import logging
import math
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.lazy import Lazy
from textual.screen import ModalScreen, Screen
from textual.widgets import (
    Button,
    Footer,
    Header,
    Label,
    ProgressBar,
    TabbedContent,
    TabPane,
)

from sequencer import edits
from sequencer.analysis import TrackAnalysis
from sequencer.batch import analyse_sources, start_process_server
from sequencer.cache import AnalysisCache
from sequencer.errors import Cancelled, RunoutError, SessionError
from sequencer.findings import Finding
from sequencer.session import Crossfade, Curve, LoudnessMode, Session, check_against_sources
from sequencer.store import load_session, save_session
from sequencer.timeline import SourceInfo
from tui import player as players
from tui.app import jobs
from tui.app.deliver_pane import JOBS, DeliverPane
from tui.app.dialogs import AddTracksDialog, ChoiceDialog, FormDialog, HelpScreen
from tui.app.messages import (
    AnalysisFailed,
    AnalysisFinished,
    AuditionFailed,
    AuditionFinished,
    AuditionStarted,
    DemoBuilt,
    DemoFailed,
    JobFailed,
    JobFinished,
    JobProgressed,
    SidesChecked,
    TrackAnalysed,
)
from tui.app.sequence import SequencePane
from tui.app.view import AlbumView, album_findings, album_view
from tui.app.vinyl_pane import VinylPane

__all__ = ["RunoutApp"]

logger = logging.getLogger(__name__)

TABS = (("sequence", "Sequence"), ("vinyl", "Vinyl"), ("deliver", "Deliver"))


def _number(text: str, what: str) -> float:
    """Parse a number typed by the user, or raise ValueError saying what was expected."""
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        raise ValueError(f"{what}: {text.strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{what}: {text.strip()!r} is not a number")
    return value


class MainScreen(Screen[None]):
    """The screen holding the three tabs; the running order has the focus from the start.

    Focusing it before the first paint (rather than the tabs, the first focusable
    widget, and then the table) spares a second full layout at start-up.
    """

    AUTO_FOCUS = "#order"


class BuildingScreen(ModalScreen[None]):
    """Shown while the demo album is generated: a progress bar and a way out."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        """Title, bar, cancel button."""
        with Vertical(classes="dialog"):
            yield Label("Making the demo album (once; about a minute)…", classes="dialog-title")
            yield ProgressBar(id="demo-bar", show_eta=False)
            yield Label("", id="demo-what")
            yield Button("Cancel (esc)", id="cancel-demo")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Cancel the build."""
        event.stop()
        self.action_cancel()

    def action_cancel(self) -> None:
        """Ask the build to stop."""
        getattr(self.app, "cancel_demo", lambda: None)()


class RunoutApp(App[None]):
    """The runout app.

    Parameters
    ----------
    session_path : Path or None
        The session to open.
    demo_dir : Path or None
        Open the demo session in this folder, building the demo album first when
        needed (used when ``session_path`` is None).
    player : sequence of str or str, optional
        The audition player command; by default ``$RUNOUT_PLAYER`` or the first
        of ``afplay``, ``paplay``, ``aplay``, ``ffplay`` found.
    cache : AnalysisCache or None, optional
        The analysis cache; the default cache when not given.
    workers : int, optional
        Analysis worker processes (one per core by default).
    """

    TITLE = "runout"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = True

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("ctrl+z", "undo", "Undo", priority=True),
        Binding("ctrl+y,ctrl+shift+z", "redo", "Redo", priority=True),
        Binding("1", "show_tab('sequence')", "Sequence", show=False),
        Binding("2", "show_tab('vinyl')", "Vinyl", show=False),
        Binding("3", "show_tab('deliver')", "Deliver", show=False),
        Binding("question_mark", "help", "Keys"),
        Binding("ctrl+t", "toggle_theme", "Light/dark", show=False),
        Binding("q", "quit", "Quit"),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
    ]

    def __init__(
        self,
        session_path: Path | None = None,
        *,
        demo_dir: Path | None = None,
        player: Sequence[str] | str | None = None,
        cache: AnalysisCache | None = None,
        workers: int | None = None,
    ) -> None:
        super().__init__()
        # Before Textual takes the terminal: started from inside the running app,
        # the analysis process server fails (``bad value(s) in fds_to_keep``). Only
        # the part that needs the terminal starts now; the server itself, whose
        # imports would compete with the first paint for the CPU, starts with the
        # first analysis that needs worker processes.
        start_process_server(tracker_only=True)
        self.session_path = Path(session_path) if session_path else None
        self.demo_dir = Path(demo_dir) if demo_dir else None
        self.player = players.find_player(player)
        self.cache = cache if cache is not None else AnalysisCache()
        self.analysis_workers = workers
        self.history: edits.History | None = None
        self.saved: Session | None = None
        self.sources: dict[str, SourceInfo] = {}
        self.source_errors: dict[str, str] = {}
        self.analyses: dict[str, TrackAnalysis] = {}
        self.findings: list[Finding] = []
        self.view: AlbumView | None = None
        self.proposal: Any = None
        self.side_reports: tuple[Any, ...] = ()
        self.side_reports_for: Session | None = None
        self.load_error: str | None = None
        self.analysis_running = False
        self.job_running: str | None = None
        self.job_results: dict[str, Any] = {}
        self.job_progress: dict[str, float] = {}
        self.last_vinyl: tuple[Session, Any] | None = None
        self._analysis_cancel = threading.Event()
        self._job_cancel = threading.Event()
        self._demo_cancel = threading.Event()
        self._audition_cancel = threading.Event()
        self._vinyl_dirty = True
        self._analysed_refresh_pending = False
        self._findings_scheduled = False

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        """Header, the three screens as tabs, footer."""
        yield Header()
        with TabbedContent(initial="sequence", id="tabs"):
            with TabPane("1 Sequence", id="sequence"):
                yield SequencePane(id="sequence-pane")
            # The hidden screens are mounted just after the first paint, not before it.
            with TabPane("2 Vinyl", id="vinyl"):
                yield Lazy(VinylPane(id="vinyl-pane"))
            with TabPane("3 Deliver", id="deliver"):
                yield Lazy(DeliverPane(id="deliver-pane"))
        yield Footer()

    def get_default_screen(self) -> Screen[Any]:
        """Return the main screen (see :class:`MainScreen`)."""
        return MainScreen(id="_default")

    @property
    def sequence_pane(self) -> SequencePane:
        """The Sequence screen."""
        return self.query_one(SequencePane)

    @property
    def vinyl_pane(self) -> VinylPane:
        """The Vinyl screen."""
        return self.query_one(VinylPane)

    @property
    def deliver_pane(self) -> DeliverPane:
        """The Deliver screen."""
        return self.query_one(DeliverPane)

    @property
    def session(self) -> Session | None:
        """The session now in effect (None before one is open)."""
        return self.history.current if self.history is not None else None

    @property
    def dirty(self) -> bool:
        """Whether the session has changes that are not saved."""
        return self.history is not None and self.history.current != self.saved

    def on_mount(self) -> None:
        """Open the session, or build the demo first."""
        self.sequence_pane.table.focus()
        if self.session_path is None and self.demo_dir is not None:
            from samples.demo_session import SESSION_NAME

            self.session_path = self.demo_dir / SESSION_NAME
            if not self._demo_ready(self.session_path):
                self.push_screen(BuildingScreen())
                self.build_demo(self.demo_dir)
                return
        self.open_session()

    @staticmethod
    def _demo_ready(session_path: Path) -> bool:
        """Whether the demo session exists, loads and its sources can be read."""
        if not session_path.exists():
            return False
        try:
            session = load_session(session_path)
        except RunoutError:
            return False
        return all(track.path.is_file() for track in session.tracks)

    def open_session(self) -> None:
        """Load the session file and start analysing its sources."""
        path = self.session_path
        if path is None:
            self.load_error = "no session: run `runout SESSION.json` or `runout` for the demo"
            self._show_load_error()
            return
        try:
            session = load_session(path)
        except RunoutError as error:
            self.load_error = f"Cannot open {path}:\n{error}"
            self._show_load_error()
            return
        self.history = edits.History(session)
        self.saved = session
        self.probe()
        self.take_cached_analyses()
        self.refresh_all(findings_after_paint=True)
        self.start_analysis()

    def _show_load_error(self) -> None:
        """Say in the app why no session is open; nothing is written."""
        self.sub_title = "no session"
        text = Text(self.load_error or "", style="bold red")
        text.append("\n\nNothing was changed. Press q to quit.", style="")
        self.sequence_pane.query_one("#track-detail").update(text)  # type: ignore[attr-defined]

    def probe(self) -> None:
        """Read the length and rate of every source; remember the ones that fail."""
        from sequencer.audio import probe

        session = self.session
        if session is None:
            return
        for track in session.tracks:
            key = track.id
            try:
                info = probe(track.path)
            except RunoutError as error:
                self.sources.pop(key, None)
                self.source_errors[key] = str(error)
            else:
                self.sources[key] = SourceInfo(frames=info.frames, sample_rate=info.sample_rate)
                self.source_errors.pop(key, None)

    def take_cached_analyses(self) -> None:
        """Take the analyses the cache holds for the readable sources, so the first paint has them.

        Reading a cache entry takes a millisecond or two; waiting for them from
        the analysis worker would cost a second full paint.
        """
        session = self.session
        if session is None:
            return
        for track in session.tracks:
            key = str(track.path.resolve())
            if track.id in self.sources and key not in self.analyses:
                cached = self.cache.get(track.path)
                if cached is not None:
                    self.analyses[key] = cached

    def analyses_by_id(self, session: Session | None = None) -> dict[str, TrackAnalysis]:
        """Return the known analyses by track id.

        Parameters
        ----------
        session : Session, optional
            The session whose tracks to look up (the current one by default).

        Returns
        -------
        dict of str to TrackAnalysis
            Tracks whose source has been analysed.
        """
        session = session or self.session
        if session is None:
            return {}
        found = {}
        for track in session.tracks:
            analysis = self.analyses.get(str(track.path.resolve()))
            if analysis is not None:
                found[track.id] = analysis
        return found

    # ------------------------------------------------------------------ redraw

    @property
    def findings_pending(self) -> bool:
        """Whether the findings of the current session are still being worked out."""
        return self._findings_scheduled or self.workers_running("findings")

    def refresh_all(self, *, findings_after_paint: bool = False) -> None:
        """Redraw after the session changed: the title, the Sequence screen, and the rest lazily.

        Parameters
        ----------
        findings_after_paint : bool, optional
            Start the checks only once the screen is drawn (when the session is
            opened: they hold the interpreter for tens of milliseconds).
        """
        session = self.session
        if session is None:
            return
        marker = " ● unsaved" if self.dirty else ""
        name = self.session_path.name if self.session_path else "session"
        self.sub_title = f"{session.album.title} — {name}{marker}"
        analyses = self.analyses_by_id(session)
        selected = self.sequence_pane.selected_track_id()
        self.view = album_view(session, self.sources, analyses, self.findings)
        self.sequence_pane.show(session, self.view, selected)
        self._vinyl_dirty = True
        if self.query_one(TabbedContent).active == "vinyl":
            self.refresh_vinyl()
        if findings_after_paint:
            self._findings_scheduled = True
            self.call_after_refresh(self._start_findings)
        else:
            self.update_findings(session)

    def _start_findings(self) -> None:
        """Start the checks of the session now in effect (after the first paint)."""
        self._findings_scheduled = False
        if self.session is not None:
            self.update_findings(self.session)

    @work(thread=True, exclusive=True, group="findings", exit_on_error=False)
    def update_findings(self, session: Session) -> None:
        """Run the core checks in a worker (they take longer than an edit may)."""
        view = self.view
        plan = view.plan if view is not None else None
        findings = album_findings(session, self.analyses_by_id(session), plan)
        self.call_from_thread(self._findings_ready, session, findings)

    def _findings_ready(self, session: Session, findings: list[Finding]) -> None:
        """Show the new findings, unless the session changed meanwhile."""
        if session is not self.session:
            return
        self.findings = findings
        analyses = self.analyses_by_id(session)
        self.view = album_view(session, self.sources, analyses, findings)
        pane = self.sequence_pane
        table = pane.table
        for row in self.view.rows:
            try:
                marker = Text(row.marker, style="bold red" if row.marker == "✖" else "yellow")
                table.update_cell(row.track_id, "marker", marker)
            except Exception:
                return
        pane.show_panel(session, self.view)

    def refresh_vinyl(self) -> None:
        """Redraw the Vinyl screen from the session (or the proposal on offer)."""
        session = self.session
        if session is None:
            return
        self._vinyl_dirty = False
        layout, problem = None, None
        if self.proposal is not None:
            layout = self.proposal.layout
        else:
            from vinyl.sides import plan_sides

            try:
                layout = plan_sides(session, self.sources)
            except RunoutError as error:
                problem = str(error).splitlines()[0]
                if "no tracks are on vinyl sides" in problem:
                    problem = "No sides yet: press s to propose a split."
        self.vinyl_pane.show(session, layout, problem, self.proposal, self.current_side_reports())

    def current_side_reports(self) -> dict[str, Any]:
        """Return the side checks that are still valid for the current session, by side."""
        if self.proposal is not None or self.side_reports_for is None:
            return {}
        if self.side_reports_for != self.session:
            return {}
        return {report.side.name: report for report in self.side_reports}

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        """Draw the Vinyl screen when it is shown after a change; focus each screen's table."""
        pane_id = event.pane.id
        if pane_id == "vinyl":
            if self._vinyl_dirty:
                self.refresh_vinyl()
            columns = self.vinyl_pane.columns()
            if columns:
                self.call_after_refresh(columns[0].table.focus)
            else:
                self.vinyl_pane.focus()
        elif pane_id == "sequence":
            self.sequence_pane.table.focus()
        elif pane_id == "deliver":
            self.show_targets()
            self.call_after_refresh(self.deliver_pane.query_one("#render-all").focus)

    def action_show_tab(self, tab: str) -> None:
        """Show a screen: ``sequence``, ``vinyl`` or ``deliver``."""
        self.query_one(TabbedContent).active = tab

    # ------------------------------------------------------------------ editing

    def edit(self, function: Callable[..., Session], *args: Any, **kwargs: Any) -> bool:
        """Apply an edit to the session, check it against the sources, redraw.

        Parameters
        ----------
        function : callable
            An edit: takes the session first and returns a new one.
        *args, **kwargs
            Its other arguments.

        Returns
        -------
        bool
            Whether the session changed.

        Raises
        ------
        RunoutError
            When the edit is refused (the session stays as it was).
        """
        session = self.session
        if session is None:
            raise SessionError("no session is open")
        new = function(session, *args, **kwargs)
        if new == session:
            return False
        durations = {
            t.id: self.sources[t.id].frames / self.sources[t.id].sample_rate
            for t in new.tracks
            if t.id in self.sources
        }
        if len(durations) == len(new.tracks):
            check_against_sources(new, durations)
        assert self.history is not None
        self.history.push(new)
        self.refresh_all()
        return True

    def try_edit(self, function: Callable[..., Session], *args: Any, **kwargs: Any) -> bool:
        """Like :meth:`edit`, but show a refused edit as a notification."""
        try:
            return self.edit(function, *args, **kwargs)
        except RunoutError as error:
            self.notify(str(error), severity="error", timeout=8)
            return False

    def _selected(self) -> str | None:
        """Return the selected track of the Sequence screen, telling the user when none."""
        if self.session is None:
            self.notify("No session is open.", severity="warning")
            return None
        track_id = self.sequence_pane.selected_track_id()
        if track_id is None:
            self.notify("No track selected.", severity="warning")
        return track_id

    def action_move_up(self) -> None:
        """Move the selected track one place earlier."""
        track_id = self._selected()
        if track_id is not None:
            self.try_edit(edits.move_track_up, track_id)

    def action_move_down(self) -> None:
        """Move the selected track one place later."""
        track_id = self._selected()
        if track_id is not None:
            self.try_edit(edits.move_track_down, track_id)

    def _track_label(self, track_id: str) -> str:
        """Return ``3 "Title"`` for dialogs."""
        assert self.session is not None
        return f'{self.session.position(track_id) + 1} "{self.session.track(track_id).title}"'

    def action_set_pause(self) -> None:
        """Ask for the pause before the selected track (or before the album)."""
        track_id = self._selected()
        if track_id is None or self.session is None:
            return
        session = self.session
        first = session.position(track_id) == 0
        if first:
            value = f"{session.pause_before_first_s:g}"

            def apply(values: dict[str, str]) -> None:
                seconds = _number(values["seconds"], "pause")
                self.edit(edits.set_pause_before_first, seconds)

            hint = "The pause before the first track is the album's lead-in."
        else:
            own = session.track(track_id).pause_before_s
            value = "default" if own is None else f"{own:g}"

            def apply(values: dict[str, str]) -> None:
                text = values["seconds"].strip().lower()
                seconds = None if text in ("", "default") else _number(text, "pause")
                self.edit(edits.set_pause, track_id, seconds)

            hint = (
                f"Seconds, or 'default' for the session's {session.default_pause_s:g} s. "
                "Replaces a crossfade."
            )
        self.push_screen(
            FormDialog(
                f"Pause before {self._track_label(track_id)}",
                [("seconds", "Seconds", value, None)],
                apply,
                hint=hint,
            )
        )

    def action_set_crossfade(self) -> None:
        """Ask for the crossfade into the selected track and its curve."""
        track_id = self._selected()
        if track_id is None or self.session is None:
            return
        session = self.session
        if session.position(track_id) == 0:
            self.notify("The first track has no track to crossfade from.", severity="warning")
            return
        transition = session.transition_into(track_id)
        seconds = f"{transition.seconds:g}" if isinstance(transition, Crossfade) else "3"
        curve = str(transition.curve) if isinstance(transition, Crossfade) else "equal-power"

        def apply(values: dict[str, str]) -> None:
            length = _number(values["seconds"], "crossfade")
            self.edit(edits.set_crossfade, track_id, length, Curve(values["curve"]))

        extra = None
        if isinstance(transition, Crossfade):
            extra = ("Remove", lambda: bool(self.edit(edits.remove_crossfade, track_id)) or None)
        self.push_screen(
            FormDialog(
                f"Crossfade into {self._track_label(track_id)}",
                [
                    ("seconds", "Seconds of overlap", seconds, None),
                    ("curve", "Curve", curve, [(c.value, c.value) for c in Curve]),
                ],
                apply,
                extra=extra,  # type: ignore[arg-type]
            )
        )

    def action_set_offset(self) -> None:
        """Ask for the selected track's offset in LU."""
        track_id = self._selected()
        if track_id is None or self.session is None:
            return
        value = f"{self.session.track(track_id).offset_lu:g}"

        def apply(values: dict[str, str]) -> None:
            self.edit(edits.set_offset, track_id, _number(values["lu"], "offset"))

        self.push_screen(
            FormDialog(
                f"Offset of {self._track_label(track_id)}",
                [("lu", "LU relative to the album (-40 to +20)", value, None)],
                apply,
            )
        )

    def action_set_title(self) -> None:
        """Ask for the selected track's title."""
        track_id = self._selected()
        if track_id is None or self.session is None:
            return

        def apply(values: dict[str, str]) -> None:
            self.edit(edits.set_title, track_id, values["title"])

        self.push_screen(
            FormDialog(
                f"Title of {self._track_label(track_id)}",
                [("title", "Title", self.session.track(track_id).title, None)],
                apply,
            )
        )

    def action_set_isrc(self) -> None:
        """Ask for the selected track's ISRC."""
        track_id = self._selected()
        if track_id is None or self.session is None:
            return
        current = self.session.track(track_id).isrc or ""

        def apply(values: dict[str, str]) -> None:
            text = values["isrc"].strip()
            self.edit(edits.set_isrc, track_id, None if text.lower() in ("", "none") else text)

        self.push_screen(
            FormDialog(
                f"ISRC of {self._track_label(track_id)}",
                [("isrc", "CC-XXX-YY-NNNNN, or empty for none", current, None)],
                apply,
            )
        )

    def action_set_loudness(self) -> None:
        """Ask for the loudness policy: mode, target and ceiling."""
        session = self.session
        if session is None:
            return
        policy = session.loudness

        def apply(values: dict[str, str]) -> None:
            self.edit(
                edits.set_loudness_policy,
                mode=LoudnessMode(values["mode"]),
                target_lufs=_number(values["target"], "target"),
                true_peak_ceiling_dbtp=_number(values["ceiling"], "ceiling"),
            )

        self.push_screen(
            FormDialog(
                "Loudness policy",
                [
                    ("mode", "Mode", str(policy.mode), [(m.value, m.value) for m in LoudnessMode]),
                    ("target", "Target, LUFS", f"{policy.target_lufs:g}", None),
                    (
                        "ceiling",
                        "True-peak ceiling, dBTP",
                        f"{policy.true_peak_ceiling_dbtp:g}",
                        None,
                    ),
                ],
                apply,
            )
        )

    def action_add_tracks(self) -> None:
        """Pick audio files and add them after the selected track."""
        session = self.session
        if session is None or self.session_path is None:
            return
        selected = self.sequence_pane.selected_track_id()
        index = session.position(selected) + 1 if selected else None

        def added(paths: list[Path] | None) -> None:
            if not paths:
                return
            current = self.session
            if current is None:
                return
            new: Session = current
            try:
                for offset, path in enumerate(paths):
                    at = None if index is None else index + offset
                    new = edits.add_track(new, path, index=at)
            except RunoutError as error:
                self.notify(str(error), severity="error")
                return
            self.try_edit(lambda _session: new)
            self.probe()
            self.refresh_all()
            self.start_analysis()

        self.push_screen(AddTracksDialog(self.session_path.parent.resolve()), added)

    def action_remove_track(self) -> None:
        """Remove the selected track after confirmation (its file is untouched)."""
        track_id = self._selected()
        if track_id is None:
            return

        def answered(choice: str | None) -> None:
            if choice == "remove":
                self.try_edit(edits.remove_track, track_id)

        self.push_screen(
            ChoiceDialog(
                f"Remove {self._track_label(track_id)} from the session? "
                "The audio file is not touched; undo brings it back.",
                [("remove", "Remove"), ("cancel", "Cancel")],
            ),
            answered,
        )

    def action_undo(self) -> None:
        """Go back to the session before the last edit."""
        if self.history is None or not self.history.can_undo:
            self.notify("Nothing to undo.")
            return
        self.history.undo()
        self.proposal = None
        self.refresh_all()

    def action_redo(self) -> None:
        """Restore the edit last undone."""
        if self.history is None or not self.history.can_redo:
            self.notify("Nothing to redo.")
            return
        self.history.redo()
        self.proposal = None
        self.refresh_all()

    def action_save(self) -> bool:
        """Save the session (atomic; the previous file is kept as ``.bak``)."""
        session = self.session
        if session is None or self.session_path is None:
            self.notify("No session to save.", severity="warning")
            return False
        try:
            save_session(session, self.session_path)
        except (RunoutError, OSError) as error:
            self.notify(f"Not saved: {error}", severity="error", timeout=10)
            return False
        self.saved = session
        self.refresh_all()
        self.notify(f"Saved {self.session_path.name}")
        return True

    def action_quit(self) -> None:  # type: ignore[override]
        """Quit, asking first when there are unsaved changes."""
        if not self.dirty:
            self.shutdown()
            return

        def answered(choice: str | None) -> None:
            if (choice == "save" and self.action_save()) or choice == "discard":
                self.shutdown()

        self.push_screen(
            ChoiceDialog(
                "The session has unsaved changes. Save them before quitting?",
                [
                    ("save", "Save and quit"),
                    ("discard", "Quit without saving"),
                    ("cancel", "Cancel"),
                ],
            ),
            answered,
        )

    def shutdown(self) -> None:
        """Stop every job and leave."""
        for event in (
            self._analysis_cancel,
            self._job_cancel,
            self._demo_cancel,
            self._audition_cancel,
        ):
            event.set()
        self.exit()

    def action_toggle_theme(self) -> None:
        """Switch between the default dark and light themes."""
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"

    def action_help(self) -> None:
        """Show every key binding."""
        self.push_screen(HelpScreen(self.key_help()))

    def key_help(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """Return the key bindings by screen, for the help."""

        def rows(bindings: Iterable[Any]) -> list[tuple[str, str]]:
            found = []
            for binding in bindings:
                if isinstance(binding, Binding):
                    keys = binding.key.replace("less_than_sign", "<").replace(
                        "greater_than_sign", ">"
                    )
                    keys = keys.replace("question_mark", "?").replace(",", " / ")
                    found.append((keys, binding.description))
            return found

        return [
            ("Everywhere", [*rows(self.BINDINGS), ("ctrl+p", "command palette: every action")]),
            ("1 Sequence", [*rows(SequencePane.BINDINGS), ("enter / click", "select a track")]),
            (
                "2 Vinyl",
                [
                    *rows(VinylPane.BINDINGS),
                    ("enter on a track", "its findings, in full below the list"),
                    ("enter on a finding", "jump to its track"),
                ],
            ),
            ("3 Deliver", rows(DeliverPane.BINDINGS)),
        ]

    # ------------------------------------------------------------------ command palette

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Every action of the app, by name, in the command palette."""
        yield from super().get_system_commands(screen)
        commands: list[tuple[str, str, Callable[[], Any]]] = [
            (
                "Show Sequence",
                "the running order and the album panel",
                lambda: self.action_show_tab("sequence"),
            ),
            ("Show Vinyl", "the sides", lambda: self.action_show_tab("vinyl")),
            ("Show Deliver", "render the deliverables", lambda: self.action_show_tab("deliver")),
            ("Move track up", "one place earlier in the running order", self.action_move_up),
            ("Move track down", "one place later", self.action_move_down),
            ("Set pause", "the pause before the selected track", self.action_set_pause),
            (
                "Set crossfade",
                "crossfade into the selected track, with its curve",
                self.action_set_crossfade,
            ),
            ("Set offset", "the selected track's level in LU", self.action_set_offset),
            ("Set title", "the selected track's title", self.action_set_title),
            ("Set ISRC", "the selected track's ISRC", self.action_set_isrc),
            ("Add tracks", "audio files after the selected track", self.action_add_tracks),
            ("Remove track", "the selected track (audio untouched)", self.action_remove_track),
            ("Loudness policy", "mode, target and ceiling", self.action_set_loudness),
            ("Audition seam", "play the transition into the selected track", self.action_audition),
            ("Stop audition", "stop the player", self.action_stop_audition),
            ("Propose split", "an automatic vinyl side split", self.action_propose_split),
            ("Accept split", "keep the proposed sides", self.action_accept_split),
            ("Dismiss split", "forget the proposed sides", self.action_dismiss_split),
            ("Move to previous side", "the selected vinyl track", self.action_side_previous),
            ("Move to next side", "the selected vinyl track", self.action_side_next),
            ("Check sides", "groove space, low end, sibilance, peaks", self.action_check_sides),
            ("Render everything", "digital files, side files, cut sheet", self.action_render_all),
            (
                "Render digital deliverables",
                "album file, per-track files, manifest",
                lambda: self.action_render("digital"),
            ),
            ("Render side files", "one file per vinyl side", lambda: self.action_render("sides")),
            (
                "Write cut sheet",
                "the PDF for the cutting engineer",
                lambda: self.action_render("cutsheet"),
            ),
            ("Cancel jobs", "stop the running render or check", self.action_cancel_jobs),
            ("Undo", "the last edit", self.action_undo),
            ("Redo", "the last undone edit", self.action_redo),
            ("Save", "the session (atomic)", self.action_save),
            ("Toggle light/dark", "switch the theme", self.action_toggle_theme),
            ("Key help", "every key binding", self.action_help),
        ]
        for title, help_text, callback in commands:
            yield SystemCommand(title, help_text, callback)

    # ------------------------------------------------------------------ analysis

    def start_analysis(self) -> None:
        """Analyse every source not analysed yet, in the background."""
        session = self.session
        if session is None:
            return
        readable = dict.fromkeys(t.path.resolve() for t in session.tracks if t.id in self.sources)
        paths = [path for path in readable if str(path) not in self.analyses]
        bar = self.sequence_pane.query_one("#analysis-bar", ProgressBar)
        if not paths:
            bar.display = False
            return
        bar.display = True
        self.analysis_running = True
        self.analyse(paths)

    @work(thread=True, exclusive=True, group="analysis", exit_on_error=False)
    def analyse(self, paths: list[Path]) -> None:
        """Analyse sources in a worker, posting each track's analysis as it finishes."""

        def progress(done: int, total: int, finished: int, count: int) -> None:
            what = f"analysed {finished} of {count}"
            self.post_message(JobProgressed("analysis", done, total, what))

        def arrived(path: Path, analysis: TrackAnalysis) -> None:
            self.post_message(TrackAnalysed(str(path), analysis))

        try:
            analyse_sources(
                paths,
                cache=self.cache,
                workers=self.analysis_workers,
                progress=progress,
                cancel=self._analysis_cancel,
                on_result=arrived,
            )
        except Cancelled:
            return
        except RunoutError as error:  # the first source that failed; the others are in
            self.post_message(AnalysisFailed(error))
        self.post_message(AnalysisFinished(len(paths)))

    def on_track_analysed(self, message: TrackAnalysed) -> None:
        """Fill in the values of the track just analysed."""
        self.analyses[message.path] = message.analysis
        # One redraw for the analyses that arrived together (queued before the callback).
        if not self._analysed_refresh_pending:
            self._analysed_refresh_pending = True
            self.call_later(self._refresh_after_analysis)

    def _refresh_after_analysis(self) -> None:
        """Redraw with the analyses that arrived."""
        self._analysed_refresh_pending = False
        self.refresh_all()

    def on_analysis_failed(self, message: AnalysisFailed) -> None:
        """Say which source could not be analysed."""
        self.notify(f"Analysis: {message.error}", severity="error", timeout=10)

    def on_analysis_finished(self, message: AnalysisFinished) -> None:
        """Hide the analysis bar."""
        self.analysis_running = False
        self.sequence_pane.query_one("#analysis-bar", ProgressBar).display = False

    # ------------------------------------------------------------------ demo

    @work(thread=True, exclusive=True, group="demo", exit_on_error=False)
    def build_demo(self, directory: Path) -> None:
        """Generate the demo album and session in a worker."""
        from samples.demo_session import build_demo

        def progress(done: int, total: int) -> None:
            self.post_message(JobProgressed("demo", done, total, "making the demo album"))

        try:
            path = build_demo(directory, progress=progress, cancel=self._demo_cancel)
        except (RunoutError, OSError) as error:
            self.post_message(DemoFailed(error))
            return
        self.post_message(DemoBuilt(path))

    def cancel_demo(self) -> None:
        """Stop building the demo album."""
        self._demo_cancel.set()

    def on_demo_built(self, message: DemoBuilt) -> None:
        """Open the demo session."""
        if isinstance(self.screen, BuildingScreen):
            self.pop_screen()
        self.session_path = message.session_path
        self.open_session()

    def on_demo_failed(self, message: DemoFailed) -> None:
        """Say why there is no demo."""
        if isinstance(self.screen, BuildingScreen):
            self.pop_screen()
        if isinstance(message.error, Cancelled):
            self.load_error = "Making the demo album was cancelled (files made so far are kept)."
        else:
            self.load_error = f"Cannot make the demo album: {message.error}"
        self._show_load_error()

    # ------------------------------------------------------------------ progress

    def on_job_progressed(self, message: JobProgressed) -> None:
        """Move the bar of the job that reported."""
        if message.job == "analysis":
            bar = self.sequence_pane.query_one("#analysis-bar", ProgressBar)
            bar.update(total=message.total or None, progress=message.done)
        elif message.job == "demo":
            if isinstance(self.screen, BuildingScreen):
                self.screen.query_one("#demo-bar", ProgressBar).update(
                    total=message.total or None, progress=message.done
                )
        elif message.job == "check":
            self.vinyl_pane.query_one("#vinyl-summary").update(  # type: ignore[attr-defined]
                f"  checking the sides… {100 * message.done / (message.total or 1):.0f} %"
            )
        else:
            row = self.deliver_pane.row(message.job)
            row.set_progress(message.done, message.total)
            row.set_status(Text(message.what or "working…"))
            self.job_progress[message.job] = (
                100.0 * message.done / message.total if message.total else 0.0
            )

    # ------------------------------------------------------------------ vinyl

    def _vinyl_selection(self) -> tuple[str, str, list[str]] | None:
        """Return the selected vinyl track, its side and the side names (from the session)."""
        session = self.session
        if session is None:
            return None
        if self.proposal is not None:
            self.notify("Accept (y) or dismiss (n) the proposed split first.", severity="warning")
            return None
        pane = self.vinyl_pane
        track_id = pane.selected_track_id()
        names = [side.name for side in session.vinyl.sides]
        if track_id is None or pane.current_side not in names:
            self.notify("Select a track on a side first.", severity="warning")
            return None
        return track_id, pane.current_side, names

    def _after_side_edit(self, side: str, track_id: str) -> None:
        """Redraw the Vinyl screen and keep the moved track selected."""
        self.refresh_vinyl()
        pane = self.vinyl_pane
        self.call_after_refresh(pane.focus_side, [], side, track_id)

    def _move_to_side(self, step: int) -> None:
        """Move the selected vinyl track to the previous (-1) or next (+1) side."""
        selection = self._vinyl_selection()
        if selection is None or self.session is None:
            return
        track_id, side, names = selection
        index = names.index(side) + step
        if not 0 <= index < len(names):
            self.notify("There is no side there.", severity="warning")
            return
        target = names[index]
        position = 0 if step > 0 else None  # next side: at its start; previous: at its end
        if self.try_edit(edits.assign_side, track_id, target, position):
            self._after_side_edit(target, track_id)

    def action_side_previous(self) -> None:
        """Move the selected vinyl track to the end of the previous side."""
        self._move_to_side(-1)

    def action_side_next(self) -> None:
        """Move the selected vinyl track to the start of the next side."""
        self._move_to_side(+1)

    def _move_within_side(self, step: int) -> None:
        """Move the selected vinyl track earlier (-1) or later (+1) on its side."""
        selection = self._vinyl_selection()
        if selection is None or self.session is None:
            return
        track_id, side, _names = selection
        ids = next(s.track_ids for s in self.session.vinyl.sides if s.name == side)
        index = ids.index(track_id) + step
        if not 0 <= index < len(ids):
            return
        if self.try_edit(edits.assign_side, track_id, side, index):
            self._after_side_edit(side, track_id)

    def action_side_up(self) -> None:
        """Move the selected vinyl track one place earlier on its side."""
        self._move_within_side(-1)

    def action_side_down(self) -> None:
        """Move the selected vinyl track one place later on its side."""
        self._move_within_side(+1)

    def change_format(self, format_id: str) -> None:
        """Choose the disc format (an undoable edit).

        Parameters
        ----------
        format_id : str
            The format's id.
        """
        session = self.session
        if session is None or session.vinyl.disc_format == format_id:
            return
        self.proposal = None
        self.try_edit(edits.set_vinyl, disc_format=format_id)
        self.refresh_vinyl()

    def action_propose_split(self) -> None:
        """Propose the fewest balanced sides for the running order (shown, not applied)."""
        session = self.session
        if session is None:
            return
        from vinyl.sides import propose_split

        try:
            self.proposal = propose_split(session, self.sources)
        except RunoutError as error:
            self.notify(str(error), severity="error")
            return
        self.action_show_tab("vinyl")
        self.refresh_vinyl()

    def action_accept_split(self) -> None:
        """Make the proposed split the session's sides."""
        proposal = self.proposal
        if proposal is None:
            self.notify("No split proposed: press s first.")
            return
        from vinyl.sides import apply_proposal

        self.proposal = None
        if not self.try_edit(apply_proposal, proposal):
            self.refresh_vinyl()
            return
        self.refresh_vinyl()
        self.notify("Split accepted: the sides are in the session (ctrl+z undoes).")

    def action_dismiss_split(self) -> None:
        """Forget the proposed split."""
        if self.proposal is None:
            return
        self.proposal = None
        self.refresh_vinyl()

    def action_check_sides(self) -> None:
        """Check the session's sides in the background (groove space and findings)."""
        session = self.session
        if session is None:
            return
        analyses = self.analyses_by_id(session)
        on_sides = [t for side in session.vinyl.sides for t in side.track_ids]
        if not on_sides:
            self.notify("No sides yet: propose a split (s) and accept it (y).", severity="warning")
            return
        if any(t not in analyses for t in on_sides):
            self.notify("Wait for the analysis to finish, then check the sides.")
            return
        self.notify("Checking the sides in the background…")
        self._job_cancel.clear()
        self.run_check(session, dict(self.sources), analyses)

    @work(thread=True, exclusive=True, group="check", exit_on_error=False)
    def run_check(
        self, session: Session, sources: dict[str, SourceInfo], analyses: dict[str, TrackAnalysis]
    ) -> None:
        """Run the side checks in a worker."""

        def progress(done: float, total: float, what: str) -> None:
            self.post_message(JobProgressed("check", done, total, what))

        from vinyl.workflow import check_vinyl, plan_vinyl

        try:
            reports = check_vinyl(
                session,
                plan_vinyl(session, sources),
                analyses=analyses,
                progress=progress,
                cancel=self._job_cancel,
            )
        except (RunoutError, OSError) as error:
            self.post_message(JobFailed("check", error))
            return
        self.post_message(SidesChecked(reports, session))

    def on_sides_checked(self, message: SidesChecked) -> None:
        """Show the verdicts and findings of the side checks."""
        self.side_reports = message.reports
        self.side_reports_for = message.session
        self.refresh_vinyl()
        self.notify("Sides checked: " + "; ".join(r.summary for r in message.reports), timeout=8)

    # ------------------------------------------------------------------ audition

    def action_audition(self) -> None:
        """Render the seam into the selected track and play it."""
        track_id = self._selected()
        session = self.session
        if track_id is None or session is None:
            return
        if self.player is None:
            self.notify(players.NO_PLAYER, severity="warning", timeout=10)
            return
        if session.position(track_id) == 0:
            self.notify("The first track has no seam before it: select a later track.")
            return
        self._audition_cancel.set()
        self._audition_cancel = threading.Event()
        plan = self.view.plan if self.view is not None else None
        self.notify("Rendering the seam…", timeout=3)
        self.run_audition(session, dict(self.sources), track_id, plan, self._audition_cancel)

    def action_stop_audition(self) -> None:
        """Stop the player."""
        self._audition_cancel.set()

    @work(thread=True, exclusive=False, group="audition", exit_on_error=False)
    def run_audition(
        self,
        session: Session,
        sources: dict[str, SourceInfo],
        track_id: str,
        plan: Any,
        cancel: threading.Event,
    ) -> None:
        """Render and play the seam in a worker."""
        assert self.player is not None
        from sequencer.audition import render_seam

        try:
            seam = render_seam(session, sources, track_id, plan=plan, cancel=cancel)
        except Cancelled:
            return
        except (RunoutError, OSError) as error:
            self.post_message(AuditionFailed(f"cannot render the seam: {error}"))
            return
        what = f"{seam.description} with {self.player[0]}"
        self.post_message(AuditionStarted(what))
        try:
            players.play(self.player, seam.path, cancel)
        except RunoutError as error:
            self.post_message(AuditionFailed(str(error)))
            return
        finally:
            seam.path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                seam.path.parent.rmdir()
        self.post_message(AuditionFinished(what))

    def on_audition_started(self, message: AuditionStarted) -> None:
        """Say what is playing."""
        self.notify(f"Playing {message.description}", timeout=5)

    def on_audition_finished(self, message: AuditionFinished) -> None:
        """Say the audition ended."""
        self.notify("Audition finished.", timeout=3)

    def on_audition_failed(self, message: AuditionFailed) -> None:
        """Say why nothing plays."""
        self.notify(f"Audition: {message.reason}", severity="error", timeout=10)

    # ------------------------------------------------------------------ deliver

    def _relative(self, path: Path) -> str:
        """Return *path* relative to the session's folder when inside it."""
        if self.session_path is None:
            return str(path)
        try:
            return str(path.relative_to(self.session_path.parent))
        except ValueError:
            return str(path)

    def targets(self) -> dict[str, Path]:
        """Return where each Deliver job writes (the command line's places and names).

        The cut sheet's name comes from :mod:`vinyl.cutsheet`, which loads
        reportlab (seconds on a busy machine): until that module is loaded, in
        the background once the Deliver screen is first shown, the cut sheet's
        target is the vinyl folder it is written to.
        """
        assert self.session_path is not None
        assert self.session is not None
        vinyl = jobs.vinyl_folder(self.session_path)
        loaded = "vinyl.cutsheet" in sys.modules
        return {
            "digital": jobs.digital_folder(self.session_path, self.deliver_pane.preset),
            "sides": vinyl,
            "cutsheet": jobs.cutsheet_path(self.session_path, self.session) if loaded else vinyl,
        }

    def show_targets(self) -> None:
        """Show where the Deliver jobs write (before they run)."""
        if self.session_path is None or self.session is None or self.job_running is not None:
            return
        for job, path in self.targets().items():
            if job not in self.job_results:
                text = self._relative(path) + ("" if path.suffix == ".pdf" else "/")
                if job == "cutsheet":
                    text += "" if path.suffix == ".pdf" else " (beside the side files)"
                self.deliver_pane.row(job).set_target(text)
        if "vinyl.cutsheet" not in sys.modules:
            self.load_cutsheet_module()

    @work(thread=True, exclusive=True, group="imports", exit_on_error=False)
    def load_cutsheet_module(self) -> None:
        """Import the cut sheet module off the interface's thread, then name the sheet."""
        import vinyl.cutsheet  # noqa: F401

        self.call_from_thread(self.show_targets)

    def action_render(self, job: str) -> None:
        """Run one Deliver job: ``digital``, ``sides`` or ``cutsheet``."""
        self.action_show_tab("deliver")
        self._start_jobs([job])

    def action_render_all(self) -> None:
        """Render the digital deliverables, the side files and the cut sheet, in turn."""
        self.action_show_tab("deliver")
        self._start_jobs([job for job, _title, _key in JOBS])

    def _start_jobs(self, names: list[str]) -> None:
        """Start Deliver jobs in one worker, unless one runs."""
        session = self.session
        if session is None or self.session_path is None:
            return
        if self.job_running is not None:
            self.notify(f"Wait: {self.job_running} is running (escape cancels it).")
            return
        analyses = self.analyses_by_id(session)
        if any(t not in analyses for t in session.order):
            self.notify("Wait for the analysis to finish before rendering.", severity="warning")
            return
        self.probe()
        self._job_cancel = threading.Event()
        self.job_running = names[0]
        for name in names:
            self.job_results.pop(name, None)
            self.job_progress[name] = 0.0
            row = self.deliver_pane.row(name)
            row.set_progress(0, 1)  # 0 %, not the "unknown" pulse, while it waits
            row.set_status(Text("waiting…", style="dim"))
        self.run_jobs(session, names, self.targets(), analyses, self.deliver_pane.preset)

    def action_cancel_jobs(self) -> None:
        """Cancel the running render or side check."""
        if self.job_running is None and not self.workers_running("check"):
            return
        self._job_cancel.set()
        self.notify("Cancelling…")

    def workers_running(self, group: str) -> bool:
        """Whether a worker of *group* is running."""
        return any(w.group == group and w.is_running for w in self.workers)

    @work(thread=True, exclusive=True, group="deliver", exit_on_error=False)
    def run_jobs(
        self,
        session: Session,
        names: list[str],
        targets: dict[str, Path],
        analyses: dict[str, TrackAnalysis],
        preset: str | None,
    ) -> None:
        """Run Deliver jobs one after another in a worker."""
        cancel = self._job_cancel
        vinyl_result = None
        if self.last_vinyl is not None and self.last_vinyl[0] == session:
            vinyl_result = self.last_vinyl[1]
        for name in names:
            self.call_from_thread(setattr, self, "job_running", name)

            def progress(done: float, total: float, what: str, name: str = name) -> None:
                self.post_message(JobProgressed(name, done, total, what))

            try:
                if name == "digital":
                    result: Any = jobs.render_digital(
                        session,
                        targets["digital"],
                        preset,
                        analyses,
                        progress=progress,
                        cancel=cancel,
                    )
                elif name == "sides":
                    result = jobs.render_sides(
                        session, targets["sides"], analyses, progress=progress, cancel=cancel
                    )
                    vinyl_result = result
                else:
                    # The cut sheet names the side files and their checksums: it is
                    # written with them (as by `runout vinyl`), so the side job makes it.
                    sheet = vinyl_result.cutsheet if vinyl_result is not None else None
                    if sheet is None or not sheet.is_file():
                        progress(0, 1, "making the side files and the cut sheet")
                        vinyl_result = jobs.render_sides(
                            session, targets["sides"], analyses, progress=progress, cancel=cancel
                        )
                        self.post_message(JobFinished("sides", vinyl_result))
                    assert vinyl_result is not None
                    result = vinyl_result.cutsheet
                    progress(1, 1, "written")
            except Cancelled as error:
                self.post_message(JobFailed(name, error))
                break
            except (RunoutError, OSError, ValueError) as error:
                self.post_message(JobFailed(name, error))
                continue
            except Exception as error:
                logger.exception("the %s job failed", name)
                self.post_message(JobFailed(name, error))
                continue
            if name == "sides" or (name == "cutsheet" and vinyl_result is not None):
                self.call_from_thread(setattr, self, "last_vinyl", (session, vinyl_result))
            self.post_message(JobFinished(name, result))
        self.call_from_thread(setattr, self, "job_running", None)

    def on_job_finished(self, message: JobFinished) -> None:
        """Say where the files were written."""
        self.job_results[message.job] = message.result
        if message.job not in dict((j, j) for j, _t, _k in JOBS):
            return
        row = self.deliver_pane.row(message.job)
        row.set_progress(1, 1)
        self.job_progress[message.job] = 100.0
        result = message.result
        text = Text("✔ ", style="bold green")
        if message.job == "digital":
            count = 1 + len(result.track_files)
            text.append(f"{count} files, manifest")
            if result.cue_file is not None:
                text.append(", CUE")
            text.append(f" in {self._relative(result.directory)}/  ")
            text.append(result.plan.summary().split(". ")[0], style="dim")
        elif message.job == "sides":
            files = result.files.files
            text.append(
                f"{len(files)} side files in {self._relative(Path(result.files.manifest).parent)}/"
            )
            errors = sum(1 for f in result.findings if f.severity == "error")
            if errors:
                noun = "finding" if errors == 1 else "findings"
                text.append(f"  {errors} error {noun} (see Vinyl)", style="yellow")
            session = self.last_vinyl[0] if self.last_vinyl else None
            if session is not None:
                self.side_reports = tuple(result.reports)
                self.side_reports_for = session
                self._vinyl_dirty = True
            if result.cutsheet is not None:
                self._show_cutsheet(result.cutsheet)
        else:
            self._show_cutsheet(Path(result))
            return
        row.set_status(text)

    def _show_cutsheet(self, path: Path) -> None:
        """Show the cut sheet as written (it comes with the side files)."""
        self.job_results["cutsheet"] = path
        self.job_progress["cutsheet"] = 100.0
        row = self.deliver_pane.row("cutsheet")
        row.set_progress(1, 1)
        text = Text("✔ ", style="bold green")
        text.append(f"written with the side files: {self._relative(path)}")
        row.set_status(text)

    def on_job_failed(self, message: JobFailed) -> None:
        """Show a job's error in the app (never a crash)."""
        error = message.error
        if message.job == "check":
            self.notify(f"Side check: {error}", severity="error", timeout=10)
            self._vinyl_dirty = True
            self.refresh_vinyl()
            return
        row = self.deliver_pane.row(message.job)
        if isinstance(error, Cancelled):
            row.set_status(Text("cancelled: nothing left under a final name", style="yellow"))
        else:
            row.set_status(Text(f"✖ {error}", style="bold red"))
            self.notify(f"{message.job}: {error}", severity="error", timeout=10)


def run_app(session_path: Path | None, *, demo_dir: Path = Path("runout-demo")) -> int:
    """Open the app on a session, or on the demo (built first when needed).

    Parameters
    ----------
    session_path : Path or None
        The session file; None opens the demo session in *demo_dir*.
    demo_dir : Path, optional
        The demo folder (``./runout-demo`` by default).

    Returns
    -------
    int
        The exit status (0).
    """
    app = RunoutApp(session_path, demo_dir=None if session_path else demo_dir)
    app.run()
    return 0
