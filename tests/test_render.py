"""The render engine: exact positions, curve shapes, block independence, reproducibility."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr

from sequencer.analysis import analyse_file
from sequencer.errors import Cancelled, RenderError
from sequencer.render import OutputFile, curve_gain, envelope, mixed_blocks, render
from sequencer.session import Crossfade, Curve, Fade, FileFormat, Track
from sequencer.timeline import Placement, SourceInfo, Timeline, TrackEntry, place

RATE = 44100


def write_source(path: Path, data: np.ndarray, rate: int = RATE) -> Path:
    sf.write(str(path), data, rate, subtype="FLOAT")
    return path


def constant(seconds: float, value: float, rate: int = RATE) -> np.ndarray:
    return np.full((round(seconds * rate), 2), value)


def noise(seconds: float, seed: int, level: float = 0.1, rate: int = RATE) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((round(seconds * rate), 2)) * level


def make_track(path: Path, track_id: str, **changes: object) -> Track:
    return Track(id=track_id, path=path, title=track_id, **changes)


def timeline_of(entries: list[TrackEntry], rate: int = RATE, cd: bool = False) -> Timeline:
    sources = {}
    for entry in entries:
        info = sf.info(str(entry.track.path))
        sources[entry.track.id] = SourceInfo(frames=info.frames, sample_rate=info.samplerate)
    return place(entries, sources, rate, cd_alignment=cd)


def read(path: Path, dtype: str = "float64") -> np.ndarray:
    return sf.read(str(path), dtype=dtype, always_2d=True)[0]


def test_pauses_put_every_sample_where_the_timeline_says(tmp_path: Path) -> None:
    a = make_track(write_source(tmp_path / "a.wav", constant(1.0, 0.25)), "a")
    b = make_track(write_source(tmp_path / "b.wav", constant(0.5, 0.5)), "b")
    c = make_track(write_source(tmp_path / "c.wav", constant(0.7, -0.125)), "c")
    entries = [TrackEntry(a, pause_s=0.1), TrackEntry(b, pause_s=0.25), TrackEntry(c, pause_s=0.0)]
    timeline = timeline_of(entries)
    out = tmp_path / "album.wav"
    render(timeline, {}, [OutputFile(out, 0, timeline.length, 32)], seed=1)
    audio = read(out)[:, 0]
    expected = np.zeros(timeline.length)
    for placement, value in zip(timeline.placements, (0.25, 0.5, -0.125), strict=True):
        expected[placement.start : placement.end] = value
    assert timeline.placements[0].start == 4410
    assert timeline.placements[1].start == 4410 + 44100 + 11025
    assert timeline.placements[2].start == timeline.placements[1].end
    np.testing.assert_array_equal(audio, expected.astype(np.float32))


def test_cd_alignment_puts_starts_on_frames_without_cutting_audio(tmp_path: Path) -> None:
    a = make_track(write_source(tmp_path / "a.wav", constant(4.3, 0.25)), "a")
    b = make_track(write_source(tmp_path / "b.wav", constant(4.1, 0.5)), "b")
    c = make_track(write_source(tmp_path / "c.wav", constant(4.2, 0.3)), "c")
    crossfade = Crossfade(from_track="b", to_track="c", seconds=0.5, curve=Curve.LINEAR)
    entries = [TrackEntry(a), TrackEntry(b, pause_s=1.3), TrackEntry(c, crossfade=crossfade)]
    timeline = timeline_of(entries, cd=True)
    first, second, third = timeline.placements
    assert first.start == 150 * 588  # at least 2 s before track 1
    for placement in timeline.placements:
        assert placement.start % 588 == 0
    assert second.start >= first.end  # rounding the pause never cuts audio
    assert abs((second.start - first.end) - round(1.3 * RATE)) <= 294
    assert third.crossfade_in == second.end - third.start > 0
    assert timeline.length % 588 == 0
    out = tmp_path / "album.wav"
    render(timeline, {}, [OutputFile(out, 0, timeline.length, 32)], seed=1)
    audio = read(out)[:, 0]
    assert np.all(audio[first.start : first.end] == np.float32(0.25))
    assert np.all(audio[second.start : third.start] == np.float32(0.5))
    overlap = audio[third.start : second.end]
    np.testing.assert_allclose(
        overlap,
        0.5 * np.linspace(1, 0, overlap.size) + 0.3 * np.linspace(0, 1, overlap.size),
        atol=2e-4,
    )


@pytest.mark.parametrize("curve", list(Curve))
def test_curves_are_monotonic_and_mirror_each_other(curve: Curve) -> None:
    x = (np.arange(1000) + 0.5) / 1000
    rising = curve_gain(curve, x, rising=True)
    falling = curve_gain(curve, x, rising=False)
    assert np.all(np.diff(rising) > 0)
    np.testing.assert_allclose(falling, rising[::-1], atol=1e-12)
    if curve == Curve.EQUAL_POWER:
        np.testing.assert_allclose(rising**2 + falling**2, 1.0, atol=1e-12)
    else:
        np.testing.assert_allclose(rising + falling, 1.0, atol=1e-12)
    if curve == Curve.S_CURVE:
        assert rising[0] < 1e-5  # gentle start
        assert rising[500] == pytest.approx(0.5, abs=2e-3)


def test_equal_power_crossfade_keeps_the_power_of_uncorrelated_noise(tmp_path: Path) -> None:
    a = make_track(write_source(tmp_path / "a.wav", noise(6, 1)), "a")
    b = make_track(write_source(tmp_path / "b.wav", noise(6, 2)), "b")
    crossfade = Crossfade(from_track="a", to_track="b", seconds=4.0, curve=Curve.EQUAL_POWER)
    timeline = timeline_of([TrackEntry(a), TrackEntry(b, crossfade=crossfade)])
    out = tmp_path / "album.wav"
    render(timeline, {}, [OutputFile(out, 0, timeline.length, 32)], seed=1)
    audio = read(out)
    seam = timeline.placements[1]
    window = 4410
    levels = []
    for start in range(
        seam.start - 2 * RATE, seam.start + seam.crossfade_in + 2 * RATE - window, window
    ):
        levels.append(10 * np.log10(np.mean(audio[start : start + window] ** 2)))
    assert max(levels) - min(levels) < 0.5


def test_fades_and_gain_follow_the_envelope(tmp_path: Path) -> None:
    track = make_track(
        write_source(tmp_path / "a.wav", constant(2.0, 0.5)),
        "a",
        fade_in=Fade(seconds=0.5, curve=Curve.S_CURVE),
        fade_out=Fade(seconds=0.25, curve=Curve.LINEAR),
    )
    timeline = timeline_of([TrackEntry(track)])
    out = tmp_path / "album.wav"
    render(timeline, {"a": -6.0}, [OutputFile(out, 0, timeline.length, 32)], seed=1)
    audio = read(out)[:, 0].astype(np.float64)
    gain = 10 ** (-6 / 20)
    expected = 0.5 * gain * envelope(timeline.placements[0], 0, timeline.length, 0.0)
    np.testing.assert_allclose(audio, expected, rtol=1e-6)
    assert audio[RATE] == pytest.approx(0.5 * gain, rel=1e-6)
    assert audio[0] < 1e-6 * 0.5
    assert audio[-1] == pytest.approx(0.5 * gain * 0.5 / (0.25 * RATE), rel=1e-3)


def build_mixed_album(tmp_path: Path) -> Timeline:
    """Three tracks: a pause, a crossfade, a 48 kHz source, trims and fades."""
    a = make_track(write_source(tmp_path / "a.wav", noise(3, 1)), "a", trim_in_s=0.25)
    b48 = noise(2.5, 2, rate=48000)
    b = make_track(
        write_source(tmp_path / "b.wav", b48, rate=48000), "b", fade_in=Fade(seconds=0.3)
    )
    c = make_track(
        write_source(tmp_path / "c.wav", noise(2, 3)),
        "c",
        trim_out_s=1.7,
        fade_out=Fade(seconds=0.4),
    )
    crossfade = Crossfade(from_track="b", to_track="c", seconds=0.8, curve=Curve.S_CURVE)
    entries = [
        TrackEntry(a, pause_s=0.5),
        TrackEntry(b, pause_s=1.0),
        TrackEntry(c, crossfade=crossfade),
    ]
    return timeline_of(entries)


@pytest.mark.parametrize("block", [7, 1001, 4096])
def test_block_size_does_not_change_the_bytes(tmp_path: Path, block: int) -> None:
    timeline = build_mixed_album(tmp_path)
    gains = {"a": -1.5, "b": 2.0, "c": 0.0}
    reference = tmp_path / "reference.wav"
    render(timeline, gains, [OutputFile(reference, 0, timeline.length, 16)], seed=7)
    out = tmp_path / f"block{block}.wav"
    render(timeline, gains, [OutputFile(out, 0, timeline.length, 16)], seed=7, block_frames=block)
    assert out.read_bytes() == reference.read_bytes()


def reference_envelope(placement: Placement) -> np.ndarray:
    """Fades and crossfades written out from their formulas, independently of the engine."""
    shapes = {
        Curve.LINEAR: lambda x: x,
        Curve.EQUAL_POWER: lambda x: np.sin(np.pi / 2 * x),
        Curve.S_CURVE: lambda x: (1 - np.cos(np.pi * x)) / 2,
    }
    gain = np.ones(placement.length)
    for size, curve, rising in (
        (placement.fade_in, placement.fade_in_curve, True),
        (placement.crossfade_in, placement.crossfade_in_curve, True),
        (placement.fade_out, placement.fade_out_curve, False),
        (placement.crossfade_out, placement.crossfade_out_curve, False),
    ):
        if size:
            x = (np.arange(size) + 0.5) / size
            if rising:
                gain[:size] *= shapes[curve](x)
            else:
                gain[-size:] *= shapes[curve](1 - x)
    return gain


def test_block_render_equals_a_whole_array_reference(tmp_path: Path) -> None:
    timeline = build_mixed_album(tmp_path)
    gains = {"a": -1.5, "b": 2.0, "c": 0.0}
    out = tmp_path / "album.wav"
    render(timeline, gains, [OutputFile(out, 0, timeline.length, 32)], seed=1, block_frames=333)
    expected = np.zeros((timeline.length, 2))
    for placement in timeline.placements:
        source, rate = sf.read(str(placement.path), dtype="float64", always_2d=True)
        audio = source[placement.source_start : placement.source_stop]
        if rate != timeline.sample_rate:
            audio = soxr.resample(audio, rate, timeline.sample_rate, quality="VHQ")
        audio = np.pad(audio, ((0, max(0, placement.length - len(audio))), (0, 0)))[
            : placement.length
        ]
        gain = 10 ** (gains[placement.track_id] / 20) * reference_envelope(placement)
        expected[placement.start : placement.end] += audio * gain[:, None]
    np.testing.assert_allclose(read(out), expected.astype(np.float32), atol=1e-7)


def test_same_session_same_bytes_and_per_track_files_concatenate(tmp_path: Path) -> None:
    timeline = build_mixed_album(tmp_path)
    for depth in (16, 24):
        outputs = [OutputFile(tmp_path / f"album{depth}.wav", 0, timeline.length, depth)]
        outputs += [
            OutputFile(tmp_path / f"{depth}-{n}.flac", a, b, depth, FileFormat.FLAC)
            for n, (a, b) in enumerate(timeline.file_ranges())
        ]
        first = render(timeline, {}, outputs, seed=3)
        again = render(timeline, {}, outputs, seed=3)
        assert [f.sha256 for f in first.files] == [f.sha256 for f in again.files]
        album = read(outputs[0].path, "int32")
        parts = np.concatenate([read(o.path, "int32") for o in outputs[1:]])
        np.testing.assert_array_equal(parts, album)
    # Another seed, another dither: the samples differ.
    render(timeline, {}, [OutputFile(tmp_path / "other.wav", 0, timeline.length, 16)], seed=4)
    other = read(tmp_path / "other.wav", "int16")
    assert other.tobytes() != read(tmp_path / "album16.wav", "int16").tobytes()


def test_resampled_track_keeps_its_length_and_level(tmp_path: Path) -> None:
    t = np.arange(48000 * 3) / 48000
    tone = 0.5 * np.sin(2 * np.pi * 997 * t)
    track = make_track(write_source(tmp_path / "a.wav", np.column_stack([tone, tone]), 48000), "a")
    timeline = timeline_of([TrackEntry(track)])
    assert timeline.placements[0].length == 3 * RATE
    out = tmp_path / "album.wav"
    render(timeline, {}, [OutputFile(out, 0, timeline.length, 24)], seed=1)
    analysis = analyse_file(out)
    assert analysis.duration_samples == 3 * RATE
    assert analysis.sample_peak_dbfs == pytest.approx(-6.02, abs=0.05)


def test_cancel_leaves_no_file(tmp_path: Path) -> None:
    timeline = build_mixed_album(tmp_path)
    cancel = threading.Event()
    out = tmp_path / "album.wav"
    with pytest.raises(Cancelled):
        render(
            timeline,
            {},
            [OutputFile(out, 0, timeline.length, 16)],
            seed=1,
            block_frames=1000,
            progress=lambda done, total: cancel.set(),
            cancel=cancel,
        )
    assert list(tmp_path.glob("album*")) == []
    assert list(tmp_path.glob(".album*")) == []


def test_write_failure_names_the_file_and_leaves_nothing(tmp_path: Path) -> None:
    timeline = build_mixed_album(tmp_path)
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where a folder should be")
    with pytest.raises(RenderError, match="blocked"):
        render(timeline, {}, [OutputFile(blocked / "album.wav", 0, timeline.length, 16)], seed=1)
    ok = tmp_path / "ok.wav"
    with pytest.raises(RenderError, match="FLAC cannot hold 32-bit float"):
        render(
            timeline,
            {},
            [
                OutputFile(ok, 0, timeline.length, 16),
                OutputFile(tmp_path / "x.flac", 0, 10, 32, FileFormat.FLAC),
            ],
            seed=1,
        )
    assert not ok.exists()
    assert list(tmp_path.glob(".*.part")) == []


def test_flac_tags_include_the_isrc(tmp_path: Path) -> None:
    from mutagen.flac import FLAC

    timeline = build_mixed_album(tmp_path)
    out = tmp_path / "t.flac"
    tags = {"title": "Dead Wax", "artist": "Ensemble", "tracknumber": "4", "isrc": "GBAAA2400001"}
    render(timeline, {}, [OutputFile(out, 0, 44100, 24, FileFormat.FLAC, tags)], seed=1)
    stored = FLAC(str(out))
    assert stored["ISRC"] == ["GBAAA2400001"]
    assert stored["TITLE"] == ["Dead Wax"]
    assert stored["TRACKNUMBER"] == ["4"]


def test_a_failure_while_finishing_leaves_no_file_of_the_render(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sequencer.render as render_module

    timeline = build_mixed_album(tmp_path)
    outputs = [
        OutputFile(tmp_path / "album.wav", 0, timeline.length, 16),
        OutputFile(tmp_path / "x.flac", 0, 1000, 16, FileFormat.FLAC, {"isrc": "GBAAA2400001"}),
    ]

    def broken_tagger(path: Path, isrc: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(render_module, "_tag_flac_isrc", broken_tagger)
    with pytest.raises(RenderError, match=r"x\.flac"):
        render(timeline, {}, outputs, seed=1)
    assert not (tmp_path / "album.wav").exists()
    assert not (tmp_path / "x.flac").exists()
    assert list(tmp_path.glob(".*.part")) == []


@pytest.mark.parametrize(("subtype", "padded"), [("OPUS", True), ("PCM_24", False)])
def test_a_lossy_source_a_few_samples_short_at_its_end_is_padded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, subtype: str, padded: bool
) -> None:
    """The Opus decoder of libsndfile can return 10 samples fewer than the header says.

    Lossy sources are padded with that much silence; for PCM a short file is truncated
    and refused. The render and the analysis's block reader alike.
    """
    import soundfile

    from sequencer import audio as audio_module
    from sequencer.errors import AudioError
    from sequencer.session import new_session
    from sequencer.timeline import SourceInfo, TrackEntry, place

    frames = 48000
    path = tmp_path / "song.wav"
    soundfile.write(str(path), np.full((frames, 2), 0.25), 48000, subtype="PCM_24")

    class ShortAtTheEnd:
        """A real handle that reports ``subtype`` and drops the last 10 samples."""

        def __init__(self, real: soundfile.SoundFile) -> None:
            self._real = real
            self.subtype = subtype
            self.frames = real.frames

        def read(self, count: int, **options: object) -> np.ndarray:
            block = self._real.read(count, **options)
            if self._real.tell() >= self.frames:
                block = block[:-10]
            return block

        def __getattr__(self, name: str) -> object:
            return getattr(self._real, name)

    real_open = audio_module.open_audio
    monkeypatch.setattr(audio_module, "open_audio", lambda p: ShortAtTheEnd(real_open(p)))
    # The handle above is libsndfile's: keep the WAV byte reader out of this test.
    monkeypatch.setattr(audio_module.PcmWavReader, "open", lambda *args: None)
    session = new_session([path], title="Short")
    track = session.ordered_tracks()[0]
    timeline = place([TrackEntry(track)], {track.id: SourceInfo(frames, 48000)}, 48000)
    if padded:
        mix = np.concatenate([block for _, block in mixed_blocks(timeline, {})])
        assert mix.shape == (timeline.length, 2)
        placement = timeline.placements[0]
        end = placement.start + frames
        assert np.all(mix[end - 10 : end] == 0.0)
        assert np.allclose(mix[end - 20 : end - 10], 0.25)
        # The analysis reads through the same reader, so it is padded alike.
        read = np.concatenate(list(audio_module.read_blocks(path, block_frames=20000)))
        assert read.shape == (frames, 2)
        assert np.all(read[-10:] == 0.0)
        assert np.allclose(read[-20:-10], 0.25)
    else:
        with pytest.raises(AudioError, match="ends early"):
            for _ in mixed_blocks(timeline, {}):
                pass
        with pytest.raises(AudioError, match="ends early"):
            list(audio_module.read_blocks(path, block_frames=20000))


def test_a_wav_source_cut_short_while_rendering_is_refused(tmp_path: Path) -> None:
    """The WAV byte reader meets the end of a file that shrank after it was opened."""
    import soundfile

    from sequencer.errors import AudioError
    from sequencer.session import new_session
    from sequencer.timeline import SourceInfo, TrackEntry, place

    # Long enough that the reader's read-ahead (a few chunks of 65536 frames) cannot
    # have reached the cut when it is made.
    frames = 2_000_000
    path = tmp_path / "song.wav"
    soundfile.write(str(path), np.full((frames, 2), 0.25), 48000, subtype="PCM_24")
    session = new_session([path], title="Short")
    track = session.ordered_tracks()[0]
    timeline = place([TrackEntry(track)], {track.id: SourceInfo(frames, 48000)}, 48000)
    blocks = mixed_blocks(timeline, {}, block_frames=4096)
    _, first = next(blocks)
    assert np.allclose(first[first.any(axis=1)], 0.25)
    with open(path, "r+b") as stream:
        stream.truncate(path.stat().st_size // 2)
    with pytest.raises(AudioError, match="ends early"):
        for _ in blocks:
            pass
