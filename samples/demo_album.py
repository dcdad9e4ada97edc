"""The deterministic demo album: ten synthesized tracks with planted faults.

``generate_demo_album(directory)`` writes ten 44.1 kHz, 24-bit stereo WAV files (about
41 minutes) made from seeded numpy/scipy synthesis. Six tracks carry faults at known
times (:data:`PLANTED_FAULTS`) for the vinyl and level checks to find; the others are
clean. The same call writes byte-identical files every time, reuses files that are
complete and current (a manifest records version, size and SHA-256), and never leaves
a partial file under a final name.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import soundfile as sf

from samples import synth
from samples.compose import (
    BASS_SOUNDS,
    KEYS_SOUNDS,
    LEAD_SOUNDS,
    PAD_SOUNDS,
    Hit,
    Recipe,
    Section,
    SectionName,
    Sound,
    build_score,
)
from samples.synth import SR, Audio
from sequencer.errors import Cancelled

logger = logging.getLogger(__name__)

ALBUM_TITLE = "Test Pressing"
ALBUM_ARTIST = "The Runout Ensemble"
GENERATOR_VERSION = 1
"""Bump when the audio changes: files made by another version are regenerated."""
ALBUM_SEED = 20240707
MANIFEST_NAME = "demo-album.json"
SUBTYPE = "PCM_24"

FaultKind = Literal[
    "lowend-antiphase", "sibilance", "clipping", "quiet-dynamic", "dc-offset", "silent-tail"
]
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class DemoTrack:
    """One track of the demo album.

    Attributes
    ----------
    number : int
        Position on the album (1-based).
    title : str
        Track title.
    file_name : str
        Name of the WAV file.
    duration_s : float
        Exact length of the file in seconds (a whole number of samples).
    key : str
        Musical key.
    features : str
        What the track is like, and what is planted in it.
    recipe : Recipe
        How it is composed and mastered.
    """

    number: int
    title: str
    file_name: str
    duration_s: float
    key: str
    features: str
    recipe: Recipe

    @property
    def frames(self) -> int:
        """Length of the file in samples per channel."""
        return round(self.duration_s * SR)

    @property
    def tempo_bpm(self) -> float:
        """Tempo in beats per minute."""
        return self.recipe.tempo_bpm


@dataclass(frozen=True)
class PlantedFault:
    """A fault placed on purpose in a demo track, with what a check should find.

    Attributes
    ----------
    track : int
        Track number.
    kind : str
        What is wrong.
    start_s, end_s : float
        Where, in seconds from the start of the track.
    description : str
        How it was planted.
    expected : str
        What a check should report.
    events_s : tuple of float
        Start times of the individual events (sibilant bursts).
    event_length_s : float
        Length of each event.
    value : float or None
        The planted quantity: DC offset (full scale), loudness target (LUFS).
    """

    track: int
    kind: FaultKind
    start_s: float
    end_s: float
    description: str
    expected: str
    events_s: tuple[float, ...] = ()
    event_length_s: float = 0.0
    value: float | None = None


def _form(*parts: tuple[SectionName, int] | tuple[SectionName, int, float]) -> tuple[Section, ...]:
    return tuple(Section(*part) for part in parts)


_POP_FORM = _form(
    ("intro", 8), ("verse", 16), ("chorus", 16), ("verse", 16), ("chorus", 16),
    ("breakdown", 8), ("chorus", 16), ("outro", 16),
)  # fmt: skip

DEMO_TRACKS: tuple[DemoTrack, ...] = (
    DemoTrack(
        number=1,
        title="Lead-In Groove",
        file_name="01-lead-in-groove.wav",
        duration_s=232.0,
        key="A minor",
        features="118 bpm four-on-the-floor, offbeat saw bass, warm pad, plucked stabs, "
        "square lead",
        recipe=Recipe(
            tempo_bpm=118.0,
            tonic=57,
            mode="minor",
            form=_POP_FORM,
            verse_chords=(0, 5, 2, 6),
            chorus_chords=(5, 6, 0, 4),
            drums="four",
            snare_sound="clap",
            kick_tune=(160.0, 50.0, 0.32),
            bass="saw",
            bass_pattern="offbeat",
            chorus_bass_pattern="octaves",
            pad="warm",
            keys="pluck",
            keys_pattern="stabs",
            lead="square",
            target_lufs=-11.0,
        ),
    ),
    DemoTrack(
        number=2,
        title="Variable Pitch",
        file_name="02-variable-pitch.wav",
        duration_s=252.0,
        key="F major",
        features="124 bpm pop backbeat, plucked bass, organ, electric piano, saw lead",
        recipe=Recipe(
            tempo_bpm=124.0,
            tonic=53,
            mode="major",
            form=_form(
                ("intro", 8),
                ("verse", 16),
                ("chorus", 16),
                ("verse", 16),
                ("chorus", 16),
                ("breakdown", 8),
                ("verse", 8),
                ("chorus", 16),
                ("chorus", 16),
                ("outro", 8),
            ),
            verse_chords=(0, 4, 5, 3),
            chorus_chords=(3, 4, 5, 0),
            sevenths=True,
            drums="backbeat",
            bass="pluck",
            bass_pattern="eighths",
            chorus_bass_pattern="rootfifth",
            pad="organ",
            keys="epiano",
            keys_pattern="quarters",
            lead="saw",
            reverb_s=1.3,
            target_lufs=-10.5,
        ),
    ),
    DemoTrack(
        number=3,
        title="Elliptical",
        file_name="03-elliptical.wav",
        duration_s=234.0,
        key="E minor",
        features="96 bpm half-time, heavy sub bass, strings, marimba arpeggio, sine lead; "
        "anti-phase bass 1:00-1:20",
        recipe=Recipe(
            tempo_bpm=96.0,
            tonic=52,
            mode="minor",
            form=_form(
                ("intro", 8),
                ("verse", 16),
                ("chorus", 16),
                ("verse", 16),
                ("chorus", 16),
                ("breakdown", 8),
                ("chorus", 8),
                ("outro", 4),
            ),
            verse_chords=(0, 3, 5, 4),
            chorus_chords=(0, 5, 3, 4),
            drums="halftime",
            kick_tune=(130.0, 45.0, 0.4),
            bass="sub",
            bass_pattern="sync",
            chorus_bass_pattern="long",
            mix_db=(("bass", 0.0),),
            pad="strings",
            keys="marimba",
            keys_pattern="arp",
            lead="sine",
            target_lufs=-12.0,
        ),
    ),
    DemoTrack(
        number=4,
        title="Dead Wax",
        file_name="04-dead-wax.wav",
        duration_s=262.0,
        key="D dorian",
        features="104 bpm swung breakbeat, square bass, organ, flute lead, no keys",
        recipe=Recipe(
            tempo_bpm=104.0,
            tonic=50,
            mode="dorian",
            form=_POP_FORM,
            verse_chords=(0, 3, 0, 3),
            chorus_chords=(6, 3, 0, 4),
            drums="breakbeat",
            swing=0.15,
            bass="square",
            bass_pattern="rootfifth",
            chorus_bass_pattern="sync",
            pad="organ",
            keys=None,
            keys_pattern="stabs",
            lead="flute",
            reverb_s=1.9,
            target_lufs=-12.5,
        ),
    ),
    DemoTrack(
        number=5,
        title="Esses",
        file_name="05-esses.wav",
        duration_s=228.0,
        key="C major",
        features="120 bpm backbeat, plucked bass, strings, electric piano, vocal-like lead; "
        "sibilant bursts in the first chorus",
        recipe=Recipe(
            tempo_bpm=120.0,
            tonic=60,
            mode="major",
            form=_POP_FORM,
            verse_chords=(0, 5, 3, 4),
            chorus_chords=(3, 4, 0, 5),
            drums="backbeat",
            bass="pluck",
            bass_pattern="eighths",
            chorus_bass_pattern="rootfifth",
            pad="strings",
            keys="epiano",
            keys_pattern="stabs",
            lead="vox",
            mix_db=(("hat", -9.0), ("snare", -3.0)),
            target_lufs=-11.0,
        ),
    ),
    DemoTrack(
        number=6,
        title="Brickwall",
        file_name="06-brickwall.wav",
        duration_s=196.0,
        key="G minor",
        features="140 bpm four-on-the-floor, saw bass, square pad, saw lead; mastered hot "
        "and clipped",
        recipe=Recipe(
            tempo_bpm=140.0,
            tonic=55,
            mode="minor",
            form=_POP_FORM,
            verse_chords=(0, 6, 5, 6),
            chorus_chords=(5, 2, 6, 0),
            drums="four",
            snare_sound="both",
            kick_tune=(170.0, 52.0, 0.28),
            bass="saw",
            bass_pattern="offbeat",
            chorus_bass_pattern="octaves",
            pad="square",
            keys="pluck",
            keys_pattern="offbeat",
            lead="saw",
            target_lufs=-7.5,
        ),
    ),
    DemoTrack(
        number=7,
        title="Paper Sleeve",
        file_name="07-paper-sleeve.wav",
        duration_s=298.0,
        key="E-flat major",
        features="72 bpm ballad, soft electric-piano intro, builds to a loud climax; quiet master",
        recipe=Recipe(
            tempo_bpm=72.0,
            tonic=51,
            mode="major",
            form=_form(
                ("intro", 16, -16.0),
                ("verse", 16, -10.0),
                ("breakdown", 8, -13.0),
                ("chorus", 16, -4.0),
                ("chorus", 16, 0.0),
                ("outro", 16, -11.0),
            ),
            verse_chords=(0, 5, 3, 4),
            chorus_chords=(3, 0, 4, 5),
            drums="ballad",
            kick_tune=(120.0, 46.0, 0.45),
            bass="sub",
            bass_pattern="long",
            chorus_bass_pattern="whole",
            pad="strings",
            keys="epiano",
            keys_pattern="arp",
            lead="flute",
            reverb_s=2.4,
            target_lufs=-21.0,
        ),
    ),
    DemoTrack(
        number=8,
        title="Centre Hole",
        file_name="08-centre-hole.wav",
        duration_s=248.0,
        key="B minor",
        features="110 bpm four-on-the-floor with snare, saw bass, warm pad, marimba "
        "arpeggio, square lead; DC offset",
        recipe=Recipe(
            tempo_bpm=110.0,
            tonic=59,
            mode="minor",
            form=_POP_FORM,
            verse_chords=(0, 2, 6, 5),
            chorus_chords=(3, 0, 4, 4),
            drums="four",
            bass="saw",
            bass_pattern="rootfifth",
            chorus_bass_pattern="offbeat",
            pad="warm",
            keys="marimba",
            keys_pattern="arp",
            lead="square",
            target_lufs=-12.0,
        ),
    ),
    DemoTrack(
        number=9,
        title="Matrix Number",
        file_name="09-matrix-number.wav",
        duration_s=244.0,
        key="G major",
        features="88 bpm swung half-time, plucked bass, electric piano, no pad, sine lead",
        recipe=Recipe(
            tempo_bpm=88.0,
            tonic=55,
            mode="major",
            form=_form(
                ("intro", 8),
                ("verse", 16),
                ("chorus", 16),
                ("verse", 16),
                ("chorus", 16),
                ("breakdown", 8),
                ("outro", 8),
            ),
            verse_chords=(0, 3, 1, 4),
            chorus_chords=(5, 3, 0, 4),
            sevenths=True,
            drums="halftime",
            swing=0.3,
            bass="pluck",
            bass_pattern="sync",
            chorus_bass_pattern="rootfifth",
            pad=None,
            keys="epiano",
            keys_pattern="stabs",
            lead="sine",
            target_lufs=-13.0,
        ),
    ),
    DemoTrack(
        number=10,
        title="Run-Out",
        file_name="10-run-out.wav",
        duration_s=270.0,
        key="D minor",
        features="80 bpm ballad closer, sub bass, warm pad, electric piano, flute; "
        "25 s silent tail",
        recipe=Recipe(
            tempo_bpm=80.0,
            tonic=62,
            mode="minor",
            form=_form(
                ("intro", 8),
                ("verse", 16),
                ("chorus", 16),
                ("breakdown", 8),
                ("chorus", 16),
                ("outro", 16),
            ),
            verse_chords=(0, 5, 3, 4),
            chorus_chords=(5, 6, 0, 0),
            drums="ballad",
            ring_drums=False,
            bass="sub",
            bass_pattern="long",
            chorus_bass_pattern="rootfifth",
            pad="warm",
            keys="epiano",
            keys_pattern="quarters",
            lead="flute",
            reverb_s=2.2,
            target_lufs=-13.5,
        ),
    ),
)

_SIBILANT_BURSTS = tuple(48.5 + 2.0 * bar for bar in range(16))

PLANTED_FAULTS: tuple[PlantedFault, ...] = (
    PlantedFault(
        track=3,
        kind="lowend-antiphase",
        start_s=60.0,
        end_s=80.0,
        description="First 8 bars of the first chorus: every bass note starting in the "
        "window is in opposite polarity in L and R (R = -L), at full level; the kick is "
        "muted there, so the bass is all there is below 150 Hz.",
        expected="Below 150 Hz the L/R correlation is -1 with real energy (about -14 dBFS "
        "RMS) and side far exceeds mid; +1 everywhere else in the track.",
    ),
    PlantedFault(
        track=5,
        kind="sibilance",
        start_s=_SIBILANT_BURSTS[0],
        end_s=_SIBILANT_BURSTS[-1] + 0.15,
        description="A harsh vocal-like 'sss' (noise in 5.2-9.5 kHz, strongest around "
        "7 kHz), 150 ms long, on beat 2 of every bar of the first chorus: 16 bursts at "
        "48.5 s + 2 s x n.",
        expected="Sixteen bursts where the 5-10 kHz band comes within a few dB of the whole "
        "signal (at least 6 dB above anything else in the track), at the listed times.",
        events_s=_SIBILANT_BURSTS,
        event_length_s=0.15,
    ),
    PlantedFault(
        track=6,
        kind="clipping",
        start_s=0.0,
        end_s=196.0,
        description="Limited to +3 dBFS and then hard-clipped at full scale; integrated "
        "-7.5 LUFS. Clipped runs from about 0:07 to 2:50 (on kicks and loud chords).",
        expected="Thousands of runs of consecutive samples at +/- full scale (the longest "
        "tens of samples), a low crest factor and true peaks above 0 dBTP.",
        value=-7.5,
    ),
    PlantedFault(
        track=7,
        kind="quiet-dynamic",
        start_s=0.0,
        end_s=298.0,
        description="Quiet master without limiting: soft intro (about -40 LUFS), loud "
        "climax from 3:07 to 4:00 (about -18 LUFS); integrated -21 LUFS.",
        expected="Integrated loudness about -21 LUFS and a loudness range well above 10 LU; "
        "the album loudness matcher must not push it to the level of the others.",
        value=-21.0,
    ),
    PlantedFault(
        track=8,
        kind="dc-offset",
        start_s=0.0,
        end_s=248.0,
        description="A constant +0.02 full scale (-34 dBFS) added to both channels after "
        "mastering.",
        expected="A DC offset of +0.02 in the left and in the right channel over the whole "
        "track (the mean of each channel).",
        value=0.02,
    ),
    PlantedFault(
        track=10,
        kind="silent-tail",
        start_s=245.0,
        end_s=270.0,
        description="The music fades out by 4:05 (below -70 dBFS from about 4:03); the "
        "last 25 s are digital silence (every sample exactly 0).",
        expected="25 s of digital silence at the end of the track, from 4:05 to 4:30.",
        value=0.0,
    ),
)


def track(number: int) -> DemoTrack:
    """Return the demo track with this number (1-10).

    Parameters
    ----------
    number : int
        Track number.

    Returns
    -------
    DemoTrack
        The track.
    """
    for item in DEMO_TRACKS:
        if item.number == number:
            return item
    raise KeyError(f"the demo album has no track {number}")


def faults_for(number: int) -> tuple[PlantedFault, ...]:
    """Return the faults planted in one track."""
    return tuple(fault for fault in PLANTED_FAULTS if fault.track == number)


# --------------------------------------------------------------------------------------
# Rendering one track.
# --------------------------------------------------------------------------------------

_Tick = Callable[[float], None]


def _kit(rng: np.random.Generator, recipe: Recipe) -> dict[str, Audio]:
    start_hz, end_hz, decay_s = recipe.kick_tune
    return {
        "kick": synth.kick(rng, start_hz=start_hz, end_hz=end_hz, decay_s=decay_s),
        "snare": synth.snare(rng, tone_hz=float(rng.uniform(175.0, 215.0))),
        "clap": synth.clap(rng),
        "hat": synth.hat(rng, decay_s=float(rng.uniform(0.025, 0.04))),
        "open": synth.hat(rng, decay_s=0.22, hp_hz=7000.0),
        "crash": synth.crash(rng),
        "tom_hi": synth.tom(165.0),
        "tom_lo": synth.tom(118.0),
        "ess": synth.ess(rng, 0.15),
    }


def _timbres(recipe: Recipe) -> dict[str, synth.Timbre]:
    timbres = {"bass": BASS_SOUNDS[recipe.bass], "lead": LEAD_SOUNDS[recipe.lead]}
    if recipe.pad:
        timbres["pad"] = PAD_SOUNDS[recipe.pad]
    if recipe.keys:
        timbres["keys"] = KEYS_SOUNDS[recipe.keys]
    return timbres


def _planted_hits(item: DemoTrack, hits: list[Hit]) -> list[Hit]:
    """Apply the score side of the faults: anti-phase bass, muted kicks, sibilant bursts."""
    for fault in faults_for(item.number):
        if fault.kind == "lowend-antiphase":
            a, b = round(fault.start_s * SR), round(fault.end_s * SR)
            inside = [a <= h.start < b for h in hits]
            hits = [
                h._replace(right=-h.left) if hit_in and h.sound.name == "bass" else h
                for h, hit_in in zip(hits, inside, strict=True)
                if not (hit_in and h.sound.name == "kick")
            ]
        elif fault.kind == "sibilance":
            gain = synth.db(-4.0)
            hits = hits + [
                Hit(round(t * SR), Sound("drum", "ess"), gain, gain, 0.0) for t in fault.events_s
            ]
    return hits


def _master(item: DemoTrack, left: Audio, right: Audio, tick: _Tick) -> tuple[Audio, Audio]:
    """Calibrate the loudness, limit (or clip), then add the mastering-stage faults.

    The make-up gain is found on per-block K-weighted energies and limiter gains, so the
    search costs no passes over the audio; the hot track, whose clipping changes the
    loudness, is corrected with exact measurements. Normal tracks are processed in place.
    """
    recipe = item.recipe
    faults = {fault.kind: fault for fault in faults_for(item.number)}
    hot = "clipping" in faults
    ceiling = synth.db(3.0) if hot else synth.db(-1.0)
    peaks = synth.block_peaks(left, right)
    energy = synth.block_energy(left, right)
    target = recipe.target_lufs
    measured = synth.gated_loudness(energy)
    if not np.isfinite(measured):
        return left, right
    gain_db = target - measured
    for _ in range(12):
        edges = synth.limiter_edges(peaks * synth.db(gain_db), ceiling)
        power = energy * synth.db(gain_db) ** 2 * synth.edge_power(edges)
        error = target - synth.gated_loudness(power)
        if abs(error) < 0.01:
            break
        gain_db += error
    tick(0.05)
    if hot:
        for attempt in range(3):
            out_l, out_r = left.copy(), right.copy()
            synth.apply_edges(out_l, out_r, edges, synth.db(gain_db))
            np.clip(out_l, -1.0, 1.0, out=out_l)
            np.clip(out_r, -1.0, 1.0, out=out_r)
            error = target - synth.integrated_loudness(out_l, out_r)
            tick(0.05 + 0.05 * attempt)
            if abs(error) < 0.05 or attempt == 2:
                break
            gain_db += 1.5 * error
            edges = synth.limiter_edges(peaks * synth.db(gain_db), ceiling)
        left, right = out_l, out_r
    else:
        synth.apply_edges(left, right, edges, synth.db(gain_db))
    if "dc-offset" in faults:
        offset = np.float32(faults["dc-offset"].value or 0.0)
        left += offset
        right += offset
    if "silent-tail" in faults:
        start = round(faults["silent-tail"].start_s * SR)
        left[start:] = 0.0
        right[start:] = 0.0
    return left, right


def _fade_out(left: Audio, right: Audio, end: int, length_s: float) -> None:
    """Fade to zero over ``length_s`` before sample ``end`` and silence what follows."""
    n = len(left)
    length = int(length_s * SR)
    start = max(0, end - length)
    if start < n:
        stop = min(end, n)
        fade = np.linspace(1.0, 0.0, length, dtype=np.float32)[: stop - start]
        left[start:stop] *= fade
        right[start:stop] *= fade
        left[stop:] = 0.0
        right[stop:] = 0.0


def _sound(
    sound: Sound,
    kit: dict[str, Audio],
    timbres: dict[str, synth.Timbre],
    breath: Audio,
    voices: dict[tuple[str, int, int, int], Audio],
) -> Audio:
    """Render a drum or a note/chord; single voices are cached across chords."""
    if sound.kind == "drum":
        return kit[sound.name]
    rendered = []
    for note in sound.notes:
        key = (sound.name, note, sound.gate, sound.variant)
        voice = voices.get(key)
        if voice is None:
            voice = voices[key] = synth.render_note(
                timbres[sound.name], note, sound.gate, variant=sound.variant, breath_noise=breath
            )
        rendered.append(voice)
    if len(rendered) == 1:
        return rendered[0]
    return np.asarray(np.sum(rendered, axis=0) / np.sqrt(len(rendered)), dtype=np.float32)


def _render(item: DemoTrack, seconds: float | None, tick: _Tick) -> tuple[Audio, Audio]:
    """Synthesize and master one track (or its first ``seconds``) as two float32 channels."""
    recipe = item.recipe
    n = item.frames if seconds is None else min(item.frames, round(seconds * SR))
    rng = np.random.default_rng([ALBUM_SEED, item.number])
    kit = _kit(rng, recipe)
    ir = synth.reverb_ir(rng, recipe.reverb_s)
    breath = synth.filt(rng.standard_normal(4 * SR), "bandpass", (800.0, 4000.0)) * 0.5
    timbres = _timbres(recipe)
    hits = _planted_hits(item, build_score(recipe, rng))

    left = np.zeros(n, dtype=np.float32)
    right = np.zeros(n, dtype=np.float32)
    r = synth.REVERB_DECIMATION
    send = np.zeros(-(-n // r), dtype=np.float32)
    cache: dict[Sound, tuple[Audio, Audio | None]] = {}
    voices: dict[tuple[str, int, int, int], Audio] = {}
    scratch = np.empty(0, dtype=np.float32)
    for index, hit in enumerate(hits):
        if index % 256 == 0:
            tick(0.55 * index / len(hits))
        if hit.start >= n:
            continue
        entry = cache.get(hit.sound)
        if entry is None or (hit.send and entry[1] is None):
            full = _sound(hit.sound, kit, timbres, breath, voices)
            entry = cache[hit.sound] = (full, synth.decimate(full) if hit.send else None)
        full, low = entry
        part = full[: n - hit.start]
        end = hit.start + len(part)
        if len(scratch) < len(part):
            scratch = np.empty(len(part), dtype=np.float32)
        tmp = scratch[: len(part)]
        for bus, gain in ((left, hit.left), (right, hit.right)):
            segment = bus[hit.start : end]
            np.multiply(part, np.float32(gain), out=tmp)
            np.add(segment, tmp, out=segment)
        if hit.send and low is not None:
            k = hit.start // r
            low_part = low[: len(send) - k]
            send[k : k + len(low_part)] += np.float32(hit.send) * low_part
    tick(0.55)
    synth.reverb_add(left, right, send, ir, 0.8)
    del send
    tick(0.6)
    hp = synth.sos("highpass", 20.0, 2)
    synth.sosfilt_inplace(hp, left)
    synth.sosfilt_inplace(hp, right)
    music_end = item.frames
    for fault in faults_for(item.number):
        if fault.kind == "silent-tail":
            music_end = round(fault.start_s * SR)
    _fade_out(left, right, music_end, 2.0 if music_end < item.frames else 1.0)
    tick(0.65)
    return _master(item, left, right, lambda f: tick(0.65 + f))


def render_track(
    number: int, *, seconds: float | None = None, cancel: threading.Event | None = None
) -> npt.NDArray[np.float32]:
    """Synthesize one demo track, or its first ``seconds``, as float samples.

    The score is always composed in full, so a shortened render places every sound
    exactly where the full track has it and keeps the planted faults at their times; only
    the loudness calibration sees less music (the level can differ by a few dB).

    Parameters
    ----------
    number : int
        Track number (1-10).
    seconds : float or None
        Render only this many seconds from the start (``None``: the whole track).
    cancel : threading.Event or None
        When set, stop and raise :class:`sequencer.errors.Cancelled`.

    Returns
    -------
    numpy.ndarray
        Shape ``(frames, 2)``, float32, the values written to the file (before 24-bit
        rounding).
    """
    item = track(number)

    def tick(_fraction: float) -> None:
        if cancel is not None and cancel.is_set():
            raise Cancelled(f"demo track {number} was cancelled")

    left, right = _render(item, seconds, tick)
    return np.stack([left, right], axis=1)


# --------------------------------------------------------------------------------------
# Files.
# --------------------------------------------------------------------------------------

_WRITE_BLOCK = 1 << 18


def _write_wav(path: Path, left: Audio, right: Audio, tick: _Tick) -> None:
    """Write 24-bit PCM in blocks: round to the nearest step, clip to the integer range."""
    block = np.empty((_WRITE_BLOCK, 2), dtype=np.float32)
    ints = np.empty((_WRITE_BLOCK, 2), dtype=np.int32)
    n = len(left)
    with sf.SoundFile(path, "w", samplerate=SR, channels=2, subtype=SUBTYPE, format="WAV") as f:
        for start in range(0, n, _WRITE_BLOCK):
            count = min(_WRITE_BLOCK, n - start)
            buf = block[:count]
            buf[:, 0] = left[start : start + count]
            buf[:, 1] = right[start : start + count]
            buf *= np.float32(2**23)
            np.clip(buf, -(2.0**23), 2.0**23 - 1, out=buf)
            np.rint(buf, out=buf)
            out = ints[:count]
            out[...] = buf
            out <<= 8  # libsndfile keeps the top 24 bits of an int32 sample
            f.write(out)
            tick((start + count) / n)


def _sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _fingerprint(item: DemoTrack, seconds: float | None) -> str:
    text = repr(
        (GENERATOR_VERSION, ALBUM_SEED, SR, SUBTYPE, item, faults_for(item.number), seconds)
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _read_manifest(directory: Path) -> dict[str, Any]:
    try:
        data = json.loads((directory / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != GENERATOR_VERSION:
        return {}
    files = data.get("files")
    return files if isinstance(files, dict) else {}


def _write_manifest(directory: Path, files: dict[str, Any]) -> None:
    data = {
        "generator": "runout demo album",
        "version": GENERATOR_VERSION,
        "album": ALBUM_TITLE,
        "artist": ALBUM_ARTIST,
        "sample_rate": SR,
        "subtype": SUBTYPE,
        "files": dict(sorted(files.items())),
    }
    path = directory / MANIFEST_NAME
    temp = directory / f".{MANIFEST_NAME}.part"
    temp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(temp, path)


def _is_current(path: Path, entry: Any, fingerprint: str, frames: int) -> bool:
    """Whether a file on disk is the complete output of this generator version."""
    if not isinstance(entry, dict) or entry.get("fingerprint") != fingerprint:
        return False
    try:
        if path.stat().st_size != entry.get("size"):
            return False
        if sf.info(str(path)).frames != frames:
            return False
    except (OSError, RuntimeError):
        return False
    return _sha256(path) == entry.get("sha256")


def generate_demo_album(
    directory: Path,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    seconds: float | None = None,
) -> list[Path]:
    """Write the demo album into ``directory`` and return the file paths in album order.

    Files that are already there and complete (same generator version and recipe, size,
    frame count and SHA-256 as recorded in ``demo-album.json``) are reused. Each file is
    written under a hidden temporary name in the same folder and moved into place with
    :func:`os.replace` only when complete.

    Parameters
    ----------
    directory : pathlib.Path
        Output folder, created when missing.
    progress : callable or None
        Called as ``progress(done, total)`` in sample frames of the whole album, as work
        advances (``done`` never decreases and ends at ``total``).
    cancel : threading.Event or None
        When set, generation stops within a fraction of a second and
        :class:`sequencer.errors.Cancelled` is raised; finished files stay.
    seconds : float or None
        Make every track only this long (previews and tests); recorded in the manifest,
        so shortened files are never mistaken for the full album.

    Returns
    -------
    list of pathlib.Path
        The ten WAV files.

    Raises
    ------
    sequencer.errors.Cancelled
        When ``cancel`` was set.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    entries = _read_manifest(directory)
    frames = [
        item.frames if seconds is None else min(item.frames, round(seconds * SR))
        for item in DEMO_TRACKS
    ]
    total = sum(frames)
    done = 0
    reported = -1

    def report(value: int) -> None:
        nonlocal reported
        if cancel is not None and cancel.is_set():
            raise Cancelled("generating the demo album was cancelled")
        if progress is not None and value > reported:
            reported = value
            progress(value, total)

    report(0)
    paths = []
    for item, count in zip(DEMO_TRACKS, frames, strict=True):
        path = directory / item.file_name
        fingerprint = _fingerprint(item, seconds)
        paths.append(path)
        if _is_current(path, entries.get(item.file_name), fingerprint, count):
            logger.debug("reusing %s", path)
            done += count
            report(done)
            continue

        def tick(fraction: float, base: int = done, count: int = count) -> None:
            report(base + int(min(fraction, 1.0) * count))

        logger.info("generating %s", path)
        left, right = _render(item, seconds, lambda f: tick(0.8 * f))
        temp = directory / f".{item.file_name}.part"
        try:
            _write_wav(temp, left, right, lambda f: tick(0.8 + 0.2 * f))
            del left, right
            os.replace(temp, path)
        finally:
            temp.unlink(missing_ok=True)
        entries[item.file_name] = {
            "track": item.number,
            "title": item.title,
            "fingerprint": fingerprint,
            "frames": count,
            "size": path.stat().st_size,
            "sha256": _sha256(path),
        }
        _write_manifest(directory, entries)
        done += count
        report(done)
    return paths
