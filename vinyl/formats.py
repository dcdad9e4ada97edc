"""Disc formats: geometry, speed and the published guideline side times, as data.

Each :class:`DiscFormat` holds the modulated band of a disc size (outer and inner
radius), its speed and the side times plants publish, each with its source
(``/work/shared/domain/vinyl.md``). The six built-in formats live in
:data:`BUILTIN_FORMATS`; a :class:`FormatRegistry` looks them up by id or by a
common spelling (``"12-33"``, ``'12" 45'``) and can be extended with formats read
from a JSON file (:func:`load_formats`).

Level and time trade off: the RIAA standard reference level tables (12" 33 1/3:
20 min at 0 dB, 24 at -3 dB, 28 at -6 dB) follow time proportional to
``10 ** (-level / 40)``; :func:`time_at_level` and :func:`level_change_to_fit`
apply it.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sequencer.errors import SessionError

__all__ = [
    "BUILTIN_FORMATS",
    "DEFAULT_REGISTRY",
    "LEVEL_TIME_DB_PER_DECADE",
    "DiscFormat",
    "FormatError",
    "FormatRegistry",
    "get_format",
    "known_format_ids",
    "level_change_to_fit",
    "load_formats",
    "normalise_format_id",
    "time_at_level",
]

LEVEL_TIME_DB_PER_DECADE = 40.0
"""Side time is proportional to ``10 ** (-level_db / 40)`` (fit of the RIAA reference tables)."""

Limit = Literal["recommended", "maximum"]
"""Which guideline side time to use."""

_COMMON_TABLE = "common published table (Qrates, 100vinyl, pressingbusiness)"
_PLANT_RANGE = "upper end of the range across plants and cutting rooms"
_PLANT_RANGE_12_33 = "range across plants (Furnace, Toss, Disc Makers, GM, Scape)"
_RIAA_REFERENCE = (
    "RIAA standard reference level table (reprinted by Los Enderos Studio; V. LaDuca, Remix 2000)"
)
_IEC_12 = "IEC 60098 / RIAA: 292.6 mm start, 120.65 mm (4.75 in) last groove"
_IEC_10 = "IEC 60098: 241.8 mm start; last groove 120.65 mm assumed as on 12 in (RIAA LP minimum)"
_IEC_7 = "IEC 60098: 168.3 mm start; last groove about 106 mm (7 in singles)"


class FormatError(SessionError):
    """A disc format that is unknown or badly described (the message lists the known ids)."""


class DiscFormat(BaseModel):
    """One disc size at one speed: its groove band, speed and guideline side times."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    id: Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.\-]+$")]
    """Format id, e.g. ``"12in-33"``; ``VinylPlan.disc_format`` names it."""
    name: str
    """Human-readable name, e.g. ``'12" 33 1/3 rpm'``."""
    diameter_in: Annotated[float, Field(gt=0.0)]
    """Nominal disc diameter in inches."""
    rpm: Annotated[float, Field(gt=0.0)]
    """Turntable speed in revolutions per minute (``100 / 3`` for 33 1/3)."""
    outer_radius_mm: Annotated[float, Field(gt=0.0)]
    """Radius where the modulated area starts (the first groove), mm."""
    inner_radius_mm: Annotated[float, Field(gt=0.0)]
    """Smallest radius of the last modulated groove, mm."""
    geometry_source: str = ""
    """Where the radii come from."""
    recommended_s: Annotated[float, Field(gt=0.0)]
    """Recommended longest side, seconds."""
    recommended_source: str
    """The table the recommended time comes from."""
    maximum_s: Annotated[float, Field(gt=0.0)]
    """Longest side plants accept (at reduced level), seconds."""
    maximum_source: str
    """The table the maximum time comes from."""
    recommended_range_s: tuple[float, float] | None = None
    """Lowest and highest recommended side time across plants, seconds, when published."""
    reference_level_s: Annotated[float, Field(gt=0.0)] | None = None
    """Side time at the 0 dB standard reference level, seconds, when a table exists."""
    reference_level_source: str = ""
    """The table ``reference_level_s`` comes from."""

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.inner_radius_mm >= self.outer_radius_mm:
            raise ValueError(
                f"format {self.id!r}: inner_radius_mm ({self.inner_radius_mm}) must be smaller "
                f"than outer_radius_mm ({self.outer_radius_mm})"
            )
        if self.maximum_s < self.recommended_s:
            raise ValueError(
                f"format {self.id!r}: maximum_s ({self.maximum_s}) must be at least "
                f"recommended_s ({self.recommended_s})"
            )
        return self

    @property
    def revolution_s(self) -> float:
        """Time of one revolution in seconds (1.8 s at 33 1/3 rpm)."""
        return 60.0 / self.rpm

    @property
    def band_mm(self) -> float:
        """Radial width of the modulated band in mm."""
        return self.outer_radius_mm - self.inner_radius_mm

    def limit_s(self, limit: Limit = "recommended") -> float:
        """Return the recommended or the maximum side time in seconds.

        Parameters
        ----------
        limit : {"recommended", "maximum"}
            Which guideline.

        Returns
        -------
        float
            The side time in seconds.
        """
        return self.recommended_s if limit == "recommended" else self.maximum_s

    def groove_speed(self, radius_mm: float) -> float:
        """Return the groove speed ``v = 2 pi r rpm / 60`` at a radius.

        Parameters
        ----------
        radius_mm : float
            Radius in mm.

        Returns
        -------
        float
            Linear speed of the groove under the stylus in m/s.
        """
        return 2.0 * math.pi * (radius_mm / 1000.0) * self.rpm / 60.0

    def level_change_db(self, side_s: float, limit: Limit = "recommended") -> float:
        """Return the level change a side of *side_s* seconds needs to fit a guideline.

        Parameters
        ----------
        side_s : float
            Length of the side in seconds.
        limit : {"recommended", "maximum"}
            The guideline time the side must fit.

        Returns
        -------
        float
            dB; negative means the side must be cut that much quieter, positive is
            level to spare (see :func:`level_change_to_fit`).
        """
        return level_change_to_fit(side_s, self.limit_s(limit))


