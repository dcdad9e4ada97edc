"""The session model: validation rules and their messages, lookups, source checks."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from sequencer.errors import SessionError
from sequencer.session import (
    SCHEMA_VERSION,
    Album,
    Crossfade,
    Curve,
    DigitalDelivery,
    Fade,
    LoudnessPolicy,
    PauseOverride,
    Session,
    Side,
    SideMarking,
    Track,
    VinylPlan,
    check_against_sources,
    format_isrc,
    format_validation_error,
    new_session,
    slugify,
    unique_track_id,
)


def session_data(tmp_path: Path) -> dict[str, Any]:
    """Return plain data of a valid three-track session."""
    return {
        "schema_version": SCHEMA_VERSION,
        "album": {"title": "Night Drive", "artist": "The Runouts"},
        "tracks": [
            {"id": "intro", "path": str(tmp_path / "intro.wav"), "title": "Intro"},
            {"id": "song", "path": str(tmp_path / "song.wav"), "title": "Song"},
            {"id": "outro", "path": str(tmp_path / "outro.wav"), "title": "Outro"},
        ],
        "order": ["intro", "song", "outro"],
    }


def errors_of(data: dict[str, Any]) -> str:
    """Validate *data* as a Session and return the formatted error lines."""
    with pytest.raises(ValidationError) as info:
        Session.model_validate(data)
    return format_validation_error(info.value, data)


@pytest.fixture
def data(tmp_path: Path) -> dict[str, Any]:
    return session_data(tmp_path)


@pytest.fixture
def session(data: dict[str, Any]) -> Session:
    return Session.model_validate(data)


# --------------------------------------------------------------------------- the model


def test_valid_session_has_defaults(session: Session) -> None:
    assert session.schema_version == SCHEMA_VERSION == 1
    assert session.default_pause_s == 2.0
    assert session.pause_before_first_s == 0.0
    assert session.loudness == LoudnessPolicy()
    assert session.loudness.target_lufs == -14.0
    assert session.loudness.true_peak_ceiling_dbtp == -1.0
    assert session.delivery == DigitalDelivery(sample_rate=44100, bit_depth=24)
    assert session.vinyl.disc_format == "12in-33"
    assert session.vinyl.pause_s == 2.0
    assert session.tracks[0].fade_in == Fade(seconds=0.0, curve=Curve.LINEAR)
    assert isinstance(session.tracks[0].path, Path)
    assert isinstance(session.order, tuple)


def test_curve_values() -> None:
    assert [c.value for c in Curve] == ["linear", "equal-power", "s-curve"]
    assert Crossfade(from_track="a", to_track="b", seconds=1).curve is Curve.EQUAL_POWER


def test_models_are_frozen(session: Session) -> None:
    with pytest.raises(ValidationError):
        session.default_pause_s = 3.0  # type: ignore[misc]
    with pytest.raises(ValidationError):
        session.tracks[0].title = "Other"  # type: ignore[misc]


@pytest.mark.parametrize(
    "model",
    [
        Fade,
        Album,
        Track,
        Crossfade,
        LoudnessPolicy,
        DigitalDelivery,
        Side,
        PauseOverride,
        VinylPlan,
        SideMarking,
        Session,
    ],
)
def test_every_field_is_documented_and_model_is_frozen(model: type[BaseModel]) -> None:
    assert model.model_config.get("frozen") is True
    assert model.model_config.get("extra") == "forbid"
    assert undocumented_fields(model) == []


def undocumented_fields(model: type[BaseModel]) -> list[str]:
    """Return the model's fields with no docstring right under them (read from the source).

    The docstrings are not loaded into the models at run time (pydantic's
    ``use_attribute_docstrings`` parses every class's source at import, about
    150 ms of the app's start-up), so the check reads the source itself.
    """
    import ast
    import inspect
    import itertools
    import textwrap

    (klass,) = ast.parse(textwrap.dedent(inspect.getsource(model))).body
    assert isinstance(klass, ast.ClassDef)
    body = klass.body
    documented = {
        statement.target.id
        for statement, following in itertools.pairwise(body)
        if isinstance(statement, ast.AnnAssign)
        and isinstance(statement.target, ast.Name)
        and isinstance(following, ast.Expr)
        and isinstance(following.value, ast.Constant)
        and isinstance(following.value.value, str)
    }
    return [
        name
        for name in model.__annotations__
        if name in model.model_fields and name not in documented
    ]


def test_unknown_field_is_refused(data: dict[str, Any]) -> None:
    data["tracks"][1]["titel"] = "typo"
    message = errors_of(data)
    assert 'tracks[1] (id "song", "Song"): titel is not a known field' in message


def test_missing_field_is_named(data: dict[str, Any]) -> None:
    del data["tracks"][2]["title"]
    assert 'tracks[2] (id "outro"): title is required' in errors_of(data)


# --------------------------------------------------------------------------- identifiers


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("GB-AJY-24-00001", "GBAJY2400001"),
        ("GBAJY2400001", "GBAJY2400001"),
        ("gb-ajy-24-00001", "GBAJY2400001"),
        ("usrc17607839", "USRC17607839"),
        (" US-S1Z-99-00001 ", "USS1Z9900001"),
    ],
)
def test_isrc_good_forms(tmp_path: Path, given: str, stored: str) -> None:
    track = Track(id="t", path=tmp_path / "t.wav", title="T", isrc=given)
    assert track.isrc == stored
    assert format_isrc(stored) == f"{stored[:2]}-{stored[2:5]}-{stored[5:7]}-{stored[7:]}"


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("GB12", "it has 4 characters"),
        ("GBAJY24000012", "it has 13 characters"),
        ("G1AJY2400001", 'the country code "G1" must be 2 letters'),
        ("GBAJ!2400001", 'the registrant code "AJ!" must be 3 letters or digits'),
        ("GBAJYX400001", 'the year "X4" must be 2 digits'),
        ("GBAJY240000A", 'the designation "0000A" must be 5 digits'),
        ("GB-AJY2400001", "hyphens go between the parts"),
        ("GB-AJY-24-0000", "hyphens go between the parts"),
    ],
)
def test_isrc_bad_forms_name_the_track_and_give_an_example(
    data: dict[str, Any], given: str, reason: str
) -> None:
    data["tracks"][1]["isrc"] = given
    message = errors_of(data)
    assert message.startswith(f'tracks[1] (id "song", "Song"): isrc "{given}" is not a valid ISRC')
    assert reason in message
    assert "GB-AJY-24-00001" in message  # an example of the right form
    assert len(message.splitlines()) == 1


def test_blank_isrc_is_none(tmp_path: Path) -> None:
    assert Track(id="t", path=tmp_path / "t.wav", title="T", isrc="  ").isrc is None


@pytest.mark.parametrize(
    "code", ["036000291452", "4006381333931", "0 36000 29145 2", "5901234123457"]
)
def test_upc_ean_valid_codes(code: str) -> None:
    assert Album(title="A", upc_ean=code).upc_ean == code.replace(" ", "")


@pytest.mark.parametrize(
    ("code", "expected_digit"),
    [("036000291453", 2), ("4006381333932", 1), ("5901234123450", 7)],
)
def test_upc_ean_wrong_check_digit_says_the_expected_one(
    data: dict[str, Any], code: str, expected_digit: int
) -> None:
    data["album"]["upc_ean"] = code
    message = errors_of(data)
    assert message.startswith(f'album: upc_ean "{code}"')
    assert f"check digit of {code[:-1]} is {expected_digit}" in message


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("12345", "has 5 digits; expected 12 (UPC-A) or 13 (EAN-13)"),
        ("03600029145X", "only digits"),
    ],
)
def test_upc_ean_bad_shape(data: dict[str, Any], code: str, reason: str) -> None:
    data["album"]["upc_ean"] = code
    assert reason in errors_of(data)


@pytest.mark.parametrize("year", [1776, 2500])
def test_year_out_of_range(data: dict[str, Any], year: int) -> None:
    data["album"]["year"] = year
    assert "album: year must be at" in errors_of(data)


def test_album_title_must_not_be_blank(data: dict[str, Any]) -> None:
    data["album"]["title"] = "   "
    assert errors_of(data) == "album: title must not be empty"


def test_titles_are_single_line(data: dict[str, Any]) -> None:
    data["tracks"][0]["title"] = "In\ntro"
    assert errors_of(data) == (
        'tracks[0] (id "intro", "In\\ntro"): title "In\\ntro" contains a control character '
        "('\\n'); write it on one line"
    )
    assert "control character" in errors_of(data)


@pytest.mark.parametrize("bad_id", ["", "has space", "slash/id", "ünï"])
def test_track_id_characters(data: dict[str, Any], bad_id: str) -> None:
    data["tracks"][0]["id"] = bad_id
    message = errors_of(data)
    assert message.startswith("tracks[0]")
    assert "id " in message


# --------------------------------------------------------------------------- numbers


def test_trim_out_must_follow_trim_in(data: dict[str, Any]) -> None:
    data["tracks"][1].update(trim_in_s=5.0, trim_out_s=3.0)
    assert errors_of(data) == (
        'tracks[1] (id "song", "Song"): trim_out_s (3 s) must be later than trim_in_s (5 s)'
    )


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize(
    ("where", "field"),
    [
        ("track", "pause_before_s"),
        ("track", "trim_in_s"),
        ("track", "offset_lu"),
        ("session", "default_pause_s"),
        ("session", "pause_before_first_s"),
    ],
)
def test_nan_and_infinity_are_refused(
    data: dict[str, Any], bad: float, where: str, field: str
) -> None:
    if where == "track":
        data["tracks"][2][field] = bad
        prefix = 'tracks[2] (id "outro", "Outro"): '
    else:
        data[field] = bad
        prefix = ""
    message = errors_of(data)
    assert message.startswith(f"{prefix}{field} must be a finite number")


def test_nan_in_nested_models(data: dict[str, Any]) -> None:
    data["tracks"][0]["fade_in"] = {"seconds": math.nan}
    data["crossfades"] = [{"from_track": "intro", "to_track": "song", "seconds": math.inf}]
    data["loudness"] = {"target_lufs": math.nan}
    lines = errors_of(data).splitlines()
    assert 'tracks[0] (id "intro", "Intro"): fade_in.seconds must be a finite number (got nan)' in (
        lines
    )
    assert any(
        line.startswith('crossfades[0] ("intro" -> "song"): seconds must be a finite number')
        for line in lines
    )
    assert "loudness: target_lufs must be a finite number (got nan)" in lines


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("tracks", 1, "pause_before_s"), -1.0, 'tracks[1] (id "song", "Song"): pause_before_s'),
        (("tracks", 1, "pause_before_s"), 3601.0, "must be at most 3600"),
        (("default_pause_s",), -0.5, "default_pause_s must be at least 0"),
        (("tracks", 0, "offset_lu"), -41.0, "offset_lu must be at least -40"),
        (("tracks", 0, "offset_lu"), 21.0, "offset_lu must be at most 20"),
        (("tracks", 0, "trim_in_s"), -1.0, "trim_in_s must be at least 0"),
        (("loudness", "target_lufs"), -3.0, "loudness: target_lufs must be at most -5"),
        (("loudness", "true_peak_ceiling_dbtp"), 0.5, "true_peak_ceiling_dbtp must be at most 0"),
        (("delivery", "sample_rate"), 1000, "delivery: sample_rate must be at least 8000"),
        (("delivery", "bit_depth"), 20, "delivery: bit_depth must be one of 16, 24 or 32"),
        (("delivery", "file_format"), "mp3", "delivery: file_format must be one of"),
        (("vinyl", "pause_s"), 4000.0, "vinyl: pause_s must be at most 3600"),
    ],
)
def test_bounds_name_the_field(
    data: dict[str, Any], path: tuple[Any, ...], value: object, expected: str
) -> None:
    node: Any = data
    for part in path[:-1]:
        node = node.setdefault(part, {}) if isinstance(part, str) else node[part]
    node[path[-1]] = value
    assert expected in errors_of(data)


def test_crossfade_over_a_minute_is_refused(data: dict[str, Any]) -> None:
    data["crossfades"] = [{"from_track": "intro", "to_track": "song", "seconds": 61}]
    assert errors_of(data) == (
        'crossfades[0] ("intro" -> "song"): seconds must be at most 60.0 (got 61)'
    )


def test_crossfade_must_be_positive(data: dict[str, Any]) -> None:
    data["crossfades"] = [{"from_track": "intro", "to_track": "song", "seconds": 0}]
    assert "seconds must be more than 0" in errors_of(data)


# --------------------------------------------------------------------------- whole-session rules


def test_duplicate_track_ids(data: dict[str, Any]) -> None:
    data["tracks"][2]["id"] = "intro"
    data["order"] = ["intro", "song"]
    assert errors_of(data) == (
        'tracks[2] (id "intro", "Outro"): id "intro" is already used by tracks[0] ("Intro"); '
        "track ids must be unique"
    )


def test_order_with_unknown_id(data: dict[str, Any]) -> None:
    data["order"] = ["intro", "sogn", "outro"]
    assert errors_of(data) == 'order[1]: no track has id "sogn"'


def test_track_listed_twice_in_order(data: dict[str, Any]) -> None:
    data["order"] = ["intro", "song", "intro"]
    assert errors_of(data) == (
        'order[2]: track "intro" ("Intro") is listed twice in the running order (also at order[0])'
    )


def test_crossfade_between_non_neighbours(data: dict[str, Any]) -> None:
    data["crossfades"] = [{"from_track": "intro", "to_track": "outro", "seconds": 3}]
    message = errors_of(data)
    assert message.startswith('crossfades[0] ("intro" -> "outro"): track "intro" ("Intro")')
    assert 'track "outro" ("Outro") are not neighbours in the running order' in message


def test_crossfade_in_reverse_is_not_a_seam(data: dict[str, Any]) -> None:
    data["crossfades"] = [{"from_track": "song", "to_track": "intro", "seconds": 3}]
    assert "are not neighbours" in errors_of(data)


def test_crossfade_with_unknown_tracks(data: dict[str, Any]) -> None:
    data["crossfades"] = [{"from_track": "intro", "to_track": "gone", "seconds": 3}]
    assert errors_of(data) == (
        'crossfades[0] ("intro" -> "gone"): to_track "gone" is not a track id'
    )


def test_two_crossfades_on_one_seam(data: dict[str, Any]) -> None:
    data["crossfades"] = [
        {"from_track": "intro", "to_track": "song", "seconds": 3},
        {"from_track": "intro", "to_track": "song", "seconds": 4},
    ]
    assert errors_of(data) == (
        'crossfades[1] ("intro" -> "song"): the same seam already has crossfades[0]'
    )


def test_vinyl_side_with_unknown_track(data: dict[str, Any]) -> None:
    data["vinyl"] = {"sides": [{"name": "A", "track_ids": ["intro", "nope"]}]}
    assert errors_of(data) == 'vinyl.sides[0] (side "A"): track_ids[1] "nope" is not a track id'


def test_track_on_two_sides(data: dict[str, Any]) -> None:
    data["vinyl"] = {
        "sides": [
            {"name": "A", "track_ids": ["intro", "song"]},
            {"name": "B", "track_ids": ["song", "outro"]},
        ]
    }
    assert errors_of(data) == (
        'vinyl.sides[1] (side "B"): track_ids[0] track "song" ("Song") is already on '
        'vinyl.sides[0] (side "A"); a track goes on one side only, once'
    )


def test_duplicate_side_names_and_overrides(data: dict[str, Any]) -> None:
    data["vinyl"] = {
        "sides": [{"name": "A"}, {"name": "A"}],
        "pause_overrides": [
            {"track_id": "song", "seconds": 1},
            {"track_id": "song", "seconds": 2},
            {"track_id": "zzz", "seconds": 2},
        ],
    }
    lines = errors_of(data).splitlines()
    assert lines == [
        'vinyl.sides[1] (side "A"): the side name is already used by vinyl.sides[0]',
        'vinyl.pause_overrides[1]: track "song" ("Song") already has a pause override',
        'vinyl.pause_overrides[2]: track_id "zzz" is not a track id',
    ]


def test_every_rule_is_reported_at_once(data: dict[str, Any]) -> None:
    data["order"] = ["intro", "intro", "ghost"]
    data["vinyl"] = {"sides": [{"name": "A", "track_ids": ["ghost"]}]}
    assert len(errors_of(data).splitlines()) == 3


def test_newer_schema_version_is_refused_by_the_model(data: dict[str, Any]) -> None:
    data["schema_version"] = SCHEMA_VERSION + 1
    assert "schema_version must be at most 1" in errors_of(data)


def test_format_without_session_data(data: dict[str, Any]) -> None:
    data["tracks"][1]["offset_lu"] = 99
    with pytest.raises(ValidationError) as info:
        Session.model_validate(data)
    assert format_validation_error(info.value) == (
        "tracks[1]: offset_lu must be at most 20.0 (got 99)"
    )


# --------------------------------------------------------------------------- lookups


def test_track_lookup(session: Session) -> None:
    assert session.track("song").title == "Song"
    with pytest.raises(SessionError, match='No track has id "nope"'):
        session.track("nope")


def test_ordered_tracks_follow_the_order(data: dict[str, Any]) -> None:
    data["order"] = ["outro", "intro"]  # "song" is parked
    session = Session.model_validate(data)
    assert [t.id for t in session.ordered_tracks()] == ["outro", "intro"]
    with pytest.raises(SessionError, match="not in the running order"):
        session.transition_into("song")


def test_transition_into(data: dict[str, Any]) -> None:
    data["pause_before_first_s"] = 1.5
    data["default_pause_s"] = 2.5
    data["tracks"][0]["pause_before_s"] = 9.0  # ignored: intro is first
    data["tracks"][2]["pause_before_s"] = 0.0
    data["order"] = ["intro", "song", "outro"]
    session = Session.model_validate(data)
    assert session.transition_into("intro") == 1.5
    assert session.transition_into("song") == 2.5
    assert session.transition_into("outro") == 0.0
    data["crossfades"] = [{"from_track": "song", "to_track": "outro", "seconds": 4}]
    crossfaded = Session.model_validate(data)
    assert crossfaded.transition_into("outro") == Crossfade(
        from_track="song", to_track="outro", seconds=4
    )


# --------------------------------------------------------------------------- checks with the audio


def test_check_against_sources_accepts_a_fitting_session(session: Session) -> None:
    check_against_sources(session, {"intro": 30.0, "song": 200.0, "outro": 60.0})


def test_check_against_sources_lists_every_problem(data: dict[str, Any]) -> None:
    data["tracks"][0].update(trim_in_s=40.0)
    data["tracks"][1].update(trim_in_s=10.0, trim_out_s=250.0)
    data["tracks"][2].update(trim_out_s=20.0, fade_in={"seconds": 15}, fade_out={"seconds": 10})
    data["crossfades"] = [{"from_track": "song", "to_track": "outro", "seconds": 25}]
    session = Session.model_validate(data)
    with pytest.raises(SessionError) as info:
        check_against_sources(session, {"intro": 30.0, "song": 200.0, "outro": 60.0})
    lines = str(info.value).splitlines()
    assert lines[0] == "The session does not fit its source audio:"
    assert lines[1:] == [
        '  tracks[0] (id "intro", "Intro"): trim_in_s (40 s) is at or past the end of the file '
        "(30 s)",
        '  tracks[1] (id "song", "Song"): trim_out_s (250 s) is past the end of the file (200 s)',
        '  tracks[2] (id "outro", "Outro"): fade_in (15 s) and fade_out (10 s) together are '
        "longer than the trimmed track (20 s)",
        '  crossfades[0] ("song" -> "outro"): seconds (25 s) is longer than track "outro" '
        '("Outro") after trimming (20 s)',
    ]


def test_check_against_sources_single_fade_and_unknown_length(data: dict[str, Any]) -> None:
    data["tracks"][0].update(fade_out={"seconds": 31})
    session = Session.model_validate(data)
    with pytest.raises(SessionError) as info:
        check_against_sources(session, {"intro": 30.0, "song": 200.0})
    message = str(info.value)
    assert "fade_out (31 s) is longer than the trimmed track (30 s)" in message
    assert 'tracks[2] (id "outro", "Outro"): the length of' in message


# --------------------------------------------------------------------------- new sessions


def test_new_session_from_files(tmp_path: Path) -> None:
    paths = [
        tmp_path / "01_Night_Drive.wav",
        tmp_path / "other" / "01 night drive.flac",
        tmp_path / "Café Noir.wav",
        tmp_path / "___.wav",
    ]
    session = new_session(paths, title="Night Drive", artist="The Runouts", default_pause_s=1.0)
    assert session.order == ("01-night-drive", "01-night-drive-2", "cafe-noir", "track")
    assert [t.title for t in session.tracks] == [
        "01 Night Drive",
        "01 night drive",
        "Café Noir",
        "___.wav",
    ]
    assert [t.path for t in session.tracks] == paths
    assert session.album == Album(title="Night Drive", artist="The Runouts")
    assert session.default_pause_s == 1.0


def test_new_session_makes_paths_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    session = new_session([Path("a.wav")], title="T")
    assert session.tracks[0].path == tmp_path / "a.wav"


def test_new_session_refuses_a_blank_title(tmp_path: Path) -> None:
    with pytest.raises(SessionError, match="album: title must not be empty"):
        new_session([tmp_path / "a.wav"], title=" ")


def test_slugs() -> None:
    assert slugify("  Hello, World! ") == "hello-world"
    assert slugify("...") == "track"
    assert unique_track_id("Intro", ["intro", "intro-2"]) == "intro-3"
