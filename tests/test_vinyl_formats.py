"""Disc formats: data, spellings, geometry and the level/time trade-off (vinyl.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vinyl.formats import (
    BUILTIN_FORMATS,
    DEFAULT_REGISTRY,
    DiscFormat,
    FormatError,
    get_format,
    known_format_ids,
    level_change_to_fit,
    load_formats,
    normalise_format_id,
    time_at_level,
)

MIN = 60.0


def test_builtin_ids_and_tables() -> None:
    assert known_format_ids() == ("12in-33", "12in-45", "10in-33", "10in-45", "7in-33", "7in-45")
    lp = get_format("12in-33")
    assert lp.recommended_s == 19.5 * MIN
    assert lp.maximum_s == 23 * MIN
    assert lp.recommended_range_s == (12 * MIN, 23 * MIN)
    assert "Qrates" in lp.recommended_source
    assert lp.reference_level_s == 20 * MIN
    assert "RIAA" in lp.reference_level_source
    assert get_format("12in-45").recommended_s == 14.5 * MIN
    assert get_format("10in-33").recommended_s == 13.5 * MIN
    assert get_format("10in-45").recommended_s == 10 * MIN
    assert get_format("7in-33").recommended_s == 7 * MIN
    assert get_format("7in-45").recommended_s == 5 * MIN
    for fmt in BUILTIN_FORMATS:
        assert fmt.recommended_s <= fmt.maximum_s
        assert fmt.recommended_source
        assert fmt.maximum_source
        assert fmt.geometry_source


def test_geometry_and_speed() -> None:
    lp = get_format("12in-33")
    assert lp.outer_radius_mm == pytest.approx(146.3)
    assert lp.inner_radius_mm == pytest.approx(60.325)
    assert lp.band_mm == pytest.approx(86.0, abs=0.05)
    assert lp.revolution_s == pytest.approx(1.8)
    assert get_format("7in-45").revolution_s == pytest.approx(1.3333, abs=1e-4)
    # vinyl.md (derived): 0.51 -> 0.21 m/s on 12" 33, 0.69 -> 0.28 on 12" 45, 0.40 -> 0.25 on 7" 45
    cases = {"12in-33": (0.51, 0.21), "12in-45": (0.69, 0.28), "7in-45": (0.40, 0.25)}
    for fmt_id, (outer, inner) in cases.items():
        fmt = get_format(fmt_id)
        assert fmt.groove_speed(fmt.outer_radius_mm) == pytest.approx(outer, abs=0.01)
        assert fmt.groove_speed(fmt.inner_radius_mm) == pytest.approx(inner, abs=0.01)
    # a 20-minute side at 33 1/3 is 667 revolutions (vinyl.md)
    assert 20 * MIN / lp.revolution_s == pytest.approx(667, abs=0.5)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12in-33", "12in-33"),
        ("12IN-33", "12in-33"),
        ("12-33", "12in-33"),
        ('12" 33 1/3', "12in-33"),
        ("12 inch 33.3 rpm", "12in-33"),
        ("7in45", "7in-45"),
        ("7-45", "7in-45"),
        ("10in @ 45rpm", "10in-45"),
        (" 10/33 ", "10in-33"),
    ],
)
def test_spellings(text: str, expected: str) -> None:
    assert get_format(text).id == expected


def test_unknown_format_lists_the_known_ids() -> None:
    with pytest.raises(FormatError, match="12in-33, 12in-45, 10in-33") as info:
        get_format("12-78")
    assert "7in-45" in str(info.value)
    assert normalise_format_id("twelve") is None


def test_level_time_trade_off_matches_the_riaa_table() -> None:
    twenty = 20 * MIN
    assert time_at_level(twenty, 0.0) == twenty
    assert time_at_level(twenty, -3.0) / MIN == pytest.approx(24, abs=0.3)
    assert time_at_level(twenty, -6.0) / MIN == pytest.approx(28, abs=0.3)
    assert time_at_level(twenty, 6.0) / MIN == pytest.approx(14.2, abs=0.1)  # table: about 12:30
    assert time_at_level(5 * MIN, 3.0) / MIN == pytest.approx(4.2, abs=0.05)  # 7" 45: about 4
    assert time_at_level(5 * MIN, -3.0) / MIN == pytest.approx(5.9, abs=0.05)  # 7" 45: 6
    assert level_change_to_fit(24 * MIN, twenty) == pytest.approx(-3.17, abs=0.01)
    assert level_change_to_fit(28 * MIN, twenty) == pytest.approx(-5.85, abs=0.01)
    assert level_change_to_fit(15 * MIN, twenty) > 0
    # inverse of each other
    assert time_at_level(twenty, level_change_to_fit(26 * MIN, twenty)) == pytest.approx(26 * MIN)
    lp = get_format("12in-33")
    assert lp.level_change_db(19.5 * MIN) == pytest.approx(0.0)
    assert lp.level_change_db(23 * MIN, "maximum") == pytest.approx(0.0)
    with pytest.raises(ValueError, match="positive"):
        level_change_to_fit(0.0, twenty)


def test_formats_from_json(tmp_path: Path) -> None:
    custom = {
        "id": "12in-78",
        "name": '12" 78 rpm',
        "diameter_in": 12,
        "rpm": 78,
        "outer_radius_mm": 146.0,
        "inner_radius_mm": 60.0,
        "recommended_s": 270,
        "recommended_source": "lathe notes",
        "maximum_s": 300,
        "maximum_source": "lathe notes",
    }
    path = tmp_path / "formats.json"
    path.write_text(json.dumps({"formats": [custom]}), encoding="utf-8")
    extra = load_formats(path)
    registry = DEFAULT_REGISTRY.with_formats(extra)
    assert get_format("12-78", registry).revolution_s == pytest.approx(60 / 78)
    assert get_format("12in-33", registry) == get_format("12in-33")
    assert "12in-78" not in DEFAULT_REGISTRY
    # the built-ins round-trip through the same JSON shape
    path.write_text(json.dumps([f.model_dump(mode="json") for f in BUILTIN_FORMATS]), "utf-8")
    assert load_formats(path) == BUILTIN_FORMATS


def test_bad_format_files(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps([{**get_format("7in-45").model_dump(), "inner_radius_mm": 90.0}]), "utf-8"
    )
    with pytest.raises(FormatError, match=r"formats\[0\].*inner_radius_mm"):
        load_formats(path)
    path.write_text("{not json", "utf-8")
    with pytest.raises(FormatError, match="Cannot read"):
        load_formats(path)
    with pytest.raises(FormatError, match="Cannot read"):
        load_formats(tmp_path / "missing.json")
    with pytest.raises(ValueError, match="maximum_s"):
        DiscFormat.model_validate({**get_format("7in-45").model_dump(), "maximum_s": 1.0})
