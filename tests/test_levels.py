"""The gain plan: album, track and anchor modes, ceiling, limiter, streaming preview.

Synthesized tracks with known levels. Album loudness is checked by rendering the
gains (concatenating the gained tracks) and measuring the result with the analysis.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from sequencer.analysis import TrackAnalysis, analyse_array
from sequencer.errors import AnalysisError, SessionError
from sequencer.levels import GainPlan, TrackGain, plan_gains
from sequencer.limiter import TruePeakLimiter
from sequencer.platforms import PLATFORMS, AlbumBasis, Platform, platform_preview, playback_gain
from sequencer.session import LoudnessMode, Session
from tests.signals import db_to_amplitude, pink_noise, sine

RATE = 44100
#: The plan solves to 0.001 LU; rendering adds the blocks that straddle two tracks.
PLAN_TOLERANCE_LU = 0.01
RENDER_TOLERANCE_LU = 0.1


def _tracks() -> dict[str, NDArray[np.float64]]:
    # Stereo pink noise at -26 and -18 dBFS RMS, and a 1 kHz tone at -20 dBFS peak
    # (-20 LUFS by BS.1770, the domain notes' sine rule): three levels far apart.
    return {
        "quiet": pink_noise(6.0, RATE, seed=11, dbfs_rms=-26.0),
        "loud": pink_noise(6.0, RATE, seed=12, dbfs_rms=-18.0),
        "tone": sine(997.0, -20.0, 6.0, RATE),
    }


@pytest.fixture(scope="module")
def audio() -> dict[str, NDArray[np.float64]]:
    return _tracks()


@pytest.fixture(scope="module")
def analyses(audio: dict[str, NDArray[np.float64]]) -> dict[str, TrackAnalysis]:
    return {track_id: analyse_array(samples, RATE) for track_id, samples in audio.items()}


def session(
    tmp_path: Path,
    order: list[str],
    offsets: dict[str, float] | None = None,
    **policy: Any,
) -> Session:
    offsets = offsets or {}
    return Session.model_validate(
        {
            "album": {"title": "Levels"},
            "tracks": [
                {
                    "id": track_id,
                    "path": tmp_path / f"{track_id}.wav",
                    "title": track_id,
                    "offset_lu": offsets.get(track_id, 0.0),
                }
                for track_id in order
            ],
            "order": order,
            "loudness": policy,
        }
    )


def render(plan: GainPlan, audio: dict[str, NDArray[np.float64]]) -> NDArray[np.float64]:
    """Render the album plainly: every track at its gain, back to back."""
    return np.concatenate(
        [audio[gain.track_id] * db_to_amplitude(gain.gain_db) for gain in plan.tracks]
    )


def measured(samples: NDArray[np.float64]) -> TrackAnalysis:
    return analyse_array(samples, RATE)


ORDER = ["quiet", "loud", "tone"]


# --------------------------------------------------------------------------- album mode


def test_album_mode_brings_the_album_to_the_target(tmp_path, audio, analyses):
    plan = plan_gains(session(tmp_path, ORDER, target_lufs=-16.0), analyses)

    assert plan.mode is LoudnessMode.ALBUM
    assert plan.album_lufs_after == pytest.approx(-16.0, abs=PLAN_TOLERANCE_LU)
    album = measured(render(plan, audio)).integrated_lufs
    assert album == pytest.approx(-16.0, abs=RENDER_TOLERANCE_LU)
    # One shared gain: relative levels are kept.
    gains = {gain.gain_db for gain in plan.tracks}
    assert len(gains) == 1
    assert plan.shared_gain_db == pytest.approx(gains.pop())
    assert not plan.limiter
    assert plan.limiting_track_id is None
    assert plan.loudness_given_up_lu == 0.0
    assert "brings the album to -16.0 LUFS" in plan.tracks[0].reason


def test_album_mode_keeps_relative_levels_and_offsets(tmp_path, audio, analyses):
    offsets = {"quiet": 0.0, "loud": 0.0, "tone": -4.0}
    plan = plan_gains(session(tmp_path, ORDER, offsets, target_lufs=-16.0), analyses)

    shared = plan.shared_gain_db
    assert shared is not None
    for gain in plan.tracks:
        before = analyses[gain.track_id].integrated_lufs
        assert before is not None
        assert gain.gain_db == pytest.approx(shared + offsets[gain.track_id])
        # Each track's own loudness moves by exactly its gain.
        assert gain.integrated_lufs_after == pytest.approx(before + gain.gain_db, abs=1e-3)
        after = measured(audio[gain.track_id] * db_to_amplitude(gain.gain_db)).integrated_lufs
        assert after == pytest.approx(before + gain.gain_db, abs=1e-3)
    assert plan.track("tone").reason.endswith("offset -4.0 LU as set")
    album = measured(render(plan, audio)).integrated_lufs
    assert album == pytest.approx(-16.0, abs=RENDER_TOLERANCE_LU)


def test_album_loudness_is_the_whole_programme_not_a_mean_of_tracks(tmp_path, audio, analyses):
    # A long quiet track and a short loud one: the programme's gated loudness is not
    # the average of the two tracks' loudness values.
    long_quiet = np.concatenate([audio["quiet"]] * 3)
    samples = {"long": long_quiet, "loud": audio["loud"]}
    found = {track_id: measured(audio) for track_id, audio in samples.items()}
    plan = plan_gains(session(tmp_path, ["long", "loud"], target_lufs=-20.0), found)

    assert plan.album_lufs_before == pytest.approx(
        measured(np.concatenate([long_quiet, audio["loud"]])).integrated_lufs,
        abs=RENDER_TOLERANCE_LU,
    )
    assert measured(render(plan, samples)).integrated_lufs == pytest.approx(
        -20.0, abs=RENDER_TOLERANCE_LU
    )


# --------------------------------------------------------------------------- track mode


def test_track_mode_brings_each_track_to_the_target_plus_its_offset(tmp_path, audio, analyses):
    offsets = {"tone": -6.0}
    plan = plan_gains(session(tmp_path, ORDER, offsets, mode="track", target_lufs=-18.0), analyses)

    assert plan.shared_gain_db is None
    for gain in plan.tracks:
        aim = -18.0 + offsets.get(gain.track_id, 0.0)
        assert gain.integrated_lufs_after == pytest.approx(aim, abs=PLAN_TOLERANCE_LU)
        after = measured(audio[gain.track_id] * db_to_amplitude(gain.gain_db)).integrated_lufs
        assert after == pytest.approx(aim, abs=RENDER_TOLERANCE_LU)
    assert "-24.0 LUFS" in plan.track("tone").reason
    assert "offset -6.0 LU as set" in plan.track("tone").reason


# --------------------------------------------------------------------------- anchor mode


def test_anchor_mode_brings_the_loudest_track_to_the_target(tmp_path, audio, analyses):
    plan = plan_gains(session(tmp_path, ORDER, mode="anchor", target_lufs=-16.0), analyses)

    assert plan.anchor_track_id == "loud"
    loud = measured(audio["loud"] * db_to_amplitude(plan.gain_db("loud"))).integrated_lufs
    assert loud == pytest.approx(-16.0, abs=RENDER_TOLERANCE_LU)
    # Relative levels kept, nothing above the target.
    assert len({gain.gain_db for gain in plan.tracks}) == 1
    for gain in plan.tracks:
        assert gain.integrated_lufs_after is not None
        assert gain.integrated_lufs_after <= -16.0 + PLAN_TOLERANCE_LU
    assert "stays" in plan.track("quiet").reason


def test_anchor_mode_chooses_the_loudest_track_as_it_will_play(tmp_path, analyses):
    # "loud" is 2 LU louder than "tone" as delivered, but sits 6 LU down by its offset:
    # the tone is the loudest as played and becomes the anchor.
    offsets = {"loud": -6.0}
    plan = plan_gains(session(tmp_path, ORDER, offsets, mode="anchor", target_lufs=-16.0), analyses)

    assert plan.anchor_track_id == "tone"
    assert plan.track("tone").integrated_lufs_after == pytest.approx(-16.0, abs=PLAN_TOLERANCE_LU)
    loud_after = plan.track("loud").integrated_lufs_after
    tone_after = plan.track("tone").integrated_lufs_after
    assert loud_after is not None
    assert tone_after is not None
    loud_before, tone_before = analyses["loud"].integrated_lufs, analyses["tone"].integrated_lufs
    assert loud_before is not None
    assert tone_before is not None
    assert loud_after - tone_after == pytest.approx(loud_before - tone_before - 6.0, abs=1e-3)


# --------------------------------------------------------------------------- the ceiling


def test_album_gain_is_held_under_the_ceiling_by_the_limiting_track(tmp_path, audio, analyses):
    # -8 LUFS asks for about +10 dB; the loud noise's true peak reaches the -1 dBTP
    # ceiling first.
    plan = plan_gains(session(tmp_path, ORDER, target_lufs=-8.0), analyses)

    peaks = {track_id: a.true_peak_dbtp for track_id, a in analyses.items()}
    limiting = max(peaks, key=lambda track_id: peaks[track_id] or -np.inf)
    assert plan.limiting_track_id == limiting == "loud"
    highest = -1.0 - (peaks["loud"] or 0.0)
    assert plan.shared_gain_db == pytest.approx(highest, abs=1e-9)
    for gain in plan.tracks:
        assert gain.true_peak_dbtp_after is not None
        assert gain.true_peak_dbtp_after <= -1.0
        assert gain.limiter_reduction_db == 0.0
    rendered = measured(render(plan, audio))
    assert rendered.true_peak_dbtp is not None
    assert rendered.true_peak_dbtp <= -1.0 + 1e-6
    # The target is missed by what the ceiling cost, as measured on the rendered album.
    assert rendered.integrated_lufs is not None
    assert plan.loudness_given_up_lu == pytest.approx(
        -8.0 - rendered.integrated_lufs, abs=RENDER_TOLERANCE_LU
    )
    assert plan.loudness_given_up_lu > 1.0
    assert plan.track("loud").ceiling_cut_db == pytest.approx(plan.loudness_given_up_lu, abs=0.01)
    assert not plan.limiter
    reason = plan.track("loud").reason
    assert "over the -1.0 dBTP ceiling" in reason
    assert f"gives up {plan.loudness_given_up_lu:.1f} LU" in reason
    assert '"loud"' in plan.track("quiet").reason
    assert 'Track "loud" limits the album' in plan.summary()


def test_offsets_count_when_finding_the_limiting_track(tmp_path, analyses):
    # The quiet noise has about 8 dB more headroom than the loud one; a +10 LU offset
    # spends it, so the quiet track now holds the album down.
    offsets = {"quiet": 10.0}
    plan = plan_gains(session(tmp_path, ORDER, offsets, target_lufs=-8.0), analyses)

    peak = analyses["quiet"].true_peak_dbtp
    assert peak is not None
    assert plan.limiting_track_id == "quiet"
    assert plan.shared_gain_db == pytest.approx(-1.0 - peak - 10.0)
    assert plan.track("quiet").true_peak_dbtp_after == pytest.approx(-1.0)


def test_track_mode_lowers_only_the_track_over_the_ceiling(tmp_path, analyses):
    # -10 LUFS: the tone (crest factor 3 dB) gets there; the noise cannot.
    plan = plan_gains(session(tmp_path, ORDER, mode="track", target_lufs=-10.0), analyses)

    tone = plan.track("tone")
    assert tone.integrated_lufs_after == pytest.approx(-10.0, abs=PLAN_TOLERANCE_LU)
    assert tone.ceiling_cut_db == 0.0
    for track_id in ("quiet", "loud"):
        gain = plan.track(track_id)
        peak = analyses[track_id].true_peak_dbtp
        assert peak is not None
        assert gain.gain_db == pytest.approx(-1.0 - peak)
        assert gain.true_peak_dbtp_after is not None
        assert gain.true_peak_dbtp_after <= -1.0
        assert gain.ceiling_cut_db > 0.0
        assert gain.reason.startswith("gain lowered by")
    assert plan.limiting_track_id is None
    shortfalls = [-10.0 - (plan.track(t).integrated_lufs_after or 0.0) for t in ("quiet", "loud")]
    assert plan.loudness_given_up_lu == pytest.approx(max(shortfalls), abs=1e-6)


@pytest.mark.parametrize("mode", ["album", "track", "anchor"])
def test_the_limiter_keeps_the_gains_and_reports_its_reduction(tmp_path, analyses, mode):
    free = plan_gains(
        session(tmp_path, ORDER, mode=mode, target_lufs=-8.0, limiter_allowed=True), analyses
    )
    capped = plan_gains(session(tmp_path, ORDER, mode=mode, target_lufs=-8.0), analyses)

    assert free.limiter
    assert not capped.limiter
    assert free.loudness_given_up_lu == 0.0
    assert free.limiting_track_id is None
    for gain in free.tracks:
        peak = analyses[gain.track_id].true_peak_dbtp
        assert peak is not None
        assert gain.true_peak_dbtp_after == pytest.approx(peak + gain.gain_db)
        expected = max(0.0, peak + gain.gain_db + 1.0)
        assert gain.limiter_reduction_db == pytest.approx(expected)
        if expected:
            assert "the limiter brings its true peak" in gain.reason
        assert gain.gain_db >= capped.track(gain.track_id).gain_db
    assert "limiter runs" in free.summary()


def test_the_limiter_measures_at_least_the_planned_reduction(tmp_path, audio, analyses):
    plan = plan_gains(session(tmp_path, ORDER, target_lufs=-9.0, limiter_allowed=True), analyses)
    gain = plan.track("loud")
    assert gain.limiter_reduction_db > 1.0
    limiter = TruePeakLimiter(RATE, plan.ceiling_dbtp)
    track = np.ascontiguousarray(audio["loud"].T) * db_to_amplitude(gain.gain_db)
    out = np.concatenate([limiter.process(track), limiter.flush()], axis=1)

    assert limiter.max_reduction_db >= gain.limiter_reduction_db
    assert limiter.max_reduction_db == pytest.approx(gain.limiter_reduction_db, abs=0.1)
    limited = measured(np.ascontiguousarray(out.T))
    assert limited.true_peak_dbtp is not None
    assert limited.true_peak_dbtp <= plan.ceiling_dbtp


def test_a_plan_under_the_ceiling_needs_no_limiter(tmp_path, analyses):
    plan = plan_gains(session(tmp_path, ORDER, target_lufs=-20.0, limiter_allowed=True), analyses)

    assert not plan.limiter
    assert all(gain.limiter_reduction_db == 0.0 for gain in plan.tracks)


# --------------------------------------------------------------------------- edge cases


def test_unmeasurable_tracks_keep_zero_gain_plus_offset(tmp_path, audio, analyses):
    silent = np.zeros((RATE * 2, 2))
    # Shorter than one 400 ms block, and quiet: the plan cannot see the energy a track
    # shorter than a block adds to its neighbours' blocks.
    click = sine(1000.0, -40.0, 0.3, RATE)
    samples = {**audio, "silence": silent, "click": click}
    found = {**analyses, "silence": measured(silent), "click": measured(click)}
    order = ["quiet", "silence", "loud", "click", "tone"]
    offsets = {"silence": -3.0, "click": -2.0}
    plan = plan_gains(session(tmp_path, order, offsets, target_lufs=-16.0), found)

    for track_id in ("silence", "click"):
        gain = plan.track(track_id)
        assert gain.gain_db == offsets[track_id]
        assert gain.integrated_lufs_after is None
        assert gain.reason.startswith("no measurable loudness")
        assert "offset" in gain.reason
    assert plan.track("silence").true_peak_dbtp_after is None
    assert measured(render(plan, samples)).integrated_lufs == pytest.approx(
        -16.0, abs=RENDER_TOLERANCE_LU
    )


def test_an_unmeasurable_track_is_still_held_under_the_ceiling(tmp_path, analyses):
    click = sine(1000.0, 0.0, 0.3, RATE)
    found = {**analyses, "click": measured(click)}
    plan = plan_gains(session(tmp_path, ["tone", "click"], target_lufs=-16.0), found)

    click_gain = plan.track("click")
    assert click_gain.true_peak_dbtp_after is not None
    assert click_gain.true_peak_dbtp_after <= -1.0
    assert "over the -1.0 dBTP ceiling" in click_gain.reason
    # It does not hold the album down.
    assert plan.limiting_track_id is None
    assert plan.track("tone").integrated_lufs_after == pytest.approx(-16.0, abs=PLAN_TOLERANCE_LU)


def test_an_album_without_measurable_loudness(tmp_path):
    silent = measured(np.zeros((RATE, 2)))
    plan = plan_gains(session(tmp_path, ["a", "b"], {"b": -2.0}), {"a": silent, "b": silent})

    assert [gain.gain_db for gain in plan.tracks] == [0.0, -2.0]
    assert plan.album_lufs_before is None
    assert plan.album_lufs_after is None
    assert "No track has measurable loudness" in plan.summary()


def test_a_missing_analysis_is_an_error(tmp_path, analyses):
    with pytest.raises(AnalysisError, match="has not been analysed"):
        plan_gains(session(tmp_path, [*ORDER, "new"]), analyses)


def test_the_plan_looks_up_tracks(tmp_path, analyses):
    plan = plan_gains(session(tmp_path, ORDER), analyses)

    assert [gain.track_id for gain in plan.tracks] == ORDER
    assert plan.gain_db("loud") == plan.track("loud").gain_db
    with pytest.raises(SessionError, match="no track"):
        plan.track("nope")
    assert GainPlan.model_validate_json(plan.model_dump_json()) == plan


# --------------------------------------------------------------------------- streaming preview


def _plan(album_lufs: float, tracks: list[tuple[str, float, float]], **extra: Any) -> GainPlan:
    """Build a plan with given levels after the gains: (id, LUFS, true peak dBTP) per track."""
    fields: dict[str, Any] = {
        "mode": LoudnessMode.ALBUM,
        "target_lufs": album_lufs,
        "ceiling_dbtp": -1.0,
        "limiter": False,
        "shared_gain_db": 0.0,
        "anchor_track_id": None,
        "album_lufs_before": album_lufs,
        "album_lufs_after": album_lufs,
        "limiting_track_id": None,
        "loudness_given_up_lu": 0.0,
        "tracks": tuple(
            TrackGain(
                track_id=track_id,
                gain_db=0.0,
                integrated_lufs_after=lufs,
                true_peak_dbtp_after=peak,
                reason="",
            )
            for track_id, lufs, peak in tracks
        ),
    }
    fields.update(extra)
    return GainPlan(**fields)


def test_the_platform_presets_hold_the_documented_references():
    references = {platform.name: platform.reference_lufs for platform in PLATFORMS}
    assert references == {
        "Spotify": -14.0,
        "Apple Music": -16.0,
        "YouTube": -14.0,
        "Amazon Music": -14.0,
        "Tidal": -14.0,
        "Deezer": -15.0,
    }
    assert all(platform.source for platform in PLATFORMS)


def test_spotify_raises_quiet_music_only_to_one_db_of_peak_headroom():
    # Spotify's own example: a track at -20 LUFS with its true peak at -5 dBFS is
    # lifted to -16 LUFS, not -14.
    spotify = next(platform for platform in PLATFORMS if platform.name == "Spotify")
    assert playback_gain(spotify, -20.0, -5.0) == pytest.approx(4.0)
    assert playback_gain(spotify, -20.0, -12.0) == pytest.approx(6.0)
    assert playback_gain(spotify, -9.0, -0.1) == pytest.approx(-5.0)


def test_preview_of_a_loud_album():
    # An album at -10 LUFS: a single at -9 LUFS and a ballad at -13 LUFS.
    plan = _plan(-10.0, [("single", -9.0, -1.0), ("ballad", -13.0, -3.0)])
    preview = {gain.platform.name: gain for gain in platform_preview(plan)}

    spotify = preview["Spotify"]
    assert spotify.album_gain_db == pytest.approx(-4.0)
    assert spotify.album_lufs_played == pytest.approx(-14.0)
    assert [t.gain_db for t in spotify.tracks] == pytest.approx([-5.0, -1.0])
    assert (spotify.shuffle_min_db, spotify.shuffle_max_db) == pytest.approx((-5.0, -1.0))
    assert "4.0 dB quieter" in spotify.note
    assert preview["Apple Music"].album_gain_db == pytest.approx(-6.0)
    assert preview["Tidal"].album_gain_db == pytest.approx(-4.0)
    # No album mode: the album plays at the shuffle gains.
    deezer = preview["Deezer"]
    assert deezer.album_gain_db is None
    assert [t.gain_db for t in deezer.tracks] == pytest.approx([-6.0, -2.0])
    assert "no album mode" in deezer.note


def test_preview_of_a_quiet_album():
    plan = _plan(-20.0, [("a", -19.0, -5.0), ("b", -24.0, -12.0)])
    preview = {gain.platform.name: gain for gain in platform_preview(plan)}

    # Spotify raises the album until its loudest peak (-5 dBTP) reaches -1 dBTP.
    assert preview["Spotify"].album_gain_db == pytest.approx(4.0)
    assert [t.gain_db for t in preview["Spotify"].tracks] == pytest.approx([4.0, 10.0])
    # Platforms that only turn down leave it as it is.
    for name in ("Tidal", "YouTube", "Amazon Music", "Deezer"):
        assert all(t.gain_db == 0.0 for t in preview[name].tracks)
    assert preview["Tidal"].album_gain_db == 0.0


def test_preview_counts_the_limiter_and_an_edited_preset():
    # The limiter holds the peak at the ceiling, so Spotify may raise up to -1 dBTP.
    plan = _plan(-20.0, [("a", -20.0, 2.0)], limiter=True, ceiling_dbtp=-2.0)
    loudest = Platform(
        name="Loudest-track service",
        reference_lufs=-14.0,
        raises_quiet=True,
        raise_peak_limit_dbtp=None,
        album_basis=AlbumBasis.LOUDEST_TRACK,
        source="test",
    )
    spotify = next(platform for platform in PLATFORMS if platform.name == "Spotify")
    first, second = platform_preview(plan, [spotify, loudest])

    assert first.album_gain_db == pytest.approx(1.0)
    assert second.album_gain_db == pytest.approx(6.0)


def test_preview_of_a_real_plan(tmp_path, analyses):
    plan = plan_gains(session(tmp_path, ORDER, target_lufs=-10.0, limiter_allowed=True), analyses)
    after = plan.album_lufs_after
    assert plan.limiter
    assert after is not None
    assert after == pytest.approx(-10.0, abs=PLAN_TOLERANCE_LU)
    preview = {gain.platform.name: gain for gain in platform_preview(plan)}

    assert preview["Spotify"].album_gain_db == pytest.approx(-14.0 - after)
    assert preview["Apple Music"].album_lufs_played == pytest.approx(-16.0)
    assert preview["YouTube"].album_gain_db is None
