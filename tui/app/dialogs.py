"""Modal dialogs: values to type, choices to confirm, files to add, the key help.

A dialog never edits the session itself: it calls the ``apply`` function the
screen gave it, which runs an edit from :mod:`sequencer.edits` through the app.
When the edit is refused, the dialog stays open and shows why.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, DirectoryTree, Input, Label, Select, Static

from sequencer.errors import RunoutError

__all__ = [
    "AUDIO_SUFFIXES",
    "AddTracksDialog",
    "ChoiceDialog",
    "FormDialog",
    "HelpScreen",
]

#: File name endings the file picker shows.
AUDIO_SUFFIXES = (".wav", ".wave", ".flac", ".aif", ".aiff", ".ogg", ".mp3")

#: A field of a form: (key, label, initial value, choices or None for free text).
Field = tuple[str, str, str, list[tuple[str, str]] | None]


class FormDialog(ModalScreen[bool]):
    """A small form: one or more values, applied by a callback that may refuse them.

    Parameters
    ----------
    title : str
        What is being edited, e.g. ``Pause before 3 "Dead Wax"``.
    fields : iterable of Field
        The fields: key, label, initial text, and the choices of a select (or None).
    apply : callable
        Called with the values by key; raises :class:`ValueError` or
        :class:`~sequencer.errors.RunoutError` with a message to refuse them.
    hint : str, optional
        A line under the title.
    extra : tuple of (str, callable), optional
        A third button (label, action) such as "Remove crossfade".
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    # The first field has the focus as soon as the form is composed, before it is
    # mounted; the keys that open a form are priority bindings (see SequencePane),
    # so the app waits for that mount before it routes the next key.
    AUTO_FOCUS = "Input, Select"

    def __init__(
        self,
        title: str,
        fields: Iterable[Field],
        apply: Callable[[dict[str, str]], None],
        *,
        hint: str = "",
        extra: tuple[str, Callable[[], None]] | None = None,
    ) -> None:
        super().__init__()
        self._title = title
        self._fields = list(fields)
        self._apply = apply
        self._hint = hint
        self._extra = extra

    def compose(self) -> ComposeResult:
        """Lay out the title, the fields, the error line and the buttons."""
        with Vertical(classes="dialog"):
            yield Label(self._title, classes="dialog-title")
            if self._hint:
                yield Static(self._hint, classes="dialog-hint")
            for key, label, value, choices in self._fields:
                yield Label(label)
                if choices is None:
                    yield Input(value=value, id=f"field-{key}", select_on_focus=True)
                else:
                    yield Select(choices, value=value, allow_blank=False, id=f"field-{key}")
            yield Static("", id="dialog-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("OK", variant="primary", id="ok")
                if self._extra is not None:
                    yield Button(self._extra[0], id="extra")
                yield Button("Cancel", id="cancel")

    def values(self) -> dict[str, str]:
        """Return the values typed or chosen, by key."""
        result: dict[str, str] = {}
        for key, _label, _value, choices in self._fields:
            if choices is None:
                result[key] = self.query_one(f"#field-{key}", Input).value
            else:
                result[key] = str(self.query_one(f"#field-{key}", Select).value)
        return result

    def submit(self) -> None:
        """Apply the values; close when accepted, show the reason when refused."""
        try:
            self._apply(self.values())
        except (ValueError, RunoutError) as error:
            self.query_one("#dialog-error", Static).update(str(error))
            return
        self.dismiss(True)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in a field submits the form."""
        event.stop()
        self.submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """OK applies, the extra button runs its action, Cancel closes."""
        event.stop()
        if event.button.id == "ok":
            self.submit()
        elif event.button.id == "extra" and self._extra is not None:
            try:
                self._extra[1]()
            except RunoutError as error:
                self.query_one("#dialog-error", Static).update(str(error))
                return
            self.dismiss(True)
        else:
            self.dismiss(False)

    def action_cancel(self) -> None:
        """Close without applying."""
        self.dismiss(False)


class ChoiceDialog(ModalScreen[str]):
    """A question with a few answers, e.g. save before quitting.

    Parameters
    ----------
    question : str
        The question.
    choices : iterable of (str, str)
        Button id and label, in order; the first is the default.
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str, choices: Iterable[tuple[str, str]]) -> None:
        super().__init__()
        self._question = question
        self._choices = list(choices)

    def compose(self) -> ComposeResult:
        """Lay out the question and one button per answer."""
        with Vertical(classes="dialog"):
            yield Static(self._question, classes="dialog-title")
            with Horizontal(classes="dialog-buttons"):
                for index, (key, label) in enumerate(self._choices):
                    yield Button(label, id=key, variant="primary" if index == 0 else "default")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Answer with the button's id."""
        event.stop()
        self.dismiss(event.button.id or "cancel")

    def action_cancel(self) -> None:
        """Escape answers ``cancel``."""
        self.dismiss("cancel")


