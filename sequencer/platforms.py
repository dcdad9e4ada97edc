"""Streaming platforms' loudness normalisation, as editable data, and a preview of it.

:data:`PLATFORMS` holds one :class:`Platform` per service with the reference
levels listed in ``/work/shared/domain/loudness.md`` ("Delivery targets":
Spotify -14 LUFS, Apple Music -16, YouTube -14, Amazon Music -14, Tidal -14,
Deezer -15). Platforms change their rules and publish few of them, so each
record says where its behaviour comes from in ``source``; where nothing was
published the record says "assumed" and takes the cautious reading (a platform
that may not raise quiet music is assumed not to). Edit the records, not the code.

Assumptions of the preview (:func:`platform_preview`):

- Loudness is ITU-R BS.1770 integrated loudness, as runout measures it. Some
  services use their own measures (Apple's Sound Check, ReplayGain-like
  algorithms); their gains can differ by a dB or so.
- The loudness a platform sees is the plan's loudness after the gains, before
  the limiter (which takes a few hundredths of a LU more off limited tracks).
- The true peak a platform sees is the plan's true peak after the gains, or the
  ceiling where the limiter runs.
- In album playback a platform with an album mode applies one gain to every
  track, from the album's integrated loudness (or from the loudest track's, for
  a platform whose ``album_basis`` says so); in shuffle it applies a gain per
  track from that track's loudness.
- Raising is capped, where a platform caps it, so the true peak stays at or
  under ``raise_peak_limit_dbtp``.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from sequencer.levels import GainPlan

__all__ = [
    "PLATFORMS",
    "AlbumBasis",
    "Platform",
    "PlatformGain",
    "PlatformTrackGain",
    "platform_preview",
    "playback_gain",
]


class _Frozen(BaseModel):
    """Base of this module's models: frozen, strict, with field docstrings."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class AlbumBasis(StrEnum):
    """What a platform normalises to when an album is played in order."""

    ALBUM = "album"
    """One gain for the album, from the album's integrated loudness."""
    LOUDEST_TRACK = "loudest-track"
    """One gain for the album, from its loudest track's integrated loudness."""
    NONE = "none"
    """No album mode: every track gets its own gain, in album playback too."""


class Platform(_Frozen):
    """How one streaming service normalises playback loudness."""

    name: str
    """The service's name as users know it."""
    reference_lufs: float
    """The level the service normalises to, LUFS (its default setting)."""
    raises_quiet: bool
    """Whether material quieter than the reference is turned up (otherwise only down)."""
    raise_peak_limit_dbtp: float | None
    """When raising, the gain stops where the true peak reaches this level, dBTP;
    ``None`` when raising is not capped by peaks (or the service does not raise)."""
    album_basis: AlbumBasis
    """What the service normalises to in album playback."""
    source: str
    """Where this behaviour is documented, or what was assumed."""


PLATFORMS: tuple[Platform, ...] = (
    Platform(
        name="Spotify",
        reference_lufs=-14.0,
        raises_quiet=True,
        raise_peak_limit_dbtp=-1.0,
        album_basis=AlbumBasis.ALBUM,
        source=(
            'Spotify for Artists, "Loudness normalization": -14 LUFS (ITU 1770), one gain '
            "for a whole album, per track in shuffle and playlists; positive gain leaves 1 dB "
            "of true-peak headroom (Normal setting). Third-party measurements report the "
            "album gain following the loudest track: set album_basis to loudest-track to "
            "preview that."
        ),
    ),
    Platform(
        name="Apple Music",
        reference_lufs=-16.0,
        raises_quiet=True,
        raise_peak_limit_dbtp=-1.0,
        album_basis=AlbumBasis.ALBUM,
        source=(
            "Sound Check, about -16 LUFS (loudness.md). Assumed: it raises quiet tracks "
            "only as far as -1 dBTP, and has an album mode; Apple publishes neither."
        ),
    ),
    Platform(
        name="YouTube",
        reference_lufs=-14.0,
        raises_quiet=False,
        raise_peak_limit_dbtp=None,
        album_basis=AlbumBasis.NONE,
        source="-14 LUFS (loudness.md); turns loud uploads down only, per video (widely reported).",
    ),
    Platform(
        name="Amazon Music",
        reference_lufs=-14.0,
        raises_quiet=False,
        raise_peak_limit_dbtp=None,
        album_basis=AlbumBasis.NONE,
        source="-14 LUFS (loudness.md). Assumed: turns down only, per track.",
    ),
    Platform(
        name="Tidal",
        reference_lufs=-14.0,
        raises_quiet=False,
        raise_peak_limit_dbtp=None,
        album_basis=AlbumBasis.ALBUM,
        source=(
            "-14 LUFS, BS.1770 (loudness.md); does not raise music under -14 LUFS (Tidal, "
            "quoted by MeterPlugs, 2016); normalises albums as a whole."
        ),
    ),
    Platform(
        name="Deezer",
        reference_lufs=-15.0,
        raises_quiet=False,
        raise_peak_limit_dbtp=None,
        album_basis=AlbumBasis.NONE,
        source="-15 LUFS (loudness.md). Assumed: turns down only, per track.",
    ),
)
"""The platforms previewed by default, in the order they are listed."""


