"""The Deliver screen: digital deliverables, side files and cut sheet, each with progress."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Label, ProgressBar, Select, Static

__all__ = ["JOBS", "PRESET_CHOICES", "DeliverPane", "JobRow"]

#: The Deliver screen's jobs: id, title, key.
JOBS = (
    ("digital", "Digital deliverables", "d"),
    ("sides", "Vinyl side files", "v"),
    ("cutsheet", "Cut sheet (PDF)", "k"),
)

PRESET_CHOICES = [
    ("the session's delivery settings", "session"),
    ("CD: 44.1 kHz / 16-bit WAV + CUE", "cd"),
    ("Streaming: 24-bit at the master rate", "streaming"),
    ("Hi-res: 24-bit FLAC", "hires"),
]


class JobRow(Vertical):
    """One deliverable: its button, progress bar and status line.

    Parameters
    ----------
    job : str
        The job's id.
    title : str
        What it makes.
    key : str
        Its key.
    """

    def __init__(self, job: str, title: str, key: str) -> None:
        super().__init__(classes="job", id=f"job-{job}")
        self.job = job
        self._title = title
        self._key = key

    def compose(self) -> ComposeResult:
        """Button and bar on one line, status below."""
        with Horizontal(classes="job-line"):
            yield Button(f"{self._title} ({self._key})", id=f"run-{self.job}", compact=True)
            yield ProgressBar(total=1, id=f"bar-{self.job}", show_eta=False)
        yield Static("", id=f"status-{self.job}", classes="job-status")

    def set_target(self, text: str) -> None:
        """Show where the job writes, before it runs.

        Parameters
        ----------
        text : str
            The folder or file, relative to the session's folder.
        """
        self.query_one(f"#status-{self.job}", Static).update(Text(f"→ {text}", style="dim"))

    def set_status(self, text: Text | str) -> None:
        """Show the job's status line.

        Parameters
        ----------
        text : Text or str
            What happened.
        """
        self.query_one(f"#status-{self.job}", Static).update(text)

    def set_progress(self, done: float, total: float) -> None:
        """Move the bar.

        Parameters
        ----------
        done : float
            Work done.
        total : float
            Work in all (0: unknown).
        """
        bar = self.query_one(f"#bar-{self.job}", ProgressBar)
        bar.update(total=total or None, progress=done)

    @property
    def percent(self) -> float | None:
        """The bar's completion from 0 to 100, or None when indeterminate."""
        bar = self.query_one(f"#bar-{self.job}", ProgressBar)
        return None if bar.percentage is None else 100.0 * bar.percentage


class DeliverPane(VerticalScroll):
    """Render the digital deliverables, the side files and the cut sheet."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "app.render_all", "Render everything"),
        Binding("d", "app.render('digital')", "Digital", show=False),
        Binding("v", "app.render('sides')", "Side files", show=False),
        Binding("k", "app.render('cutsheet')", "Cut sheet", show=False),
        Binding("escape", "app.cancel_jobs", "Cancel"),
    ]

    def compose(self) -> ComposeResult:
        """Preset, the three jobs, the buttons."""
        with Horizontal(id="preset-line"):
            yield Label("Digital preset ")
            yield Select(
                PRESET_CHOICES, value="session", allow_blank=False, id="preset", compact=True
            )
        for job, title, key in JOBS:
            yield JobRow(job, title, key)
        with Horizontal(id="deliver-buttons"):
            yield Button("Render everything (r)", id="render-all", variant="primary", compact=True)
            yield Button("Cancel (esc)", id="cancel-jobs", variant="error", compact=True)
        yield Static("", id="deliver-note")

    def row(self, job: str) -> JobRow:
        """Return the row of a job.

        Parameters
        ----------
        job : str
            The job's id.

        Returns
        -------
        JobRow
            Its row.
        """
        return self.query_one(f"#job-{job}", JobRow)

    @property
    def preset(self) -> str | None:
        """The chosen digital preset, None for the session's own settings."""
        value = self.query_one("#preset", Select).value
        return None if value in ("session", Select.NULL) else str(value)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Run or cancel jobs."""
        event.stop()
        button = event.button.id or ""
        app: Any = self.app
        if button == "render-all":
            app.action_render_all()
        elif button == "cancel-jobs":
            app.action_cancel_jobs()
        elif button.startswith("run-"):
            app.action_render(button.removeprefix("run-"))

    def on_select_changed(self, event: Select.Changed) -> None:
        """Show where the digital files go under the new preset."""
        event.stop()
        show_targets = getattr(self.app, "show_targets", None)
        if show_targets is not None:
            show_targets()