class _AudioTree(DirectoryTree):
    """A directory tree showing folders and audio files only."""

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        """Keep folders and audio files; hide dot files."""
        return [
            p
            for p in paths
            if not p.name.startswith(".") and (p.is_dir() or p.suffix.lower() in AUDIO_SUFFIXES)
        ]


class AddTracksDialog(ModalScreen[list[Path]]):
    """Pick audio files to add: browse with the tree or type a path.

    Parameters
    ----------
    folder : Path
        Where browsing starts (the session's folder).
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self._folder = folder
        self._picked: list[Path] = []

    def compose(self) -> ComposeResult:
        """Lay out the tree, the path field, the picked list and the buttons."""
        with Vertical(classes="dialog dialog-wide"):
            yield Label("Add tracks: select audio files (enter), then Add", classes="dialog-title")
            yield _AudioTree(self._folder, id="tree")
            yield Input(placeholder="or type a path and press enter", id="path")
            yield Static("nothing picked yet", id="picked")
            yield Static("", id="dialog-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Add", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    def _pick(self, path: Path) -> None:
        """Add a file to the picked list."""
        error = self.query_one("#dialog-error", Static)
        if not path.is_file():
            error.update(f"{path} is not a file")
            return
        if path.suffix.lower() not in AUDIO_SUFFIXES:
            error.update(f"{path.name} does not look like audio ({', '.join(AUDIO_SUFFIXES)})")
            return
        error.update("")
        if path not in self._picked:
            self._picked.append(path)
        self.query_one("#picked", Static).update(
            "picked: " + ", ".join(p.name for p in self._picked)
        )

    def on_directory_tree_file_selected(self, event: DirectoryTree.FileSelected) -> None:
        """Pick a file chosen in the tree."""
        event.stop()
        self._pick(Path(event.path))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Pick a typed path."""
        event.stop()
        if event.value.strip():
            self._pick(Path(event.value.strip()).expanduser())
            event.input.value = ""

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Add returns the picked files; Cancel returns none."""
        event.stop()
        self.dismiss(list(self._picked) if event.button.id == "ok" else [])

    def action_cancel(self) -> None:
        """Close without adding."""
        self.dismiss([])


class HelpScreen(ModalScreen[None]):
    """The key bindings of every screen (``?``).

    Parameters
    ----------
    sections : iterable of (str, iterable of (str, str))
        Section titles with their (keys, description) pairs.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close"),
    ]

    def __init__(self, sections: Iterable[tuple[str, Iterable[tuple[str, str]]]]) -> None:
        super().__init__()
        self._sections = [(title, list(rows)) for title, rows in sections]

    def compose(self) -> ComposeResult:
        """One block per section."""
        with VerticalScroll(classes="dialog dialog-wide", id="help"):
            yield Label(
                "Keys  (escape closes; ctrl+p finds any action by name)", classes="dialog-title"
            )
            for title, rows in self._sections:
                lines = "\n".join(f"  {keys:<22} {text}" for keys, text in rows)
                yield Static(f"[b]{title}[/b]\n{lines}", markup=True)

    def action_close(self) -> None:
        """Close the help."""
        self.dismiss(None)
