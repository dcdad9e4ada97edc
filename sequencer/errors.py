"""One exception family whose messages are written for the user.

The command line prints ``str(error)`` without a traceback and exits non-zero;
the TUI shows the same text in a notification.
"""


class RunoutError(Exception):
    """Base class of every error runout reports to the user."""


class SessionError(RunoutError):
    """A session file or a session value is invalid (names the file or field)."""


class AudioError(RunoutError):
    """A source audio file cannot be read or is not usable (names the file)."""


class AnalysisError(RunoutError):
    """The analysis of a source failed for a reason other than unreadable audio."""


class Cancelled(RunoutError):
    """A long job was cancelled by the user before it finished."""


class RenderError(RunoutError):
    """Rendering or writing an output file failed (names the file)."""