def time_at_level(reference_s: float, level_db: float) -> float:
    """Return the side time available at a level, from the time at 0 dB.

    Parameters
    ----------
    reference_s : float
        Side time at the reference level (0 dB), seconds.
    level_db : float
        Cut level relative to the reference, dB.

    Returns
    -------
    float
        ``reference_s * 10 ** (-level_db / 40)``: 6 dB quieter buys about 1.41x.
    """
    return reference_s * 10.0 ** (-level_db / LEVEL_TIME_DB_PER_DECADE)


def level_change_to_fit(side_s: float, limit_s: float) -> float:
    """Return the level change that makes a side of *side_s* fit in *limit_s*.

    Parameters
    ----------
    side_s : float
        Length of the side, seconds (> 0).
    limit_s : float
        Guideline time that holds at the current level, seconds (> 0).

    Returns
    -------
    float
        ``-40 * log10(side_s / limit_s)`` dB: negative when the side is longer than
        the limit (cut that much quieter), positive when level is to spare.

    Raises
    ------
    ValueError
        When a length is not positive.
    """
    if side_s <= 0 or limit_s <= 0:
        raise ValueError(f"side and limit must be positive (got {side_s} s and {limit_s} s)")
    return -LEVEL_TIME_DB_PER_DECADE * math.log10(side_s / limit_s)


def _fmt(
    size: int,
    speed: Literal[33, 45],
    recommended_min: float,
    maximum_min: float,
    maximum_source: str,
    outer_diameter_mm: float,
    inner_diameter_mm: float,
    geometry_source: str,
    recommended_range_min: tuple[float, float] | None,
    reference_min: float | None = None,
) -> DiscFormat:
    """Build a built-in format from minutes and diameters."""
    rpm = 100.0 / 3.0 if speed == 33 else 45.0
    return DiscFormat(
        id=f"{size}in-{speed}",
        name=f'{size}" {"33 1/3" if speed == 33 else "45"} rpm',
        diameter_in=size,
        rpm=rpm,
        outer_radius_mm=outer_diameter_mm / 2.0,
        inner_radius_mm=inner_diameter_mm / 2.0,
        geometry_source=geometry_source,
        recommended_s=recommended_min * 60.0,
        recommended_source=_COMMON_TABLE,
        maximum_s=maximum_min * 60.0,
        maximum_source=maximum_source,
        recommended_range_s=(
            None
            if recommended_range_min is None
            else (recommended_range_min[0] * 60.0, recommended_range_min[1] * 60.0)
        ),
        reference_level_s=None if reference_min is None else reference_min * 60.0,
        reference_level_source=_RIAA_REFERENCE if reference_min is not None else "",
    )


BUILTIN_FORMATS: tuple[DiscFormat, ...] = (
    _fmt(12, 33, 19.5, 23.0, _COMMON_TABLE, 292.6, 120.65, _IEC_12, (12.0, 23.0), 20.0),
    _fmt(12, 45, 14.5, 18.0, _PLANT_RANGE, 292.6, 120.65, _IEC_12, (9.0, 15.0)),
    _fmt(10, 33, 13.5, 17.0, _PLANT_RANGE, 241.8, 120.65, _IEC_10, (9.0, 17.0)),
    _fmt(10, 45, 10.0, 10.0, _PLANT_RANGE, 241.8, 120.65, _IEC_10, (5.5, 10.0)),
    _fmt(7, 33, 7.0, 8.0, _PLANT_RANGE, 168.3, 106.0, _IEC_7, (5.0, 8.0)),
    _fmt(7, 45, 5.0, 6.0, _PLANT_RANGE, 168.3, 106.0, _IEC_7, (3.5, 6.0), 5.0),
)
"""The six built-in formats. Recommended times: the common published table;
maximum: that table for 12" 33 1/3 (about 23 min), elsewhere the upper end of the
range across plants (``vinyl.md``); the 12" 33 1/3 maximum range is 18-28 min
(Furnace, Toss, Disc Makers, GM, Scape)."""