class PlatformTrackGain(_Frozen):
    """What a platform does to one track when it plays it on its own (shuffle)."""

    track_id: str
    """Id of the track."""
    gain_db: float | None
    """The platform's playback gain for the track, dB; ``None`` when it has no
    measurable loudness (left as is)."""
    lufs_played: float | None
    """The track's loudness as heard on the platform, LUFS."""


class PlatformGain(_Frozen):
    """What one platform does to the planned album, in album playback and in shuffle."""

    platform: Platform
    """The platform and its rules."""
    album_gain_db: float | None
    """The one gain applied to every track in album playback, dB; ``None`` when the
    platform has no album mode (it uses the shuffle gains) or nothing is measurable."""
    album_lufs_played: float | None
    """The album's loudness as heard in album playback, LUFS; ``None`` without an
    album gain."""
    tracks: tuple[PlatformTrackGain, ...]
    """Per-track gains in shuffle, in running order."""
    shuffle_min_db: float | None
    """Smallest shuffle gain of any measurable track, dB."""
    shuffle_max_db: float | None
    """Largest shuffle gain of any measurable track, dB."""
    note: str
    """The result in plain words."""


def playback_gain(platform: Platform, lufs: float, peak_dbtp: float | None) -> float:
    """Return the gain a platform applies to material of a given loudness and true peak.

    Parameters
    ----------
    platform : Platform
        The platform's rules.
    lufs : float
        Integrated loudness of the material, LUFS.
    peak_dbtp : float or None
        Its true peak, dBTP (``None`` when silent).

    Returns
    -------
    float
        The gain in dB: down to the reference always; up only when the platform
        raises quiet material, and then no further than its peak limit allows.
    """
    gain = platform.reference_lufs - lufs
    if gain <= 0.0:
        return gain
    if not platform.raises_quiet:
        return 0.0
    if platform.raise_peak_limit_dbtp is not None and peak_dbtp is not None:
        gain = min(gain, max(0.0, platform.raise_peak_limit_dbtp - peak_dbtp))
    return gain


def platform_preview(
    plan: GainPlan, platforms: Sequence[Platform] = PLATFORMS
) -> tuple[PlatformGain, ...]:
    """Preview what each streaming platform does to the planned album.

    Parameters
    ----------
    plan : GainPlan
        The gain plan; its levels after the gains are what the platforms measure
        (see the module docstring for the assumptions).
    platforms : Sequence of Platform, optional
        The platforms to preview (:data:`PLATFORMS` by default).

    Returns
    -------
    tuple of PlatformGain
        One per platform, in the given order.
    """
    peaks: dict[str, float | None] = {}
    for track in plan.tracks:
        peak = track.true_peak_dbtp_after
        if peak is not None and plan.limiter:
            peak = min(peak, plan.ceiling_dbtp)
        peaks[track.track_id] = peak
    known_peaks = [peak for peak in peaks.values() if peak is not None]
    album_peak = max(known_peaks) if known_peaks else None
    loudest = max(
        (t.integrated_lufs_after for t in plan.tracks if t.integrated_lufs_after is not None),
        default=None,
    )
    previews = []
    for platform in platforms:
        tracks = []
        for track in plan.tracks:
            lufs = track.integrated_lufs_after
            gain = None if lufs is None else playback_gain(platform, lufs, peaks[track.track_id])
            played = None if lufs is None or gain is None else lufs + gain
            tracks.append(
                PlatformTrackGain(track_id=track.track_id, gain_db=gain, lufs_played=played)
            )
        shuffle = [t.gain_db for t in tracks if t.gain_db is not None]
        basis = {
            AlbumBasis.ALBUM: plan.album_lufs_after,
            AlbumBasis.LOUDEST_TRACK: loudest,
            AlbumBasis.NONE: None,
        }[platform.album_basis]
        album_gain = None if basis is None else playback_gain(platform, basis, album_peak)
        album_played = (
            None
            if album_gain is None or plan.album_lufs_after is None
            else plan.album_lufs_after + album_gain
        )
        preview = PlatformGain(
            platform=platform,
            album_gain_db=album_gain,
            album_lufs_played=album_played,
            tracks=tuple(tracks),
            shuffle_min_db=min(shuffle) if shuffle else None,
            shuffle_max_db=max(shuffle) if shuffle else None,
            note="",
        )
        previews.append(preview.model_copy(update={"note": _note(preview)}))
    return tuple(previews)


def _note(preview: PlatformGain) -> str:
    """Say what the platform does, in a sentence or two."""
    name = preview.platform.name
    if preview.album_gain_db is not None:
        text = f"{name} plays the album {_change(preview.album_gain_db)}"
    elif preview.platform.album_basis is AlbumBasis.NONE:
        text = f"{name} has no album mode: each track gets its own gain"
    else:
        text = f"{name}: no measurable loudness"
    if preview.shuffle_min_db is not None and preview.shuffle_max_db is not None:
        low, high = preview.shuffle_min_db, preview.shuffle_max_db
        spread = _change(low) if abs(high - low) < 0.05 else f"from {low:+.1f} to {high:+.1f} dB"
        text += f"; in shuffle, tracks play {spread}"
    return text + "."


def _change(gain: float) -> str:
    """Format a playback gain in words: ``"1.2 dB quieter"``, ``"unchanged"``."""
    if abs(gain) < 0.05:
        return "unchanged"
    return f"{abs(gain):.1f} dB {'louder' if gain > 0 else 'quieter'}"
