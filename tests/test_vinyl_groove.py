"""Groove physics: 45/45, velocity and displacement at a cut level, pitch, limits, the meter."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from vinyl.groove import (
    DisplacementIntegrator,
    GrooveMeter,
    cutter_slope,
    groove_speed,
    highest_fitting_cut_level,
    lateral_vertical,
    max_traceable_velocity,
    min_curvature_radius_um,
    plan_pitch,
    radius_at_time,
    revolution_seconds,
    revolutions,
    velocity_scale,
)
from vinyl.riaa import riaa_gain_db

RATE = 44100
RPM_33 = 100.0 / 3.0
REFERENCE_DBFS = -4.0
#: 12" modulated area (vinyl.md, IEC 60098): 292.6 mm and 120.65 mm diameters.
OUTER_12_MM = 146.3
INNER_12_MM = 60.325


def sine(frequency: float, seconds: float, dbfs: float, rate: int = RATE) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return 10 ** (dbfs / 20) * np.sin(2 * np.pi * frequency * t)


def meter(planar: np.ndarray, cut_level_db: float = 0.0, block_frames: int = 65536) -> GrooveMeter:
    m = GrooveMeter(RATE, RPM_33, cut_level_db=cut_level_db, reference_dbfs=REFERENCE_DBFS)
    for i in range(0, planar.shape[1], block_frames):
        m.process(planar[:, i : i + block_frames])
    m.finish()
    return m


# --- 45/45 and level ---------------------------------------------------------------


def test_mono_is_lateral_and_antiphase_is_vertical() -> None:
    s = sine(100, 0.1, -6)
    mono = lateral_vertical(np.stack([s, s]))
    anti = lateral_vertical(np.stack([s, -s]))
    np.testing.assert_allclose(mono[0], math.sqrt(2) * s)
    np.testing.assert_array_equal(mono[1], 0.0)
    np.testing.assert_array_equal(anti[0], 0.0)
    np.testing.assert_allclose(anti[1], math.sqrt(2) * s)


def test_reference_sine_is_cut_at_5_cm_s_and_its_displacement() -> None:
    s = sine(1000, 4.0, REFERENCE_DBFS)
    record = meter(np.stack([s, s])).records[1]  # 1.8-3.6 s: settled
    # Sample peak of a 1 kHz sine at 44.1 kHz is within 0.25 % of the true peak.
    assert record.lateral_velocity_m_s == pytest.approx(0.05, rel=0.003)
    assert record.lateral_um == pytest.approx(0.05 / (2 * math.pi * 1000) * 1e6, rel=0.01)
    assert record.vertical_up_um == record.vertical_down_um == 0.0
    # Every dB of cut level is a dB of velocity.
    assert velocity_scale(6.0, REFERENCE_DBFS) / velocity_scale(0.0, REFERENCE_DBFS) == (
        pytest.approx(10 ** (6 / 20))
    )


@pytest.mark.parametrize(
    ("frequency", "domain_um"),
    # vinyl.md: at 0 dB after RIAA about 18 um at 100 Hz, 23 um at 50 Hz, 43 um at 20 Hz.
    [(100.0, 18.0), (50.0, 23.0), (20.0, 43.0)],
)
def test_bass_displacement_at_the_reference_level(frequency: float, domain_um: float) -> None:
    s = sine(frequency, 4.0, REFERENCE_DBFS)
    record = meter(np.stack([s, s])).records[1]
    velocity = 0.05 * 10 ** (float(riaa_gain_db(frequency)) / 20)
    expected_um = velocity / (2 * math.pi * frequency) * 1e6
    assert record.lateral_um == pytest.approx(expected_um, rel=0.01)
    assert record.lateral_um == pytest.approx(domain_um, rel=0.04)


def test_antiphase_bass_is_vertical_and_mono_bass_lateral() -> None:
    s = sine(50, 4.0, REFERENCE_DBFS)
    anti = meter(np.stack([s, -s])).records[1]
    mono = meter(np.stack([s, s])).records[1]
    assert anti.lateral_um < 1e-6
    assert mono.vertical_um < 1e-6
    # The same signal on the other axis: the same excursion, both ways (about 23 um:
    # nearly the whole 25 um base depth, as the domain notes warn).
    assert anti.vertical_up_um == pytest.approx(mono.lateral_um, rel=0.01)
    assert anti.vertical_down_um == pytest.approx(mono.lateral_um, rel=0.01)


# --- Integrator --------------------------------------------------------------------


@pytest.mark.parametrize("frequency", [20.0, 100.0, 1000.0, 5000.0])
def test_integrator_gives_v_over_2_pi_f(frequency: float) -> None:
    velocity = 0.05 * np.sin(2 * np.pi * frequency * np.arange(2 * RATE) / RATE)
    x = DisplacementIntegrator(RATE).process(velocity[None, :])[0, RATE:]
    assert np.abs(x).max() == pytest.approx(0.05 / (2 * math.pi * frequency), rel=0.01)


def test_integrator_does_not_drift_on_dc() -> None:
    dc = np.full((1, 10 * RATE), 0.01)
    x = DisplacementIntegrator(RATE).process(dc)[0]
    # Integrating 1 cm/s for 10 s would be 10 cm; the DC block brings it back to 0.
    assert abs(x[-1]) < 1e-9
    assert np.abs(x).max() < 0.01 / (2 * math.pi * 1.0)


# --- Geometry ----------------------------------------------------------------------


def test_revolutions_and_groove_speed() -> None:
    assert revolution_seconds(RPM_33) == pytest.approx(1.8)
    assert revolution_seconds(45) == pytest.approx(4 / 3)
    assert revolutions(20 * 60, RPM_33) == 667  # vinyl.md
    assert revolutions(3.6, RPM_33) == 2
    # vinyl.md: 0.51 m/s at the outside, 0.21 m/s at the inner limit of a 12" 33 1/3.
    np.testing.assert_allclose(
        groove_speed([OUTER_12_MM, INNER_12_MM], RPM_33), [0.51, 0.21], atol=0.005
    )


def test_radius_at_time_follows_the_pitch() -> None:
    # 60 rpm: one revolution per second; pitches 100 um then 200 um from 100 mm.
    r = radius_at_time([0.0, 0.5, 1.0, 1.5, 5.0], [100.0, 200.0], 100.0, 60.0)
    np.testing.assert_allclose(r, [100.0, 99.95, 99.9, 99.8, 99.7])


def test_pitch_and_space_on_a_hand_made_example() -> None:
    plan = plan_pitch([10.0, 20.0, 0.0], [0.0, 5.0, 0.0], 100.0, 99.7, base_depth_um=25, land_um=15)
    # 2 * 25 + 10 + 20 + 15; 2 * (25 + 5) + 20 + 0 + 15; 2 * 25 + 15.
    np.testing.assert_allclose(plan.pitch_um, [95.0, 95.0, 65.0])
    np.testing.assert_allclose(plan.radius_mm, [100.0, 99.905, 99.81])
    assert plan.space_mm == pytest.approx(0.255)
    assert plan.band_mm == pytest.approx(0.3)
    assert plan.fits
    assert not plan_pitch([10.0, 20.0, 0.0], [0.0, 5.0, 0.0], 100.0, 99.75, 25, 15).fits


def test_plan_rejects_mismatched_arrays() -> None:
    with pytest.raises(ValueError, match="equal length"):
        plan_pitch([1.0, 2.0], [1.0], 100.0, 60.0)


def test_highest_fitting_cut_level_agrees_with_the_closed_form() -> None:
    rng = np.random.default_rng(5)
    lateral = rng.uniform(5, 60, 667)
    vertical = rng.uniform(0, 10, 667)
    depth, land = 25.0, 15.0
    level = highest_fitting_cut_level(lateral, vertical, 0.0, OUTER_12_MM, INNER_12_MM, depth, land)
    assert level is not None
    # Space is linear in the gain g: n (2 d + land) + g sum(2 v + lat_i + lat_(i+1)).
    fixed = lateral.size * (2 * depth + land)
    variable = np.sum(2 * vertical + lateral + np.append(lateral[1:], 0.0))
    exact = 20 * math.log10(((OUTER_12_MM - INNER_12_MM) * 1000 - fixed) / variable)
    assert level == pytest.approx(exact, abs=1e-3)
    assert level <= exact

    def fits(db: float) -> bool:
        g = 10 ** (db / 20)
        return plan_pitch(g * lateral, g * vertical, OUTER_12_MM, INNER_12_MM, depth, land).fits

    assert fits(level)
    assert not fits(level + 0.01)


def test_highest_fitting_cut_level_edges() -> None:
    zeros = np.zeros(100)
    assert highest_fitting_cut_level(zeros, zeros, 0.0, 100.0, 90.0) == 40.0
    # 100000 revolutions of 65 um unmodulated groove need 6.5 m: never fits.
    many = np.zeros(100000)
    assert highest_fitting_cut_level(many, many, 0.0, 100.0, 90.0) is None


# --- Tracing and slope limits -----------------------------------------------------


def test_tracing_example_of_the_domain_notes() -> None:
    # vinyl.md: 12" 33 1/3 inner groove (~60.3 mm), 10 kHz, 12.5 um tip: V max about 5.6 cm/s.
    v_max = float(max_traceable_velocity(10000.0, INNER_12_MM, RPM_33, 12.5))
    assert v_max == pytest.approx(0.056, abs=0.001)
    speed = groove_speed(INNER_12_MM, RPM_33)
    assert float(min_curvature_radius_um(v_max, 10000.0, speed)) == pytest.approx(12.5)


def test_same_passage_passes_outside_and_fails_inside() -> None:
    passage_velocity, frequency, tip = 0.08, 10000.0, 12.5
    limits = max_traceable_velocity(frequency, [OUTER_12_MM, INNER_12_MM], RPM_33, tip)
    assert passage_velocity < limits[0]
    assert passage_velocity > limits[1]
    # Placed by a plan: the first revolution is at the outer radius, the last near the inner.
    plan = plan_pitch(np.zeros(667), np.zeros(667), OUTER_12_MM, INNER_12_MM, 25.0, 78.0)
    assert plan.fits
    start, end = radius_at_time([0.0, 666 * 1.8], plan.pitch_um, OUTER_12_MM, RPM_33)
    assert min_curvature_radius_um(passage_velocity, frequency, groove_speed(start, RPM_33)) > tip
    assert min_curvature_radius_um(passage_velocity, frequency, groove_speed(end, RPM_33)) < tip


def test_cutter_slope_limit_is_the_groove_speed() -> None:
    slopes = cutter_slope(0.3, [OUTER_12_MM, INNER_12_MM], RPM_33)
    assert slopes[0] < 1.0 < slopes[1]
    assert float(cutter_slope(groove_speed(100.0, 45), 100.0, 45)) == pytest.approx(1.0)


# --- Meter streaming ---------------------------------------------------------------


def music(seconds: float, seed: int) -> np.ndarray:
    """Seeded noise with a bass line and some anti-phase content."""
    rng = np.random.default_rng(seed)
    n = round(seconds * RATE)
    noise = rng.standard_normal((2, n)) * 0.05
    bass = sine(55, seconds, -10)
    return noise + np.stack([bass, 0.5 * bass])


@pytest.mark.parametrize("block_frames", [7, 441, 4097, 79381])
def test_block_size_does_not_change_the_records(block_frames: int) -> None:
    x = music(4.0, seed=2)
    whole = meter(x, block_frames=x.shape[1]).records
    blocks = meter(x, block_frames=block_frames).records
    assert len(blocks) == len(whole) == 3
    for a, b in zip(blocks, whole, strict=True):
        da, db = dataclasses.asdict(a), dataclasses.asdict(b)
        assert (da["index"], da["start_s"]) == (db["index"], db["start_s"])
        for key in ("lateral_um", "vertical_up_um", "vertical_down_um"):
            assert da[key] == pytest.approx(db[key], rel=1e-9)
        for key in ("lateral_velocity_m_s", "vertical_velocity_m_s"):
            assert da[key] == pytest.approx(db[key], rel=1e-9)


def test_revolution_boundaries_and_partial_last_revolution() -> None:
    x = music(4.0, seed=1)
    m = GrooveMeter(RATE, RPM_33)
    m.process(x)
    assert [r.start_s for r in m.records] == pytest.approx([0.0, 1.8])
    records = m.finish()
    assert [r.index for r in records] == [0, 1, 2]
    assert records[2].start_s == pytest.approx(3.6)
    assert m.finish() == records  # nothing left to close
    m.process(np.zeros((2, 0)))


def test_meter_plan_scales_with_cut_level() -> None:
    x = music(4.0, seed=3)
    low = meter(x, cut_level_db=0.0)
    high = meter(x, cut_level_db=6.0)
    ratio = high.excursions()[0] / low.excursions()[0]
    np.testing.assert_allclose(ratio, 10 ** (6 / 20), rtol=1e-9)
    plan = low.plan(OUTER_12_MM, INNER_12_MM)
    assert plan.fits
    assert plan.pitch_um.size == 3
    assert np.all(plan.pitch_um > 2 * low.base_depth_um + low.land_um)