_SPELLING = re.compile(
    r"""^\s*(?P<size>\d+(?:\.\d+)?)\s*
        (?:in(?:ch(?:es)?)?|"|''|”|cm)?\s*
        [-_/@x:,\s]?\s*
        (?P<speed>33(?:[.,]\d*)?(?:\s*1/3)?|45|78)\s*(?:rpm)?\s*$""",
    re.VERBOSE | re.IGNORECASE,
)


def normalise_format_id(text: str) -> str | None:
    """Return the canonical id for a common spelling of a size and speed.

    Parameters
    ----------
    text : str
        For example ``"12-33"``, ``'12" 33 1/3'``, ``"7in45"``, ``"10 inch @ 45 rpm"``.

    Returns
    -------
    str or None
        The id ``"<size>in-<speed>"`` (``"12in-33"``), or ``None`` when *text* is
        not a size-and-speed spelling.
    """
    match = _SPELLING.match(text)
    if match is None:
        return None
    size = float(match["size"])
    speed = match["speed"][:2]
    return f"{size:g}in-{speed}"


class FormatRegistry(Mapping[str, DiscFormat]):
    """An immutable set of disc formats by id; extend it with :meth:`with_formats`."""

    def __init__(self, formats: Iterable[DiscFormat] = BUILTIN_FORMATS) -> None:
        by_id: dict[str, DiscFormat] = {}
        for fmt in formats:
            by_id[fmt.id] = fmt
        self._by_id = by_id

    def __getitem__(self, key: str) -> DiscFormat:
        return self._by_id[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)

    def with_formats(self, formats: Iterable[DiscFormat]) -> FormatRegistry:
        """Return a registry with *formats* added (a format with a known id replaces it).

        Parameters
        ----------
        formats : Iterable of DiscFormat
            The formats to add.

        Returns
        -------
        FormatRegistry
            A new registry; this one is unchanged.
        """
        return FormatRegistry([*self._by_id.values(), *formats])

    def get_format(self, format_id: str) -> DiscFormat:
        """Return a format by id or common spelling (see :func:`get_format`).

        Parameters
        ----------
        format_id : str
            An id (``"12in-33"``, case-insensitive) or a spelling (``"12-33"``).

        Returns
        -------
        DiscFormat
            The format.

        Raises
        ------
        FormatError
            When no format matches; the message lists the known ids.
        """
        text = format_id.strip()
        if text in self._by_id:
            return self._by_id[text]
        folded = {key.lower(): fmt for key, fmt in self._by_id.items()}
        if text.lower() in folded:
            return folded[text.lower()]
        canonical = normalise_format_id(text)
        if canonical is not None and canonical.lower() in folded:
            return folded[canonical.lower()]
        known = ", ".join(self._by_id) or "none"
        raise FormatError(
            f"Unknown disc format {format_id!r}: known formats are {known} "
            '(spellings such as "12-33" or "7in-45" work too)'
        )


DEFAULT_REGISTRY = FormatRegistry()
"""The built-in formats."""


def get_format(format_id: str, registry: FormatRegistry | None = None) -> DiscFormat:
    """Return a disc format by id or by a common spelling.

    Parameters
    ----------
    format_id : str
        ``"12in-33"``, ``"12-33"``, ``'12" 33 1/3'``, ``"7in45"``, ...
    registry : FormatRegistry, optional
        Where to look; the built-in formats by default.

    Returns
    -------
    DiscFormat
        The format.

    Raises
    ------
    FormatError
        When no format matches; the message lists the known ids.
    """
    return (registry or DEFAULT_REGISTRY).get_format(format_id)


def known_format_ids(registry: FormatRegistry | None = None) -> tuple[str, ...]:
    """Return the ids of the known formats.

    Parameters
    ----------
    registry : FormatRegistry, optional
        The registry; the built-in formats by default.

    Returns
    -------
    tuple of str
        The ids in registration order.
    """
    return tuple(registry or DEFAULT_REGISTRY)


def load_formats(path: Path) -> tuple[DiscFormat, ...]:
    """Read extra disc formats from a JSON file.

    Parameters
    ----------
    path : Path
        A JSON file holding a list of format objects (the fields of
        :class:`DiscFormat`, times in seconds, radii in mm), or an object with
        a ``"formats"`` list.

    Returns
    -------
    tuple of DiscFormat
        The formats, to pass to :meth:`FormatRegistry.with_formats`.

    Raises
    ------
    FormatError
        When the file cannot be read or a format is invalid (naming the field).
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise FormatError(f"Cannot read disc formats from {path}: {error}") from None
    items = data.get("formats") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise FormatError(
            f"{path}: expected a list of formats (or an object with a 'formats' list)"
        )
    formats: list[DiscFormat] = []
    for index, item in enumerate(items):
        try:
            formats.append(DiscFormat.model_validate(item))
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'format'}: {e['msg']}"
                for e in error.errors(include_url=False)
            )
            raise FormatError(f"{path}: formats[{index}] is not valid: {problems}") from None
    return tuple(formats)
